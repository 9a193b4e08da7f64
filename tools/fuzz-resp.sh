#!/usr/bin/env bash
# fuzz-resp.sh: builds the RESP libFuzzer target (tools/fuzz/RESPFuzz.swift) and
# runs it for a bounded time. Usage: tools/fuzz-resp.sh [seconds, default 60]
# Exit status 0 when nothing was found. The corpus lives in fixtures/fuzz/resp/
# (committed, minimised after each run) and a crashing input is saved in
# fixtures/fuzz/crashes/ (tools/fuzz/run-corpus.sh says how).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out=.build/fuzz
mkdir -p "$out/corpus"

# The RESP target and its dependencies, compiled with coverage instrumentation.
swift build -c release --build-path "$out" --target RESP \
    -Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link >/dev/null

objects=()
for dir in "$out"/release/*.build; do
    case "$(basename "$dir")" in
        RESP.build|NIOCore.build|NIOConcurrencyHelpers.build|_NIODataStructures.build|_NIOBase64.build|\
        CNIO*.build|Atomics.build|_AtomicsShims.build|DequeModule.build|InternalCollectionsUtilities.build|\
        ContainersPreview.build)
            while IFS= read -r o; do objects+=("$o"); done < <(find "$dir" -name '*.o') ;;
    esac
done
# The C modules NIOCore and swift-atomics import, as SwiftPM would pass them.
cflags=()
for map in "$out"/checkouts/*/Sources/*/include/module.modulemap "$out"/release/CNIO*.build/module.modulemap; do
    [ -e "$map" ] && cflags+=(-Xcc "-fmodule-map-file=$map" -Xcc -I -Xcc "$(dirname "$map")")
done
swiftc -O -sanitize=fuzzer -parse-as-library -I "$out/release/Modules" "${cflags[@]}" \
    tools/fuzz/RESPFuzz.swift "${objects[@]}" -o "$out/resp-fuzz"

# Seeds: a few well-formed and malformed requests.
seed() { printf "$2" > "$out/corpus/seed-$1"; }
seed multibulk '*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n'
seed inline 'SET k "a\\x41\\n" '"'"'b\\'"'"'c'"'"'\r\nPING\n\r\n'
seed empty '*0\r\n*-1\r\n$0\r\n'
seed errors '*1\r\n$-1\r\n*01\r\nx'
seed reply '*2\r\n$1\r\na\r\n:-5\r\n+OK\r\n-ERR x\r\n$-1\r\n*-1\r\n'

. tools/fuzz/run-corpus.sh
fuzz_run resp "$out/resp-fuzz" "$seconds" 4096 "$out"
