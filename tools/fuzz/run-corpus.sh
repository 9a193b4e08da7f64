# tools/fuzz/run-corpus.sh: sourced by tools/fuzz-{resp,rdb,aof}.sh; runs a built
# libFuzzer binary for a bounded time against the committed corpus and keeps
# what it learned there.
#
# Job: `fuzz_run NAME BINARY SECONDS MAX_LEN WORKDIR` fuzzes with two corpus
# directories: WORKDIR/corpus (scratch: the hand-made seeds, and every new
# input libFuzzer finds) and fixtures/fuzz/NAME (committed, read only while
# fuzzing). Afterwards the two are minimised together (`-merge=1` into an
# empty directory: the smallest set of inputs with the same coverage) and the
# result replaces fixtures/fuzz/NAME, so the committed corpus grows only by
# inputs that reach new code, and commits of it stay small.
#
# Contract: exit status 0 when nothing was found. A crashing input is saved as
# fixtures/fuzz/crashes/NAME-crash-<sha1> (and leak-, timeout-, oom-), to be
# committed with the fix; replay it with `BINARY <file>`. The committed corpus
# is capped at FUZZ_CORPUS_MAX_KB (default 96) per target, smallest inputs
# first, so the three stay under 300 KB in git however long the fuzzers run.
# FUZZ_MERGE=0 skips the merge (the committed corpus is left untouched).
#
# The tricky bit: -merge=1 tries the inputs smallest first and keeps one per new
# coverage feature; libFuzzer names inputs by the SHA-1 of their bytes, so an
# input already committed keeps its name and a rerun changes few files.
fuzz_run() {
    local name=$1 binary=$2 seconds=$3 max_len=$4 work=$5
    local kept=fixtures/fuzz/$name crashes=fixtures/fuzz/crashes
    mkdir -p "$kept" "$crashes" "$work/corpus"
    local status=0
    "$binary" -max_total_time="$seconds" -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix="$crashes/$name-" "$work/corpus" "$kept" || status=$?
    if [ $status -ne 0 ]; then
        echo "fuzz-$name: FAILED (exit $status); reproducer in $crashes/ (replay: $binary <file>)" >&2
        return $status
    fi
    [ "${FUZZ_MERGE:-1}" = 1 ] || return 0
    local merged=$work/merged
    rm -rf "$merged" && mkdir -p "$merged"
    "$binary" -merge=1 -max_len="$max_len" "$merged" "$kept" "$work/corpus" >"$work/merge.log" 2>&1 || {
        echo "fuzz-$name: merge failed (see $work/merge.log); corpus left as it was" >&2
        return 0
    }
    # Size cap: the smallest inputs first, up to FUZZ_CORPUS_MAX_KB (they carry the most
    # coverage per byte); what does not fit is dropped (it stays in the scratch corpus).
    local cap=$(( ${FUZZ_CORPUS_MAX_KB:-96} * 1024 )) total=0 size f capped=$work/capped
    rm -rf "$capped" && mkdir -p "$capped"
    while IFS= read -r f; do
        size=$(stat -c %s "$merged/$f")
        [ $(( total + size )) -le "$cap" ] || break
        mv "$merged/$f" "$capped/$f"
        total=$(( total + size ))
    done < <(ls -S -r "$merged")
    [ -z "$(ls "$merged")" ] || echo "fuzz-$name: size cap: $(ls "$merged" | wc -l) larger inputs left out of $kept"
    rm -rf "$kept" && mv "$capped" "$kept"
    local kb=$(( total / 1024 ))
    echo "fuzz-$name: corpus $(ls "$kept" | wc -l) inputs, ${kb} KB in $kept"
}
