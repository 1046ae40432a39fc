/* Deliberately wrong plugins, to test the conformance suite and the loader.
 * Built several times with -DBAD_MODE=<n>; each is the reference plugin with
 * one defect:
 *   1 OFF    gemm's result is off by a relative 1e-4
 *   2 NAN    act_forward writes one NaN
 *   3 OOB    scale writes past its output (the last element of its buffer)
 *   4 NOOP   softmax_forward claims success and leaves its output untouched
 *   5 ABI    declares ABI major version SEQNN_ABI_MAJOR + 1
 *   6 SCORE0 its device scores 0 ("cannot run here")
 *   7 INIT   init fails
 *   8 NOKERNEL every kernel slot is NULL (it can run nothing)
 *   9 NOCOPY the required member buffer_copy is NULL
 *  10 BWDONLY not a defect: every backward kernel without its forward (each
 *           *_forward and bias_add NULL), to certify backwards on their own
 * The suite (tests/test_bad_plugins.sh) must reject each (but BWDONLY). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "host_device.h"
#include "ref_kernels.h"

#define OFF 1
#define NAN_OUT 2
#define OOB 3
#define NOOP 4
#define ABI 5
#define SCORE0 6
#define INIT 7
#define NOKERNEL 8
#define NOCOPY 9
#define BWDONLY 10

static int bad_token;

static seqnn_status bad_init(void **state, char *msg, size_t msg_size)
{
    *state = &bad_token;
    if (BAD_MODE == INIT) {
        snprintf(msg, msg_size, "simulated init failure");
        return SEQNN_ERR_DEVICE;
    }
    return SEQNN_OK;
}

static void bad_fini(void *state) { (void)state; }
static int64_t bad_device_count(void *state) { (void)state; return 1; }

static seqnn_status bad_device_info(void *state, int64_t index, seqnn_device_info *info)
{
    (void)state;
    (void)index;
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "deliberately wrong device (mode %d)", BAD_MODE);
    info->kind = SEQNN_DEVICE_CPU;
    info->score = BAD_MODE == SCORE0 ? 0 : 1;
    snprintf(info->reason, sizeof info->reason, BAD_MODE == SCORE0 ? "simulated: cannot run here" : "test plugin");
    return SEQNN_OK;
}

static seqnn_status bad_device_open(void *state, int64_t index, void **device, char *msg, size_t msg_size)
{
    (void)state; (void)index; (void)msg; (void)msg_size;
    *device = &bad_token;
    return SEQNN_OK;
}

static void bad_device_close(void *device) { (void)device; }

static seqnn_status bad_gemm(const seqnn_call *call, const seqnn_gemm_args *a)
{
    seqnn_status s = seqnn_ref_f32_gemm(call, a);
    float *c = (float *)a->c.buf->handle + a->c.off;
    for (int64_t b = 0; b < a->batch; b++)
        for (int64_t i = 0; i < a->m; i++)
            for (int64_t j = 0; j < a->n; j++)
                c[b * a->stride_c + i * a->ldc + j] *= 1.0f + 1e-4f;
    return s;
}

static seqnn_status bad_act_forward(const seqnn_call *call, const seqnn_act_args *a)
{
    seqnn_status s = seqnn_ref_f32_act_forward(call, a);
    if (a->n > 0)
        ((float *)a->y.buf->handle + a->y.off)[a->n / 2] = NAN;
    return s;
}

static seqnn_status bad_scale(const seqnn_call *call, const seqnn_ew_args *a)
{
    seqnn_status s = seqnn_ref_f32_scale(call, a);
    /* the buffer's last element: past any output the arguments describe */
    ((float *)a->z.buf->handle)[a->z.buf->count - 1] = 0.0f;
    return s;
}

static seqnn_status bad_softmax_forward(const seqnn_call *call, const seqnn_softmax_args *a)
{
    (void)call;
    (void)a;
    return SEQNN_OK;
}

static seqnn_plugin_api bad_api;

__attribute__((visibility("default"))) const seqnn_plugin_api *seqnn_plugin_entry(void);

const seqnn_plugin_api *seqnn_plugin_entry(void)
{
    seqnn_plugin_api *api = &bad_api;
    api->abi_major = BAD_MODE == ABI ? SEQNN_ABI_MAJOR + 1 : SEQNN_ABI_MAJOR;
    api->abi_minor = SEQNN_ABI_MINOR;
    api->struct_size = sizeof *api;
    api->name = "bad";
    api->version = "0";
    api->description = "deliberately wrong test plugin";
    api->init = bad_init;
    api->fini = bad_fini;
    api->device_count = bad_device_count;
    api->device_info = bad_device_info;
    api->device_open = bad_device_open;
    api->device_close = bad_device_close;
    seqnn_host_device_fill_api(api);
#define SEQNN_KERNEL(name, args, doc) api->name = seqnn_ref_f32_##name;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    if (BAD_MODE == OFF) api->gemm = bad_gemm;
    if (BAD_MODE == NAN_OUT) api->act_forward = bad_act_forward;
    if (BAD_MODE == OOB) api->scale = bad_scale;
    if (BAD_MODE == NOOP) api->softmax_forward = bad_softmax_forward;
    if (BAD_MODE == NOCOPY) api->buffer_copy = NULL;
    if (BAD_MODE == BWDONLY) {
#define SEQNN_KERNEL(name, args, doc) \
        if (strstr(#name, "_forward") || !strcmp(#name, "bias_add")) api->name = NULL;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    }
    if (BAD_MODE == NOKERNEL) {
#define SEQNN_KERNEL(name, args, doc) api->name = NULL;
#include "seqnn/kernels.def"
#undef SEQNN_KERNEL
    }
    return api;
}
