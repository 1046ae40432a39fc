/* The CLI's own error messages: failures the CLI detects itself (data files,
 * options of a data format), kept apart from the library's last error.
 * cli_last_error() gives whichever of the two came last. Also the quoting of
 * CSV fields the CLI writes. */
#ifndef SEQNN_CLI_ERROR_H
#define SEQNN_CLI_ERROR_H

#include <stdio.h>
#include "seqnn/status.h"

/* Records the message (printf format) of a failure the CLI found and returns status. */
seqnn_status cli_error(seqnn_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of the latest failure: the CLI's own when cli_error ran after the
 * library last set seqnn_last_error(), the library's otherwise. */
const char *cli_last_error(void);

/* Prints "seqnn: WHAT: " (or "seqnn: " when what is NULL) and cli_last_error()
 * to stderr; returns 1, the exit status of a failed command. */
int cli_fail(const char *what);

/* s as one CSV field on f: quoted, quotes doubled (RFC 4180), always or only
 * when it holds a comma, a quote or a line break. */
void cli_csv_field(FILE *f, int always_quote, const char *s);

#endif
