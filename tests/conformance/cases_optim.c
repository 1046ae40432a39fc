/* Conformance cases of the optimizer family: sgd, rmsprop, adam and adagrad
 * steps run for OPTIM_STEPS consecutive steps per check (a fresh gradient
 * each step, state carried over, parameters and every state tensor compared
 * after the run), over n = 1, 7, 1000, 4099 and every option: momentum,
 * dampening, nesterov, weight decay, centered, AdamW's decoupled decay,
 * amsgrad, lr decay; fresh state (SGD's buffer NaN-poisoned so that step 1
 * must not read it) and resumed state at a later step; optional state present
 * but unused (must stay unchanged). sumsq (accumulate, overwrite, several
 * tensors into one total) and clip_scale (norm above, at and below max_norm,
 * zero norm, after sumsq). Also checks that the core rejects bad arguments.
 * Budgets and their basis: docs/kernels/optim.md. */
#include <math.h>
#include "conformance.h"

/* Steps per optimizer check, and the rounded terms that combine into a
 * parameter or state element per step (e.g. SGD with nesterov and weight
 * decay: p - lr*(grad + wd*p + momentum*buf)): budgets use k = terms * steps. */
#define OPTIM_STEPS 50
#define OPTIM_TERMS 4
#define OPTIM_K ((double)(OPTIM_TERMS * OPTIM_STEPS))

static const int64_t optim_sizes[] = {1, 7, 1000, 4099};
#define OPTIM_N_SIZES ((int)(sizeof optim_sizes / sizeof optim_sizes[0]))

/* Runs OPTIM_STEPS steps of an optimizer whose arguments are `args`: before
 * each, a fresh gradient [n] (uniform, its scale cycling through 2, 0.5, 1)
 * goes into *grad and, when step is given, first_step + s into *step; then
 * compares parameters and state against the oracle. */
static void optim_run_steps(cf_run *r, seqnn_kernel_id id, const void *args, int64_t n,
                            seqnn_tref *grad, int64_t *step, int64_t first_step)
{
    static const double scales[] = {2.0, 0.5, 1.0};
    for (int s = 0; s < OPTIM_STEPS && !cf_failed(r); s++) {
        const double sc = scales[s % 3];
        *grad = cf_ref(cf_in(r, "grad", n, -sc, sc));
        if (step)
            *step = first_step + s;
        cf_call(r, id, args);
    }
    cf_compare(r, OPTIM_K);
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
    for (int i = 0; i < OPTIM_N_SIZES; i++)
        for (int j = 0; j < (int)(sizeof cases / sizeof cases[0]); j++) {
            const optim_sgd_case *c = &cases[j];
            const int64_t n = optim_sizes[i];
            seqnn_sgd_args a = {0};
            cf_begin(r, "n=%lld lr=%g momentum=%g dampening=%g wd=%g nesterov=%d step=%lld.. "
                     "buf=%s", (long long)n, c->lr, c->momentum, c->dampening, c->weight_decay,
                     c->nesterov, (long long)c->first_step,
                     c->with_buf ? optim_init_names[c->buf_init] : "absent");
            a.n = n;
            a.lr = c->lr;
            a.momentum = c->momentum;
            a.dampening = c->dampening;
            a.weight_decay = c->weight_decay;
            a.nesterov = c->nesterov;
            a.param = cf_ref(cf_inout(r, "param", n, -1, 1));
            if (c->with_buf)
                a.momentum_buf = cf_ref(optim_state(r, "momentum_buf", n, c->buf_init, -1, 1));
            optim_run_steps(r, SEQNN_KERNEL_sgd_step, &a, n, &a.grad, &a.step, c->first_step);
            cf_end(r);
        }

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
    for (int i = 0; i < OPTIM_N_SIZES; i++)
        for (int j = 0; j < (int)(sizeof cases / sizeof cases[0]); j++) {
            const optim_rmsprop_case *c = &cases[j];
            const int64_t n = optim_sizes[i];
            seqnn_rmsprop_args a = {0};
            cf_begin(r, "n=%lld lr=%g alpha=%g eps=%g wd=%g momentum=%g centered=%d state=%s%s",
                     (long long)n, c->lr, c->alpha, c->eps, c->weight_decay, c->momentum,
                     c->centered, optim_init_names[c->init],
                     c->extra_unused ? " (unused state present)" : "");
            a.n = n;
            a.lr = c->lr;
            a.alpha = c->alpha;
            a.eps = c->eps;
            a.weight_decay = c->weight_decay;
            a.momentum = c->momentum;
            a.centered = c->centered;
            a.param = cf_ref(cf_inout(r, "param", n, -1, 1));
            /* square_avg >= grad_avg^2 + 0.75 (a reachable centered state) */
            a.square_avg = cf_ref(optim_state(r, "square_avg", n, c->init, 1, 2));
            if (c->momentum != 0 || c->extra_unused)
                a.momentum_buf = cf_ref(optim_state(r, "momentum_buf", n, c->init, -1, 1));
            if (c->centered || c->extra_unused)
                a.grad_avg = cf_ref(optim_state(r, "grad_avg", n, c->init, -0.5, 0.5));
            optim_run_steps(r, SEQNN_KERNEL_rmsprop_step, &a, n, &a.grad, NULL, 0);
            cf_end(r);
        }

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
    for (int i = 0; i < OPTIM_N_SIZES; i++)
        for (int j = 0; j < (int)(sizeof cases / sizeof cases[0]); j++) {
            const optim_adam_case *c = &cases[j];
            const int64_t n = optim_sizes[i];
            seqnn_adam_args a = {0};
            cf_begin(r, "n=%lld lr=%g betas=(%g, %g) eps=%g wd=%g decoupled=%d amsgrad=%d "
                     "step=%lld.. state=%s%s", (long long)n, c->lr, c->beta1, c->beta2, c->eps,
                     c->weight_decay, c->decoupled, c->amsgrad, (long long)c->first_step,
                     optim_init_names[c->init],
                     c->extra_unused ? " (unused max_exp_avg_sq present)" : "");
            a.n = n;
            a.lr = c->lr;
            a.beta1 = c->beta1;
            a.beta2 = c->beta2;
            a.eps = c->eps;
            a.weight_decay = c->weight_decay;
            a.decoupled = c->decoupled;
            a.amsgrad = c->amsgrad;
            a.param = cf_ref(cf_inout(r, "param", n, -1, 1));
            a.exp_avg = cf_ref(optim_state(r, "exp_avg", n, c->init, -0.1, 0.1));
            a.exp_avg_sq = cf_ref(optim_state(r, "exp_avg_sq", n, c->init, 0, 0.5));
            if (c->amsgrad || c->extra_unused)
                a.max_exp_avg_sq = cf_ref(optim_state(r, "max_exp_avg_sq", n, c->init, 0, 1));
            optim_run_steps(r, SEQNN_KERNEL_adam_step, &a, n, &a.grad, &a.step, c->first_step);
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
    for (int i = 0; i < OPTIM_N_SIZES; i++)
        for (int j = 0; j < (int)(sizeof cases / sizeof cases[0]); j++) {
            const optim_adagrad_case *c = &cases[j];
            const int64_t n = optim_sizes[i];
            seqnn_adagrad_args a = {0};
            cf_begin(r, "n=%lld lr=%g lr_decay=%g wd=%g eps=%g step=%lld.. sum=%s", (long long)n,
                     c->lr, c->lr_decay, c->weight_decay, c->eps, (long long)c->first_step,
                     optim_init_names[c->init]);
            a.n = n;
            a.lr = c->lr;
            a.lr_decay = c->lr_decay;
            a.weight_decay = c->weight_decay;
            a.eps = c->eps;
            a.param = cf_ref(cf_inout(r, "param", n, -1, 1));
            a.sum = cf_ref(optim_state(r, "sum", n, c->init, 0, 1));
            optim_run_steps(r, SEQNN_KERNEL_adagrad_step, &a, n, &a.grad, &a.step, c->first_step);
            cf_end(r);
        }

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
