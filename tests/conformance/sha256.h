/* SHA-256 of a file (FIPS 180-4), for the conformance report: it ties a
 * certification to the exact plugin build that was tested. */
#ifndef SEQNN_CONFORMANCE_SHA256_H
#define SEQNN_CONFORMANCE_SHA256_H

#include <stddef.h>

/* Writes the file's digest as 64 lowercase hex digits and a NUL into hex
 * (at least 65 bytes); 0, or -1 when the file cannot be read. */
int cf_sha256_file(const char *path, char *hex, size_t hex_size);

#endif
