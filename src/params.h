/*
 * params.h: the tunables inside the library (srcu_param_set() and the
 * SRCU_PARAMS environment variable are their outside, in params.c).
 * Reading one is a relaxed load; values may change at any time.
 */
#ifndef SRCU_PARAMS_INTERNAL_H
#define SRCU_PARAMS_INTERNAL_H

#include "fork.h"
#include "internal.h"

enum srcu_param_id {
	SRCU_PARAM_HZ,			/* jiffies per second (1000) */
	SRCU_PARAM_EXP_HOLDOFF,		/* ns after a GP when synchronize_srcu() won't auto-expedite (25000) */
	SRCU_PARAM_RETRY_CHECK_DELAY,	/* us between reader checks in one scan (5) */
	SRCU_PARAM_MAX_NODELAY_PHASE,	/* no-delay retries per phase (derived from hz) */
	SRCU_PARAM_MAX_NODELAY,		/* no-delay reschedules per jiffy (derived) */
	SRCU_PARAM_CONVERT_TO_BIG,	/* 0 never, 1 at init, 2 on request, 3 auto; | 0x10 on contention */
	SRCU_PARAM_BIG_CPU_LIM,		/* CPUs at which auto goes big at init (128) */
	SRCU_PARAM_SMALL_CONTENTION_LIM,/* contentions per jiffy before going big (100) */
	SRCU_PARAM_COUNTER_WRAP_CHECK,	/* gp_seq mask for the per-CPU wrap sweep */
	SRCU_PARAM_PROMOTE_INFLIGHT,	/* 1: expedited requests wake a sleeping normal GP */
	SRCU_PARAM_NR_CPUS,		/* CPUs the Tree sizes for (0 = the machine's) */
	SRCU_PARAM_STALL_TIMEOUT,	/* s a GP may be held up before a warning (21; 0 off) */
	SRCU_PARAM_NR
};

#define srcu_param		SRCU_PRIV(param)
#define srcu_params_parse	SRCU_PRIV(params_parse)
#define srcu_params_fork	SRCU_PRIV(params_fork)

/* The value in force (derived defaults computed), for the library's use. */
long srcu_param(enum srcu_param_id id);

/*
 * Apply "name=value,name=value" (the SRCU_PARAMS syntax; params.c parses
 * the variable at load).  Each bad entry is named on stderr and skipped.
 * Returns the number of bad entries.  Exposed for the unit test.
 */
int srcu_params_parse(const char *spec);

/* fork() handler of the tunables' lock (src/fork.c). */
void srcu_params_fork(enum srcu_fork_phase phase);

#endif /* SRCU_PARAMS_INTERNAL_H */
