/* Unit test of the safetensors reader/writer (frontend/safetensors.c):
 * round trips of every dtype, hand-written valid files, a table of malformed
 * headers (each must fail with SEQNN_ERR_FORMAT and a message naming the
 * tensor), every truncation and many corruptions of a valid file (must never
 * crash), typed reads, and the writer's atomic save. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "seqnn/safetensors.h"
#include "seqnn/seqnn.h"

static int failures;

#define CHECK(cond)                                                                       \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__,      \
                    __LINE__, #cond, seqnn_last_error());                                 \
            failures++;                                                                   \
        }                                                                                 \
    } while (0)

/* A file image: 8-byte little-endian header length, the header, data bytes. */
static unsigned char *make_file(const char *header, size_t data_size, size_t *size)
{
    size_t h = strlen(header);
    *size = 8 + h + data_size;
    unsigned char *b = calloc(1, *size);
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)((uint64_t)h >> (8 * i));
    memcpy(b + 8, header, h);
    for (size_t i = 0; i < data_size; i++)
        b[8 + h + i] = (unsigned char)(i * 37 + 1);
    return b;
}

static seqnn_status parse_header(const char *header, size_t data_size, seqnn_safetensors **st)
{
    size_t size;
    unsigned char *b = make_file(header, data_size, &size);
    seqnn_status s = seqnn_safetensors_parse(b, size, 0, "test", st);
    free(b);
    return s;
}

/* Writer -> file -> reader with every dtype, a scalar, an empty tensor and metadata. */
static void test_round_trip(const char *dir)
{
    const float f32[6] = {1.5f, -2.25f, 3.0e-38f, 1.0e38f, -0.0f, 7.0f};
    const double f64[4] = {3.141592653589793, -1e-300, 1e300, 0.1};
    const int32_t i32[5] = {0, -1, INT32_MAX, INT32_MIN, 42};
    const int64_t i64[4] = {INT64_MIN, INT64_MAX, -5, (int64_t)1 << 40};
    const float scalar = 0.5f;
    const int64_t s23[2] = {2, 3}, s4[1] = {4}, s5[1] = {5}, s22[2] = {2, 2}, s03[2] = {0, 3};
    seqnn_safetensors_writer *w;
    CHECK(seqnn_safetensors_writer_create(&w) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_add(w, "weight_ih_l0", SEQNN_ST_F32, 2, s23, f32) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_add(w, "i32", SEQNN_ST_I32, 1, s5, i32) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_add(w, "f64", SEQNN_ST_F64, 1, s4, f64) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_add(w, "i64", SEQNN_ST_I64, 2, s22, i64) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_add(w, "scalar", SEQNN_ST_F32, 0, NULL, &scalar) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_add(w, "empty", SEQNN_ST_F32, 2, s03, NULL) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_add(w, "na\"me\\ \xc3\xa9\n", SEQNN_ST_I32, 1, s5, i32) ==
          SEQNN_OK);
    CHECK(seqnn_safetensors_writer_metadata(w, "format", "pt") == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_metadata(w, "note", "quote \" backslash \\ tab\t") == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_metadata(w, "format", "seqnn") == SEQNN_OK); /* replaces */

    /* writer refuses bad tensors */
    CHECK(seqnn_safetensors_writer_add(w, "f64", SEQNN_ST_F64, 1, s4, f64) ==
          SEQNN_ERR_INVALID_ARG);
    CHECK(strstr(seqnn_last_error(), "f64") != NULL);
    CHECK(seqnn_safetensors_writer_add(w, "", SEQNN_ST_F64, 1, s4, f64) == SEQNN_ERR_INVALID_ARG);
    CHECK(seqnn_safetensors_writer_add(w, "__metadata__", SEQNN_ST_F64, 1, s4, f64) ==
          SEQNN_ERR_INVALID_ARG);
    const int64_t neg[1] = {-1};
    CHECK(seqnn_safetensors_writer_add(w, "neg", SEQNN_ST_F64, 1, neg, f64) ==
          SEQNN_ERR_INVALID_ARG);
    CHECK(seqnn_safetensors_writer_add(w, "rank", SEQNN_ST_F64, 9, s4, f64) ==
          SEQNN_ERR_INVALID_ARG);
    CHECK(seqnn_safetensors_writer_add(w, "bad\xff", SEQNN_ST_F64, 1, s4, f64) ==
          SEQNN_ERR_INVALID_ARG);
    CHECK(seqnn_safetensors_writer_add(w, "nodata", SEQNN_ST_F64, 1, s4, NULL) ==
          SEQNN_ERR_INVALID_ARG);

    char path[512];
    snprintf(path, sizeof path, "%s/rt.safetensors", dir);
    CHECK(seqnn_safetensors_writer_save(w, path) == SEQNN_OK);
    unsigned char *mem = NULL;
    size_t mem_size = 0;
    CHECK(seqnn_safetensors_writer_serialize(w, &mem, &mem_size) == SEQNN_OK);
    seqnn_safetensors_writer_destroy(w);

    /* the file is exactly the serialized bytes; header padded to 8 */
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    if (f) {
        unsigned char *fb = malloc(mem_size + 16);
        size_t got = fread(fb, 1, mem_size + 16, f);
        fclose(f);
        CHECK(got == mem_size && memcmp(fb, mem, mem_size) == 0);
        free(fb);
    }
    CHECK(mem_size >= 8 && mem[0] % 8 == 0);

    seqnn_safetensors *st = NULL;
    CHECK(seqnn_safetensors_open(path, &st) == SEQNN_OK);
    if (!st) {
        free(mem);
        return;
    }
    CHECK(seqnn_safetensors_count(st) == 7);
    const seqnn_st_tensor *t = seqnn_safetensors_find(st, "weight_ih_l0");
    CHECK(t && t->dtype == SEQNN_ST_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 &&
          t->count == 6 && t->nbytes == 24);
    /* 8-byte types come first, so every tensor is naturally aligned in the file */
    for (int64_t i = 0; i < seqnn_safetensors_count(st); i++) {
        const seqnn_st_tensor *ti = seqnn_safetensors_tensor(st, i);
        size_t pos = (size_t)(ti->data - seqnn_safetensors_tensor(st, 0)->data);
        CHECK(pos % seqnn_st_dtype_size(ti->dtype) == 0);
        CHECK(i == 0 || seqnn_st_dtype_size(seqnn_safetensors_tensor(st, i - 1)->dtype) >=
                            seqnn_st_dtype_size(ti->dtype));
    }
    float gf[6];
    double gd[6];
    int32_t gi[5];
    int64_t gl[5];
    CHECK(seqnn_safetensors_read_f32(st, "weight_ih_l0", gf, 6) == SEQNN_OK);
    CHECK(memcmp(gf, f32, sizeof f32) == 0);
    CHECK(seqnn_safetensors_read_f64(st, "weight_ih_l0", gd, 6) == SEQNN_OK);
    CHECK(gd[1] == -2.25 && gd[3] == (double)1.0e38f);
    CHECK(seqnn_safetensors_read_f64(st, "f64", gd, 4) == SEQNN_OK);
    CHECK(memcmp(gd, f64, sizeof f64) == 0);
    CHECK(seqnn_safetensors_read_i32(st, "i32", gi, 5) == SEQNN_OK);
    CHECK(memcmp(gi, i32, sizeof i32) == 0);
    CHECK(seqnn_safetensors_read_i64(st, "i32", gl, 5) == SEQNN_OK);
    CHECK(gl[2] == INT32_MAX && gl[3] == INT32_MIN);
    CHECK(seqnn_safetensors_read_i64(st, "i64", gl, 4) == SEQNN_OK);
    CHECK(memcmp(gl, i64, sizeof i64) == 0);
    CHECK(seqnn_safetensors_read_i32(st, "na\"me\\ \xc3\xa9\n", gi, 5) == SEQNN_OK);
    t = seqnn_safetensors_find(st, "scalar");
    CHECK(t && t->ndim == 0 && t->count == 1);
    CHECK(seqnn_safetensors_read_f32(st, "scalar", gf, 1) == SEQNN_OK && gf[0] == 0.5f);
    t = seqnn_safetensors_find(st, "empty");
    CHECK(t && t->count == 0 && t->nbytes == 0);
    CHECK(seqnn_safetensors_read_f32(st, "empty", gf, 0) == SEQNN_OK);

    /* typed reads refuse what does not fit, and leave dst alone */
    gi[0] = 12345;
    CHECK(seqnn_safetensors_read_i32(st, "i64", gi, 4) == SEQNN_ERR_FORMAT);
    CHECK(strstr(seqnn_last_error(), "'i64'") && strstr(seqnn_last_error(), "int32"));
    CHECK(gi[0] == 12345);
    CHECK(seqnn_safetensors_read_f32(st, "i32", gf, 5) == SEQNN_ERR_FORMAT);
    CHECK(strstr(seqnn_last_error(), "'i32'") != NULL);
    CHECK(seqnn_safetensors_read_i32(st, "f64", gi, 4) == SEQNN_ERR_FORMAT);
    CHECK(seqnn_safetensors_read_f32(st, "weight_ih_l0", gf, 5) == SEQNN_ERR_FORMAT);
    CHECK(strstr(seqnn_last_error(), "'weight_ih_l0' has 6 elements, expected 5") != NULL);
    CHECK(seqnn_safetensors_read_f32(st, "missing", gf, 1) == SEQNN_ERR_NOT_FOUND);
    CHECK(strstr(seqnn_last_error(), "'missing'") != NULL);
    const int64_t want23[2] = {2, 3}, want32[2] = {3, 2};
    CHECK(seqnn_safetensors_expect_shape(st, "weight_ih_l0", 2, want23) == SEQNN_OK);
    CHECK(seqnn_safetensors_expect_shape(st, "weight_ih_l0", 2, want32) == SEQNN_ERR_FORMAT);
    CHECK(strstr(seqnn_last_error(), "shape [2, 3], expected [3, 2]") != NULL);
    CHECK(seqnn_safetensors_expect_shape(st, "weight_ih_l0", 1, want23) == SEQNN_ERR_FORMAT);

    CHECK(seqnn_safetensors_metadata_count(st) == 2);
    CHECK(seqnn_safetensors_metadata(st, "format") &&
          !strcmp(seqnn_safetensors_metadata(st, "format"), "seqnn"));
    CHECK(seqnn_safetensors_metadata(st, "note") &&
          !strcmp(seqnn_safetensors_metadata(st, "note"), "quote \" backslash \\ tab\t"));
    CHECK(seqnn_safetensors_metadata(st, "absent") == NULL);
    seqnn_safetensors_close(st);

    /* the in-memory bytes parse the same, borrowed */
    CHECK(seqnn_safetensors_parse(mem, mem_size, 1, "mem", &st) == SEQNN_OK);
    CHECK(st && seqnn_safetensors_count(st) == 7);
    seqnn_safetensors_close(st);
    free(mem);
}

/* Valid files written by hand: whitespace, unknown members, escapes, empty. */
static void test_valid_by_hand(void)
{
    seqnn_safetensors *st = NULL;
    CHECK(parse_header("{}", 0, &st) == SEQNN_OK);
    CHECK(st && seqnn_safetensors_count(st) == 0);
    seqnn_safetensors_close(st);

    CHECK(parse_header(" {}", 0, &st) == SEQNN_ERR_FORMAT);  /* must start with '{' */

    const char *h =
        "{ \"__metadata__\" : { \"k\\u00e9y\" : \"v\\ud83d\\ude00\" } ,\n"
        "  \"b\" : { \"shape\" : [ 2 ] , \"extra\" : {\"x\": [1, -2.5e3, true, null, \"s\"]},"
        " \"dtype\" : \"I32\" , \"data_offsets\" : [ 8 , 16 ] },\r\n"
        "  \"a\\/\\u0041\" : {\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}\t}    ";
    CHECK(parse_header(h, 16, &st) == SEQNN_OK);
    if (st) {
        CHECK(seqnn_safetensors_count(st) == 2);
        /* ordered by data offset */
        CHECK(!strcmp(seqnn_safetensors_tensor(st, 0)->name, "a/A"));
        CHECK(!strcmp(seqnn_safetensors_tensor(st, 1)->name, "b"));
        CHECK(seqnn_safetensors_find(st, "a/A") && seqnn_safetensors_find(st, "b"));
        CHECK(seqnn_safetensors_metadata(st, "k\xc3\xa9y") &&
              !strcmp(seqnn_safetensors_metadata(st, "k\xc3\xa9y"), "v\xf0\x9f\x98\x80"));
        seqnn_safetensors_close(st);
    }
}

typedef struct bad_case {
    const char *header;
    size_t data_size;
    const char *needle;                  /* must occur in the error message */
} bad_case;

static void test_malformed(void)
{
    static const bad_case cases[] = {
        {"", 0, "does not start"},
        {"[]", 0, "does not start"},
        {"{", 0, "header ends"},
        {"{\"a\"}", 0, "':'"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", 4, "string"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x", 4, "after the header"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", 4, "closing"},
        {"{\"a:{\"dtype\":\"F32\"}}", 0, "':'"},
        {"{\"unterminated", 0, "unterminated"},
        {"{\"t1\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[0,2]}}", 2, "'t1': unsupported dtype \"BF16\""},
        {"{\"t2\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, "non-negative integer"},
        {"{\"t3\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8, "fraction"},
        {"{\"t4\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", 4, "leading zero"},
        {"{\"t5\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8, "more than 2"},
        {"{\"t6\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4]}}", 4, "'t6': data_offsets needs 2"},
        {"{\"t7\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4, "'t7'"},
        {"{\"t8\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 12, "'t8': data_offsets [0, 16] past the end"},
        {"{\"t9\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16, "'t9': F32 shape with 3 elements needs 12 bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"t10\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12, "'t10': data starts at byte 8, expected 4 (a hole"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"t11\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "'t11': data starts at byte 4, expected 8 (overlaps"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8, "4 bytes of data after the last tensor"},
        {"{\"t12\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
         "\"t12\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "duplicate tensor name 't12'"},
        {"{\"t13\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'t13': missing dtype"},
        {"{\"t14\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, "'t14': missing shape"},
        {"{\"t15\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "'t15': missing data_offsets"},
        {"{\"t16\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "'t16': duplicate dtype"},
        {"{\"t17\":[1]}", 0, "of tensor 't17'"},
        {"{\"__metadata__\":{\"k\":1}}", 0, "metadata values must be strings"},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate __metadata__"},
        {"{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, "duplicate __metadata__ key 'k'"},
        {"{\"a\\u0000b\":{}}", 0, "NUL"},
        {"{\"a\\ud800\":{}}", 0, "surrogate"},
        {"{\"a\\q\":{}}", 0, "bad escape"},
        {"{\"a\\u12\":{}}", 0, "\\u escape"},
        {"{\"\xc3\x28\":{}}", 0, "UTF-8"},
        {"{\"a\tb\":{}}", 0, "control character"},
        {"{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "empty tensor name"},
        {"{\"t18\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}", 4, "too large"},
        {"{\"t19\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0, "'t19': shape too large"},
        {"{\"t20\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4, "more than 8"},
        {"{\"t21\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":"
         "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
         4, "nesting"},
        {"{\"t22\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":tru}}", 4, "unexpected character"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seqnn_safetensors *st = (seqnn_safetensors *)1;
        seqnn_status s = parse_header(cases[i].header, cases[i].data_size, &st);
        if (s != SEQNN_ERR_FORMAT || st != NULL || !strstr(seqnn_last_error(), cases[i].needle)) {
            fprintf(stderr, "malformed case %zu: status %s, error '%s', wanted '%s'\n", i,
                    seqnn_status_name(s), seqnn_last_error(), cases[i].needle);
            failures++;
        }
        if (s == SEQNN_OK)
            seqnn_safetensors_close(st);
    }

    /* length field itself: too short, too long for the file, over the limit */
    unsigned char small[7] = {0};
    seqnn_safetensors *st = NULL;
    CHECK(seqnn_safetensors_parse(small, sizeof small, 0, "small", &st) == SEQNN_ERR_FORMAT);
    CHECK(strstr(seqnn_last_error(), "small") && strstr(seqnn_last_error(), "too short"));
    CHECK(seqnn_safetensors_parse(NULL, 0, 0, NULL, &st) == SEQNN_ERR_FORMAT);
    unsigned char huge[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
    CHECK(seqnn_safetensors_parse(huge, sizeof huge, 0, "huge", &st) == SEQNN_ERR_FORMAT);
    CHECK(strstr(seqnn_last_error(), "exceeds") != NULL);
    CHECK(seqnn_safetensors_parse(huge, sizeof huge, 0, "x", NULL) == SEQNN_ERR_INVALID_ARG);
    CHECK(seqnn_safetensors_open("/nonexistent/dir/x.safetensors", &st) == SEQNN_ERR_NOT_FOUND);
    CHECK(strstr(seqnn_last_error(), "/nonexistent/dir/x.safetensors") != NULL);
    CHECK(seqnn_safetensors_open("/", &st) == SEQNN_ERR_IO);
}

/* A valid file with three tensors, as the writer makes it. */
static void valid_bytes(unsigned char **bytes, size_t *size)
{
    const float a[3] = {1, 2, 3};
    const double b[2] = {4, 5};
    const int32_t c[2] = {6, 7};
    const int64_t s3[1] = {3}, s2[1] = {2};
    seqnn_safetensors_writer *w;
    seqnn_safetensors_writer_create(&w);
    seqnn_safetensors_writer_add(w, "alpha", SEQNN_ST_F32, 1, s3, a);
    seqnn_safetensors_writer_add(w, "beta", SEQNN_ST_F64, 1, s2, b);
    seqnn_safetensors_writer_add(w, "gamma", SEQNN_ST_I32, 1, s2, c);
    seqnn_safetensors_writer_metadata(w, "m", "v");
    CHECK(seqnn_safetensors_writer_serialize(w, bytes, size) == SEQNN_OK);
    seqnn_safetensors_writer_destroy(w);
}

/* Every prefix of a valid file fails cleanly; corrupted bytes never crash. */
static void test_truncation_and_corruption(void)
{
    unsigned char *bytes;
    size_t size;
    valid_bytes(&bytes, &size);
    seqnn_safetensors *st = NULL;
    CHECK(seqnn_safetensors_parse(bytes, size, 0, "full", &st) == SEQNN_OK);
    seqnn_safetensors_close(st);
    for (size_t n = 0; n < size; n++) {
        /* an exact-size heap copy so that ASan sees any read past the end */
        unsigned char *cut = malloc(n ? n : 1);
        memcpy(cut, bytes, n);
        seqnn_status s = seqnn_safetensors_parse(cut, n, 1, "cut", &st);
        if (s != SEQNN_ERR_FORMAT) {
            fprintf(stderr, "truncated at %zu of %zu: %s\n", n, size, seqnn_status_name(s));
            failures++;
            if (s == SEQNN_OK)
                seqnn_safetensors_close(st);
        }
        free(cut);
    }
    /* a truncation inside the data names a tensor whose bytes are missing */
    CHECK(seqnn_safetensors_parse(bytes, size - 1, 0, "cut", &st) == SEQNN_ERR_FORMAT);
    CHECK(strstr(seqnn_last_error(), "'gamma'") && strstr(seqnn_last_error(), "truncated"));

    /* every byte of the file set to a few values: OK or FORMAT, never anything else */
    static const unsigned char vals[] = {0x00, 0x22, 0x2c, 0x30, 0x39, 0x5b, 0x5c, 0x7b, 0x7d, 0xff};
    unsigned char *mod = malloc(size);
    for (size_t i = 0; i < size; i++) {
        for (size_t v = 0; v < sizeof vals; v++) {
            memcpy(mod, bytes, size);
            mod[i] = vals[v];
            seqnn_status s = seqnn_safetensors_parse(mod, size, 1, "mod", &st);
            if (s == SEQNN_OK) {
                /* whatever was accepted is consistent */
                for (int64_t k = 0; k < seqnn_safetensors_count(st); k++) {
                    const seqnn_st_tensor *t = seqnn_safetensors_tensor(st, k);
                    CHECK(t->data >= mod && t->data + t->nbytes <= mod + size);
                }
                seqnn_safetensors_close(st);
            } else if (s != SEQNN_ERR_FORMAT) {
                fprintf(stderr, "byte %zu = %02x: %s\n", i, vals[v], seqnn_status_name(s));
                failures++;
            }
        }
    }
    free(mod);
    free(bytes);
}

static int count_temp_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp."))
            n++;
    if (d)
        closedir(d);
    return n;
}

/* Save replaces atomically, and a failed save leaves the old file and no temp. */
static void test_atomic_save(const char *dir)
{
    unsigned char *bytes;
    size_t size;
    valid_bytes(&bytes, &size);
    free(bytes);
    char path[512];
    snprintf(path, sizeof path, "%s/ckpt.safetensors", dir);
    FILE *f = fopen(path, "wb");
    fputs("old contents", f);
    fclose(f);

    const float x[2] = {1, 2};
    const int64_t s2[1] = {2};
    seqnn_safetensors_writer *w;
    CHECK(seqnn_safetensors_writer_create(&w) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_add(w, "x", SEQNN_ST_F32, 1, s2, x) == SEQNN_OK);
    CHECK(seqnn_safetensors_writer_save(w, path) == SEQNN_OK);
    seqnn_safetensors *st = NULL;
    CHECK(seqnn_safetensors_open(path, &st) == SEQNN_OK);
    CHECK(st && seqnn_safetensors_find(st, "x") != NULL);
    seqnn_safetensors_close(st);
    CHECK(count_temp_files(dir) == 0);

    /* the target is a directory: rename fails, the directory stays, no temp file is left */
    char sub[512];
    snprintf(sub, sizeof sub, "%s/adir", dir);
    CHECK(mkdir(sub, 0700) == 0);
    CHECK(seqnn_safetensors_writer_save(w, sub) == SEQNN_ERR_IO);
    CHECK(strstr(seqnn_last_error(), "adir") != NULL);
    struct stat sb;
    CHECK(stat(sub, &sb) == 0 && S_ISDIR(sb.st_mode));
    CHECK(count_temp_files(dir) == 0);
    rmdir(sub);

    /* a directory that does not exist */
    snprintf(sub, sizeof sub, "%s/no/such/dir/x.safetensors", dir);
    CHECK(seqnn_safetensors_writer_save(w, sub) == SEQNN_ERR_IO);
    seqnn_safetensors_writer_destroy(w);
    unlink(path);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char dir[400];
    snprintf(dir, sizeof dir, "%s/seqnn-st-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip(dir);
    test_valid_by_hand();
    test_malformed();
    test_truncation_and_corruption();
    test_atomic_save(dir);

    char path[512];
    snprintf(path, sizeof path, "%s/rt.safetensors", dir);
    unlink(path);
    if (rmdir(dir) != 0) {
        fprintf(stderr, "temp directory %s not empty\n", dir);
        failures++;
    }
    if (failures) {
        fprintf(stderr, "test_safetensors: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_safetensors: all checks passed\n");
    return 0;
}
