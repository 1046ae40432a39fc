# Helpers of the bench/ shell scripts, which source this file:
#   . "$(dirname "$0")/common.sh"
# POSIX sh.

# bench_opts "LETTER=VARIABLE ..." USAGE ARGS...: parses ARGS' options, each
# -LETTER VALUE setting VARIABLE; an unknown option prints USAGE and exits 2.
# Sets bench_shift to the count of arguments the options took (then: shift
# "$bench_shift").
bench_opts() {
    bench_spec=$1 bench_usage=$2
    shift 2
    bench_letters=
    for bench_s in $bench_spec; do bench_letters="$bench_letters${bench_s%%=*}:"; done
    OPTIND=1
    while getopts "$bench_letters" bench_opt; do
        bench_var=
        for bench_s in $bench_spec; do
            [ "${bench_s%%=*}" = "$bench_opt" ] && bench_var=${bench_s#*=}
        done
        [ -n "$bench_var" ] || { echo "$bench_usage" >&2; exit 2; }
        eval "$bench_var=\$OPTARG"
    done
    bench_shift=$((OPTIND - 1))
}

# bench_stats FILE [COLUMN]: "median min max count" of the numbers in column
# COLUMN (default 1, space-separated) of FILE.
bench_stats() {
    cut -d' ' -f"${2:-1}" "$1" | sort -g | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR], NR }'
}
