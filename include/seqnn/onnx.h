/* seqnn ONNX import and export. Import: a model exported by
 * torch.onnx.export (an embedding, recurrent layers with lengths and initial
 * states, Kim's convolution bank, nn.MultiheadAttention, dense layers,
 * activations) made a seqnn model with its weights. The graph's patterns are
 * recognised and mapped onto seqnn layers
 * (docs/onnx.md lists them); a graph with anything else is refused, the
 * error naming the node, its op type and its position. Available when
 * libseqnn was built with protobuf-c (else SEQNN_ERR_UNSUPPORTED).
 * Export (seqnn_model_save_onnx): a seqnn model's inference graph written
 * as the ops torch.onnx.export writes for the equivalent PyTorch modules.
 */
#ifndef SEQNN_ONNX_H
#define SEQNN_ONNX_H

#include "seqnn/export.h"
#include "seqnn/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What the import made of the graph's ends. */
typedef enum seqnn_onnx_output {
    SEQNN_ONNX_OUTPUT_RAW = 0,           /* the model's output is the graph's */
    SEQNN_ONNX_OUTPUT_SOFTMAX,           /* the graph ended in Softmax: the model outputs its logits */
    SEQNN_ONNX_OUTPUT_LOG_SOFTMAX        /* the graph ended in LogSoftmax: the model outputs its logits */
} seqnn_onnx_output;

/* What one of the graph's inputs is for the imported model. */
typedef enum seqnn_onnx_input {
    SEQNN_ONNX_INPUT_DATA = 0,           /* token ids or features: the model's input input_index (seqnn_batch's
                                            one input, or inputs[input_index] for a model of several) */
    SEQNN_ONNX_INPUT_LENGTHS,            /* lengths [B] of the data input at graph position input_index */
    SEQNN_ONNX_INPUT_H0,                 /* initial states (seqnn_model_set_state of state_layer) */
    SEQNN_ONNX_INPUT_C0,
    SEQNN_ONNX_INPUT_DECODER,            /* an encoder-decoder's decoder tokens (seqnn_batch.dec_tokens) */
    SEQNN_ONNX_INPUT_DECODER_LENGTHS     /* their lengths (seqnn_batch.dec_lengths) */
} seqnn_onnx_input;

#define SEQNN_ONNX_MAX_INPUTS 8

/* What seqnn_model_load_onnx found. Versioned as seqnn_distributed_options
 * (seqnn/distributed.h): size, first, is sizeof(the struct) as the caller's
 * header declares it (seqnn_onnx_info_init sets it), and fields are only
 * ever appended. The library writes the fields that both it and the caller
 * know; a caller's struct from a newer header is accepted when every field
 * this library does not know is zero (they stay zero), and refused
 * (SEQNN_ERR_UNSUPPORTED) otherwise. size 0 stands for the first version
 * (modelfile to state_layer), so a zero-initialised struct stays valid. */
typedef struct seqnn_onnx_info {
    uint32_t size;                       /* sizeof(seqnn_onnx_info); 0: the first version */
    char *modelfile;                     /* the model as a model file (text, NUL-terminated) */
    int batch_first;                     /* the graph's input is [B, T, ...] (the model reads [T, B, ...]) */
    int output_batch_first;              /* the graph's sequence output is [B, T, n] (the model's [T, B, n]) */
    seqnn_onnx_output output;
    int64_t nodes;                       /* nodes in the graph */
    /* The graph's inputs after the data input (positions among the graph's
     * inputs, initializers excluded, the data input 0; -1: none): sequence
     * lengths [B] (seqnn_batch.lengths), and initial states h0, c0
     * [layers*dirs, B, H] of recurrent layer state_layer (seqnn_model_set_state). */
    int lengths_input, h0_input, c0_input;
    char state_layer[64];
    /* Added after the first version: */
    /* Every input of the graph (initializers excluded; positions as above). */
    int n_inputs;
    seqnn_onnx_input input_role[SEQNN_ONNX_MAX_INPUTS];
    int input_index[SEQNN_ONNX_MAX_INPUTS];   /* DATA: the model's input; LENGTHS: whose; else -1 */
} seqnn_onnx_info;

/* *info = zeros with info->size set: the way to start the struct before
 * seqnn_model_load_onnx. */
SEQNN_API void seqnn_onnx_info_init(seqnn_onnx_info *info);

/* Reads the ONNX model at path, builds the equivalent seqnn model on ctx
 * (which must outlive it) and writes its weights into it: *out, and info
 * (may be NULL; its size set, see above; release it with
 * seqnn_onnx_info_free). On error *out is NULL, info's fields other than
 * size are zero, and seqnn_last_error() says why: SEQNN_ERR_IO (the file),
 * SEQNN_ERR_FORMAT (not a well-formed ONNX model), SEQNN_ERR_UNSUPPORTED (a
 * node or pattern seqnn has no layer for, a library built without ONNX, or
 * an info from a newer header with an unknown field set: nothing written),
 * SEQNN_ERR_INVALID_ARG (an info size between 1 and the first version's:
 * nothing written). */
SEQNN_API seqnn_status seqnn_model_load_onnx(const char *path, seqnn_context *ctx, seqnn_model **out,
                                             seqnn_onnx_info *info);
/* Frees info->modelfile and zeroes the fields info->size covers (size stays,
 * so the struct can be passed again); does nothing to a struct whose size
 * seqnn_model_load_onnx refuses (it never filled one). */
SEQNN_API void seqnn_onnx_info_free(seqnn_onnx_info *info);

/* ---------------------------------------------------------------- export --- */
/* How seqnn_model_save_onnx writes the graph (zero-initialised: the defaults). */
typedef struct seqnn_onnx_export_options {
    int opset;                           /* of the default domain, 13 to 17; 0: 14 (PyTorch 1.13's default) */
    seqnn_onnx_output output;            /* RAW: the model's output; SOFTMAX / LOG_SOFTMAX: appended over it */
    int lengths;                         /* 1: the graph also takes each sequence input's lengths (int32 [B],
                                            each >= 1), honoured as seqnn_batch.lengths are */
} seqnn_onnx_export_options;

/* Writes the inference graph of the built model m as an ONNX model at path
 * (docs/onnx.md lists what each layer becomes): inputs named as the model's
 * ([T, B] int64 token ids, [T, B, dim] float features; T and B symbolic;
 * an encoder-decoder's decoder tokens "decoder_input" [T_dec, B] last), one
 * output "output" ([T, B, n] or [B, n]), the weights as initializers,
 * dropout left out. Without opts->lengths every sequence runs its T steps;
 * with it, inputs "lengths" ("lengths_<input>", "decoder_lengths") follow,
 * and the graph computes what seqnn_model_predict computes for a batch
 * with those lengths. opts may be NULL (the defaults). A model with a layer that has
 * no ONNX form is refused naming the layer (SEQNN_ERR_UNSUPPORTED); the file
 * is written under a temporary name and renamed, so nothing is written on
 * any error. SEQNN_ERR_UNSUPPORTED too in a library built without ONNX. */
SEQNN_API seqnn_status seqnn_model_save_onnx(seqnn_model *m, const char *path, const seqnn_onnx_export_options *opts);

#ifdef __cplusplus
}
#endif

#endif /* SEQNN_ONNX_H */
