#!/usr/bin/env bash
# fuzz-rdb.sh: builds the RDB libFuzzer target (tools/fuzz/RDBFuzz.swift) and
# runs it for a bounded time. Usage: tools/fuzz-rdb.sh [seconds, default 60]
# Exit status 0 when nothing was found. The corpus lives in fixtures/fuzz/rdb/
# (committed, minimised after each run) and a crashing input is saved in
# fixtures/fuzz/crashes/ (tools/fuzz/run-corpus.sh says how).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out=.build/fuzz-rdb
mkdir -p "$out/corpus"

# The RDB target and Engine, compiled with coverage instrumentation.
swift build -c release --build-path "$out" --target RDB \
    -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link >/dev/null

objects=()
for dir in "$out"/release/RDB.build "$out"/release/Engine.build "$out"/release/CairnCRC.build; do
    while IFS= read -r o; do objects+=("$o"); done < <(find "$dir" -name '*.o')
done
# RDB imports the C module CairnCRC (its CRC64 by carry-less multiply): its map must be visible.
swiftc -O -sanitize=fuzzer -parse-as-library -I "$out/release/Modules" \
    -Xcc "-fmodule-map-file=$out/release/CairnCRC.build/module.modulemap" \
    tools/fuzz/RDBFuzz.swift "${objects[@]}" -o "$out/rdb-fuzz"

# Seeds: the small fixtures and hand-made bodies for each encoding.
cp fixtures/rdb/redis7-unsupported.rdb "$out/corpus/seed-unsupported"
head -c 4000 fixtures/rdb/redis7-nochecksum.rdb > "$out/corpus/seed-partial"
seed() { printf "$2" > "$out/corpus/seed-$1"; }
seed string '\xfe\x00\x00\x01k\x05hello\xfc\x00\x00\x00\x00\x00\x00\x00\x01\x00\x01e\xc3\x05\x0a\x01ab\xe0\x06\x00'
seed ziplist '\x0d\x01h\x11\x11\x00\x00\x00\x0e\x00\x00\x00\x02\x00\x00\x01f\x03\xf2\xff'
seed intset '\x0b\x01s\x0c\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00\x05\x00'
seed zset '\x03\x01z\x01\x01m\x032.5\x05\x01z\x01\x01m\x00\x00\x00\x00\x00\x00\xf0\x3f'
seed zipmap '\x09\x01h\x0d\x02\x01f\x02\x01vv\x00\x01g\x00\x00\xff'

. tools/fuzz/run-corpus.sh
fuzz_run rdb "$out/rdb-fuzz" "$seconds" 8192 "$out"
