/* SEQNN_API: marks a function of libseqnn's public API. libseqnn is built with
 * hidden visibility, so exactly the functions declared with SEQNN_API in
 * include/seqnn/ are exported; everything else in the library stays internal.
 * For a program that uses the library the mark changes nothing. */
#ifndef SEQNN_EXPORT_H
#define SEQNN_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define SEQNN_API __attribute__((visibility("default")))
#else
#define SEQNN_API
#endif

#endif /* SEQNN_EXPORT_H */
