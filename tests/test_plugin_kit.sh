#!/bin/sh
# The vendor plugin kit end to end, as a vendor would use it: installs the
# built seqnn into a temporary prefix, builds plugins/template out of tree
# against that prefix (find_package(seqnn), and once more through pkg-config
# with the template's Makefile), loads it through SEQNN_PLUGIN_PATH and
# through SEQNN_BACKEND=/path/to/plugin.so, certifies it (report in Markdown
# and in JSON) and checks that `cmake --install` puts it where seqnn finds it.
# usage: test_plugin_kit.sh SEQNN_BUILD_DIR SEQNN_SOURCE_DIR CMAKE C_COMPILER
set -u
build=$1 src=$2 cmake=$3 cc=$4
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=$tmp/prefix
unset SEQNN_BACKEND SEQNN_PLUGIN_PATH SEQNN_LOG
fails=0

fail() { echo "FAIL $*"; fails=$((fails + 1)); }
stop() { echo "FAIL $*"; echo "1 step could not run; stopping"; exit 1; }
show() { sed 's/^/    /' "$1" | tail -n "${2:-12}"; }
# check NAME EXPECTED_RC PATTERN -- command...: output (kept in $tmp/out) must match PATTERN
check() {
    name=$1 want_rc=$2 pattern=$3
    shift 4
    "$@" > "$tmp/out" 2>&1
    rc=$?
    if [ "$rc" -ne "$want_rc" ] || ! grep -Eq -- "$pattern" "$tmp/out"; then
        fail "$name: exit $rc (wanted $want_rc), output lacks /$pattern/:"
        show "$tmp/out"
    else
        echo "ok   $name"
    fi
}
# closing NAME FILE: the conformance run's closing line says nothing failed
closing() {
    last=$(tail -n 1 "$2")
    case $last in
    *" passed, 0 failed") echo "ok   $1: $last" ;;
    *) fail "$1: closing line is '$last'"; grep -E '^(FAIL|      reproduce)' "$2" | head -n 12 ;;
    esac
}

# 1. install seqnn
"$cmake" --install "$build" --prefix "$prefix" > "$tmp/install.log" 2>&1 ||
    { show "$tmp/install.log"; stop "cmake --install $build --prefix $prefix"; }
config=$(find "$prefix" -name seqnnConfig.cmake | head -n 1)
pc=$(find "$prefix" -name seqnn.pc | head -n 1)
[ -n "$config" ] && [ -n "$pc" ] || stop "the install lacks seqnnConfig.cmake or seqnn.pc"
plugin_dir=$(dirname "$(find "$prefix" -name 'libseqnn-ref.so' | head -n 1)")
seqnn=$prefix/bin/seqnn
kernels=$(sed -n 's/^SEQNN_KERNEL(\([a-z0-9_]*\),.*/\1/p' "$prefix/include/seqnn/kernels.def")
nkernels=$(echo "$kernels" | wc -l)
echo "ok   installed into $prefix ($nkernels kernels in the installed catalogue)"
if "$seqnn" info 2>&1 | grep -q 'error while loading shared libraries'; then
    # install rule gap: bin/seqnn has no RUNPATH to ../lib (CMAKE_INSTALL_RPATH)
    echo "NOTE the installed seqnn does not find libseqnn by itself; using LD_LIBRARY_PATH"
    LD_LIBRARY_PATH=$(dirname "$(find "$prefix" -name 'libseqnn.so*' | head -n 1)")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    export LD_LIBRARY_PATH
fi

# 2. the CMake route: find_package(seqnn) against the prefix, warnings as errors
tb=$tmp/template-build
"$cmake" -S "$src/plugins/template" -B "$tb" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_COMPILER="$cc" \
    -DCMAKE_C_FLAGS=-Werror -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > "$tmp/tb.log" 2>&1 &&
    "$cmake" --build "$tb" >> "$tmp/tb.log" 2>&1 ||
    { show "$tmp/tb.log" 20; stop "the template does not configure or build against the installed seqnn"; }
so=$tb/libseqnn-template.so
[ -f "$so" ] || stop "the CMake build made no $so"
if grep -q -- "$src/include" "$tb/compile_commands.json" || ! grep -q -- "$prefix/include" "$tb/compile_commands.json"; then
    fail "the out-of-tree build must use the installed headers only"
else
    echo "ok   CMake route: built $so with the installed headers only"
fi
exports=$(nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }')
[ "$exports" = seqnn_plugin_entry ] && echo "ok   the plugin exports seqnn_plugin_entry only" ||
    fail "the plugin exports: $exports"

# 3. the pkg-config route: the template's Makefile. seqnn.pc is relocatable
# (prefix relative to the .pc file): PKG_CONFIG_PATH alone must find the
# installed headers in the temporary prefix.
pcdir=$(dirname "$pc")
pkgconf="pkg-config"
if PKG_CONFIG_PATH=$pcdir pkg-config --cflags seqnn | grep -q -- "-I$prefix/"; then
    echo "ok   seqnn.pc is relocatable: -I under $prefix"
else
    fail "seqnn.pc is not relocatable: $(PKG_CONFIG_PATH=$pcdir pkg-config --cflags seqnn)"
fi
mkdir -p "$tmp/pc"
if make -C "$tmp/pc" -f "$src/plugins/template/Makefile" PKG_CONFIG_PATH="$pcdir" PKG_CONFIG="$pkgconf" \
        CC="$cc" CFLAGS="-O2 -Werror" > "$tmp/pc.log" 2>&1 && [ -f "$tmp/pc/libseqnn-template.so" ]; then
    echo "ok   pkg-config route: built $tmp/pc/libseqnn-template.so"
else
    fail "the pkg-config build (plugins/template/Makefile) failed:"
    show "$tmp/pc.log"
fi

# 4. discovery through SEQNN_PLUGIN_PATH, selection by name
check "seqnn info loads it from SEQNN_PLUGIN_PATH with every kernel" 0 \
    "loaded +template +$tb/libseqnn-template.so \(version [^,]+, ABI 1\.[0-9]+, $nkernels/$nkernels kernels, complete\)" -- \
    env SEQNN_PLUGIN_PATH="$tb" SEQNN_BACKEND=template "$seqnn" info
check "SEQNN_BACKEND=template selects it" 0 "Selection \(SEQNN_BACKEND=template\): template, device \"template device 0" -- \
    env SEQNN_PLUGIN_PATH="$tb" SEQNN_BACKEND=template "$seqnn" info
grep -q "smoke test: PASS" "$tmp/out" && echo "ok   its smoke test passes" || fail "seqnn info: no smoke test PASS"

# 5. certification, plugin found by SEQNN_PLUGIN_PATH + name, Markdown report
(cd "$tmp" && env SEQNN_PLUGIN_PATH="$tb" SEQNN_BACKEND=template "$seqnn" conformance --report "$tmp/report.md") \
    > "$tmp/cert-md.log" 2>&1
closing "certification via SEQNN_PLUGIN_PATH (report.md)" "$tmp/cert-md.log"
missing=0
for k in $kernels; do
    grep -Eq "^\| template \| [^|]* \| $k \| passed \|" "$tmp/report.md" 2>/dev/null || missing=$((missing + 1))
done
[ "$missing" -eq 0 ] && grep -q "plugin ABI 1\." "$tmp/report.md" &&
    echo "ok   report.md: every catalogue kernel passed, ABI version stated" ||
    { fail "report.md lacks $missing passed kernels or the ABI version"; head -n 8 "$tmp/report.md" 2>/dev/null; }

# 6. certification, plugin named by path in SEQNN_BACKEND, JSON report
(cd "$tmp" && env SEQNN_BACKEND="$so" "$seqnn" conformance --report "$tmp/report.json") > "$tmp/cert-json.log" 2>&1
closing "certification via SEQNN_BACKEND=$so (report.json)" "$tmp/cert-json.log"
npassed=$(grep -c '"plugin": "template".* "result": "passed"' "$tmp/report.json" 2>/dev/null)
if grep -q '"failed": 0,' "$tmp/report.json" && grep -q "\"catalogue_kernels\": $nkernels," "$tmp/report.json" &&
    [ "${npassed:-0}" -ge "$nkernels" ]; then
    echo "ok   report.json: failed 0, $npassed results passed, catalogue of $nkernels"
else
    fail "report.json: wrong counts (passed results: ${npassed:-0})"
    head -n 10 "$tmp/report.json" 2>/dev/null
fi

# 7. the pkg-config build is certified too
if [ -f "$tmp/pc/libseqnn-template.so" ]; then
    (cd "$tmp" && "$seqnn" conformance --plugin "$tmp/pc/libseqnn-template.so") > "$tmp/cert-pc.log" 2>&1
    closing "certification of the pkg-config build" "$tmp/cert-pc.log"
fi

# 8. `cmake --install` of the template lands in seqnn's plugin directory
if "$cmake" --install "$tb" > "$tmp/ti.log" 2>&1 && [ -f "$plugin_dir/libseqnn-template.so" ]; then
    check "installed into $plugin_dir, found without SEQNN_PLUGIN_PATH" 0 \
        "loaded +template +$plugin_dir/libseqnn-template.so" -- env SEQNN_BACKEND=template "$seqnn" info
else
    fail "cmake --install of the template did not put it into $plugin_dir"
    show "$tmp/ti.log"
fi

echo "$fails failed"
[ "$fails" -eq 0 ]
