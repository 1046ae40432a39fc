/* libFuzzer target: the safetensors reader (include/seqnn/safetensors.h),
 * from memory (borrowed and copied) and from a file, and the writer's round
 * trip.
 *
 * For every input:
 *   - parse(borrow = 1), parse(borrow = 0) and open(file) agree on the status
 *     and, when they accept, on every tensor; a refusal is SEQNN_ERR_FORMAT
 *     (or NO_MEMORY) with a message;
 *   - an accepted file exposes only bytes inside the input's data section
 *     (checked explicitly, and by AddressSanitizer since the input buffer is
 *     exact-size); every tensor is found by name, has its shape, reads with
 *     the right count and refuses a wrong count or dtype without writing;
 *   - writing the accepted tensors and metadata back with the writer and
 *     parsing the result gives the same names, dtypes, shapes and bytes. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "seqnn/safetensors.h"
#include "seqnn/seqnn.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_path[256];

static void fz_remove_file(void)
{
    unlink(fz_path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* the file is rewritten for every input: memory-backed /dev/shm when
     * there is one (a disk-backed /tmp costs milliseconds per input) */
    const char *tmp = getenv("SEQNN_FUZZ_TMPDIR");
    if (!tmp || !*tmp)
        tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    snprintf(fz_path, sizeof fz_path, "%s/seqnn-fuzz-st-%ld.safetensors", tmp && *tmp ? tmp : "/tmp",
             (long)getpid());
    atexit(fz_remove_file);
    return 0;
}

#define FZ_TARGET "fuzz_safetensors"
#include "fuzz_require.h"

/* a and b hold the same tensors in the same order, with the same metadata */
static void same_files(const seqnn_safetensors *a, const seqnn_safetensors *b, const char *what)
{
    FZ_REQUIRE(seqnn_safetensors_count(a) == seqnn_safetensors_count(b), "%s: tensor counts differ", what);
    for (int64_t i = 0; i < seqnn_safetensors_count(a); i++) {
        const seqnn_st_tensor *x = seqnn_safetensors_tensor(a, i), *y = seqnn_safetensors_tensor(b, i);
        FZ_REQUIRE(x && y && !strcmp(x->name, y->name) && x->dtype == y->dtype && x->ndim == y->ndim &&
                       x->count == y->count && x->nbytes == y->nbytes &&
                       !memcmp(x->shape, y->shape, (size_t)x->ndim * sizeof *x->shape) &&
                       (x->nbytes == 0 || !memcmp(x->data, y->data, x->nbytes)),
                   "%s: tensor %lld differs", what, (long long)i);
    }
    FZ_REQUIRE(seqnn_safetensors_metadata_count(a) == seqnn_safetensors_metadata_count(b),
               "%s: metadata counts differ", what);
    for (int64_t i = 0; i < seqnn_safetensors_metadata_count(a); i++) {
        const char *k, *v;
        FZ_REQUIRE(seqnn_safetensors_metadata_entry(a, i, &k, &v) == SEQNN_OK, "%s: metadata entry", what);
        const char *w = seqnn_safetensors_metadata(b, k);
        FZ_REQUIRE(w && !strcmp(v, w), "%s: metadata '%s' differs", what, k);
    }
}

/* Every accessor on every tensor of an accepted file. */
static void exercise(const seqnn_safetensors *st, const uint8_t *data, size_t size)
{
    const uint8_t *data_begin = data + 8, *end = data + size;
    for (int64_t i = 0; i < seqnn_safetensors_count(st); i++) {
        const seqnn_st_tensor *t = seqnn_safetensors_tensor(st, i);
        FZ_REQUIRE(t && t->name && t->name[0], "tensor %lld has no name", (long long)i);
        FZ_REQUIRE(t->ndim >= 0 && t->ndim <= SEQNN_SAFETENSORS_MAX_DIMS, "tensor '%s': rank %d", t->name, t->ndim);
        int64_t count = 1;
        for (int d = 0; d < t->ndim; d++)
            count *= t->shape[d];
        FZ_REQUIRE(count == t->count && t->nbytes == (size_t)count * seqnn_st_dtype_size(t->dtype),
                   "tensor '%s': count/nbytes inconsistent with shape", t->name);
        if (t->nbytes)
            FZ_REQUIRE(t->data >= data_begin && t->data <= end && t->nbytes <= (size_t)(end - t->data),
                       "tensor '%s': data outside the input", t->name);
        FZ_REQUIRE(seqnn_safetensors_find(st, t->name) == t, "tensor '%s' not found by name", t->name);
        FZ_REQUIRE(seqnn_safetensors_expect_shape(st, t->name, t->ndim, t->shape) == SEQNN_OK,
                   "tensor '%s': its own shape refused", t->name);
        int64_t other[SEQNN_SAFETENSORS_MAX_DIMS + 1] = {0};
        memcpy(other, t->shape, (size_t)t->ndim * sizeof *other);
        other[t->ndim] = 2;
        FZ_REQUIRE(seqnn_safetensors_expect_shape(st, t->name, t->ndim + 1 <= SEQNN_SAFETENSORS_MAX_DIMS
                                                                  ? t->ndim + 1 : t->ndim - 1, other) == SEQNN_ERR_FORMAT,
                   "tensor '%s': a shape of another rank accepted", t->name);

        /* exact-size destinations (ASan) of every type the dtype converts to */
        int is_float = t->dtype == SEQNN_ST_F32 || t->dtype == SEQNN_ST_F64;
        size_t n = (size_t)(count ? count : 1);
        if (is_float) {
            float *f = malloc(n * sizeof *f);
            double *g = malloc(n * sizeof *g);
            FZ_REQUIRE(f && g, "out of memory");
            FZ_REQUIRE(seqnn_safetensors_read_f32(st, t->name, f, count) == SEQNN_OK, "read_f32 '%s'", t->name);
            FZ_REQUIRE(seqnn_safetensors_read_f64(st, t->name, g, count) == SEQNN_OK, "read_f64 '%s'", t->name);
            f[0] = 12345.0f;
            FZ_REQUIRE(seqnn_safetensors_read_f32(st, t->name, f, count + 1) == SEQNN_ERR_FORMAT && f[0] == 12345.0f,
                       "read_f32 '%s' with a wrong count", t->name);
            int32_t i32;
            FZ_REQUIRE(seqnn_safetensors_read_i32(st, t->name, &i32, count) == SEQNN_ERR_FORMAT,
                       "read_i32 of float tensor '%s' accepted", t->name);
            free(f);
            free(g);
        } else {
            int32_t *a = malloc(n * sizeof *a);
            int64_t *b = malloc(n * sizeof *b);
            FZ_REQUIRE(a && b, "out of memory");
            seqnn_status s32 = seqnn_safetensors_read_i32(st, t->name, a, count);
            FZ_REQUIRE(s32 == SEQNN_OK || (t->dtype == SEQNN_ST_I64 && s32 == SEQNN_ERR_FORMAT),
                       "read_i32 '%s': %s", t->name, seqnn_status_name(s32));
            FZ_REQUIRE(seqnn_safetensors_read_i64(st, t->name, b, count) == SEQNN_OK, "read_i64 '%s'", t->name);
            if (s32 == SEQNN_OK)
                for (int64_t e = 0; e < count; e++)
                    FZ_REQUIRE(a[e] == b[e], "'%s': i32 and i64 reads differ", t->name);
            float f;
            FZ_REQUIRE(seqnn_safetensors_read_f32(st, t->name, &f, count) == SEQNN_ERR_FORMAT,
                       "read_f32 of integer tensor '%s' accepted", t->name);
            free(a);
            free(b);
        }
    }
    FZ_REQUIRE(seqnn_safetensors_find(st, "") == NULL, "an empty name was found");
    for (int64_t i = 0; i < seqnn_safetensors_metadata_count(st); i++) {
        const char *k, *v;
        FZ_REQUIRE(seqnn_safetensors_metadata_entry(st, i, &k, &v) == SEQNN_OK, "metadata entry %lld", (long long)i);
        FZ_REQUIRE(seqnn_safetensors_metadata(st, k) == v, "metadata '%s' not found by key", k);
    }
    const char *k, *v;
    FZ_REQUIRE(seqnn_safetensors_metadata_entry(st, seqnn_safetensors_metadata_count(st), &k, &v) ==
                   SEQNN_ERR_INVALID_ARG, "metadata entry past the end accepted");
}

/* Writes st back with the writer and parses the bytes again. */
static void round_trip(const seqnn_safetensors *st)
{
    seqnn_safetensors_writer *w;
    FZ_REQUIRE(seqnn_safetensors_writer_create(&w) == SEQNN_OK, "writer_create");
    for (int64_t i = 0; i < seqnn_safetensors_count(st); i++) {
        const seqnn_st_tensor *t = seqnn_safetensors_tensor(st, i);
        size_t es = seqnn_st_dtype_size(t->dtype);
        void *host = malloc(t->nbytes ? t->nbytes : 1);
        FZ_REQUIRE(host, "out of memory");
        seqnn_status s = SEQNN_OK;
        switch (t->dtype) {
        case SEQNN_ST_F32: s = seqnn_safetensors_read_f32(st, t->name, host, t->count); break;
        case SEQNN_ST_F64: s = seqnn_safetensors_read_f64(st, t->name, host, t->count); break;
        case SEQNN_ST_I32: s = seqnn_safetensors_read_i32(st, t->name, host, t->count); break;
        case SEQNN_ST_I64: s = seqnn_safetensors_read_i64(st, t->name, host, t->count); break;
        default: FZ_REQUIRE(0, "tensor '%s': dtype %d", t->name, (int)t->dtype);
        }
        FZ_REQUIRE(s == SEQNN_OK && es, "read '%s' for the writer", t->name);
        FZ_REQUIRE(seqnn_safetensors_writer_add(w, t->name, t->dtype, t->ndim, t->shape, host) == SEQNN_OK,
                   "the writer refuses tensor '%s' that the reader accepted", t->name);
        free(host);
    }
    for (int64_t i = 0; i < seqnn_safetensors_metadata_count(st); i++) {
        const char *k, *v;
        seqnn_safetensors_metadata_entry(st, i, &k, &v);
        FZ_REQUIRE(seqnn_safetensors_writer_metadata(w, k, v) == SEQNN_OK,
                   "the writer refuses metadata '%s' that the reader accepted", k);
    }
    unsigned char *bytes = NULL;
    size_t size = 0;
    FZ_REQUIRE(seqnn_safetensors_writer_serialize(w, &bytes, &size) == SEQNN_OK, "serialize");
    seqnn_safetensors_writer_destroy(w);
    seqnn_safetensors *again;
    FZ_REQUIRE(seqnn_safetensors_parse(bytes, size, 1, "round trip", &again) == SEQNN_OK,
               "the reader refuses what the writer wrote");
    /* the writer orders data by element size: compare by name */
    FZ_REQUIRE(seqnn_safetensors_count(again) == seqnn_safetensors_count(st), "round trip: tensor count");
    for (int64_t i = 0; i < seqnn_safetensors_count(st); i++) {
        const seqnn_st_tensor *x = seqnn_safetensors_tensor(st, i);
        const seqnn_st_tensor *y = seqnn_safetensors_find(again, x->name);
        FZ_REQUIRE(y && x->dtype == y->dtype && x->ndim == y->ndim && x->nbytes == y->nbytes &&
                       !memcmp(x->shape, y->shape, (size_t)x->ndim * sizeof *x->shape) &&
                       (x->nbytes == 0 || !memcmp(x->data, y->data, x->nbytes)),
                   "round trip: tensor '%s' differs", x->name);
    }
    FZ_REQUIRE(seqnn_safetensors_metadata_count(again) == seqnn_safetensors_metadata_count(st),
               "round trip: metadata count");
    for (int64_t i = 0; i < seqnn_safetensors_metadata_count(st); i++) {
        const char *k, *v;
        seqnn_safetensors_metadata_entry(st, i, &k, &v);
        const char *v2 = seqnn_safetensors_metadata(again, k);
        FZ_REQUIRE(v2 && !strcmp(v, v2), "round trip: metadata '%s' differs", k);
    }
    seqnn_safetensors_close(again);
    free(bytes);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seqnn_safetensors *a = NULL, *b = NULL, *c = NULL;
    seqnn_status sa = seqnn_safetensors_parse(data, size, 1, "fuzz", &a);
    FZ_REQUIRE(sa == SEQNN_OK || sa == SEQNN_ERR_FORMAT, "parse returned %s", seqnn_status_name(sa));
    FZ_REQUIRE((sa == SEQNN_OK) == (a != NULL), "parse: status and result disagree");
    if (sa != SEQNN_OK)
        FZ_REQUIRE(strncmp(seqnn_last_error(), "safetensors: fuzz: ", 19) == 0 && seqnn_last_error()[19],
                   "refusal without a message");

    seqnn_status sb = seqnn_safetensors_parse(data, size, 0, NULL, &b);
    FZ_REQUIRE(sb == sa, "copying parse gave %s, borrowing %s", seqnn_status_name(sb), seqnn_status_name(sa));

    FILE *f = fopen(fz_path, "wb");
    FZ_REQUIRE(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s", fz_path);
    seqnn_status sc = seqnn_safetensors_open(fz_path, &c);
    FZ_REQUIRE(sc == sa, "open gave %s, parse %s", seqnn_status_name(sc), seqnn_status_name(sa));

    if (sa == SEQNN_OK) {
        same_files(a, b, "copying parse");
        same_files(a, c, "open");
        exercise(a, data, size);
        round_trip(a);
    }
    seqnn_safetensors_close(a);
    seqnn_safetensors_close(b);
    seqnn_safetensors_close(c);
    return 0;
}
