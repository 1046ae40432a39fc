#!/bin/sh
# The C API example built as docs/library.md says, against an installation:
# `cmake --install` into a fresh prefix, `cc` with pkg-config's flags and the
# run-time library path from pkg-config's libdir (-Wl,-rpath), then run. Also
# shows that without that path the loader does not find libseqnn (what the
# docs explain). Skipped (77) without pkg-config or a C compiler.
# usage: test_c_api_pkgconfig.sh BUILD_DIR MAIN_C WORK_DIR [CFLAGS]
# (CFLAGS: the sanitizers of a sanitizer build, which must come first)
set -u
build=$1 main=$2 work=$3 cflags=${4:-}
command -v pkg-config > /dev/null 2>&1 && command -v cc > /dev/null 2>&1 || { echo "skipped: no pkg-config or cc"; exit 77; }
rm -rf "$work" && mkdir -p "$work" || exit 1
cmake --install "$build" --prefix "$work/prefix" > "$work/install.log" 2>&1 || { cat "$work/install.log"; exit 1; }
pc=$(dirname "$(find "$work/prefix" -name seqnn.pc | head -1)")
export PKG_CONFIG_PATH="$pc"
libdir=$(pkg-config --variable=libdir seqnn) || exit 1
fails=0
# shellcheck disable=SC2046
cc -std=c11 $cflags -o "$work/example" "$main" $(pkg-config --cflags --libs seqnn) -Wl,-rpath,"$libdir" \
    || { echo "FAIL: cc with pkg-config's flags"; exit 1; }
if (cd "$work" && env -u LD_LIBRARY_PATH ./example "$work/ckpt.safetensors" > run.out 2>&1); then
    echo "ok: built with pkg-config and -Wl,-rpath,\$(pkg-config --variable=libdir seqnn); it runs: $(tail -1 "$work/run.out")"
else
    echo "FAIL: the example built with pkg-config: $(cat "$work/run.out")"
    fails=1
fi
# shellcheck disable=SC2046
cc -std=c11 $cflags -o "$work/norpath" "$main" $(pkg-config --cflags --libs seqnn) || exit 1
if env -u LD_LIBRARY_PATH "$work/norpath" "$work/ckpt2.safetensors" > "$work/norpath.out" 2>&1; then
    echo "ok: without -rpath it runs too (libseqnn is on the loader's default path here)"
elif grep -q "libseqnn.so" "$work/norpath.out"; then
    echo "ok: without -rpath the loader does not find libseqnn ($(head -1 "$work/norpath.out"))"
    LD_LIBRARY_PATH="$libdir" "$work/norpath" "$work/ckpt3.safetensors" > /dev/null 2>&1 \
        && echo "ok: LD_LIBRARY_PATH=\$(pkg-config --variable=libdir seqnn) finds it" \
        || { echo "FAIL: LD_LIBRARY_PATH=$libdir does not help"; fails=1; }
else
    echo "FAIL: without -rpath: $(cat "$work/norpath.out")"
    fails=1
fi
exit $fails
