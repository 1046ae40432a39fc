/* Bad input through the public API: every case gets a status and a message
 * naming the argument, nothing crashes, and nothing is written. Runs on the
 * reference plugin. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "seqnn/seqnn.h"

static int failures;

#define EXPECT(cond, ...) do { if (!(cond)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); \
    printf(__VA_ARGS__); printf("\n"); } else { printf("ok   "); printf(__VA_ARGS__); printf("\n"); } } while (0)

/* The call must fail with `want` and a message containing `needle`. */
static void expect_error(seqnn_status got, seqnn_status want, const char *needle, const char *what)
{
    const char *msg = seqnn_last_error();
    EXPECT(got == want && strstr(msg, needle) != NULL, "%s -> %s \"%s\"", what, seqnn_status_name(got), msg);
}

int main(void)
{
    seqnn_context *ctx = NULL;
    seqnn_status s = seqnn_context_create("ref", &ctx);
    if (s != SEQNN_OK) {
        printf("FAIL cannot open the ref plugin: %s\n", seqnn_last_error());
        return 1;
    }
    seqnn_buffer *a, *b, *c, *idx;
    seqnn_buffer_alloc(ctx, SEQNN_F32, 12, &a);
    seqnn_buffer_alloc(ctx, SEQNN_F32, 12, &b);
    seqnn_buffer_alloc(ctx, SEQNN_F32, 9, &c);
    seqnn_buffer_alloc(ctx, SEQNN_I32, 4, &idx);
    float ones[12], sentinel[9];
    for (int i = 0; i < 12; i++) ones[i] = 1.0f;
    for (int i = 0; i < 9; i++) sentinel[i] = -7.0f;
    seqnn_buffer_write(ctx, a, 0, ones, 12);
    seqnn_buffer_write(ctx, b, 0, ones, 12);
    seqnn_buffer_write(ctx, c, 0, sentinel, 9);

    seqnn_gemm_args g;
    memset(&g, 0, sizeof g);
    g.m = 3; g.n = 3; g.k = 4; g.alpha = 1; g.beta = 0; g.batch = 1;
    g.a = seqnn_at(a, 0); g.lda = 4;
    g.b = seqnn_at(b, 0); g.ldb = 3;
    g.c = seqnn_at(c, 0); g.ldc = 3;

    expect_error(seqnn_gemm(NULL, &g), SEQNN_ERR_INVALID_ARG, "NULL context", "gemm with NULL context");
    expect_error(seqnn_gemm(ctx, NULL), SEQNN_ERR_INVALID_ARG, "args is NULL", "gemm with NULL args");
    seqnn_gemm_args bad = g;
    bad.c.buf = NULL;
    expect_error(seqnn_gemm(ctx, &bad), SEQNN_ERR_INVALID_ARG, "c: required", "gemm without C");
    bad = g;
    bad.c = seqnn_at(c, 1);
    expect_error(seqnn_gemm(ctx, &bad), SEQNN_ERR_INVALID_ARG, "c: needs 9 elements from offset 1", "C offset past the end");
    bad = g;
    bad.k = 5;
    expect_error(seqnn_gemm(ctx, &bad), SEQNN_ERR_INVALID_ARG, "gemm: ", "k larger than A's row stride allows");
    bad = g;
    bad.m = -1;
    expect_error(seqnn_gemm(ctx, &bad), SEQNN_ERR_INVALID_ARG, "m", "negative m");
    bad = g;
    bad.flags = 0x80;
    expect_error(seqnn_gemm(ctx, &bad), SEQNN_ERR_INVALID_ARG, "flags: unknown bits 0x80", "unknown flags");
    bad = g;
    bad.a = seqnn_at(idx, 0);
    expect_error(seqnn_gemm(ctx, &bad), SEQNN_ERR_INVALID_ARG, "holds int32", "int buffer where floats are needed");

    /* nothing was written by any failed call */
    float got[9];
    seqnn_buffer_read(ctx, c, 0, got, 9);
    EXPECT(memcmp(got, sentinel, sizeof got) == 0, "failed calls left C untouched");

    /* buffer API misuse */
    expect_error(seqnn_buffer_write(ctx, c, 5, ones, 5), SEQNN_ERR_INVALID_ARG, "outside the buffer", "write past the end");
    expect_error(seqnn_buffer_read(ctx, c, -1, got, 1), SEQNN_ERR_INVALID_ARG, "outside the buffer", "negative offset read");
    seqnn_buffer *unused = NULL;
    expect_error(seqnn_buffer_alloc(ctx, SEQNN_F64, 4, &unused), SEQNN_ERR_INVALID_ARG, "dtype", "float64 buffer");
    expect_error(seqnn_buffer_alloc(ctx, SEQNN_F32, -3, &unused), SEQNN_ERR_INVALID_ARG, "bad count", "negative count");
    expect_error(seqnn_buffer_copy(ctx, c, 0, idx, 0, 2), SEQNN_ERR_INVALID_ARG, "different types", "copy float <- int");

    /* a buffer of another context */
    seqnn_context *other = NULL;
    seqnn_buffer *foreign = NULL;
    if (seqnn_context_create("ref", &other) == SEQNN_OK && seqnn_buffer_alloc(other, SEQNN_F32, 12, &foreign) == SEQNN_OK) {
        bad = g;
        bad.a = seqnn_at(foreign, 0);
        expect_error(seqnn_gemm(ctx, &bad), SEQNN_ERR_INVALID_ARG, "another context", "buffer of another context");
        seqnn_buffer_free(other, foreign);
    }
    seqnn_context_destroy(other);

    /* a kernel-detected data error: an embedding index out of range */
    int32_t ids[4] = {0, 1, 7, 2};
    seqnn_buffer_write(ctx, idx, 0, ids, 4);
    seqnn_embedding_args e;
    memset(&e, 0, sizeof e);
    e.n = 4; e.vocab = 3; e.dim = 2; e.padding_idx = -1;
    e.idx = seqnn_at(idx, 0); e.weight = seqnn_at(a, 0); e.y = seqnn_at(c, 0); e.ldy = 2;
    expect_error(seqnn_embedding_forward(ctx, &e), SEQNN_ERR_INVALID_ARG, "7", "embedding index out of range");
    seqnn_buffer_read(ctx, c, 0, got, 9);
    EXPECT(memcmp(got, sentinel, sizeof got) == 0, "the failed embedding left its output untouched");

    /* unknown backends */
    seqnn_context *none = NULL;
    expect_error(seqnn_context_create("nosuchplugin", &none), SEQNN_ERR_NOT_FOUND, "no plugin named 'nosuchplugin'", "unknown plugin");
    EXPECT(none == NULL, "no context returned for an unknown plugin");
    expect_error(seqnn_context_create("/nonexistent/libseqnn-x.so", &none), SEQNN_ERR_NOT_FOUND, "cannot stat", "missing plugin file");

    /* a valid call works after all that */
    s = seqnn_gemm(ctx, &g);
    seqnn_buffer_read(ctx, c, 0, got, 9);
    EXPECT(s == SEQNN_OK && got[0] == 4.0f && got[8] == 4.0f, "valid gemm afterwards gives 4");

    seqnn_buffer_free(ctx, a);
    seqnn_buffer_free(ctx, b);
    seqnn_buffer_free(ctx, c);
    seqnn_buffer_free(ctx, idx);
    seqnn_context_destroy(ctx);
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}
