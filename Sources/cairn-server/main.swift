// cairn-server: a drop-in for redis-server's command line,
// `cairn-server [CONFIGFILE] [--directive value ...]`.
#if canImport(Glibc)
import Glibc
#endif
import Server

setvbuf(stdout, nil, _IOLBF, 0)
exit(Launch.run(arguments: Array(CommandLine.arguments.dropFirst())))
