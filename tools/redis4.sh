#!/usr/bin/env bash
# tools/redis4.sh: build the reference Redis 4.0.14 once per machine and print
# the path of its redis-server.
#
# Job: Cairn matches Redis 4.0 semantics; the interop tests run the real 4.0.14
# beside Cairn (e.g. a Redis 4.0 replica of a Cairn master). Its source is the
# tarball in the shared reference folder beside the project folder
# (<repo>/../shared/reference/redis-4.0.14.tar.gz; $CAIRN_SHARED overrides the
# shared folder). This script builds it into a cache OUTSIDE the repository,
#   ${CAIRN_REDIS4_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn/redis-4.0.14}
# with `make -j2 MALLOC=libc CFLAGS=-fcommon` (gcc >= 10 defaults to
# -fno-common, which 4.0's sources predate), and installs gcc and make with
# apt-get when they are missing (as root, or through sudo -n).
#
# Contract: stdout carries exactly one line, the absolute path of
# <cache>/src/redis-server; all progress goes to stderr. Exit status non-zero
# if the binary cannot be built. When the cached binary exists and answers
# `--version` with v=4.0.14 nothing is rebuilt (a second run costs ~10 ms).
#
# Tricky bits: two concurrent callers (pytest workers, CI steps) must not build
# into the same directory: a lock file (flock) serialises them, and the build
# happens in a temporary directory renamed into place only once it produced a
# working binary, so a killed build never leaves a half-built cache that looks
# finished.
set -euo pipefail

VERSION=4.0.14
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${CAIRN_SHARED:-$HERE/../../shared}
TARBALL=
for candidate in "$SHARED/reference/redis-$VERSION.tar.gz" "$SHARED/redis-$VERSION.tar.gz"; do
    if [ -f "$candidate" ]; then TARBALL=$candidate; break; fi
done
CACHE=${CAIRN_REDIS4_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn/redis-$VERSION}
BIN=$CACHE/src/redis-server

say() { printf 'redis4.sh: %s\n' "$*" >&2; }

works() {
    [ -x "$1" ] && timeout 10 "$1" --version 2>/dev/null | grep -q "v=$VERSION"
}

if works "$BIN"; then
    echo "$BIN"
    exit 0
fi

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
    else say "need root for: $*"; return 1
    fi
}

need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev)
command -v make >/dev/null || need+=(make)
if [ ${#need[@]} -ne 0 ]; then
    say "installing ${need[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >&2
fi

if [ -z "$TARBALL" ]; then
    say "redis-$VERSION.tar.gz not found under $SHARED/reference (set CAIRN_SHARED to the shared folder)"
    exit 1
fi

mkdir -p "$(dirname "$CACHE")"
exec 9>"$CACHE.lock"
if ! flock -w 900 9; then
    say "timed out waiting for another build ($CACHE.lock)"
    exit 1
fi
# Another caller may have finished the build while we waited for the lock.
if works "$BIN"; then
    echo "$BIN"
    exit 0
fi

TMP=$(mktemp -d "$CACHE.build.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
say "building Redis $VERSION from $TARBALL (log: $CACHE.build.log)"
tar -xzf "$TARBALL" -C "$TMP"
SRC=$TMP/redis-$VERSION
if ! timeout 1200 make -C "$SRC" -j2 MALLOC=libc CFLAGS=-fcommon >"$CACHE.build.log" 2>&1; then
    say "make failed; last lines of $CACHE.build.log:"
    tail -n 30 "$CACHE.build.log" >&2
    exit 1
fi
if ! works "$SRC/src/redis-server"; then
    say "built $SRC/src/redis-server does not answer --version with v=$VERSION"
    exit 1
fi
rm -rf "$CACHE"
mv "$SRC" "$CACHE"
works "$BIN" || { say "$BIN does not work after the move"; exit 1; }
say "built $BIN"
echo "$BIN"
