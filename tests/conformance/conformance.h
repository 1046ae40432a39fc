/* The conformance suite's framework: what a kernel's test cases use.
 *
 * A kernel test (cf_test_<kernel>, one per catalogue entry, in cases_*.c)
 * runs several checks. A check creates tensors, fills an argument struct once
 * with cf_ref() of those tensors, and calls kernels with cf_call(). Every call
 * runs three times on identical inputs: on the float64 oracle (the reference
 * kernels instantiated for double), on the float32 reference in this process,
 * and on the plugin under test through the public API. A call of a kernel
 * other than the one under test (the forward before a backward) is a
 * preparing call: the plugin's tensors receive the float32 reference's
 * results instead, so each kernel is certified on its own and a partial
 * plugin may have a backward without its forward. The one exception is a
 * forward that fills a plugin-private scratch (the recurrent reserve) and
 * that the plugin has: its own runs, as the reserve's layout is the plugin's
 * (without it, the reference's reserve is given). cf_compare() then holds
 * every output of the plugin against the oracle:
 *
 *   err    = max_i |plugin_i - oracle_i| / max_i |oracle_i|      (normwise)
 *   budget = max(CF_BUDGET_C * ceil(log2(k + 1)) * eps_f32,  4 * err_of_ref_f32)
 *
 * where k is the check's reduction length times its number of steps (K*T), and
 * the second term is the float32 reference's own error on the same inputs.
 * NaN never passes (unless cf_set_nonfinite allows it where the oracle has
 * NaN). Outputs are poisoned with NaN before the plugin runs and
 * surrounded by guard elements holding a sentinel, so unwritten elements and
 * writes out of bounds fail. int32 outputs must match exactly.
 *
 * cf_gradcheck() checks a backward kernel of the float64 oracle against
 * central finite differences of its forward kernel.
 */
#ifndef SEQNN_CONFORMANCE_H
#define SEQNN_CONFORMANCE_H

#include <stdint.h>
#include "seqnn/seqnn.h"

#define CF_BUDGET_C 16.0
#define CF_EPS_F32 5.9604644775390625e-08   /* 2^-24, float32 unit roundoff */

typedef struct cf_run cf_run;
typedef struct cf_tensor cf_tensor;

/* ---- random data: deterministic from the run's seed and the kernel */
double cf_uniform(cf_run *r, double lo, double hi);
int64_t cf_randint(cf_run *r, int64_t lo, int64_t hi);      /* in [lo, hi] */

/* ---- checks: cf_begin names the check ("m=3 n=5 k=7 ta=1"), cf_end frees its tensors */
void cf_begin(cf_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cf_end(cf_run *r);
/* 1 when the current check already failed (later calls and compares are skipped) */
int cf_failed(const cf_run *r);

/* ---- tensors of the current check (count elements) */
/* float input, uniform in [lo, hi) (rounded to float so all sides see the same) */
cf_tensor *cf_in(cf_run *r, const char *name, int64_t count, double lo, double hi);
/* float input with given values (rounded to float) */
cf_tensor *cf_in_values(cf_run *r, const char *name, int64_t count, const double *values);
/* int32 input, uniform in [lo, hi], or given values */
cf_tensor *cf_in_int(cf_run *r, const char *name, int64_t count, int32_t lo, int32_t hi);
cf_tensor *cf_in_ints(cf_run *r, const char *name, int64_t count, const int32_t *values);
/* float output: NaN-poisoned, compared */
cf_tensor *cf_out(cf_run *r, const char *name, int64_t count);
/* int32 output: poisoned with INT32_MIN, compared exactly */
cf_tensor *cf_out_int(cf_run *r, const char *name, int64_t count);
/* float in-out (accumulated gradients, optimizer state, parameters): random
 * initial values in [lo, hi), compared */
cf_tensor *cf_inout(cf_run *r, const char *name, int64_t count, double lo, double hi);
/* plugin-private scratch (a recurrent reserve): each side keeps its own, never compared */
cf_tensor *cf_scratch(cf_run *r, const char *name, int64_t count);
/* Use a different reduction length for this tensor's budget than cf_compare's k. */
void cf_set_k(cf_tensor *t, double k);

/* The reference to put in an argument struct. */
seqnn_tref cf_ref(cf_tensor *t);
/* The oracle side's values (float64; int tensors: NULL). Valid until cf_end. */
double *cf_values(cf_tensor *t);
int32_t *cf_ints(cf_tensor *t);
int64_t cf_count(const cf_tensor *t);

/* ---- running */
/* Runs kernel `id` with `args` on the oracle, the float32 reference and the plugin. */
void cf_call(cf_run *r, seqnn_kernel_id id, const void *args);
/* Compares every float output / in-out and int output against the oracle. */
void cf_compare(cf_run *r, double k);
/* cf_call + cf_compare. */
void cf_check(cf_run *r, seqnn_kernel_id id, const void *args, double k);

/* After a check: every element of the plugin's tensor t (guards included)
 * has the float32 reference's bits, for kernels whose contract is exact
 * (copies: no rounding, NaN payloads kept). */
void cf_compare_exact(cf_run *r, cf_tensor *t);

/* ---- non-finite values and changes
 * cf_set_nonfinite (before the tensor's first use): the output may hold NaN
 * or +-Inf; it is compared NaN-aware: NaN where the oracle has NaN, the same
 * infinity where it has one, finite elsewhere, and the finite elements under
 * the budget. A cf_out tensor is then poisoned with a signaling NaN instead,
 * which no arithmetic returns, so unwritten elements still fail.
 * cf_inout_values: an in-out tensor with given initial values (NaN allowed).
 * cf_snapshot_take records a float tensor on all three sides;
 * cf_compare_change then compares its change since (new - old, e.g. an
 * optimizer's update) against the oracle's under the budget for k, and
 * cf_snapshot_free releases the snapshot (NULL is fine). */
typedef struct cf_snapshot cf_snapshot;
void cf_set_nonfinite(cf_run *r, cf_tensor *t);
cf_tensor *cf_inout_values(cf_run *r, const char *name, int64_t count, const double *values);
cf_snapshot *cf_snapshot_take(cf_run *r, cf_tensor *t);
void cf_compare_change(cf_run *r, cf_snapshot *s, double k);
void cf_snapshot_free(cf_snapshot *s);
/* NaN cases called from another family's kernel test (cases_nan.c) */
void cf_nan_maxpool_forward(cf_run *r);
/* ---- large checks: the float64 oracle on sampled elements only
 * cf_call_sampled runs the kernel on the float32 reference and the plugin but
 * not on the oracle; the check then gives, for every float output, the
 * oracle's values at a few elements with cf_sample (computed by the check
 * itself, from cf_values of the inputs). cf_compare holds the plugin
 *  - against the float32 reference on every element (guards and poison too):
 *    budget twice the kernel's, for the plugin's error plus the reference's own;
 *  - against the oracle on the samples: the kernel's budget, the float32
 *    reference's own error measured on the same samples.
 * An output without samples fails the check (a test bug). */
void cf_call_sampled(cf_run *r, seqnn_kernel_id id, const void *args);
void cf_sample(cf_tensor *t, int64_t n, const int64_t *idx, const double *values);
/* Structure of the plugin under test (seqnn_context_structure), checked:
 * NULL and a failed check when the query fails or an entry is malformed. */
const struct seqnn_boundary *cf_structure(cf_run *r, int64_t *count, int *declared);

/* ---- finite differences on the float64 oracle
 * Runs fwd on args, then bwd with the output gradients dout[j] (of outputs
 * out[j]; the tensors' current values, e.g. from cf_in; NULL: the output is a
 * scalar loss whose gradient the args carry, e.g. dloss = 1), gradient outputs
 * zeroed first; in-out tensors that are not perturbed (an in-place forward's
 * output) are restored before every forward evaluation; then
 * compares grads[i] (the gradient of inputs[i]) at a few random coordinates
 * with central differences of L = sum_j <dout_j, out_j>. Gradients are
 * accumulated or overwritten as args say; they are zeroed before either. */
void cf_gradcheck(cf_run *r, seqnn_kernel_id fwd, seqnn_kernel_id bwd, const void *args,
                  int n_in, cf_tensor *const *inputs, cf_tensor *const *grads,
                  int n_out, cf_tensor *const *out, cf_tensor *const *dout);

/* ---- for checks against stored expectations (golden PyTorch data) */
/* The context of the plugin under test (buffers, kernels through seqnn.h). */
seqnn_context *cf_context(cf_run *r);
/* Records a failure of the current check when the normwise error of got
 * against expected exceeds the budget for reduction length k. */
void cf_expect(cf_run *r, const char *what, const float *got, const double *expected,
               int64_t n, double k);
/* 1 when the plugin under test has kernel id; otherwise records the test
 * as needing an absent kernel (listed as absent, not failed), stops the
 * current check and returns 0. */
int cf_require(cf_run *r, seqnn_kernel_id id);
/* 1 when the plugin's capability query declines this call of a kernel it
 * has: the check stops, counted as declined (neither passed nor failed; the
 * test's line lists it). A chain would run such a call on a later device. */
int cf_declined(cf_run *r, seqnn_kernel_id id, const void *args);
/* Runs kernel id on the plugin under test, counting the calls it ran. */
seqnn_status cf_plugin_run(cf_run *r, seqnn_kernel_id id, const void *args);
/* Records a failure of the current check with a message. */
void cf_fail(cf_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- argument checks of the core
 * Records a failure when the core's check accepts args (a call the kernel's
 * contract forbids; what: the defect, for the message). */
void cf_expect_rejected(cf_run *r, seqnn_kernel_id id, const void *args, const char *what);
/* The check must accept the tensor *field (inside args, a valid call) in a
 * plugin buffer of exactly `extent` elements and refuse it in one of
 * extent - 1: the check's extent is exact. *field is restored. */
void cf_expect_extent(cf_run *r, seqnn_kernel_id id, const void *args, seqnn_tref *field, seqnn_dtype dtype,
                      int64_t extent, const char *name);

/* ---- golden checks (tests/conformance/golden.c), run as lines of their own */
int cf_golden_count(void);
const char *cf_golden_name(int i);                 /* e.g. "golden/lstm_bidir" */
void cf_golden_test(cf_run *r, int i);

/* ---- kernel tests: one per catalogue entry, each in tests/conformance/cases_*.c */
#define SEQNN_KERNEL(name, args, doc) void cf_test_##name(cf_run *r);
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL

#endif /* SEQNN_CONFORMANCE_H */
