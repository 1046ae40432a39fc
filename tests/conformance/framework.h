/* Internals of the conformance framework shared by framework.c and runner.c:
 * the state of one kernel test on one plugin (cf_run). */
#ifndef SEQNN_CONFORMANCE_FRAMEWORK_H
#define SEQNN_CONFORMANCE_FRAMEWORK_H

#include "conformance.h"

struct cf_run {
    seqnn_context *ctx;                  /* plugin under test */
    uint64_t rng;                        /* random state, from the seed and the kernel */
    int verbose;
    int kernel;                          /* the kernel under test, or -1 (a golden check) */
    unsigned char present[SEQNN_KERNEL_COUNT];  /* 1 where the plugin has the kernel */
    char absent[64];                     /* the first absent kernel the test needed, or "" */
    /* current check */
    char check_name[256];
    int in_check, check_failed;
    int sampled;                         /* the call skipped the oracle (cf_call_sampled) */
    cf_tensor *tensors;
    int tensor_serial;                   /* numbers tensors: each has its own guard payload */
    /* totals for the kernel */
    int checks, failed_checks, unsupported;
    int declined;                        /* checks whose plugin call the capability query declined */
    int ran;                             /* calls the plugin ran (and answered OK) */
    char first_declined[512];            /* "[check] kernel: reason" of the first */
    double worst_ratio;                  /* worst error / budget seen */
    struct cf_replay *replay;            /* the check's oracle calls, for its conditioning (framework.c) */
    int conditioned;                     /* checks passed only through the conditioning term */
    char first_failure[1536];
};

#endif
