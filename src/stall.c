/*
 * stall.c: stall warnings (stall.h), the counterpart of the kernel's RCU
 * CPU stall warnings for SRCU: a grace period that readers hold up longer
 * than stall_timeout seconds (default 21, 0 turns them off) is reported on
 * stderr, naming the srcu_struct, the index and the readers per CPU on it;
 * in a build with SRCU_DEBUG, the threads that hold readers too
 * (debug.c).  Then again each time the wait has doubled (at most every
 * STALL_MAX_INTERVAL_S), and a last line when the grace period ends.
 * Nothing here runs on the read side: the flavours call in from the code
 * that scans for readers, which runs anyway while readers hold a grace
 * period up (Tree's process_srcu() and the threads that drive the state
 * machine or help a workerless pool; Tiny's timer, srcu_tiny_stall_check()).
 */
#include <stdio.h>

#include "debug.h"
#include "params.h"
#include "stall.h"
#include "workqueue.h"

#define NSEC_PER_SEC		1000000000ULL
#define STALL_MAX_INTERVAL_S	600	/* back-off stops doubling here */
#define STALL_CPUS_LISTED	16	/* CPUs named in one warning, at most */

static uint64_t stall_timeout_ns(void)
{
	long t = srcu_param(SRCU_PARAM_STALL_TIMEOUT);

	return t > 0 ? (uint64_t)t * NSEC_PER_SEC : 0;
}

uint64_t srcu_stall_due_ns(const struct srcu_stall *st)
{
	uint64_t t = stall_timeout_ns();

	if (!t || !st->since_ns)
		return 0;
	return st->warnings ? st->next_ns : st->since_ns + t;
}

/*
 * Time from warning n (1, 2, ...) to the next: the timeout, doubled each
 * time, so the wait has doubled at each warning; capped, but never below
 * the timeout itself.
 */
static uint64_t stall_interval(uint64_t timeout, unsigned int n)
{
	uint64_t cap = STALL_MAX_INTERVAL_S * NSEC_PER_SEC, i = timeout;

	if (cap < timeout)
		cap = timeout;
	while (--n > 0 && i < cap)
		i *= 2;
	return i < cap ? i : cap;
}

/*
 * Sum the readers on g->idx; with per-CPU counters, also list " (CPU 0: 1,
 * 3: -1)" (the CPUs with a count) into buf.
 */
static long stall_readers(const struct srcu_stall_gp *g, char *buf, size_t size)
{
	unsigned int cpu, listed = 0, more = 0;
	long n, sum = 0;
	size_t len = 0;

	buf[0] = '\0';
	for (cpu = 0; cpu < g->nr_cpus; cpu++) {
		n = g->readers(g->ssp, cpu, g->idx);
		sum += n;
		if (!n || !g->per_cpu)
			continue;
		if (listed++ >= STALL_CPUS_LISTED) {
			more++;
			continue;
		}
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%u: %ld",
						listed == 1 ? " (CPU " : ", ", cpu, n);
	}
	if (more && len < size)
		len += (size_t)snprintf(buf + len, size - len, " and %u more CPUs", more);
	if (listed && len < size)
		snprintf(buf + len, size - len, ")");
	return sum;
}

static void stall_warn(const struct srcu_stall *st, const struct srcu_stall_gp *g,
		       uint64_t now)
{
	char cpus[512];
	long readers = stall_readers(g, cpus, sizeof(cpus));

	SRCU_PRIV(warn)("stall: grace period %lu of srcu_struct %p%s%s%s held up for %.1f s "
			"by %ld reader%s on index %d%s; warning %u, stall_timeout=%ld",
			g->gp, g->ssp, g->name ? " (" : "", g->name ? g->name : "",
			g->name ? ")" : "", (double)(now - st->since_ns) / NSEC_PER_SEC,
			readers, readers == 1 ? "" : "s", g->idx, cpus,
			st->warnings + 1, srcu_param(SRCU_PARAM_STALL_TIMEOUT));
	srcu_debug_stall_holders(g->ssp);
}

void srcu_stall_held(struct srcu_stall *st, const struct srcu_stall_gp *g)
{
	uint64_t timeout = stall_timeout_ns(), now;

	if (!timeout) {
		st->since_ns = 0;	/* Off: forget it, and say nothing at its end. */
		st->warnings = 0;
		return;
	}
	now = srcu_now_ns();
	if (!st->since_ns || st->gp != g->gp) {
		st->gp = g->gp;
		st->since_ns = now;
		st->warnings = 0;
		return;
	}
	if (now < srcu_stall_due_ns(st))
		return;
	stall_warn(st, g, now);
	st->warnings++;
	st->next_ns = now + stall_interval(timeout, st->warnings);
}

void srcu_stall_ended(struct srcu_stall *st, const void *ssp, const char *name)
{
	if (st->warnings)
		SRCU_PRIV(warn)("stall: grace period %lu of srcu_struct %p%s%s%s ended after "
				"%.1f s (%u warning%s)", st->gp, ssp, name ? " (" : "",
				name ? name : "", name ? ")" : "",
				(double)(srcu_now_ns() - st->since_ns) / NSEC_PER_SEC,
				st->warnings, st->warnings == 1 ? "" : "s");
	st->since_ns = 0;
	st->warnings = 0;
}
