#!/bin/sh
# The mutant suite: each tests/mutants/<plugin>-<family>-<what>.patch is a
# small, plausible bug in one plugin (avx2 or opencl). For each mutant this
# script applies the patch to a scratch copy of the tree, rebuilds only that
# plugin, and runs the conformance suite on it; the suite must reject every
# mutant. Prints per mutant `caught by <test>: <first failure>` or `MISSED`,
# then `N caught, N missed`.
#
# usage: scripts/mutants.sh [options] [NAME...]
#   NAME...           only these mutants (file names without .patch)
#   --sample N        a deterministic sample of N mutants (see --seed)
#   --seed S          sample seed (default 1)
#   --budget SECONDS  start no further mutant after this many seconds
#   --dir DIR         scratch directory (default: build-mutants); reused, so
#                     a second run rebuilds only what changed
#   --table FILE      also write the result as a Markdown table to FILE
#   --strict          a known miss (tests/mutants/known-missed) fails too
#   --list            list the mutants with their descriptions and exit
#   --check           check that every selected patch still applies to this
#                     tree (no build, seconds) and exit: 1 if one does not
#
# A patch file starts with header lines before its diff:
#   mutant: one line saying what is wrong
#   threads: 1 3      avx2 only: SEQNN_NUM_THREADS values to run (default: 1)
#   kernel: REGEX     conformance --kernel for the run (default: every kernel;
#                     give one for opencl mutants: POCL compiles each kernel
#                     program at first use)
# tests/mutants/known-missed lists the mutants the suite does not catch yet,
# one a line: NAME, then what check is missing. They are reported as
# `MISSED (known)` and do not fail the run (unless --strict); one that is
# caught now fails it until its line is removed, so the list only shrinks.
# Exit status: 0 when every mutant run was caught or is a known miss; 1 when
# one was missed, a known miss was caught, a patch no longer applies or
# builds (rotted), a mutant crashed the suite (a mutant must be a wrong
# result, not a crash), or the unmutated plugin fails; 2 on bad usage.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
mdir="$root/tests/mutants"
dir="$root/build-mutants"
sample=0 seed=1 budget=0 table="" list=0 check=0 strict=0 names=""
usage() { sed -n '9,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --sample) [ $# -ge 2 ] || usage; sample=$2; shift 2 ;;
    --seed) [ $# -ge 2 ] || usage; seed=$2; shift 2 ;;
    --budget) [ $# -ge 2 ] || usage; budget=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
    --table) [ $# -ge 2 ] || usage; table=$2; shift 2 ;;
    --list) list=1; shift ;;
    --check) check=1; shift ;;
    --strict) strict=1; shift ;;
    -h|--help) usage ;;
    -*) echo "mutants.sh: unknown option $1" >&2; usage ;;
    *) names="$names $1"; shift ;;
    esac
done
case "$sample$budget" in *[!0-9]*) echo "mutants.sh: --sample and --budget take a number" >&2; exit 2 ;; esac

known() {   # known NAME: the missing check noted for a known miss, or nothing
    [ -f "$mdir/known-missed" ] && sed -n "s/^$1  *//p" "$mdir/known-missed" | head -n 1
}

header() {   # header FILE KEY: the value of "KEY: value" before the diff
    sed -n "/^diff --git /q; s/^$2: *//p" "$1" | head -n 1
}

# ------------------------------------------------------------ selection ---
all=$(for f in "$mdir"/*.patch; do [ -e "$f" ] && basename "$f" .patch; done | LC_ALL=C sort)
[ -n "$all" ] || { echo "mutants.sh: no mutants in $mdir" >&2; exit 2; }
if [ -f "$mdir/known-missed" ]; then
    # shellcheck disable=SC2013
    for n in $(sed -n 's/^\([^# ][^ ]*\).*/\1/p' "$mdir/known-missed"); do
        [ -f "$mdir/$n.patch" ] || { echo "mutants.sh: known-missed names no mutant $n" >&2; exit 1; }
    done
fi
if [ -n "$names" ]; then
    for n in $names; do
        [ -f "$mdir/$n.patch" ] || { echo "mutants.sh: no mutant $n (see --list)" >&2; exit 2; }
    done
    selected=$names
elif [ "$sample" -gt 0 ]; then
    # deterministic: order by a checksum of seed and name, take the first N
    selected=$(for n in $all; do
                   printf '%s %s\n' "$(printf '%s:%s' "$seed" "$n" | cksum | cut -d' ' -f1)" "$n"
               done | LC_ALL=C sort -n | head -n "$sample" | cut -d' ' -f2 | LC_ALL=C sort)
else
    selected=$all
fi
if [ "$list" -eq 1 ]; then
    for n in $selected; do printf '%-44s %s\n' "$n" "$(header "$mdir/$n.patch" mutant)"; done
    exit 0
fi
if [ "$check" -eq 1 ]; then
    command -v git >/dev/null || { echo "mutants.sh: needs git" >&2; exit 2; }
    rotted="" count=0
    for n in $selected; do
        count=$((count + 1))
        (cd "$root" && git apply --check "$mdir/$n.patch" 2>/dev/null) || rotted="$rotted $n"
    done
    if [ -n "$rotted" ]; then
        for n in $rotted; do echo "ROTTED $n: no longer applies (rebuild it against the code it mutates)"; done
        exit 1
    fi
    echo "all $count mutants apply"
    exit 0
fi

# -------------------------------------------------------- scratch tree ---
# A copy of the tracked (and untracked, not ignored) files, modification
# times kept so that the scratch build is incremental. Files any mutant
# touches are touched again: an interrupted earlier run may have left a
# mutated object behind that is newer than its restored source.
command -v git >/dev/null || { echo "mutants.sh: needs git" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
src="$dir/src" bld="$dir/build" logs="$dir/logs"
rm -rf "$src" "$logs"
mkdir -p "$src" "$logs"
(cd "$root" && git ls-files -z -c -o --exclude-standard | tar --null -T - -cf -) | tar -xf - -C "$src" ||
    { echo "mutants.sh: cannot copy the tree into $src" >&2; exit 1; }
(cd "$src" && git init -q . && sed -n 's|^+++ b/||p' "$mdir"/*.patch | sort -u | xargs -r touch)
t0=$(date +%s)
echo "== configuring and building the scratch tree in $dir"
cmake -S "$src" -B "$bld" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEQNN_WERROR=ON -DSEQNN_BUILD_TESTS=OFF \
    >"$logs/configure.log" 2>&1 || { echo "mutants.sh: configure failed, see $logs/configure.log" >&2; exit 1; }
targets="seqnn-cli"
for p in avx2 opencl; do
    grep -q "seqnn-$p" "$bld/CMakeFiles/TargetDirectories.txt" 2>/dev/null && targets="$targets seqnn-$p"
done
build() { cmake --build "$bld" -j "$(nproc)" --target "$@"; }
# shellcheck disable=SC2086
build $targets >"$logs/build.log" 2>&1 || { echo "mutants.sh: build failed, see $logs/build.log" >&2; exit 1; }
seqnn="$bld/bin/seqnn"

# run_suite PLUGIN THREADS KERNEL LOG: the conformance suite's exit status
run_suite() {
    if [ -n "$3" ]; then set -- "$1" "$2" "$4" --kernel "$3"; else set -- "$1" "$2" "$4"; fi
    plugin=$1 threads=$2 log=$3
    shift 3
    SEQNN_NUM_THREADS=$threads SEQNN_BACKEND="" timeout 600 "$seqnn" conformance --plugin "$plugin" "$@" \
        >"$log" 2>&1
}

# The unmutated plugins must pass each configuration the mutants use, or
# every mutant would count as caught.
baselines=""
baseline() {   # baseline PLUGIN THREADS KERNEL
    key="$1/$2/$3"
    case " $baselines " in *" $key "*) return 0 ;; esac
    log="$logs/baseline-$1-t$2-$(printf '%s' "$3" | cksum | cut -d' ' -f1).log"
    run_suite "$1" "$2" "$3" "$log"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "mutants.sh: the unmutated $1 plugin fails the suite (SEQNN_NUM_THREADS=$2${3:+, --kernel $3}," \
             "exit $rc), see $log" >&2
        exit 1
    fi
    baselines="$baselines $key"
}

# plugin and run settings of mutant NAME into $plugin $threads $kernel
settings() {
    plugin=$(printf '%s' "$1" | cut -d- -f1)
    threads=$(header "$mdir/$1.patch" threads)
    kernel=$(header "$mdir/$1.patch" kernel)
    [ -n "$threads" ] || threads=1
}
built() { printf '%s\n' "$targets" | grep -q "seqnn-$1"; }
for n in $selected; do
    settings "$n"
    built "$plugin" || continue
    for t in $threads; do baseline "$plugin" "$t" "$kernel"; done
done
echo "== the unmutated plugins pass every configuration used ($(( $(date +%s) - t0 )) s)"

# ----------------------------------------------------------- the mutants ---
applied=""
trap '[ -n "$applied" ] && (cd "$src" && git apply -R "$applied"); exit 130' INT TERM
caught=0 missed=0 knownmiss=0 rotted=0 crashed=0 skipped=0 notrun=0
bad=""
if [ -n "$table" ]; then
    {
        # shellcheck disable=SC2016
        printf 'Generated by `scripts/mutants.sh` at commit %s on %s (%s), %s.\n\n' \
            "$(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- . || echo ' + changes')" \
            "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)" "$(nproc) CPUs" \
            "$(date -u +%Y-%m-%d)"
        printf '| mutant | family | what is wrong | caught by (first failing test, SEQNN_NUM_THREADS, first failure) |\n'
        printf '|---|---|---|---|\n'
    } >"$table"
fi
row() {   # row NAME RESULT
    [ -n "$table" ] || return 0
    fam=$(printf '%s' "$1" | cut -d- -f2)
    desc=$(header "$mdir/$1.patch" mutant | sed 's/|/\\|/g')
    # shellcheck disable=SC2016
    printf '| `%s` | %s | %s | %s |\n' "$1" "$fam" "$desc" "$(printf '%s' "$2" | sed 's/^caught by //; s/|/\\|/g')" >>"$table"
}
for n in $selected; do
    patch="$mdir/$n.patch"
    if [ "$budget" -gt 0 ] && [ $(( $(date +%s) - t0 )) -ge "$budget" ]; then
        notrun=$((notrun + 1))
        printf '%-44s not run (budget of %s s spent)\n' "$n" "$budget"
        continue
    fi
    settings "$n"
    if ! built "$plugin"; then
        skipped=$((skipped + 1))
        printf '%-44s SKIPPED (the %s plugin is not built here)\n' "$n" "$plugin"
        row "$n" "not run: no $plugin plugin"
        continue
    fi
    if ! (cd "$src" && git apply --check "$patch" 2>"$logs/$n.apply.log" && git apply "$patch"); then
        rotted=$((rotted + 1)) bad="$bad $n"
        printf '%-44s ROTTED: the patch no longer applies (%s)\n' "$n" "$(head -n 1 "$logs/$n.apply.log")"
        row "$n" "ROTTED (does not apply)"
        continue
    fi
    applied=$patch result=""
    if ! build "seqnn-$plugin" >"$logs/$n.build.log" 2>&1; then
        rotted=$((rotted + 1)) bad="$bad $n"
        result="ROTTED: does not build, see $logs/$n.build.log"
    else
        for t in $threads; do
            log="$logs/$n-t$t.log"
            run_suite "$plugin" "$t" "$kernel" "$log"
            rc=$?
            [ "$plugin" = avx2 ] && where=" (SEQNN_NUM_THREADS=$t)" || where=""
            if [ $rc -eq 1 ] && grep -q '^FAIL ' "$log"; then
                first=$(grep -m 1 '^FAIL ' "$log" | sed 's/^FAIL  *[^ ]*  *//; s/  */ /g' | cut -c 1-150)
                result="caught by ${first%% *}$where: ${first#* }"
                break
            elif [ $rc -ne 0 ]; then
                crashed=$((crashed + 1)) bad="$bad $n"
                result="CRASHED the suite$where (exit $rc), see $log"
                break
            fi
        done
        why=$(known "$n")
        [ "$plugin" = avx2 ] && where=" (SEQNN_NUM_THREADS $threads)" || where=""
        if [ -z "$result" ]; then
            missed=$((missed + 1))
            if [ -n "$why" ]; then
                knownmiss=$((knownmiss + 1))
                [ $strict -eq 1 ] && bad="$bad $n"
                result="MISSED$where (known: $why)"
            else
                bad="$bad $n"
                result="MISSED$where"
            fi
        fi
        case $result in
        caught*)
            caught=$((caught + 1))
            if [ -n "$why" ]; then
                bad="$bad $n"
                result="$result (listed in known-missed: remove its line)"
            fi ;;
        esac
    fi
    (cd "$src" && git apply -R "$patch") || { echo "mutants.sh: cannot revert $n in $src" >&2; exit 1; }
    applied=""
    printf '%-44s %s\n' "$n" "$result"
    row "$n" "$(printf '%s' "$result" | sed "s|$logs/||")"
done
# leave the scratch plugins unmutated
# shellcheck disable=SC2086
build $targets >"$logs/build-final.log" 2>&1 || echo "mutants.sh: final rebuild failed, see $logs/build-final.log" >&2

summary="$caught caught, $missed missed"
[ $knownmiss -gt 0 ] && summary="$summary ($knownmiss known)"
[ $rotted -gt 0 ] && summary="$summary, $rotted rotted"
[ $crashed -gt 0 ] && summary="$summary, $crashed crashed"
[ $skipped -gt 0 ] && summary="$summary, $skipped skipped"
[ $notrun -gt 0 ] && summary="$summary, $notrun not run (budget)"
echo "$summary ($(( $(date +%s) - t0 )) s)"
[ -n "$bad" ] && echo "to fix:$bad"
[ -z "$bad" ]
