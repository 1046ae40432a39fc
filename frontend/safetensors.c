/* safetensors reader and atomic writer (include/seqnn/safetensors.h): a strict
 * parser of the 8-byte length + JSON header + data layout that validates every
 * offset, length and shape against the file size before exposing a tensor,
 * and a writer that writes a temp file, fsyncs it and renames it into place. */
#define _POSIX_C_SOURCE 200809L
#include "seqnn/safetensors.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define ST_JSON_MAX_DEPTH 64

static const char *const st_dtype_names[SEQNN_ST_DTYPE_COUNT] = {"F32", "F64", "I32", "I64"};
static const size_t st_dtype_sizes[SEQNN_ST_DTYPE_COUNT] = {4, 8, 4, 8};

const char *seqnn_st_dtype_name(seqnn_st_dtype dtype)
{
    return (unsigned)dtype < SEQNN_ST_DTYPE_COUNT ? st_dtype_names[dtype] : NULL;
}

size_t seqnn_st_dtype_size(seqnn_st_dtype dtype)
{
    return (unsigned)dtype < SEQNN_ST_DTYPE_COUNT ? st_dtype_sizes[dtype] : 0;
}

/* Sets the thread's last error to "safetensors: <source>: <message>". */
static seqnn_status st_fail(seqnn_status status, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static seqnn_status st_fail(seqnn_status status, const char *source, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return seqnn_set_error(NULL, status, "safetensors: %s: %s", source ? source : "<memory>", msg);
}

static char *st_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---- little-endian coding (independent of the host's byte order) */
static uint32_t st_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t st_le64(const unsigned char *p)
{
    return (uint64_t)st_le32(p) | (uint64_t)st_le32(p + 4) << 32;
}

static void st_put_le(unsigned char *p, uint64_t v, size_t bytes)
{
    for (size_t i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* Value i of a tensor as double / int64 (dtype already validated). */
static double st_get_f(const seqnn_st_tensor *t, int64_t i)
{
    if (t->dtype == SEQNN_ST_F32) {
        uint32_t u = st_le32(t->data + 4 * i);
        float f;
        memcpy(&f, &u, sizeof f);
        return f;
    }
    uint64_t u = st_le64(t->data + 8 * i);
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

static int64_t st_get_i(const seqnn_st_tensor *t, int64_t i)
{
    if (t->dtype == SEQNN_ST_I32)
        return (int32_t)st_le32(t->data + 4 * i);
    return (int64_t)st_le64(t->data + 8 * i);
}

/* ---- UTF-8 validation (well-formed sequences, no surrogates, no overlongs) */
static int st_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp, min;
        if (c < 0x80) { i++; continue; }
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return 0;
        if (n - i < len)
            return 0;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

/* ---------------------------------------------------------------- reader */

typedef struct st_entry {
    seqnn_st_tensor t;
    uint64_t begin, end;                 /* data_offsets */
} st_entry;

struct seqnn_safetensors {
    unsigned char *owned;                /* copy of the bytes, or NULL when borrowed */
    const unsigned char *bytes;
    size_t size;
    char *source;                        /* name for messages */
    st_entry *entries;                   /* sorted by data offset */
    int64_t n;
    st_entry **by_name;                  /* entries sorted by name */
    char **meta_keys, **meta_values;
    int64_t n_meta;
};

/* The JSON cursor over the header. */
typedef struct st_json {
    const unsigned char *start, *p, *end;
    const char *source;
    seqnn_status status;                 /* first error, SEQNN_OK while none */
} st_json;

static int st_json_fail(st_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int st_json_fail(st_json *j, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    if (j->status != SEQNN_OK)
        return 0;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    j->status = st_fail(SEQNN_ERR_FORMAT, j->source, "header byte %ld: %s",
                        (long)(j->p - j->start), msg);
    return 0;
}

static void st_json_ws(st_json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

/* Consumes c (after whitespace); returns 1 if it was there. */
static int st_json_eat(st_json *j, char c)
{
    st_json_ws(j);
    if (j->p < j->end && *j->p == (unsigned char)c) {
        j->p++;
        return 1;
    }
    return 0;
}

static int st_json_expect(st_json *j, char c, const char *where)
{
    if (st_json_eat(j, c))
        return 1;
    if (j->p >= j->end)
        return st_json_fail(j, "expected '%c' %s, header ends", c, where);
    return st_json_fail(j, "expected '%c' %s, found '%c'", c, where,
                        (*j->p >= 0x20 && *j->p < 0x7f) ? *j->p : '?');
}

static int st_hex4(const unsigned char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= c - '0';
        else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
        else return 0;
    }
    *out = v;
    return 1;
}

/* Parses a JSON string into a malloc'ed UTF-8 C string (no NUL inside). */
static char *st_json_string(st_json *j, const char *what)
{
    st_json_ws(j);
    if (j->p >= j->end || *j->p != '"') {
        st_json_fail(j, "expected a string (%s)%s", what, j->p >= j->end ? ", header ends" : "");
        return NULL;
    }
    j->p++;
    /* the decoded string is never longer than its source */
    const unsigned char *q = j->p;
    while (q < j->end && *q != '"')
        q += (*q == '\\' && q + 1 < j->end) ? 2 : 1;
    if (q >= j->end) {
        st_json_fail(j, "unterminated string (%s)", what);
        return NULL;
    }
    char *out = malloc((size_t)(q - j->p) + 1);
    if (!out) {
        j->status = st_fail(SEQNN_ERR_NO_MEMORY, j->source, "out of memory");
        return NULL;
    }
    size_t n = 0;
    while (*j->p != '"') {
        unsigned c = *j->p;
        if (c < 0x20) {
            st_json_fail(j, "control character in string (%s)", what);
            goto bad;
        }
        if (c != '\\') {
            out[n++] = (char)c;
            j->p++;
            continue;
        }
        j->p++;
        c = *j->p++;
        switch (c) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            uint32_t cp, lo;
            if (q - j->p < 4 || !st_hex4(j->p, &cp)) {
                st_json_fail(j, "bad \\u escape in string (%s)", what);
                goto bad;
            }
            j->p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (q - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || !st_hex4(j->p + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff) {
                    st_json_fail(j, "unpaired surrogate in string (%s)", what);
                    goto bad;
                }
                j->p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                st_json_fail(j, "unpaired surrogate in string (%s)", what);
                goto bad;
            }
            if (cp == 0) {
                st_json_fail(j, "NUL character in string (%s)", what);
                goto bad;
            }
            /* a \uXXXX (6 source bytes) or a pair (12) never needs more than 4 bytes */
            if (cp < 0x80) {
                out[n++] = (char)cp;
            } else if (cp < 0x800) {
                out[n++] = (char)(0xc0 | cp >> 6);
                out[n++] = (char)(0x80 | (cp & 0x3f));
            } else if (cp < 0x10000) {
                out[n++] = (char)(0xe0 | cp >> 12);
                out[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
                out[n++] = (char)(0x80 | (cp & 0x3f));
            } else {
                out[n++] = (char)(0xf0 | cp >> 18);
                out[n++] = (char)(0x80 | (cp >> 12 & 0x3f));
                out[n++] = (char)(0x80 | (cp >> 6 & 0x3f));
                out[n++] = (char)(0x80 | (cp & 0x3f));
            }
            break;
        }
        default:
            j->p--;
            st_json_fail(j, "bad escape in string (%s)", what);
            goto bad;
        }
    }
    j->p++;                              /* closing quote */
    out[n] = '\0';
    if (!st_utf8_valid((const unsigned char *)out, n)) {
        st_json_fail(j, "invalid UTF-8 in string (%s)", what);
        goto bad;
    }
    return out;
bad:
    free(out);
    return NULL;
}

/* A non-negative JSON integer that fits in int64 (no sign, fraction or exponent). */
static int st_json_uint(st_json *j, int64_t *out, const char *what)
{
    st_json_ws(j);
    const unsigned char *s = j->p;
    uint64_t v = 0;
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return st_json_fail(j, "expected a non-negative integer (%s)", what);
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9') {
        unsigned d = *j->p - '0';
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return st_json_fail(j, "integer too large (%s)", what);
        v = v * 10 + d;
        j->p++;
    }
    if (j->p - s > 1 && *s == '0')
        return st_json_fail(j, "integer with a leading zero (%s)", what);
    if (j->p < j->end && (*j->p == '.' || *j->p == 'e' || *j->p == 'E'))
        return st_json_fail(j, "expected an integer, found a fraction or exponent (%s)", what);
    *out = (int64_t)v;
    return 1;
}

/* Skips any JSON value (for members we do not know). */
static int st_json_skip(st_json *j, int depth)
{
    if (depth > ST_JSON_MAX_DEPTH)
        return st_json_fail(j, "nesting deeper than %d", ST_JSON_MAX_DEPTH);
    st_json_ws(j);
    if (j->p >= j->end)
        return st_json_fail(j, "expected a value, header ends");
    unsigned c = *j->p;
    if (c == '"') {
        char *s = st_json_string(j, "value");
        free(s);
        return s != NULL;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        if (st_json_eat(j, close))
            return 1;
        do {
            if (c == '{') {
                char *k = st_json_string(j, "member name");
                if (!k)
                    return 0;
                free(k);
                if (!st_json_expect(j, ':', "after a member name"))
                    return 0;
            }
            if (!st_json_skip(j, depth + 1))
                return 0;
        } while (st_json_eat(j, ','));
        return st_json_expect(j, close, "closing a value");
    }
    static const char *const words[] = {"true", "false", "null"};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(j->end - j->p) >= n && !memcmp(j->p, words[i], n)) {
            j->p += n;
            return 1;
        }
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        if (c == '-')
            j->p++;
        const unsigned char *digits = j->p;
        while (j->p < j->end && ((*j->p >= '0' && *j->p <= '9') || *j->p == '.' || *j->p == 'e' ||
                                 *j->p == 'E' || *j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p == digits)
            return st_json_fail(j, "bad number");
        return 1;
    }
    return st_json_fail(j, "unexpected character '%c'", (c >= 0x20 && c < 0x7f) ? (int)c : '?');
}

/* Array of non-negative integers: [a, b, ...] into vals (at most max). */
static int st_json_uint_array(st_json *j, int64_t *vals, int max, int *n, const char *what)
{
    *n = 0;
    if (!st_json_expect(j, '[', what))
        return 0;
    if (st_json_eat(j, ']'))
        return 1;
    do {
        if (*n >= max)
            return st_json_fail(j, "%s has more than %d entries", what, max);
        if (!st_json_uint(j, &vals[*n], what))
            return 0;
        (*n)++;
    } while (st_json_eat(j, ','));
    return st_json_expect(j, ']', what);
}

/* {"dtype": ..., "shape": [...], "data_offsets": [b, e]} for tensor e->t.name */
static int st_json_tensor(st_json *j, st_entry *e)
{
    const char *name = e->t.name;
    int have_dtype = 0, have_shape = 0, have_offsets = 0;
    char what[96];
    snprintf(what, sizeof what, "of tensor '%.64s'", name);
    if (!st_json_expect(j, '{', what))
        return 0;
    if (!st_json_eat(j, '}')) {
        do {
            char *key = st_json_string(j, "member name");
            if (!key)
                return 0;
            int ok = st_json_expect(j, ':', "after a member name");
            if (ok && !strcmp(key, "dtype")) {
                char *d = have_dtype ? NULL : st_json_string(j, "dtype");
                ok = 0;
                if (have_dtype) {
                    st_json_fail(j, "tensor '%s': duplicate dtype", name);
                } else if (d) {
                    int k;
                    for (k = 0; k < SEQNN_ST_DTYPE_COUNT; k++)
                        if (!strcmp(d, st_dtype_names[k]))
                            break;
                    if (k == SEQNN_ST_DTYPE_COUNT)
                        st_json_fail(j, "tensor '%s': unsupported dtype \"%.32s\" (F32, F64, I32, I64 are)",
                                     name, d);
                    else {
                        e->t.dtype = (seqnn_st_dtype)k;
                        have_dtype = ok = 1;
                    }
                }
                free(d);
            } else if (ok && !strcmp(key, "shape")) {
                ok = 0;
                if (have_shape)
                    st_json_fail(j, "tensor '%s': duplicate shape", name);
                else if (st_json_uint_array(j, e->t.shape, SEQNN_SAFETENSORS_MAX_DIMS, &e->t.ndim,
                                            "shape"))
                    have_shape = ok = 1;
            } else if (ok && !strcmp(key, "data_offsets")) {
                int64_t off[2];
                int n = 0;
                ok = 0;
                if (have_offsets)
                    st_json_fail(j, "tensor '%s': duplicate data_offsets", name);
                else if (st_json_uint_array(j, off, 2, &n, "data_offsets")) {
                    if (n != 2)
                        st_json_fail(j, "tensor '%s': data_offsets needs 2 entries, has %d", name, n);
                    else {
                        e->begin = (uint64_t)off[0];
                        e->end = (uint64_t)off[1];
                        have_offsets = ok = 1;
                    }
                }
            } else if (ok) {
                ok = st_json_skip(j, 1);
            }
            free(key);
            if (!ok)
                return 0;
        } while (st_json_eat(j, ','));
        if (!st_json_expect(j, '}', what))
            return 0;
    }
    if (!have_dtype || !have_shape || !have_offsets)
        return st_json_fail(j, "tensor '%s': missing %s", name,
                            !have_dtype ? "dtype" : !have_shape ? "shape" : "data_offsets");
    return 1;
}

static int st_json_metadata(st_json *j, seqnn_safetensors *st)
{
    if (!st_json_expect(j, '{', "opening __metadata__"))
        return 0;
    if (st_json_eat(j, '}'))
        return 1;
    do {
        char *k = st_json_string(j, "__metadata__ key");
        char *v = NULL;
        if (k && st_json_expect(j, ':', "after a __metadata__ key"))
            v = st_json_string(j, "__metadata__ value (metadata values must be strings)");
        if (v) {
            for (int64_t i = 0; i < st->n_meta; i++)
                if (!strcmp(st->meta_keys[i], k)) {
                    st_json_fail(j, "duplicate __metadata__ key '%s'", k);
                    free(v);
                    v = NULL;
                    break;
                }
        }
        if (v) {
            char **nk = realloc(st->meta_keys, (size_t)(st->n_meta + 1) * sizeof *nk);
            if (nk)
                st->meta_keys = nk;
            char **nv = nk ? realloc(st->meta_values, (size_t)(st->n_meta + 1) * sizeof *nv) : NULL;
            if (nv)
                st->meta_values = nv;
            if (!nk || !nv) {
                j->status = st_fail(SEQNN_ERR_NO_MEMORY, j->source, "out of memory");
                free(v);
                v = NULL;
            } else {
                st->meta_keys[st->n_meta] = k;
                st->meta_values[st->n_meta] = v;
                st->n_meta++;
                k = NULL;
            }
        }
        free(k);
        if (!v)
            return 0;
    } while (st_json_eat(j, ','));
    return st_json_expect(j, '}', "closing __metadata__");
}

static int st_json_header(st_json *j, seqnn_safetensors *st)
{
    int64_t cap = 0;
    int have_meta = 0;
    if (j->p >= j->end || *j->p != '{')
        return st_json_fail(j, "header does not start with '{'");
    j->p++;
    if (!st_json_eat(j, '}')) {
        do {
            char *key = st_json_string(j, "tensor name");
            if (!key)
                return 0;
            if (!st_json_expect(j, ':', "after a tensor name")) {
                free(key);
                return 0;
            }
            if (!strcmp(key, "__metadata__")) {
                free(key);
                if (have_meta)
                    return st_json_fail(j, "duplicate __metadata__");
                have_meta = 1;
                if (!st_json_metadata(j, st))
                    return 0;
                continue;
            }
            if (key[0] == '\0') {
                free(key);
                return st_json_fail(j, "empty tensor name");
            }
            if (st->n == cap) {
                int64_t ncap = cap ? 2 * cap : 16;
                st_entry *ne = realloc(st->entries, (size_t)ncap * sizeof *ne);
                if (!ne) {
                    free(key);
                    j->status = st_fail(SEQNN_ERR_NO_MEMORY, j->source, "out of memory");
                    return 0;
                }
                st->entries = ne;
                cap = ncap;
            }
            st_entry *e = &st->entries[st->n++];
            memset(e, 0, sizeof *e);
            e->t.name = key;
            if (!st_json_tensor(j, e))
                return 0;
        } while (st_json_eat(j, ','));
        if (!st_json_expect(j, '}', "closing the header"))
            return 0;
    }
    st_json_ws(j);
    if (j->p != j->end)
        return st_json_fail(j, "unexpected bytes after the header object");
    return 1;
}

static int st_cmp_offset(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    return (x->end > y->end) - (x->end < y->end);
}

static int st_cmp_name_idx(const void *a, const void *b)
{
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    return strcmp(x->t.name, y->t.name);
}

/* Checks shapes, sizes, bounds, tiling and unique names; sets data pointers. */
static seqnn_status st_validate(seqnn_safetensors *st, const unsigned char *data, uint64_t data_size)
{
    for (int64_t i = 0; i < st->n; i++) {
        st_entry *e = &st->entries[i];
        size_t es = st_dtype_sizes[e->t.dtype];
        int64_t count = 1;
        for (int d = 0; d < e->t.ndim; d++) {
            int64_t dim = e->t.shape[d];
            if (dim != 0 && count > (INT64_MAX / (int64_t)es) / dim)
                return st_fail(SEQNN_ERR_FORMAT, st->source, "tensor '%s': shape too large",
                               e->t.name);
            count *= dim;
        }
        uint64_t nbytes = (uint64_t)count * es;
        if (e->end < e->begin)
            return st_fail(SEQNN_ERR_FORMAT, st->source,
                           "tensor '%s': data_offsets [%llu, %llu] end before they begin", e->t.name,
                           (unsigned long long)e->begin, (unsigned long long)e->end);
        if (e->end > data_size)
            return st_fail(SEQNN_ERR_FORMAT, st->source,
                           "tensor '%s': data_offsets [%llu, %llu] past the end of the data (%llu "
                           "bytes): file truncated?", e->t.name, (unsigned long long)e->begin,
                           (unsigned long long)e->end, (unsigned long long)data_size);
        if (e->end - e->begin != nbytes)
            return st_fail(SEQNN_ERR_FORMAT, st->source,
                           "tensor '%s': %s shape with %lld elements needs %llu bytes, "
                           "data_offsets [%llu, %llu] give %llu", e->t.name,
                           st_dtype_names[e->t.dtype], (long long)count, (unsigned long long)nbytes,
                           (unsigned long long)e->begin, (unsigned long long)e->end,
                           (unsigned long long)(e->end - e->begin));
        e->t.count = count;
        e->t.nbytes = (size_t)nbytes;
        e->t.data = data + e->begin;
    }
    if (st->n > 1)
        qsort(st->entries, (size_t)st->n, sizeof *st->entries, st_cmp_offset);
    uint64_t at = 0;
    for (int64_t i = 0; i < st->n; i++) {
        const st_entry *e = &st->entries[i];
        if (e->begin != at)
            return st_fail(SEQNN_ERR_FORMAT, st->source,
                           "tensor '%s': data starts at byte %llu, expected %llu (%s)", e->t.name,
                           (unsigned long long)e->begin, (unsigned long long)at,
                           e->begin > at ? "a hole in the data" : "overlaps the previous tensor");
        at = e->end;
    }
    if (at != data_size)
        return st_fail(SEQNN_ERR_FORMAT, st->source,
                       "%llu bytes of data after the last tensor (tensors cover %llu of %llu)",
                       (unsigned long long)(data_size - at), (unsigned long long)at,
                       (unsigned long long)data_size);
    /* name index (entries are not moved any more) */
    st_entry **idx = malloc((size_t)(st->n ? st->n : 1) * sizeof *idx);
    if (!idx)
        return st_fail(SEQNN_ERR_NO_MEMORY, st->source, "out of memory");
    st->by_name = idx;
    for (int64_t i = 0; i < st->n; i++)
        idx[i] = &st->entries[i];
    if (st->n > 1)
        qsort(idx, (size_t)st->n, sizeof *idx, st_cmp_name_idx);
    for (int64_t i = 1; i < st->n; i++)
        if (!strcmp(idx[i - 1]->t.name, idx[i]->t.name))
            return st_fail(SEQNN_ERR_FORMAT, st->source, "duplicate tensor name '%s'",
                           idx[i]->t.name);
    return SEQNN_OK;
}

void seqnn_safetensors_close(seqnn_safetensors *st)
{
    if (!st)
        return;
    for (int64_t i = 0; i < st->n; i++)
        free((char *)st->entries[i].t.name);
    for (int64_t i = 0; i < st->n_meta; i++) {
        free(st->meta_keys[i]);
        free(st->meta_values[i]);
    }
    free(st->meta_keys);
    free(st->meta_values);
    free(st->entries);
    free(st->by_name);
    free(st->owned);
    free(st->source);
    free(st);
}

seqnn_status seqnn_safetensors_parse(const void *bytes, size_t size, int borrow, const char *name,
                                     seqnn_safetensors **out)
{
    if (!out)
        return st_fail(SEQNN_ERR_INVALID_ARG, name, "out is NULL");
    *out = NULL;
    if (!bytes && size)
        return st_fail(SEQNN_ERR_INVALID_ARG, name, "bytes is NULL");
    seqnn_safetensors *st = calloc(1, sizeof *st);
    if (!st)
        return st_fail(SEQNN_ERR_NO_MEMORY, name, "out of memory");
    st->source = st_strdup(name ? name : "<memory>");
    if (!st->source) {
        seqnn_safetensors_close(st);
        return st_fail(SEQNN_ERR_NO_MEMORY, name, "out of memory");
    }
    if (borrow) {
        st->bytes = bytes;
    } else {
        st->owned = malloc(size ? size : 1);
        if (!st->owned) {
            seqnn_safetensors_close(st);
            return st_fail(SEQNN_ERR_NO_MEMORY, name, "out of memory");
        }
        if (size)
            memcpy(st->owned, bytes, size);
        st->bytes = st->owned;
    }
    st->size = size;

    seqnn_status s;
    if (size < 8) {
        s = st_fail(SEQNN_ERR_FORMAT, st->source,
                    "%zu bytes: too short for the 8-byte header length (truncated or not a "
                    "safetensors file)", size);
        goto fail;
    }
    uint64_t hlen = st_le64(st->bytes);
    if (hlen > size - 8) {
        s = st_fail(SEQNN_ERR_FORMAT, st->source,
                    "header length %llu exceeds the %zu bytes after it (truncated or not a "
                    "safetensors file)", (unsigned long long)hlen, size - 8);
        goto fail;
    }
    if (hlen > SEQNN_SAFETENSORS_MAX_HEADER) {
        s = st_fail(SEQNN_ERR_FORMAT, st->source, "header length %llu exceeds the limit %u",
                    (unsigned long long)hlen, SEQNN_SAFETENSORS_MAX_HEADER);
        goto fail;
    }
    st_json j = {st->bytes + 8, st->bytes + 8, st->bytes + 8 + hlen, st->source, SEQNN_OK};
    if (!st_json_header(&j, st)) {
        s = j.status != SEQNN_OK ? j.status
                                 : st_fail(SEQNN_ERR_INTERNAL, st->source, "header parse failed");
        goto fail;
    }
    s = st_validate(st, st->bytes + 8 + hlen, size - 8 - hlen);
    if (s != SEQNN_OK)
        goto fail;
    *out = st;
    return SEQNN_OK;
fail:
    seqnn_safetensors_close(st);
    return s;
}

seqnn_status seqnn_safetensors_open(const char *path, seqnn_safetensors **out)
{
    if (!out || !path)
        return st_fail(SEQNN_ERR_INVALID_ARG, path, "%s is NULL", out ? "path" : "out");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return st_fail(errno == ENOENT ? SEQNN_ERR_NOT_FOUND : SEQNN_ERR_IO, path, "cannot open: %s",
                       strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return st_fail(SEQNN_ERR_IO, path, "not a regular file");
    }
    if ((uintmax_t)sb.st_size > (uintmax_t)SIZE_MAX - 1) {
        fclose(f);
        return st_fail(SEQNN_ERR_IO, path, "file too large");
    }
    size_t size = (size_t)sb.st_size;
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        fclose(f);
        return st_fail(SEQNN_ERR_NO_MEMORY, path, "out of memory for %zu bytes", size);
    }
    size_t got = fread(buf, 1, size, f);
    int err = ferror(f);
    fclose(f);
    if (got != size || err) {
        free(buf);
        return st_fail(SEQNN_ERR_IO, path, "read %zu of %zu bytes", got, size);
    }
    seqnn_status s = seqnn_safetensors_parse(buf, size, 1, path, out);
    if (s != SEQNN_OK) {
        free(buf);
        return s;
    }
    (*out)->owned = buf;                 /* parsed borrowing buf: now owns it */
    return SEQNN_OK;
}

int64_t seqnn_safetensors_count(const seqnn_safetensors *st)
{
    return st ? st->n : 0;
}

const seqnn_st_tensor *seqnn_safetensors_tensor(const seqnn_safetensors *st, int64_t i)
{
    return (st && i >= 0 && i < st->n) ? &st->entries[i].t : NULL;
}

const seqnn_st_tensor *seqnn_safetensors_find(const seqnn_safetensors *st, const char *name)
{
    if (!st || !name)
        return NULL;
    st_entry *const *idx = st->by_name;
    int64_t lo = 0, hi = st->n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int c = strcmp(idx[mid]->t.name, name);
        if (c == 0)
            return &idx[mid]->t;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *seqnn_safetensors_metadata(const seqnn_safetensors *st, const char *key)
{
    if (!st || !key)
        return NULL;
    for (int64_t i = 0; i < st->n_meta; i++)
        if (!strcmp(st->meta_keys[i], key))
            return st->meta_values[i];
    return NULL;
}

int64_t seqnn_safetensors_metadata_count(const seqnn_safetensors *st)
{
    return st ? st->n_meta : 0;
}

seqnn_status seqnn_safetensors_metadata_entry(const seqnn_safetensors *st, int64_t i,
                                              const char **key, const char **value)
{
    if (!st || i < 0 || i >= st->n_meta || !key || !value)
        return st_fail(SEQNN_ERR_INVALID_ARG, st ? st->source : NULL, "no metadata entry %lld",
                       (long long)i);
    *key = st->meta_keys[i];
    *value = st->meta_values[i];
    return SEQNN_OK;
}

/* The tensor `name` with `count` elements whose dtype is a or b. */
static seqnn_status st_lookup(const seqnn_safetensors *st, const char *name, int64_t count,
                              seqnn_st_dtype a, seqnn_st_dtype b, const char *want,
                              const seqnn_st_tensor **out)
{
    if (!st || !name)
        return st_fail(SEQNN_ERR_INVALID_ARG, NULL, "%s is NULL", st ? "name" : "file");
    const seqnn_st_tensor *t = seqnn_safetensors_find(st, name);
    if (!t)
        return st_fail(SEQNN_ERR_NOT_FOUND, st->source, "no tensor '%s'", name);
    if (t->dtype != a && t->dtype != b)
        return st_fail(SEQNN_ERR_FORMAT, st->source, "tensor '%s' is %s, expected %s", name,
                       st_dtype_names[t->dtype], want);
    if (t->count != count)
        return st_fail(SEQNN_ERR_FORMAT, st->source, "tensor '%s' has %lld elements, expected %lld",
                       name, (long long)t->count, (long long)count);
    *out = t;
    return SEQNN_OK;
}

seqnn_status seqnn_safetensors_read_f32(const seqnn_safetensors *st, const char *name, float *dst,
                                        int64_t count)
{
    const seqnn_st_tensor *t;
    seqnn_status s = st_lookup(st, name, count, SEQNN_ST_F32, SEQNN_ST_F64, "F32 or F64", &t);
    if (s != SEQNN_OK)
        return s;
    for (int64_t i = 0; i < count; i++) {
        if (t->dtype == SEQNN_ST_F32) {  /* bit-exact: a float -> double -> float trip quiets signalling NaNs */
            uint32_t u = st_le32(t->data + 4 * i);
            memcpy(&dst[i], &u, sizeof u);
        } else {
            dst[i] = (float)st_get_f(t, i);
        }
    }
    return SEQNN_OK;
}

seqnn_status seqnn_safetensors_read_f64(const seqnn_safetensors *st, const char *name, double *dst,
                                        int64_t count)
{
    const seqnn_st_tensor *t;
    seqnn_status s = st_lookup(st, name, count, SEQNN_ST_F32, SEQNN_ST_F64, "F32 or F64", &t);
    if (s != SEQNN_OK)
        return s;
    for (int64_t i = 0; i < count; i++)
        dst[i] = st_get_f(t, i);
    return SEQNN_OK;
}

seqnn_status seqnn_safetensors_read_i32(const seqnn_safetensors *st, const char *name, int32_t *dst,
                                        int64_t count)
{
    const seqnn_st_tensor *t;
    seqnn_status s = st_lookup(st, name, count, SEQNN_ST_I32, SEQNN_ST_I64, "I32 or I64", &t);
    if (s != SEQNN_OK)
        return s;
    for (int64_t i = 0; i < count; i++) {
        int64_t v = st_get_i(t, i);
        if (v < INT32_MIN || v > INT32_MAX)
            return st_fail(SEQNN_ERR_FORMAT, st->source,
                           "tensor '%s': element %lld = %lld does not fit in int32", name,
                           (long long)i, (long long)v);
    }
    for (int64_t i = 0; i < count; i++)
        dst[i] = (int32_t)st_get_i(t, i);
    return SEQNN_OK;
}

seqnn_status seqnn_safetensors_read_i64(const seqnn_safetensors *st, const char *name, int64_t *dst,
                                        int64_t count)
{
    const seqnn_st_tensor *t;
    seqnn_status s = st_lookup(st, name, count, SEQNN_ST_I32, SEQNN_ST_I64, "I32 or I64", &t);
    if (s != SEQNN_OK)
        return s;
    for (int64_t i = 0; i < count; i++)
        dst[i] = st_get_i(t, i);
    return SEQNN_OK;
}

/* "[2, 3]" */
static void st_shape_str(char *buf, size_t size, int ndim, const int64_t *shape)
{
    size_t at = 0;
    at += (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && at < size; d++)
        at += (size_t)snprintf(buf + at, size - at, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (at < size)
        snprintf(buf + at, size - at, "]");
}

seqnn_status seqnn_safetensors_expect_shape(const seqnn_safetensors *st, const char *name, int ndim,
                                            const int64_t *shape)
{
    if (!st || !name || ndim < 0 || (ndim > 0 && !shape))
        return st_fail(SEQNN_ERR_INVALID_ARG, st ? st->source : NULL, "bad arguments");
    const seqnn_st_tensor *t = seqnn_safetensors_find(st, name);
    if (!t)
        return st_fail(SEQNN_ERR_NOT_FOUND, st->source, "no tensor '%s'", name);
    int same = t->ndim == ndim;
    for (int d = 0; same && d < ndim; d++)
        same = t->shape[d] == shape[d];
    if (!same) {
        char have[160], want[160];
        st_shape_str(have, sizeof have, t->ndim, t->shape);
        st_shape_str(want, sizeof want, ndim, shape);
        return st_fail(SEQNN_ERR_FORMAT, st->source, "tensor '%s' has shape %s, expected %s", name,
                       have, want);
    }
    return SEQNN_OK;
}

/* ---------------------------------------------------------------- writer */

typedef struct st_wtensor {
    char *name;
    seqnn_st_dtype dtype;
    int ndim;
    int64_t shape[SEQNN_SAFETENSORS_MAX_DIMS];
    unsigned char *data;                 /* little-endian bytes */
    size_t nbytes;
} st_wtensor;

struct seqnn_safetensors_writer {
    st_wtensor *t;
    int64_t n, cap;
    char **meta_keys, **meta_values;
    int64_t n_meta;
};

seqnn_status seqnn_safetensors_writer_create(seqnn_safetensors_writer **out)
{
    if (!out)
        return st_fail(SEQNN_ERR_INVALID_ARG, "writer", "out is NULL");
    *out = calloc(1, sizeof **out);
    return *out ? SEQNN_OK : st_fail(SEQNN_ERR_NO_MEMORY, "writer", "out of memory");
}

void seqnn_safetensors_writer_destroy(seqnn_safetensors_writer *w)
{
    if (!w)
        return;
    for (int64_t i = 0; i < w->n; i++) {
        free(w->t[i].name);
        free(w->t[i].data);
    }
    for (int64_t i = 0; i < w->n_meta; i++) {
        free(w->meta_keys[i]);
        free(w->meta_values[i]);
    }
    free(w->t);
    free(w->meta_keys);
    free(w->meta_values);
    free(w);
}

seqnn_status seqnn_safetensors_writer_add(seqnn_safetensors_writer *w, const char *name,
                                          seqnn_st_dtype dtype, int ndim, const int64_t *shape,
                                          const void *data)
{
    const char *src = "writer";
    if (!w || !name)
        return st_fail(SEQNN_ERR_INVALID_ARG, src, "%s is NULL", w ? "name" : "writer");
    if (!name[0] || !strcmp(name, "__metadata__") ||
        !st_utf8_valid((const unsigned char *)name, strlen(name)))
        return st_fail(SEQNN_ERR_INVALID_ARG, src, "invalid tensor name '%s'", name);
    if ((unsigned)dtype >= SEQNN_ST_DTYPE_COUNT)
        return st_fail(SEQNN_ERR_INVALID_ARG, src, "tensor '%s': invalid dtype %d", name, (int)dtype);
    if (ndim < 0 || ndim > SEQNN_SAFETENSORS_MAX_DIMS || (ndim > 0 && !shape))
        return st_fail(SEQNN_ERR_INVALID_ARG, src, "tensor '%s': invalid rank %d", name, ndim);
    size_t es = st_dtype_sizes[dtype];
    int64_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0)
            return st_fail(SEQNN_ERR_INVALID_ARG, src, "tensor '%s': negative dimension", name);
        if (shape[d] != 0 && count > (INT64_MAX / (int64_t)es) / shape[d])
            return st_fail(SEQNN_ERR_INVALID_ARG, src, "tensor '%s': shape too large", name);
        count *= shape[d];
    }
    if (count > 0 && !data)
        return st_fail(SEQNN_ERR_INVALID_ARG, src, "tensor '%s': data is NULL", name);
    for (int64_t i = 0; i < w->n; i++)
        if (!strcmp(w->t[i].name, name))
            return st_fail(SEQNN_ERR_INVALID_ARG, src, "duplicate tensor name '%s'", name);
    if ((uint64_t)count * es > SIZE_MAX)
        return st_fail(SEQNN_ERR_INVALID_ARG, src, "tensor '%s': too large", name);
    if (w->n == w->cap) {
        int64_t ncap = w->cap ? 2 * w->cap : 16;
        st_wtensor *nt = realloc(w->t, (size_t)ncap * sizeof *nt);
        if (!nt)
            return st_fail(SEQNN_ERR_NO_MEMORY, src, "out of memory");
        w->t = nt;
        w->cap = ncap;
    }
    st_wtensor *t = &w->t[w->n];
    memset(t, 0, sizeof *t);
    t->nbytes = (size_t)count * es;
    t->name = st_strdup(name);
    t->data = malloc(t->nbytes ? t->nbytes : 1);
    if (!t->name || !t->data) {
        free(t->name);
        free(t->data);
        return st_fail(SEQNN_ERR_NO_MEMORY, src, "tensor '%s': out of memory", name);
    }
    t->dtype = dtype;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    /* host values to little-endian bytes */
    const unsigned char *in = data;
    for (int64_t i = 0; i < count; i++) {
        uint64_t v;
        if (es == 4) {
            uint32_t u;
            memcpy(&u, in + 4 * i, 4);
            v = u;
        } else {
            memcpy(&v, in + 8 * i, 8);
        }
        st_put_le(t->data + (size_t)i * es, v, es);
    }
    w->n++;
    return SEQNN_OK;
}

seqnn_status seqnn_safetensors_writer_metadata(seqnn_safetensors_writer *w, const char *key,
                                               const char *value)
{
    if (!w || !key || !value)
        return st_fail(SEQNN_ERR_INVALID_ARG, "writer", "NULL argument");
    if (!st_utf8_valid((const unsigned char *)key, strlen(key)) ||
        !st_utf8_valid((const unsigned char *)value, strlen(value)))
        return st_fail(SEQNN_ERR_INVALID_ARG, "writer", "metadata '%s': invalid UTF-8", key);
    char *v = st_strdup(value);
    if (!v)
        return st_fail(SEQNN_ERR_NO_MEMORY, "writer", "out of memory");
    for (int64_t i = 0; i < w->n_meta; i++)
        if (!strcmp(w->meta_keys[i], key)) {
            free(w->meta_values[i]);
            w->meta_values[i] = v;
            return SEQNN_OK;
        }
    char *k = st_strdup(key);
    char **nk = k ? realloc(w->meta_keys, (size_t)(w->n_meta + 1) * sizeof *nk) : NULL;
    if (nk)
        w->meta_keys = nk;
    char **nv = nk ? realloc(w->meta_values, (size_t)(w->n_meta + 1) * sizeof *nv) : NULL;
    if (nv)
        w->meta_values = nv;
    if (!nv) {
        free(k);
        free(v);
        return st_fail(SEQNN_ERR_NO_MEMORY, "writer", "out of memory");
    }
    w->meta_keys[w->n_meta] = k;
    w->meta_values[w->n_meta] = v;
    w->n_meta++;
    return SEQNN_OK;
}

/* A growing byte string for the JSON header. */
typedef struct st_buf {
    char *p;
    size_t n, cap;
    int oom;
} st_buf;

static void st_buf_put(st_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t ncap = b->cap ? b->cap : 256;
        while (ncap < b->n + n + 1)
            ncap *= 2;
        char *np = realloc(b->p, ncap);
        if (!np) {
            b->oom = 1;
            return;
        }
        b->p = np;
        b->cap = ncap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void st_buf_str(st_buf *b, const char *s)
{
    st_buf_put(b, s, strlen(s));
}

/* A JSON string literal (quotes, escapes of '"', '\\' and control characters). */
static void st_buf_json_string(st_buf *b, const char *s)
{
    st_buf_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            st_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            st_buf_put(b, esc, 6);
        } else {
            st_buf_put(b, (const char *)&c, 1);
        }
    }
    st_buf_put(b, "\"", 1);
}

/* Data order: element size descending, then insertion order (stable). */
static int64_t *st_writer_order(const seqnn_safetensors_writer *w)
{
    int64_t *order = malloc((size_t)(w->n ? w->n : 1) * sizeof *order);
    if (!order)
        return NULL;
    int64_t k = 0;
    for (size_t es = 8; es >= 4; es -= 4)
        for (int64_t i = 0; i < w->n; i++)
            if (st_dtype_sizes[w->t[i].dtype] == es)
                order[k++] = i;
    return order;
}

/* The header (8-byte length + JSON padded with spaces to a multiple of 8). */
static seqnn_status st_writer_header(const seqnn_safetensors_writer *w, const int64_t *order,
                                     st_buf *b, uint64_t *data_size)
{
    char num[64];
    uint64_t at = 0;
    st_buf_put(b, "\0\0\0\0\0\0\0\0", 8);
    st_buf_str(b, "{");
    int first = 1;
    if (w->n_meta) {
        st_buf_str(b, "\"__metadata__\":{");
        for (int64_t i = 0; i < w->n_meta; i++) {
            if (i)
                st_buf_str(b, ",");
            st_buf_json_string(b, w->meta_keys[i]);
            st_buf_str(b, ":");
            st_buf_json_string(b, w->meta_values[i]);
        }
        st_buf_str(b, "}");
        first = 0;
    }
    for (int64_t k = 0; k < w->n; k++) {
        const st_wtensor *t = &w->t[order[k]];
        if (!first)
            st_buf_str(b, ",");
        first = 0;
        st_buf_json_string(b, t->name);
        st_buf_str(b, ":{\"dtype\":\"");
        st_buf_str(b, st_dtype_names[t->dtype]);
        st_buf_str(b, "\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)t->shape[d]);
            st_buf_str(b, num);
        }
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)at,
                 (unsigned long long)(at + t->nbytes));
        st_buf_str(b, num);
        at += t->nbytes;
    }
    st_buf_str(b, "}");
    while (!b->oom && b->n % 8 != 0)
        st_buf_str(b, " ");
    if (b->oom)
        return st_fail(SEQNN_ERR_NO_MEMORY, "writer", "out of memory");
    if (b->n - 8 > SEQNN_SAFETENSORS_MAX_HEADER)
        return st_fail(SEQNN_ERR_INVALID_ARG, "writer", "header of %zu bytes exceeds the limit",
                       b->n - 8);
    st_put_le((unsigned char *)b->p, (uint64_t)(b->n - 8), 8);
    *data_size = at;
    return SEQNN_OK;
}

seqnn_status seqnn_safetensors_writer_serialize(seqnn_safetensors_writer *w, unsigned char **bytes,
                                                size_t *size)
{
    if (!w || !bytes || !size)
        return st_fail(SEQNN_ERR_INVALID_ARG, "writer", "NULL argument");
    int64_t *order = st_writer_order(w);
    if (!order)
        return st_fail(SEQNN_ERR_NO_MEMORY, "writer", "out of memory");
    st_buf b = {0};
    uint64_t data_size;
    seqnn_status s = st_writer_header(w, order, &b, &data_size);
    if (s == SEQNN_OK && data_size > SIZE_MAX - b.n)
        s = st_fail(SEQNN_ERR_NO_MEMORY, "writer", "too large");
    unsigned char *out = s == SEQNN_OK ? malloc(b.n + (size_t)data_size) : NULL;
    if (s == SEQNN_OK && !out)
        s = st_fail(SEQNN_ERR_NO_MEMORY, "writer", "out of memory");
    if (s == SEQNN_OK) {
        size_t at = b.n;
        memcpy(out, b.p, b.n);
        for (int64_t k = 0; k < w->n; k++) {
            const st_wtensor *t = &w->t[order[k]];
            if (t->nbytes)
                memcpy(out + at, t->data, t->nbytes);
            at += t->nbytes;
        }
        *bytes = out;
        *size = at;
    }
    free(b.p);
    free(order);
    return s;
}

/* write() all of buf, retrying on EINTR and short writes. */
static int st_write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

seqnn_status seqnn_safetensors_writer_save(seqnn_safetensors_writer *w, const char *path)
{
    static atomic_uint counter;
    if (!w || !path || !path[0])
        return st_fail(SEQNN_ERR_INVALID_ARG, path, "NULL argument or empty path");
    int64_t *order = st_writer_order(w);
    if (!order)
        return st_fail(SEQNN_ERR_NO_MEMORY, path, "out of memory");
    st_buf b = {0};
    uint64_t data_size;
    seqnn_status s = st_writer_header(w, order, &b, &data_size);
    size_t tlen = strlen(path) + 64;
    char *tmp = s == SEQNN_OK ? malloc(tlen) : NULL;
    int fd = -1;
    if (s == SEQNN_OK && !tmp)
        s = st_fail(SEQNN_ERR_NO_MEMORY, path, "out of memory");
    for (int attempt = 0; s == SEQNN_OK && fd < 0 && attempt < 100; attempt++) {
        snprintf(tmp, tlen, "%s.tmp.%ld.%u", path, (long)getpid(), atomic_fetch_add(&counter, 1u));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            s = st_fail(SEQNN_ERR_IO, path, "cannot create temp file %s: %s", tmp, strerror(errno));
    }
    if (s == SEQNN_OK && fd < 0)
        s = st_fail(SEQNN_ERR_IO, path, "cannot create a temp file next to it");
    if (s == SEQNN_OK) {
        int ok = st_write_all(fd, b.p, b.n) == 0;
        for (int64_t k = 0; ok && k < w->n; k++)
            ok = st_write_all(fd, w->t[order[k]].data, w->t[order[k]].nbytes) == 0;
        if (ok)
            ok = fsync(fd) == 0;
        int err = errno;
        if (close(fd) != 0 && ok) {
            ok = 0;
            err = errno;
        }
        if (ok && rename(tmp, path) != 0) {
            ok = 0;
            err = errno;
        }
        if (!ok) {
            unlink(tmp);
            s = st_fail(SEQNN_ERR_IO, path, "writing failed: %s", strerror(err));
        } else {
            /* make the rename itself durable (best effort) */
            char *dir = st_strdup(path);
            char *slash = dir ? strrchr(dir, '/') : NULL;
            if (dir) {
                if (slash)
                    *(slash == dir ? slash + 1 : slash) = '\0';
                int dfd = open(slash ? dir : ".", O_RDONLY | O_CLOEXEC);
                if (dfd >= 0) {
                    (void)fsync(dfd);
                    close(dfd);
                }
                free(dir);
            }
        }
    }
    free(tmp);
    free(b.p);
    free(order);
    return s;
}
