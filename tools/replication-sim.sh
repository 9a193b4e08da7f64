#!/usr/bin/env bash
# tools/replication-sim.sh N [FIRST_SEED]: runs the replication simulator over
# N seeds (FIRST_SEED, default 1, and the N-1 after it) and ends with exactly
# one line: "N seeds, V invariant violations".
#
# Job: build the simulator (release: swift build -c release --product
# replication-sim), run the seeds in batches, and print, before the last line,
# every failing seed with its violations and the command that replays it.
# Contract: exit status 0 when V is 0, 1 otherwise (2 if the build fails). A
# crash counts as one violation of the seed that was running (the one after
# the last seed the batch reported), and the run goes on from the next seed.
# Environment: SIM_BATCH (default 250) seeds per process. Swift's per-process
# hash seed is fixed (SWIFT_DETERMINISTIC_HASHING) so a replay walks the same
# dictionaries the same way.
set -uo pipefail
cd "$(dirname "$0")/.."

N=${1:?usage: tools/replication-sim.sh N [FIRST_SEED]}
FIRST=${2:-1}
BATCH=${SIM_BATCH:-250}
export SWIFT_DETERMINISTIC_HASHING=1

swift build -c release --product replication-sim >/tmp/replication-sim-build.$$ 2>&1 || {
    cat /tmp/replication-sim-build.$$; rm -f /tmp/replication-sim-build.$$
    echo "$N seeds, build failed"; exit 2
}
rm -f /tmp/replication-sim-build.$$
BIN=.build/release/replication-sim

violations=0
failed=0
partial=0
full=0
next=$FIRST
end=$((FIRST + N))
out=$(mktemp /tmp/replication-sim.XXXXXX)
trap 'rm -f "$out"' EXIT
started=$(date +%s)
while [ "$next" -lt "$end" ]; do
    count=$(( end - next < BATCH ? end - next : BATCH ))
    "$BIN" --from "$next" --count "$count" >"$out" 2>&1
    rc=$?
    last=$((next - 1))
    current=""
    while IFS= read -r line; do
        case "$line" in
            "seed "*)
                set -- $line
                last=$2
                current=$2
                for field in "$@"; do
                    case "$field" in
                        partial=*) partial=$((partial + ${field#partial=})) ;;
                        full=*) full=$((full + ${field#full=})) ;;
                    esac
                done
                [ "$3" = FAIL ] && { failed=$((failed + 1)); echo "$line"; } ;;
            "  "*)
                [ -n "$current" ] && { echo "$line"; violations=$((violations + 1)); } ;;
        esac
        case "$line" in "seed "*" FAIL "*) echo "  replay: SWIFT_DETERMINISTIC_HASHING=1 $BIN --seed $current --print" ;; esac
    done <"$out"
    if ! grep -q '^totals' "$out"; then  # the process died before its summary: a crash
        crashed=$((last + 1))
        echo "seed $crashed CRASH (exit $rc): $(tail -3 "$out" | tr '\n' ' ' | cut -c1-300)"
        echo "  replay: SWIFT_DETERMINISTIC_HASHING=1 $BIN --seed $crashed --print"
        violations=$((violations + 1))
        next=$((crashed + 1))
    else
        next=$((next + count))
    fi
done
echo "resyncs: $partial partial, $full full; $(( $(date +%s) - started )) s"
echo "$N seeds, $violations invariant violations"
[ "$violations" -eq 0 ]
