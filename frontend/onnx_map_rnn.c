/* The ONNX importer's recurrent ops: LSTM / GRU / RNN nodes (gate blocks
 * reordered to PyTorch's, peepholes, coupled gates, classic GRU, relu RNN,
 * the reverse direction),
 * stacked ops joined into one layer, sequence_lens and initial states. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "onnx_map.h"

#ifdef SEQNN_HAVE_ONNX

/* ------------------------------------------------------- recurrent ops --- */
/* Gate blocks of ONNX (LSTM i, o, f, c; GRU z, r, h) in PyTorch's order
 * (LSTM i, f, g, o; GRU r, z, n): the ONNX block of PyTorch's block j. */
static const int GATE_FROM[3][4] = {{0, 2, 3, 1}, {1, 0, 2, 0}, {0, 0, 0, 0}};
static const int GATES[3] = {4, 3, 1};
/* The coupled LSTM (input_forget = 1; its f rows unused): seqnn's blocks
 * i, g, o. Peepholes: seqnn's rows i, f, o (coupled: i, o) of ONNX's P
 * rows i, o, f. */
static const int COUPLED_FROM[3] = {0, 3, 1};
static const int PEEP_FROM[2][3] = {{0, 2, 1}, {0, 1, 0}};

/* Direction d of an ONNX [D, G*H, C] weight (or [D, 2*G*H] bias half h;
 * peep: [D, 3*H] peepholes) in seqnn's (PyTorch's) order, as parameter
 * suffix. */
static seqnn_status rnn_param(mapper *m, mlayer *l, int sub, int d, const float *src, int64_t rows_total,
                              int64_t cols, int64_t off_rows, const char *what)
{
    int peep = !strcmp(what, "weight_peephole");
    int g = peep ? 3 - l->coupled : l->coupled ? 3 : GATES[l->cell];
    const int *from = peep ? PEEP_FROM[l->coupled] : l->coupled ? COUPLED_FROM : GATE_FROM[l->cell];
    int64_t H = l->hidden, n = g * H * cols;
    float *dst = malloc((size_t)n * sizeof *dst);
    if (!dst)
        return om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    const float *base = src + (int64_t)d * rows_total * cols + off_rows * cols;
    for (int j = 0; j < g; j++)
        memcpy(dst + j * H * cols, base + from[j] * H * cols, (size_t)(H * cols) * sizeof *dst);
    char suffix[64];
    snprintf(suffix, sizeof suffix, "%s_l%d%s", what, sub, d ? "_reverse" : "");
    return om_param_add(m, l->name, suffix, dst, n);
}

/* The op's attributes: direction count, activation (RNN: relu), classic
 * GRU, coupled LSTM (input_forget). */
static seqnn_status rnn_attrs(mapper *m, int cell, int *dirs, int *relu, int *classic, int *coupled, int *reverse)
{
    const Onnx__NodeProto *n = m->node;
    const Onnx__AttributeProto *dir = om_attr(n, "direction"), *acts = om_attr(n, "activations");
    const char *ds = dir && dir->has_s ? (const char *)dir->s.data : "forward";
    size_t dl = dir && dir->has_s ? dir->s.len : 7;
    *reverse = dl == 7 && !memcmp(ds, "reverse", 7);
    *dirs = dl == 13 && !memcmp(ds, "bidirectional", 13) ? 2 : (dl == 7 && !memcmp(ds, "forward", 7)) || *reverse;
    if (!*dirs)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "direction '%.*s' (forward, reverse and bidirectional are "
                        "mapped)", (int)dl, ds);
    if (om_attr(n, "clip") || om_attr_i(n, "layout", 0))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "clip or layout = 1");
    *coupled = cell == 0 && om_attr_i(n, "input_forget", 0) != 0;
    *classic = cell == 1 && !om_attr_i(n, "linear_before_reset", 0);
    *relu = 0;
    static const char *const dflt[3][3] = {{"Sigmoid", "Tanh", "Tanh"}, {"Sigmoid", "Tanh", NULL},
                                          {"Tanh", NULL, NULL}};
    int per = cell == 0 ? 3 : cell == 1 ? 2 : 1;
    if (acts && acts->n_strings != (size_t)(per * *dirs))
        return om_node_err(m, SEQNN_ERR_FORMAT, "activations has %zu entries", acts->n_strings);
    for (size_t i = 0; acts && i < acts->n_strings; i++) {
        const ProtobufCBinaryData *s = &acts->strings[i];
        const char *want = dflt[cell][i % (size_t)per];
        int is_relu = cell == 2 && s->len == 4 && !memcmp(s->data, "Relu", 4);
        if (is_relu && i > 0 && !*relu)
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "directions with different activations");
        *relu |= is_relu;
        if (!is_relu && (s->len != strlen(want) || memcmp(s->data, want, s->len) || *relu))
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "activation '%.*s' (seqnn's cells have PyTorch's)",
                            (int)s->len, (const char *)s->data);
    }
    return SEQNN_OK;
}

/* The recurrent layer op k of the node reads: a new layer, or the next
 * sub-layer of the last one when it stacks on it. */
static mlayer *rnn_layer(mapper *m, const mval *x, const mlayer *want, int *sub)
{
    mlayer *t = x->layer >= 0 ? &m->layers[x->layer] : NULL;
    if (t && t->kind == L_RNN && x->layer == m->n_layers - 1 && t->cell == want->cell && t->hidden == want->hidden &&
        t->dirs == want->dirs && t->relu == want->relu && t->classic == want->classic &&
        t->peephole == want->peephole && t->coupled == want->coupled && t->reverse == want->reverse && !t->last) {
        *sub = t->layers++;
        return t;
    }
    static const char *const kinds[3] = {"lstm", "gru", "rnn"};
    mlayer *l = om_layer_new(m, L_RNN, kinds[want->cell]);
    if (!l)
        return NULL;
    l->cell = want->cell;
    l->hidden = want->hidden;
    l->layers = 1;
    l->dirs = want->dirs;
    l->relu = want->relu;
    l->classic = want->classic;
    l->peephole = want->peephole;
    l->coupled = want->coupled;
    l->reverse = want->reverse;
    *sub = 0;
    return l;
}

static seqnn_status rnn_weights(mapper *m, mlayer *l, int sub, int64_t in, const mval *w, const mval *r,
                                const mval *b, const mval *p)
{
    int g = GATES[l->cell];
    int64_t H = l->hidden, D = l->dirs, cw, cr, cb = 0;
    if (w->kind != V_CONST || r->kind != V_CONST || (b && b->kind != V_CONST) || w->t->n_dims != 3 ||
        r->t->n_dims != 3 || w->t->dims[0] != D || w->t->dims[1] != g * H || w->t->dims[2] != in ||
        r->t->dims[0] != D || r->t->dims[1] != g * H || r->t->dims[2] != H ||
        (b && (b->t->n_dims != 2 || b->t->dims[0] != D || b->t->dims[1] != 2 * g * H)))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "W, R, B must be constants of shapes [%lld, %lld, %lld], "
                        "[%lld, %lld, %lld], [%lld, %lld]", (long long)D, (long long)(g * H), (long long)in,
                        (long long)D, (long long)(g * H), (long long)H, (long long)D, (long long)(2 * g * H));
    float *wd = om_tensor_floats(m, w->t, &cw), *rd = wd ? om_tensor_floats(m, r->t, &cr) : NULL;
    float *bd = rd && b ? om_tensor_floats(m, b->t, &cb) : rd ? calloc((size_t)(D * 2 * g * H), sizeof *bd) : NULL;
    float *pd = NULL;
    if (bd && p && (p->t->n_dims != 2 || p->t->dims[0] != D || p->t->dims[1] != 3 * H))
        om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the peephole weight P must be [%lld, %lld]", (long long)D,
                 (long long)(3 * H));
    else if (bd && p)
        pd = om_tensor_floats(m, p->t, &cb);
    seqnn_status st = bd && (!p || pd) ? SEQNN_OK : om_map_status;
    for (int d = 0; !st && d < D; d++) {
        if (!(st = rnn_param(m, l, sub, d, wd, g * H, in, 0, "weight_ih")) &&
            !(st = rnn_param(m, l, sub, d, rd, g * H, H, 0, "weight_hh")) &&
            !(st = rnn_param(m, l, sub, d, bd, 2 * g * H, 1, 0, "bias_ih")) &&
            !(st = rnn_param(m, l, sub, d, bd, 2 * g * H, 1, g * H, "bias_hh")) && pd)
            st = rnn_param(m, l, sub, d, pd, 3 * H, 1, 0, "weight_peephole");
    }
    free(pd);
    free(wd);
    free(rd);
    free(bd);
    return st;
}

/* sequence_lens of the op (*given: 1 when there is one): the graph's
 * lengths input, in the order of the op's batch (sorted lengths for a batch
 * sorted by them). */
static seqnn_status rnn_lengths(mapper *m, const mval *x, int *given)
{
    const Onnx__NodeProto *n = m->node;
    *given = n->n_input > 4 && n->input[4][0];
    const mval *len = *given ? om_in_val(m, 4, 1) : NULL;
    if (*given && !len)
        return om_map_status;
    if (len && (!((len->kind == V_LENGTHS && !x->perm) || (len->kind == V_SORTLEN && x->perm)) ||
                !om_bind_lengths(m, len->in_k, om_val_stream(m, x))))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "sequence_lens is mapped when it is the graph's lengths input "
                        "(pack_padded_sequence) of the op's input, in the order of the op's batch");
    if (len)
        m->in_role[len->in_k] = IN_LENGTHS;
    return SEQNN_OK;
}

/* Integer k of a one-element constant input i of the node; absent: 1 with *v untouched. */
static int node_int(mapper *m, size_t i, int64_t *v)
{
    const mval *c = m->node->n_input > i && m->node->input[i][0] ? om_val_find(m, m->node->input[i]) : NULL;
    if (m->node->n_input <= i || !m->node->input[i][0])
        return 1;
    return c && c->kind == V_CONST && om_tensor_count(c->t) == 1 && om_tensor_int(c->t, 0, v);
}

int om_map_learned_state(mapper *m, const mval *x, seqnn_status *st)
{
    const Onnx__NodeProto *n = m->node;
    const char *op = n->op_type;
    int spread = !strcmp(op, "Expand") || !strcmp(op, "Tile");
    const mval *by = n->n_input > 1 ? om_val_find(m, n->input[1]) : NULL;
    if (x->kind == V_CONST && (!spread || !by || by->kind != V_SHAPE || x->t->n_dims != 3 || x->t->dims[1] != 1 ||
                               x->t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT || om_tensor_all_zero(m, x->t)))
        return 0;                        /* not a float [rows, 1, H] spread over a run-time shape */
    if (x->kind != V_CONST && !(x->kind == V_BCAST && (spread || !strcmp(op, "Slice"))))
        return 0;
    int64_t a[4] = {0, INT64_MAX, 0, 1};   /* Slice: starts, ends, axes, steps */
    int ok = spread ? by && (by->kind == V_SHAPE || by->kind == V_CONST) : 1;
    for (int k = 0; !spread && ok && k < 4; k++)
        ok = node_int(m, (size_t)k + 1, &a[k]);
    if (!ok || a[2] != 0 || a[3] != 1 || a[0] < 0 || a[1] <= a[0]) {
        *st = om_node_err(m, SEQNN_ERR_UNSUPPORTED, "a constant initial state spread over the batch is mapped "
                          "through Expand, Tile and Slices of its rows (constant bounds, first axis)");
        return 1;
    }
    mval *o = om_out_val(m, 0, V_BCAST);
    if (!o) {
        *st = om_map_status;
        return 1;
    }
    o->t = x->t;
    o->r0 = x->kind == V_CONST ? 0 : x->r0 + a[0];
    o->r1 = x->kind == V_CONST ? -1 : a[1] > INT32_MAX ? x->r1 : x->r1 >= 0 && x->r0 + a[1] > x->r1 ? x->r1
            : x->r0 + a[1];
    *st = SEQNN_OK;
    return 1;
}

/* Learned state j (0: h0, 1: c0) of sub-layer sub: appends rows
 * [sub*D, (sub+1)*D) of parameter "<layer>.h0" ("c0"), the rows s reads
 * (of its constant [rows, 1, H]; one row serves them all), zeros for NULL. */
static seqnn_status learned_rows_add(mapper *m, mlayer *l, int sub, int j, const mval *s)
{
    int64_t D = l->dirs, H = l->hidden, rows = s ? s->t->dims[0] : 1, r1 = s && s->r1 >= 0 ? s->r1 : 0;
    if (s && (s->t->dims[2] != H || (s->r1 >= 0 && r1 - s->r0 != D) || (rows > 1 && s->r0 + D > rows)))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "learned initial state '%s' [%lld, 1, %lld]: the op reads "
                        "%lld rows of %lld values from row %lld", s->name, (long long)rows,
                        (long long)s->t->dims[2], (long long)D, (long long)H, (long long)s->r0);
    onnx_mapped *o = m->out;
    char name[sizeof o->params[0].name];
    snprintf(name, sizeof name, "%s.%s", l->name, j ? "c0" : "h0");
    onnx_param *p = NULL;
    for (int i = 0; i < o->n_params && !p; i++)
        p = strcmp(o->params[i].name, name) ? NULL : &o->params[i];
    if ((sub == 0) != (p == NULL) || (p && p->count != sub * D * H))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "learned initial state of layer %d of '%s': the layers' ops "
                        "must come in order", sub, l->name);
    int64_t cnt = 0;
    float *src = s ? om_tensor_floats(m, s->t, &cnt) : NULL;
    float *dst = (s && !src) ? NULL : realloc(p ? p->data : NULL, (size_t)((sub + 1) * D * H) * sizeof *dst);
    if (!dst) {
        free(src);
        return s && !src ? om_map_status : om_map_fail(SEQNN_ERR_NO_MEMORY, "out of memory");
    }
    for (int64_t d = 0; d < D; d++)
        for (int64_t k = 0; k < H; k++)
            dst[(sub * D + d) * H + k] = src ? src[(rows > 1 ? s->r0 + d : 0) * H + k] : 0.0f;
    free(src);
    if (p) {
        p->data = dst;
        p->count = (sub + 1) * D * H;
        return SEQNN_OK;
    }
    return om_param_add(m, l->name, j ? "c0" : "h0", dst, D * H);
}

/* The initial states init[0] (h) and init[1] (c) of sub-layer sub: rows
 * [sub*D, (sub+1)*D) of state inputs of the graph (all of them for a layer
 * of one op), the same inputs for every sub-layer; NULL: zeros. */
static seqnn_status rnn_states(mapper *m, mlayer *l, int sub, const mval *const *init)
{
    int li = (int)(l - m->layers);
    int learned = (init[0] && init[0]->kind == V_BCAST) || (init[1] && init[1]->kind == V_BCAST);
    if (sub == 0)
        l->learned = learned;
    if (l->learned != learned || (learned && ((init[0] && init[0]->kind != V_BCAST) ||
                                              (init[1] && init[1]->kind != V_BCAST))))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "constant (learned) initial states are mapped when every op of "
                        "the layer starts from them (or zeros), not from initial-state inputs");
    for (int j = 0; learned && j < (l->cell == 0 ? 2 : 1); j++) {
        seqnn_status st = learned_rows_add(m, l, sub, j, init[j]);
        if (st)
            return st;
    }
    for (int j = 0; !learned && j < 2; j++) {
        const mval *s = init[j];
        int in = s ? s->in_k : -1, role = j ? IN_C0 : IN_H0;
        int64_t r0 = s && s->kind == V_STATE ? s->r0 : 0, r1 = s && s->kind == V_STATE ? s->r1 : -1;
        int64_t rows = m->in_rows[in < 0 ? 0 : in];
        if (sub == 0)
            j ? (l->c_in = in) : (l->h_in = in);
        if ((j ? l->c_in : l->h_in) != in)
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the stacked ops of one layer must all start from zeros or "
                            "all from rows of the same initial-state input");
        if (in < 0)
            continue;
        if (r1 < 0 && rows >= 0)
            r1 = rows;
        if ((m->in_role[in] != IN_UNREAD && m->in_role[in] != role) || r0 != (int64_t)sub * l->dirs ||
            (r1 >= 0 && r1 != (int64_t)(sub + 1) * l->dirs) || (r1 < 0 && sub > 0))
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "initial state '%s': the op of layer %d must read rows [%d, %d) "
                            "of the graph's %s input, used for nothing else; it reads rows [%lld, %lld)", s->name,
                            sub, sub * l->dirs, (sub + 1) * l->dirs, j ? "c0" : "h0", (long long)r0,
                            (long long)r1);
        for (int i = 0; i < m->n_layers; i++)
            if (i != li && (m->layers[i].h_in >= 0 || m->layers[i].c_in >= 0) && m->layers[i].kind == L_RNN)
                return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "initial states as inputs are mapped for one recurrent "
                                "layer of the model (here also '%s')", m->layers[i].name);
        m->in_role[in] = role;
    }
    return SEQNN_OK;
}

seqnn_status om_map_recurrent(mapper *m, const mval *x, int cell)
{
    const Onnx__NodeProto *n = m->node;
    seqnn_status st = om_need_tail(m, x, 3, 3);
    if (st)
        return st;
    int dirs = 0, relu = 0, classic = 0, coupled = 0, sub = 0, reverse = 0;
    if ((st = rnn_attrs(m, cell, &dirs, &relu, &classic, &coupled, &reverse)))
        return st;
    if (m->time_label < 0)
        m->time_label = x->ax[0];
    if (x->ax[0] != m->time_label || x->ax[1] == AX_F)
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "the input is not [T, B, F] as the op reads it");
    const mval *w = om_in_val(m, 1, 1), *r = w ? om_in_val(m, 2, 1) : NULL, *b = om_in_val(m, 3, 0);
    if (!w || !r)
        return om_map_status;
    int lens = 0;
    if ((st = rnn_lengths(m, x, &lens)))
        return st;
    const mval *init[2] = {NULL, NULL}, *peep = NULL;
    for (size_t k = 5; k < n->n_input && k < 8; k++) {
        const mval *s = om_in_val(m, k, 0);
        if (s && k < 7 && (s->kind == V_STATE || s->kind == V_STATEIN || s->kind == V_BCAST))
            init[k - 5] = s;
        else if (s && k == 7 && cell == 0 && s->kind == V_CONST && !om_tensor_all_zero(m, s->t))
            peep = s;
        else if (s && s->kind != V_ZEROS && !(s->kind == V_CONST && om_tensor_all_zero(m, s->t)))
            return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "%s '%s' is %s", k == 7 ? "the peephole weight" :
                            "an initial state", s->name, k == 7 ? "not a constant of an LSTM" : "neither zeros nor "
                            "rows of an initial-state input of the graph nor a constant spread over the batch");
        if (!s && k < n->n_input && n->input[k][0])
            return om_map_status;
    }
    int64_t H = om_attr_i(n, "hidden_size", r->kind == V_CONST && r->t->n_dims == 3 ? r->t->dims[2] : 0);
    if (H < 1 || H > (1 << 20))
        return om_node_err(m, SEQNN_ERR_FORMAT, "hidden_size %lld", (long long)H);
    if (reverse && (peep || coupled))
        return om_node_err(m, SEQNN_ERR_UNSUPPORTED, "direction 'reverse' with peepholes or input_forget (seqnn's "
                        "reverse layers are of the plain cells)");
    mlayer want = {.cell = cell, .hidden = (int)H, .dirs = dirs, .relu = relu, .classic = classic,
                   .peephole = peep != NULL, .coupled = coupled, .reverse = reverse};
    mlayer *l = rnn_layer(m, x, &want, &sub);
    if (!l)
        return om_map_status;
    if ((st = rnn_states(m, l, sub, init)) || (st = rnn_weights(m, l, sub, x->f, w, r, b, peep)))
        return st;
    l->lens_ops += lens;
    int li = (int)(l - m->layers);
    mval *y = om_out_val(m, 0, V_ACT);
    if (n->n_output > 0 && n->output[0][0] && !y)
        return om_map_status;
    if (y) {
        y->layer = li;
        y->perm = x->perm;
        y->sub = sub;
        y->rank = 4;
        y->ax[0] = x->ax[0];
        y->ax[1] = AX_D;
        y->ax[2] = x->ax[1];
        y->ax[3] = AX_H;
        y->f = H;
    }
    mval *yh = om_out_val(m, 1, V_YH);
    if (yh) {
        yh->layer = li;
        yh->perm = x->perm;
        yh->sub = sub;
    }
    om_out_val(m, 2, V_UNUSABLE);
    return SEQNN_OK;
}

#endif /* SEQNN_HAVE_ONNX */
