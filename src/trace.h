/*
 * trace.h: the library's USDT probes (provider "srcu"), one macro per
 * probe, each called on one line at its sites in srcutree.c and
 * srcutiny.c.  Built with <sys/sdt.h> (Debian: systemtap-sdt-dev; the
 * build defines SRCU_USDT when it finds it), a site is one nop plus a
 * note in .note.stapsdt that perf, bpftrace and SystemTap find; the
 * arguments are values the code has at hand.  Without it, a site is
 * nothing at all (the arguments are type-checked, never evaluated).
 * doc/observability.md lists the probes for users.
 *
 * Probes (ssp is the srcu_struct; seq its grace-period sequence: Tree's
 * srcu_gp_seq, state in the low two bits; Tiny's srcu_idx, odd while a
 * grace period runs):
 *   gp__start(ssp, seq, expedited)  a grace period started (Tiny: flipped)
 *   gp__end(ssp, seq, expedited)    a grace period ended
 *   promote(ssp, seq)               an expedited request found a normal grace
 *                                   period asleep on its delay and did not
 *                                   wait for it: woke it, or drives (Tree)
 *   transfer(ssp, seq)              a normal grace period slept out its delay
 *                                   although an expedited request came (Tree)
 *   callbacks__invoke(ssp, count)   a batch of count callbacks was invoked
 *   stall(ssp, seq, ms)             the grace period has run for ms
 *                                   milliseconds: a stall warning
 */
#ifndef SRCU_TRACE_H
#define SRCU_TRACE_H

#if SRCU_USDT
#include <sys/sdt.h>
#define SRCU_PROBE2(name, a, b)		STAP_PROBE2(srcu, name, a, b)
#define SRCU_PROBE3(name, a, b, c)	STAP_PROBE3(srcu, name, a, b, c)
#else
#define SRCU_PROBE2(name, a, b)		do { if (0) { (void)(a); (void)(b); } } while (0)
#define SRCU_PROBE3(name, a, b, c) \
	do { if (0) { (void)(a); (void)(b); (void)(c); } } while (0)
#endif

#define srcu_trace_gp_start(ssp, seq, expedited) \
	SRCU_PROBE3(gp__start, (const void *)(ssp), (unsigned long)(seq), (int)(expedited))
#define srcu_trace_gp_end(ssp, seq, expedited) \
	SRCU_PROBE3(gp__end, (const void *)(ssp), (unsigned long)(seq), (int)(expedited))
#define srcu_trace_promote(ssp, seq) \
	SRCU_PROBE2(promote, (const void *)(ssp), (unsigned long)(seq))
#define srcu_trace_transfer(ssp, seq) \
	SRCU_PROBE2(transfer, (const void *)(ssp), (unsigned long)(seq))
#define srcu_trace_callbacks_invoke(ssp, count) \
	SRCU_PROBE2(callbacks__invoke, (const void *)(ssp), (long)(count))
#define srcu_trace_stall(ssp, seq, ms) \
	SRCU_PROBE3(stall, (const void *)(ssp), (unsigned long)(seq), (unsigned long)(ms))

#endif /* SRCU_TRACE_H */
