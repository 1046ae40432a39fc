/* Prints the layout of the C structures the Python package mirrors with
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
{
    S(seqnn_buffer);
    F(seqnn_buffer, handle); F(seqnn_buffer, count); F(seqnn_buffer, dtype); F(seqnn_buffer, magic);
    F(seqnn_buffer, owner);
    S(seqnn_tref);
    F(seqnn_tref, buf); F(seqnn_tref, off);
    S(seqnn_plugin_record);
    F(seqnn_plugin_record, path); F(seqnn_plugin_record, name); F(seqnn_plugin_record, loaded);
    F(seqnn_plugin_record, reason); F(seqnn_plugin_record, abi_major); F(seqnn_plugin_record, abi_minor);
    F(seqnn_plugin_record, kernels_present); F(seqnn_plugin_record, version);
    F(seqnn_plugin_record, description);
    S(seqnn_device_record);
    F(seqnn_device_record, plugin); F(seqnn_device_record, plugin_name); F(seqnn_device_record, index);
    F(seqnn_device_record, name); F(seqnn_device_record, kind); F(seqnn_device_record, score);
    F(seqnn_device_record, reason); F(seqnn_device_record, memory_bytes);
    S(seqnn_recurrent_desc);
    F(seqnn_recurrent_desc, cell); F(seqnn_recurrent_desc, hidden); F(seqnn_recurrent_desc, layers);
    F(seqnn_recurrent_desc, bidirectional); F(seqnn_recurrent_desc, dropout); F(seqnn_recurrent_desc, last);
    F(seqnn_recurrent_desc, init);
    S(seqnn_attention_desc);
    F(seqnn_attention_desc, score); F(seqnn_attention_desc, heads); F(seqnn_attention_desc, causal);
    F(seqnn_attention_desc, encoder); F(seqnn_attention_desc, attn_dim);
    S(seqnn_tree_desc);
    F(seqnn_tree_desc, cell); F(seqnn_tree_desc, hidden); F(seqnn_tree_desc, nodes);
    S(seqnn_param_info);
    F(seqnn_param_info, name); F(seqnn_param_info, ndim); F(seqnn_param_info, shape);
    F(seqnn_param_info, count);
    S(seqnn_optim_desc);
    F(seqnn_optim_desc, kind); F(seqnn_optim_desc, lr); F(seqnn_optim_desc, momentum);
    F(seqnn_optim_desc, dampening); F(seqnn_optim_desc, nesterov); F(seqnn_optim_desc, alpha);
    F(seqnn_optim_desc, centered); F(seqnn_optim_desc, beta1); F(seqnn_optim_desc, beta2);
    F(seqnn_optim_desc, decoupled); F(seqnn_optim_desc, amsgrad); F(seqnn_optim_desc, lr_decay);
    F(seqnn_optim_desc, eps); F(seqnn_optim_desc, weight_decay); F(seqnn_optim_desc, clip_norm);
    S(seqnn_batch_input);
    F(seqnn_batch_input, seq_len); F(seqnn_batch_input, tokens); F(seqnn_batch_input, features);
    F(seqnn_batch_input, lengths);
    S(seqnn_batch);
    F(seqnn_batch, seq_len); F(seqnn_batch, batch); F(seqnn_batch, tokens); F(seqnn_batch, features);
    F(seqnn_batch, lengths); F(seqnn_batch, targets); F(seqnn_batch, values); F(seqnn_batch, dec_len);
    F(seqnn_batch, dec_tokens); F(seqnn_batch, dec_lengths); F(seqnn_batch, trees); F(seqnn_batch, n_inputs);
    F(seqnn_batch, inputs);
    S(seqnn_input_info);
    F(seqnn_input_info, name); F(seqnn_input_info, tokens); F(seqnn_input_info, n);
    S(seqnn_step_result);
    F(seqnn_step_result, loss); F(seqnn_step_result, count); F(seqnn_step_result, correct);
    F(seqnn_step_result, grad_norm);
    S(seqnn_train_config);
    F(seqnn_train_config, batch); F(seqnn_train_config, seq_len); F(seqnn_train_config, epochs);
    F(seqnn_train_config, max_steps); F(seqnn_train_config, time_limit); F(seqnn_train_config, eval_every);
    F(seqnn_train_config, patience); F(seqnn_train_config, val_fraction); F(seqnn_train_config, seed);
    F(seqnn_train_config, optim);
    S(seqnn_modelfile_var);
    F(seqnn_modelfile_var, name); F(seqnn_modelfile_var, value);
    S(seqnn_lr_schedule);
    F(seqnn_lr_schedule, kind); F(seqnn_lr_schedule, warmup_steps); F(seqnn_lr_schedule, warmup_start);
    F(seqnn_lr_schedule, step_size); F(seqnn_lr_schedule, gamma); F(seqnn_lr_schedule, cosine_steps);
    F(seqnn_lr_schedule, min_lr); F(seqnn_lr_schedule, factor); F(seqnn_lr_schedule, patience);
    F(seqnn_lr_schedule, threshold);
    S(seqnn_st_tensor);
    F(seqnn_st_tensor, name); F(seqnn_st_tensor, dtype); F(seqnn_st_tensor, ndim); F(seqnn_st_tensor, shape);
    F(seqnn_st_tensor, count); F(seqnn_st_tensor, data); F(seqnn_st_tensor, nbytes);
    S(seqnn_decode_config);
    F(seqnn_decode_config, temperature); F(seqnn_decode_config, top_k); F(seqnn_decode_config, top_p);
    F(seqnn_decode_config, beam); F(seqnn_decode_config, length_alpha); F(seqnn_decode_config, seed);
    F(seqnn_decode_config, eos); F(seqnn_decode_config, on_token); F(seqnn_decode_config, user);
    S(seqnn_xent_options);
    F(seqnn_xent_options, class_weights); F(seqnn_xent_options, n_weights);
    F(seqnn_xent_options, label_smoothing);
    S(seqnn_gemm_args);
    F(seqnn_gemm_args, trans_a); F(seqnn_gemm_args, trans_b); F(seqnn_gemm_args, m); F(seqnn_gemm_args, n);
    F(seqnn_gemm_args, k); F(seqnn_gemm_args, alpha); F(seqnn_gemm_args, beta); F(seqnn_gemm_args, a);
    F(seqnn_gemm_args, lda); F(seqnn_gemm_args, b); F(seqnn_gemm_args, ldb); F(seqnn_gemm_args, c);
    F(seqnn_gemm_args, ldc); F(seqnn_gemm_args, batch); F(seqnn_gemm_args, stride_a);
    F(seqnn_gemm_args, stride_b); F(seqnn_gemm_args, stride_c); F(seqnn_gemm_args, flags);
    S(seqnn_bias_args);
    F(seqnn_bias_args, rows); F(seqnn_bias_args, cols); F(seqnn_bias_args, y); F(seqnn_bias_args, ldy);
    F(seqnn_bias_args, b); F(seqnn_bias_args, dy); F(seqnn_bias_args, db); F(seqnn_bias_args, flags);
    S(seqnn_act_args);
    F(seqnn_act_args, kind); F(seqnn_act_args, alpha); F(seqnn_act_args, n); F(seqnn_act_args, x);
    F(seqnn_act_args, y); F(seqnn_act_args, dy); F(seqnn_act_args, dx); F(seqnn_act_args, flags);
    S(seqnn_ew_args);
    F(seqnn_ew_args, n); F(seqnn_ew_args, alpha); F(seqnn_ew_args, beta); F(seqnn_ew_args, x);
    F(seqnn_ew_args, y); F(seqnn_ew_args, z); F(seqnn_ew_args, flags);
    S(seqnn_softmax_args);
    F(seqnn_softmax_args, log); F(seqnn_softmax_args, rows); F(seqnn_softmax_args, cols);
    F(seqnn_softmax_args, x); F(seqnn_softmax_args, y); F(seqnn_softmax_args, dy); F(seqnn_softmax_args, dx);
    F(seqnn_softmax_args, flags);
    S(seqnn_xent_args);
    F(seqnn_xent_args, rows); F(seqnn_xent_args, cols); F(seqnn_xent_args, logits);
    F(seqnn_xent_args, target); F(seqnn_xent_args, ignore_index); F(seqnn_xent_args, reduction);
    F(seqnn_xent_args, loss); F(seqnn_xent_args, dloss); F(seqnn_xent_args, dlogits);
    F(seqnn_xent_args, flags);
    S(seqnn_loss_args);
    F(seqnn_loss_args, n); F(seqnn_loss_args, x); F(seqnn_loss_args, target); F(seqnn_loss_args, reduction);
    F(seqnn_loss_args, loss); F(seqnn_loss_args, dloss); F(seqnn_loss_args, dx); F(seqnn_loss_args, flags);
    S(seqnn_embedding_args);
    F(seqnn_embedding_args, n); F(seqnn_embedding_args, vocab); F(seqnn_embedding_args, dim);
    F(seqnn_embedding_args, idx); F(seqnn_embedding_args, padding_idx); F(seqnn_embedding_args, weight);
    F(seqnn_embedding_args, y); F(seqnn_embedding_args, ldy); F(seqnn_embedding_args, dy);
    F(seqnn_embedding_args, dweight); F(seqnn_embedding_args, flags);
    S(seqnn_dropout_args);
    F(seqnn_dropout_args, n); F(seqnn_dropout_args, p); F(seqnn_dropout_args, seed);
    F(seqnn_dropout_args, offset); F(seqnn_dropout_args, x); F(seqnn_dropout_args, y);
    F(seqnn_dropout_args, dy); F(seqnn_dropout_args, dx); F(seqnn_dropout_args, flags);
    S(seqnn_rnn_args);
    F(seqnn_rnn_args, cell); F(seqnn_rnn_args, seq_len); F(seqnn_rnn_args, batch);
    F(seqnn_rnn_args, input_size); F(seqnn_rnn_args, hidden_size); F(seqnn_rnn_args, reverse);
    F(seqnn_rnn_args, lengths); F(seqnn_rnn_args, x); F(seqnn_rnn_args, ldx); F(seqnn_rnn_args, w_ih);
    F(seqnn_rnn_args, w_hh); F(seqnn_rnn_args, b_ih); F(seqnn_rnn_args, b_hh); F(seqnn_rnn_args, h0);
    F(seqnn_rnn_args, c0); F(seqnn_rnn_args, y); F(seqnn_rnn_args, ldy); F(seqnn_rnn_args, h_n);
    F(seqnn_rnn_args, c_n); F(seqnn_rnn_args, reserve); F(seqnn_rnn_args, dy); F(seqnn_rnn_args, dh_n);
    F(seqnn_rnn_args, dc_n); F(seqnn_rnn_args, dx); F(seqnn_rnn_args, dw_ih); F(seqnn_rnn_args, dw_hh);
    F(seqnn_rnn_args, db_ih); F(seqnn_rnn_args, db_hh); F(seqnn_rnn_args, dh0); F(seqnn_rnn_args, dc0);
    F(seqnn_rnn_args, flags);
    S(seqnn_conv1d_args);
    F(seqnn_conv1d_args, batch); F(seqnn_conv1d_args, in_channels); F(seqnn_conv1d_args, out_channels);
    F(seqnn_conv1d_args, in_len); F(seqnn_conv1d_args, kernel_size); F(seqnn_conv1d_args, stride);
    F(seqnn_conv1d_args, padding); F(seqnn_conv1d_args, dilation); F(seqnn_conv1d_args, x);
    F(seqnn_conv1d_args, x_sb); F(seqnn_conv1d_args, x_sc); F(seqnn_conv1d_args, x_sl);
    F(seqnn_conv1d_args, weight); F(seqnn_conv1d_args, bias); F(seqnn_conv1d_args, y);
    F(seqnn_conv1d_args, y_sb); F(seqnn_conv1d_args, y_sc); F(seqnn_conv1d_args, y_sl);
    F(seqnn_conv1d_args, dy); F(seqnn_conv1d_args, dx); F(seqnn_conv1d_args, dweight);
    F(seqnn_conv1d_args, dbias); F(seqnn_conv1d_args, flags);
    S(seqnn_maxpool_args);
    F(seqnn_maxpool_args, batch); F(seqnn_maxpool_args, channels); F(seqnn_maxpool_args, len);
    F(seqnn_maxpool_args, x); F(seqnn_maxpool_args, x_sb); F(seqnn_maxpool_args, x_sc);
    F(seqnn_maxpool_args, x_sl); F(seqnn_maxpool_args, y); F(seqnn_maxpool_args, y_sb);
    F(seqnn_maxpool_args, y_sc); F(seqnn_maxpool_args, argmax); F(seqnn_maxpool_args, dy);
    F(seqnn_maxpool_args, dx); F(seqnn_maxpool_args, flags);
    S(seqnn_sgd_args);
    F(seqnn_sgd_args, n); F(seqnn_sgd_args, param); F(seqnn_sgd_args, grad); F(seqnn_sgd_args, momentum_buf);
    F(seqnn_sgd_args, lr); F(seqnn_sgd_args, momentum); F(seqnn_sgd_args, dampening);
    F(seqnn_sgd_args, weight_decay); F(seqnn_sgd_args, nesterov); F(seqnn_sgd_args, step);
    F(seqnn_sgd_args, flags);
    S(seqnn_adam_args);
    F(seqnn_adam_args, n); F(seqnn_adam_args, param); F(seqnn_adam_args, grad); F(seqnn_adam_args, exp_avg);
    F(seqnn_adam_args, exp_avg_sq); F(seqnn_adam_args, max_exp_avg_sq); F(seqnn_adam_args, lr);
    F(seqnn_adam_args, beta1); F(seqnn_adam_args, beta2); F(seqnn_adam_args, eps);
    F(seqnn_adam_args, weight_decay); F(seqnn_adam_args, decoupled); F(seqnn_adam_args, amsgrad);
    F(seqnn_adam_args, step); F(seqnn_adam_args, flags);
    S(seqnn_sumsq_args);
    F(seqnn_sumsq_args, n); F(seqnn_sumsq_args, x); F(seqnn_sumsq_args, result); F(seqnn_sumsq_args, flags);
    S(seqnn_clip_args);
    F(seqnn_clip_args, n); F(seqnn_clip_args, x); F(seqnn_clip_args, sumsq); F(seqnn_clip_args, max_norm);
    F(seqnn_clip_args, flags);
    S(seqnn_xent_ext_args);
    F(seqnn_xent_ext_args, rows); F(seqnn_xent_ext_args, cols); F(seqnn_xent_ext_args, logits);
    F(seqnn_xent_ext_args, target); F(seqnn_xent_ext_args, ignore_index); F(seqnn_xent_ext_args, reduction);
    F(seqnn_xent_ext_args, weight); F(seqnn_xent_ext_args, smoothing); F(seqnn_xent_ext_args, loss);
    F(seqnn_xent_ext_args, losses); F(seqnn_xent_ext_args, dloss); F(seqnn_xent_ext_args, dlosses);
    F(seqnn_xent_ext_args, dlogits); F(seqnn_xent_ext_args, flags);
    S(seqnn_lstm_variant_args);
    F(seqnn_lstm_variant_args, rnn); F(seqnn_lstm_variant_args, variant);
    F(seqnn_lstm_variant_args, proj_size); F(seqnn_lstm_variant_args, w_peep);
    F(seqnn_lstm_variant_args, w_hr); F(seqnn_lstm_variant_args, dw_peep); F(seqnn_lstm_variant_args, dw_hr);
    F(seqnn_lstm_variant_args, flags);
    S(seqnn_maxpool_lengths_args);
    F(seqnn_maxpool_lengths_args, pool); F(seqnn_maxpool_lengths_args, lengths);
    F(seqnn_maxpool_lengths_args, flags);
    S(seqnn_attention_args);
    F(seqnn_attention_args, score); F(seqnn_attention_args, batch); F(seqnn_attention_args, heads);
    F(seqnn_attention_args, q_len); F(seqnn_attention_args, k_len); F(seqnn_attention_args, q_dim);
    F(seqnn_attention_args, k_dim); F(seqnn_attention_args, v_dim); F(seqnn_attention_args, attn_dim);
    F(seqnn_attention_args, scale); F(seqnn_attention_args, q); F(seqnn_attention_args, q_sb);
    F(seqnn_attention_args, q_sh); F(seqnn_attention_args, q_st); F(seqnn_attention_args, k);
    F(seqnn_attention_args, k_sb); F(seqnn_attention_args, k_sh); F(seqnn_attention_args, k_st);
    F(seqnn_attention_args, v); F(seqnn_attention_args, v_sb); F(seqnn_attention_args, v_sh);
    F(seqnn_attention_args, v_st); F(seqnn_attention_args, w); F(seqnn_attention_args, w_q);
    F(seqnn_attention_args, w_k); F(seqnn_attention_args, w_v); F(seqnn_attention_args, key_lengths);
    F(seqnn_attention_args, causal); F(seqnn_attention_args, out); F(seqnn_attention_args, o_sb);
    F(seqnn_attention_args, o_sh); F(seqnn_attention_args, o_st); F(seqnn_attention_args, weights);
    F(seqnn_attention_args, dout); F(seqnn_attention_args, dq); F(seqnn_attention_args, dk);
    F(seqnn_attention_args, dv); F(seqnn_attention_args, dw); F(seqnn_attention_args, dw_q);
    F(seqnn_attention_args, dw_k); F(seqnn_attention_args, dw_v); F(seqnn_attention_args, flags);
    S(seqnn_rmsprop_args);
    F(seqnn_rmsprop_args, n); F(seqnn_rmsprop_args, param); F(seqnn_rmsprop_args, grad);
    F(seqnn_rmsprop_args, square_avg); F(seqnn_rmsprop_args, momentum_buf); F(seqnn_rmsprop_args, grad_avg);
    F(seqnn_rmsprop_args, lr); F(seqnn_rmsprop_args, alpha); F(seqnn_rmsprop_args, eps);
    F(seqnn_rmsprop_args, weight_decay); F(seqnn_rmsprop_args, momentum); F(seqnn_rmsprop_args, centered);
    F(seqnn_rmsprop_args, flags);
    S(seqnn_adagrad_args);
    F(seqnn_adagrad_args, n); F(seqnn_adagrad_args, param); F(seqnn_adagrad_args, grad);
    F(seqnn_adagrad_args, sum); F(seqnn_adagrad_args, lr); F(seqnn_adagrad_args, lr_decay);
    F(seqnn_adagrad_args, weight_decay); F(seqnn_adagrad_args, eps); F(seqnn_adagrad_args, step);
    F(seqnn_adagrad_args, flags);
    return 0;
}
