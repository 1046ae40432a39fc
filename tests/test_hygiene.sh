#!/bin/sh
# Plugin loading hygiene (docs/backends.md, "Discovery"): what the loader
# refuses, and why, as `seqnn info` and SEQNN_BACKEND report it.
# usage: test_hygiene.sh SEQNN_BINARY A_PLUGIN.so SCRATCH_DIR [PROBE LIBSEQNN]
# A_PLUGIN.so is any loadable plugin (tests/plugins' libseqnn-bad-off.so,
# named "bad"); copies of it are placed in safe and unsafe locations. PROBE is
# tests/hygiene_setuid_probe.c built, LIBSEQNN the library (its plugins in
# the seqnn directory beside it), for the set-uid case.
set -u
seqnn=$1
plugin=$2
scratch=$3
probe=${4:-}
libseqnn=${5:-}
unset SEQNN_BACKEND SEQNN_PLUGIN_PATH SEQNN_LOG
fails=0
check() {   # check NAME EXPECTED_RC|any PATTERN [ABSENT_PATTERN] -- command...
    name=$1 want_rc=$2 pattern=$3 absent=""
    shift 3
    if [ "$1" != "--" ]; then absent=$1; shift; fi
    shift
    out=$("$@" 2>&1)
    rc=$?
    if { [ "$want_rc" != any ] && [ "$rc" -ne "$want_rc" ]; } || ! printf '%s\n' "$out" | grep -Eq -- "$pattern" ||
       { [ -n "$absent" ] && printf '%s\n' "$out" | grep -Eq -- "$absent"; }; then
        echo "FAIL $name: exit $rc (wanted $want_rc), output lacks /$pattern/${absent:+ or has /$absent/}:"
        printf '%s\n' "$out" | tail -n 12 | sed 's/^/    /'
        fails=$((fails + 1))
    else
        echo "ok   $name"
    fi
}
skip() {    # a case that cannot run here: a failure in CI (CI=true), where nothing may be skipped
    echo "skip $1"
    [ "${CI:-}" = true ] && fails=$((fails + 1))
}
rm -rf "$scratch"
mkdir -p "$scratch" || exit 1
chmod 755 "$scratch"
# absolute, real paths (seqnn info prints real paths; some cases change directory)
scratch=$(cd "$scratch" && pwd -P)
seqnn=$(cd "$(dirname "$seqnn")" && pwd -P)/$(basename "$seqnn")
plugin=$(cd "$(dirname "$plugin")" && pwd -P)/$(basename "$plugin")
[ -n "$probe" ] && probe=$(cd "$(dirname "$probe")" && pwd -P)/$(basename "$probe") &&
    libseqnn=$(cd "$(dirname "$libseqnn")" && pwd -P)/$(basename "$libseqnn")
hyg=""
trap '[ -n "$hyg" ] && rm -rf "$hyg"' EXIT

# 0. a safe directory: loaded
mkdir "$scratch/ok" && cp "$plugin" "$scratch/ok/libseqnn-bad.so" && chmod 644 "$scratch/ok/libseqnn-bad.so"
check "a plugin in a safe directory loads" 0 "loaded +bad +$scratch/ok/libseqnn-bad.so" -- \
    env SEQNN_PLUGIN_PATH="$scratch/ok" SEQNN_BACKEND=ref "$seqnn" info

# 1. the file writable by others
mkdir "$scratch/wfile" && cp "$plugin" "$scratch/wfile/libseqnn-bad.so" && chmod 666 "$scratch/wfile/libseqnn-bad.so"
check "a plugin file writable by others is refused, with the reason in seqnn info" 0 \
    "rejected .*wfile/libseqnn-bad.so: refused: the file is writable by others" -- \
    env SEQNN_PLUGIN_PATH="$scratch/wfile" SEQNN_BACKEND=ref "$seqnn" info
check "SEQNN_BACKEND naming that file fails with the reason" 1 "the file is writable by others" -- \
    env SEQNN_BACKEND="$scratch/wfile/libseqnn-bad.so" "$seqnn" info

# 2. the directory writable by others (no sticky bit)
mkdir "$scratch/wdir" && cp "$plugin" "$scratch/wdir/libseqnn-bad.so" && chmod 644 "$scratch/wdir/libseqnn-bad.so"
chmod 777 "$scratch/wdir"
check "a plugin in a directory writable by others is refused, naming the directory" 0 \
    "rejected .*wdir/libseqnn-bad.so: refused: directory .*wdir is writable by others" -- \
    env SEQNN_PLUGIN_PATH="$scratch/wdir" SEQNN_BACKEND=ref "$seqnn" info
check "SEQNN_BACKEND naming a plugin there fails with the reason" 1 "wdir is writable by others" -- \
    env SEQNN_BACKEND="$scratch/wdir/libseqnn-bad.so" "$seqnn" info

# 3. a directory above it writable by others
mkdir -p "$scratch/wup/sub" && cp "$plugin" "$scratch/wup/sub/libseqnn-bad.so"
chmod 777 "$scratch/wup"
check "a plugin below a directory writable by others is refused" 0 \
    "rejected .*wup/sub/libseqnn-bad.so: refused: directory .*wup is writable by others" -- \
    env SEQNN_PLUGIN_PATH="$scratch/wup/sub" SEQNN_BACKEND=ref "$seqnn" info

# 4. a symbolic link from a safe directory to an unsafe one: the real path counts
mkdir "$scratch/link" && ln -s "$scratch/wdir/libseqnn-bad.so" "$scratch/link/libseqnn-bad.so"
check "a link into a directory writable by others is refused" 0 \
    "rejected .*link/libseqnn-bad.so: refused: directory .*wdir is writable by others" -- \
    env SEQNN_PLUGIN_PATH="$scratch/link" SEQNN_BACKEND=ref "$seqnn" info

# 5. a sticky directory writable by others (like /tmp): own files load, others' do not
mkdir -p "$scratch/sticky/mine" && cp "$plugin" "$scratch/sticky/mine/libseqnn-bad.so" && chmod 1777 "$scratch/sticky"
check "a plugin of yours below a sticky directory writable by others loads" 0 "loaded +bad +.*sticky/mine/libseqnn-bad.so" -- \
    env SEQNN_PLUGIN_PATH="$scratch/sticky/mine" SEQNN_BACKEND=ref "$seqnn" info
if [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    mkdir "$scratch/sticky/theirs" && cp "$plugin" "$scratch/sticky/theirs/libseqnn-bad.so"
    chown -R nobody "$scratch/sticky/theirs"
    check "a directory of another user below a sticky directory writable by others is refused" 0 \
        "rejected .*theirs/libseqnn-bad.so: refused: .*sticky/theirs lies in .*sticky, a directory writable by others, and belongs to uid" -- \
        env SEQNN_PLUGIN_PATH="$scratch/sticky/theirs" SEQNN_BACKEND=ref "$seqnn" info
else
    skip "another user's files in a sticky directory (needs root and user nobody)"
fi

# 6. nothing from the current directory unless a path names it
mkdir "$scratch/cwd" && cp "$plugin" "$scratch/cwd/libseqnn-bad.so"
check "a relative SEQNN_PLUGIN_PATH entry is ignored, with a warning" 0 \
    "SEQNN_PLUGIN_PATH entry '\.' ignored: not an absolute path" "loaded +bad " -- \
    sh -c 'cd "$1" && SEQNN_PLUGIN_PATH=. SEQNN_BACKEND=ref "$2" info' sh "$scratch/cwd" "$seqnn"
check "an empty SEQNN_PLUGIN_PATH entry does not mean the current directory" 0 \
    "SEQNN_PLUGIN_PATH entry '' ignored" "loaded +bad " -- \
    sh -c 'cd "$1" && SEQNN_PLUGIN_PATH=":$1/nonexistent" SEQNN_BACKEND=ref "$2" info' sh "$scratch/cwd" "$seqnn"
check "SEQNN_BACKEND=libseqnn-bad.so (no '/') is refused with the ./ hint" 1 \
    "is a file name, not a plugin name: .*\(\./libseqnn-bad.so for one in the current directory\)" -- \
    sh -c 'cd "$1" && SEQNN_BACKEND=libseqnn-bad.so "$2" info' sh "$scratch/cwd" "$seqnn"
check "SEQNN_BACKEND=./libseqnn-bad.so loads it from the current directory" 0 \
    "Selection \(SEQNN_BACKEND=\./libseqnn-bad.so\): bad" -- \
    sh -c 'cd "$1" && SEQNN_BACKEND=./libseqnn-bad.so "$2" info' sh "$scratch/cwd" "$seqnn"

# 7. secure_getenv: a set-uid program ignores SEQNN_PLUGIN_PATH, SEQNN_BACKEND and SEQNN_LOG.
# The set-uid copy belongs to nobody, who may not be able to enter the checkout
# (a 0700 home or temporary directory): the probe, libseqnn and the plugins are
# copied into a fresh directory below /tmp with 0755 parents, and the probe
# loads libseqnn from there by path (no run path into the build tree).
if [ -z "$probe" ]; then
    skip "set-uid case (no probe given)"
elif [ "$(id -u)" -eq 0 ] && id nobody >/dev/null 2>&1; then
    hyg=$(mktemp -d /tmp/seqnn-hyg.XXXXXX) && chmod 755 "$hyg" && mkdir -p "$hyg/bin" "$hyg/lib/seqnn" &&
        cp "$libseqnn" "$hyg/lib/libseqnn.so.0" && cp "$(dirname "$libseqnn")"/seqnn/libseqnn-*.so "$hyg/lib/seqnn/" &&
        chmod 755 "$hyg/bin" "$hyg/lib" "$hyg/lib/seqnn" && chmod 644 "$hyg/lib/libseqnn.so.0" "$hyg/lib/seqnn/"* &&
        cp "$probe" "$hyg/bin/plain" && cp "$probe" "$hyg/bin/suid" && chown nobody "$hyg/bin/suid" &&
        chmod 4755 "$hyg/bin/suid" || { echo "FAIL: cannot prepare $hyg"; fails=$((fails + 1)); }
    # the control: the same copy without the set-uid bit honours all three
    check "without set-uid, SEQNN_PLUGIN_PATH and SEQNN_BACKEND are honoured" 0 "Selection: bad," -- \
        env SEQNN_PLUGIN_PATH="$scratch/ok" SEQNN_BACKEND=bad "$hyg/bin/plain" "$hyg/lib/libseqnn.so.0"
    check "without set-uid, SEQNN_LOG is honoured" 0 "seqnn debug: plugin ref loaded from $hyg/lib/seqnn/" -- \
        env SEQNN_LOG=debug "$hyg/bin/plain" "$hyg/lib/libseqnn.so.0"
    # Under the sanitizers the exit status of a set-uid run is not ours: LeakSanitizer
    # cannot attach to a set-uid process and fails at exit (ASAN_OPTIONS is not read
    # there either), so only the output counts.
    if out=$("$hyg/bin/suid" "$hyg/lib/libseqnn.so.0" 2>&1); [ $? -eq 0 ] || printf '%s\n' "$out" | grep -q "LeakSanitizer"; then
        suid_rc=0
        printf '%s\n' "$out" | grep -q "LeakSanitizer" && suid_rc=any
        check "a set-uid program ignores SEQNN_PLUGIN_PATH, SEQNN_BACKEND and SEQNN_LOG (secure_getenv)" $suid_rc \
            "Selection: (ref|avx2|avx512|opencl)," "libseqnn-bad.so|seqnn (info|debug):" -- \
            env SEQNN_PLUGIN_PATH="$scratch/ok" SEQNN_BACKEND=bad SEQNN_LOG=debug "$hyg/bin/suid" "$hyg/lib/libseqnn.so.0"
    else
        skip "set-uid case: a set-uid copy does not run here (nosuid mount?): $(printf '%s' "$out" | head -n 2)"
    fi
    rm -rf "$hyg"
else
    skip "set-uid case (needs root and user nobody)"
fi

rm -rf "$scratch"
echo "$fails failed"
[ "$fails" -eq 0 ]
