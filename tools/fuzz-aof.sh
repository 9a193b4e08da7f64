#!/usr/bin/env bash
# fuzz-aof.sh: builds the AOF reader's libFuzzer target (tools/fuzz/AOFFuzz.swift)
# and runs it for a bounded time. Usage: tools/fuzz-aof.sh [seconds, default 60]
# Exit status 0 when nothing was found. The corpus lives in fixtures/fuzz/aof/
# (committed, minimised after each run) and a crashing input is saved in
# fixtures/fuzz/crashes/ (tools/fuzz/run-corpus.sh says how).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out=.build/fuzz-aof
mkdir -p "$out/corpus"

# The AOF target and everything it depends on (RDB, Engine, RESP and RESP's
# NIOCore), compiled with coverage instrumentation; only that closure is built
# in this build path, so every object in it is linked.
swift build -c release --build-path "$out" --target AOF \
    -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link >/dev/null

objects=()
while IFS= read -r o; do objects+=("$o"); done < <(find -L "$out"/release -path '*.build/*' -name '*.o')
# The C modules of that closure (NIO's shims, swift-atomics') must be visible to import AOF.
cmods=()
while IFS= read -r m; do cmods+=(-Xcc "-fmodule-map-file=$m"); done \
    < <(find -L "$out"/release -maxdepth 2 -path '*.build/module.modulemap')
while IFS= read -r m; do cmods+=(-Xcc -I -Xcc "$(dirname "$m")"); done \
    < <(find "$out"/checkouts/*/Sources -path '*/include/module.modulemap')
swiftc -O -sanitize=fuzzer -parse-as-library -I "$out/release/Modules" "${cmods[@]}" \
    tools/fuzz/AOFFuzz.swift "${objects[@]}" -o "$out/aof-fuzz"

# Seeds: the head of each Redis 7 fixture file and hand-made logs.
for f in fixtures/aof/*/*.aof fixtures/aof/*/*.rdb; do
    head -c 3000 "$f" > "$out/corpus/seed-$(basename "$(dirname "$f")")-$(basename "$f")"
done
seed() { printf "$2" > "$out/corpus/seed-$1"; }
seed multi '*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n*1\r\n$4\r\nEXEC\r\n'
seed select '*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n#TS:1\r\n*1\r\n$4\r\nPING\r\n'
seed binary '*2\r\n$3\r\nGET\r\n$4\r\n\r\n*1\r\n'

. tools/fuzz/run-corpus.sh
fuzz_run aof "$out/aof-fuzz" "$seconds" 4096 "$out"
