"""The ctypes structures of the package have the C headers' layout: sizes
and every field's offset as python/tests/layout.c (compiled against
include/seqnn) prints them. Usage: test_layout.py LAYOUT_PROGRAM, or
test_layout.py --c > python/tests/layout.c to write that program after a
structure is added to PAIRS."""
import ctypes
import subprocess
import sys

import seqnn._lib as L
import seqnn.kernels as K

PAIRS = [(L.Buffer, "seqnn_buffer"), (L.Tref, "seqnn_tref"), (L.PluginRecord, "seqnn_plugin_record"),
         (L.DeviceRecord, "seqnn_device_record"), (L.RecurrentDesc, "seqnn_recurrent_desc"),
         (L.AttentionDesc, "seqnn_attention_desc"), (L.TreeDesc, "seqnn_tree_desc"), (L.ParamInfo, "seqnn_param_info"),
         (L.OptimDesc, "seqnn_optim_desc"), (L.BatchInput, "seqnn_batch_input"), (L.Batch, "seqnn_batch"),
         (L.InputInfo, "seqnn_input_info"), (L.StepResultC, "seqnn_step_result"), (L.TrainConfig, "seqnn_train_config"),
         (L.ModelfileVar, "seqnn_modelfile_var"), (L.LrSchedule, "seqnn_lr_schedule"), (L.StTensor, "seqnn_st_tensor"),
         (L.DecodeConfig, "seqnn_decode_config"), (L.XentOptions, "seqnn_xent_options"),
         (L.PlanShape, "seqnn_plan_shape"), (L.PlanCall, "seqnn_plan_call"), (L.PlanTraffic, "seqnn_plan_traffic"),
         (L.Plan, "seqnn_plan"),
         (K.GemmArgs, "seqnn_gemm_args"), (K.BiasArgs, "seqnn_bias_args"), (K.ActArgs, "seqnn_act_args"),
         (K.EwArgs, "seqnn_ew_args"), (K.SoftmaxArgs, "seqnn_softmax_args"), (K.XentArgs, "seqnn_xent_args"),
         (K.LossArgs, "seqnn_loss_args"), (K.EmbeddingArgs, "seqnn_embedding_args"),
         (K.DropoutArgs, "seqnn_dropout_args"), (K.RnnArgs, "seqnn_rnn_args"), (K.Conv1dArgs, "seqnn_conv1d_args"),
         (K.MaxpoolArgs, "seqnn_maxpool_args"), (K.SgdArgs, "seqnn_sgd_args"), (K.AdamArgs, "seqnn_adam_args"),
         (K.SumsqArgs, "seqnn_sumsq_args"), (K.ClipArgs, "seqnn_clip_args"), (K.XentExtArgs, "seqnn_xent_ext_args"),
         (K.LstmVariantArgs, "seqnn_lstm_variant_args"), (K.MaxpoolLengthsArgs, "seqnn_maxpool_lengths_args"),
         (K.AttentionArgs, "seqnn_attention_args"), (K.RmspropArgs, "seqnn_rmsprop_args"),
         (K.AdagradArgs, "seqnn_adagrad_args"),
         (K.Copy2dArgs, "seqnn_copy2d_args"), (K.Conv1dMaxArgs, "seqnn_conv1d_max_args")]


C_HEAD = r"""/* Prints the layout of the C structures the Python package mirrors with
 * ctypes (python/seqnn/_lib.py, python/seqnn/kernels.py): one line per
 * structure, "S NAME SIZE", then one per field, "F NAME FIELD OFFSET".
 * python/tests/test_layout.py compares them with the ctypes classes, so a
 * header that changes a structure fails a test instead of a Python call.
 * Field names come from the ctypes classes; a field the header lacks fails
 * the build. Written by `test_layout.py --c`. */
#include <stddef.h>
#include <stdio.h>
#include "seqnn/model.h"
#include "seqnn/modelfile.h"
#include "seqnn/safetensors.h"
#include "seqnn/seqnn.h"

#define S(T) printf("S %s %zu\n", #T, sizeof(T))
#define F(T, f) printf("F %s %s %zu\n", #T, #f, offsetof(T, f))

int main(void)
{"""


def write_c():
    print(C_HEAD)
    for cls, c in PAIRS:
        print("    S(%s);" % c)
        line = "   "
        for f, _ in cls._fields_:
            item = " F(%s, %s);" % (c, f)
            if len(line) + len(item) > 110:
                print(line)
                line = "   "
            line += item
        print(line)
    print("    return 0;\n}")


def main():
    if sys.argv[1] == "--c":
        write_c()
        return 0
    sizes, offsets = {}, {}
    for line in subprocess.run([sys.argv[1]], check=True, capture_output=True, text=True).stdout.splitlines():
        w = line.split()
        if w[0] == "S":
            sizes[w[1]] = int(w[2])
        else:
            offsets[(w[1], w[2])] = int(w[3])
    bad = []
    for cls, name in PAIRS:
        if ctypes.sizeof(cls) != sizes.get(name):
            bad.append("%s: ctypes %s is %d bytes, C %s" % (name, cls.__name__, ctypes.sizeof(cls), sizes.get(name)))
        for field, _ in cls._fields_:
            if getattr(cls, field).offset != offsets.get((name, field)):
                bad.append("%s.%s: ctypes offset %d, C %s" % (name, field, getattr(cls, field).offset,
                                                              offsets.get((name, field))))
    missing = sorted(set(sizes) - {n for _, n in PAIRS})
    if missing:
        bad.append("layout.c prints structures this test does not compare: %s" % ", ".join(missing))
    for b in bad:
        print("FAIL", b)
    print("%d structures, %d fields: %s" % (len(PAIRS), len(offsets), "FAILED" if bad else "the C layout"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
