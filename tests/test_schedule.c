/* Learning-rate schedules and cross-entropy options through the public API
 * on the reference plugin: the rate of every step against the closed forms
 * (warm-up with cosine, step decay, reduce-on-plateau), a checkpoint saved
 * mid-schedule resuming the same rates and parameters, a new learning rate
 * keeping Adam's moments (a reset would change the next step), the model
 * file's schedule, smoothing and class-weight keys, and per-target losses. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"

static int failures;
static seqnn_context *ctx;

#define EXPECT(cond, ...) do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); failures++; } } while (0)

enum { T = 3, B = 2, DIM = 3, CLASSES = 4, NPAR = 2 };
static float features[T * B * DIM];
static const int32_t targets[T * B] = {0, 3, -100, 1, 2, 2};

static seqnn_model *make(void)
{
    seqnn_model *m = NULL;
    if (seqnn_model_create(&m) != SEQNN_OK || seqnn_model_input_features(m, DIM) != SEQNN_OK ||
        seqnn_model_add_dense(m, NULL, CLASSES) != SEQNN_OK || seqnn_model_build(m, ctx, 7) != SEQNN_OK) {
        printf("FAIL model: %s\n", seqnn_last_error());
        failures++;
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

static int step(seqnn_model *m)
{
    seqnn_batch b = {.seq_len = T, .batch = B, .features = features, .targets = targets};
    seqnn_step_result r;
    if (seqnn_model_train_step(m, &b, &r) != SEQNN_OK) {
        printf("FAIL step: %s\n", seqnn_last_error());
        failures++;
        return 0;
    }
    return 1;
}

/* every parameter of m, concatenated into out (returns the count) */
static int64_t params(seqnn_model *m, float *out)
{
    int64_t n = 0;
    for (int64_t i = 0; i < seqnn_model_param_count(m); i++) {
        seqnn_param_info pi;
        seqnn_model_param(m, i, &pi);
        seqnn_model_param_read(m, i, out + n, pi.count);
        n += pi.count;
    }
    return n;
}

/* warm-up 3 (from 0.1) then cosine over 5 steps to 1e-4, base 0.01 */
static double cosine_expected(int64_t n)
{
    const double base = 0.01, floor_lr = 1e-4, pi = 3.14159265358979323846;
    double warm = n <= 3 ? 0.1 + 0.9 * (double)(n - 1) / 3 : 1;
    int64_t s = n - 3 < 1 ? 1 : n - 3, t = s - 1 < 5 ? s - 1 : 5;
    return warm * (floor_lr + (base - floor_lr) * (1 + cos(pi * (double)t / 5)) / 2);
}

static void cosine_and_resume(void)
{
    seqnn_model *a = make(), *b = make();
    if (!a || !b)
        goto done;
    seqnn_optim_desc o = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    o.lr = 0.01;
    seqnn_lr_schedule s = seqnn_lr_schedule_defaults(SEQNN_LR_COSINE);
    s.warmup_steps = 3;
    s.warmup_start = 0.1;
    s.cosine_steps = 5;
    s.min_lr = 1e-4;
    seqnn_model_set_optimizer(a, &o);
    seqnn_model_set_optimizer(b, &o);
    EXPECT(seqnn_model_set_lr_schedule(a, &s) == SEQNN_OK, "%s", seqnn_last_error());
    double lr_a[12];
    const char *path = "test_schedule.ckpt";
    for (int64_t n = 1; n <= 12; n++) {
        lr_a[n - 1] = seqnn_model_learning_rate(a);
        EXPECT(fabs(lr_a[n - 1] - cosine_expected(n)) <= 1e-15, "step %lld: lr %.17g, expected %.17g",
               (long long)n, lr_a[n - 1], cosine_expected(n));
        if (!step(a))
            goto done;
        if (n == 5)
            EXPECT(seqnn_model_save(a, path, 1, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    }
    /* b has no schedule of its own: the checkpoint brings it, and the step */
    EXPECT(seqnn_model_load(b, path) == SEQNN_OK, "load: %s", seqnn_last_error());
    for (int64_t n = 6; n <= 12; n++) {
        double lr = seqnn_model_learning_rate(b);
        EXPECT(lr == lr_a[n - 1], "resumed step %lld: lr %.17g, the uninterrupted run had %.17g", (long long)n, lr,
               lr_a[n - 1]);
        if (!step(b))
            goto done;
    }
    float pa[64], pb[64];
    int64_t na = params(a, pa), nb = params(b, pb);
    EXPECT(na == nb && !memcmp(pa, pb, (size_t)na * sizeof *pa), "the resumed run's parameters differ");
    remove(path);
done:
    seqnn_model_destroy(a);
    seqnn_model_destroy(b);
}

/* set_learning_rate keeps Adam's moments: two runs, one of which re-sets the
 * same rate mid-way, stay identical; re-setting the optimizer does not */
static void set_lr_keeps_state(void)
{
    seqnn_model *m[3] = {make(), make(), make()};
    float p[3][64];
    if (!m[0] || !m[1] || !m[2])
        goto done;
    for (int k = 0; k < 3; k++)
        for (int n = 0; n < 3; n++)
            step(m[k]);
    seqnn_optim_desc o = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    EXPECT(seqnn_model_set_learning_rate(m[1], o.lr) == SEQNN_OK, "%s", seqnn_last_error());
    seqnn_model_set_optimizer(m[2], &o);
    EXPECT(seqnn_model_step_count(m[1]) == 3, "set_learning_rate reset the step count");
    for (int k = 0; k < 3; k++) {
        step(m[k]);
        params(m[k], p[k]);
    }
    int64_t n = seqnn_model_param_total(m[0]);
    EXPECT(!memcmp(p[0], p[1], (size_t)n * sizeof(float)), "set_learning_rate changed the optimizer's state");
    EXPECT(memcmp(p[0], p[2], (size_t)n * sizeof(float)), "a reset optimizer stepped as the kept one (test is blind)");
    EXPECT(seqnn_model_set_learning_rate(m[1], 0) != SEQNN_OK, "lr 0 accepted");
    EXPECT(seqnn_model_set_learning_rate(m[1], 0.5) == SEQNN_OK && seqnn_model_learning_rate(m[1]) == 0.5,
           "the new rate is not in force");
done:
    for (int k = 0; k < 3; k++)
        seqnn_model_destroy(m[k]);
}

static void plateau(void)
{
    seqnn_model *m = make();
    if (!m)
        return;
    seqnn_lr_schedule s = seqnn_lr_schedule_defaults(SEQNN_LR_PLATEAU);
    s.patience = 2;
    s.factor = 0.5;
    s.min_lr = 0.0003;
    seqnn_model_set_lr_schedule(m, &s);
    const double base = seqnn_model_learning_rate(m), losses[] = {1, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 1, 1, 1};
    const double expect[] = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3};   /* floored at 0.0003 = 0.3 base */
    for (int i = 0; i < 10; i++) {
        int reduced = 0;
        seqnn_model_report_validation(m, losses[i], &reduced);
        double got = seqnn_model_learning_rate(m) / base;
        EXPECT(fabs(got - expect[i]) < 1e-12, "plateau report %d: lr factor %g, expected %g", i + 1, got, expect[i]);
        EXPECT(reduced == (i == 4 || i == 7), "plateau report %d: reduced = %d", i + 1, reduced);
    }
    seqnn_lr_schedule bad = s;
    bad.factor = 1.5;
    EXPECT(seqnn_model_set_lr_schedule(m, &bad) != SEQNN_OK, "factor 1.5 accepted");
    seqnn_model_destroy(m);
}

/* a model file's schedule and smoothing; per-target losses as PyTorch's
 * reduction='none' (mean of the counted = the reported loss) */
static void modelfile_and_losses(void)
{
    static const char text[] = "seqnn 1\ninput features dim=3\ndense out=4\nloss xent smoothing=0.1\n"
                               "optimizer sgd lr=0.2\nschedule step warmup=2 step_size=3 gamma=0.5\n";
    static const double expect[] = {-1, 0, 0.1, 0.2, 0.2, 0.2, 0.1, 0.1, 0.1};   /* [n]; warm-up from 0 */
    seqnn_model *m = NULL;
    if (seqnn_modelfile_parse(text, sizeof text - 1, "mem", NULL, 0, &m, NULL) != SEQNN_OK ||
        seqnn_model_build(m, ctx, 3) != SEQNN_OK) {
        printf("FAIL model file: %s\n", seqnn_last_error());
        failures++;
        seqnn_model_destroy(m);
        return;
    }
    for (int n = 1; n <= 8; n++) {
        double lr = seqnn_model_learning_rate(m);
        EXPECT(fabs(lr - expect[n]) < 1e-15, "model file schedule, step %d: lr %g, expected %g", n, lr, expect[n]);
        step(m);
    }
    seqnn_batch b = {.seq_len = T, .batch = B, .features = features, .targets = targets};
    seqnn_step_result r;
    float losses[T * B];
    EXPECT(seqnn_model_evaluate_losses(m, &b, &r, losses, T * B) == SEQNN_OK, "%s", seqnn_last_error());
    double sum = 0;
    for (int i = 0; i < T * B; i++) {
        EXPECT(targets[i] != -100 || losses[i] == 0, "an ignored target's loss is %g", losses[i]);
        EXPECT(targets[i] == -100 || losses[i] > 0, "target %d's loss is %g", i, losses[i]);
        sum += losses[i];
    }
    EXPECT(fabs(sum / 5 - r.loss) < 1e-6, "the per-target losses average %g, the loss is %g", sum / 5, r.loss);
    EXPECT(seqnn_model_evaluate_losses(m, &b, &r, losses, 5) != SEQNN_OK, "a short losses array accepted");
    static const char bad[] = "seqnn 1\ninput features dim=3\ndense out=4\nloss mse smoothing=0.1\n";
    seqnn_model *m2 = NULL;
    EXPECT(seqnn_modelfile_parse(bad, sizeof bad - 1, "mem", NULL, 0, &m2, NULL) != SEQNN_OK,
           "smoothing accepted for mse");
    seqnn_model_destroy(m2);
    seqnn_model_destroy(m);
}

/* the model file's class weights: each target's loss is its weight times the
 * unweighted one, and the mean divides by the counted targets' weights */
static void modelfile_weights(void)
{
    static const char plain[] = "seqnn 1\ninput features dim=3\ndense out=4\n";
    static const char weighted[] = "seqnn 1\ninput features dim=3\ndense out=4\nloss xent weights=0.5,2,0,1.5\n";
    static const float w[CLASSES] = {0.5f, 2, 0, 1.5f};
    seqnn_model *m[2] = {NULL, NULL};
    float l[2][T * B];
    seqnn_step_result r[2];
    seqnn_batch b = {.seq_len = T, .batch = B, .features = features, .targets = targets};
    for (int k = 0; k < 2; k++) {
        const char *text = k ? weighted : plain;
        if (seqnn_modelfile_parse(text, strlen(text), "mem", NULL, 0, &m[k], NULL) != SEQNN_OK ||
            seqnn_model_build(m[k], ctx, 5) != SEQNN_OK ||
            seqnn_model_evaluate_losses(m[k], &b, &r[k], l[k], T * B) != SEQNN_OK) {
            printf("FAIL weights from a model file: %s\n", seqnn_last_error());
            failures++;
            goto done;
        }
    }
    double sum = 0, wsum = 0;
    for (int i = 0; i < T * B; i++) {
        double want = targets[i] < 0 ? 0 : w[targets[i]] * l[0][i];
        EXPECT(fabs(l[1][i] - want) <= 1e-6 * (1 + fabs(want)), "target %d: weighted loss %g, want %g", i, l[1][i],
               want);
        sum += want;
        wsum += targets[i] < 0 ? 0 : w[targets[i]];
    }
    EXPECT(fabs(r[1].loss - sum / wsum) <= 1e-6, "weighted mean %g, want %g", r[1].loss, sum / wsum);
    static const char bad[] = "seqnn 1\ninput features dim=3\ndense out=4\nloss xent weights=1,-2\n";
    seqnn_model *mb = NULL;
    EXPECT(seqnn_modelfile_parse(bad, sizeof bad - 1, "mem", NULL, 0, &mb, NULL) != SEQNN_OK &&
               strstr(seqnn_last_error(), "mem:4"), "a negative weight: %s", seqnn_last_error());
    seqnn_model_destroy(mb);
done:
    seqnn_model_destroy(m[0]);
    seqnn_model_destroy(m[1]);
}

int main(void)
{
    if (seqnn_context_create("ref", &ctx) != SEQNN_OK) {
        printf("FAIL cannot open the ref plugin: %s\n", seqnn_last_error());
        return 1;
    }
    for (int i = 0; i < T * B * DIM; i++)
        features[i] = (float)sin(0.7 * i + 0.3);
    cosine_and_resume();
    set_lr_keeps_state();
    plateau();
    modelfile_and_losses();
    modelfile_weights();
    seqnn_context_destroy(ctx);
    printf("%s: %d failure%s\n", failures ? "FAIL" : "PASS", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}
