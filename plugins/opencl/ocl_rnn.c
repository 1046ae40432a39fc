/* Recurrent layers on the device: the input projection of every step in one
 * CLBlast GEMM, then per step one GEMM for the recurrent product and one
 * fused cell kernel (kernels/rnn.cl, 8 units per work-item on CPU devices, 1
 * on GPUs: ocl_device.rnn_units), all enqueued
 * without a host round trip;
 * backward mirrors it and finishes with one GEMM per weight gradient over all
 * steps. Variable lengths and reverse direction are handled inside the cell
 * kernels (rnn.cl explains the step/time mapping and the reserve layout). */
#include "ocl.h"

seqnn_status ocl_rnn_shape_of(const seqnn_call *call, const seqnn_rnn_args *a, int64_t G, int64_t P,
                              ocl_rnn_shape *s)
{
    s->T = a->seq_len;
    s->B = a->batch;
    s->I = a->input_size;
    s->H = a->hidden_size;
    s->G = G;
    s->GH = G * s->H;
    s->P = P;
    s->R = P > 0 ? P : s->H;
    s->steps = a->seq_len;
    s->lens.mem = NULL;
    s->lens.off = -1;
    if (a->lengths) {
        s->steps = 0;
        for (int64_t b = 0; b < a->batch; b++)
            if (a->lengths[b] > s->steps)
                s->steps = a->lengths[b];
        OCL_TRY(ocl_upload_ints(call, OCL_S_LENGTHS, a->lengths, a->batch, &s->lens));
    }
    return SEQNN_OK;
}

seqnn_status ocl_rnn_scratch(const seqnn_call *call, ocl_scratch_slot slot, int64_t n, ocl_ref *out)
{
    return ocl_scratch(call, slot, (size_t)(n > 0 ? n : 1) * 4, out);
}

seqnn_status ocl_rnn_init_state(const seqnn_call *call, ocl_ref state, seqnn_tref init, int64_t n)
{
    return OCL_HAS(init) ? ocl_copy(call, state, ocl_tref(init), n) : ocl_fill(call, state, n, 0);
}

cl_uint ocl_rnn_arg_steps(ocl_launch *L, const ocl_rnn_shape *s, int with_h, int reverse)
{
    cl_uint step = L->next;
    ocl_arg_long(L, 0);
    ocl_arg_long(L, s->T);
    ocl_arg_long(L, s->B);
    if (with_h)
        ocl_arg_long(L, s->H);
    ocl_arg_int(L, reverse);
    ocl_arg_ref(L, s->lens);
    return step;
}

seqnn_status ocl_rnn_project_input(const seqnn_call *call, const seqnn_rnn_args *a, const ocl_rnn_shape *s,
                                   ocl_ref xg)
{
    return ocl_gemm(call, 0, 1, s->T * s->B, s->GH, s->I, 1.0, ocl_tref(a->x), a->ldx, ocl_tref(a->w_ih), s->I,
                    0.0, xg, s->GH, 1, 0, 0, 0);
}

seqnn_status ocl_rnn_input_grads(const seqnn_call *call, const seqnn_rnn_args *a, const ocl_rnn_shape *s,
                                 ocl_ref dxg)
{
    const int64_t TB = s->T * s->B, GH = s->GH;
    const int acc = OCL_ACC(a);
    const double beta = acc ? 1.0 : 0.0;
    if (OCL_HAS(a->dw_ih))
        OCL_TRY(ocl_gemm(call, 1, 0, GH, s->I, TB, 1.0, dxg, GH, ocl_tref(a->x), a->ldx, beta, ocl_tref(a->dw_ih),
                         s->I, 1, 0, 0, 0));
    if (OCL_HAS(a->db_ih))
        OCL_TRY(ocl_colsum(call, TB, GH, dxg, GH, ocl_tref(a->db_ih), acc));
    if (OCL_HAS(a->dx))
        OCL_TRY(ocl_gemm(call, 0, 0, TB, s->I, GH, 1.0, dxg, GH, ocl_tref(a->w_ih), s->I, beta, ocl_tref(a->dx),
                         a->ldx, 1, 0, 0, 0));
    return SEQNN_OK;
}

seqnn_status ocl_rnn_put_states(const seqnn_call *call, seqnn_tref out_h, ocl_ref h, int64_t nh, seqnn_tref out_c,
                                ocl_ref c, int64_t nc, int accumulate)
{
    if (OCL_HAS(out_h))
        OCL_TRY(ocl_acc_copy(call, ocl_tref(out_h), h, nh, accumulate));
    if (c.mem && OCL_HAS(out_c))
        OCL_TRY(ocl_acc_copy(call, ocl_tref(out_c), c, nc, accumulate));
    return SEQNN_OK;
}

/* work-items of a cell kernel: U units each (the device's build option) */
static int64_t ocl_rnn_items(const seqnn_call *call, const ocl_rnn_shape *s)
{
    int64_t u = ocl_dev(call)->rnn_units > 0 ? ocl_dev(call)->rnn_units : 8;
    return s->B * ((s->H + u - 1) / u);
}

static seqnn_status ocl_rnn_forward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    ocl_rnn_shape s;
    OCL_TRY(ocl_rnn_shape_of(call, a, seqnn_cell_gates(a->cell), 0, &s));
    int64_t BH = s.B * s.H, items = ocl_rnn_items(call, &s);
    if (BH == 0)
        return SEQNN_OK;
    int classic = a->cell == SEQNN_CELL_GRU_CLASSIC, lstm = a->cell == SEQNN_CELL_LSTM;
    ocl_ref xg, hg, h, c = { NULL, -1 }, rh = { NULL, -1 };
    ocl_ref w_hh = ocl_tref(a->w_hh);
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_A, s.T * s.B * s.GH, &xg));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_B, s.B * s.GH, &hg));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_C, BH, &h));
    OCL_TRY(ocl_rnn_init_state(call, h, a->h0, BH));
    if (lstm) {
        OCL_TRY(ocl_rnn_scratch(call, OCL_S_D, BH, &c));
        OCL_TRY(ocl_rnn_init_state(call, c, a->c0, BH));
    }
    if (classic)
        OCL_TRY(ocl_rnn_scratch(call, OCL_S_E, BH, &rh));
    OCL_TRY(ocl_rnn_project_input(call, a, &s, xg));

    ocl_launch F = ocl_begin(call, OCL_K_rnn_fwd_step);
    ocl_arg_int(&F, (int)a->cell);
    cl_uint f_step = ocl_rnn_arg_steps(&F, &s, 1, a->reverse);
    ocl_arg_ref(&F, xg);
    ocl_arg_t(&F, a->b_ih);
    ocl_arg_t(&F, a->b_hh);
    ocl_arg_ref(&F, hg);
    ocl_arg_ref(&F, h);
    ocl_arg_ref(&F, c);
    ocl_arg_t(&F, a->y);
    ocl_arg_long(&F, a->ldy);
    ocl_arg_t(&F, a->reserve);
    ocl_launch R = ocl_begin(call, OCL_K_rnn_classic_rz);
    cl_uint r_step = 0;
    if (classic) {
        r_step = ocl_rnn_arg_steps(&R, &s, 1, a->reverse);
        ocl_arg_ref(&R, xg);
        ocl_arg_t(&R, a->b_ih);
        ocl_arg_t(&R, a->b_hh);
        ocl_arg_ref(&R, hg);
        ocl_arg_ref(&R, h);
        ocl_arg_ref(&R, rh);
    }
    for (int64_t step = 0; step < s.T; step++) {
        if (step < s.steps) {
            if (!classic) {
                OCL_TRY(ocl_gemm(call, 0, 1, s.B, s.GH, s.H, 1.0, h, s.H, w_hh, s.H, 0.0, hg, s.GH, 1, 0, 0, 0));
            } else {
                OCL_TRY(ocl_gemm(call, 0, 1, s.B, 2 * s.H, s.H, 1.0, h, s.H, w_hh, s.H, 0.0, hg, s.GH, 1, 0, 0, 0));
                ocl_arg_set_long(&R, r_step, step);
                OCL_TRY(ocl_run(&R, items));
                OCL_TRY(ocl_gemm(call, 0, 1, s.B, s.H, s.H, 1.0, rh, s.H, ocl_at(w_hh, 2 * s.H * s.H), s.H,
                                 0.0, ocl_at(hg, 2 * s.H), s.GH, 1, 0, 0, 0));
            }
        }
        ocl_arg_set_long(&F, f_step, step);
        OCL_TRY(ocl_run(&F, items));
    }
    return ocl_rnn_put_states(call, a->h_n, h, BH, a->c_n, c, BH, 0);
}

static seqnn_status ocl_rnn_backward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    if (!OCL_HAS(a->reserve))
        return seqnn_plugin_fail(call, SEQNN_ERR_INVALID_ARG,
                                 "rnn_backward: the reserve written by rnn_forward is required");
    ocl_rnn_shape s;
    OCL_TRY(ocl_rnn_shape_of(call, a, seqnn_cell_gates(a->cell), 0, &s));
    int64_t BH = s.B * s.H, TB = s.T * s.B, H = s.H, GH = s.GH, items = ocl_rnn_items(call, &s);
    int acc = OCL_ACC(a);
    int classic = a->cell == SEQNN_CELL_GRU_CLASSIC, lstm = a->cell == SEQNN_CELL_LSTM;
    int gru = a->cell == SEQNN_CELL_GRU;
    if (BH == 0)
        return SEQNN_OK;
    ocl_ref res = ocl_tref(a->reserve), w_hh = ocl_tref(a->w_hh);
    ocl_ref s1 = ocl_at(res, TB * GH), s2 = ocl_at(res, TB * GH + TB * H);
    ocl_ref dxg, dhg, dgs, dh, dc = { NULL, -1 }, drh = { NULL, -1 };
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_A, TB * GH, &dxg));
    OCL_TRY(ocl_fill(call, dxg, TB * GH, 0));
    dhg = dxg;
    if (gru) {
        OCL_TRY(ocl_rnn_scratch(call, OCL_S_F, TB * GH, &dhg));
        OCL_TRY(ocl_fill(call, dhg, TB * GH, 0));
    }
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_B, s.B * GH, &dgs));
    OCL_TRY(ocl_rnn_scratch(call, OCL_S_C, BH, &dh));
    OCL_TRY(ocl_rnn_init_state(call, dh, a->dh_n, BH));
    if (lstm) {
        OCL_TRY(ocl_rnn_scratch(call, OCL_S_D, BH, &dc));
        OCL_TRY(ocl_rnn_init_state(call, dc, a->dc_n, BH));
    }
    if (classic)
        OCL_TRY(ocl_rnn_scratch(call, OCL_S_E, BH, &drh));

    ocl_launch K = ocl_begin(call, OCL_K_rnn_bwd_step);
    ocl_arg_int(&K, (int)a->cell);
    cl_uint k_step = ocl_rnn_arg_steps(&K, &s, 1, a->reverse);
    ocl_arg_ref(&K, res);
    ocl_arg_t(&K, a->dy);
    ocl_arg_long(&K, a->ldy);
    ocl_arg_ref(&K, dh);
    ocl_arg_ref(&K, dc);
    ocl_arg_ref(&K, dxg);
    ocl_arg_ref(&K, dhg);
    ocl_arg_ref(&K, dgs);
    ocl_arg_ref(&K, drh);
    ocl_launch N = ocl_begin(call, OCL_K_rnn_classic_bwd_n);
    cl_uint n_step = 0;
    if (classic) {
        n_step = ocl_rnn_arg_steps(&N, &s, 1, a->reverse);
        ocl_arg_ref(&N, res);
        ocl_arg_t(&N, a->dy);
        ocl_arg_long(&N, a->ldy);
        ocl_arg_ref(&N, dh);
        ocl_arg_ref(&N, dgs);
    }
    int64_t rec_rows = classic ? 2 * H : GH;   /* W_hh rows that multiply h directly */
    for (int64_t step = s.steps - 1; step >= 0; step--) {
        if (classic) {
            ocl_arg_set_long(&N, n_step, step);
            OCL_TRY(ocl_run(&N, items));
            OCL_TRY(ocl_gemm(call, 0, 0, s.B, H, H, 1.0, ocl_at(dgs, 2 * H), GH,
                             ocl_at(w_hh, 2 * H * H), H, 0.0, drh, H, 1, 0, 0, 0));
        }
        ocl_arg_set_long(&K, k_step, step);
        OCL_TRY(ocl_run(&K, items));
        OCL_TRY(ocl_gemm(call, 0, 0, s.B, H, rec_rows, 1.0, dgs, GH, w_hh, H, 1.0, dh, H, 1, 0, 0, 0));
    }
    OCL_TRY(ocl_rnn_put_states(call, a->dh0, dh, BH, a->dc0, dc, BH, acc));
    OCL_TRY(ocl_rnn_input_grads(call, a, &s, dxg));
    double beta = acc ? 1.0 : 0.0;
    if (OCL_HAS(a->dw_hh)) {
        ocl_ref dw = ocl_tref(a->dw_hh);
        OCL_TRY(ocl_gemm(call, 1, 0, rec_rows, H, TB, 1.0, dhg, GH, s2, H, beta, dw, H, 1, 0, 0, 0));
        if (classic)                     /* W_hn multiplies r*h_prev (S1) */
            OCL_TRY(ocl_gemm(call, 1, 0, H, H, TB, 1.0, ocl_at(dhg, 2 * H), GH, s1, H, beta,
                             ocl_at(dw, 2 * H * H), H, 1, 0, 0, 0));
    }
    if (OCL_HAS(a->db_hh))
        OCL_TRY(ocl_colsum(call, TB, GH, dhg, GH, ocl_tref(a->db_hh), acc));
    return SEQNN_OK;
}

seqnn_status ocl_k_rnn_forward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return ocl_rnn_forward(call, a);
}

seqnn_status ocl_k_rnn_backward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return ocl_rnn_backward(call, a);
}

seqnn_status ocl_k_cell_forward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return ocl_rnn_forward(call, a);
}

seqnn_status ocl_k_cell_backward(const seqnn_call *call, const seqnn_rnn_args *a)
{
    return ocl_rnn_backward(call, a);
}
