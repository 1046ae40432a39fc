/* Recurrent layers: nn.RNN / nn.LSTM / nn.GRU with several layers, both
 * directions, dropout between layers, variable lengths, a many-to-one mode
 * (the top layer's final states), and state carried across batches for
 * truncated BPTT (or given: seqnn_model_set_state, or learned: parameters h0,
 * c0 broadcast over the batch), and the LSTM variants (peepholes, coupled input-forget
 * gates, projection: seqnn_model_add_lstm_variant). One rnn_forward /
 * rnn_backward (or lstm_variant_forward / _backward) kernel call per layer
 * and direction; the directions write their halves of one [T, B, 2R] output
 * in place (row stride 2R; R = H, or the projection's P), so nothing is
 * copied. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fe.h"

/* One layer and direction. */
typedef struct rnn_unit {
    fe_tensor reserve;                   /* the forward's saved gates and states */
    fe_tensor hn, cn;                    /* final state (not stateful) */
    fe_tensor st_h[2], st_c[2];          /* carried state, double-buffered (stateful) */
    fe_tensor dhn;                       /* many-to-one: gradient of the final state */
    fe_tensor h0b, c0b, dh0, dc0;        /* learned initial state over the batch, its gradient */
    int used_h0;                         /* the last forward started from st_*[used] */
    int final_idx;                       /* ... and wrote its final state to st_*[final_idx] */
} rnn_unit;

/* One layer (both directions). */
typedef struct rnn_level {
    fe_tensor out, dout;                 /* [T*B, dirs*H] (the top layer uses L->y / L->dy) */
    fe_tensor drop, ddrop;               /* dropout of out, the next layer's input (training) */
    uint64_t drop_off;
} rnn_level;

typedef struct rnn_priv {
    int64_t nl, nd;
    int64_t R;                           /* width of h: H, or the projection's P */
    rnn_unit *units;                     /* [nl * nd] */
    rnn_level *levels;                   /* [nl] */
    fe_tensor iota;                      /* int32 0..iota_n-1: gathers final states into [B, dirs*H] */
    int64_t iota_n;                      /* ids iota holds (it grows with the largest batch) */
    fe_tensor zeros;                     /* int32 zeros: broadcasts a learned state's row over the batch */
    int64_t zeros_n;
    int64_t h0_param;                    /* learned states: index of h0 (c0 follows for an LSTM) */
    int cur, have_state;
    int dropped;                         /* the last forward applied inter-layer dropout */
} rnn_priv;

/* An LSTM variant layer (lstm_variant_* kernels) rather than a plain cell. */
static int rnn_variant(const fe_layer *L)
{
    return L->lstm_variant != 0 || L->lstm_proj > 0;
}

/* Width R of the layer's h per direction: the projection's P, or H. */
static int64_t rnn_width(const fe_layer *L)
{
    return L->lstm_proj > 0 ? L->lstm_proj : L->rnn.hidden;
}

/* Parameters per layer and direction: w_ih, w_hh, b_ih, b_hh, then
 * weight_hr and the peepholes when the variant has them. */
static int64_t rnn_unit_params(const fe_layer *L)
{
    return 4 + (L->lstm_proj > 0) + ((L->lstm_variant & SEQNN_LSTM_PEEPHOLE) != 0);
}

static void recurrent_destroy(seqnn_model *m, fe_layer *L)
{
    rnn_priv *p = L->priv;
    if (!p)
        return;
    for (int64_t u = 0; u < p->nl * p->nd && p->units; u++) {
        rnn_unit *U = &p->units[u];
        fe_tensor *ts[] = {&U->reserve, &U->hn, &U->cn, &U->st_h[0], &U->st_h[1], &U->st_c[0], &U->st_c[1], &U->dhn,
                           &U->h0b, &U->c0b, &U->dh0, &U->dc0};
        for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
            fe_tensor_free(m, ts[i]);
    }
    for (int64_t l = 0; l < p->nl && p->levels; l++) {
        fe_tensor_free(m, &p->levels[l].out);
        fe_tensor_free(m, &p->levels[l].dout);
        fe_tensor_free(m, &p->levels[l].drop);
        fe_tensor_free(m, &p->levels[l].ddrop);
    }
    fe_tensor_free(m, &p->iota);
    fe_tensor_free(m, &p->zeros);
    free(p->units);
    free(p->levels);
    free(p);
    L->priv = NULL;
}

static seqnn_status recurrent_build(seqnn_model *m, fe_layer *L)
{
    FE_TRY(fe_need_floats(L));
    if (!L->in.seq)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "a recurrent layer reads a sequence, its input is [B, %lld]",
                               (long long)L->in.n);
    const seqnn_recurrent_desc *d = &L->rnn;
    rnn_priv *p = calloc(1, sizeof *p);
    if (!p)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    L->priv = p;
    p->nl = d->layers;
    p->nd = d->bidirectional ? 2 : 1;
    p->R = rnn_width(L);
    p->units = calloc((size_t)(p->nl * p->nd), sizeof *p->units);
    p->levels = calloc((size_t)p->nl, sizeof *p->levels);
    if (!p->units || !p->levels)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    int64_t H = d->hidden, R = p->R;
    int64_t G = rnn_variant(L) ? seqnn_lstm_variant_gates(L->lstm_variant) : seqnn_cell_gates(d->cell);
    for (int64_t l = 0; l < p->nl; l++) {
        int64_t I = l == 0 ? L->in.n : p->nd * R;
        for (int64_t dir = 0; dir < p->nd; dir++) {
            const char *sfx = dir ? "_reverse" : "";
            char name[64];
            int64_t wih[2] = {G * H, I}, whh[2] = {G * H, R}, b[1] = {G * H};
            double def = 1.0 / sqrt((double)H);   /* PyTorch's default for every tensor */
            fe_init wi = FE_INIT_UNIFORM, wh = FE_INIT_UNIFORM, bi = FE_INIT_UNIFORM;
            double ai = def, ah = def, ab = def;
            switch (d->init) {
            case SEQNN_INIT_XAVIER:      /* Glorot per gate block */
                ai = sqrt(6.0 / (double)(I + H));
                ah = sqrt(6.0 / (double)(2 * H));
                bi = FE_INIT_ZERO;
                break;
            case SEQNN_INIT_ORTHOGONAL:
                ai = sqrt(6.0 / (double)(I + H));
                wh = FE_INIT_ORTHOGONAL;
                ah = 1.0;
                bi = FE_INIT_ZERO;
                break;
            case SEQNN_INIT_IDENTITY:    /* IRNN: W_hh = I, small input weights */
                wi = FE_INIT_NORMAL;
                ai = 0.001;
                wh = FE_INIT_IDENTITY;
                ah = 1.0;
                bi = FE_INIT_ZERO;
                break;
            default:
                break;
            }
            snprintf(name, sizeof name, "weight_ih_l%lld%s", (long long)l, sfx);
            FE_TRY(fe_param_new(m, L, name, 2, wih, wi, ai, NULL));
            snprintf(name, sizeof name, "weight_hh_l%lld%s", (long long)l, sfx);
            FE_TRY(fe_param_new(m, L, name, 2, whh, wh, ah, NULL));
            snprintf(name, sizeof name, "bias_ih_l%lld%s", (long long)l, sfx);
            FE_TRY(fe_param_new(m, L, name, 1, b, bi, ab, NULL));
            snprintf(name, sizeof name, "bias_hh_l%lld%s", (long long)l, sfx);
            FE_TRY(fe_param_new(m, L, name, 1, b, bi, ab, NULL));
            /* the variants' own: PyTorch's projection, then the peepholes,
             * both U(-1/sqrt(H), 1/sqrt(H)) as PyTorch initialises weight_hr */
            if (L->lstm_proj > 0) {
                int64_t hr[2] = {L->lstm_proj, H};
                snprintf(name, sizeof name, "weight_hr_l%lld%s", (long long)l, sfx);
                FE_TRY(fe_param_new(m, L, name, 2, hr, FE_INIT_UNIFORM, def, NULL));
            }
            if (L->lstm_variant & SEQNN_LSTM_PEEPHOLE) {
                int64_t pp[2] = {seqnn_lstm_variant_peeps(L->lstm_variant), H};
                snprintf(name, sizeof name, "weight_peephole_l%lld%s", (long long)l, sfx);
                FE_TRY(fe_param_new(m, L, name, 2, pp, FE_INIT_UNIFORM, def, NULL));
            }
        }
    }
    if (L->rnn_learned) {                /* PyTorch's h0 (c0) without the batch axis */
        int64_t hs[2] = {p->nl * p->nd, R}, cs[2] = {p->nl * p->nd, H};
        FE_TRY(fe_param_new(m, L, "h0", 2, hs, FE_INIT_ZERO, 0, &p->h0_param));
        if (d->cell == SEQNN_CELL_LSTM)
            FE_TRY(fe_param_new(m, L, "c0", 2, cs, FE_INIT_ZERO, 0, NULL));
    }
    L->out.seq = !d->last;
    L->out.tokens = 0;
    L->out.n = p->nd * R;
    return SEQNN_OK;
}

static seqnn_status recurrent_reset(seqnn_model *m, fe_layer *L)
{
    (void)m;
    rnn_priv *p = L->priv;
    p->have_state = 0;
    return SEQNN_OK;
}

/* The first parameter of unit (l, dir). */
static int64_t unit_param0(const fe_layer *L, int64_t l, int64_t dir)
{
    const rnn_priv *p = L->priv;
    return L->param0 + rnn_unit_params(L) * (l * p->nd + dir);
}

/* Unit U starts from the learned state (not from a carried one). */
static int learned_start(const seqnn_model *m, const fe_layer *L, const rnn_unit *U)
{
    return L->rnn_learned && !(m->stateful && U->used_h0 >= 0);
}

/* The arguments of unit (l, dir) for the current batch, as forward used them
 * (v->rnn for the plain cells; the variant's fields set for an LSTM variant). */
static seqnn_lstm_variant_args unit_args(seqnn_model *m, fe_layer *L, int64_t l, int64_t dir, const fe_tensor *x,
                                         int64_t ldx, fe_tensor *y)
{
    rnn_priv *p = L->priv;
    rnn_unit *U = &p->units[l * p->nd + dir];
    int64_t H = L->rnn.hidden, R = p->R, k = unit_param0(L, l, dir);
    int lstm = L->rnn.cell == SEQNN_CELL_LSTM;
    seqnn_lstm_variant_args v = {.variant = L->lstm_variant, .proj_size = L->lstm_proj};
    seqnn_rnn_args a = {.cell = L->rnn.cell, .seq_len = fe_steps(m, L), .batch = m->B,
                        .input_size = l == 0 ? L->in.n : p->nd * R, .hidden_size = H,
                        .reverse = (int)dir ^ L->rnn_reverse, .lengths = fe_lengths(m, L), .x = fe_at(x, 0), .ldx = ldx,
                        .w_ih = fe_param_ref(m, k), .w_hh = fe_param_ref(m, k + 1),
                        .b_ih = fe_param_ref(m, k + 2), .b_hh = fe_param_ref(m, k + 3)};
    k += 4;
    if (L->lstm_proj > 0)
        v.w_hr = fe_param_ref(m, k++);
    if (L->lstm_variant & SEQNN_LSTM_PEEPHOLE)
        v.w_peep = fe_param_ref(m, k);
    if (y) {
        a.y = fe_at(y, dir * R);
        a.ldy = p->nd * R;
    }
    if (learned_start(m, L, U)) {
        a.h0 = fe_at(&U->h0b, 0);
        if (lstm)
            a.c0 = fe_at(&U->c0b, 0);
    }
    if (m->stateful) {
        if (U->used_h0 >= 0) {
            a.h0 = fe_at(&U->st_h[U->used_h0], 0);
            if (lstm)
                a.c0 = fe_at(&U->st_c[U->used_h0], 0);
        }
        a.h_n = fe_at(&U->st_h[U->final_idx], 0);
        if (lstm)
            a.c_n = fe_at(&U->st_c[U->final_idx], 0);
    } else if (L->rnn.last && l == p->nl - 1) {
        a.h_n = fe_at(&U->hn, 0);
    }
    a.reserve = fe_at(&U->reserve, 0);
    v.rnn = a;
    return v;
}

/* Forward of one unit through the kernel of its kind. */
static seqnn_status unit_forward(seqnn_model *m, const fe_layer *L, const seqnn_lstm_variant_args *v)
{
    return rnn_variant(L) ? seqnn_lstm_variant_forward(m->ctx, v) : seqnn_rnn_forward(m->ctx, &v->rnn);
}

/* The tensor holding unit (l, dir)'s final hidden state after a forward. */
static fe_tensor *final_state(fe_layer *L, int64_t l, int64_t dir, int stateful)
{
    rnn_priv *p = L->priv;
    rnn_unit *U = &p->units[l * p->nd + dir];
    return stateful ? &U->st_h[U->final_idx] : &U->hn;
}

/* Makes t hold the int32 ids 0..B-1 (iota) or B zeros (at least): written
 * only when B exceeds the *n it holds, since they depend on nothing else. */
static seqnn_status grow_ids(seqnn_model *m, fe_tensor *t, int64_t *n, int64_t B, int iota)
{
    if (B <= *n)
        return SEQNN_OK;
    FE_TRY(fe_tensor_ensure_i32(m, t, B, 1));
    int32_t *ids = malloc((size_t)B * sizeof *ids);
    if (!ids)
        return seqnn_set_error(NULL, SEQNN_ERR_NO_MEMORY, "out of memory");
    for (int64_t b = 0; b < B; b++)
        ids[b] = iota ? (int32_t)b : 0;
    seqnn_status s = seqnn_buffer_write(m->ctx, t->buf, 0, ids, B);
    free(ids);
    *n = s == SEQNN_OK ? B : 0;
    return s;
}

/* Learned state row u of parameter k ([nl*nd, w]) and the batch: forward
 * broadcasts it into bc [B, w]; backward adds the rows of dbc [B, w] into
 * its gradient (one embedding gather / scatter-add with index 0 throughout). */
static seqnn_status learned_rows(seqnn_model *m, rnn_priv *p, int64_t k, int64_t u, int64_t w, fe_tensor *bc,
                                 fe_tensor *dbc)
{
    seqnn_embedding_args g = {.n = m->B, .vocab = 1, .dim = w, .idx = fe_at(&p->zeros, 0), .padding_idx = -1,
                              .weight = fe_param_ref(m, k), .ldy = w};
    g.weight.off += u * w;
    if (!dbc) {
        FE_TRY(fe_tensor_ensure(m, bc, m->B, w));
        g.y = fe_at(bc, 0);
        return seqnn_embedding_forward(m->ctx, &g);
    }
    g.dy = fe_at(dbc, 0);
    g.dweight = fe_grad_ref(m, k);
    g.dweight.off += u * w;
    return seqnn_embedding_backward(m->ctx, &g);
}

static seqnn_status recurrent_forward(seqnn_model *m, fe_layer *L, const fe_tensor *x, int train)
{
    rnn_priv *p = L->priv;
    int64_t T = fe_steps(m, L), B = m->B, H = L->rnn.hidden, R = p->R, nd = p->nd, nl = p->nl;
    int lstm = L->rnn.cell == SEQNN_CELL_LSTM, last = L->rnn.last;
    int carry = m->stateful && p->have_state;
    int64_t reserve = rnn_variant(L) ? seqnn_lstm_variant_reserve_count(L->lstm_variant, T, B, H)
                                     : seqnn_rnn_reserve_count(L->rnn.cell, T, B, H);
    p->dropped = train && L->rnn.dropout > 0 && nl > 1;
    for (int64_t u = 0; u < nl * nd; u++) {
        rnn_unit *U = &p->units[u];
        U->used_h0 = carry ? p->cur : -1;
        U->final_idx = carry ? 1 - p->cur : 0;
        if (m->stateful) {
            FE_TRY(fe_tensor_ensure(m, &U->st_h[U->final_idx], B, R));
            if (lstm)
                FE_TRY(fe_tensor_ensure(m, &U->st_c[U->final_idx], B, H));
        } else if (last && u / nd == nl - 1) {
            FE_TRY(fe_tensor_ensure(m, &U->hn, B, R));
        }
        FE_TRY(fe_tensor_ensure(m, &U->reserve, reserve, 1));
        if (learned_start(m, L, U)) {
            FE_TRY(grow_ids(m, &p->zeros, &p->zeros_n, B, 0));
            FE_TRY(learned_rows(m, p, p->h0_param, u, R, &U->h0b, NULL));
            if (lstm)
                FE_TRY(learned_rows(m, p, p->h0_param + 1, u, H, &U->c0b, NULL));
        }
    }
    const fe_tensor *xin = x;
    int64_t ldx = L->in.n;
    for (int64_t l = 0; l < nl; l++) {
        rnn_level *V = &p->levels[l];
        int top = l == nl - 1;
        fe_tensor *y = top ? (last ? NULL : &L->y) : &V->out;
        if (y)
            FE_TRY(fe_tensor_ensure(m, y, T * B, nd * R));
        for (int64_t dir = 0; dir < nd; dir++) {
            seqnn_lstm_variant_args a = unit_args(m, L, l, dir, xin, ldx, y);
            FE_TRY(unit_forward(m, L, &a));
        }
        if (!top) {
            xin = &V->out;
            if (p->dropped) {
                FE_TRY(fe_tensor_ensure(m, &V->drop, T * B, nd * R));
                V->drop_off = m->dropout_counter;
                m->dropout_counter += (uint64_t)(T * B * nd * R);
                seqnn_dropout_args d = {.n = T * B * nd * R, .p = L->rnn.dropout, .seed = fe_dropout_seed(m),
                                        .offset = V->drop_off, .x = fe_at(&V->out, 0), .y = fe_at(&V->drop, 0)};
                FE_TRY(seqnn_dropout_forward(m->ctx, &d));
                xin = &V->drop;
            }
            ldx = nd * R;
        }
    }
    if (last) {                          /* y[b, dir*R + j] = h_n(dir)[b, j] */
        FE_TRY(fe_tensor_ensure(m, &L->y, B, nd * R));
        FE_TRY(grow_ids(m, &p->iota, &p->iota_n, B, 1));
        for (int64_t dir = 0; dir < nd; dir++) {
            seqnn_embedding_args g = {.n = B, .vocab = B, .dim = R, .idx = fe_at(&p->iota, 0), .padding_idx = -1,
                                      .weight = fe_at(final_state(L, nl - 1, dir, m->stateful), 0),
                                      .y = fe_at(&L->y, dir * R), .ldy = nd * R};
            FE_TRY(seqnn_embedding_forward(m->ctx, &g));
        }
    }
    if (m->stateful) {
        p->cur = p->units[0].final_idx;
        p->have_state = 1;
    }
    return SEQNN_OK;
}

static seqnn_status recurrent_backward(seqnn_model *m, fe_layer *L, const fe_tensor *x, fe_tensor *dx)
{
    rnn_priv *p = L->priv;
    int64_t T = fe_steps(m, L), B = m->B, R = p->R, nd = p->nd, nl = p->nl;
    int last = L->rnn.last;
    for (int64_t l = nl - 1; l >= 0; l--) {
        int top = l == nl - 1;
        const fe_tensor *xin = l == 0 ? x : (p->dropped ? &p->levels[l - 1].drop : &p->levels[l - 1].out);
        int64_t ldx = l == 0 ? L->in.n : nd * R;
        fe_tensor *y = top ? (last ? NULL : &L->y) : &p->levels[l].out;
        fe_tensor *dy = top ? (last ? NULL : &L->dy) : &p->levels[l].dout;
        fe_tensor *dxl = l == 0 ? dx : (p->dropped ? &p->levels[l - 1].ddrop : &p->levels[l - 1].dout);
        if (dxl) {
            FE_TRY(fe_tensor_ensure(m, dxl, T * B, l == 0 ? L->in.n : nd * R));
            FE_TRY(fe_tensor_zero(m, dxl));
        }
        for (int64_t dir = 0; dir < nd; dir++) {
            rnn_unit *U = &p->units[l * nd + dir];
            seqnn_lstm_variant_args v = unit_args(m, L, l, dir, xin, ldx, y);
            seqnn_rnn_args *a = &v.rnn;
            int64_t k = unit_param0(L, l, dir);
            if (dy)
                a->dy = fe_at(dy, dir * R);
            if (top && last) {           /* gradient of the gathered final state */
                FE_TRY(fe_tensor_ensure(m, &U->dhn, B, R));
                FE_TRY(fe_tensor_zero(m, &U->dhn));
                seqnn_embedding_args g = {.n = B, .vocab = B, .dim = R, .idx = fe_at(&p->iota, 0),
                                          .padding_idx = -1,
                                          .weight = fe_at(final_state(L, l, dir, m->stateful), 0),
                                          .dy = fe_at(&L->dy, dir * R), .ldy = nd * R,
                                          .dweight = fe_at(&U->dhn, 0)};
                FE_TRY(seqnn_embedding_backward(m->ctx, &g));
                a->dh_n = fe_at(&U->dhn, 0);
            }
            int learned = learned_start(m, L, U);
            if (learned) {               /* the initial state's gradient, summed below */
                FE_TRY(fe_tensor_ensure(m, &U->dh0, B, R));
                FE_TRY(fe_tensor_zero(m, &U->dh0));
                a->dh0 = fe_at(&U->dh0, 0);
                if (a->cell == SEQNN_CELL_LSTM) {
                    FE_TRY(fe_tensor_ensure(m, &U->dc0, B, L->rnn.hidden));
                    FE_TRY(fe_tensor_zero(m, &U->dc0));
                    a->dc0 = fe_at(&U->dc0, 0);
                }
            }
            if (dxl)
                a->dx = fe_at(dxl, 0);
            a->dw_ih = fe_grad_ref(m, k);
            a->dw_hh = fe_grad_ref(m, k + 1);
            a->db_ih = fe_grad_ref(m, k + 2);
            a->db_hh = fe_grad_ref(m, k + 3);
            k += 4;
            if (L->lstm_proj > 0)
                v.dw_hr = fe_grad_ref(m, k++);
            if (L->lstm_variant & SEQNN_LSTM_PEEPHOLE)
                v.dw_peep = fe_grad_ref(m, k);
            FE_TRY(rnn_variant(L) ? seqnn_lstm_variant_backward(m->ctx, &v) : seqnn_rnn_backward(m->ctx, a));
            if (learned) {
                FE_TRY(learned_rows(m, p, p->h0_param, l * nd + dir, R, NULL, &U->dh0));
                if (a->cell == SEQNN_CELL_LSTM)
                    FE_TRY(learned_rows(m, p, p->h0_param + 1, l * nd + dir, L->rnn.hidden, NULL, &U->dc0));
            }
        }
        if (l > 0 && p->dropped) {       /* through the dropout between layers */
            rnn_level *V = &p->levels[l - 1];
            FE_TRY(fe_tensor_ensure(m, &V->dout, T * B, nd * R));
            seqnn_dropout_args d = {.n = T * B * nd * R, .p = L->rnn.dropout, .seed = fe_dropout_seed(m),
                                    .offset = V->drop_off, .dy = fe_at(&V->ddrop, 0), .dx = fe_at(&V->dout, 0),
                                    .flags = SEQNN_FLAG_OVERWRITE};
            FE_TRY(seqnn_dropout_backward(m->ctx, &d));
        }
    }
    return SEQNN_OK;
}

/* Beam search (stateful while decoding): the carried state's row b becomes
 * its row idx[b]; the gathered copy is the state the next forward starts from. */
static seqnn_status recurrent_reorder(seqnn_model *m, fe_layer *L, const fe_tensor *idx, const int32_t *host_idx)
{
    (void)host_idx;
    rnn_priv *p = L->priv;
    if (!p->have_state)
        return SEQNN_OK;
    for (int64_t u = 0; u < p->nl * p->nd; u++) {   /* rows of the sizes the state has */
        rnn_unit *U = &p->units[u];
        fe_tensor *h = &U->st_h[p->cur], *c = &U->st_c[p->cur];
        FE_TRY(fe_gather_rows(m, h, idx, m->B, h->cols, &U->st_h[1 - p->cur]));
        if (c->buf)
            FE_TRY(fe_gather_rows(m, c, idx, m->B, c->cols, &U->st_c[1 - p->cur]));
    }
    p->cur = 1 - p->cur;
    return SEQNN_OK;
}

seqnn_status seqnn_model_set_state(seqnn_model *m, const char *layer, int64_t batch, const float *h, const float *c)
{
    if (!m || !m->built || !h)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_state: a built model and h are required");
    if (batch < 1 || batch > (1 << 24))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_state: batch %lld", (long long)batch);
    fe_layer *L = NULL;
    for (int i = 0; i < m->n_layers && !L; i++)
        if (m->layers[i].ops == &fe_recurrent_ops && (!layer || !strcmp(m->layers[i].name, layer)))
            L = &m->layers[i];
    if (!L)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_state: no recurrent layer %s",
                               layer ? layer : "in the model");
    if (L->rnn_learned)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_state: layer %s learns its initial "
                               "states (parameters %s.h0%s): they cannot also be given", L->name, L->name,
                               L->rnn.cell == SEQNN_CELL_LSTM ? ", .c0" : "");
    FE_TRY(seqnn_model_set_stateful(m, 1));   /* every carried state reset */
    rnn_priv *p = L->priv;
    int64_t R = p->R, H = L->rnn.hidden;
    for (int64_t u = 0; u < p->nl * p->nd; u++) {
        rnn_unit *U = &p->units[u];
        FE_TRY(fe_tensor_ensure(m, &U->st_h[p->cur], batch, R));
        FE_TRY(seqnn_buffer_write(m->ctx, U->st_h[p->cur].buf, 0, h + u * batch * R, batch * R));
        if (L->rnn.cell != SEQNN_CELL_LSTM)
            continue;
        FE_TRY(fe_tensor_ensure(m, &U->st_c[p->cur], batch, H));
        FE_TRY(c ? seqnn_buffer_write(m->ctx, U->st_c[p->cur].buf, 0, c + u * batch * H, batch * H)
                 : fe_tensor_zero(m, &U->st_c[p->cur]));
    }
    p->have_state = 1;
    m->state_batch = batch;
    return SEQNN_OK;
}

const fe_layer_ops fe_recurrent_ops = {
    .kind = "recurrent",
    .build = recurrent_build,
    .forward = recurrent_forward,
    .backward = recurrent_backward,
    .destroy = recurrent_destroy,
    .reset_state = recurrent_reset,
    .reorder_state = recurrent_reorder,
};

seqnn_status seqnn_model_add_lstm_variant(seqnn_model *m, const char *name, const seqnn_recurrent_desc *d,
                                          uint32_t variant, int64_t proj_size)
{
    const uint32_t known = SEQNN_LSTM_PEEPHOLE | SEQNN_LSTM_COUPLED;
    if (!m || !d)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lstm variant: model or description is NULL");
    if (d->cell != SEQNN_CELL_LSTM)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "lstm variant: cell %d, the variants are of LSTM (%d)",
                               (int)d->cell, (int)SEQNN_CELL_LSTM);
    if (variant & ~known)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "lstm variant: unknown variant bits 0x%x (PEEPHOLE 0x1, COUPLED 0x2)",
                               (unsigned)(variant & ~known));
    if (proj_size < 0 || (proj_size > 0 && proj_size >= d->hidden))
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG,
                               "lstm variant: proj %lld must be 0 (none) or in [1, hidden = %lld)",
                               (long long)proj_size, (long long)d->hidden);
    FE_TRY(seqnn_model_add_recurrent(m, name, d));
    fe_layer *L = &m->layers[m->n_layers - 1];
    L->lstm_variant = variant;
    L->lstm_proj = proj_size;
    return SEQNN_OK;
}

seqnn_status seqnn_model_set_learned_state(seqnn_model *m, const char *layer)
{
    if (!m)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_learned_state: model is NULL");
    if (m->built)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_learned_state: the model is already "
                               "built (learned states are parameters: set them before building)");
    fe_layer *L = NULL;
    for (int i = m->n_layers - 1; i >= 0 && !L; i--)
        if (m->layers[i].ops == &fe_recurrent_ops && (!layer || !strcmp(m->layers[i].name, layer)))
            L = &m->layers[i];
    if (!L)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "seqnn_model_set_learned_state: no recurrent layer %s",
                               layer ? layer : "in the model");
    L->rnn_learned = 1;
    return SEQNN_OK;
}

seqnn_status seqnn_model_add_recurrent_reverse(seqnn_model *m, const char *name, const seqnn_recurrent_desc *d)
{
    if (!m || !d)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "reverse recurrent layer: model or description is NULL");
    if (d->bidirectional)
        return seqnn_set_error(NULL, SEQNN_ERR_INVALID_ARG, "recurrent layer '%s': reverse is one direction (not "
                               "with bidirectional)", name ? name : "");
    FE_TRY(seqnn_model_add_recurrent(m, name, d));
    m->layers[m->n_layers - 1].rnn_reverse = 1;
    return SEQNN_OK;
}
