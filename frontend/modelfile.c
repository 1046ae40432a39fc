/* seqnn model files (include/seqnn/modelfile.h, docs/model-files.md): a
 * line-oriented text format read statement by statement into calls of the
 * public model-description API (seqnn_model_input_*, seqnn_model_add_*, ...)
 * and a seqnn_train_config. Each statement is checked against a table of its
 * keys (type, range, default, which variant it applies to); every error,
 * including those of the model API, reads "PATH:LINE: message". */
#define _POSIX_C_SOURCE 200809L
#include "seqnn/modelfile.h"

#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fe.h"

#define MF_MAX_BYTES (1L << 20)          /* larger files are refused */
#define MF_MAX_TOKENS 32                 /* words on one line */
#define MF_MAX_WIDTHS 16                 /* conv1d_bank widths */
#define MF_MAX_KEYS 16                   /* keys of one statement */
#define MF_SHOW 40                       /* characters of a word quoted in a message */
#define MF_SIZE_MAX ((int64_t)INT32_MAX) /* upper bound of vocabularies and layer sizes */

seqnn_train_config seqnn_train_config_defaults(void)
{
    seqnn_train_config c;
    memset(&c, 0, sizeof c);
    c.batch = 32;
    c.seq_len = 100;
    c.epochs = 1;
    c.max_steps = 0;
    c.time_limit = 0;
    c.eval_every = 0;
    c.patience = 0;
    c.val_fraction = 0.1;
    c.seed = 1;
    c.optim = seqnn_optim_defaults(SEQNN_OPTIM_ADAM);
    return c;
}

/* ------------------------------------------------------------ the tables --- */
typedef enum mf_type {
    MF_INT,                              /* int64 in [imin, imax]; $var allowed */
    MF_U64,                              /* uint64 (seed); $var allowed */
    MF_REAL,                             /* finite double in [dmin, dmax] (dmax excluded if open); $var allowed */
    MF_BOOL,                             /* 0 or 1 */
    MF_NAME,                             /* a layer name, passed to the model API */
    MF_WORD,                             /* one of words[] (the value is its index) */
    MF_LIST,                             /* comma-separated MF_INTs */
    MF_REALS                             /* comma-separated MF_REALs, any number (the text kept in s) */
} mf_type;

typedef struct mf_key {
    const char *key;
    mf_type type;
    int required;                        /* (when it applies, see only) */
    int64_t imin, imax;
    double dmin, dmax;
    int open;                            /* MF_REAL: OPEN_MAX / OPEN_MIN: that bound itself excluded */
    const char *const *words;            /* MF_WORD: NULL-terminated */
    unsigned only;                       /* bit i: applies with positional word i only (0: always) */
} mf_key;

typedef struct mf_value {
    int given;
    int64_t i;                           /* MF_INT, MF_BOOL, MF_WORD (index) */
    uint64_t u;                          /* MF_U64 */
    double d;                            /* MF_REAL */
    const char *s;                       /* MF_NAME */
    int64_t list[MF_MAX_WIDTHS];         /* MF_LIST */
    int n;
} mf_value;

typedef enum mf_stmt_id {
    ST_SEQNN, ST_INPUT, ST_EMBEDDING, ST_DENSE, ST_ACTIVATION, ST_DROPOUT, ST_LSTM, ST_GRU, ST_RNN,
    ST_CONV1D_BANK, ST_ATTENTION, ST_DECODER, ST_LOSS, ST_OPTIMIZER, ST_TRAIN,
    ST_SCHEDULE, ST_TREE, ST_CONCAT, ST_ADD, ST_MULTIPLY, ST_COUNT
} mf_stmt_id;

typedef struct mf_stmt {
    const char *name;
    const char *const *positional;       /* the words the second token must be one of, or NULL */
    const mf_key *keys;
    int n_keys;
    int layer;                           /* adds a layer */
} mf_stmt;

#define INF HUGE_VAL
#define OPEN_MAX 1
#define OPEN_MIN 2
#define SIZE_KEY(k, req) {k, MF_INT, req, 1, MF_SIZE_MAX, 0, 0, 0, NULL, 0}
#define NAME_KEY {"name", MF_NAME, 0, 0, 0, 0, 0, 0, NULL, 0}
#define BOOL_KEY(k, only) {k, MF_BOOL, 0, 0, 1, 0, 0, 0, NULL, only}
#define REAL_KEY(k, req, lo, hi, open, only) {k, MF_REAL, req, 0, 0, lo, hi, open, NULL, only}
#define WORD_KEY(k, words, only) {k, MF_WORD, 0, 0, 0, 0, 0, 0, words, only}
#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const w_version[] = {"1", NULL};
static const char *const w_input[] = {"tokens", "features", NULL};
/* In seqnn_act order. */
static const char *const w_act[] = {"sigmoid", "tanh", "hardtanh", "relu", "leaky_relu", "swish", NULL};
static const char *const w_bank_act[] = {"sigmoid", "tanh", "hardtanh", "relu", "swish", NULL};
static const seqnn_act bank_acts[] = {SEQNN_ACT_SIGMOID, SEQNN_ACT_TANH, SEQNN_ACT_HARDTANH,
                                      SEQNN_ACT_RELU, SEQNN_ACT_SWISH};
/* In seqnn_init order. */
static const char *const w_init[] = {"default", "xavier", "orthogonal", "identity", NULL};
static const char *const w_rnn_act[] = {"tanh", "relu", NULL};
/* In seqnn_score order. */
static const char *const w_score[] = {"dot", "scaled_dot", "bilinear", "additive", NULL};
/* In seqnn_loss_kind order. */
static const char *const w_loss[] = {"xent", "mse", "bce", NULL};
static const char *const w_optim[] = {"sgd", "rmsprop", "adam", "adamw", "adagrad", NULL};
enum { OP_SGD = 1u << 0, OP_RMSPROP = 1u << 1, OP_ADAM = 1u << 2, OP_ADAMW = 1u << 3, OP_ADAGRAD = 1u << 4 };
static const seqnn_optim_kind optim_kinds[] = {SEQNN_OPTIM_SGD, SEQNN_OPTIM_RMSPROP, SEQNN_OPTIM_ADAM,
                                               SEQNN_OPTIM_ADAM, SEQNN_OPTIM_ADAGRAD};

/* Each key table is indexed by its enum (designated initialisers), and
 * mf_apply reads a statement's values by those names. */
enum { IK_VOCAB, IK_DIM, IK_NAME };
static const mf_key k_input[] = {
    [IK_VOCAB] = {"vocab", MF_INT, 1, 1, MF_SIZE_MAX, 0, 0, 0, NULL, 1u << 0},
    [IK_DIM] = {"dim", MF_INT, 1, 1, MF_SIZE_MAX, 0, 0, 0, NULL, 1u << 1},
    [IK_NAME] = NAME_KEY,
};
enum { MK_NAME };
static const mf_key k_merge[] = {[MK_NAME] = NAME_KEY};
enum { EK_NAME, EK_DIM, EK_PADDING };
static const mf_key k_embedding[] = {
    [EK_NAME] = NAME_KEY,
    [EK_DIM] = SIZE_KEY("dim", 1),
    [EK_PADDING] = {"padding", MF_INT, 0, 0, MF_SIZE_MAX - 1, 0, 0, 0, NULL, 0},
};
enum { DK_NAME, DK_OUT };
static const mf_key k_dense[] = {[DK_NAME] = NAME_KEY, [DK_OUT] = SIZE_KEY("out", 1)};
enum { ACK_ALPHA };
static const mf_key k_activation[] = {[ACK_ALPHA] = REAL_KEY("alpha", 0, -INF, INF, 0, 1u << SEQNN_ACT_LEAKY_RELU)};
enum { DRK_P };
static const mf_key k_dropout[] = {[DRK_P] = REAL_KEY("p", 1, 0, 1, OPEN_MAX, 0)};
enum { RK_NAME, RK_HIDDEN, RK_LAYERS, RK_DROPOUT, RK_BIDIR, RK_LAST, RK_INIT, RK_REVERSE, RK_LEARNED, RK_EXTRA };
#define RECURRENT_KEYS                                                                         \
    [RK_NAME] = NAME_KEY, [RK_HIDDEN] = SIZE_KEY("hidden", 1),                                 \
    [RK_LAYERS] = {"layers", MF_INT, 0, 1, 1024, 0, 0, 0, NULL, 0},                            \
    [RK_DROPOUT] = REAL_KEY("dropout", 0, 0, 1, OPEN_MAX, 0), [RK_BIDIR] = BOOL_KEY("bidirectional", 0), \
    [RK_LAST] = BOOL_KEY("last", 0), [RK_INIT] = WORD_KEY("init", w_init, 0), [RK_REVERSE] = BOOL_KEY("reverse", 0), \
    [RK_LEARNED] = BOOL_KEY("learned_state", 0)
enum { LK_PEEPHOLE = RK_EXTRA, LK_COUPLED, LK_PROJ };   /* the LSTM variants */
static const mf_key k_lstm[] = {RECURRENT_KEYS, [LK_PEEPHOLE] = BOOL_KEY("peephole", 0),
                                [LK_COUPLED] = BOOL_KEY("coupled", 0),
                                [LK_PROJ] = {"proj", MF_INT, 0, 1, MF_SIZE_MAX, 0, 0, 0, NULL, 0}};
static const mf_key k_gru[] = {RECURRENT_KEYS, [RK_EXTRA] = BOOL_KEY("classic", 0)};
static const mf_key k_rnn[] = {RECURRENT_KEYS, [RK_EXTRA] = WORD_KEY("act", w_rnn_act, 0)};
enum { CK_NAME, CK_FILTERS, CK_WIDTHS, CK_ACT };
static const mf_key k_conv1d_bank[] = {
    [CK_NAME] = NAME_KEY,
    [CK_FILTERS] = SIZE_KEY("filters", 1),
    [CK_WIDTHS] = {"widths", MF_LIST, 1, 1, 4096, 0, 0, 0, NULL, 0},
    [CK_ACT] = WORD_KEY("act", w_bank_act, 0),
};
enum { ATK_NAME, ATK_SCORE, ATK_HEADS, ATK_CAUSAL, ATK_ENCODER, ATK_ATTN_DIM };
static const mf_key k_attention[] = {
    [ATK_NAME] = NAME_KEY,
    [ATK_SCORE] = WORD_KEY("score", w_score, 0),
    [ATK_HEADS] = {"heads", MF_INT, 0, 1, 4096, 0, 0, 0, NULL, 0},
    [ATK_CAUSAL] = BOOL_KEY("causal", 0),
    [ATK_ENCODER] = BOOL_KEY("encoder", 0),
    [ATK_ATTN_DIM] = {"attn_dim", MF_INT, 0, 0, MF_SIZE_MAX, 0, 0, 0, NULL, 0},
};
/* In seqnn_tree_cell order. */
static const char *const w_tree_cell[] = {"tanh", "lstm", NULL};
enum { TRK_NAME, TRK_CELL, TRK_HIDDEN, TRK_NODES };
static const mf_key k_tree[] = {
    [TRK_NAME] = NAME_KEY,
    [TRK_CELL] = WORD_KEY("cell", w_tree_cell, 0),
    [TRK_HIDDEN] = SIZE_KEY("hidden", 1),
    [TRK_NODES] = BOOL_KEY("nodes", 0),
};
enum { DCK_VOCAB };
static const mf_key k_decoder[] = {[DCK_VOCAB] = SIZE_KEY("vocab", 1)};
enum { OK_LR, OK_MOMENTUM, OK_DAMPENING, OK_NESTEROV, OK_ALPHA, OK_CENTERED, OK_BETA1, OK_BETA2,
       OK_AMSGRAD, OK_LR_DECAY, OK_EPS, OK_WEIGHT_DECAY, OK_CLIP };
static const mf_key k_optimizer[] = {
    [OK_LR] = REAL_KEY("lr", 0, 0, INF, OPEN_MIN, 0),
    [OK_MOMENTUM] = REAL_KEY("momentum", 0, 0, INF, 0, OP_SGD | OP_RMSPROP),
    [OK_DAMPENING] = REAL_KEY("dampening", 0, 0, 1, 0, OP_SGD),
    [OK_NESTEROV] = BOOL_KEY("nesterov", OP_SGD),
    [OK_ALPHA] = REAL_KEY("alpha", 0, 0, 1, 0, OP_RMSPROP),
    [OK_CENTERED] = BOOL_KEY("centered", OP_RMSPROP),
    [OK_BETA1] = REAL_KEY("beta1", 0, 0, 1, OPEN_MAX, OP_ADAM | OP_ADAMW),
    [OK_BETA2] = REAL_KEY("beta2", 0, 0, 1, OPEN_MAX, OP_ADAM | OP_ADAMW),
    [OK_AMSGRAD] = BOOL_KEY("amsgrad", OP_ADAM | OP_ADAMW),
    [OK_LR_DECAY] = REAL_KEY("lr_decay", 0, 0, INF, 0, OP_ADAGRAD),
    [OK_EPS] = REAL_KEY("eps", 0, 0, INF, 0, OP_RMSPROP | OP_ADAM | OP_ADAMW | OP_ADAGRAD),
    [OK_WEIGHT_DECAY] = REAL_KEY("weight_decay", 0, 0, INF, 0, 0),
    [OK_CLIP] = REAL_KEY("clip", 0, 0, INF, 0, 0),
};
/* loss xent smoothing=S; schedule KIND (words in seqnn_lr_kind order) */
enum { LK_SMOOTHING, LK_WEIGHTS };
static const mf_key k_loss[] = {
    [LK_SMOOTHING] = REAL_KEY("smoothing", 0, 0, 1, 0, 1u << SEQNN_LOSS_XENT),
    [LK_WEIGHTS] = {"weights", MF_REALS, 0, 0, 0, 0, INF, 0, NULL, 1u << SEQNN_LOSS_XENT},
};
static const char *const w_schedule[] = {"constant", "step", "cosine", "plateau", NULL};
enum { SK_WARMUP, SK_WARMUP_START, SK_STEP_SIZE, SK_GAMMA, SK_COSINE_STEPS, SK_MIN_LR, SK_FACTOR, SK_PATIENCE,
       SK_THRESHOLD };
static const mf_key k_schedule[] = {
    [SK_WARMUP] = {"warmup", MF_INT, 0, 0, INT64_MAX, 0, 0, 0, NULL, 0},
    [SK_WARMUP_START] = REAL_KEY("warmup_start", 0, 0, 1, 0, 0),
    [SK_STEP_SIZE] = {"step_size", MF_INT, 0, 1, INT64_MAX, 0, 0, 0, NULL, 1u << SEQNN_LR_STEP},
    [SK_GAMMA] = REAL_KEY("gamma", 0, 0, 1, OPEN_MIN, 1u << SEQNN_LR_STEP),
    [SK_COSINE_STEPS] = {"cosine_steps", MF_INT, 0, 1, INT64_MAX, 0, 0, 0, NULL, 1u << SEQNN_LR_COSINE},
    [SK_MIN_LR] = REAL_KEY("min_lr", 0, 0, INF, 0, (1u << SEQNN_LR_COSINE) | (1u << SEQNN_LR_PLATEAU)),
    [SK_FACTOR] = REAL_KEY("factor", 0, 0, 1, OPEN_MIN | OPEN_MAX, 1u << SEQNN_LR_PLATEAU),
    [SK_PATIENCE] = {"patience", MF_INT, 0, 0, INT64_MAX, 0, 0, 0, NULL, 1u << SEQNN_LR_PLATEAU},
    [SK_THRESHOLD] = REAL_KEY("threshold", 0, 0, INF, 0, 1u << SEQNN_LR_PLATEAU),
};
enum { TK_BATCH, TK_SEQ_LEN, TK_EPOCHS, TK_STEPS, TK_TIME, TK_EVAL_EVERY, TK_PATIENCE, TK_VAL, TK_SEED };
static const mf_key k_train[] = {
    [TK_BATCH] = SIZE_KEY("batch", 0),
    [TK_SEQ_LEN] = {"seq_len", MF_INT, 0, 0, MF_SIZE_MAX, 0, 0, 0, NULL, 0},
    [TK_EPOCHS] = SIZE_KEY("epochs", 0),
    [TK_STEPS] = {"steps", MF_INT, 0, 0, INT64_MAX, 0, 0, 0, NULL, 0},
    [TK_TIME] = REAL_KEY("time", 0, 0, INF, 0, 0),
    [TK_EVAL_EVERY] = {"eval_every", MF_INT, 0, 0, INT64_MAX, 0, 0, 0, NULL, 0},
    [TK_PATIENCE] = {"patience", MF_INT, 0, 0, INT64_MAX, 0, 0, 0, NULL, 0},
    [TK_VAL] = REAL_KEY("val", 0, 0, 1, OPEN_MAX, 0),
    [TK_SEED] = {"seed", MF_U64, 0, 0, 0, 0, 0, 0, NULL, 0},
};

static const mf_stmt mf_stmts[ST_COUNT] = {
    [ST_SEQNN] = {"seqnn", w_version, NULL, 0, 0},
    [ST_INPUT] = {"input", w_input, k_input, COUNT(k_input), 0},
    [ST_EMBEDDING] = {"embedding", NULL, k_embedding, COUNT(k_embedding), 1},
    [ST_DENSE] = {"dense", NULL, k_dense, COUNT(k_dense), 1},
    [ST_ACTIVATION] = {"activation", w_act, k_activation, COUNT(k_activation), 1},
    [ST_DROPOUT] = {"dropout", NULL, k_dropout, COUNT(k_dropout), 1},
    [ST_LSTM] = {"lstm", NULL, k_lstm, COUNT(k_lstm), 1},
    [ST_GRU] = {"gru", NULL, k_gru, COUNT(k_gru), 1},
    [ST_RNN] = {"rnn", NULL, k_rnn, COUNT(k_rnn), 1},
    [ST_CONV1D_BANK] = {"conv1d_bank", NULL, k_conv1d_bank, COUNT(k_conv1d_bank), 1},
    [ST_ATTENTION] = {"attention", NULL, k_attention, COUNT(k_attention), 1},
    [ST_DECODER] = {"decoder", NULL, k_decoder, COUNT(k_decoder), 0},
    [ST_LOSS] = {"loss", w_loss, k_loss, COUNT(k_loss), 0},
    [ST_OPTIMIZER] = {"optimizer", w_optim, k_optimizer, COUNT(k_optimizer), 0},
    [ST_TRAIN] = {"train", NULL, k_train, COUNT(k_train), 0},
    [ST_SCHEDULE] = {"schedule", w_schedule, k_schedule, COUNT(k_schedule), 0},
    [ST_TREE] = {"tree", NULL, k_tree, COUNT(k_tree), 1},
    [ST_CONCAT] = {"concat", NULL, k_merge, COUNT(k_merge), 1},
    [ST_ADD] = {"add", NULL, k_merge, COUNT(k_merge), 1},
    [ST_MULTIPLY] = {"multiply", NULL, k_merge, COUNT(k_merge), 1},
};

/* ---------------------------------------------------------------- parser --- */
typedef struct mf_parser {
    const char *name;                    /* for messages */
    int line;                            /* current line (1-based) */
    const seqnn_modelfile_var *vars;
    int n_vars;
    locale_t c_locale;                   /* for strtod, or (locale_t)0 */
    seqnn_model *model;
    seqnn_train_config cfg;
    int first_line[ST_COUNT];            /* line of each statement's first use (0: none yet) */
    int64_t stage_vocab;                 /* vocabulary of the current stage's token input (0: features) */
    int stage_tokens;                    /* the stage's input is still token ids (no layer yet) */
    int layers;                          /* layers so far */
    int stage_layers;                    /* layers since the input or the decoder */
    const char *from;                    /* the current statement's from= (NULL: none) */
} mf_parser;

static seqnn_status mf_fail(const mf_parser *p, seqnn_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static seqnn_status mf_fail(const mf_parser *p, seqnn_status status, const char *fmt, ...)
{
    char msg[SEQNN_MSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->line > 0)
        return seqnn_set_error(NULL, status, "%s:%d: %s", p->name, p->line, msg);
    return seqnn_set_error(NULL, status, "%s: %s", p->name, msg);
}

/* s quoted for a message, cut at MF_SHOW characters. */
static const char *mf_show(const char *s, char buf[MF_SHOW + 4])
{
    size_t n = strlen(s);
    if (n <= MF_SHOW)
        return s;
    memcpy(buf, s, MF_SHOW);
    memcpy(buf + MF_SHOW, "...", 4);
    return buf;
}

/* Levenshtein distance of two short words (large for long ones). */
static int mf_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 32 || lb > 32)
        return 99;
    int row[33];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* " (did you mean 'x'?)" for the nearest of names[0..n) (of the NULL-
 * terminated list when n < 0), else " (what: a, b, ...)", written to buf. */
static const char *mf_hint(const char *got, const char *const *names, int n, const char *what,
                           char *buf, size_t size)
{
    const char *best = NULL;
    int best_d = 3;
    if (n < 0)
        for (n = 0; names[n]; n++) {}
    for (int i = 0; i < n; i++) {
        const char *c = names[i];
        int d = mf_distance(got, c);
        int limit = strlen(c) <= 4 ? 1 : 2;
        if (d <= limit && d < best_d) {
            best = c;
            best_d = d;
        }
    }
    if (best) {
        snprintf(buf, size, " (did you mean '%s'?)", best);
        return buf;
    }
    size_t len = (size_t)snprintf(buf, size, " (%s: ", what);
    for (int i = 0; i < n && len < size; i++) {
        const char *c = names[i];
        len += (size_t)snprintf(buf + len, size - len, "%s%s", i ? ", " : "", c);
    }
    if (len < size)
        snprintf(buf + len, size - len, ")");
    return buf;
}

/* Names of the positional words in mask, for "applies to" messages. */
static void mf_mask_words(const char *const *words, unsigned mask, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; words[i] && len < size; i++)
        if (mask & (1u << i))
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "", words[i]);
}

/* The value of $name. */
static seqnn_status mf_var(const mf_parser *p, const char *stmt, const char *key, const char *ref,
                           int64_t *out)
{
    char b1[MF_SHOW + 4];
    const char *name = ref + 1;
    int ok = (*name == '_' || (*name >= 'A' && *name <= 'Z') || (*name >= 'a' && *name <= 'z'));
    for (const char *c = name; ok && *c; c++)
        ok = *c == '_' || (*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9');
    if (!ok)
        return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: a variable is '$' and a name of [A-Za-z0-9_]",
                       stmt, key, mf_show(ref, b1));
    for (int i = 0; i < p->n_vars; i++)
        if (!strcmp(p->vars[i].name, name)) {
            *out = p->vars[i].value;
            return SEQNN_OK;
        }
    char b2[MF_SHOW + 4];
    if (p->n_vars == 0)
        return mf_fail(p, SEQNN_ERR_FORMAT,
                       "%s: %s=%s: $%s is not defined (no variables are; the seqnn CLI defines "
                       "vocab, classes, src_vocab and tgt_vocab from the data)",
                       stmt, key, mf_show(ref, b1), mf_show(name, b2));
    char defined[512];
    size_t len = 0;
    defined[0] = '\0';
    for (int i = 0; i < p->n_vars && len < sizeof defined; i++)
        len += (size_t)snprintf(defined + len, sizeof defined - len, "%s$%s", i ? ", " : "", p->vars[i].name);
    return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: $%s is not defined (defined: %s)", stmt, key,
                   mf_show(ref, b1), mf_show(name, b2), defined);
}

/* An integer: decimal digits with an optional '-', or $var; range-checked. */
static seqnn_status mf_int(const mf_parser *p, const char *stmt, const mf_key *k, const char *text,
                           int64_t *out)
{
    char b1[MF_SHOW + 4];
    int64_t v;
    if (text[0] == '$') {
        seqnn_status s = mf_var(p, stmt, k->key, text, &v);
        if (s != SEQNN_OK)
            return s;
    } else {
        const char *c = text + (text[0] == '-');
        int digits = *c != '\0';
        for (; *c; c++)
            digits &= *c >= '0' && *c <= '9';
        if (!digits)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: not an integer", stmt, k->key,
                           mf_show(text, b1));
        errno = 0;
        char *end;
        long long ll = strtoll(text, &end, 10);
        if (errno == ERANGE)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: out of range (overflows 64 bits)", stmt,
                           k->key, mf_show(text, b1));
        if (*end != '\0')
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: not an integer", stmt, k->key,
                           mf_show(text, b1));
        v = (int64_t)ll;
    }
    if (v < k->imin || v > k->imax) {
        char val[64] = "";
        if (text[0] == '$')
            snprintf(val, sizeof val, " (= %lld)", (long long)v);
        if (k->imax == INT64_MAX)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s%s: must be at least %lld", stmt, k->key,
                           mf_show(text, b1), val, (long long)k->imin);
        return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s%s: must be between %lld and %lld", stmt,
                       k->key, mf_show(text, b1), val, (long long)k->imin, (long long)k->imax);
    }
    *out = v;
    return SEQNN_OK;
}

static seqnn_status mf_u64(const mf_parser *p, const char *stmt, const mf_key *k, const char *text,
                           uint64_t *out)
{
    char b1[MF_SHOW + 4];
    if (text[0] == '$') {
        int64_t v;
        seqnn_status s = mf_var(p, stmt, k->key, text, &v);
        if (s != SEQNN_OK)
            return s;
        if (v < 0)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s (= %lld): must not be negative", stmt,
                           k->key, mf_show(text, b1), (long long)v);
        *out = (uint64_t)v;
        return SEQNN_OK;
    }
    int digits = text[0] != '\0';
    for (const char *c = text; *c; c++)
        digits &= *c >= '0' && *c <= '9';
    if (!digits)
        return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: not an unsigned integer", stmt, k->key,
                       mf_show(text, b1));
    errno = 0;
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno == ERANGE || *end != '\0')
        return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: out of range (overflows 64 bits)", stmt,
                       k->key, mf_show(text, b1));
    *out = (uint64_t)v;
    return SEQNN_OK;
}

/* A real number: [-+]digits[.digits][e[-+]digits] (either side of the point
 * may be empty, not both), or $var; finite and range-checked. Read in the C
 * locale whatever the caller's LC_NUMERIC. */
static seqnn_status mf_real(const mf_parser *p, const char *stmt, const mf_key *k, const char *text,
                            double *out)
{
    char b1[MF_SHOW + 4];
    double v;
    if (text[0] == '$') {
        int64_t iv;
        seqnn_status s = mf_var(p, stmt, k->key, text, &iv);
        if (s != SEQNN_OK)
            return s;
        v = (double)iv;
    } else {
        const char *c = text;
        if (*c == '-' || *c == '+')
            c++;
        int mant = 0;
        while (*c >= '0' && *c <= '9') { c++; mant++; }
        if (*c == '.') {
            c++;
            while (*c >= '0' && *c <= '9') { c++; mant++; }
        }
        int ok = mant > 0;
        if (ok && (*c == 'e' || *c == 'E')) {
            c++;
            if (*c == '-' || *c == '+')
                c++;
            int exp = 0;
            while (*c >= '0' && *c <= '9') { c++; exp++; }
            ok = exp > 0;
        }
        if (!ok || *c != '\0')
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: not a number", stmt, k->key,
                           mf_show(text, b1));
        locale_t old = p->c_locale ? uselocale(p->c_locale) : (locale_t)0;
        errno = 0;
        char *end;
        v = strtod(text, &end);
        int err = errno;
        if (old)
            uselocale(old);
        if (*end != '\0')
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: not a number", stmt, k->key,
                           mf_show(text, b1));
        if (!isfinite(v) || (err == ERANGE && fabs(v) > 1.0))
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: out of range (overflows a double)",
                           stmt, k->key, mf_show(text, b1));
    }
    if (v < k->dmin || v > k->dmax || ((k->open & OPEN_MAX) && v == k->dmax) ||
        ((k->open & OPEN_MIN) && v == k->dmin)) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "%g", k->dmin);
        snprintf(hi, sizeof hi, "%g", k->dmax);
        if (k->dmin == -INF)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: must be finite", stmt, k->key,
                           mf_show(text, b1));
        if (k->dmax == INF)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: must be %s %s", stmt, k->key,
                           mf_show(text, b1), k->open & OPEN_MIN ? "greater than" : "at least", lo);
        return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: must be in %c%s, %s%c", stmt, k->key,
                       mf_show(text, b1), k->open & OPEN_MIN ? '(' : '[', lo, hi,
                       k->open & OPEN_MAX ? ')' : ']');
    }
    *out = v;
    return SEQNN_OK;
}

static seqnn_status mf_word(const mf_parser *p, const char *stmt, const char *key,
                            const char *const *words, const char *text, int64_t *out)
{
    for (int i = 0; words[i]; i++)
        if (!strcmp(words[i], text)) {
            *out = i;
            return SEQNN_OK;
        }
    char b1[MF_SHOW + 4], hint[512];
    mf_hint(text, words, -1, "one of", hint, sizeof hint);
    if (key)
        return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: unknown value%s", stmt, key, mf_show(text, b1), hint);
    return mf_fail(p, SEQNN_ERR_FORMAT, "%s: unknown kind '%s'%s", stmt, mf_show(text, b1), hint);
}

/* The comma-separated reals of text, each an MF_REAL of key k: *n receives
 * their count and out (NULL: only checked) their values. */
static seqnn_status mf_reals(const mf_parser *p, const char *stmt, const mf_key *k, const char *text,
                             float *out, int64_t *n)
{
    *n = 0;
    for (const char *item = text;; item++) {
        size_t len = strcspn(item, ",");
        char one[64];
        double d;
        if (len == 0 || len >= sizeof one)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s: an empty or overlong item in the list (write e.g. "
                           "%s=1,0.5,2)", stmt, k->key, k->key);
        memcpy(one, item, len);
        one[len] = '\0';
        seqnn_status s = mf_real(p, stmt, k, one, &d);
        if (s != SEQNN_OK)
            return s;
        if (out)
            out[*n] = (float)d;
        ++*n;
        item += len;
        if (!*item)
            return SEQNN_OK;
    }
}

static seqnn_status mf_value_parse(const mf_parser *p, const char *stmt, const mf_key *k,
                                   char *text, mf_value *v)
{
    char b1[MF_SHOW + 4];
    switch (k->type) {
    case MF_INT:
        return mf_int(p, stmt, k, text, &v->i);
    case MF_U64:
        return mf_u64(p, stmt, k, text, &v->u);
    case MF_REAL:
        return mf_real(p, stmt, k, text, &v->d);
    case MF_BOOL:
        if (strcmp(text, "0") && strcmp(text, "1"))
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s=%s: must be 0 or 1", stmt, k->key,
                           mf_show(text, b1));
        v->i = text[0] == '1';
        return SEQNN_OK;
    case MF_NAME:
        v->s = text;
        return SEQNN_OK;
    case MF_WORD:
        return mf_word(p, stmt, k->key, k->words, text, &v->i);
    case MF_REALS: {
        int64_t n = 0;
        v->s = text;
        return mf_reals(p, stmt, k, text, NULL, &n);
    }
    case MF_LIST:
        v->n = 0;
        for (char *item = text;;) {
            char *comma = strchr(item, ',');
            if (comma)
                *comma = '\0';
            if (!*item)
                return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s: empty item in the list (write e.g. %s=3,4,5)",
                               stmt, k->key, k->key);
            if (v->n == MF_MAX_WIDTHS)
                return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s: more than %d items", stmt, k->key,
                               MF_MAX_WIDTHS);
            seqnn_status s = mf_int(p, stmt, k, item, &v->list[v->n]);
            if (s != SEQNN_OK)
                return s;
            v->n++;
            if (!comma)
                return SEQNN_OK;
            item = comma + 1;
        }
    }
    return mf_fail(p, SEQNN_ERR_INTERNAL, "%s: %s: bad key type", stmt, k->key);
}

/* A failed model-API call: its message, prefixed with PATH:LINE and the statement. */
static seqnn_status mf_api(const mf_parser *p, const char *stmt, seqnn_status s)
{
    if (s == SEQNN_OK)
        return s;
    char msg[SEQNN_MSG_SIZE];
    snprintf(msg, sizeof msg, "%s", seqnn_last_error());
    if (!msg[0])
        snprintf(msg, sizeof msg, "rejected (%s)", seqnn_status_name(s));
    seqnn_status out = s == SEQNN_ERR_NO_MEMORY || s == SEQNN_ERR_INTERNAL ? s : SEQNN_ERR_FORMAT;
    size_t n = strlen(stmt);
    if (!strncmp(msg, stmt, n) && (msg[n] == ':' || msg[n] == ' '))
        return mf_fail(p, out, "%s", msg);   /* the message names the statement already */
    return mf_fail(p, out, "%s: %s", stmt, msg);
}

/* Where a statement may appear: 'seqnn 1' first, some statements once, layers
 * after the input, embeddings on token ids only. */
static seqnn_status mf_order(const mf_parser *p, mf_stmt_id id)
{
    const mf_stmt *st = &mf_stmts[id];
    const char *sn = st->name;
    if (id != ST_SEQNN && !p->first_line[ST_SEQNN])
        return mf_fail(p, SEQNN_ERR_FORMAT,
                       "expected 'seqnn 1' (the format version) as the first statement, got '%s'", sn);
    int once = id == ST_SEQNN || id == ST_DECODER || id == ST_LOSS ||
               id == ST_OPTIMIZER || id == ST_TRAIN || id == ST_SCHEDULE;
    if (once && p->first_line[id])
        return mf_fail(p, SEQNN_ERR_FORMAT, "a second '%s' statement (the first is at line %d)", sn,
                       p->first_line[id]);
    if ((st->layer || id == ST_DECODER) && !p->first_line[ST_INPUT])
        return mf_fail(p, SEQNN_ERR_FORMAT, "'%s' before the input statement (begin with 'input tokens "
                       "vocab=N' or 'input features dim=N')", sn);
    if (id == ST_INPUT && p->first_line[ST_DECODER])
        return mf_fail(p, SEQNN_ERR_FORMAT, "'input' after the decoder: inputs belong to the encoder");
    if (st->layer && !p->from) {         /* (a layer with from= is checked when the model is) */
        if (id == ST_EMBEDDING && !p->stage_tokens)
            return mf_fail(p, SEQNN_ERR_FORMAT, "'embedding' turns token ids into vectors, but %s",
                           p->stage_vocab ? "its input here is already vectors (one embedding per input)"
                                          : "the input is features (input features dim=N)");
        if (id != ST_EMBEDDING && p->stage_tokens)
            return mf_fail(p, SEQNN_ERR_FORMAT, "'%s' needs vectors but gets token ids here: put an "
                           "'embedding dim=N' line before it", sn);
    }
    return SEQNN_OK;
}

/* The model-API call (or configuration) of one statement whose keys are parsed.
 * One short case per statement kind: the switch is the map from statements to
 * API calls, so it grows with the statements rather than with any logic. */
static seqnn_status mf_apply(mf_parser *p, mf_stmt_id id, int pos, const mf_value *v)
{
    const mf_stmt *st = &mf_stmts[id];
    const char *sn = st->name;
    seqnn_status s = SEQNN_OK;
    switch (id) {
    case ST_SEQNN:
        break;
    case ST_INPUT:
        if (p->first_line[ST_INPUT] && !v[IK_NAME].given)
            return mf_fail(p, SEQNN_ERR_FORMAT, "input: a second input needs a name (name=...; the first "
                           "is at line %d)", p->first_line[ST_INPUT]);
        if (pos == 0)
            s = mf_api(p, sn, v[IK_NAME].given ? seqnn_model_add_input_tokens(p->model, v[IK_NAME].s, v[IK_VOCAB].i)
                                               : seqnn_model_input_tokens(p->model, v[IK_VOCAB].i));
        else
            s = mf_api(p, sn, v[IK_NAME].given ? seqnn_model_add_input_features(p->model, v[IK_NAME].s, v[IK_DIM].i)
                                               : seqnn_model_input_features(p->model, v[IK_DIM].i));
        if (s == SEQNN_OK) {
            p->model->inputs[p->model->n_inputs - 1].line = p->line;
            p->stage_vocab = pos == 0 ? v[IK_VOCAB].i : 0;
            p->stage_tokens = pos == 0;
        }
        break;
    case ST_EMBEDDING: {
        int64_t padding = v[EK_PADDING].given ? v[EK_PADDING].i : -1;
        if (!p->from && padding >= p->stage_vocab)
            return mf_fail(p, SEQNN_ERR_FORMAT, "embedding: padding=%lld: must be below the vocabulary "
                           "size %lld", (long long)padding, (long long)p->stage_vocab);
        s = mf_api(p, sn, seqnn_model_add_embedding(p->model, v[EK_NAME].s, v[EK_DIM].i, (int32_t)padding));
        break;
    }
    case ST_DENSE:
        s = mf_api(p, sn, seqnn_model_add_dense(p->model, v[DK_NAME].s, v[DK_OUT].i));
        break;
    case ST_ACTIVATION:
        s = mf_api(p, sn, seqnn_model_add_activation(p->model, (seqnn_act)pos,
                                                     v[ACK_ALPHA].given ? v[ACK_ALPHA].d : 0.01));
        break;
    case ST_DROPOUT:
        s = mf_api(p, sn, seqnn_model_add_dropout(p->model, v[DRK_P].d));
        break;
    case ST_LSTM:
    case ST_GRU:
    case ST_RNN: {
        seqnn_recurrent_desc d;
        memset(&d, 0, sizeof d);
        d.cell = id == ST_LSTM ? SEQNN_CELL_LSTM
               : id == ST_GRU ? (v[RK_EXTRA].given && v[RK_EXTRA].i ? SEQNN_CELL_GRU_CLASSIC : SEQNN_CELL_GRU)
               : (v[RK_EXTRA].given && v[RK_EXTRA].i == 1 ? SEQNN_CELL_RNN_RELU : SEQNN_CELL_RNN_TANH);
        d.hidden = v[RK_HIDDEN].i;
        d.layers = v[RK_LAYERS].given ? v[RK_LAYERS].i : 1;
        d.dropout = v[RK_DROPOUT].given ? v[RK_DROPOUT].d : 0;
        d.bidirectional = v[RK_BIDIR].given ? (int)v[RK_BIDIR].i : 0;
        d.last = v[RK_LAST].given ? (int)v[RK_LAST].i : 0;
        d.init = v[RK_INIT].given ? (seqnn_init)v[RK_INIT].i : SEQNN_INIT_DEFAULT;
        if (d.dropout > 0 && d.layers == 1)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: dropout=%g acts between stacked layers and "
                           "layers=1 has none: add a 'dropout p=%g' line after it instead", sn,
                           d.dropout, d.dropout);
        int variant_keys = id == ST_LSTM && ((v[LK_PEEPHOLE].given && v[LK_PEEPHOLE].i) ||
                                             (v[LK_COUPLED].given && v[LK_COUPLED].i) || v[LK_PROJ].given);
        if (v[RK_REVERSE].given && v[RK_REVERSE].i && variant_keys)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: reverse=1 applies to the plain cells (not with peephole, "
                           "coupled or proj)", sn);
        if (v[RK_REVERSE].given && v[RK_REVERSE].i) {
            s = mf_api(p, sn, seqnn_model_add_recurrent_reverse(p->model, v[RK_NAME].s, &d));
        } else if (variant_keys) {
            uint32_t variant = (v[LK_PEEPHOLE].given && v[LK_PEEPHOLE].i ? SEQNN_LSTM_PEEPHOLE : 0u) |
                               (v[LK_COUPLED].given && v[LK_COUPLED].i ? SEQNN_LSTM_COUPLED : 0u);
            s = mf_api(p, sn, seqnn_model_add_lstm_variant(p->model, v[RK_NAME].s, &d, variant,
                                                           v[LK_PROJ].given ? v[LK_PROJ].i : 0));
        } else {
            s = mf_api(p, sn, seqnn_model_add_recurrent(p->model, v[RK_NAME].s, &d));
        }
        if (s == SEQNN_OK && v[RK_LEARNED].given && v[RK_LEARNED].i)
            s = mf_api(p, sn, seqnn_model_set_learned_state(p->model, NULL));
        break;
    }
    case ST_CONV1D_BANK: {
        seqnn_act act = v[CK_ACT].given ? bank_acts[v[CK_ACT].i] : SEQNN_ACT_RELU;
        s = mf_api(p, sn, seqnn_model_add_conv1d_bank(p->model, v[CK_NAME].s, v[CK_FILTERS].i, v[CK_WIDTHS].n,
                                                      v[CK_WIDTHS].list, act));
        break;
    }
    case ST_ATTENTION: {
        seqnn_attention_desc d;
        memset(&d, 0, sizeof d);
        d.score = v[ATK_SCORE].given ? (seqnn_score)v[ATK_SCORE].i : SEQNN_SCORE_SCALED_DOT;
        d.heads = v[ATK_HEADS].given ? v[ATK_HEADS].i : 1;
        d.causal = v[ATK_CAUSAL].given ? (int)v[ATK_CAUSAL].i : 0;
        d.encoder = v[ATK_ENCODER].given ? (int)v[ATK_ENCODER].i : 0;
        d.attn_dim = v[ATK_ATTN_DIM].given ? v[ATK_ATTN_DIM].i : 0;
        if (d.encoder && !p->first_line[ST_DECODER])
            return mf_fail(p, SEQNN_ERR_FORMAT, "attention: encoder=1 attends over the encoder's outputs "
                           "from a decoder: it belongs after the 'decoder' line");
        if (d.encoder && d.causal)
            return mf_fail(p, SEQNN_ERR_FORMAT, "attention: causal=1 is for self-attention (encoder=0)");
        if (v[ATK_ATTN_DIM].given && d.score != SEQNN_SCORE_ADDITIVE)
            return mf_fail(p, SEQNN_ERR_FORMAT, "attention: attn_dim applies to score=additive only");
        s = mf_api(p, sn, seqnn_model_add_attention(p->model, v[ATK_NAME].s, &d));
        break;
    }
    case ST_TREE: {
        seqnn_tree_desc d = {.cell = v[TRK_CELL].given ? (seqnn_tree_cell)v[TRK_CELL].i : SEQNN_TREE_LSTM,
                             .hidden = v[TRK_HIDDEN].i, .nodes = v[TRK_NODES].given ? (int)v[TRK_NODES].i : 0};
        s = mf_api(p, sn, seqnn_model_add_tree(p->model, v[TRK_NAME].s, &d));
        break;
    }
    case ST_DECODER:
        if (!p->layers)
            return mf_fail(p, SEQNN_ERR_FORMAT, "decoder: the encoder has no layers (add them between "
                           "'input' and 'decoder')");
        s = mf_api(p, sn, seqnn_model_begin_decoder(p->model, v[DCK_VOCAB].i));
        if (s == SEQNN_OK) {
            p->stage_vocab = v[DCK_VOCAB].i;
            p->stage_tokens = 1;
            p->stage_layers = 0;
        }
        break;
    case ST_LOSS:
        s = mf_api(p, sn, seqnn_model_set_loss(p->model, (seqnn_loss_kind)pos));
        if (s == SEQNN_OK && (v[LK_SMOOTHING].given || v[LK_WEIGHTS].given)) {
            seqnn_xent_options xo = {NULL, 0, v[LK_SMOOTHING].given ? v[LK_SMOOTHING].d : 0};
            float *w = NULL;
            if (v[LK_WEIGHTS].given) {
                mf_reals(p, sn, &k_loss[LK_WEIGHTS], v[LK_WEIGHTS].s, NULL, &xo.n_weights);
                w = malloc((size_t)xo.n_weights * sizeof *w);
                if (!w)
                    return mf_fail(p, SEQNN_ERR_NO_MEMORY, "loss: out of memory");
                mf_reals(p, sn, &k_loss[LK_WEIGHTS], v[LK_WEIGHTS].s, w, &xo.n_weights);
                xo.class_weights = w;
            }
            s = mf_api(p, sn, seqnn_model_set_xent_options(p->model, &xo));
            free(w);
        }
        break;
    case ST_SCHEDULE: {
        seqnn_lr_schedule sc = seqnn_lr_schedule_defaults((seqnn_lr_kind)pos);
        if (v[SK_WARMUP].given) sc.warmup_steps = v[SK_WARMUP].i;
        if (v[SK_WARMUP_START].given) sc.warmup_start = v[SK_WARMUP_START].d;
        if (v[SK_STEP_SIZE].given) sc.step_size = v[SK_STEP_SIZE].i;
        if (v[SK_GAMMA].given) sc.gamma = v[SK_GAMMA].d;
        if (v[SK_COSINE_STEPS].given) sc.cosine_steps = v[SK_COSINE_STEPS].i;
        if (v[SK_MIN_LR].given) sc.min_lr = v[SK_MIN_LR].d;
        if (v[SK_FACTOR].given) sc.factor = v[SK_FACTOR].d;
        if (v[SK_PATIENCE].given) sc.patience = v[SK_PATIENCE].i;
        if (v[SK_THRESHOLD].given) sc.threshold = v[SK_THRESHOLD].d;
        s = mf_api(p, sn, seqnn_model_set_lr_schedule(p->model, &sc));
        break;
    }
    case ST_OPTIMIZER: {
        seqnn_optim_desc o = seqnn_optim_defaults(optim_kinds[pos]);
        if (pos == 3) {                  /* adamw: torch.optim.AdamW */
            o.decoupled = 1;
            o.weight_decay = 0.01;
        }
        if (v[OK_LR].given) o.lr = v[OK_LR].d;
        if (v[OK_MOMENTUM].given) o.momentum = v[OK_MOMENTUM].d;
        if (v[OK_DAMPENING].given) o.dampening = v[OK_DAMPENING].d;
        if (v[OK_NESTEROV].given) o.nesterov = (int)v[OK_NESTEROV].i;
        if (v[OK_ALPHA].given) o.alpha = v[OK_ALPHA].d;
        if (v[OK_CENTERED].given) o.centered = (int)v[OK_CENTERED].i;
        if (v[OK_BETA1].given) o.beta1 = v[OK_BETA1].d;
        if (v[OK_BETA2].given) o.beta2 = v[OK_BETA2].d;
        if (v[OK_AMSGRAD].given) o.amsgrad = (int)v[OK_AMSGRAD].i;
        if (v[OK_LR_DECAY].given) o.lr_decay = v[OK_LR_DECAY].d;
        if (v[OK_EPS].given) o.eps = v[OK_EPS].d;
        if (v[OK_WEIGHT_DECAY].given) o.weight_decay = v[OK_WEIGHT_DECAY].d;
        if (v[OK_CLIP].given) o.clip_norm = v[OK_CLIP].d;
        if (o.nesterov && (o.momentum <= 0 || o.dampening != 0))
            return mf_fail(p, SEQNN_ERR_FORMAT, "optimizer: nesterov=1 needs momentum > 0 and dampening=0 "
                           "(as torch.optim.SGD)");
        s = mf_api(p, sn, seqnn_model_set_optimizer(p->model, &o));
        if (s == SEQNN_OK)
            p->cfg.optim = o;
        break;
    }
    case ST_TRAIN:
        if (v[TK_BATCH].given) p->cfg.batch = v[TK_BATCH].i;
        if (v[TK_SEQ_LEN].given) p->cfg.seq_len = v[TK_SEQ_LEN].i;
        if (v[TK_EPOCHS].given) p->cfg.epochs = v[TK_EPOCHS].i;
        if (v[TK_STEPS].given) p->cfg.max_steps = v[TK_STEPS].i;
        if (v[TK_TIME].given) p->cfg.time_limit = v[TK_TIME].d;
        if (v[TK_EVAL_EVERY].given) p->cfg.eval_every = v[TK_EVAL_EVERY].i;
        if (v[TK_PATIENCE].given) p->cfg.patience = v[TK_PATIENCE].i;
        if (v[TK_VAL].given) p->cfg.val_fraction = v[TK_VAL].d;
        if (v[TK_SEED].given) p->cfg.seed = v[TK_SEED].u;
        break;
    case ST_CONCAT:
    case ST_ADD:
    case ST_MULTIPLY: {
        static const seqnn_merge kinds[] = {SEQNN_MERGE_CONCAT, SEQNN_MERGE_ADD, SEQNN_MERGE_MUL};
        if (!p->from)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: missing from= (the nodes it merges, e.g. from=a,b)", sn);
        s = mf_api(p, sn, seqnn_model_add_merge(p->model, v[MK_NAME].s, kinds[id - ST_CONCAT], p->from));
        break;
    }
    case ST_COUNT:
        break;
    }
    if (s == SEQNN_OK && st->layer && p->from && id != ST_CONCAT && id != ST_ADD && id != ST_MULTIPLY)
        s = mf_api(p, sn, seqnn_model_set_from(p->model, NULL, p->from));
    if (s != SEQNN_OK)
        return s;
    if (st->layer)
        p->model->layers[p->model->n_layers - 1].line = p->line;
    if (!p->first_line[id])
        p->first_line[id] = p->line;
    if (st->layer) {
        p->layers++;
        p->stage_layers++;
        p->stage_tokens = 0;
    }
    return SEQNN_OK;
}

/* One line's words (already split, comments removed). */
static seqnn_status mf_statement(mf_parser *p, char **tok, int n)
{
    char b1[MF_SHOW + 4], hint[512];
    int id = -1;
    for (int i = 0; i < ST_COUNT; i++)
        if (!strcmp(tok[0], mf_stmts[i].name))
            id = i;
    if (id < 0) {
        const char *names[ST_COUNT];
        for (int i = 0; i < ST_COUNT; i++)
            names[i] = mf_stmts[i].name;
        mf_hint(tok[0], names, ST_COUNT, "statements", hint, sizeof hint);
        return mf_fail(p, SEQNN_ERR_FORMAT, "unknown statement '%s'%s", mf_show(tok[0], b1), hint);
    }
    const mf_stmt *st = &mf_stmts[id];
    p->from = NULL;                      /* from=, common to every layer, is taken out first */
    for (int t = 1; t < n; t++)
        if (!strncmp(tok[t], "from=", 5)) {
            if (!st->layer)
                return mf_fail(p, SEQNN_ERR_FORMAT, "%s: 'from' applies to layers only", st->name);
            if (p->from)
                return mf_fail(p, SEQNN_ERR_FORMAT, "%s: 'from' given twice", st->name);
            if (!tok[t][5])
                return mf_fail(p, SEQNN_ERR_FORMAT, "%s: from= has no value", st->name);
            p->from = tok[t] + 5;
            memmove(&tok[t], &tok[t + 1], (size_t)(n - t - 1) * sizeof *tok);
            n--;
            t--;
        }
    seqnn_status s = mf_order(p, (mf_stmt_id)id);
    if (s != SEQNN_OK)
        return s;
    int first = 1, pos = -1;
    if (st->positional) {
        if (n < 2 && id == ST_SEQNN)
            return mf_fail(p, SEQNN_ERR_FORMAT, "seqnn: expected the format version ('seqnn 1')");
        if (n < 2 || strchr(tok[1], '=')) {
            mf_mask_words(st->positional, ~0u, hint, sizeof hint);
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: expected one of %s after '%s'", st->name, hint,
                           st->name);
        }
        if (id == ST_SEQNN && strcmp(tok[1], "1"))
            return mf_fail(p, SEQNN_ERR_FORMAT, "seqnn %s: unsupported format version (this library "
                           "reads version 1)", mf_show(tok[1], b1));
        int64_t w = 0;
        s = mf_word(p, st->name, NULL, st->positional, tok[1], &w);
        if (s != SEQNN_OK)
            return s;
        pos = (int)w;
        first = 2;
    }
    mf_value v[MF_MAX_KEYS];
    memset(v, 0, sizeof v);
    for (int t = first; t < n; t++) {
        char *eq = strchr(tok[t], '=');
        if (!eq || eq == tok[t]) {
            if (st->n_keys == 0)
                return mf_fail(p, SEQNN_ERR_FORMAT, "%s: unexpected '%s' (%s takes nothing more)",
                               st->name, mf_show(tok[t], b1), st->name);
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: expected key=value, got '%s'", st->name,
                           mf_show(tok[t], b1));
        }
        *eq = '\0';
        char *val = eq + 1;
        int k = -1;
        for (int i = 0; i < st->n_keys; i++)
            if (!strcmp(st->keys[i].key, tok[t]))
                k = i;
        if (k < 0) {
            if (st->n_keys == 0)
                return mf_fail(p, SEQNN_ERR_FORMAT, "%s: unknown key '%s' (%s takes no keys)", st->name,
                               mf_show(tok[t], b1), st->name);
            const char *names[MF_MAX_KEYS];
            for (int i = 0; i < st->n_keys; i++)
                names[i] = st->keys[i].key;
            mf_hint(tok[t], names, st->n_keys, "keys", hint, sizeof hint);
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: unknown key '%s'%s", st->name, mf_show(tok[t], b1), hint);
        }
        const mf_key *key = &st->keys[k];
        if (key->only && (pos < 0 || !(key->only & (1u << pos)))) {
            mf_mask_words(st->positional, key->only, hint, sizeof hint);
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s %s: '%s' does not apply here (only to %s)", st->name,
                           st->positional[pos], key->key, hint);
        }
        if (v[k].given)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: '%s' given twice", st->name, key->key);
        if (!*val)
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: %s= has no value", st->name, key->key);
        s = mf_value_parse(p, st->name, key, val, &v[k]);
        if (s != SEQNN_OK)
            return s;
        v[k].given = 1;
    }
    for (int k = 0; k < st->n_keys; k++) {
        const mf_key *key = &st->keys[k];
        if (key->required && !v[k].given && (!key->only || (pos >= 0 && (key->only & (1u << pos))))) {
            if (pos >= 0)
                return mf_fail(p, SEQNN_ERR_FORMAT, "%s %s: missing %s=", st->name, st->positional[pos],
                               key->key);
            return mf_fail(p, SEQNN_ERR_FORMAT, "%s: missing %s=", st->name, key->key);
        }
    }
    return mf_apply(p, (mf_stmt_id)id, pos, v);
}

/* The first control byte of text (NUL included; tab, CR and LF excepted), its line. */
static seqnn_status mf_check_text(mf_parser *p, const char *text, size_t size)
{
    int line = 1;
    for (size_t i = 0; i < size; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            line++;
            continue;
        }
        if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7f) {
            p->line = line;
            if (c == 0)
                return mf_fail(p, SEQNN_ERR_FORMAT, "binary data (a NUL byte at offset %zu): a model "
                               "file is text", i);
            return mf_fail(p, SEQNN_ERR_FORMAT, "control character 0x%02x at offset %zu (binary "
                           "data?): a model file is text", c, i);
        }
    }
    return SEQNN_OK;
}

/* The whole model checked as its build will (unknown names, cycles, shapes),
 * the error placed at the line of the layer concerned. */
static seqnn_status mf_check_graph(mf_parser *p)
{
    seqnn_status s = fe_model_check(p->model);
    if (s == SEQNN_OK)
        return s;
    char msg[SEQNN_MSG_SIZE];
    snprintf(msg, sizeof msg, "%s", seqnn_last_error());
    int i = p->model->error_layer;
    if (i >= 0)
        p->line = p->model->layers[i].line;
    else if (p->model->error_input >= 0)
        p->line = p->model->inputs[p->model->error_input].line;
    else if (p->first_line[ST_DECODER])  /* (a model-wide error: the decoder's, or the last statement's) */
        p->line = p->first_line[ST_DECODER];
    return mf_fail(p, s == SEQNN_ERR_NO_MEMORY ? s : SEQNN_ERR_FORMAT, "%s", msg);
}

static seqnn_status mf_parse(mf_parser *p, char *buf, size_t size)
{
    seqnn_status s = mf_check_text(p, buf, size);
    if (s != SEQNN_OK)
        return s;
    int last_stmt = 0;
    char *end = buf + size;
    for (char *line = buf; line < end;) {
        char *nl = memchr(line, '\n', (size_t)(end - line));
        char *stop = nl ? nl : end;
        *stop = '\0';                    /* buf has a spare byte past size */
        p->line++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *tok[MF_MAX_TOKENS];
        int n = 0;
        for (char *c = line; *c;) {
            while (*c == ' ' || *c == '\t' || *c == '\r')
                *c++ = '\0';
            if (!*c)
                break;
            if (n == MF_MAX_TOKENS)
                return mf_fail(p, SEQNN_ERR_FORMAT, "more than %d words on one line", MF_MAX_TOKENS);
            tok[n++] = c;
            while (*c && *c != ' ' && *c != '\t' && *c != '\r')
                c++;
        }
        if (n > 0) {
            s = mf_statement(p, tok, n);
            if (s != SEQNN_OK)
                return s;
            last_stmt = p->line;
        }
        line = stop + 1;
    }
    if (!last_stmt) {
        p->line = 1;
        return mf_fail(p, SEQNN_ERR_FORMAT, "empty model file (no statements; it begins with 'seqnn 1')");
    }
    p->line = last_stmt;
    if (!p->first_line[ST_INPUT])
        return mf_fail(p, SEQNN_ERR_FORMAT, "no input statement ('input tokens vocab=N' or 'input "
                       "features dim=N')");
    if (!p->layers)
        return mf_fail(p, SEQNN_ERR_FORMAT, "the model has no layers");
    if (p->first_line[ST_DECODER] && !p->stage_layers) {
        p->line = p->first_line[ST_DECODER];
        return mf_fail(p, SEQNN_ERR_FORMAT, "decoder: no layers after it (the decoder needs at least "
                       "an embedding and an output layer)");
    }
    return mf_check_graph(p);
}

seqnn_status seqnn_modelfile_parse(const char *text, size_t size, const char *name,
                                   const seqnn_modelfile_var *vars, int n_vars,
                                   seqnn_model **out, seqnn_train_config *cfg)
{
    mf_parser p;
    memset(&p, 0, sizeof p);
    p.name = name ? name : "<memory>";
    if (out)
        *out = NULL;
    if (!out || (!text && size))
        return mf_fail(&p, SEQNN_ERR_INVALID_ARG, "%s is NULL", out ? "text" : "out");
    if (n_vars < 0 || (n_vars > 0 && !vars))
        return mf_fail(&p, SEQNN_ERR_INVALID_ARG, "bad variables (n_vars %d, vars %s)", n_vars,
                       vars ? "given" : "NULL");
    for (int i = 0; i < n_vars; i++) {
        if (!vars[i].name)
            return mf_fail(&p, SEQNN_ERR_INVALID_ARG, "variable %d has no name", i);
        for (int j = 0; j < i; j++)
            if (!strcmp(vars[i].name, vars[j].name))
                return mf_fail(&p, SEQNN_ERR_INVALID_ARG, "variable '%s' given twice", vars[i].name);
    }
    if (size > (size_t)MF_MAX_BYTES)
        return mf_fail(&p, SEQNN_ERR_FORMAT, "%zu bytes: too large for a model file (limit %ld bytes)",
                       size, MF_MAX_BYTES);
    p.vars = vars;
    p.n_vars = n_vars;
    p.cfg = seqnn_train_config_defaults();
    char *buf = malloc(size + 1);
    if (!buf)
        return mf_fail(&p, SEQNN_ERR_NO_MEMORY, "out of memory");
    if (size)
        memcpy(buf, text, size);
    buf[size] = '\0';
    seqnn_status s = seqnn_model_create(&p.model);
    if (s != SEQNN_OK) {
        free(buf);
        return mf_api(&p, "model", s);
    }
    p.c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    s = mf_parse(&p, buf, size);
    if (p.c_locale)
        freelocale(p.c_locale);
    free(buf);
    if (s != SEQNN_OK) {
        seqnn_model_destroy(p.model);
        return s;
    }
    *out = p.model;
    if (cfg)
        *cfg = p.cfg;
    return SEQNN_OK;
}

seqnn_status seqnn_modelfile_load(const char *path, const seqnn_modelfile_var *vars, int n_vars,
                                  seqnn_model **out, seqnn_train_config *cfg)
{
    mf_parser p;
    memset(&p, 0, sizeof p);
    p.name = path ? path : "<null>";
    if (out)
        *out = NULL;
    if (!path || !out)
        return mf_fail(&p, SEQNN_ERR_INVALID_ARG, "%s is NULL", out ? "path" : "out");
    FILE *f = fopen(path, "rb");
    if (!f)
        return mf_fail(&p, errno == ENOENT ? SEQNN_ERR_NOT_FOUND : SEQNN_ERR_IO, "cannot open: %s",
                       strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return mf_fail(&p, SEQNN_ERR_IO, "not a regular file");
    }
    if (sb.st_size > MF_MAX_BYTES) {
        fclose(f);
        return mf_fail(&p, SEQNN_ERR_FORMAT, "%lld bytes: too large for a model file (limit %ld bytes)",
                       (long long)sb.st_size, MF_MAX_BYTES);
    }
    /* Read to the limit + 1 whatever fstat said, in case the file grows. */
    char *buf = malloc((size_t)MF_MAX_BYTES + 1);
    if (!buf) {
        fclose(f);
        return mf_fail(&p, SEQNN_ERR_NO_MEMORY, "out of memory");
    }
    size_t got = fread(buf, 1, (size_t)MF_MAX_BYTES + 1, f);
    int err = ferror(f);
    fclose(f);
    seqnn_status s;
    if (err)
        s = mf_fail(&p, SEQNN_ERR_IO, "read error");
    else if (got > (size_t)MF_MAX_BYTES)
        s = mf_fail(&p, SEQNN_ERR_FORMAT, "too large for a model file (limit %ld bytes)", MF_MAX_BYTES);
    else
        s = seqnn_modelfile_parse(buf, got, path, vars, n_vars, out, cfg);
    free(buf);
    return s;
}
