/* The CLI's percentages (cli_percent, cli/metrics.c): an accuracy just below
 * 100% or just above 0% is never printed as 100.00% or 0.00%. */
#include <stdio.h>
#include <string.h>
#include "checkpoint.h"

static int fails;

static void expect(double hit, double total, const char *want)
{
    char got[32];
    snprintf(got, sizeof got, "%.2f", cli_percent(hit, total));
    if (strcmp(got, want)) {
        printf("FAIL: %g of %g printed %s, expected %s\n", hit, total, got, want);
        fails++;
    } else {
        printf("ok: %g of %g -> %s%%\n", hit, total, got);
    }
}

int main(void)
{
    expect(19999, 20000, "99.99");       /* 99.995%: not 100.00 */
    expect(199999, 200000, "99.99");
    expect(20000, 20000, "100.00");
    expect(1, 20000, "0.01");            /* 0.005%: not 0.00 */
    expect(0, 20000, "0.00");
    expect(1, 3, "33.33");
    expect(2, 3, "66.67");
    return fails != 0;
}
