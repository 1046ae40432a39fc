/* Used only while tests/conformance/golden.cmake is absent: no golden checks. */
#include "conformance.h"
int cf_golden_count(void) { return 0; }
const char *cf_golden_name(int i) { (void)i; return ""; }
void cf_golden_test(cf_run *r, int i) { (void)i; cf_fail(r, "no golden data"); }
