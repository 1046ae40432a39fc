/* seqnn safetensors: a small, strict reader and an atomic writer of the
 * safetensors format (checkpoints with PyTorch state_dict names, golden data).
 *
 * Format (https://github.com/huggingface/safetensors): an 8-byte little-endian
 * unsigned header length N, N bytes of JSON (an object; may end with spaces),
 * then the data bytes. The JSON maps each tensor name to
 *   {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
 * (byte offsets into the data section, little-endian, row-major), plus an
 * optional "__metadata__" object of string -> string.
 *
 * Reader: every offset, length and shape is validated against the file size
 * before anything is exposed; tensors must tile the data section exactly (no
 * holes, no overlaps) as the reference implementation requires; names are
 * unique. Supported dtypes: F32, F64, I32, I64 (others are refused with the
 * tensor's name). Malformed or truncated input gives SEQNN_ERR_FORMAT (a
 * missing file SEQNN_ERR_NOT_FOUND, another unreadable one SEQNN_ERR_IO)
 * and a message naming the tensor, readable with
 * seqnn_last_error(); it never crashes and never reads out of bounds.
 *
 * Writer: tensors are copied when added; save writes "<path>.tmp.*" in the
 * same directory, flushes it to disk and renames it over path, so a crash never
 * leaves a half-written file under path. Data is ordered by element size
 * (largest first, then insertion order) so every tensor is naturally aligned.
 */
#ifndef SEQNN_SAFETENSORS_H
#define SEQNN_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "seqnn/export.h"
#include "seqnn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SEQNN_SAFETENSORS_MAX_DIMS 8
/* Header larger than this is refused (the reference implementation's limit). */
#define SEQNN_SAFETENSORS_MAX_HEADER (100u * 1000u * 1000u)

typedef enum seqnn_st_dtype {
    SEQNN_ST_F32 = 0,
    SEQNN_ST_F64,
    SEQNN_ST_I32,
    SEQNN_ST_I64,
    SEQNN_ST_DTYPE_COUNT
} seqnn_st_dtype;

/* One tensor of an open file. data points into the file's bytes (valid until
 * seqnn_safetensors_close), little-endian, possibly unaligned: use the
 * seqnn_safetensors_read_* functions to get host values. */
typedef struct seqnn_st_tensor {
    const char *name;
    seqnn_st_dtype dtype;
    int ndim;
    int64_t shape[SEQNN_SAFETENSORS_MAX_DIMS];
    int64_t count;                       /* product of shape (1 for a scalar, ndim 0) */
    const unsigned char *data;           /* count * element size bytes */
    size_t nbytes;
} seqnn_st_tensor;

typedef struct seqnn_safetensors seqnn_safetensors;
typedef struct seqnn_safetensors_writer seqnn_safetensors_writer;

/* "F32", ... (NULL for an invalid value); size of an element in bytes (0 if invalid). */
SEQNN_API const char *seqnn_st_dtype_name(seqnn_st_dtype dtype);
SEQNN_API size_t seqnn_st_dtype_size(seqnn_st_dtype dtype);

/* ---- reading */
/* Reads and validates a whole file. */
SEQNN_API seqnn_status seqnn_safetensors_open(const char *path, seqnn_safetensors **out);
/* Validates size bytes in memory. The bytes are copied unless borrow is 1, in
 * which case they must stay valid and unchanged until close. name is used in
 * messages (NULL: "<memory>"). */
SEQNN_API seqnn_status seqnn_safetensors_parse(const void *bytes, size_t size, int borrow, const char *name,
                                               seqnn_safetensors **out);
SEQNN_API void seqnn_safetensors_close(seqnn_safetensors *st);

/* Tensors in the order of their data (i.e. of data_offsets). */
SEQNN_API int64_t seqnn_safetensors_count(const seqnn_safetensors *st);
SEQNN_API const seqnn_st_tensor *seqnn_safetensors_tensor(const seqnn_safetensors *st, int64_t i);
/* NULL when there is no tensor of that name (not an error by itself). */
SEQNN_API const seqnn_st_tensor *seqnn_safetensors_find(const seqnn_safetensors *st, const char *name);

/* __metadata__ entries: value of key or NULL; entries by index. */
SEQNN_API const char *seqnn_safetensors_metadata(const seqnn_safetensors *st, const char *key);
SEQNN_API int64_t seqnn_safetensors_metadata_count(const seqnn_safetensors *st);
SEQNN_API seqnn_status seqnn_safetensors_metadata_entry(const seqnn_safetensors *st, int64_t i,
                                                        const char **key, const char **value);

/* Copies tensor `name` into dst, converting to the destination type:
 * f32/f64 accept F32 and F64 tensors; i32 accepts I32 and I64 (a value outside
 * int32 is an error); i64 accepts I32 and I64. count must equal the tensor's
 * element count (a mismatch is SEQNN_ERR_FORMAT naming the tensor and both
 * counts); a missing tensor is SEQNN_ERR_NOT_FOUND. dst is untouched on error. */
SEQNN_API seqnn_status seqnn_safetensors_read_f32(const seqnn_safetensors *st, const char *name,
                                                  float *dst, int64_t count);
SEQNN_API seqnn_status seqnn_safetensors_read_f64(const seqnn_safetensors *st, const char *name,
                                                  double *dst, int64_t count);
SEQNN_API seqnn_status seqnn_safetensors_read_i32(const seqnn_safetensors *st, const char *name,
                                                  int32_t *dst, int64_t count);
SEQNN_API seqnn_status seqnn_safetensors_read_i64(const seqnn_safetensors *st, const char *name,
                                                  int64_t *dst, int64_t count);
/* OK when tensor `name` exists with exactly this shape (ndim dims); otherwise
 * SEQNN_ERR_NOT_FOUND or SEQNN_ERR_FORMAT naming the tensor and both shapes. */
SEQNN_API seqnn_status seqnn_safetensors_expect_shape(const seqnn_safetensors *st, const char *name,
                                                      int ndim, const int64_t *shape);

/* ---- writing */
SEQNN_API seqnn_status seqnn_safetensors_writer_create(seqnn_safetensors_writer **out);
SEQNN_API void seqnn_safetensors_writer_destroy(seqnn_safetensors_writer *w);
/* Adds a tensor; data (count elements of dtype, host byte order) is copied.
 * Names must be unique, non-empty and not "__metadata__". */
SEQNN_API seqnn_status seqnn_safetensors_writer_add(seqnn_safetensors_writer *w, const char *name,
                                                    seqnn_st_dtype dtype, int ndim, const int64_t *shape,
                                                    const void *data);
/* Adds (or replaces) a __metadata__ entry. */
SEQNN_API seqnn_status seqnn_safetensors_writer_metadata(seqnn_safetensors_writer *w, const char *key,
                                                         const char *value);
/* Writes the file atomically (temp file in the same directory, fsync, rename).
 * On failure path is left as it was and the temp file is removed. */
SEQNN_API seqnn_status seqnn_safetensors_writer_save(seqnn_safetensors_writer *w, const char *path);
/* The bytes save would write (malloc'ed, free() them), for in-memory use. */
SEQNN_API seqnn_status seqnn_safetensors_writer_serialize(seqnn_safetensors_writer *w,
                                                          unsigned char **bytes, size_t *size);

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_SAFETENSORS_H */
