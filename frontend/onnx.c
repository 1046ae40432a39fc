/* seqnn_model_load_onnx (seqnn/onnx.h): reads an ONNX file, parses it with
 * protobuf-c (onnx.proto compiled at build time), checks the opsets, maps
 * the graph onto seqnn layers (onnx_map.c), then builds the model from the
 * mapped model file and writes the weights in. Built without protobuf-c,
 * the function answers SEQNN_ERR_UNSUPPORTED. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "onnx_int.h"
#include "seqnn/modelfile.h"
#include "versioned.h"

#define ONNX_MAX_BYTES ((long)1 << 30)   /* protobuf's own limit is 2 GiB */
#define ONNX_OPSET_MIN 7                 /* the LSTM/GRU/RNN of opset 7 and later */
#define ONNX_OPSET_MAX 17

/* The bytes of the info's first version (modelfile to state_layer): size 0
 * stands for it. */
#define ONNX_INFO_V1 FE_FIELD_END(seqnn_onnx_info, state_layer)
/* The end of the last field this library knows (update it with each field
 * appended): no padding follows. */
#define ONNX_INFO_END FE_FIELD_END(seqnn_onnx_info, input_index)
_Static_assert(ONNX_INFO_END == sizeof(seqnn_onnx_info), "seqnn_onnx_info: ONNX_INFO_END must name its last field");

void seqnn_onnx_info_init(seqnn_onnx_info *info)
{
    if (!info)
        return;
    memset(info, 0, sizeof *info);
    info->size = (uint32_t)sizeof *info;
}

/* The caller's info as this library's struct: the n bytes its size covers
 * (checked by fe_versioned_size) are src's first n bytes, size kept. */
static void onnx_info_write(seqnn_onnx_info *info, size_t n, const seqnn_onnx_info *src)
{
    const uint32_t size = info->size;
    unsigned char *dst = (unsigned char *)info;
    memcpy(dst, src, n < sizeof *src ? n : sizeof *src);
    if (n > sizeof *src)
        memset(dst + sizeof *src, 0, n - sizeof *src);
    info->size = size;
}

void seqnn_onnx_info_free(seqnn_onnx_info *info)
{
    size_t n;
    if (!info || fe_versioned_size(info, ONNX_INFO_V1, ONNX_INFO_END, "seqnn_onnx_info_free: the info",
                                   "seqnn_onnx_info_init", &n) != SEQNN_OK)
        return;
    seqnn_onnx_info zero;
    memset(&zero, 0, sizeof zero);
    free(info->modelfile);
    onnx_info_write(info, n, &zero);
}

#ifdef SEQNN_HAVE_ONNX
/* The whole file into *buf (*size bytes). */
static seqnn_status read_file(const char *path, uint8_t **buf, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return seqnn_set_error(NULL, SEQNN_ERR_IO, "%s: cannot open", path);
    long n = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
    if (n < 0 || n > ONNX_MAX_BYTES || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return seqnn_set_error(NULL, n < 0 ? SEQNN_ERR_IO : SEQNN_ERR_FORMAT,
                               n < 0 ? "%s: cannot read" : "%s: over 1 GiB", path);
    }
    *buf = malloc((size_t)n + 1);
    if (!*buf) {
        fclose(f);
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "%s: out of memory", path);
    }
    size_t got = fread(*buf, 1, (size_t)n, f);
    fclose(f);
    if (got != (size_t)n) {
        free(*buf);
        return seqnn_set_error(NULL, SEQNN_ERR_IO, "%s: short read", path);
    }
    *size = got;
    return SEQNN_OK;
}

static seqnn_status check_opset(const Onnx__ModelProto *mp, const char *path)
{
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        if (o->domain && o->domain[0] && strcmp(o->domain, "ai.onnx"))
            continue;   /* a node of another domain is refused where it is */
        if (o->version < ONNX_OPSET_MIN || o->version > ONNX_OPSET_MAX)
            return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "%s: opset %lld (this importer reads %d to %d)",
                                   path, (long long)o->version, ONNX_OPSET_MIN, ONNX_OPSET_MAX);
        return SEQNN_OK;
    }
    return seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s: no opset of the default domain", path);
}

/* Writes the mapped weights into the built model m, by name. */
static seqnn_status write_params(seqnn_model *m, const onnx_mapped *mp, const char *path)
{
    int64_t n = seqnn_model_param_count(m);
    if (n != mp->n_params)
        return seqnn_set_error(NULL, SEQNN_ERR_INTERNAL, "%s: the model has %lld parameters, the graph gave %d",
                               path, (long long)n, mp->n_params);
    for (int64_t i = 0; i < n; i++) {
        seqnn_param_info pi;
        seqnn_status st = seqnn_model_param(m, i, &pi);
        if (st)
            return st;
        const onnx_param *p = NULL;
        for (int k = 0; k < mp->n_params && !p; k++)
            if (!strcmp(mp->params[k].name, pi.name))
                p = &mp->params[k];
        if (!p || p->count != pi.count)
            return seqnn_set_error(NULL, SEQNN_ERR_INTERNAL, "%s: parameter %s %s", path, pi.name,
                                   p ? "has another size in the graph" : "is not in the graph");
        if ((st = seqnn_model_param_write(m, i, p->data, p->count)))
            return st;
    }
    return SEQNN_OK;
}

static seqnn_status load_mapped(const onnx_mapped *mp, const char *path, seqnn_context *ctx, seqnn_model **out)
{
    char name[1024];
    snprintf(name, sizeof name, "%s (its model file)", path);
    seqnn_model *m = NULL;
    seqnn_status st = seqnn_modelfile_parse(mp->modelfile, strlen(mp->modelfile), name, NULL, 0, &m, NULL);
    if (!st)
        st = seqnn_model_build(m, ctx, 1);
    if (!st)
        st = write_params(m, mp, path);
    if (st)
        seqnn_model_destroy(m);
    else
        *out = m;
    return st;
}
#endif

seqnn_status seqnn_model_load_onnx(const char *path, seqnn_context *ctx, seqnn_model **out, seqnn_onnx_info *info)
{
    if (out)
        *out = NULL;
    size_t info_n = 0;
    seqnn_onnx_info full;
    memset(&full, 0, sizeof full);
    if (info) {
        seqnn_status vs = fe_versioned_size(info, ONNX_INFO_V1, ONNX_INFO_END, "seqnn_model_load_onnx: the info",
                                            "seqnn_onnx_info_init", &info_n);
        if (vs)
            return vs;
        onnx_info_write(info, info_n, &full);
    }
    if (!path || !ctx || !out)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_load_onnx: path, ctx and out are required");
#ifndef SEQNN_HAVE_ONNX
    return seqnn_set_error(NULL, SEQNN_ERR_UNSUPPORTED, "%s: this libseqnn was built without ONNX import (it needs "
                           "protobuf-c and onnx.proto at build time)", path);
#else
    uint8_t *buf = NULL;
    size_t size = 0;
    seqnn_status st = read_file(path, &buf, &size);
    if (st)
        return st;
    Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, size, buf);
    free(buf);
    if (!mp)
        return seqnn_set_error(NULL, SEQNN_ERR_FORMAT, "%s: not an ONNX model (the protobuf does not parse)", path);
    onnx_mapped mapped;
    memset(&mapped, 0, sizeof mapped);
    st = check_opset(mp, path);
    if (!st)
        st = onnx_map_model(mp, path, &mapped);
    onnx__model_proto__free_unpacked(mp, NULL);
    if (!st)
        st = load_mapped(&mapped, path, ctx, out);
    if (!st && info) {
        full.batch_first = mapped.batch_first;
        full.output_batch_first = mapped.output_batch_first;
        full.output = mapped.output;
        full.nodes = mapped.nodes;
        full.lengths_input = mapped.lengths_input;
        full.h0_input = mapped.h0_input;
        full.c0_input = mapped.c0_input;
        memcpy(full.state_layer, mapped.state_layer, sizeof full.state_layer);
        full.n_inputs = mapped.n_inputs;
        memcpy(full.input_role, mapped.input_role, sizeof full.input_role);
        memcpy(full.input_index, mapped.input_index, sizeof full.input_index);
        full.modelfile = mapped.modelfile;
        mapped.modelfile = NULL;
        onnx_info_write(info, info_n, &full);
    }
    onnx_mapped_free(&mapped);
    return st;
#endif
}
