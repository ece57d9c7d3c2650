/*
 * stall.h: stall warnings, for both flavours (stall.c).  A grace period
 * that readers hold up longer than the stall_timeout tunable is reported
 * on stderr, then again with back-off while it lasts, and its end too.
 * The flavours call in from their grace-period code only, never from the
 * read side: srcutree.c where a scan finds readers and where a grace
 * period ends; srcutiny.c likewise, and from a timer of its own, since
 * nothing else runs while Tiny waits for a reader.  What is due is decided
 * under the struct's lock (srcu_stall_held(), srcu_stall_ended()), and
 * printed after it is dropped (srcu_stall_print()): a warning loops over
 * the counters and writes, which no short section of the library does.
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

/* What is due: a warning, or the line that says the grace period ended. */
struct srcu_stall_report {
	unsigned long gp;		/* the grace period */
	uint64_t held_ns;		/* held up for this long */
	unsigned int warnings;		/* this is warning number; or, ended: how many */
	bool ended;			/* the end line */
};

#define srcu_stall_held		SRCU_PRIV(stall_held)
#define srcu_stall_ended	SRCU_PRIV(stall_ended)
#define srcu_stall_due_ns	SRCU_PRIV(stall_due_ns)
#define srcu_stall_print	SRCU_PRIV(stall_print)

/*
 * Readers hold up grace period gp (the caller's scan found them): start
 * following it, or, if a warning is due, count it and return true with *r
 * filled in.  Under the struct's lock that serialises st.  Cheap when
 * nothing is due: a clock read.
 */
bool srcu_stall_held(struct srcu_stall *st, unsigned long gp, struct srcu_stall_report *r);

/*
 * The grace period st follows (if any) has ended: stop following it, and
 * return true with *r filled in if it was warned about.  Under st's lock.
 */
bool srcu_stall_ended(struct srcu_stall *st, struct srcu_stall_report *r);

/*
 * When the next warning about the grace period st follows is due
 * (CLOCK_MONOTONIC ns), or 0 if none will be (none followed, or stall
 * warnings off).  Under st's lock, or racy (a hint).
 */
uint64_t srcu_stall_due_ns(const struct srcu_stall *st);

/* Print what r says about g's struct; with no lock of the library held. */
void srcu_stall_print(const struct srcu_stall_gp *g, const struct srcu_stall_report *r);

#endif /* SRCU_STALL_H */
