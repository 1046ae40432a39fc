/* Internal to the ONNX import (frontend/onnx.c, frontend/onnx_map.c): the
 * graph mapped onto seqnn layers, as a model file and its named weights. */
#ifndef SEQNN_FRONTEND_ONNX_INT_H
#define SEQNN_FRONTEND_ONNX_INT_H

#include <stdint.h>
#include "seqnn/onnx.h"

/* One weight of the mapped model, under its state_dict name. */
typedef struct onnx_param {
    char name[160];
    int64_t count;
    float *data;
} onnx_param;

typedef struct onnx_mapped {
    char *modelfile;
    onnx_param *params;
    int n_params, cap_params;
    int batch_first, output_batch_first;
    seqnn_onnx_output output;
    int64_t nodes;
    int lengths_input, h0_input, c0_input;   /* positions among the graph's inputs, -1: none */
    char state_layer[64];
    int n_inputs;                        /* what each graph input is (seqnn_onnx_info) */
    seqnn_onnx_input input_role[SEQNN_ONNX_MAX_INPUTS];
    int input_index[SEQNN_ONNX_MAX_INPUTS];
} onnx_mapped;

#ifdef SEQNN_HAVE_ONNX
#include "onnx.pb-c.h"
/* Maps the graph of mp (named src in messages) onto seqnn layers: SEQNN_OK
 * and *out, or an error (seqnn_set_error) with *out emptied. */
seqnn_status onnx_map_model(const Onnx__ModelProto *mp, const char *src, onnx_mapped *out);
#endif
void onnx_mapped_free(onnx_mapped *m);

#endif /* SEQNN_FRONTEND_ONNX_INT_H */
