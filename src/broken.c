/*
 * broken.c: srcu_*_test_break() of <srcu/testing.h>, which switches on one
 * of the flavour's deliberately broken grace-period modes (broken.h) so
 * that the torture test can show it would notice such a bug in the
 * library (srcu-torture --broken=NAME; tests/torture/CMakeLists.txt).
 */
#include <errno.h>
#include <string.h>

#include <srcu/testing.h>
#include "broken.h"

int srcu_break_mode = SRCU_BREAK_NONE;

static const char *const srcu_break_names[SRCU_BREAK_NR] = {
	[SRCU_BREAK_NONE] = "",
#if defined(SRCU_FLAVOUR_TREE)
	[SRCU_BREAK_SKIP_SCAN1] = "skip-scan1",
	[SRCU_BREAK_SKIP_SCAN2] = "skip-scan2",
	[SRCU_BREAK_NO_FLIP] = "no-flip",
#else
	[SRCU_BREAK_SKIP_PHASE1] = "skip-phase1",
	[SRCU_BREAK_SKIP_PHASE2] = "skip-phase2",
	[SRCU_BREAK_NO_FLIP] = "no-flip",
#endif
};

SRCU_EXPORT int SRCU_API(test_break)(const char *mode)
{
	for (int m = 0; m < SRCU_BREAK_NR; m++) {
		if (!strcmp(mode ? mode : "", srcu_break_names[m])) {
			__atomic_store_n(&srcu_break_mode, m, __ATOMIC_SEQ_CST);
			return 0;
		}
	}
	return -ENOENT;
}
