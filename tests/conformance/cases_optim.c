/* Conformance cases of the optimizer family: sgd, rmsprop, adam and adagrad
 * steps run for OPTIM_STEPS consecutive steps per check (a fresh gradient
 * each step, state carried over, parameters and every state tensor compared
 * after the run), and again for OPTIM_UPDATE_STEPS steps from parameters of
 * the size of one update with the update of every step (new - old parameter)
 * compared, over n = 1, 7, 1000, 4099 and every option: momentum,
 * dampening, nesterov, weight decay, centered, AdamW's decoupled decay,
 * amsgrad, lr decay; fresh state (SGD's buffer NaN-poisoned so that step 1
 * must not read it) and resumed state at a later step; optional state present
 * but unused (must stay unchanged); NaN and infinite gradients, parameters
 * and state. sumsq (accumulate, overwrite, several tensors into one total,
 * NaN and infinite elements) and clip_scale (norm above, at and below
 * max_norm, zero norm, after sumsq, NaN and infinite totals). Also checks
 * that the core rejects bad arguments.
 * Budgets and their basis: docs/kernels/optim.md. */
#include <math.h>
#include "conformance.h"

/* Steps per optimizer check, and the rounded terms that combine into a
 * parameter or state element per step (e.g. SGD with nesterov and weight
 * decay: p - lr*(grad + wd*p + momentum*buf)): budgets use k = terms * steps. */
#define OPTIM_STEPS 50
#define OPTIM_TERMS 4
/* The update of one step (new - old parameter) is a chain of at most 8
 * rounded operations (Adam: m, v, sqrt, / sqrt(bc2), + eps, m / denom,
 * * step_size, with the L2 term in g); from a state carried through s
 * earlier steps it also carries their OPTIM_TERMS each: k = 8 + 4 s. */
#define OPTIM_UPDATE_TERMS 8

static const int64_t optim_sizes[] = {1, 7, 1000, 4099};
#define OPTIM_N_SIZES ((int)(sizeof optim_sizes / sizeof optim_sizes[0]))

/* Runs `steps` steps of an optimizer whose arguments are `args`: before each,
 * a fresh gradient [n] (uniform, its scale cycling through 2, 0.5, 1) goes
 * into *grad and, when step is given, first_step + s into *step; with
 * `updates`, after each step s (from 0) the update of param (new - old) is
 * compared with the oracle's (k = OPTIM_UPDATE_TERMS + OPTIM_TERMS s); at the
 * end the parameters and every state tensor are, under the OPTIM_STEPS-step
 * budget in both runs (k = OPTIM_TERMS * OPTIM_STEPS). */
static void optim_run(cf_run *r, seqnn_kernel_id id, const void *args, int64_t n, cf_tensor *param,
                      seqnn_tref *grad, int64_t *step, int64_t first_step, int steps, int updates)
{
    static const double scales[] = {2.0, 0.5, 1.0};
    for (int s = 0; s < steps && !cf_failed(r); s++) {
        const double sc = scales[s % 3];
        cf_snapshot *before = NULL;
        *grad = cf_ref(cf_in(r, "grad", n, -sc, sc));
        if (step)
            *step = first_step + s;
        if (updates)
            before = cf_snapshot_take(r, param);
        cf_call(r, id, args);
        cf_compare_change(r, before, OPTIM_UPDATE_TERMS + OPTIM_TERMS * s);
        cf_snapshot_free(before);
    }
    cf_compare(r, (double)(OPTIM_TERMS * OPTIM_STEPS));
}

/* Every case runs twice: OPTIM_STEPS steps from parameters in [-1, 1]
 * (parameters and state compared at the end), and OPTIM_UPDATE_STEPS steps
 * from parameters in [-lr, lr] with every update compared: a parameter of
 * the size of one update keeps the float32 rounding of the stored
 * parameter (seen in new - old) far below the error an update may have. */
#define OPTIM_UPDATE_STEPS 5
#define OPTIM_RUNS 2

static const char *const optim_run_names[OPTIM_RUNS] = {"", " updates"};

static cf_tensor *optim_param(cf_run *r, int64_t n, int run, double lr)
{
    return run ? cf_inout(r, "param", n, -lr, lr) : cf_inout(r, "param", n, -1, 1);
}

/* A state tensor [n]: NaN-poisoned (a kernel must write it before reading),
 * zero (PyTorch's initial state) or uniform in [lo, hi). */
enum optim_init { OPTIM_POISON, OPTIM_ZERO, OPTIM_RANDOM };

static cf_tensor *optim_state(cf_run *r, const char *name, int64_t n, enum optim_init init,
                              double lo, double hi)
{
    if (init == OPTIM_POISON)
        return cf_out(r, name, n);
    if (init == OPTIM_ZERO)
        return cf_inout(r, name, n, 0, 0);
    return cf_inout(r, name, n, lo, hi);
}

static const char *const optim_init_names[] = {"poisoned", "zero", "random"};

/* ---------------------------------------------------- NaN and infinities
 * Each element's step is independent of the others and follows its formula
 * in IEEE arithmetic: n = 19 (a full vector and a tail), with non-finite
 * values planted at fixed elements of one tensor (a pattern per tensor, so
 * that a value leaking into a neighbour or another tensor is caught). */
#define OPTIM_NF_N 19

enum optim_nf { OPTIM_NF_NONE, OPTIM_NF_GRAD, OPTIM_NF_PARAM, OPTIM_NF_STATE };

/* An in-out tensor [OPTIM_NF_N] uniform in [lo, hi) with the pattern's
 * non-finite elements, compared NaN-aware. */
static cf_tensor *optim_nf(cf_run *r, const char *name, enum optim_nf pattern, double lo, double hi)
{
    double v[OPTIM_NF_N];
    for (int i = 0; i < OPTIM_NF_N; i++)
        v[i] = cf_uniform(r, lo, hi);
    if (pattern == OPTIM_NF_PARAM) {
        v[5] = NAN;
        v[16] = NAN;
    } else if (pattern == OPTIM_NF_STATE) {
        v[7] = NAN;
        v[12] = NAN;
    }
    cf_tensor *t = cf_inout_values(r, name, OPTIM_NF_N, v);
    cf_set_nonfinite(r, t);
    return t;
}

/* Two steps of an optimizer (args: param and state from optim_nf; step, when
 * given, 1 then 2): the first with NaN, +Inf and -Inf in grad at elements
 * 2, 9 and 17, the second with a finite gradient; then every in-out
 * tensor is compared NaN-aware. */
static void optim_run_nonfinite(cf_run *r, seqnn_kernel_id id, const void *args, seqnn_tref *grad,
                                int64_t *step)
{
    double g[OPTIM_NF_N];
    for (int s = 0; s < 2; s++) {
        for (int i = 0; i < OPTIM_NF_N; i++)
            g[i] = cf_uniform(r, -1, 1);
        if (s == 0) {
            g[2] = NAN;
            g[9] = INFINITY;
            g[17] = -INFINITY;
        }
        *grad = cf_ref(cf_in_values(r, "grad", OPTIM_NF_N, g));
        if (step)
            *step = 1 + s;
        cf_call(r, id, args);
    }
    cf_compare(r, (double)(OPTIM_TERMS * 2));
}

/* ------------------------------------------------------------------ SGD */

typedef struct optim_sgd_case {
    double lr, momentum, dampening, weight_decay;
    int nesterov;
    int64_t first_step;
    int with_buf;                        /* momentum_buf present */
    enum optim_init buf_init;
} optim_sgd_case;

void cf_test_sgd_step(cf_run *r)
{
    static const optim_sgd_case cases[] = {
        {0.1, 0, 0, 0, 0, 1, 0, OPTIM_ZERO},                   /* plain */
        {0.05, 0, 0, 0.01, 0, 1, 1, OPTIM_RANDOM},             /* wd; unused buffer present */
        {0.05, 0.9, 0, 0, 0, 1, 1, OPTIM_POISON},              /* step 1 fills the buffer */
        {0.05, 0.9, 0.1, 0.01, 0, 1, 1, OPTIM_POISON},         /* dampening, wd */
        {0.05, 0.9, 0, 0.01, 1, 1, 1, OPTIM_POISON},           /* nesterov */
        {0.02, 0.5, 0.3, 0, 0, 7, 1, OPTIM_RANDOM},            /* resumed at step 7 */
        {0.02, 0.99, 0, 0.1, 1, 3, 1, OPTIM_RANDOM},           /* nesterov resumed */
    };
    for (int ri = 0; ri < OPTIM_RUNS * OPTIM_N_SIZES; ri++)
        for (int j = 0; j < (int)(sizeof cases / sizeof cases[0]); j++) {
            const int run = ri / OPTIM_N_SIZES;
            const optim_sgd_case *c = &cases[j];
            const int64_t n = optim_sizes[ri % OPTIM_N_SIZES];
            seqnn_sgd_args a = {0};
            cf_tensor *param;
            cf_begin(r, "n=%lld lr=%g momentum=%g dampening=%g wd=%g nesterov=%d step=%lld.. "
                     "buf=%s%s", (long long)n, c->lr, c->momentum, c->dampening, c->weight_decay,
                     c->nesterov, (long long)c->first_step,
                     c->with_buf ? optim_init_names[c->buf_init] : "absent", optim_run_names[run]);
            a.n = n;
            a.lr = c->lr;
            a.momentum = c->momentum;
            a.dampening = c->dampening;
            a.weight_decay = c->weight_decay;
            a.nesterov = c->nesterov;
            param = optim_param(r, n, run, c->lr);
            a.param = cf_ref(param);
            if (c->with_buf)
                a.momentum_buf = cf_ref(optim_state(r, "momentum_buf", n, c->buf_init, -1, 1));
            optim_run(r, SEQNN_KERNEL_sgd_step, &a, n, param, &a.grad, &a.step, c->first_step,
                      run ? OPTIM_UPDATE_STEPS : OPTIM_STEPS, run);
            cf_end(r);
        }

    cf_begin(r, "n=19 NaN/Inf in grad, NaN in param, momentum 0.9 nesterov wd 0.01");
    {
        seqnn_sgd_args a = {0};
        a.n = OPTIM_NF_N;
        a.lr = 0.1;
        a.momentum = 0.9;
        a.nesterov = 1;
        a.weight_decay = 0.01;
        a.param = cf_ref(optim_nf(r, "param", OPTIM_NF_PARAM, -1, 1));
        a.momentum_buf = cf_ref(optim_nf(r, "momentum_buf", OPTIM_NF_NONE, -1, 1));
        optim_run_nonfinite(r, SEQNN_KERNEL_sgd_step, &a, &a.grad, &a.step);
    }
    cf_end(r);

    cf_begin(r, "argument checks");
    {
        seqnn_sgd_args a = {0}, bad;
        a.n = 7;
        a.lr = 0.1;
        a.momentum = 0.9;
        a.nesterov = 1;
        a.step = 1;
        a.param = cf_ref(cf_inout(r, "param", 7, -1, 1));
        a.grad = cf_ref(cf_in(r, "grad", 7, -1, 1));
        a.momentum_buf = cf_ref(cf_out(r, "momentum_buf", 7));
        bad = a;
        bad.momentum_buf.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "momentum without momentum_buf");
        bad = a;
        bad.dampening = 0.1;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "nesterov with dampening");
        bad = a;
        bad.momentum = 0;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "nesterov without momentum");
        bad = a;
        bad.nesterov = 2;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "nesterov = 2");
        bad = a;
        bad.lr = -0.1;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "lr < 0");
        bad = a;
        bad.lr = NAN;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "lr = NaN");
        bad = a;
        bad.weight_decay = -1;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "weight_decay < 0");
        bad = a;
        bad.step = 0;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "step = 0");
        bad = a;
        bad.flags = SEQNN_FLAG_OVERWRITE;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "flags = OVERWRITE");
        bad = a;
        bad.grad = a.param;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "grad = param");
        bad = a;
        bad.n = 7 + 100;
        cf_expect_rejected(r, SEQNN_KERNEL_sgd_step, &bad, "n past the buffers");
    }
    cf_end(r);
}

/* -------------------------------------------------------------- RMSprop */

typedef struct optim_rmsprop_case {
    double lr, alpha, eps, weight_decay, momentum;
    int centered;
    enum optim_init init;                /* every state tensor */
    int extra_unused;                    /* unused momentum_buf and grad_avg present */
} optim_rmsprop_case;

void cf_test_rmsprop_step(cf_run *r)
{
    static const optim_rmsprop_case cases[] = {
        {0.01, 0.99, 1e-8, 0, 0, 0, OPTIM_ZERO, 0},           /* plain, PyTorch's fresh state */
        {0.01, 0.9, 1e-6, 0, 0, 0, OPTIM_RANDOM, 1},          /* resumed; unused state present */
        {0.01, 0.99, 1e-8, 0, 0, 1, OPTIM_ZERO, 0},           /* centered */
        {0.005, 0.95, 1e-8, 0, 0, 1, OPTIM_RANDOM, 0},        /* centered, resumed */
        {0.01, 0.99, 1e-8, 0.05, 0.9, 0, OPTIM_RANDOM, 0},    /* momentum, wd */
        {0.01, 0.99, 1e-8, 0.01, 0.5, 1, OPTIM_ZERO, 0},      /* centered, momentum, wd */
    };
    for (int ri = 0; ri < OPTIM_RUNS * OPTIM_N_SIZES; ri++)
        for (int j = 0; j < (int)(sizeof cases / sizeof cases[0]); j++) {
            const int run = ri / OPTIM_N_SIZES;
            const optim_rmsprop_case *c = &cases[j];
            const int64_t n = optim_sizes[ri % OPTIM_N_SIZES];
            seqnn_rmsprop_args a = {0};
            cf_tensor *param;
            cf_begin(r, "n=%lld lr=%g alpha=%g eps=%g wd=%g momentum=%g centered=%d state=%s%s%s",
                     (long long)n, c->lr, c->alpha, c->eps, c->weight_decay, c->momentum,
                     c->centered, optim_init_names[c->init],
                     c->extra_unused ? " (unused state present)" : "", optim_run_names[run]);
            a.n = n;
            a.lr = c->lr;
            a.alpha = c->alpha;
            a.eps = c->eps;
            a.weight_decay = c->weight_decay;
            a.momentum = c->momentum;
            a.centered = c->centered;
            param = optim_param(r, n, run, c->lr);
            a.param = cf_ref(param);
            /* square_avg >= grad_avg^2 + 0.75 (a reachable centered state) */
            a.square_avg = cf_ref(optim_state(r, "square_avg", n, c->init, 1, 2));
            if (c->momentum != 0 || c->extra_unused)
                a.momentum_buf = cf_ref(optim_state(r, "momentum_buf", n, c->init, -1, 1));
            if (c->centered || c->extra_unused)
                a.grad_avg = cf_ref(optim_state(r, "grad_avg", n, c->init, -0.5, 0.5));
            optim_run(r, SEQNN_KERNEL_rmsprop_step, &a, n, param, &a.grad, NULL, 0,
                      run ? OPTIM_UPDATE_STEPS : OPTIM_STEPS, run);
            cf_end(r);
        }

    cf_begin(r, "n=19 NaN/Inf in grad, NaN in param and square_avg, centered momentum 0.5");
    {
        seqnn_rmsprop_args a = {0};
        a.n = OPTIM_NF_N;
        a.lr = 0.01;
        a.alpha = 0.99;
        a.eps = 1e-8;
        a.momentum = 0.5;
        a.centered = 1;
        a.param = cf_ref(optim_nf(r, "param", OPTIM_NF_PARAM, -1, 1));
        a.square_avg = cf_ref(optim_nf(r, "square_avg", OPTIM_NF_STATE, 1, 2));
        a.momentum_buf = cf_ref(optim_nf(r, "momentum_buf", OPTIM_NF_NONE, -1, 1));
        a.grad_avg = cf_ref(optim_nf(r, "grad_avg", OPTIM_NF_NONE, -0.5, 0.5));
        optim_run_nonfinite(r, SEQNN_KERNEL_rmsprop_step, &a, &a.grad, NULL);
    }
    cf_end(r);

    cf_begin(r, "argument checks");
    {
        seqnn_rmsprop_args a = {0}, bad;
        a.n = 7;
        a.lr = 0.01;
        a.alpha = 0.99;
        a.eps = 1e-8;
        a.momentum = 0.9;
        a.centered = 1;
        a.param = cf_ref(cf_inout(r, "param", 7, -1, 1));
        a.grad = cf_ref(cf_in(r, "grad", 7, -1, 1));
        a.square_avg = cf_ref(cf_inout(r, "square_avg", 7, 1, 2));
        a.momentum_buf = cf_ref(cf_inout(r, "momentum_buf", 7, -1, 1));
        a.grad_avg = cf_ref(cf_inout(r, "grad_avg", 7, -0.5, 0.5));
        bad = a;
        bad.grad_avg.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_rmsprop_step, &bad, "centered without grad_avg");
        bad = a;
        bad.momentum_buf.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_rmsprop_step, &bad, "momentum without momentum_buf");
        bad = a;
        bad.square_avg.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_rmsprop_step, &bad, "a missing square_avg");
        bad = a;
        bad.alpha = -0.1;
        cf_expect_rejected(r, SEQNN_KERNEL_rmsprop_step, &bad, "alpha < 0");
        bad = a;
        bad.eps = INFINITY;
        cf_expect_rejected(r, SEQNN_KERNEL_rmsprop_step, &bad, "eps = inf");
        bad = a;
        bad.momentum = -0.5;
        cf_expect_rejected(r, SEQNN_KERNEL_rmsprop_step, &bad, "momentum < 0");
        bad = a;
        bad.centered = 3;
        cf_expect_rejected(r, SEQNN_KERNEL_rmsprop_step, &bad, "centered = 3");
        bad = a;
        bad.grad_avg = a.square_avg;
        cf_expect_rejected(r, SEQNN_KERNEL_rmsprop_step, &bad, "grad_avg = square_avg");
    }
    cf_end(r);
}

/* ----------------------------------------------------------------- Adam */

typedef struct optim_adam_case {
    double lr, beta1, beta2, eps, weight_decay;
    int decoupled, amsgrad;
    int64_t first_step;
    enum optim_init init;
    int extra_unused;                    /* unused max_exp_avg_sq present */
} optim_adam_case;

void cf_test_adam_step(cf_run *r)
{
    static const optim_adam_case cases[] = {
        {1e-2, 0.9, 0.999, 1e-8, 0, 0, 0, 1, OPTIM_ZERO, 0},         /* Adam */
        {1e-2, 0.9, 0.999, 1e-8, 0.01, 0, 0, 1, OPTIM_ZERO, 1},      /* L2 weight decay */
        {1e-2, 0.9, 0.999, 1e-8, 0.01, 1, 0, 1, OPTIM_ZERO, 0},      /* AdamW */
        {1e-2, 0.9, 0.999, 1e-8, 0, 1, 0, 1, OPTIM_ZERO, 0},         /* AdamW, wd 0 */
        {1e-2, 0.9, 0.999, 1e-8, 0, 0, 1, 1, OPTIM_ZERO, 0},         /* AMSGrad */
        {3e-3, 0.9, 0.999, 1e-8, 0.1, 1, 1, 100, OPTIM_RANDOM, 0},   /* AdamW+AMSGrad resumed */
        {1e-2, 0.5, 0.9, 1e-3, 0.05, 0, 1, 20, OPTIM_RANDOM, 0},     /* other betas, eps */
        {1e-3, 0, 0, 1e-8, 0, 0, 0, 1, OPTIM_ZERO, 0},               /* betas 0 */
    };
    for (int ri = 0; ri < OPTIM_RUNS * OPTIM_N_SIZES; ri++)
        for (int j = 0; j < (int)(sizeof cases / sizeof cases[0]); j++) {
            const int run = ri / OPTIM_N_SIZES;
            const optim_adam_case *c = &cases[j];
            const int64_t n = optim_sizes[ri % OPTIM_N_SIZES];
            seqnn_adam_args a = {0};
            cf_tensor *param;
            cf_begin(r, "n=%lld lr=%g betas=(%g, %g) eps=%g wd=%g decoupled=%d amsgrad=%d "
                     "step=%lld.. state=%s%s%s", (long long)n, c->lr, c->beta1, c->beta2, c->eps,
                     c->weight_decay, c->decoupled, c->amsgrad, (long long)c->first_step,
                     optim_init_names[c->init],
                     c->extra_unused ? " (unused max_exp_avg_sq present)" : "", optim_run_names[run]);
            a.n = n;
            a.lr = c->lr;
            a.beta1 = c->beta1;
            a.beta2 = c->beta2;
            a.eps = c->eps;
            a.weight_decay = c->weight_decay;
            a.decoupled = c->decoupled;
            a.amsgrad = c->amsgrad;
            param = optim_param(r, n, run, c->lr);
            a.param = cf_ref(param);
            a.exp_avg = cf_ref(optim_state(r, "exp_avg", n, c->init, -0.1, 0.1));
            a.exp_avg_sq = cf_ref(optim_state(r, "exp_avg_sq", n, c->init, 0, 0.5));
            if (c->amsgrad || c->extra_unused)
                a.max_exp_avg_sq = cf_ref(optim_state(r, "max_exp_avg_sq", n, c->init, 0, 1));
            optim_run(r, SEQNN_KERNEL_adam_step, &a, n, param, &a.grad, &a.step, c->first_step,
                      run ? OPTIM_UPDATE_STEPS : OPTIM_STEPS, run);
            cf_end(r);
        }

    /* AMSGrad's maximum propagates NaN (torch.maximum): a NaN max_exp_avg_sq
     * makes its parameter NaN, with and without decoupled decay */
    for (int decoupled = 0; decoupled <= 1; decoupled++) {
        seqnn_adam_args a = {0};
        cf_begin(r, "n=19 NaN/Inf in grad, NaN in param and max_exp_avg_sq, amsgrad decoupled=%d", decoupled);
        a.n = OPTIM_NF_N;
        a.lr = 1e-2;
        a.beta1 = 0.9;
        a.beta2 = 0.999;
        a.eps = 1e-8;
        a.weight_decay = 0.01;
        a.decoupled = decoupled;
        a.amsgrad = 1;
        a.param = cf_ref(optim_nf(r, "param", OPTIM_NF_PARAM, -1, 1));
        a.exp_avg = cf_ref(optim_nf(r, "exp_avg", OPTIM_NF_NONE, -0.1, 0.1));
        a.exp_avg_sq = cf_ref(optim_nf(r, "exp_avg_sq", OPTIM_NF_NONE, 0, 0.5));
        a.max_exp_avg_sq = cf_ref(optim_nf(r, "max_exp_avg_sq", OPTIM_NF_STATE, 0, 1));
        optim_run_nonfinite(r, SEQNN_KERNEL_adam_step, &a, &a.grad, &a.step);
        cf_end(r);
    }

    cf_begin(r, "argument checks");
    {
        seqnn_adam_args a = {0}, bad;
        a.n = 7;
        a.lr = 1e-3;
        a.beta1 = 0.9;
        a.beta2 = 0.999;
        a.eps = 1e-8;
        a.amsgrad = 1;
        a.step = 1;
        a.param = cf_ref(cf_inout(r, "param", 7, -1, 1));
        a.grad = cf_ref(cf_in(r, "grad", 7, -1, 1));
        a.exp_avg = cf_ref(cf_inout(r, "exp_avg", 7, 0, 0));
        a.exp_avg_sq = cf_ref(cf_inout(r, "exp_avg_sq", 7, 0, 0));
        a.max_exp_avg_sq = cf_ref(cf_inout(r, "max_exp_avg_sq", 7, 0, 0));
        bad = a;
        bad.max_exp_avg_sq.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_adam_step, &bad, "amsgrad without max_exp_avg_sq");
        bad = a;
        bad.beta1 = 1;
        cf_expect_rejected(r, SEQNN_KERNEL_adam_step, &bad, "beta1 = 1");
        bad = a;
        bad.beta2 = -0.1;
        cf_expect_rejected(r, SEQNN_KERNEL_adam_step, &bad, "beta2 < 0");
        bad = a;
        bad.eps = -1e-8;
        cf_expect_rejected(r, SEQNN_KERNEL_adam_step, &bad, "eps < 0");
        bad = a;
        bad.step = 0;
        cf_expect_rejected(r, SEQNN_KERNEL_adam_step, &bad, "step = 0");
        bad = a;
        bad.decoupled = 2;
        cf_expect_rejected(r, SEQNN_KERNEL_adam_step, &bad, "decoupled = 2");
        bad = a;
        bad.exp_avg_sq = a.exp_avg;
        cf_expect_rejected(r, SEQNN_KERNEL_adam_step, &bad, "exp_avg_sq = exp_avg");
        bad = a;
        bad.exp_avg.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_adam_step, &bad, "a missing exp_avg");
    }
    cf_end(r);
}

/* -------------------------------------------------------------- Adagrad */

typedef struct optim_adagrad_case {
    double lr, lr_decay, weight_decay, eps;
    int64_t first_step;
    enum optim_init init;
} optim_adagrad_case;

void cf_test_adagrad_step(cf_run *r)
{
    static const optim_adagrad_case cases[] = {
        {0.1, 0, 0, 1e-10, 1, OPTIM_ZERO},                     /* plain, fresh */
        {0.1, 0.01, 0, 1e-10, 5, OPTIM_RANDOM},                /* lr decay, resumed */
        {0.05, 0.001, 0.1, 1e-6, 1, OPTIM_ZERO},               /* lr decay, wd */
        {0.5, 0.5, 0.01, 1e-10, 30, OPTIM_RANDOM},             /* strong decay, late step */
    };
    for (int ri = 0; ri < OPTIM_RUNS * OPTIM_N_SIZES; ri++)
        for (int j = 0; j < (int)(sizeof cases / sizeof cases[0]); j++) {
            const int run = ri / OPTIM_N_SIZES;
            const optim_adagrad_case *c = &cases[j];
            const int64_t n = optim_sizes[ri % OPTIM_N_SIZES];
            seqnn_adagrad_args a = {0};
            cf_tensor *param;
            cf_begin(r, "n=%lld lr=%g lr_decay=%g wd=%g eps=%g step=%lld.. sum=%s%s", (long long)n,
                     c->lr, c->lr_decay, c->weight_decay, c->eps, (long long)c->first_step,
                     optim_init_names[c->init], optim_run_names[run]);
            a.n = n;
            a.lr = c->lr;
            a.lr_decay = c->lr_decay;
            a.weight_decay = c->weight_decay;
            a.eps = c->eps;
            param = optim_param(r, n, run, c->lr);
            a.param = cf_ref(param);
            a.sum = cf_ref(optim_state(r, "sum", n, c->init, 0, 1));
            optim_run(r, SEQNN_KERNEL_adagrad_step, &a, n, param, &a.grad, &a.step, c->first_step,
                      run ? OPTIM_UPDATE_STEPS : OPTIM_STEPS, run);
            cf_end(r);
        }

    cf_begin(r, "n=19 NaN/Inf in grad, NaN in param and sum, lr_decay 0.01 wd 0.01");
    {
        seqnn_adagrad_args a = {0};
        a.n = OPTIM_NF_N;
        a.lr = 0.1;
        a.lr_decay = 0.01;
        a.weight_decay = 0.01;
        a.eps = 1e-10;
        a.param = cf_ref(optim_nf(r, "param", OPTIM_NF_PARAM, -1, 1));
        a.sum = cf_ref(optim_nf(r, "sum", OPTIM_NF_STATE, 0, 1));
        optim_run_nonfinite(r, SEQNN_KERNEL_adagrad_step, &a, &a.grad, &a.step);
    }
    cf_end(r);

    cf_begin(r, "argument checks");
    {
        seqnn_adagrad_args a = {0}, bad;
        a.n = 7;
        a.lr = 0.1;
        a.eps = 1e-10;
        a.step = 1;
        a.param = cf_ref(cf_inout(r, "param", 7, -1, 1));
        a.grad = cf_ref(cf_in(r, "grad", 7, -1, 1));
        a.sum = cf_ref(cf_inout(r, "sum", 7, 0, 0));
        bad = a;
        bad.lr_decay = -1;
        cf_expect_rejected(r, SEQNN_KERNEL_adagrad_step, &bad, "lr_decay < 0");
        bad = a;
        bad.step = 0;
        cf_expect_rejected(r, SEQNN_KERNEL_adagrad_step, &bad, "step = 0");
        bad = a;
        bad.sum.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_adagrad_step, &bad, "a missing sum");
        bad = a;
        bad.sum = a.grad;
        cf_expect_rejected(r, SEQNN_KERNEL_adagrad_step, &bad, "sum = grad");
        bad = a;
        bad.flags = 1;
        cf_expect_rejected(r, SEQNN_KERNEL_adagrad_step, &bad, "flags = 1");
    }
    cf_end(r);
}

/* -------------------------------------------------------- clip by norm */

/* n: zero, one, primes, non-multiples of 8/16, long */
static const int64_t optim_reduce_sizes[] = {0, 1, 7, 16, 17, 255, 1000, 4099};
#define OPTIM_N_REDUCE ((int)(sizeof optim_reduce_sizes / sizeof optim_reduce_sizes[0]))

void cf_test_sumsq(cf_run *r)
{
    for (int i = 0; i < OPTIM_N_REDUCE; i++)
        for (int overwrite = 0; overwrite <= 1; overwrite++) {
            const int64_t n = optim_reduce_sizes[i];
            seqnn_sumsq_args a = {0};
            cf_begin(r, "n=%lld %s", (long long)n, overwrite ? "overwrite" : "accumulate");
            a.n = n;
            a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
            a.x = cf_ref(cf_in(r, "x", n, -1, 1));
            /* overwrite must not read result: it starts as NaN */
            a.result = cf_ref(overwrite ? cf_out(r, "result", 1) : cf_inout(r, "result", 1, 0, 10));
            /* n squares summed, plus the old total */
            cf_check(r, SEQNN_KERNEL_sumsq, &a, (double)(n + !overwrite));
            cf_end(r);
        }

    /* a total over several tensors, as clip_grad_norm_ over a model */
    cf_begin(r, "three tensors (n=1000, 7, 4099) into one total");
    {
        static const int64_t parts[] = {1000, 7, 4099};
        seqnn_sumsq_args a = {0};
        a.result = cf_ref(cf_out(r, "result", 1));
        for (int i = 0; i < 3; i++) {
            a.n = parts[i];
            a.x = cf_ref(cf_in(r, "x", parts[i], -3, 3));
            a.flags = i == 0 ? SEQNN_FLAG_OVERWRITE : 0;
            cf_call(r, SEQNN_KERNEL_sumsq, &a);
        }
        cf_compare(r, 1000.0 + 7.0 + 4099.0);
    }
    cf_end(r);

    /* NaN and infinities: a NaN element makes the sum NaN, an infinite one
     * +Inf (NaN with a NaN), and an old total that is NaN or +Inf stays so */
    {
        static const double plants[][2] = {{NAN, 0.5}, {INFINITY, 0.5}, {-INFINITY, 0.5}, {INFINITY, NAN}};
        static const double olds[] = {1, NAN, INFINITY};
        for (int p = 0; p < 4; p++)
            for (int o = 0; o < 3; o++)
                for (int overwrite = 0; overwrite <= 1; overwrite++) {
                    const int64_t n = 1000;
                    seqnn_sumsq_args a = {0};
                    double x[1000], old = olds[o];
                    cf_tensor *result;
                    if (overwrite && o > 0)
                        continue;
                    cf_begin(r, "n=1000 x[17]=%g x[999]=%g %s (old total %g)", plants[p][0], plants[p][1],
                             overwrite ? "overwrite" : "accumulate", old);
                    for (int64_t i = 0; i < n; i++)
                        x[i] = cf_uniform(r, -1, 1);
                    x[17] = plants[p][0];
                    x[999] = plants[p][1];
                    a.n = n;
                    a.flags = overwrite ? SEQNN_FLAG_OVERWRITE : 0;
                    a.x = cf_ref(cf_in_values(r, "x", n, x));
                    result = overwrite ? cf_out(r, "result", 1) : cf_inout_values(r, "result", 1, &old);
                    cf_set_nonfinite(r, result);
                    a.result = cf_ref(result);
                    cf_check(r, SEQNN_KERNEL_sumsq, &a, (double)(n + 1));
                    cf_end(r);
                }
    }

    cf_begin(r, "argument checks");
    {
        seqnn_sumsq_args a = {0}, bad;
        cf_tensor *x = cf_in(r, "x", 7, -1, 1);
        a.n = 7;
        a.x = cf_ref(x);
        a.result = cf_ref(cf_out(r, "result", 1));
        bad = a;
        bad.flags = 2;
        cf_expect_rejected(r, SEQNN_KERNEL_sumsq, &bad, "flags = 2");
        bad = a;
        bad.result = cf_ref(x);
        bad.result.off += 3;
        cf_expect_rejected(r, SEQNN_KERNEL_sumsq, &bad, "result inside x");
        bad = a;
        bad.result.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_sumsq, &bad, "a missing result");
        bad = a;
        bad.n = -1;
        cf_expect_rejected(r, SEQNN_KERNEL_sumsq, &bad, "n = -1");
    }
    cf_end(r);
}

/* Sum of squares of the oracle's (float-rounded) values of x. */
static double optim_sumsq_of(cf_tensor *x)
{
    const double *v = cf_values(x);
    double s = 0;
    for (int64_t i = 0; i < cf_count(x); i++)
        s += v[i] * v[i];
    return s;
}

void cf_test_clip_scale(cf_run *r)
{
    /* max_norm as a multiple of the norm: clipped hard, clipped, at the
     * norm (coef = norm / (norm + 1e-6), just below 1), not clipped */
    static const double factors[] = {0.01, 0.5, 1.0, 2.0, 1e6};
    for (int i = 0; i < OPTIM_N_REDUCE; i++)
        for (int f = 0; f < (int)(sizeof factors / sizeof factors[0]); f++) {
            const int64_t n = optim_reduce_sizes[i];
            seqnn_clip_args a = {0};
            cf_tensor *x;
            double s;
            cf_begin(r, "n=%lld max_norm=%g*norm", (long long)n, factors[f]);
            x = cf_inout(r, "x", n, -1, 1);
            s = optim_sumsq_of(x);
            a.n = n;
            a.x = cf_ref(x);
            a.sumsq = cf_ref(cf_in_values(r, "sumsq", 1, &s));
            /* zero norm (n = 0): any max_norm leaves x alone */
            a.max_norm = s > 0 ? factors[f] * sqrt(s) : factors[f];
            /* element-wise: sqrt, add, divide and multiply, no reduction */
            cf_check(r, SEQNN_KERNEL_clip_scale, &a, 1.0);
            cf_end(r);
        }

    /* a zero total over a nonzero tensor (all clip coefficients clamp to 1) */
    cf_begin(r, "n=7 sumsq=0");
    {
        seqnn_clip_args a = {0};
        const double zero = 0;
        a.n = 7;
        a.x = cf_ref(cf_inout(r, "x", 7, -1, 1));
        a.sumsq = cf_ref(cf_in_values(r, "sumsq", 1, &zero));
        a.max_norm = 1e-3;
        cf_check(r, SEQNN_KERNEL_clip_scale, &a, 1.0);
    }
    cf_end(r);

    /* the pair as clip_grad_norm_ uses it: sumsq into a device total, then
     * scale by it; the total's sum of n squares feeds every element */
    for (int i = 2; i < OPTIM_N_REDUCE; i++) {
        const int64_t n = optim_reduce_sizes[i];
        seqnn_sumsq_args s = {0};
        seqnn_clip_args a = {0};
        cf_tensor *x, *total;
        cf_begin(r, "sumsq then clip_scale n=%lld max_norm=0.25*norm", (long long)n);
        x = cf_inout(r, "x", n, -1, 1);
        total = cf_out(r, "total", 1);
        s.n = n;
        s.x = cf_ref(x);
        s.result = cf_ref(total);
        s.flags = SEQNN_FLAG_OVERWRITE;
        a.n = n;
        a.x = cf_ref(x);
        a.sumsq = cf_ref(total);
        a.max_norm = 0.25 * sqrt(optim_sumsq_of(x));
        cf_call(r, SEQNN_KERNEL_sumsq, &s);
        cf_call(r, SEQNN_KERNEL_clip_scale, &a);
        cf_compare(r, (double)n + 1);
        cf_end(r);
    }

    /* a NaN total makes every x NaN, an infinite one gives coef = 0 (x * 0),
     * and a NaN or infinite element of x stays itself (coef < 1) or NaN
     * (coef = 0 from an infinite total) */
    {
        static const double totals[] = {NAN, INFINITY, 4.0, 1e-2};
        for (int t = 0; t < 4; t++)
            for (int n = 7; n <= 1000; n += 993) {
                seqnn_clip_args a = {0};
                double x[1000];
                cf_tensor *xt;
                cf_begin(r, "n=%d sumsq=%g x[3]=NaN x[5]=-Inf", n, totals[t]);
                for (int i = 0; i < n; i++)
                    x[i] = cf_uniform(r, -1, 1);
                x[3] = NAN;
                x[5] = -INFINITY;
                xt = cf_inout_values(r, "x", n, x);
                cf_set_nonfinite(r, xt);
                a.n = n;
                a.x = cf_ref(xt);
                a.sumsq = cf_ref(cf_in_values(r, "sumsq", 1, &totals[t]));
                a.max_norm = 1;
                cf_check(r, SEQNN_KERNEL_clip_scale, &a, 1.0);
                cf_end(r);
            }
    }

    cf_begin(r, "argument checks");
    {
        seqnn_clip_args a = {0}, bad;
        cf_tensor *x = cf_inout(r, "x", 7, -1, 1);
        const double one = 1;
        a.n = 7;
        a.x = cf_ref(x);
        a.sumsq = cf_ref(cf_in_values(r, "sumsq", 1, &one));
        a.max_norm = 1;
        bad = a;
        bad.max_norm = 0;
        cf_expect_rejected(r, SEQNN_KERNEL_clip_scale, &bad, "max_norm = 0");
        bad = a;
        bad.max_norm = -1;
        cf_expect_rejected(r, SEQNN_KERNEL_clip_scale, &bad, "max_norm < 0");
        bad = a;
        bad.max_norm = NAN;
        cf_expect_rejected(r, SEQNN_KERNEL_clip_scale, &bad, "max_norm = NaN");
        bad = a;
        bad.flags = SEQNN_FLAG_OVERWRITE;
        cf_expect_rejected(r, SEQNN_KERNEL_clip_scale, &bad, "flags = OVERWRITE");
        bad = a;
        bad.sumsq = cf_ref(x);
        cf_expect_rejected(r, SEQNN_KERNEL_clip_scale, &bad, "sumsq inside x");
        bad = a;
        bad.sumsq.buf = NULL;
        cf_expect_rejected(r, SEQNN_KERNEL_clip_scale, &bad, "a missing sumsq");
    }
    cf_end(r);
}
