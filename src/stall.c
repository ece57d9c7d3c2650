/*
 * stall.c: stall warnings (stall.h), the counterpart of the kernel's RCU
 * CPU stall warnings for SRCU: a grace period that readers hold up longer
 * than stall_timeout seconds (default 21, 0 turns them off) is reported on
 * stderr, naming the srcu_struct, the index and the readers per CPU on it;
 * with the debug checks on (SRCU_DEBUG), the threads that hold readers too
 * (debug.c).  Then again each time the wait has doubled (at most every
 * STALL_MAX_INTERVAL_S), and a last line when the grace period ends.
 * Nothing here runs on the read side: the flavours call in from the code
 * that scans for readers, which runs anyway while readers hold a grace
 * period up (Tree's process_srcu() and the threads that drive the state
 * machine or help a workerless pool; Tiny's timer, srcu_tiny_stall_check()).
 *
 * The state (struct srcu_stall, in the srcu_struct) is written under the
 * struct's lock; its fields are atomic so that the due time can also be
 * read without it, as a hint that nothing is due yet.
 */
#include <stdio.h>

#include "debug.h"
#include "params.h"
#include "stall.h"
#include "trace.h"
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
	uint64_t t = stall_timeout_ns(), since = READ_ONCE(st->since_ns);

	if (!t || !since)
		return 0;
	return READ_ONCE(st->warnings) ? READ_ONCE(st->next_ns) : since + t;
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

bool srcu_stall_held(struct srcu_stall *st, unsigned long gp, struct srcu_stall_report *r)
{
	uint64_t timeout = stall_timeout_ns(), now, due;

	if (!timeout) {
		WRITE_ONCE(st->since_ns, 0);	/* Off: forget it, and say nothing at its end. */
		WRITE_ONCE(st->warnings, 0);
		return false;
	}
	now = srcu_now_ns();
	if (!READ_ONCE(st->since_ns) || st->gp != gp) {
		st->gp = gp;
		WRITE_ONCE(st->warnings, 0);
		WRITE_ONCE(st->since_ns, now);
		return false;
	}
	due = srcu_stall_due_ns(st);
	if (now < due)
		return false;
	*r = (struct srcu_stall_report){
		.gp = gp, .held_ns = now - st->since_ns, .warnings = st->warnings + 1,
	};
	WRITE_ONCE(st->next_ns, now + stall_interval(timeout, r->warnings));
	WRITE_ONCE(st->warnings, r->warnings);
	return true;
}

bool srcu_stall_ended(struct srcu_stall *st, struct srcu_stall_report *r)
{
	bool warned = READ_ONCE(st->since_ns) && READ_ONCE(st->warnings);

	if (warned)
		*r = (struct srcu_stall_report){
			.gp = st->gp, .held_ns = srcu_now_ns() - st->since_ns,
			.warnings = st->warnings, .ended = true,
		};
	WRITE_ONCE(st->since_ns, 0);
	WRITE_ONCE(st->warnings, 0);
	return warned;
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

void srcu_stall_print(const struct srcu_stall_gp *g, const struct srcu_stall_report *r)
{
	const char *open = g->name ? " (" : "", *name = g->name ? g->name : "";
	const char *close = g->name ? ")" : "";
	double held = (double)r->held_ns / NSEC_PER_SEC;
	char cpus[512];
	long readers;

	if (r->ended) {
		SRCU_PRIV(warn)("stall: grace period %lu of srcu_struct %p%s%s%s ended after "
				"%.1f s (%u warning%s)", r->gp, g->ssp, open, name, close,
				held, r->warnings, r->warnings == 1 ? "" : "s");
		return;
	}
	srcu_trace_stall(g->ssp, r->gp, r->held_ns / 1000000);
	readers = stall_readers(g, cpus, sizeof(cpus));
	SRCU_PRIV(warn)("stall: grace period %lu of srcu_struct %p%s%s%s held up for %.1f s "
			"by %ld reader%s on index %d%s; warning %u, stall_timeout=%ld",
			r->gp, g->ssp, open, name, close, held, readers,
			readers == 1 ? "" : "s", g->idx, cpus, r->warnings,
			srcu_param(SRCU_PARAM_STALL_TIMEOUT));
	srcu_debug_stall_holders(g->ssp);
}
