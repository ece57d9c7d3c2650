/*
 * tree.pml: the part of Tree SRCU's grace-period state machine that both
 * models share (readers.pml, gp_work.pml include it): srcu_gp_seq and its
 * arithmetic, sup->lock, srcu_gp_start(), srcu_advance_state() and
 * srcu_gp_end() of src/srcutree.c, step for step.
 *
 * The includer provides:
 *   scan(idx, ok)   srcu_readers_active_idx_check(): ok iff no reader left on idx
 *   flip()          srcu_flip()'s store to srcu_idx (readers.pml), or skip
 *   gp_ended()      a check made as a grace period ends, under sup->lock
 *                   (readers.pml: no reader that predates it is inside)
 *   gp_end_begin()  optional: a step before srcu_gp_end() takes the lock
 *                   (gp_work.pml's BROKEN_COUNT_EARLY)
 *   gp_end_wake()   what srcu_gp_end() does once it has dropped the locks,
 *                   before it starts the next grace period (gp_work.pml:
 *                   bump the futex word and wake the sleepers)
 * and declares, in every process that calls advance_state(), the locals
 * gpseq, idx, endres, step (bytes) and ok (bit).
 *
 * Granularity.  Each line of Promela is one atomic step; an atomic { }
 * block is one step too.  A section under sup->lock is made of one step
 * from the lock to the first store that a thread without the lock can see,
 * and one from the last such store to the unlock, so no interleaving that
 * matters is lost: what a section reads is only written under the lock,
 * and between its visible stores the other threads do run (the flip and
 * the move to SCAN2 are two steps).
 *
 * Sequence numbers are small (a handful of grace periods), start at 0 and
 * never wrap: ULONG_CMP_GE() is >= here.  Far from the wrap the two agree,
 * and SRCU_GP_SEQ_INITIAL_VAL exists to test the wrap, not the protocol.
 *
 * srcu_cb_mutex is left out: it keeps the callback bookkeeping of two
 * grace-period ends apart, and nothing modelled is under it but the end
 * itself, which sup->lock's re-check of srcu_gp_seq already serialises.
 */

/* srcu_gp_seq: the state in the low two bits, the rest counts grace periods. */
#define IDLE		0
#define SCAN1		1
#define SCAN2		2
#define STATE(x)	((x) % 4)
#define SNAP(x)		((((x) + 7) / 4) * 4)	/* srcu_seq_snap() */
#define DONE(s)		(gp_seq >= (s))		/* srcu_seq_done() */
#define SEQ_END(x)	(((x) / 4) * 4 + 4)	/* srcu_seq_end(): (x | 3) + 1 */
/*
 * srcu_snap_unscanned(): the grace period in progress if its first scan
 * has not begun (srcu_gp_scanned below it), else SNAP.  The model's
 * sequentially consistent order stands for barriers F and G.
 */
#define REFINE(x, s)	(STATE(x) == SCAN1 && scanned < (x) && (s) == SEQ_END(x) + 4 -> \
			 SEQ_END(x) : (s))

/* srcu_advance_state()'s results (enum srcu_step) and srcu_gp_end()'s. */
#define STEP_IDLE	0
#define STEP_READERS	1
#define STEP_ENDED	2
#define STEP_STARTED	3
#define END_LOST	0
#define END_ENDED	1
#define END_STARTED	2

byte gp_seq;			/* sup->srcu_gp_seq */
byte scanned;			/* sup->srcu_gp_scanned */
byte needed;			/* sup->srcu_gp_seq_needed */
byte needed_exp;		/* sup->srcu_gp_seq_needed_exp */
bit srcu_idx;			/* ssp->srcu_idx & 1 */
bit sup_lock;			/* sup->lock is held */

/* Take sup->lock: the first statement of an atomic block. */
#define LOCK		sup_lock == 0 -> sup_lock = 1
#define UNLOCK		sup_lock = 0

/* srcu_gp_start(), under sup->lock, with its SRCU_BUG_ON()s. */
#define gp_start()	assert(gp_seq < needed && STATE(gp_seq) == IDLE); gp_seq++

/*
 * srcu_gp_end(): end grace period gpseq unless another thread ended it
 * first (END_LOST), then wake the waiters and start the next grace period
 * if one is needed.  What it does for callbacks, the funnel, the size
 * state and the wrap check is left out: none of it ends or holds up a
 * grace period.
 */
inline gp_end(gpseq, res)
{
#ifdef gp_end_begin
	gp_end_begin();
#endif
	atomic {
		LOCK;
		if
#ifndef BROKEN_NO_RECHECK
		:: gp_seq != gpseq ->
			UNLOCK;
			res = END_LOST
#endif
		:: else ->
			gp_seq = SEQ_END(gp_seq);
			gp_ended();
			if
			:: needed_exp < gp_seq -> needed_exp = gp_seq
			:: else -> skip
			fi;
			UNLOCK;
			res = END_ENDED
		fi
	};
	if
	:: res == END_ENDED ->
		gp_end_wake();
		atomic {
			LOCK;
			if
			:: STATE(gp_seq) == IDLE && gp_seq < needed ->
				gp_start();
				res = END_STARTED
			:: else -> skip
			fi;
			UNLOCK
		}
	:: else -> skip
	fi
}

/* srcu_mark_scanned(): raise srcu_gp_scanned to gpseq, then F. */
inline mark_scanned(gpseq)
{
	atomic {
		if
		:: scanned < gpseq -> scanned = gpseq
		:: else -> skip
		fi
	}
}

/*
 * srcu_advance_state(): from any thread, push grace periods on as far as
 * readers let them.  No lock is held while readers are counted; each step
 * (the flip with the move to SCAN2, or the end) is taken under sup->lock
 * only if srcu_gp_seq still holds the value read before the scan.  One
 * scan per phase: try_check_zero()'s retries are the same scan again
 * later, which a preemption before the scan already gives.
 */
inline advance_state(step)
{
	do
	::
#ifdef BROKEN_IDX_FIRST
		idx = 1 - srcu_idx;	/* Broken: the index before the state. */
#endif
		gpseq = gp_seq;		/* acquire */
		if
		:: STATE(gpseq) == IDLE ->
			atomic {
				LOCK;
				if
				:: gp_seq >= needed ->
					UNLOCK;
					step = STEP_IDLE;
					break
				:: else ->
					if
					:: STATE(gp_seq) == IDLE -> gp_start()
					:: else -> skip
					fi;
					UNLOCK
				fi
			}
		:: STATE(gpseq) == SCAN1 ->
#ifndef BROKEN_IDX_FIRST
			idx = 1 - srcu_idx;	/* the index readers are not using */
#endif
#ifndef BROKEN_MARK_LATE
			mark_scanned(gpseq);
#endif
#ifndef BROKEN_SKIP_SCAN1
			scan(idx, ok);
			if
			:: !ok -> step = STEP_READERS; break
			:: else -> skip
			fi;
#endif
#ifdef BROKEN_MARK_LATE
			mark_scanned(gpseq);
#endif
			atomic {
				LOCK;
				if
#ifndef BROKEN_NO_RECHECK
				:: gp_seq == gpseq ->
#else
				:: true ->
#endif
#ifndef BROKEN_NO_FLIP
					flip();		/* E, the store, D */
#endif
					ok = 1
				:: else ->
					ok = 0;
					UNLOCK
				fi
			};
			if
			:: ok -> atomic { gp_seq = (gp_seq / 4) * 4 + SCAN2; UNLOCK }
			:: else -> skip
			fi
		:: STATE(gpseq) == SCAN2 ->
#ifndef BROKEN_IDX_FIRST
			idx = 1 - srcu_idx;	/* the index just retired */
#endif
#ifndef BROKEN_SKIP_SCAN2
			scan(idx, ok);
			if
			:: !ok -> step = STEP_READERS; break
			:: else -> skip
			fi;
#endif
			gp_end(gpseq, endres);
			if
			:: endres == END_ENDED -> step = STEP_ENDED; break
			:: endres == END_STARTED -> step = STEP_STARTED; break
			:: else -> skip
			fi
		fi
	od;
	/* Dead locals back to 0, so that they do not multiply the states. */
	atomic { gpseq = 0; idx = 0; ok = 0; endres = 0 }
}
