/* The check line of the API tests that print one line per expectation:
 * expect(ok, fmt, ...) prints "ok   ..." or "FAIL ..." and counts the
 * failures in `failures` (the test's exit status comes from it). */
#ifndef SEQNN_TEST_EXPECT_H
#define SEQNN_TEST_EXPECT_H

#include <stdarg.h>
#include <stdio.h>

static int failures;

static void expect(int ok, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void expect(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    failures += !ok;
}

#endif
