/* NaN and infinity cases of kernels whose other cases live in files of
 * their own family: maxpool_forward's rule (a NaN counts as the maximum, the
 * first NaN wins; docs/kernels/conv.md), called from cf_test_maxpool_forward. */
#include <math.h>
#include "conformance.h"

/* Rows of [B=2, C=3, L=4] with the expected (value, argmax) in the comment,
 * then B=2, C=19, L=37 (a vector of channels and a tail) with NaN and
 * infinities planted in some rows; x dense [B, C, L], y dense [B, C]. Each
 * shape runs twice: x read as [B, C, L] (unit stride over time) and the
 * same values stored time-major [L, B, C] (stride B*C over time, the layout
 * of a conv bank over a [T, B, E] sequence). */
void cf_nan_maxpool_forward(cf_run *r)
{
    static const double rows[6][4] = {
        {0.5, NAN, 0.25, 0.75},                 /* NaN, 1 */
        {NAN, 1, NAN, 2},                       /* NaN, 0 */
        {1, 2, NAN, NAN},                       /* NaN, 2 */
        {-INFINITY, -INFINITY, -INFINITY, -INFINITY},   /* -Inf, 0 */
        {1, INFINITY, 3, INFINITY},             /* +Inf, 1 */
        {-INFINITY, 0.5, NAN, INFINITY},        /* NaN, 2 */
    };
    static const struct { int64_t channels, len; } shapes[] = {{3, 4}, {19, 37}};
    for (int i = 0; i < 4; i++) {
        const int64_t B = 2, C = shapes[i % 2].channels, L = shapes[i % 2].len;
        const int time_major = i >= 2;
        double x[2 * 19 * 37], xt[2 * 19 * 37];
        seqnn_maxpool_args a = {0};
        cf_tensor *y;
        cf_begin(r, "B=%lld C=%lld L=%lld %s NaN and infinities", (long long)B, (long long)C, (long long)L,
                 time_major ? "time-major" : "dense");
        for (int64_t row = 0; row < B * C; row++)
            for (int64_t l = 0; l < L; l++)
                x[row * L + l] = L == 4 ? rows[row][l] : cf_uniform(r, -1, 1);
        if (L != 4) {
            /* NaN late, two NaNs, NaN at 0, +Inf before a NaN, -Inf rows */
            x[1 * L + 36] = NAN;
            x[4 * L + 20] = NAN;
            x[4 * L + 9] = NAN;
            x[8 * L + 0] = NAN;
            x[17 * L + 5] = INFINITY;
            x[17 * L + 30] = NAN;
            x[20 * L + 11] = INFINITY;
            for (int64_t l = 0; l < L; l++)
                x[37 * L + l] = -INFINITY;
        }
        a.batch = B;
        a.channels = C;
        a.len = L;
        for (int64_t row = 0; row < B * C; row++)    /* row = b*C + c */
            for (int64_t l = 0; l < L; l++)
                xt[l * B * C + row] = x[row * L + l];
        a.x = cf_ref(cf_in_values(r, "x", B * C * L, time_major ? xt : x));
        a.x_sb = time_major ? C : C * L;
        a.x_sc = time_major ? 1 : L;
        a.x_sl = time_major ? B * C : 1;
        y = cf_out(r, "y", B * C);
        cf_set_nonfinite(r, y);
        a.y = cf_ref(y);
        a.y_sb = C;
        a.y_sc = 1;
        a.argmax = cf_ref(cf_out_int(r, "argmax", B * C));
        cf_check(r, SEQNN_KERNEL_maxpool_forward, &a, 1);   /* a max is exact */
        cf_end(r);
    }
}
