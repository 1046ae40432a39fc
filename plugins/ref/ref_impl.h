/* Reference kernels, written once over the scalar type `real`.
 *
 * Included by ref_f32.c (real = float: the "ref" plugin) and ref_f64.c
 * (real = double: the conformance suite's oracle) after they define `real`
 * and REF(name). Plain C99, no fast-math: clarity first, these are the oracle.
 * Each kernels/<family>.inc holds one family; static helpers there are
 * prefixed with the family name so that the .inc files can share one unit.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <tgmath.h>
#include "seqnn/philox.h"
#include "seqnn/plugin.h"

/* element pointers of a tensor reference (host plugin: handle is memory) */
#define RP(ref) ((real *)(ref).buf->handle + (ref).off)
#define IP(ref) ((int32_t *)(ref).buf->handle + (ref).off)
#define HAS(ref) ((ref).buf != NULL)
/* backward kernels: 1 when gradients accumulate, 0 when they are overwritten */
#define ACCUMULATE(args) (((args)->flags & SEQNN_FLAG_OVERWRITE) == 0)

#include "kernels/blas.inc"
#include "kernels/elementwise.inc"
#include "kernels/loss.inc"
#include "kernels/embedding.inc"
#include "kernels/rnn.inc"
#include "kernels/lstm_variant.inc"
#include "kernels/conv.inc"
#include "kernels/attention.inc"
#include "kernels/optim.inc"
