# Helpers of the CLI test scripts, sourced with $work set: the script then
# runs in a fresh $work; ok/bad count results in $fails; expect_fail NAME
# PATTERN CMD... runs CMD, which must exit non-zero with PATTERN on stderr
# (its output in out.txt and err.txt).
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

expect_fail() {
    name=$1 pattern=$2
    shift 2
    if "$@" > out.txt 2> err.txt; then
        bad "$name: succeeded"
    elif grep -q -- "$pattern" err.txt; then
        ok "$name: $(grep -- "$pattern" err.txt | head -1)"
    else
        bad "$name: message lacks '$pattern': $(cat err.txt)"
    fi
}

# make_text FILE: 60 lines of a small English text (4.6 KB, 39 symbols).
make_text() {
    i=0
    while [ $i -lt 60 ]; do
        echo "the quick brown fox jumps over the lazy dog. a stitch in time saves nine. $i"
        i=$((i + 1))
    done > "$1"
}
