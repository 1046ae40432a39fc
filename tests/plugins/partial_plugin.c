/* Partial plugins for the tests of chains of devices (tests/test_chain.c,
 * tests/chain.cmake), the reference kernels behind a vtable that has only a
 * few of them, as a vendor's first plugin would:
 *
 * PARTIAL_MODE 1, "testpartial": gemm, rnn_forward and rnn_backward, with a
 *   capability query that declines batched gemm ("one matrix at a time") and
 *   recurrent layers with hidden_size above 512; its kernels refuse the same
 *   calls themselves. Its device scores 5, or SEQNN_TEST_PARTIAL_SCORE.
 * PARTIAL_MODE 2, "testliar": gemm only, a query that accepts every call, and
 *   a gemm that scribbles NaN over C and then answers SEQNN_ERR_UNSUPPORTED:
 *   the inconsistent plugin a chain must report, without the caller seeing
 *   the scribbles.
 * PARTIAL_MODE 3, "testdecliner": mode 1's kernels with a query that declines
 *   every call (its kernels refuse them too): a plugin the conformance suite
 *   must refuse to certify. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "host_device.h"
#include "ref_kernels.h"

#define PARTIAL_MAX_HIDDEN 512

static int partial_token;

static seqnn_status partial_init(void **state, char *msg, size_t msg_size)
{
    (void)msg;
    (void)msg_size;
    *state = &partial_token;
    return SEQNN_OK;
}

static void partial_fini(void *state) { (void)state; }
static int64_t partial_device_count(void *state) { (void)state; return 1; }
static void partial_device_close(void *device) { (void)device; }

static seqnn_status partial_device_info(void *state, int64_t index, seqnn_device_info *info)
{
    (void)state;
    if (index != 0)
        return SEQNN_ERR_NOT_FOUND;
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "partial test device %d", PARTIAL_MODE);
    info->kind = SEQNN_DEVICE_ACCELERATOR;
    /* the score, low unless a test of the automatic choice raises it */
    const char *score = PARTIAL_MODE == 1 ? getenv("SEQNN_TEST_PARTIAL_SCORE") : NULL;
    info->score = score ? atoi(score) : 5;
    snprintf(info->reason, sizeof info->reason, "test plugin with a few reference kernels");
    return SEQNN_OK;
}

static seqnn_status partial_device_open(void *state, int64_t index, void **device, char *msg, size_t msg_size)
{
    (void)state;
    (void)index;
    (void)msg;
    (void)msg_size;
    *device = &partial_token;
    return SEQNN_OK;
}

#if PARTIAL_MODE == 1 || PARTIAL_MODE == 3
/* Why the device cannot run this call, or NULL. */
static const char *partial_declines(seqnn_kernel_id id, const void *args, char *why, size_t why_size)
{
    if (PARTIAL_MODE == 3) {
        snprintf(why, why_size, "no bitstream loaded: the device declines every call");
        return why;
    }
    if (id == SEQNN_KERNEL_gemm && ((const seqnn_gemm_args *)args)->batch > 1) {
        snprintf(why, why_size, "batch %lld: the device multiplies one matrix at a time",
                 (long long)((const seqnn_gemm_args *)args)->batch);
        return why;
    }
    if ((id == SEQNN_KERNEL_rnn_forward || id == SEQNN_KERNEL_rnn_backward) &&
        ((const seqnn_rnn_args *)args)->hidden_size > PARTIAL_MAX_HIDDEN) {
        snprintf(why, why_size, "hidden_size %lld is above the %d the device holds",
                 (long long)((const seqnn_rnn_args *)args)->hidden_size, PARTIAL_MAX_HIDDEN);
        return why;
    }
    return NULL;
}

static seqnn_status partial_accepts(const seqnn_call *call, seqnn_kernel_id id, const void *args)
{
    char why[256];
    if (partial_declines(id, args, why, sizeof why))
        return seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "%s", why);
    return SEQNN_OK;
}

/* The kernels refuse what the query declines: a single-device context never asks. */
#define PARTIAL_KERNEL(name, type)                                                      \
    static seqnn_status partial_##name(const seqnn_call *call, const type *a)          \
    {                                                                                   \
        char why[256];                                                                  \
        if (partial_declines(SEQNN_KERNEL_##name, a, why, sizeof why))                  \
            return seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "%s", why);           \
        return seqnn_ref_f32_##name(call, a);                                           \
    }
PARTIAL_KERNEL(gemm, seqnn_gemm_args)
PARTIAL_KERNEL(rnn_forward, seqnn_rnn_args)
PARTIAL_KERNEL(rnn_backward, seqnn_rnn_args)
#else
static seqnn_status partial_accepts(const seqnn_call *call, seqnn_kernel_id id, const void *args)
{
    (void)call;
    (void)id;
    (void)args;
    return SEQNN_OK;
}

static seqnn_status partial_gemm(const seqnn_call *call, const seqnn_gemm_args *a)
{
    float *c = (float *)a->c.buf->handle + a->c.off;
    c[0] = NAN;
    return seqnn_plugin_fail(call, SEQNN_ERR_UNSUPPORTED, "out of bitstream slots");
}
#endif

static seqnn_plugin_api partial_api;

__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &partial_api;
    api->abi_major = SEQNN_ABI_MAJOR;
    api->abi_minor = SEQNN_ABI_MINOR;
    api->struct_size = sizeof *api;
    api->name = PARTIAL_MODE == 1 ? "testpartial" : PARTIAL_MODE == 2 ? "testliar" : "testdecliner";
    api->version = "0";
    api->description = "test plugin: a few reference kernels and a capability query";
    api->init = partial_init;
    api->fini = partial_fini;
    api->device_count = partial_device_count;
    api->device_info = partial_device_info;
    api->device_open = partial_device_open;
    api->device_close = partial_device_close;
    seqnn_host_device_fill_api(api);
    api->gemm = partial_gemm;
#if PARTIAL_MODE != 2
    api->rnn_forward = partial_rnn_forward;
    api->rnn_backward = partial_rnn_backward;
#endif
    api->accepts = partial_accepts;
    return api;
}
