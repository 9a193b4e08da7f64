// CZlib: the system zlib (Debian zlib1g-dev), for reading gzip-compressed files.
#include <zlib.h>
