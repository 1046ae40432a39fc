/* seqnn_model_set_state: a two-layer bidirectional tanh RNN given initial
 * states [layers*dirs, B, H] (PyTorch's h0) predicts what a plain C
 * reference started from them computes; the next batch continues from the
 * final states (the model is stateful); reset_state starts from zeros; a
 * missing layer, a NULL h and a batch of another size are refused. On the
 * backend named by argv[1] (default ref). */
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

int main(int argc, char **argv)
{
    seqnn_context *ctx = NULL;
    seqnn_model *m = NULL;
    if (seqnn_context_create(argc > 1 ? argv[1] : "ref", &ctx) != SEQNN_OK) {
        printf("skipped: %s\n", seqnn_last_error());
        return 77;
    }
    if (seqnn_model_create(&m) || seqnn_model_input_features(m, I) || seqnn_model_add_rnn(m, "rnn", H, L, 1, 0) ||
        seqnn_model_build(m, ctx, 1)) {
        printf("FAIL model: %s\n", seqnn_last_error());
        return 1;
    }
    for (int u = 0; u < L * D; u++)
        for (int k = 0; k < 4; k++) {
            int64_t i = u * 4 + k;
            seqnn_param_info pi;
            seqnn_model_param(m, i, &pi);
            for (int64_t e = 0; e < pi.count; e++)
                w[u][k][e] = (float)(0.6 * sin(1.7 * (double)(i * 31 + e) + 0.3));
            EXPECT(seqnn_model_param_write(m, i, w[u][k], pi.count) == SEQNN_OK, "write %s", pi.name);
        }
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
    seqnn_context_destroy(ctx);
    printf("%d failure(s)\n", failures);
    return failures != 0;
}
