/* The CLI's error messages (cli_error.h): its own message buffer, and which of
 * it and the library's last error is the newer; and CSV fields, quoted. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "cli_error.h"
#include "seqnn/seqnn.h"

#define CLI_MSG_SIZE 2048

static _Thread_local char message[CLI_MSG_SIZE];
/* seqnn_last_error() as it was when cli_error last ran: while it reads the
 * same, the library has reported nothing since and the CLI's message is the
 * newer. (Should the library later fail with the very same message, the
 * CLI's older one is given; its messages name the call and the arguments,
 * which makes that unlikely.) */
static _Thread_local char library_then[CLI_MSG_SIZE];
static _Thread_local int have_message;

seqnn_status cli_error(seqnn_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    snprintf(library_then, sizeof library_then, "%s", seqnn_last_error());
    have_message = 1;
    return status;
}

const char *cli_last_error(void)
{
    const char *library = seqnn_last_error();
    if (have_message && strncmp(library, library_then, sizeof library_then - 1) == 0)
        return message;
    return library;
}

int cli_fail(const char *what)
{
    fprintf(stderr, "seqnn: %s%s%s\n", what ? what : "", what ? ": " : "", cli_last_error());
    return 1;
}

void cli_csv_field(FILE *f, int always_quote, const char *s)
{
    if (!always_quote && !strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}
