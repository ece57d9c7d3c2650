/*
 * broken.h: the deliberately broken grace-period modes that the torture
 * test must catch (srcu_*_test_break() of <srcu/testing.h>, in broken.c).
 * Each flavour has its own modes; its grace-period code asks
 * srcu_test_broken() at the sites labelled "Test-only", never in readers.
 */
#ifndef SRCU_BROKEN_INTERNAL_H
#define SRCU_BROKEN_INTERNAL_H

#include <stdbool.h>

#include "internal.h"

enum srcu_break {
	SRCU_BREAK_NONE,
#if defined(SRCU_FLAVOUR_TREE)
	SRCU_BREAK_SKIP_SCAN1,	/* flip without waiting for the inactive index */
	SRCU_BREAK_SKIP_SCAN2,	/* end the GP without waiting for the retired index */
	SRCU_BREAK_NO_FLIP,	/* SCAN1 -> SCAN2 leaves srcu_idx alone */
#else
	SRCU_BREAK_SKIP_PHASE1,	/* flip without waiting for the other index */
	SRCU_BREAK_SKIP_PHASE2,	/* end the GP without waiting for the pre-flip index */
	SRCU_BREAK_NO_FLIP,	/* phase 1 -> 2 leaves the readers' index alone */
#endif
	SRCU_BREAK_NR
};

#define srcu_break_mode		SRCU_PRIV(break_mode)
extern int srcu_break_mode;	/* enum srcu_break; NONE unless a test set it */

/* A relaxed load: the mode may change at any time, and only tests set it. */
static inline bool srcu_test_broken(enum srcu_break mode)
{
	return caa_unlikely(READ_ONCE(srcu_break_mode) == (int)mode);
}

#endif /* SRCU_BROKEN_INTERNAL_H */
