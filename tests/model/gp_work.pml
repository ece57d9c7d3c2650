/*
 * gp_work.pml: who drives Tree SRCU's grace periods, and who waits
 * (properties 2 and 3 of tests/model/check.sh).
 *
 * Modelled, as in src/srcutree.c:
 * - the funnel at the root (srcu_gp_start_if_needed() on CPU 0's
 *   srcu_data, srcu_funnel_gp_start(), srcu_funnel_exp_start()): the
 *   snapshot, srcu_gp_seq_needed and _needed_exp, a grace period started
 *   if none runs, the work asked for (srcu_gp_work_locked()) or the
 *   expedited request recorded (srcu_exp_request_locked()), the kick made
 *   after the requester has left its internal reader and dropped the lock;
 * - the work's record, sup->srcu_gp_work (IDLE, NOW, SLEEPING with
 *   srcu_sleep_gp and srcu_sleep_needed_exp), written under sup->lock with
 *   the timer armed in the same hold; srcu_gp_asleep();
 * - promotion: an expedited request that finds the grace period asleep
 *   wakes the work, or, for a caller that drives, marks the request seen;
 *   with promote_inflight=0 it leaves it asleep;
 * - process_srcu(): the transfer count and the record reset in its first
 *   hold, srcu_advance_state() (tree.pml), the delay decided and the work
 *   asked for again (srcu_reschedule_locked()) in its last hold, a poll
 *   while an expedited grace period is held up by readers;
 * - the workqueue's side of the work item (not pending, on the run queue,
 *   on a timer; a timer for a jiffy or for a poll; srcu_mod_delayed_work(0)
 *   fires an armed timer or queues; a run re-queued while it runs runs
 *   again) and one worker thread;
 * - srcu_wait_expedited(): drive; if readers remain sleep with a timeout;
 *   with promote_inflight=0 and the grace period asleep, sleep until a
 *   grace period ends; then leave what is left to the work;
 * - srcu_sleep_for_gp_end() against srcu_gp_end()'s wake: the waiter counts
 *   itself, reads the futex word, checks srcu_gp_seq, FUTEX_WAITs (which
 *   sleeps only if the word is unchanged); the ender stores srcu_gp_seq,
 *   bumps the word, reads the count and wakes everyone if it is not 0.
 * The clients: call_srcu() (N), synchronize_srcu_expedited() (E),
 * call_srcu_expedited() (X), synchronize_srcu() (S), each once, and a
 * reader with SECTIONS sections (1).  -DCLIENTS picks which run (bits 1 N,
 * 2 E, 4 X, 8 S); -DPROMOTE=0/1 is promote_inflight.
 *
 * Abstracted, and why that is sound:
 * - Readers: a count of readers inside (the reader and the clients'
 *   internal readers), and a scan that may fail only while it is not 0,
 *   on either index, and may also succeed then.  Every real scan result
 *   is possible here (more behaviours, not fewer), so a property that
 *   holds here holds for the real scans; whether a scan is right is
 *   readers.pml's business.  srcu_idx is not modelled.
 * - Time: a timer may fire at any moment; untimed sleeps end only when
 *   woken.  A timed sleep (E's poll while readers hold its grace period
 *   up) may end at any moment, so to every other thread it is a pause:
 *   it is one.  (The poller counts itself as a futex waiter, which only
 *   decides whether an ender makes the wake-up call: a sleeper that needs
 *   it counts itself.)  Jiffies, ages, poll lengths and srcu_get_delay()'s
 *   value beyond "0 or not" only decide when, which is free here.
 * - srcu_get_delay() is 0 exactly when an expedited grace period is
 *   pending.  Its caps (srcu_max_nodelay_phase, and process_srcu()'s
 *   srcu_max_nodelay) turn a long run of zero delays into a jiffy on
 *   purpose, with the request already seen: -DTHROTTLE lets any zero
 *   delay become a jiffy, for the wake-up checks; the promotion checks
 *   leave it out, since such a sleep is the kernel's rate limit, not a
 *   transfer, with or without promotion.
 * - One srcu_data (a small struct: every request goes through CPU 0's),
 *   no combining tree (a big struct's leaves filter requests as CPU 0's
 *   srcu_data does here).  Callbacks are not modelled: what a grace
 *   period's end does for them neither starts nor ends one.
 *   srcu_gp_end()'s deferral of them to process_srcu() when the record is
 *   not IDLE relies on the record's promise, which is checked (below).
 * - A pool that always has its worker: the workerless mode, where the
 *   waiter runs the work itself in srcu_wq_wait(), is not modelled.
 * - Each section under sup->lock is one step.  The threads that look at
 *   what such a section writes without the lock find, at any instant
 *   inside it, the same answers as before it or after it: the done checks
 *   read srcu_gp_seq, written once per section; srcu_wait_expedited()'s
 *   srcu_gp_asleep() reads the record and srcu_sleep_gp, and a new
 *   srcu_sleep_gp matters only where the record already says SLEEPING, a
 *   new SLEEPING being written after it; a worker that the section's
 *   timer or queueing starts takes sup->lock before it reads anything.
 *   The broken variants that move a store out of its hold make that store
 *   a step of its own.
 *
 * Memory model: spin is sequentially consistent.  The model shows the
 * protocol right when every access is ordered as written (the seq_cst
 * count and futex accesses, the acquire of srcu_gp_seq, the lock); it does
 * NOT show that the code's barriers and atomics give that order on a
 * weakly ordered machine: doc/design.md argues that part.
 *
 * Properties (each a -D switch, so that one run checks one thing):
 *   CHECK_PROMOTED (with PROMOTE=1)  no grace period sleeps on the work's
 *       timer with an expedited request it has not seen (the transfer
 *       condition), checked in every state outside sup->lock; so no
 *       expedited waiter sleeps behind the timer, transfers stay 0
 *       (asserted where process_srcu() counts them), and a request whose
 *       caller does not drive is never left behind a jiffy timer;
 *   CHECK_TRANSFER (with PROMOTE=0)  the transfer happens: spin must find
 *       E asleep behind the timer of a grace period it needs (the check
 *       succeeds when spin reports that state);
 *   CHECK_COUNTED (with PROMOTE=0)  every run of the work that its jiffy
 *       timer started while E sleeps behind that sleep counts a transfer,
 *       and only such a run counts one;
 *   CHECK_NO_SPIN  srcu_wait_expedited() never finds nothing to do
 *       (SRCU_STEP_IDLE) while its grace period is not done: if it did, it
 *       would loop without sleeping (this one FAILS: doc/reliability.md);
 *   always: the record never promises a run that nothing will make (the
 *       work neither pending nor running, no kick owed, and the record not
 *       IDLE); no waiter sleeps forever (spin's invalid end states); and
 *       when nothing can move any more, no waiter is asleep and every
 *       requested grace period has ended.
 *
 * Broken variants (-D), each of which spin must catch:
 *   BROKEN_NO_MARK           a driving caller's promotion does not mark its
 *                            request seen (transfers counted with promotion)
 *   BROKEN_NO_WAKE           promotion does not wake the work for a caller
 *                            that does not drive (call_srcu_expedited())
 *   BROKEN_STALE_DELAY       process_srcu() decides its delay before taking
 *                            sup->lock (the earlier design's window): caught
 *                            with PROMOTE=0 (an uncounted transfer); with
 *                            promotion the record makes it harmless
 *   BROKEN_COUNT_EARLY       srcu_gp_end() reads the waiter count before its
 *                            store to srcu_gp_seq (store buffering)
 *   BROKEN_ARM_UNLOCKED      a sleep is recorded under sup->lock but its
 *                            timer armed after the lock is dropped
 *   BROKEN_WORD_AFTER_CHECK  the waiter reads the futex word after its check
 *                            of srcu_gp_seq
 *   BROKEN_KEEP_RECORD       a run of process_srcu() does not reset the record
 * and one that looks broken but is not (spin passes it, see check.sh):
 *   COUNT_AFTER_WORD         the waiter counts itself after reading the word
 */

#ifndef PROMOTE
#define PROMOTE		1
#endif
#ifndef CLIENTS
#define CLIENTS		15
#endif
#ifndef SECTIONS
#define SECTIONS	1	/* the reader's sections */
#endif
#define HAS(c)		((CLIENTS & (c)) != 0)
#define N_CLIENT	1
#define E_CLIENT	2
#define X_CLIENT	4
#define S_CLIENT	8

/* Waiters, by their futex slot. */
#define W_E		0
#define W_S		1

/* sup->srcu_gp_work */
#define GPW_IDLE	0
#define GPW_NOW		1
#define GPW_SLEEPING	2

/* The work item in the workqueue. */
#define WQ_NONE		0	/* not pending (it may be running) */
#define WQ_QUEUED	1	/* on the run queue */
#define WQ_TIMER	2	/* on the timer list */

byte gp_work;			/* sup->srcu_gp_work */
byte sleep_gp;			/* sup->srcu_sleep_gp */
byte sleep_needed_exp;		/* sup->srcu_sleep_needed_exp */
byte transfers;			/* sup->n_transfers */
byte sdp_needed;		/* sda[0].srcu_gp_seq_needed */
byte sdp_needed_exp;		/* sda[0].srcu_gp_seq_needed_exp */
byte wq;			/* the work item: WQ_* */
bit wq_jiffy;			/* its timer is a jiffy's sleep, not a poll */
byte futex;			/* sup->srcu_gp_end_futex */
byte waiters;			/* sup->srcu_gp_waiters */
bit fq[2];			/* FUTEX_WAIT's queue: waiter w asleep */
byte readers;			/* readers inside, on either index */

/* Ghosts, for the properties. */
byte kicks;			/* srcu_gp_work_kick() owed by a thread */
byte e_s;			/* E's snapshot, 0 until it has one */
bit e_waiting;			/* E is in srcu_wait_expedited() */
bit e_untimed;			/* E's sleep is the one without a timeout */
byte x_s;			/* X's snapshot, 0 until it has one */
bit fired_jiffy;		/* the work runs because its jiffy timer fired */
bit running;			/* the worker is in process_srcu() */

#define flip()		skip
#define gp_ended()	skip

/*
 * srcu_gp_end()'s wake (tree.pml): after the store to srcu_gp_seq, bump
 * the word, then read the count, all seq_cst.  BROKEN_COUNT_EARLY reads the
 * count before the store to srcu_gp_seq, which is what store buffering
 * would allow if the count were read without that order.
 */
#ifndef BROKEN_COUNT_EARLY
#define COUNT		waiters
#else
byte early_count;
#define gp_end_begin()	early_count = waiters
#define COUNT		early_count
#endif

inline gp_end_wake()
{
	futex++;
	if
	:: COUNT > 0 -> atomic { fq[W_E] = 0; fq[W_S] = 0 }
	:: else -> skip
	fi
}

/* A scan: may fail only while a reader is inside (either index). */
inline scan(idx, ok)
{
	if
	:: ok = 1
	:: readers > 0 -> ok = 0
	fi
}

#include "tree.pml"

/* srcu_gp_asleep(), under sup->lock. */
#define GP_ASLEEP	(gp_work == GPW_SLEEPING && STATE(gp_seq) != IDLE && \
			 gp_seq / 4 == sleep_gp / 4)

/* srcu_get_delay(), under sup->lock: 0 while an expedited GP is pending. */
#define get_delay(d)	if :: gp_seq < needed_exp -> d = 0 :: else -> d = 1 fi

/* Its caps and srcu_max_nodelay's: any zero delay may become a jiffy. */
#ifdef THROTTLE
#define throttle(d)	if :: d == 0 -> d = 1 :: true -> skip fi
#else
#define throttle(d)	skip
#endif

/* The workqueue: srcu_queue_delayed_work{,_ns}() and srcu_mod_delayed_work(0). */
inline queue_delayed(jiffy, armed)
{
	if
	:: wq == WQ_NONE -> wq = WQ_TIMER; wq_jiffy = jiffy; armed = 1
	:: else -> armed = 0
	fi
}

#define KICK_NOW	1	/* srcu_gp_work_kick() */
#define KICK_ARM	2	/* BROKEN_ARM_UNLOCKED: the sleep's timer */

inline kick_work(kick)	/* what is owed once sup->lock is dropped */
{
	atomic {
		if
		:: kick == KICK_NOW -> wq = WQ_QUEUED; wq_jiffy = 0
		:: else -> queue_delayed(1, armed); armed = 0
		fi;
		kicks--;
		kick = 0
	}
}

/*
 * srcu_gp_work_locked(): ask for process_srcu() after a sleep (delay), or
 * now (poll: a poll's timer if nothing is queued); kick is set if the
 * caller must kick the work once it has dropped the lock.  Under sup->lock.
 */
inline gp_work_locked(delay, poll, kick)
{
	kick = 0;
	if
	:: delay ->
		if
		:: gp_work == GPW_NOW || GP_ASLEEP -> skip
		:: else ->
			sleep_gp = gp_seq;
			sleep_needed_exp = needed_exp;
			if
			:: gp_work == GPW_IDLE ->
#ifndef BROKEN_ARM_UNLOCKED
				queue_delayed(1, armed);
				gp_work = (armed -> GPW_SLEEPING : GPW_NOW)
#else
				/* Broken: recorded now, armed once the lock is dropped. */
				gp_work = GPW_SLEEPING;
				kick = KICK_ARM;
				kicks++
#endif
			:: else -> skip		/* a sleep armed already: taken over */
			fi
		fi
	:: else ->
		if
		:: gp_work == GPW_NOW || (GP_ASLEEP && !PROMOTE) -> skip
		:: else ->
			if
			:: poll && gp_work == GPW_IDLE ->
				gp_work = GPW_NOW;
				queue_delayed(0, armed)
			:: else ->
				gp_work = GPW_NOW;
				kick = KICK_NOW;
				kicks++
			fi
		fi
	fi;
	armed = 0
}

/* srcu_reschedule_locked(): if grace periods are still wanted, one runs. */
inline reschedule_locked(delay, poll, kick)
{
	if
	:: gp_seq >= needed ->
		assert(STATE(gp_seq) == IDLE);	/* every request served: idle */
		kick = 0
	:: else ->
		if
		:: STATE(gp_seq) == IDLE -> gp_start()
		:: else -> skip
		fi;
		gp_work_locked(delay, poll, kick)
	fi
}

/* srcu_exp_request_locked(): an expedited request is recorded at the root. */
inline exp_request_locked(caller_drives, kick)
{
	kick = 0;
	if
	:: GP_ASLEEP && !PROMOTE -> skip	/* left asleep: counted when it fires */
	:: else ->
		if
		:: GP_ASLEEP && caller_drives ->
#ifndef BROKEN_NO_MARK
			sleep_needed_exp = needed_exp
#else
			skip
#endif
		:: else -> skip
		fi;
		if
#ifdef BROKEN_NO_WAKE
		:: !caller_drives && !GP_ASLEEP -> gp_work_locked(0, 0, kick)
#else
		:: !caller_drives -> gp_work_locked(0, 0, kick)
#endif
		:: else -> skip
		fi
	fi
}

/* srcu_root_request() for an expedited waiter: nothing if s is done. */
inline root_request(s, kick)
{
	atomic {
		if
		:: DONE(s) -> kick = 0
		:: else -> funnel_gp_start(s, 0, 1, kick)
		fi
	}
}

/* srcu_funnel_gp_start() at the root, for a small struct (srcu_root_request()). */
inline funnel_gp_start(s, do_norm, caller_drives, kick)
{
	atomic {
		LOCK;
		if
		:: needed < s -> needed = s
		:: else -> skip
		fi;
		if
		:: !do_norm && needed_exp < s -> needed_exp = s
		:: else -> skip
		fi;
		kick = 0;
		if
		:: !DONE(s) && STATE(gp_seq) == IDLE ->
			gp_start();
			if
			:: do_norm ->
				get_delay(delay);
				gp_work_locked(delay, 0, kick)
			:: else -> skip
			fi
		:: else -> skip
		fi;
		if
		:: !do_norm -> exp_request_locked(caller_drives, kick)
		:: else -> skip
		fi;
		delay = 0;
		UNLOCK
	}
}

/* srcu_funnel_exp_start() at the root (s already requested as normal). */
inline funnel_exp_start(s, caller_drives, kick)
{
	atomic {
		LOCK;
		if
		:: needed_exp < s -> needed_exp = s
		:: else -> skip
		fi;
		exp_request_locked(caller_drives, kick);
		UNLOCK
	}
}

/*
 * srcu_gp_start_if_needed() without a callback: the internal reader, the
 * snapshot and CPU 0's srcu_data (one step: only the snapshot reads
 * anything that is not under sda[0].lock), the funnel, the reader left,
 * then the kick.
 */
inline request(s, do_norm, caller_drives, refine)
{
	readers++;
	atomic {
		s = SNAP(gp_seq);
		if			/* srcu_request_snap() */
		:: refine -> s = REFINE(gp_seq, s)
		:: else -> skip
		fi;
		if
		:: sdp_needed < s -> sdp_needed = s; needgp = 1
		:: else -> skip
		fi;
		if
		:: !do_norm && sdp_needed_exp < s -> sdp_needed_exp = s; needexp = 1
		:: else -> skip
		fi;
		if			/* ghost: E will drive until s is done */
		:: caller_drives -> e_s = s; e_waiting = 1
		:: else -> skip
		fi
	};
	/*
	 * A caller that drives s records it at the root itself, whoever else
	 * recorded it in sda[0] first (srcu_root_request()): that thread may
	 * not have got to the root yet.  BROKEN_NO_ROOT_REQUEST is the code
	 * before this was found (the waiter spun, or slept uncounted).
	 */
	if
	:: needgp -> funnel_gp_start(s, do_norm, caller_drives, kick)
#ifndef BROKEN_NO_ROOT_REQUEST
	:: !needgp && caller_drives -> root_request(s, kick)
	:: !needgp && !caller_drives && needexp -> funnel_exp_start(s, caller_drives, kick)
	:: !needgp && !caller_drives && !needexp -> kick = 0
#else
	:: !needgp && needexp -> funnel_exp_start(s, caller_drives, kick)
	:: !needgp && !needexp -> kick = 0
#endif
	fi;
	readers--;
	if
	:: kick -> kick_work(kick)
	:: else -> skip
	fi;
	needgp = 0;
	needexp = 0;
	kick = 0
}

/*
 * srcu_sleep_for_gp_end(): count, read the word, check, FUTEX_WAIT, which
 * sleeps only if the word has not changed.  A timed sleep may end at any
 * moment; an untimed one only when woken.
 */
inline sleep_for_gp_end(w, s, timed)
{
#ifndef COUNT_AFTER_WORD
	waiters++;
#endif
#ifndef BROKEN_WORD_AFTER_CHECK
	val = futex;
#endif
#ifdef COUNT_AFTER_WORD
	waiters++;
#endif
	if
	:: !DONE(s) ->
#ifdef BROKEN_WORD_AFTER_CHECK
		val = futex;
#endif
		atomic {
			if
			:: futex == val -> fq[w] = 1
			:: else -> skip
			fi
		};
		if
		:: timed -> fq[w] = 0		/* the timeout, or a wake */
		:: !timed -> fq[w] == 0		/* a wake */
		fi
	:: else -> skip
	fi;
	waiters--;
	val = 0
}

/* The GP pool's worker, and the work's timer. */
proctype worker()
{
	byte gpseq, idx, endres, step, delay, kick, armed, val;
	bit ok, poll;

end:	do
	:: atomic {		/* the timer expires */
		wq == WQ_TIMER ->
		wq = WQ_QUEUED;
		fired_jiffy = wq_jiffy;
		wq_jiffy = 0
	   }
	:: atomic { wq == WQ_QUEUED -> wq = WQ_NONE; running = 1 };
		/* process_srcu() */
		atomic {
			LOCK;
#ifdef CHECK_COUNTED
			/* E asleep behind the sleep that just ran out: a transfer. */
			assert(!(fired_jiffy && GP_ASLEEP && fq[W_E] && e_untimed) ||
			       sleep_needed_exp < needed_exp);
#endif
			if
			:: GP_ASLEEP && sleep_needed_exp < needed_exp ->
				transfers++;
#ifdef CHECK_PROMOTED
				assert(transfers == 0);
#endif
#ifdef CHECK_COUNTED
				/* and only a run that a jiffy's sleep delayed */
				assert(fired_jiffy)
#endif
			:: else -> skip
			fi;
#ifndef BROKEN_KEEP_RECORD
			gp_work = GPW_IDLE;
#endif
			fired_jiffy = 0;
			UNLOCK
		};
#ifdef BROKEN_STALE_DELAY
		/* Broken: the delay read before the lock (and the pass). */
		get_delay(delay);
#endif
		advance_state(step);
		atomic {
			LOCK;
#ifndef BROKEN_STALE_DELAY
			if
			:: step == STEP_STARTED -> delay = 0
			:: else -> get_delay(delay)
			fi;
#endif
			throttle(delay);
			poll = (delay == 0 && step == STEP_READERS);
			reschedule_locked(delay, poll, kick);
			delay = 0;
			poll = 0;
			step = 0;
			UNLOCK
		};
		if
		:: kick -> kick_work(kick)
		:: else -> skip
		fi;
		running = 0
	od
}

/* call_srcu(): a normal request, from a thread that does not wait. */
proctype normal_cb()
{
	byte s, kick, delay, armed;
	bit needgp, needexp;

	request(s, 1, 0, 0)
}

/* call_srcu_expedited(): an expedited request, from a thread that does not wait. */
proctype expedited_cb()
{
	byte s, kick, delay, armed;
	bit needgp, needexp;

	request(s, 0, 0, 0);
	x_s = s
}

/* synchronize_srcu(): a normal request, then sleep until it is done. */
proctype normal_waiter()
{
	byte s, kick, delay, armed, val;
	bit needgp, needexp;

	request(s, 1, 0, PROMOTE);
	do
	:: DONE(s) -> break
	:: else -> sleep_for_gp_end(W_S, s, 0)
	od
}

/* synchronize_srcu_expedited(): request, then srcu_wait_expedited(). */
proctype expedited_waiter()
{
	byte s, kick, delay, armed, val, gpseq, idx, endres, step, work;
	bit needgp, needexp, ok, drove, asleep;

	request(s, 0, 1, PROMOTE);
	do
	:: DONE(s) -> break
	:: else ->
		if
		:: !PROMOTE ->		/* srcu_gp_asleep(), without the lock */
			gpseq = gp_seq;
			work = gp_work;
			asleep = (work == GPW_SLEEPING && STATE(gpseq) != IDLE &&
				  gpseq / 4 == sleep_gp / 4);
			gpseq = 0;
			work = 0
		:: else -> skip
		fi;
		if
		:: asleep ->
			e_untimed = 1;
			sleep_for_gp_end(W_E, s, 0);
			e_untimed = 0;
			asleep = 0
		:: else ->
			advance_state(step);
#ifdef CHECK_NO_SPIN
			/* Nothing to do while s is not done: the loop spins. */
			assert(step != STEP_IDLE || DONE(s));
#endif
			/* READERS: a poll, a timed sleep: a pause (header). */
			drove = 1
		fi
	od;
	e_waiting = 0;
	if
	:: drove ->
		atomic {
			LOCK;
			if
			:: step == STEP_STARTED -> delay = 0
			:: else -> get_delay(delay)
			fi;
			throttle(delay);
			reschedule_locked(delay, 0, kick);
			delay = 0;
			UNLOCK
		};
		if
		:: kick -> kick_work(kick)
		:: else -> skip
		fi
	:: else -> skip
	fi
}

proctype reader()
{
	byte n;

	do
	:: n < SECTIONS -> readers++; readers--; n++
	:: else -> break
	od
}

/*
 * The checks made in every state: a monitor whose steps are enabled only
 * in a bad state (each asserts the negation of its guard, so that spin's
 * report names the condition).  And when nothing else can move: no waiter
 * asleep, every requested grace period over.
 */

/* A grace period asleep on the work's timer with an expedited request it has not seen. */
#define UNSEEN_SLEEP	(!sup_lock && GP_ASLEEP && sleep_needed_exp < needed_exp)

/* X's grace period behind a jiffy's timer, with nobody about to run or drive it. */
#define X_BEHIND_TIMER	(x_s != 0 && !DONE(x_s) && wq == WQ_TIMER && wq_jiffy && \
			 !sup_lock && kicks == 0 && !running && !(e_waiting && e_s >= x_s))

/*
 * The record promises a run (NOW, SLEEPING) that nothing will make: the
 * item neither pending nor running, and no kick owed.  srcu_gp_end()'s
 * deferral of callbacks to process_srcu() relies on that promise.
 */
#define RECORD_LIES	(!sup_lock && gp_work != GPW_IDLE && wq == WQ_NONE && \
			 !running && kicks == 0)

/* E asleep, without a timeout, behind a grace period that sleeps on the timer. */
#define E_BEHIND_TIMER	(fq[W_E] && e_untimed && GP_ASLEEP)

active proctype monitor()
{
end:	if
	:: atomic { RECORD_LIES -> assert(!RECORD_LIES) }
#ifdef CHECK_PROMOTED
	:: atomic { UNSEEN_SLEEP -> assert(!UNSEEN_SLEEP) }
	:: atomic { X_BEHIND_TIMER -> assert(!X_BEHIND_TIMER) }
#endif
#ifdef CHECK_TRANSFER
	:: atomic { E_BEHIND_TIMER -> assert(!E_BEHIND_TIMER) }
#endif
	:: timeout -> assert(waiters == 0); assert(gp_seq >= needed)
	fi
}

init
{
	atomic {
		run worker();
		if
		:: HAS(N_CLIENT) -> run normal_cb()
		:: else -> skip
		fi;
		if
		:: HAS(E_CLIENT) -> run expedited_waiter()
		:: else -> skip
		fi;
		if
		:: HAS(X_CLIENT) -> run expedited_cb()
		:: else -> skip
		fi;
		if
		:: HAS(S_CLIENT) -> run normal_waiter()
		:: else -> skip
		fi;
		run reader()
	}
}
