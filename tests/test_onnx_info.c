/* seqnn_onnx_info is versioned (size first, fields only appended): a caller
 * built against an older header passes its smaller struct and gets the fields
 * both know, with nothing written past its size; size 0 is the first version;
 * a struct from a newer header is accepted when its unknown bytes are zero and
 * refused, with nothing written, when one is set; a size below the first
 * version's is refused; seqnn_onnx_info_free zeroes only what the size covers.
 * usage: test_onnx_info FILE.onnx (a graph with a lengths input: two inputs).
 * Exits 77 (skipped) when libseqnn was built without ONNX import. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "seqnn/onnx.h"

/* The struct's first version, as a header of that version declared it. */
typedef struct onnx_info_v1 {
    uint32_t size;
    char *modelfile;
    int batch_first;
    int output_batch_first;
    seqnn_onnx_output output;
    int64_t nodes;
    int lengths_input, h0_input, c0_input;
    char state_layer[64];
} onnx_info_v1;

#define GUARD 64                         /* bytes after the caller's struct that must stay 0xa5 */
#define EXTRA 24                         /* a newer header's fields */

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "FAIL: %s (%s)\n", what, seqnn_last_error());
        failures++;
    }
}

static int guard_intact(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != 0xa5)
            return 0;
    return 1;
}

/* Loads path with an info of `size` bytes (size field `size_field`) in a
 * buffer followed by guard bytes; checks what the library wrote. */
static void load_with_size(const char *path, seqnn_context *ctx, size_t size, uint32_t size_field, const char *what)
{
    unsigned char *buf = malloc(size + GUARD);
    if (!buf)
        abort();
    memset(buf, 0, size);
    memset(buf + size, 0xa5, GUARD);
    memcpy(buf, &size_field, sizeof size_field);
    seqnn_model *m = NULL;
    seqnn_status st = seqnn_model_load_onnx(path, ctx, &m, (seqnn_onnx_info *)buf);
    char msg[160];
    snprintf(msg, sizeof msg, "%s: load succeeds", what);
    expect(st == SEQNN_OK && m, msg);
    snprintf(msg, sizeof msg, "%s: nothing written past the caller's struct", what);
    expect(guard_intact(buf + size, GUARD), msg);
    uint32_t after;
    memcpy(&after, buf, sizeof after);
    snprintf(msg, sizeof msg, "%s: size left as the caller set it", what);
    expect(after == size_field, msg);
    onnx_info_v1 v1;
    memcpy(&v1, buf, sizeof v1 < size ? sizeof v1 : size);
    snprintf(msg, sizeof msg, "%s: the first version's fields (modelfile, nodes, lengths_input)", what);
    expect(v1.modelfile && strstr(v1.modelfile, "input") && v1.nodes > 0 && v1.lengths_input == 1 &&
               v1.h0_input == -1, msg);
    if (size >= sizeof(seqnn_onnx_info)) {
        const seqnn_onnx_info *full = (const seqnn_onnx_info *)buf;
        snprintf(msg, sizeof msg, "%s: the later fields (n_inputs, input_role)", what);
        expect(full->n_inputs == 2 && full->input_role[0] == SEQNN_ONNX_INPUT_DATA &&
                   full->input_role[1] == SEQNN_ONNX_INPUT_LENGTHS, msg);
        for (size_t i = sizeof(seqnn_onnx_info); i < size; i++)
            if (buf[i]) {
                snprintf(msg, sizeof msg, "%s: a newer header's unknown field left zero", what);
                expect(0, msg);
                break;
            }
    }
    seqnn_onnx_info_free((seqnn_onnx_info *)buf);
    snprintf(msg, sizeof msg, "%s: free writes nothing past the caller's struct and keeps size", what);
    memcpy(&after, buf, sizeof after);
    expect(guard_intact(buf + size, GUARD) && after == size_field, msg);
    memcpy(&v1, buf, sizeof v1 < size ? sizeof v1 : size);
    snprintf(msg, sizeof msg, "%s: free zeroes the fields", what);
    expect(!v1.modelfile && v1.nodes == 0, msg);
    seqnn_model_destroy(m);
    free(buf);
}

/* A struct the library must refuse: nothing written, *out NULL. */
static void load_refused(const char *path, seqnn_context *ctx, unsigned char *buf, size_t size, seqnn_status want,
                         const char *what)
{
    unsigned char *before = malloc(size);
    if (!before)
        abort();
    memcpy(before, buf, size);
    seqnn_model *m = (seqnn_model *)before;   /* any non-NULL value: must come back NULL */
    seqnn_status st = seqnn_model_load_onnx(path, ctx, &m, (seqnn_onnx_info *)buf);
    char msg[160];
    snprintf(msg, sizeof msg, "%s: refused with %s, *out NULL", what, seqnn_status_name(want));
    expect(st == want && !m, msg);
    snprintf(msg, sizeof msg, "%s: nothing written", what);
    expect(!memcmp(before, buf, size), msg);
    free(before);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_onnx_info FILE.onnx\n");
        return 2;
    }
    const char *path = argv[1];
    seqnn_context *ctx;
    if (seqnn_context_create("ref", &ctx) != SEQNN_OK) {
        fprintf(stderr, "no ref context: %s\n", seqnn_last_error());
        return 1;
    }
    seqnn_onnx_info probe;
    seqnn_onnx_info_init(&probe);
    expect(probe.size == sizeof probe && !probe.modelfile && probe.n_inputs == 0, "seqnn_onnx_info_init");
    seqnn_model *m = NULL;
    if (seqnn_model_load_onnx(path, ctx, &m, &probe) == SEQNN_ERR_UNSUPPORTED &&
        strstr(seqnn_last_error(), "without ONNX")) {
        printf("skipped: libseqnn was built without ONNX import\n");
        seqnn_context_destroy(ctx);
        return 77;
    }
    seqnn_onnx_info_free(&probe);
    seqnn_model_destroy(m);

    load_with_size(path, ctx, sizeof(seqnn_onnx_info), (uint32_t)sizeof(seqnn_onnx_info), "this header's size");
    load_with_size(path, ctx, sizeof(onnx_info_v1), (uint32_t)sizeof(onnx_info_v1), "the first version's size");
    load_with_size(path, ctx, sizeof(onnx_info_v1), 0, "size 0 (the first version)");
    load_with_size(path, ctx, sizeof(seqnn_onnx_info) + EXTRA, (uint32_t)(sizeof(seqnn_onnx_info) + EXTRA),
                   "a newer header's size, its fields zero");

    unsigned char newer[sizeof(seqnn_onnx_info) + EXTRA];
    memset(newer, 0, sizeof newer);
    uint32_t size = (uint32_t)sizeof newer;
    memcpy(newer, &size, sizeof size);
    newer[sizeof(seqnn_onnx_info) + 3] = 1;
    load_refused(path, ctx, newer, sizeof newer, SEQNN_ERR_UNSUPPORTED, "a newer header's field set");
    expect(strstr(seqnn_last_error(), "does not know") != NULL, "the message names the unknown field");

    unsigned char small[sizeof(onnx_info_v1)];
    memset(small, 0x5a, sizeof small);
    size = 12;
    memcpy(small, &size, sizeof size);
    load_refused(path, ctx, small, sizeof small, SEQNN_ERR_INVALID_ARG, "size 12 (below the first version)");
    expect(strstr(seqnn_last_error(), "below the first version") != NULL, "the message says the size is too small");

    seqnn_context_destroy(ctx);
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("seqnn_onnx_info versions: all checks passed\n");
    return 0;
}
