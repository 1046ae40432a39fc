/* LSTM variants on the device (peepholes, coupled input-forget gates,
 * projection): the input projection of every step in one CLBlast GEMM, then
 * per step a GEMM for the recurrent product, the fused cell kernel and, with
 * a projection, a GEMM h = m W_hr^T and a kernel writing h and y; backward
 * mirrors it and finishes with one GEMM per weight gradient over all steps
 * (kernels/rnn_variant.cl explains the step/time mapping and the reserve). */
#include "ocl.h"

static seqnn_status ocl_lv_shape_of(const seqnn_call *call, const seqnn_lstm_variant_args *v, ocl_rnn_shape *s)
{
    return ocl_rnn_shape_of(call, &v->rnn, seqnn_lstm_variant_gates(v->variant), v->proj_size, s);
}

static seqnn_status ocl_lv_forward(const seqnn_call *call, const seqnn_lstm_variant_args *v)
{
    const seqnn_rnn_args *a = &v->rnn;
    ocl_rnn_shape s;
    OCL_TRY(ocl_lv_shape_of(call, v, &s));
    const int64_t BH = s.B * s.H, BR = s.B * s.R, TB = s.T * s.B;
    if (BH == 0)
        return SEQNN_OK;
    ocl_ref xg, hg, h, c, m, hp = { NULL, -1 };
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_A, TB * s.GH, &xg));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_B, s.B * s.GH, &hg));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_C, BR, &h));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_D, BH, &c));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_E, BH, &m));
    if (s.P > 0)
        OCL_TRY(ocl_rnn_scratch(call, OCL_S_F, BR, &hp));
    OCL_TRY(ocl_rnn_init_state(call, h, a->h0, BR));
    OCL_TRY(ocl_rnn_init_state(call, c, a->c0, BH));
    OCL_TRY(ocl_rnn_project_input(call, a, &s, xg));

    ocl_launch F = ocl_begin(call, OCL_K_lstmv_fwd_step);
    ocl_arg_int(&F, (int)v->variant);
    ocl_arg_long(&F, s.P);
    cl_uint f_step = ocl_rnn_arg_steps(&F, &s, 1, a->reverse);
    ocl_arg_ref(&F, xg);
    ocl_arg_t(&F, a->b_ih);
    ocl_arg_t(&F, a->b_hh);
    ocl_arg_t(&F, v->w_peep);
    ocl_arg_ref(&F, hg);
    ocl_arg_ref(&F, h);
    ocl_arg_ref(&F, c);
    ocl_arg_ref(&F, m);
    ocl_arg_t(&F, a->y);
    ocl_arg_long(&F, a->ldy);
    ocl_arg_t(&F, a->reserve);
    ocl_launch E = ocl_begin(call, OCL_K_lstmv_fwd_emit);
    cl_uint e_step = 0;
    if (s.P > 0) {
        ocl_arg_long(&E, s.P);
        e_step = ocl_rnn_arg_steps(&E, &s, 0, a->reverse);
        ocl_arg_ref(&E, hp);
        ocl_arg_ref(&E, h);
        ocl_arg_t(&E, a->y);
        ocl_arg_long(&E, a->ldy);
    }
    for (int64_t step = 0; step < s.T; step++) {
        if (step < s.steps)
            OCL_TRY(ocl_gemm(call, 0, 1, s.B, s.GH, s.R, 1.0, h, s.R, ocl_tref(a->w_hh), s.R, 0.0, hg, s.GH, 1, 0,
                             0, 0));
        ocl_arg_set_long(&F, f_step, step);
        OCL_TRY(ocl_run(&F, BH));
        if (s.P > 0 && step < s.steps) {
            OCL_TRY(ocl_gemm(call, 0, 1, s.B, s.P, s.H, 1.0, m, s.H, ocl_tref(v->w_hr), s.H, 0.0, hp, s.P, 1, 0,
                             0, 0));
            ocl_arg_set_long(&E, e_step, step);
            OCL_TRY(ocl_run(&E, BR));
        }
    }
    return ocl_rnn_put_states(call, a->h_n, h, BR, a->c_n, c, BH, 0);
}

/* The weight gradients over all steps from dxg [T*B, G*H] (the gate
 * gradients), the reserve's M and HP planes and dhs [T*B, R] (dL/dh_t). */
static seqnn_status ocl_lv_weights(const seqnn_call *call, const seqnn_lstm_variant_args *v, const ocl_rnn_shape *s,
                                   ocl_ref dxg, ocl_ref dhs)
{
    const seqnn_rnn_args *a = &v->rnn;
    const int64_t TB = s->T * s->B, GH = s->GH, H = s->H;
    const int acc = OCL_ACC(a);
    const double beta = acc ? 1.0 : 0.0;
    ocl_ref res = ocl_tref(a->reserve);
    ocl_ref mplane = ocl_at(res, TB * (GH + H)), hplane = ocl_at(res, TB * (GH + 2 * H));
    OCL_TRY(ocl_rnn_input_grads(call, a, s, dxg));
    if (OCL_HAS(a->dw_hh))
        OCL_TRY(ocl_gemm(call, 1, 0, GH, s->R, TB, 1.0, dxg, GH, hplane, s->R, beta, ocl_tref(a->dw_hh), s->R, 1, 0,
                         0, 0));
    if (OCL_HAS(a->db_hh))
        OCL_TRY(ocl_colsum(call, TB, GH, dxg, GH, ocl_tref(a->db_hh), acc));
    if (s->P > 0 && OCL_HAS(v->dw_hr))
        OCL_TRY(ocl_gemm(call, 1, 0, s->P, H, TB, 1.0, dhs, s->R, mplane, H, beta, ocl_tref(v->dw_hr), H, 1, 0, 0,
                         0));
    if ((v->variant & SEQNN_LSTM_PEEPHOLE) && OCL_HAS(v->dw_peep)) {
        ocl_launch K = ocl_begin(call, OCL_K_lstmv_peep_grad);
        ocl_arg_int(&K, (int)v->variant);
        ocl_arg_long(&K, s->T);
        ocl_arg_long(&K, s->B);
        ocl_arg_long(&K, H);
        ocl_arg_int(&K, a->reverse);
        ocl_arg_ref(&K, s->lens);
        ocl_arg_ref(&K, res);
        ocl_arg_t(&K, a->c0);
        ocl_arg_ref(&K, dxg);
        ocl_arg_t(&K, v->dw_peep);
        ocl_arg_int(&K, acc);
        OCL_TRY(ocl_run(&K, seqnn_lstm_variant_peeps(v->variant) * H));
    }
    return SEQNN_OK;
}

static seqnn_status ocl_lv_backward(const seqnn_call *call, const seqnn_lstm_variant_args *v)
{
    const seqnn_rnn_args *a = &v->rnn;
    if (!OCL_HAS(a->reserve))
        return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG,
                                 "lstm_variant_backward: the reserve written by lstm_variant_forward is required");
    ocl_rnn_shape s;
    OCL_TRY(ocl_lv_shape_of(call, v, &s));
    const int64_t BH = s.B * s.H, BR = s.B * s.R, TB = s.T * s.B, GH = s.GH;
    const int acc = OCL_ACC(a);
    if (BH == 0)
        return SEQNN_OK;
    ocl_ref dxg, dgs, dh, dc, dm, dcur, dhs;
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_A, TB * GH, &dxg));
    OCL_TRY(ocl_fill(call, dxg, TB * GH, 0));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_B, s.B * GH, &dgs));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_C, BR, &dh));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_D, BH, &dc));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_E, BH, &dm));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_F, BR, &dcur));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_G, TB * s.R, &dhs));
    OCL_TRY(ocl_fill(call, dhs, TB * s.R, 0));
    OCL_TRY(ocl_rnn_init_state(call, dh, a->dh_n, BR));
    OCL_TRY(ocl_rnn_init_state(call, dc, a->dc_n, BH));
    /* without a projection dL/dm_t is dL/dh_t itself */
    ocl_ref dmv = s.P > 0 ? dm : dcur;

    ocl_launch D = ocl_begin(call, OCL_K_lstmv_bwd_dh);
    ocl_arg_long(&D, s.R);
    cl_uint d_step = ocl_rnn_arg_steps(&D, &s, 0, a->reverse);
    ocl_arg_t(&D, a->dy);
    ocl_arg_long(&D, a->ldy);
    ocl_arg_ref(&D, dh);
    ocl_arg_ref(&D, dcur);
    ocl_arg_ref(&D, dhs);
    ocl_launch K = ocl_begin(call, OCL_K_lstmv_bwd_step);
    ocl_arg_int(&K, (int)v->variant);
    cl_uint k_step = ocl_rnn_arg_steps(&K, &s, 1, a->reverse);
    ocl_arg_t(&K, a->reserve);
    ocl_arg_t(&K, v->w_peep);
    ocl_arg_t(&K, a->c0);
    ocl_arg_ref(&K, dmv);
    ocl_arg_ref(&K, dc);
    ocl_arg_ref(&K, dxg);
    ocl_arg_ref(&K, dgs);
    for (int64_t step = s.steps - 1; step >= 0; step--) {
        ocl_arg_set_long(&D, d_step, step);
        OCL_TRY(ocl_run(&D, BR));
        if (s.P > 0)                     /* dm = dh_t W_hr */
            OCL_TRY(ocl_gemm(call, 0, 0, s.B, s.H, s.P, 1.0, dcur, s.P, ocl_tref(v->w_hr), s.H, 0.0, dm, s.H, 1, 0,
                             0, 0));
        ocl_arg_set_long(&K, k_step, step);
        OCL_TRY(ocl_run(&K, BH));
        OCL_TRY(ocl_gemm(call, 0, 0, s.B, s.R, GH, 1.0, dgs, GH, ocl_tref(a->w_hh), s.R, 1.0, dh, s.R, 1, 0, 0, 0));
    }
    OCL_TRY(ocl_rnn_put_states(call, a->dh0, dh, BR, a->dc0, dc, BH, acc));
    return ocl_lv_weights(call, v, &s, dxg, dhs);
}

seqnn_status ocl_k_lstm_variant_forward(const seqnn_call *call, const seqnn_lstm_variant_args *a)
{
    return ocl_lv_forward(call, a);
}

seqnn_status ocl_k_lstm_variant_backward(const seqnn_call *call, const seqnn_lstm_variant_args *a)
{
    return ocl_lv_backward(call, a);
}
