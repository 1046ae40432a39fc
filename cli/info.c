/* `seqnn info`: every plugin file found (loaded with its version, description
 * and how many kernels of the catalogue it has, complete or partial; or
 * rejected, and why), every device with its score, which device would be
 * chosen and why, and a smoke test (a small GEMM checked against a host
 * computation) on each device whose plugin has GEMM. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "seqnn/plugin.h"
#include "seqnn/seqnn.h"

static const char *kind_name(int kind)
{
    switch (kind) {
    case SEQNN_DEVICE_GPU: return "GPU";
    case SEQNN_DEVICE_ACCELERATOR: return "accelerator";
    default: return "CPU";
    }
}

/* C[2x3] = A[2x4] * B[4x3] on the device, compared with the host: 1 right,
 * 0 wrong or failed, -1 not run (a partial plugin without gemm). */
static int smoke(seqnn_registry *reg, int64_t device, char *why, size_t why_size)
{
    seqnn_context *ctx;
    if (seqnn_context_open(reg, device, &ctx) != SEQNN_OK) {
        snprintf(why, why_size, "%s", seqnn_last_error());
        return 0;
    }
    if (!seqnn_kernel_available(ctx, SEQNN_KERNEL_gemm)) {
        snprintf(why, why_size, "the plugin has no gemm kernel");
        seqnn_context_destroy(ctx);
        return -1;
    }
    float a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[12] = {1, 0, -1, 2, 1, 0, 0.5f, 3, 1, -2, 1, 4}, c[6], want[6];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) {
            want[i * 3 + j] = 0;
            for (int k = 0; k < 4; k++)
                want[i * 3 + j] += a[i * 4 + k] * b[k * 3 + j];
        }
    seqnn_buffer *ba = NULL, *bb = NULL, *bc = NULL;
    int ok = seqnn_buffer_alloc(ctx, SEQNN_F32, 8, &ba) == SEQNN_OK &&
             seqnn_buffer_alloc(ctx, SEQNN_F32, 12, &bb) == SEQNN_OK &&
             seqnn_buffer_alloc(ctx, SEQNN_F32, 6, &bc) == SEQNN_OK &&
             seqnn_buffer_write(ctx, ba, 0, a, 8) == SEQNN_OK && seqnn_buffer_write(ctx, bb, 0, b, 12) == SEQNN_OK;
    if (ok) {
        seqnn_gemm_args g;
        memset(&g, 0, sizeof g);
        g.m = 2; g.n = 3; g.k = 4; g.alpha = 1; g.beta = 0; g.batch = 1;
        g.a = seqnn_at(ba, 0); g.lda = 4;
        g.b = seqnn_at(bb, 0); g.ldb = 3;
        g.c = seqnn_at(bc, 0); g.ldc = 3;
        ok = seqnn_gemm(ctx, &g) == SEQNN_OK && seqnn_buffer_read(ctx, bc, 0, c, 6) == SEQNN_OK;
    }
    if (!ok)
        snprintf(why, why_size, "%s", seqnn_last_error());
    for (int i = 0; ok && i < 6; i++)
        if (!(fabsf(c[i] - want[i]) <= 1e-5f * (1 + fabsf(want[i])))) {
            snprintf(why, why_size, "gemm smoke test: c[%d] = %g, expected %g", i, (double)c[i], (double)want[i]);
            ok = 0;
        }
    if (ok)
        snprintf(why, why_size, "2x3x4 gemm correct");
    seqnn_buffer_free(ctx, ba);
    seqnn_buffer_free(ctx, bb);
    seqnn_buffer_free(ctx, bc);
    seqnn_context_destroy(ctx);
    return ok;
}

int seqnn_cli_info(int argc, char **argv)
{
    if (argc > 1) {
        int help = !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h");
        fprintf(help ? stdout : stderr,
                "usage: seqnn info   (no options)\n"
                "  lists the plugin files found (loaded, or rejected and why), their devices with scores\n"
                "  and a smoke test, and the device a plain run selects (SEQNN_BACKEND, else the best)\n");
        return help ? 0 : 2;
    }
    seqnn_registry *reg;
    if (seqnn_registry_open(&reg) != SEQNN_OK) {
        fprintf(stderr, "seqnn info: %s\n", seqnn_last_error());
        return 1;
    }
    printf("seqnn %s (plugin ABI %d.%d, %d kernels in the catalogue)\n\n", SEQNN_VERSION, SEQNN_ABI_MAJOR,
           SEQNN_ABI_MINOR, SEQNN_KERNEL_COUNT);
    int64_t np = seqnn_registry_plugin_count(reg);
    printf("Plugin files (%lld):\n", (long long)np);
    for (int64_t i = 0; i < np; i++) {
        seqnn_plugin_record p;
        seqnn_registry_plugin(reg, i, &p);
        if (p.loaded)
            printf("  loaded    %-8s %s (version %s, ABI %u.%u, %d/%d kernels, %s)\n            %s\n", p.name, p.path,
                   p.version[0] ? p.version : "?", p.abi_major, p.abi_minor, p.kernels_present, SEQNN_KERNEL_COUNT,
                   p.kernels_present < SEQNN_KERNEL_COUNT ? "partial" : "complete",
                   p.description[0] ? p.description : "(no description)");
        else
            printf("  rejected  %-8s %s: %s\n", p.name ? p.name : "-", p.path, p.reason);
    }
    if (np == 0)
        printf("  none (set SEQNN_PLUGIN_PATH to a directory holding libseqnn-*.so)\n");
    int64_t nd = seqnn_registry_device_count(reg);
    printf("\nDevices (%lld):\n", (long long)nd);
    for (int64_t i = 0; i < nd; i++) {
        seqnn_device_record d;
        seqnn_registry_device(reg, i, &d);
        char why[512] = "not run: cannot run here";
        int ok = d.score > 0 ? smoke(reg, i, why, sizeof why) : -1;
        printf("  %-8s %-11s score %3d  %s\n", d.plugin_name, kind_name(d.kind), d.score, d.name);
        printf("           %s\n", d.reason);
        printf("           smoke test: %s (%s)\n", ok < 0 ? "SKIP" : ok ? "PASS" : "FAIL", why);
    }
    int64_t chosen;
    char why[512];
    printf("\nSelection");
    const char *env = getenv("SEQNN_BACKEND");
    if (env && *env)
        printf(" (SEQNN_BACKEND=%s)", env);
    printf(": ");
    int rc = 0;
    if (seqnn_registry_select(reg, NULL, &chosen, why, sizeof why) == SEQNN_OK) {
        seqnn_device_record d;
        seqnn_registry_device(reg, chosen, &d);
        printf("%s, device \"%s\"\n  why: %s\n", d.plugin_name, d.name, why);
    } else {
        printf("none\n  why: %s\n", seqnn_last_error());
        rc = 1;
    }
    seqnn_registry_close(reg);
    return rc;
}
