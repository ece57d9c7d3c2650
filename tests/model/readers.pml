/*
 * readers.pml: Tree SRCU's grace periods against its readers (property 1).
 *
 * No grace period ends while a reader that predates it is inside: when
 * srcu_gp_seq reaches the snapshot srcu_seq_snap() would have given at the
 * instant a reader counted itself (the grace period a synchronize_srcu()
 * called then would wait for), that reader has left.  Checked by an
 * assertion at every grace-period end (gp_ended()).
 *
 * Modelled, as in src/srcutree.c and include/srcu/tree.h:
 * - readers on two indexes and two CPUs: srcu_read_lock() reads srcu_idx,
 *   then (a separate step: any reader may stall there and become a
 *   straggler, counting itself on an index long after it was flipped away)
 *   increments locks[idx] on a CPU of its choice, then barrier B;
 *   srcu_read_unlock() is barrier C, then unlocks[idx] on any CPU (the
 *   reader may have migrated);
 * - the scan, srcu_readers_active_idx_check(): the unlock sum CPU by CPU,
 *   barrier A, the lock sum CPU by CPU, with no lock held;
 * - srcu_advance_state() and srcu_gp_end() (tree.pml), each step under
 *   sup->lock only if srcu_gp_seq has not moved since the scan began;
 * - two threads that scan and step concurrently: an expedited waiter
 *   (srcu_wait_expedited(): request, then drive until its snapshot is
 *   done) and the GP worker (process_srcu()'s srcu_advance_state()).
 *
 * Abstracted, and why that is sound for this property:
 * - When the worker runs: here it may run srcu_advance_state() at any
 *   moment a grace period is in progress or requested.  The real worker
 *   runs at a subset of those moments, so every real schedule is here.
 *   The delays, the work record, promotion and the futex (gp_work.pml) only
 *   decide when a driver runs, never what a step checks.
 * - The funnel: a request is srcu_gp_seq_needed raised to the snapshot
 *   under sup->lock, starting a grace period if none runs, as at the root.
 *   The combining tree and the per-CPU srcu_data only filter requests on
 *   their way there.
 * - Callbacks, sizes, statistics, the wrap check: nothing in them ends a
 *   grace period or changes what a scan sees.
 * - Counter values: each reader makes a fixed number of sections, so the
 *   counters stay below 4; the real counters are 64-bit and the late
 *   increments that could make false equal sums are bounded far below
 *   that (doc/design.md, "Barriers").
 * - try_check_zero()'s retries: one scan per phase (tree.pml).
 * - Fast readers and membarrier: not modelled (they differ only in what
 *   plays the part of B and C, which is a weak-memory question).
 *
 * Memory model: spin executes the processes' steps in one interleaved,
 * sequentially consistent order.  So the model shows that the algorithm
 * is right when every access is ordered as written, i.e. when barriers A
 * to E do their job; it does NOT show that they do (store buffering of a
 * reader's increment against the scan, compiler reordering, the acquire
 * of srcu_gp_seq).  That argument is doc/design.md's.  What the model can
 * show about a barrier is what its absence allows: BROKEN_NO_A reads the
 * sums in the order that a missing A permits.
 *
 * Broken variants (-D), each of which spin must catch:
 *   BROKEN_NO_RECHECK   steps taken without re-checking srcu_gp_seq
 *   BROKEN_NO_A         lock sum before the unlock sum (A missing)
 *   BROKEN_IDX_FIRST    the scanned index read before srcu_gp_seq
 *   BROKEN_SKIP_SCAN1   flip without SCAN1 (srcu-torture --broken=skip-scan1)
 *   BROKEN_SKIP_SCAN2   end without SCAN2 (--broken=skip-scan2)
 *   BROKEN_NO_FLIP      SCAN1 -> SCAN2 without the flip (--broken=no-flip)
 *   BROKEN_MARK_LATE    srcu_gp_scanned raised after the first scan, not
 *                       before it: a synchronize that reads it then takes
 *                       a grace period whose first scan missed a straggler
 */

#define NREADERS	2
#ifndef SECTIONS0
#define SECTIONS0	1	/* sections of reader 0 */
#endif
#ifndef SECTIONS1
#define SECTIONS1	1	/* sections of reader 1 */
#endif
#ifndef REQUESTS
#define REQUESTS	2	/* synchronize_srcu_expedited() calls */
#endif

byte locks[4];			/* per index and CPU: [idx * 2 + cpu] */
byte unlocks[4];
bit inside[NREADERS];		/* ghost: reader r is between B and C */
byte rs[NREADERS];		/* ghost: what a synchronize would wait for, called
				 * when it counted itself (WSNAP) */

#define gp_end_wake()	skip	/* nobody sleeps on the futex here */
#define flip()		srcu_idx = 1 - srcu_idx

#define gp_ended()							\
	assert(!(inside[0] && gp_seq >= rs[0]) &&			\
	       !(inside[1] && gp_seq >= rs[1]))

#include "tree.pml"

/* The snapshot a synchronize_srcu_expedited() takes now, refined. */
#define WSNAP(x)	REFINE(x, SNAP(x))

/* srcu_readers_active_idx_check(): the CPUs summed one by one. */
inline scan(idx, ok)
{
#ifndef BROKEN_NO_A
	sum_u = unlocks[idx * 2];
	sum_u = sum_u + unlocks[idx * 2 + 1];
	/* A */
	sum_l = locks[idx * 2];
	sum_l = sum_l + locks[idx * 2 + 1];
#else
	sum_l = locks[idx * 2];
	sum_l = sum_l + locks[idx * 2 + 1];
	sum_u = unlocks[idx * 2];
	sum_u = sum_u + unlocks[idx * 2 + 1];
#endif
	ok = (sum_l == sum_u);
	sum_l = 0;
	sum_u = 0
}

proctype reader(byte r; byte sections)
{
	byte n, idx;

	do
	:: n < sections ->
		idx = srcu_idx;		/* srcu_read_lock(): the index */
		if			/* then the count, on some CPU, and B */
		:: atomic { locks[idx * 2] ++; inside[r] = 1; rs[r] = WSNAP(gp_seq) }
		:: atomic { locks[idx * 2 + 1] ++; inside[r] = 1; rs[r] = WSNAP(gp_seq) }
		fi;
		/* The critical section. */
		if			/* srcu_read_unlock(): C, then the count */
		:: atomic { unlocks[idx * 2] ++; inside[r] = 0 }
		:: atomic { unlocks[idx * 2 + 1] ++; inside[r] = 0 }
		fi;
		n++
	:: else -> break
	od
}

/* synchronize_srcu_expedited(): request, then drive (srcu_wait_expedited()). */
proctype waiter()
{
	byte n, s, gpseq, idx, endres, step, sum_l, sum_u;
	bit ok;

	do
	:: n < REQUESTS ->
		s = SNAP(gp_seq);
		s = REFINE(gp_seq, s);		/* srcu_snap_unscanned() */
		atomic {			/* the funnel, at the root */
			LOCK;
			if
			:: needed < s -> needed = s
			:: else -> skip
			fi;
			if
			:: !DONE(s) && STATE(gp_seq) == IDLE -> gp_start()
			:: else -> skip
			fi;
			UNLOCK
		};
		do
		:: DONE(s) -> break
		:: else -> advance_state(step)	/* READERS: a poll, then again */
		od;
		n++
	:: else -> break
	od
}

/* process_srcu(), whenever a grace period is wanted. */
proctype worker()
{
	byte gpseq, idx, endres, step, sum_l, sum_u;
	bit ok;

end:	do
	:: STATE(gp_seq) != IDLE || gp_seq < needed -> advance_state(step)
	od
}

init
{
	atomic {
		run reader(0, SECTIONS0);
		run reader(1, SECTIONS1);
		run waiter();
		run worker()
	}
}
