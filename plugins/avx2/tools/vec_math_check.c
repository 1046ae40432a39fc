/* Measures the maximum error of the vector layer's exp, log, log1p, sigmoid
 * and tanh (simd/vec_math.h), and of the recurrent cells' sigmoid and tanh
 * (kernels/cell_math.h), against double-precision libm, over every
 * `stride`-th float of each range (default 1: every float). Prints, per
 * function, the maximum error in ulps of the correctly rounded result and the
 * maximum absolute error. Usage: avx2_vec_math_check [stride] */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "vec.h"
#include "../kernels/cell_math.h"

typedef vf (*vec_fn)(vf);
typedef double (*ref_fn)(double);

static double check_sigmoid_ref(double x) { return 1.0 / (1.0 + exp(-x)); }

static float check_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static uint32_t check_to_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* ulp of the float nearest to r */
static double check_ulp(double r)
{
    float f = (float)fabs(r);
    if (f < FLT_MIN)
        return ldexp(1.0, -149);
    if (isinf(f))
        return ldexp(1.0, 104);
    return (double)nextafterf(f, INFINITY) - (double)f;
}

/* floats in order as integers: negative floats below positive ones */
static int64_t check_ord(float f)
{
    uint32_t u = check_to_bits(f);
    return (u & 0x80000000u) ? -(int64_t)(u & 0x7fffffffu) : (int64_t)u;
}

static float check_unord(int64_t o)
{
    return o < 0 ? check_from_bits((uint32_t)(-o) | 0x80000000u) : check_from_bits((uint32_t)o);
}

/* Every stride-th float in [lo, hi]. */
static void check_range(const char *name, vec_fn fv, ref_fn fr, float lo, float hi, int64_t stride)
{
    double max_ulp = 0, max_abs = 0, x_ulp = 0, x_abs = 0;
    float buf[VW], out[VW];
    uint64_t count = 0;
    int64_t o1 = check_ord(hi);
    for (int64_t o = check_ord(lo); o <= o1;) {
        int nbuf = 0;
        for (; nbuf < VW && o <= o1; o += stride)
            buf[nbuf++] = check_unord(o);
        vf_store(out, fv(vf_load_n(buf, nbuf)));
        for (int i = 0; i < nbuf; i++) {
            double r = fr((double)buf[i]);
            if (isinf(r) && isinf(out[i]) && (r > 0) == (out[i] > 0))
                continue;
            double e = fabs((double)out[i] - r);
            double u = e / check_ulp(r);
            if (!(u <= max_ulp)) { max_ulp = u; x_ulp = buf[i]; }
            if (!(e <= max_abs)) { max_abs = e; x_abs = buf[i]; }
        }
        count += (uint64_t)nbuf;
    }
    printf("%-8s [%g, %g] %llu points: max %.3g ulp (at x = %.9g), max abs %.3g (at x = %.9g)\n", name,
           (double)lo, (double)hi, (unsigned long long)count, max_ulp, x_ulp, max_abs, x_abs);
}

static double check_log1p_ref(double x) { return log1p(x); }

int main(int argc, char **argv)
{
    int64_t stride = argc > 1 ? strtoll(argv[1], NULL, 10) : 1;
    if (stride < 1)
        stride = 1;
    printf("vector layer: %s, %d lanes; stride %lld\n", SIMD_ISA_NAME, VW, (long long)stride);
    check_range("exp", vf_exp, exp, -104.0f, 88.72f, stride);
    check_range("log", vf_log, log, FLT_MIN, FLT_MAX, stride);
    check_range("log1p", vf_log1p_pos, check_log1p_ref, 0.0f, 1e6f, stride);
    check_range("sigmoid", vf_sigmoid, check_sigmoid_ref, -104.0f, 104.0f, stride);
    check_range("tanh", vf_tanh, tanh, -20.0f, 20.0f, stride);
    /* the recurrent cells' versions (kernels/cell_math.h; below -87 the
     * sigmoid stays at about 1.6e-38) */
    check_range("cell_sigmoid", cell_sigmoid, check_sigmoid_ref, -87.0f, 104.0f, stride);
    check_range("cell_tanh", cell_tanh, tanh, -20.0f, 20.0f, stride);
    return 0;
}
