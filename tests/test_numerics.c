/* SEQNN_CHECK_NUMERICS=1: the first kernel that turns a finite element of a
 * float tensor it touches into NaN or infinity fails with SEQNN_ERR_NUMERIC,
 * naming itself and the tensor; elements that were non-finite before the call
 * are not blamed on it, and without the variable nothing is checked. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/seqnn.h"

static int failures;

static void expect(int cond, const char *what)
{
    printf("%s: %s\n", cond ? "ok" : "FAIL", what);
    failures += !cond;
}

/* z = x + y over 4 elements where x holds `big` values. */
static seqnn_status run_add(seqnn_context *ctx, float big, float *z_out)
{
    seqnn_buffer *x, *y, *z;
    float xv[4] = {1, big, 2, 3}, yv[4] = {1, big, 1, 1};
    seqnn_status s = seqnn_buffer_alloc(ctx, SEQNN_F32, 4, &x);
    s = s ? s : seqnn_buffer_alloc(ctx, SEQNN_F32, 4, &y);
    s = s ? s : seqnn_buffer_alloc(ctx, SEQNN_F32, 4, &z);
    if (s)
        return s;
    seqnn_buffer_write(ctx, x, 0, xv, 4);
    seqnn_buffer_write(ctx, y, 0, yv, 4);
    seqnn_buffer_fill(ctx, z, 0, 4, 0.0);
    seqnn_ew_args a = {.n = 4, .alpha = 1, .beta = 1, .x = seqnn_at(x, 0), .y = seqnn_at(y, 0), .z = seqnn_at(z, 0)};
    s = seqnn_add(ctx, &a);
    seqnn_buffer_read(ctx, z, 0, z_out, 4);
    seqnn_buffer_free(ctx, x);
    seqnn_buffer_free(ctx, y);
    seqnn_buffer_free(ctx, z);
    return s;
}

int main(void)
{
    float z[4];
    seqnn_context *ctx;
    unsetenv("SEQNN_CHECK_NUMERICS");
    if (seqnn_context_create("ref", &ctx)) {
        fprintf(stderr, "%s\n", seqnn_last_error());
        return 1;
    }
    expect(run_add(ctx, 3e38f, z) == SEQNN_OK && isinf(z[1]), "unchecked: an overflow passes");
    seqnn_context_destroy(ctx);

    setenv("SEQNN_CHECK_NUMERICS", "1", 1);
    if (seqnn_context_create("ref", &ctx)) {
        fprintf(stderr, "%s\n", seqnn_last_error());
        return 1;
    }
    expect(run_add(ctx, 1.0f, z) == SEQNN_OK, "checked: finite results pass");
    seqnn_status s = run_add(ctx, 3e38f, z);
    const char *msg = seqnn_last_error();
    expect(s == SEQNN_ERR_NUMERIC, "checked: an overflow fails with SEQNN_ERR_NUMERIC");
    expect(strstr(msg, "add") && strstr(msg, "'z'") && strstr(msg, "infinity") && strstr(msg, "element 1"),
           "the message names the kernel, the tensor and the element");
    printf("  message: %s\n", msg);
    /* A NaN the host wrote into x is not x's fault; z turning NaN is reported, naming z. */
    s = run_add(ctx, NAN, z);
    expect(s == SEQNN_ERR_NUMERIC && strstr(seqnn_last_error(), "'z'") && !strstr(seqnn_last_error(), "'x'"),
           "checked: a NaN input is reported where it first reaches an output");
    seqnn_context_destroy(ctx);
    return failures != 0;
}
