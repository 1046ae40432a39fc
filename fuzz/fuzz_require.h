/* FZ_REQUIRE(cond, fmt, ...): the fuzz targets' invariant check. When cond is
 * false it writes "<FZ_TARGET>: <message> (last error: <seqnn_last_error()>)"
 * to stderr and aborts, so libFuzzer (or the replay runner) records the input.
 * A target defines FZ_TARGET (its name, a string literal) before including. */
#ifndef SEQNN_FUZZ_REQUIRE_H
#define SEQNN_FUZZ_REQUIRE_H

#include <stdio.h>
#include <stdlib.h>

#include "seqnn/seqnn.h"

#ifndef FZ_TARGET
#error "define FZ_TARGET before including fuzz_require.h"
#endif

#define FZ_REQUIRE(cond, ...)                                           \
    do {                                                                \
        if (!(cond)) {                                                  \
            fprintf(stderr, FZ_TARGET ": ");                            \
            fprintf(stderr, __VA_ARGS__);                               \
            fprintf(stderr, " (last error: %s)\n", seqnn_last_error()); \
            abort();                                                    \
        }                                                               \
    } while (0)

#endif
