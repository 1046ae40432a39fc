/* Tree layers against their equations: a host evaluation in double of the
 * documented cells (include/seqnn/model.h, seqnn_model_add_tree) over the
 * same trees, for both cells and both outputs, on batches mixing given trees
 * (left-branching, right-branching, random) with balanced ones and lengths
 * from 1 to T; on every plugin that runs here (the gradients are checked in
 * tests/test_model_grad.c). Budget: |y - y_host| <= 1e-5 + 1e-4 |y_host|; a
 * float32 evaluation of these few sums (k <= 2H + 1 = 13) through tanh and
 * sigmoid stays near 1e-6, and a swapped gate or child is off by ~1e-1.
 * Also: bad trees and empty sequences are refused naming the sequence and
 * node, and a refused batch leaves the model usable. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/model.h"
#include "tree_shapes.h"

#define T 7
#define B 6
#define E 3
#define H 4
#define P (2 * (T - 1))

static int failures;
#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } } while (0)

static uint64_t rng = 88172645463325252ull;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

/* A batch: lengths 7, 1, 5, 6, 2, 7 and trees: left-branching, (none), random,
 * right-branching, balanced (-1), random. */
static const int32_t lengths[B] = {7, 1, 5, 6, 2, 7};
static int32_t trees[B * P];
static float x[T * B * E];

static void make_batch(void)
{
    for (int i = 0; i < T * B * E; i++)
        x[i] = (float)(2 * urand() - 1);
    for (int b = 0; b < B; b++) {
        int32_t *row = trees + b * P, n = lengths[b], k = 0;
        for (int i = 0; i < P; i++)
            row[i] = -1;
        if (n < 2 || b == 4)
            continue;
        for (int32_t j = 0; j < n - 1; j++) {
            if (b == 0) {                /* ((((0 1) 2) 3) ...) */
                row[2 * j] = j ? n + j - 1 : 0;
                row[2 * j + 1] = j + 1;
            } else if (b == 3) {         /* (0 (1 (2 ... (n-2 n-1)))) */
                row[2 * j] = n - 2 - j;
                row[2 * j + 1] = j ? n + j - 1 : n - 1;
            }
        }
        if (b == 2 || b == 5)
            tree_make(0, n, n, row, &k, tree_split_random, urand);
    }
}

/* One cell, in double: g = W in + b over G blocks; the node's h, c. */
static void cell(int lstm, const float *w, const float *bias, int64_t in_n, const double *in, int nf,
                 const double *cc, double *h, double *c)
{
    int G = lstm ? nf + 3 : 1;
    double g[5][H];
    for (int k = 0; k < G; k++)
        for (int j = 0; j < H; j++) {
            double s = bias[k * H + j];
            for (int64_t i = 0; i < in_n; i++)
                s += (double)w[(k * H + j) * in_n + i] * in[i];
            g[k][j] = s;
        }
    for (int j = 0; j < H; j++) {
        if (!lstm) {
            h[j] = tanh(g[0][j]);
            continue;
        }
        double cj = sig(g[0][j]) * tanh(g[G - 1][j]);
        for (int f = 0; f < nf; f++)
            cj += sig(g[1 + f][j]) * cc[f * H + j];
        c[j] = cj;
        h[j] = sig(g[G - 2][j]) * tanh(cj);
    }
}

/* The expected output: [B, H] roots, or [T*B, 2H] nodes. */
static void host_forward(int lstm, int nodes, float *const *prm, double *y)
{
    int64_t rows = nodes ? T * B : B, cols = nodes ? 2 * H : H;
    memset(y, 0, sizeof(double) * (size_t)(rows * cols));
    for (int b = 0; b < B; b++) {
        int32_t n = lengths[b], own[P], k = 0;
        const int32_t *pr = trees + b * P;
        if (n > 1 && pr[0] == -1) {
            tree_make(0, n, n, own, &k, tree_split_balanced, urand);
            pr = own;
        }
        double h[2 * T][H], c[2 * T][H], split[T];
        int32_t hi[2 * T];
        for (int t = 0; t < n; t++) {
            double in[E];
            for (int i = 0; i < E; i++)
                in[i] = x[(t * B + b) * E + i];
            cell(lstm, prm[0], prm[1], E, in, 0, NULL, h[t], c[t]);
            hi[t] = t + 1;
        }
        for (int32_t j = 0; j < n - 1; j++) {
            int32_t l = pr[2 * j], r = pr[2 * j + 1];
            double in[2 * H], cc[2 * H];
            for (int i = 0; i < H; i++) {
                in[i] = h[l][i];
                in[H + i] = h[r][i];
                cc[i] = c[l][i];
                cc[H + i] = c[r][i];
            }
            cell(lstm, prm[2], prm[3], 2 * H, in, 2, cc, h[n + j], c[n + j]);
            hi[n + j] = hi[r];
            split[hi[l] - 1] = n + j;
        }
        for (int i = 0; i < H && !nodes; i++)
            y[b * H + i] = h[2 * n - 2][i];
        for (int t = 0; t < n && nodes; t++)
            for (int i = 0; i < H; i++) {
                y[(t * B + b) * 2 * H + i] = h[t][i];
                if (t < n - 1)
                    y[(t * B + b) * 2 * H + H + i] = h[(int)split[t]][i];
            }
    }
}

static seqnn_model *tree_model(seqnn_context *ctx, seqnn_tree_cell c, int nodes)
{
    seqnn_model *m = NULL;
    seqnn_tree_desc d = {.cell = c, .hidden = H, .nodes = nodes};
    if (seqnn_model_create(&m) || seqnn_model_input_features(m, E) || seqnn_model_add_tree(m, NULL, &d) ||
        seqnn_model_set_loss(m, SEQNN_LOSS_MSE) || seqnn_model_build(m, ctx, 3)) {
        printf("FAIL building the tree model: %s\n", seqnn_last_error());
        failures++;
        seqnn_model_destroy(m);
        return NULL;
    }
    return m;
}

static void check_forward(seqnn_context *ctx, const char *plugin, seqnn_tree_cell c, int nodes)
{
    seqnn_model *m = tree_model(ctx, c, nodes);
    if (!m)
        return;
    float *prm[4];
    for (int64_t i = 0; i < 4; i++) {
        seqnn_param_info info;
        seqnn_model_param(m, i, &info);
        prm[i] = malloc(sizeof(float) * (size_t)info.count);
        for (int64_t j = 0; j < info.count; j++)
            prm[i][j] = (float)(urand() - 0.5);
        seqnn_model_param_write(m, i, prm[i], info.count);
    }
    int64_t count = nodes ? T * B * 2 * H : B * H;
    float *y = malloc(sizeof(float) * (size_t)count);
    double *want = malloc(sizeof(double) * (size_t)count), worst = 0;
    seqnn_batch b = {.seq_len = T, .batch = B, .features = x, .lengths = lengths, .trees = trees};
    seqnn_status s = seqnn_model_predict(m, &b, y, count);
    EXPECT(s == SEQNN_OK, "%s: predict: %s", plugin, seqnn_last_error());
    host_forward(c == SEQNN_TREE_LSTM, nodes, prm, want);
    for (int64_t i = 0; i < count && s == SEQNN_OK; i++) {
        double e = fabs(y[i] - want[i]) / (1e-5 + 1e-4 * fabs(want[i]));
        worst = e > worst || isnan(e) ? e : worst;
    }
    EXPECT(s == SEQNN_OK && worst <= 1, "%s: %s %s: output off the host's by %.3g of the budget", plugin,
           c == SEQNN_TREE_LSTM ? "lstm" : "tanh", nodes ? "nodes" : "root", worst);
    printf("%s: tree %s, %s output: matches the host evaluation (%.3f of the budget)\n", plugin,
           c == SEQNN_TREE_LSTM ? "lstm" : "tanh", nodes ? "nodes" : "root", worst);
    for (int i = 0; i < 4; i++)
        free(prm[i]);
    free(y);
    free(want);
    seqnn_model_destroy(m);
}

/* A corrupted tree is refused with a message naming what; the model still works. */
static void check_refusals(seqnn_context *ctx)
{
    seqnn_model *m = tree_model(ctx, SEQNN_TREE_TANH, 0);
    if (!m)
        return;
    static const struct {
        int b, at;
        int32_t value;
        const char *needle;
    } bad[] = {
        {0, 1, 9, "outside [0, 7)"},     /* node 7's right child: an internal node not yet made */
        {0, 3, 1, "a child twice"},      /* node 8 takes leaf 1 again */
        {0, 1, 2, "not adjacent"},       /* node 7 = (0 2) */
        {3, 0, -2, "outside"},
    };
    float y[B * H];
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int32_t keep = trees[bad[k].b * P + bad[k].at];
        trees[bad[k].b * P + bad[k].at] = bad[k].value;
        seqnn_batch b = {.seq_len = T, .batch = B, .features = x, .lengths = lengths, .trees = trees};
        seqnn_status s = seqnn_model_predict(m, &b, y, B * H);
        EXPECT(s == SEQNN_ERR_INVALID_ARG && strstr(seqnn_last_error(), bad[k].needle) &&
                   strstr(seqnn_last_error(), "sequence"),
               "bad tree %zu: %s", k, seqnn_last_error());
        trees[bad[k].b * P + bad[k].at] = keep;
    }
    int32_t empty[B] = {7, 0, 5, 6, 2, 7};
    seqnn_batch b = {.seq_len = T, .batch = B, .features = x, .lengths = empty, .trees = trees};
    EXPECT(seqnn_model_predict(m, &b, y, B * H) == SEQNN_ERR_INVALID_ARG &&
               strstr(seqnn_last_error(), "sequence 1 is empty"), "empty sequence: %s", seqnn_last_error());
    b.lengths = lengths;
    EXPECT(seqnn_model_predict(m, &b, y, B * H) == SEQNN_OK, "after refusals: %s", seqnn_last_error());
    seqnn_model_destroy(m);

    seqnn_tree_desc d = {.cell = SEQNN_TREE_LSTM, .hidden = H};
    m = NULL;
    seqnn_model_create(&m);
    seqnn_model_input_tokens(m, 5);
    seqnn_model_add_embedding(m, NULL, 3, -1);
    seqnn_model_add_tree(m, NULL, &d);
    seqnn_model_begin_decoder(m, 5);
    seqnn_model_add_embedding(m, "e2", 4, -1);
    seqnn_model_add_dense(m, NULL, 5);
    EXPECT(seqnn_model_build(m, ctx, 1) == SEQNN_ERR_INVALID_ARG && strstr(seqnn_last_error(), "decoder"),
           "tree in an encoder-decoder model: %s", seqnn_last_error());
    seqnn_model_destroy(m);
    d.hidden = 0;
    m = NULL;
    seqnn_model_create(&m);
    seqnn_model_input_features(m, 3);
    EXPECT(seqnn_model_add_tree(m, NULL, &d) == SEQNN_ERR_INVALID_ARG && strstr(seqnn_last_error(), "hidden"),
           "hidden 0: %s", seqnn_last_error());
    seqnn_model_destroy(m);
    printf("ref: bad trees, empty sequences, a decoder and hidden 0 refused\n");
}

int main(void)
{
    static const char *plugins[] = {"ref", "avx2", "avx512", "opencl"};
    make_batch();
    for (size_t p = 0; p < sizeof plugins / sizeof plugins[0]; p++) {
        seqnn_context *ctx;
        if (seqnn_context_create(plugins[p], &ctx) != SEQNN_OK) {
            if (p == 0) {
                printf("FAIL cannot open ref: %s\n", seqnn_last_error());
                return 1;
            }
            printf("%s cannot run here (%s): skipped\n", plugins[p], seqnn_last_error());
            continue;
        }
        for (int c = 0; c < SEQNN_TREE_CELL_COUNT; c++)
            for (int nodes = 0; nodes < 2; nodes++)
                check_forward(ctx, plugins[p], (seqnn_tree_cell)c, nodes);
        if (p == 0)
            check_refusals(ctx);
        seqnn_context_destroy(ctx);
    }
    printf("%s: %d failure%s\n", failures ? "FAIL" : "PASS", failures, failures == 1 ? "" : "s");
    return failures ? 1 : 0;
}
