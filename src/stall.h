/*
 * stall.h: stall warnings, for both flavours (stall.c).  A grace period
 * that readers hold up longer than the stall_timeout tunable is reported
 * on stderr, then again with back-off while it lasts, and its end too.
 * The flavours call in from their grace-period code only, never from the
 * read side: srcutree.c where a scan finds readers and where a grace
 * period ends; srcutiny.c likewise, and from a timer of its own, since
 * nothing else runs while Tiny waits for a reader.
 */
#ifndef SRCU_STALL_H
#define SRCU_STALL_H

#include <stdbool.h>
#include <stdint.h>

#include <srcu/common.h>
#include "internal.h"

/* A grace period held up by readers: what a warning says about it. */
struct srcu_stall_gp {
	const void *ssp;		/* the srcu_struct */
	const char *name;		/* its DEFINE_SRCU() name, or NULL */
	unsigned long gp;		/* which grace period (the flavour's number) */
	int idx;			/* the reader index it waits on */
	unsigned int nr_cpus;		/* counters per index (Tiny: 1, not per CPU) */
	bool per_cpu;			/* counters are per CPU: name them */
	/*
	 * Readers on idx, locks minus unlocks, counted in counter cpu (per
	 * CPU, it may be < 0: a reader that moved CPUs).  Called only when a
	 * warning is printed.
	 */
	long (*readers)(const void *ssp, unsigned int cpu, int idx);
};

#define srcu_stall_held		SRCU_PRIV(stall_held)
#define srcu_stall_ended	SRCU_PRIV(stall_ended)
#define srcu_stall_due_ns	SRCU_PRIV(stall_due_ns)

/*
 * Readers hold up grace period g->gp (the caller's scan found them).
 * Starts following it, or warns if a warning is due.  Caller holds the
 * lock that serialises its struct's grace-period steps (st's lock).
 */
void srcu_stall_held(struct srcu_stall *st, const struct srcu_stall_gp *g);

/* The grace period st follows has ended: say so if it was warned about. */
void srcu_stall_ended(struct srcu_stall *st, const void *ssp, const char *name);

/*
 * When the next warning about the grace period st follows is due
 * (CLOCK_MONOTONIC ns), or 0 if none will be (none followed, or stall
 * warnings off).  For Tiny's timer.
 */
uint64_t srcu_stall_due_ns(const struct srcu_stall *st);

#endif /* SRCU_STALL_H */
