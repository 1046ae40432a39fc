/* seqnn_model_set_state: a two-layer bidirectional tanh RNN given initial
 * states [layers*dirs, B, H] (PyTorch's h0) predicts what a plain C
 * reference started from them computes; the next batch continues from the
 * final states (the model is stateful); reset_state starts from zeros; a
 * missing layer, a NULL h and a batch of another size are refused. A layer
 * with learned initial states (parameter h0 [layers*dirs, H]) starts every
 * sequence from its rows, keeps them through a checkpoint, and refuses given
 * states. On the backend named by argv[1] (default ref). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "seqnn/model.h"

enum { T = 3, B = 2, I = 2, H = 3, L = 2, D = 2 };

static int failures;
#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

/* Parameters in the model's order: per layer and direction w_ih [H, in],
 * w_hh [H, H], b_ih [H], b_hh [H]. */
static float w[L * D][4][H * D * H];

/* One direction of one layer over x [T, B, in] from h0 [B, H]: writes its
 * half of y [T, B, D*H] and the final state into hn. */
static void ref_dir(int u, int dir, const float *x, int in, const float *h0, float *y, float *hn)
{
    float h[B][H];
    memcpy(h, h0, sizeof h);
    for (int s = 0; s < T; s++) {
        int t = dir ? T - 1 - s : s;
        float nh[B][H];
        for (int b = 0; b < B; b++)
            for (int j = 0; j < H; j++) {
                double a = w[u][2][j] + w[u][3][j];
                for (int k = 0; k < in; k++)
                    a += w[u][0][j * in + k] * x[(t * B + b) * in + k];
                for (int k = 0; k < H; k++)
                    a += w[u][1][j * H + k] * h[b][k];
                nh[b][j] = (float)tanh(a);
                y[(t * B + b) * D * H + dir * H + j] = nh[b][j];
            }
        memcpy(h, nh, sizeof h);
    }
    memcpy(hn, h, sizeof h);
}

/* The reference output [T, B, D*H] from h0 [L*D, B, H]; final states into hn. */
static void reference(const float *x, const float *h0, float *out, float *hn)
{
    float y[L][T * B * D * H];
    for (int l = 0; l < L; l++)
        for (int d = 0; d < D; d++)
            ref_dir(l * D + d, d, l ? y[l - 1] : x, l ? D * H : I, h0 + (l * D + d) * B * H, y[l],
                    hn + (l * D + d) * B * H);
    memcpy(out, y[L - 1], sizeof y[L - 1]);
}

static void compare(const char *what, seqnn_model *m, const float *x, const float *want)
{
    float got[T * B * D * H];
    seqnn_batch b = {0};
    b.seq_len = T;
    b.batch = B;
    b.features = x;
    seqnn_status s = seqnn_model_predict(m, &b, got, T * B * D * H);
    EXPECT(s == SEQNN_OK, "%s: predict: %s", what, seqnn_last_error());
    double err = 0;
    for (int i = 0; s == SEQNN_OK && i < T * B * D * H; i++)
        err = fmax(err, fabs(got[i] - want[i]));
    EXPECT(err < 1e-5, "%s: max error %g", what, err);
    printf("%-34s max error %.2e\n", what, err);
}

/* Elements of parameter k of unit u (layer u / D). */
static int64_t param_count(int u, int k)
{
    return k == 0 ? H * (u < D ? I : D * H) : k == 1 ? H * H : H;
}

/* The model of this test (learned: with learned initial states), built. */
static seqnn_model *make_model(seqnn_context *ctx, int learned)
{
    seqnn_model *m = NULL;
    if (seqnn_model_create(&m) || seqnn_model_input_features(m, I) || seqnn_model_add_rnn(m, "rnn", H, L, 1, 0) ||
        (learned && seqnn_model_set_learned_state(m, "rnn")) || seqnn_model_build(m, ctx, 1)) {
        printf("FAIL model: %s\n", seqnn_last_error());
        seqnn_model_destroy(m);
        return NULL;
    }
    for (int u = 0; u < L * D; u++)
        for (int k = 0; k < 4; k++)
            EXPECT(seqnn_model_param_write(m, u * 4 + k, w[u][k], param_count(u, k)) == SEQNN_OK, "write %d",
                   u * 4 + k);
    return m;
}

/* Learned states: parameter rnn.h0 [L*D, H] broadcast over the batch, the
 * next batch from the final states while stateful, a checkpoint round trip
 * and the refusals. */
static void learned(seqnn_context *ctx, const float *x, const float *x2)
{
    seqnn_model *m = make_model(ctx, 1), *m2 = make_model(ctx, 1);
    if (!m || !m2)
        return;
    seqnn_param_info pi;
    EXPECT(seqnn_model_param_count(m) == L * D * 4 + 1 && seqnn_model_param(m, L * D * 4, &pi) == SEQNN_OK &&
               !strcmp(pi.name, "rnn.h0") && pi.count == L * D * H, "the parameter rnn.h0 [%d, %d]", L * D, H);
    float rows[L * D * H], h0[L * D * B * H], hn[L * D * B * H], hn2[L * D * B * H], want[T * B * D * H];
    EXPECT(seqnn_model_param_read(m, L * D * 4, rows, L * D * H) == SEQNN_OK, "read h0");
    for (int i = 0; i < L * D * H; i++) {
        EXPECT(rows[i] == 0, "h0[%d] = %g, zeros at first", i, rows[i]);
        rows[i] = (float)(0.7 * cos(1.9 * i + 0.2));
    }
    EXPECT(seqnn_model_param_write(m, L * D * 4, rows, L * D * H) == SEQNN_OK, "write h0");
    for (int u = 0; u < L * D; u++)      /* h0.expand(L*D, B, H) */
        for (int b = 0; b < B; b++)
            memcpy(h0 + (u * B + b) * H, rows + u * H, H * sizeof *rows);
    reference(x, h0, want, hn);
    compare("learned: from h0 over the batch", m, x, want);
    EXPECT(seqnn_model_set_stateful(m, 1) == SEQNN_OK, "stateful");
    compare("learned, stateful: first batch", m, x, want);
    reference(x2, hn, want, hn2);
    compare("learned, stateful: next batch", m, x2, want);
    const char *ck = "test_set_state_learned.safetensors";
    EXPECT(seqnn_model_save(m, ck, 0, NULL) == SEQNN_OK, "save: %s", seqnn_last_error());
    EXPECT(seqnn_model_load(m2, ck) == SEQNN_OK, "load: %s", seqnn_last_error());
    remove(ck);
    reference(x, h0, want, hn);
    compare("learned: after a checkpoint", m2, x, want);
    EXPECT(seqnn_model_set_state(m2, "rnn", B, h0, NULL) == SEQNN_ERR_INVALID_ARG &&
               strstr(seqnn_last_error(), "learns its initial states"), "set_state refused: %s", seqnn_last_error());
    EXPECT(seqnn_model_set_learned_state(m2, "rnn") == SEQNN_ERR_INVALID_ARG, "set_learned_state after build");
    seqnn_model_destroy(m);
    seqnn_model_destroy(m2);
    EXPECT(seqnn_model_create(&m) == SEQNN_OK && seqnn_model_input_features(m, I) == SEQNN_OK &&
               seqnn_model_add_dense(m, "d", 2) == SEQNN_OK &&
               seqnn_model_set_learned_state(m, NULL) == SEQNN_ERR_INVALID_ARG &&
               seqnn_model_set_learned_state(m, "d") == SEQNN_ERR_INVALID_ARG,
           "no recurrent layer: refused");
    seqnn_model_destroy(m);
}

int main(int argc, char **argv)
{
    seqnn_context *ctx = NULL;
    seqnn_model *m = NULL;
    if (seqnn_context_create(argc > 1 ? argv[1] : "ref", &ctx) != SEQNN_OK) {
        printf("skipped: %s\n", seqnn_last_error());
        return 77;
    }
    for (int u = 0; u < L * D; u++)
        for (int k = 0; k < 4; k++)
            for (int64_t e = 0; e < param_count(u, k); e++)
                w[u][k][e] = (float)(0.6 * sin(1.7 * (double)((u * 4 + k) * 31 + e) + 0.3));
    if (!(m = make_model(ctx, 0)))
        return 1;
    float x[T * B * I], x2[T * B * I], h0[L * D * B * H], zeros[L * D * B * H], hn[L * D * B * H];
    float want[T * B * D * H], hn2[L * D * B * H];
    for (int i = 0; i < T * B * I; i++) {
        x[i] = (float)cos(0.9 * i);
        x2[i] = (float)sin(1.3 * i + 1);
    }
    for (int i = 0; i < L * D * B * H; i++) {
        h0[i] = (float)(0.8 * sin(2.1 * i + 0.5));
        zeros[i] = 0;
    }
    EXPECT(seqnn_model_set_state(m, "rnn", B, h0, NULL) == SEQNN_OK, "set_state: %s", seqnn_last_error());
    reference(x, h0, want, hn);
    compare("from the given states", m, x, want);
    reference(x2, hn, want, hn2);
    compare("the next batch, from its final states", m, x2, want);
    EXPECT(seqnn_model_reset_state(m) == SEQNN_OK, "reset");
    reference(x, zeros, want, hn);
    compare("after reset_state, from zeros", m, x, want);
    EXPECT(seqnn_model_set_state(m, NULL, B, h0, NULL) == SEQNN_OK, "set_state(NULL layer)");
    reference(x, h0, want, hn);
    compare("layer NULL: the first recurrent one", m, x, want);
    EXPECT(seqnn_model_set_state(m, "nope", B, h0, NULL) == SEQNN_ERR_INVALID_ARG &&
               strstr(seqnn_last_error(), "nope"), "an unknown layer: %s", seqnn_last_error());
    EXPECT(seqnn_model_set_state(m, "rnn", B, NULL, NULL) == SEQNN_ERR_INVALID_ARG, "h NULL");
    EXPECT(seqnn_model_set_state(m, "rnn", 0, h0, NULL) == SEQNN_ERR_INVALID_ARG, "batch 0");
    static const float more[L * D * (B + 1) * H];
    EXPECT(seqnn_model_set_state(m, "rnn", B + 1, more, NULL) == SEQNN_OK, "set_state B+1");
    float y[T * B * D * H];
    seqnn_batch b = {0};
    b.seq_len = T;
    b.batch = B;
    b.features = x;
    EXPECT(seqnn_model_predict(m, &b, y, T * B * D * H) == SEQNN_ERR_INVALID_ARG,
           "a batch of another size than the state's is refused");
    seqnn_model_destroy(m);
    learned(ctx, x, x2);
    seqnn_context_destroy(ctx);
    printf("%d failure(s)\n", failures);
    return failures != 0;
}
