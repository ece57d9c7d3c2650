/*
 * srcutiny.c: Tiny SRCU, the kernel's kernel/rcu/srcutiny.c reimplemented
 * for threads that really run in parallel.  Entry points of libsrcu-tiny
 * (srcu_tiny_*); the inline readers are in include/srcu/tiny.h.
 *
 * The algorithm (doc/design.md has the long version):
 *
 * 1. Readers count themselves in srcu_lock_nesting[i], with
 *    i = ((srcu_idx + 1) & 2) >> 1.  srcu_idx is even while no grace
 *    period runs; a grace period makes it odd, which moves new readers to
 *    the other index, and even again when it ends.
 * 2. The kernel's Tiny runs on one CPU without preemption, so its readers
 *    never stall between loading srcu_idx and counting themselves.  Ours
 *    can, and may then count themselves on an index the previous grace
 *    period already saw empty.  So each grace period has two phases, as
 *    Tree's SCAN1 and SCAN2: (1) wait until the index readers are *not*
 *    using is empty (the stragglers), then flip srcu_idx to odd; (2) wait
 *    until the index they used is empty, then make srcu_idx even: done.
 * 3. Phase 1 and the flip happen in one hold of srcu_lock, and cookies
 *    (get_state_synchronize_srcu(), call_srcu()) read srcu_idx under the
 *    same lock, so no cookie can name a grace period whose phase-1 check
 *    has already passed (see srcu_idx_drained()).
 * 4. The driver (srcu_tiny_drive_gp(), on the grace-period pool) never
 *    waits for readers: if an index is not empty it sets srcu_gp_waiting
 *    and returns, and the reader whose exit empties that index re-queues
 *    it.  A pool shared by thousands of srcu_structs is never blocked by
 *    a reader that sleeps.  synchronize_srcu() runs the same driver in the
 *    caller's thread, first and whenever that reader wakes it too, so it
 *    never waits for a worker to be scheduled (an idle srcu_struct needs
 *    none at all).
 * 5. Callbacks wait on one FIFO list cut in three by two pointers:
 *
 *      head .. srcu_cb_done | .. srcu_cb_gp | .. tail
 *      GP over, to invoke    the running GP   a later GP
 *
 *    The invoker (srcu_tiny_invoke_cbs(), on the callback pool) runs them
 *    in order, one at a time; srcu_barrier() entrains a marker behind the
 *    last callback, in that callback's segment, so it needs no GP.
 * 6. synchronize_srcu() waits for its cookie on a futex that each grace
 *    period's end bumps, and the reader of point 4 too: it needs no worker
 *    of either pool, so a callback may call it (on another srcu_struct).
 * 7. Since nothing runs while a grace period waits for a reader, a timer
 *    of its own (srcu_stall_work, on the grace-period pool) looks again
 *    when a stall warning would be due (src/stall.c).
 *
 * Barriers, by letter (the readers' B, C and G are in tiny.h):
 *   A: before the driver reads a count.  Pairs with B.
 *   D: after the driver saw a count at zero, before it stores srcu_idx.
 *      Pairs with C.
 *   F: between setting srcu_gp_waiting and re-reading the count.  Pairs
 *      with G.
 */
#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <srcu/tiny.h>
#include <srcu/testing.h>
#include "broken.h"
#include "debug.h"
#include "internal.h"
#include "stall.h"
#include "stats.h"
#include "trace.h"
#include "workqueue.h"

/* Futexes.  Spurious and interrupted returns are fine: callers re-check. */

static void srcu_futex_wait(int *uaddr, int val)
{
	syscall(SYS_futex, uaddr, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void srcu_futex_wake(int *uaddr, int nr)
{
	syscall(SYS_futex, uaddr, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

/*
 * srcu_lock: a four-byte futex mutex (0 free, 1 held, 2 held and maybe
 * waited for), so that DEFINE_SRCU() initialises it with a zero.  Held
 * only for short, non-blocking sections.
 */
static void tiny_lock(struct srcu_tiny_struct *ssp)
{
	int c = 0;

	if (__atomic_compare_exchange_n(&ssp->srcu_lock, &c, 1, false,
					__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	if (c != 2)
		c = __atomic_exchange_n(&ssp->srcu_lock, 2, __ATOMIC_ACQUIRE);
	while (c != 0) {
		srcu_futex_wait(&ssp->srcu_lock, 2);
		c = __atomic_exchange_n(&ssp->srcu_lock, 2, __ATOMIC_ACQUIRE);
	}
}

static void tiny_unlock(struct srcu_tiny_struct *ssp)
{
	if (__atomic_exchange_n(&ssp->srcu_lock, 0, __ATOMIC_RELEASE) == 2)
		srcu_futex_wake(&ssp->srcu_lock, 1);
}

/* The callback list, linked through the rcu_head's own liburcu queue node. */

static struct rcu_head *srcu_cb_next(struct rcu_head *rhp)
{
	struct cds_wfcq_node *n = rhp->next.next;

	return n ? caa_container_of(n, struct rcu_head, next) : NULL;
}

/* Append rhp to the list; caller holds srcu_lock.  Returns the old tail. */
static struct rcu_head *srcu_cb_enqueue(struct srcu_tiny_struct *ssp,
					struct rcu_head *rhp)
{
	struct rcu_head *old = ssp->srcu_cb_tail;

	rhp->next.next = NULL;
	if (old)
		old->next.next = &rhp->next;
	else
		ssp->srcu_cb_head = rhp;
	ssp->srcu_cb_tail = rhp;
	return old;
}

/*
 * The update side's check of ssp: SRCU_DEBUG's (debug.h), and in every
 * build its srcu_state, so that a struct cleaned up or never initialised
 * is named instead of used.
 */
static void tiny_check_usable(struct srcu_tiny_struct *ssp, const char *call)
{
	srcu_debug_check_live(ssp, call);
	if (caa_unlikely(READ_ONCE(ssp->srcu_state) != SRCU_STATE_LIVE))
		srcu_die_unusable(ssp, READ_ONCE(ssp->srcu_state), ssp->srcu_name, call);
}

/* Grace periods. */

/* The index readers use while srcu_idx has value idx. */
static int srcu_reader_idx(unsigned long idx)
{
	return ((idx + 1) & 0x2) >> 1;
}

/* The first srcu_idx that ends a GP starting after now; under srcu_lock. */
static unsigned long srcu_cookie_locked(struct srcu_tiny_struct *ssp)
{
	return (ssp->srcu_idx + 3) & ~0x1UL;
}

/* Ask for the GP that ends at cookie; true if the driver must be queued. */
static bool srcu_request_locked(struct srcu_tiny_struct *ssp, unsigned long cookie)
{
	if (ULONG_CMP_GE(ssp->srcu_idx_max, cookie))
		return false;
	WRITE_ONCE(ssp->srcu_idx_max, cookie);
	return true;
}

/*
 * Is index i empty?  If not, leave srcu_gp_waiting set so that the reader
 * who empties it re-queues the driver.  Called under srcu_lock.
 *
 * Why a count seen at zero is enough, although a reader may load srcu_idx,
 * stall, and count itself on index i after we looked (a straggler):
 * the straggler increments, then B, then reads shared data; we have the
 * updater's prior stores (callers put a full barrier between their update
 * and the cookie or call_srcu() they take under srcu_lock, whose release
 * we acquired), then A, then read the count.  That is store-buffering with
 * full barriers on both sides: since we did not see its increment, the
 * straggler sees every update made before this check, so it cannot hold a
 * reference this grace period was asked to protect.  The updates this
 * argument does not cover are those whose cookie was taken after this
 * check; srcu_lock makes those see the flip that follows it, so they ask
 * for the next grace period, whose own checks cover them.
 *
 * The lost wake-up: we store srcu_gp_waiting, F, re-read the count; the
 * last reader decrements, G, reads srcu_gp_waiting.  Store-buffering
 * again: either we see the zero and go on, or it sees the flag and
 * re-queues us (both may happen; an extra run is harmless).
 */
static bool srcu_idx_drained(struct srcu_tiny_struct *ssp, int i)
{
	long *cnt = &ssp->srcu_lock_nesting[i].srcu_nesting;

	smp_mb(); /* A */ /* Pairs with B: updates before, counts after. */
	if (smp_load_acquire(cnt) != 0) {
		WRITE_ONCE(ssp->srcu_gp_waiting, i + 1);
		smp_mb(); /* F */ /* Pairs with G: flag before the count. */
		if (smp_load_acquire(cnt) != 0)
			return false;
	}
	WRITE_ONCE(ssp->srcu_gp_waiting, 0);
	smp_mb(); /* D */ /* Pairs with C: readers' sections before the GP's end. */
	return true;
}

/* Readers inside on index idx, for a stall warning: one counter, not per CPU. */
static long srcu_idx_readers(const void *ssp, unsigned int cpu, int idx)
{
	return __atomic_load_n(&((const struct srcu_tiny_struct *)ssp)->
			       srcu_lock_nesting[idx].srcu_nesting, __ATOMIC_RELAXED);
}

/* What a stall warning about ssp, waiting on index idx, says. */
static struct srcu_stall_gp srcu_stall_gp_of(struct srcu_tiny_struct *ssp, int idx)
{
	return (struct srcu_stall_gp){
		.ssp = ssp, .name = ssp->srcu_name, .idx = idx,
		.nr_cpus = 1, .readers = srcu_idx_readers,
	};
}

/* What the stall warnings have to do once srcu_lock is dropped. */
struct srcu_stall_todo {
	struct srcu_stall_report report;	/* a warning or an end line ... */
	bool print;				/* ... is due */
	int idx;				/* the index held up */
	uint64_t due_ns;			/* the timer's next look, or 0 */
};

/*
 * If readers hold the running grace period up (the driver left
 * srcu_gp_waiting set, and the count is not zero yet), the stall warnings
 * follow it: note in *t a warning that is due, and when to look next (for
 * the timer).  Called under srcu_lock.
 */
static void srcu_stall_follow(struct srcu_tiny_struct *ssp, struct srcu_stall_todo *t)
{
	unsigned int waiting = ssp->srcu_gp_waiting;
	unsigned long idx = ssp->srcu_idx;

	t->due_ns = 0;
	if (!waiting || !srcu_idx_readers(ssp, 0, (int)waiting - 1))
		return;
	t->idx = (int)waiting - 1;
	/* The grace period is named by the srcu_idx that ends it. */
	if (srcu_stall_held(&ssp->srcu_stall, (idx & 0x1) ? idx + 1 : idx + 2, &t->report))
		t->print = true;
	t->due_ns = srcu_stall_due_ns(&ssp->srcu_stall);
}

/*
 * With srcu_lock dropped: print what is due, and have the timer look again
 * when the next warning is, unless it is armed already (then for an
 * earlier time, or the same: a warning's due time only moves later).
 * Arming it while it runs is fine: it runs again.
 */
static void srcu_stall_do(struct srcu_tiny_struct *ssp, const struct srcu_stall_todo *t)
{
	uint64_t now;

	if (t->print) {
		struct srcu_stall_gp g = srcu_stall_gp_of(ssp, t->idx);

		srcu_stall_print(&g, &t->report);
	}
	if (!t->due_ns || srcu_work_pending(&ssp->srcu_stall_work))
		return;
	now = srcu_now_ns();
	srcu_queue_delayed_work_ns(&ssp->srcu_stall_work, t->due_ns > now ? t->due_ns - now : 1);
}

/* The stall warnings' timer (srcu_stall_work, GP pool). */
SRCU_EXPORT void SRCU_API(stall_check)(struct srcu_work *work)
{
	struct srcu_tiny_struct *ssp =
		caa_container_of(work, struct srcu_tiny_struct, srcu_stall_work);
	struct srcu_stall_todo t = { .print = false };

	tiny_lock(ssp);
	srcu_stall_follow(ssp, &t);
	tiny_unlock(ssp);
	srcu_stall_do(ssp, &t);
}

/*
 * Wake the threads asleep in srcu_wait_cookie(): a grace period ended, or
 * a reader emptied the index one waits for.  Async-signal-safe.  Seq-cst
 * RMW then load, against the waiter's; see srcu_wait_cookie().
 */
static void srcu_wake_waiters(struct srcu_tiny_struct *ssp)
{
	__atomic_fetch_add(&ssp->srcu_gp_end_futex, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ssp->srcu_gp_end_waiters, __ATOMIC_SEQ_CST))
		srcu_futex_wake(&ssp->srcu_gp_end_futex, INT32_MAX);
}

/*
 * Run grace periods as far as readers allow, until srcu_idx reaches
 * srcu_idx_max.  Never sleeps.  Serialised by srcu_lock, which it holds
 * throughout, so the worker and an inline synchronize_srcu() may both
 * call it.  Returns true if it ended at least one grace period.
 */
static bool srcu_advance(struct srcu_tiny_struct *ssp)
{
	struct srcu_stall_todo stall = { .print = false }, stall_end = { .print = false };
	bool ended = false, invoke = false, waiting;
	unsigned long idx;

	tiny_lock(ssp);
	for (;;) {
		idx = ssp->srcu_idx;
		if (!(idx & 0x1)) {
			if (ULONG_CMP_GE(idx, ssp->srcu_idx_max))
				break;		/* Nothing (more) asked for. */
			/* Phase 1.  Everything queued so far waits for this GP. */
			ssp->srcu_cb_gp = ssp->srcu_cb_tail != ssp->srcu_cb_done ?
					  ssp->srcu_cb_tail : NULL;
			/* Test-only: srcu-torture --broken=skip-phase1 skips it. */
			if (!srcu_test_broken(SRCU_BREAK_SKIP_PHASE1) &&
			    !srcu_idx_drained(ssp, !srcu_reader_idx(idx)))
				break;
			/*
			 * Flip.  Test-only: srcu-torture --broken=no-flip goes to
			 * phase 2 (odd) with the readers' index unchanged, since
			 * srcu_reader_idx(idx + 3) == srcu_reader_idx(idx) for an
			 * even idx.  Release, as every store of srcu_idx (below):
			 * a poller may read this value past its cookie.
			 */
			smp_store_release(&ssp->srcu_idx,
					  idx + (srcu_test_broken(SRCU_BREAK_NO_FLIP) ? 3 : 1));
			srcu_trace_gp_start(ssp, READ_ONCE(ssp->srcu_idx), 0);
			continue;
		}
		/*
		 * Phase 2: the index readers used before the flip.  Test-only:
		 * srcu-torture --broken=skip-phase2 skips it.
		 */
		if (!srcu_test_broken(SRCU_BREAK_SKIP_PHASE2) &&
		    !srcu_idx_drained(ssp, srcu_reader_idx(idx - 1)))
			break;
		/*
		 * GP done.  Release (D already ordered the readers' sections
		 * before it): pollers read srcu_idx with acquire, a chain from
		 * the readers' exits that ThreadSanitizer can follow, where it
		 * cannot follow D and the poller's fence.
		 */
		smp_store_release(&ssp->srcu_idx, idx + 1);
		srcu_trace_gp_end(ssp, idx + 1, 0);
		WRITE_ONCE(ssp->srcu_n_gp, ssp->srcu_n_gp + 1);
		if (srcu_stall_ended(&ssp->srcu_stall, &stall_end.report))
			stall_end.print = true;
		if (ssp->srcu_cb_gp) {
			ssp->srcu_cb_done = ssp->srcu_cb_gp;
			ssp->srcu_cb_gp = NULL;
			invoke = true;
		}
		ended = true;
	}
	srcu_stall_follow(ssp, &stall);
	waiting = ssp->srcu_gp_waiting;
	tiny_unlock(ssp);

	/*
	 * A reader's exit will queue the driver, perhaps in a signal handler,
	 * where no thread can be created: give the pool its worker now (if it
	 * stays workerless, our waiter runs it).  Before the reader queues
	 * it, or after (it waits on the queue for this worker): either way it
	 * runs.  Not under srcu_lock: on a pool without workers this takes
	 * the pool's lock, which a fork() holds across the fork, and the
	 * child would find srcu_lock held.
	 */
	if (waiting)
		srcu_wq_prepare(1u << SRCU_WQ_GP);

	srcu_stall_do(ssp, &stall_end);
	srcu_stall_do(ssp, &stall);
	if (invoke)
		srcu_queue_work(&ssp->srcu_cb_work);
	if (ended)
		srcu_wake_waiters(ssp);
	return ended;
}

SRCU_EXPORT void SRCU_API(drive_gp)(struct srcu_work *work)
{
	srcu_advance(caa_container_of(work, struct srcu_tiny_struct, srcu_work));
}

/*
 * A reader emptied the index the driver waits for: run it again, and wake
 * the threads in synchronize_srcu(), which run it themselves rather than
 * wait for a worker to be scheduled.  The reader may be in a signal
 * handler; srcu_advance() prepared the pool.
 */
SRCU_EXPORT void SRCU_API(gp_wake)(struct srcu_tiny_struct *ssp)
{
	srcu_queue_work_nmisafe(&ssp->srcu_work);
	srcu_wake_waiters(ssp);
}

/* Is w one of ssp's work items (the driver, the invoker, the stall timer)? */
static bool srcu_work_of(const struct srcu_work *w, const void *ssp)
{
	const struct srcu_tiny_struct *sp = ssp;

	return w == &sp->srcu_work || w == &sp->srcu_cb_work || w == &sp->srcu_stall_work;
}

/*
 * What a thread waiting for ssp's grace periods (pools: GP), or for its
 * callbacks too (GP and CB), runs itself if a pool has no worker.
 */
static struct srcu_wq_owner srcu_work_owner(struct srcu_tiny_struct *ssp, unsigned int pools)
{
	return (struct srcu_wq_owner){ .pools = pools, .mine = srcu_work_of, .arg = ssp };
}

/*
 * Drive grace periods from this thread until srcu_idx reaches cookie,
 * sleeping while readers hold them up.  The waiter counts itself, then
 * reads the futex word, then srcu_idx; the driver (or a reader that
 * emptied an index, srcu_tiny_gp_wake()) stores srcu_idx or its count,
 * bumps the word, then reads the waiter count, all sequentially
 * consistent: either we see the progress (or a changed word, and
 * FUTEX_WAIT returns at once) or we are woken.  Woken, we drive again
 * ourselves: no worker has to be scheduled between the last reader and us.
 */
static void srcu_wait_cookie(struct srcu_tiny_struct *ssp, unsigned long cookie)
{
	const struct srcu_wq_owner gp_work = srcu_work_owner(ssp, 1u << SRCU_WQ_GP);
	int val;

	__atomic_fetch_add(&ssp->srcu_gp_end_waiters, 1, __ATOMIC_SEQ_CST);
	for (;;) {
		val = __atomic_load_n(&ssp->srcu_gp_end_futex, __ATOMIC_SEQ_CST);
		if (ULONG_CMP_GE(__atomic_load_n(&ssp->srcu_idx, __ATOMIC_SEQ_CST), cookie))
			break;
		srcu_wq_wait(&ssp->srcu_gp_end_futex, val, &gp_work, 0);
		srcu_advance(ssp);
	}
	__atomic_fetch_sub(&ssp->srcu_gp_end_waiters, 1, __ATOMIC_SEQ_CST);
}

/* Callbacks. */

/*
 * Invoke, in order, the callbacks whose grace period has ended.  Each
 * leaves the list before it is called, so if another thread forks while a
 * callback runs (user code, which fork() does not wait for), the child's
 * list holds the ones behind it, srcu_cb_invoking says a callback is
 * running (the parent's), and the child's pool runs us again
 * (workqueue.h, srcu_wq_user_begin()): we go on with the rest.
 */
static void srcu_barrier_cb(struct rcu_head *rhp);

SRCU_EXPORT void SRCU_API(invoke_cbs)(struct srcu_work *work)
{
	struct srcu_tiny_struct *ssp =
		caa_container_of(work, struct srcu_tiny_struct, srcu_cb_work);
	struct rcu_head *rhp;
	long count;
	bool user;

	for (count = 0;; count++) {
		tiny_lock(ssp);
		rhp = ssp->srcu_cb_done ? ssp->srcu_cb_head : NULL;
		if (!rhp) {
			ssp->srcu_cb_invoking = 0;
			tiny_unlock(ssp);
			if (count)
				srcu_trace_callbacks_invoke(ssp, count);
			return;
		}
		ssp->srcu_cb_head = srcu_cb_next(rhp);
		if (rhp == ssp->srcu_cb_done)
			ssp->srcu_cb_done = NULL;
		if (rhp == ssp->srcu_cb_tail)
			ssp->srcu_cb_tail = NULL;
		/* A barrier's marker is not user code: cleanup may go ahead. */
		user = rhp->func != srcu_barrier_cb;
		ssp->srcu_cb_invoking = user;
		WRITE_ONCE(ssp->srcu_n_cbs_invoked, ssp->srcu_n_cbs_invoked + 1);
		tiny_unlock(ssp);
		if (!user) {
			rhp->func(rhp);
			continue;
		}
		srcu_wq_user_begin();
		rhp->func(rhp);
		srcu_wq_user_end();
	}
}

static void srcu_call(struct srcu_tiny_struct *ssp, struct rcu_head *rhp,
		      rcu_callback_t func)
{
	bool kick;

	if (!ssp || !rhp || !func)
		srcu_die("call_srcu: NULL %s", !ssp ? "srcu_struct" : !rhp ? "rcu_head" : "func");
	tiny_check_usable(ssp, "call_srcu()");
	rhp->func = func;
	smp_mb(); /* The caller's updates before the cookie; see srcu_idx_drained(). */
	tiny_lock(ssp);
	srcu_cb_enqueue(ssp, rhp);
	kick = srcu_request_locked(ssp, srcu_cookie_locked(ssp));
	WRITE_ONCE(ssp->srcu_n_cbs_queued, ssp->srcu_n_cbs_queued + 1);
	tiny_unlock(ssp);
	if (kick)
		srcu_queue_work(&ssp->srcu_work);
	/* If the pools have no worker yet, the work this needs may be queued already. */
	srcu_wq_prepare((1u << SRCU_WQ_GP) | (1u << SRCU_WQ_CB));
}

SRCU_EXPORT void SRCU_API(call)(struct srcu_tiny_struct *ssp, struct rcu_head *rhp,
				rcu_callback_t func)
{
	srcu_call(ssp, rhp, func);
}

/* Tiny has no expedited grace periods: the same as call_srcu() (the RFC). */
SRCU_EXPORT void SRCU_API(call_expedited)(struct srcu_tiny_struct *ssp,
					  struct rcu_head *rhp, rcu_callback_t func)
{
	srcu_call(ssp, rhp, func);
}

/* Polling. */

SRCU_EXPORT unsigned long SRCU_API(get_state_synchronize)(struct srcu_tiny_struct *ssp)
{
	unsigned long cookie;

	tiny_check_usable(ssp, "get_state_synchronize_srcu()");
	smp_mb(); /* The caller's updates before the cookie; see srcu_idx_drained(). */
	tiny_lock(ssp);
	cookie = srcu_cookie_locked(ssp);
	tiny_unlock(ssp);
	return cookie;
}

SRCU_EXPORT unsigned long SRCU_API(start_poll_synchronize)(struct srcu_tiny_struct *ssp)
{
	unsigned long cookie;
	bool kick;

	tiny_check_usable(ssp, "start_poll_synchronize_srcu()");
	smp_mb(); /* The caller's updates before the cookie; see srcu_idx_drained(). */
	tiny_lock(ssp);
	cookie = srcu_cookie_locked(ssp);
	kick = srcu_request_locked(ssp, cookie);
	tiny_unlock(ssp);
	if (kick)
		srcu_queue_work(&ssp->srcu_work);
	return cookie;
}

static bool srcu_cookie_done(struct srcu_tiny_struct *ssp, unsigned long cookie)
{
	/* Acquire: pairs with the release that ends the GP in srcu_advance(). */
	return cookie == SRCU_GET_STATE_COMPLETED ||
	       ULONG_CMP_GE(smp_load_acquire(&ssp->srcu_idx), cookie);
}

SRCU_EXPORT bool SRCU_API(poll_state_synchronize)(struct srcu_tiny_struct *ssp,
						  unsigned long cookie)
{
	const struct srcu_wq_owner gp_work = srcu_work_owner(ssp, 1u << SRCU_WQ_GP);

	tiny_check_usable(ssp, "poll_state_synchronize_srcu()");
	if (!srcu_cookie_done(ssp, cookie)) {
		/* On a GP pool without workers, pollers drive our grace periods. */
		if (!srcu_wq_help(&gp_work, NULL) || !srcu_cookie_done(ssp, cookie))
			return false;
	}
	smp_mb(); /* Pairs with D: the GP comes before what the caller does next. */
	return true;
}

SRCU_EXPORT unsigned long SRCU_API(batches_completed)(struct srcu_tiny_struct *ssp)
{
	return READ_ONCE(ssp->srcu_idx);
}

/* Waiting. */

/*
 * Wait for a full grace period: ask for one as start_poll does, drive it
 * here if no reader is in the way, else sleep until the driver ends it.
 */
SRCU_EXPORT void SRCU_API(synchronize)(struct srcu_tiny_struct *ssp)
{
	struct srcu_work *cur = srcu_current_work();
	unsigned long cookie;

	tiny_check_usable(ssp, "synchronize_srcu()");
	srcu_debug_not_reader(ssp, "synchronize_srcu");
	if (cur && cur->pool == SRCU_WQ_GP)
		srcu_die("synchronize_srcu() from the grace-period worker would deadlock");
	smp_mb(); /* The caller's updates before the cookie; see srcu_idx_drained(). */
	tiny_lock(ssp);
	cookie = srcu_cookie_locked(ssp);
	srcu_request_locked(ssp, cookie);
	tiny_unlock(ssp);
	/* If readers hold it up, srcu_gp_waiting makes the last one queue the driver. */
	srcu_advance(ssp);
	srcu_wait_cookie(ssp, cookie);
	smp_mb(); /* Pairs with D: the GP comes before what the caller does next. */
}

/* Tiny has no expedited grace periods: the same as synchronize_srcu(). */
SRCU_EXPORT void SRCU_API(synchronize_expedited)(struct srcu_tiny_struct *ssp)
{
	tiny_check_usable(ssp, "synchronize_srcu_expedited()");
	srcu_debug_not_reader(ssp, "synchronize_srcu_expedited");
	SRCU_API(synchronize)(ssp);
}

/* Nothing to expedite. */
SRCU_EXPORT void SRCU_API(expedite_current)(struct srcu_tiny_struct *ssp)
{
}

/* srcu_barrier(). */

struct srcu_barrier_marker {
	struct rcu_head head;	/* entrained behind the last callback */
	int done;		/* futex word: 1 once the invoker reached us */
};

static void srcu_barrier_cb(struct rcu_head *rhp)
{
	struct srcu_barrier_marker *m =
		caa_container_of(rhp, struct srcu_barrier_marker, head);

	__atomic_store_n(&m->done, 1, __ATOMIC_RELEASE);
	/* The waiter may already be gone: a wake on a stale address is harmless. */
	srcu_futex_wake(&m->done, 1);
}

/*
 * Wait until every callback queued before now has been invoked.  The
 * marker goes behind the last one, in the same segment, so it waits for
 * no grace period of its own; with no callback queued or running there is
 * nothing to wait for.
 */
SRCU_EXPORT void SRCU_API(barrier)(struct srcu_tiny_struct *ssp)
{
	const struct srcu_wq_owner all_work =
		srcu_work_owner(ssp, (1u << SRCU_WQ_GP) | (1u << SRCU_WQ_CB));
	struct srcu_work *cur = srcu_current_work();
	struct srcu_barrier_marker stack_m = { .done = 0 }, *m;
	struct rcu_head *old;
	bool kick = false;

	tiny_check_usable(ssp, "srcu_barrier()");
	srcu_debug_not_reader(ssp, "srcu_barrier");
	if (cur && cur->pool == SRCU_WQ_CB)
		srcu_die("srcu_barrier() from an SRCU callback would deadlock");
	/*
	 * The marker lives on the heap when it can: if another thread forks
	 * while we wait, the child invokes its copy of the list, marker
	 * included, and glibc may by then have given this thread's stack to
	 * one of the child's threads.  Out of memory, the stack will do.
	 */
	m = srcu_zalloc(sizeof(*m));
	if (!m)
		m = &stack_m;
	tiny_lock(ssp);
	if (!ssp->srcu_cb_head && !ssp->srcu_cb_invoking) {
		tiny_unlock(ssp);	/* Acquired: the last callback's effects are ours. */
		if (m != &stack_m)
			srcu_free(m);
		return;
	}
	m->head.func = srcu_barrier_cb;
	old = srcu_cb_enqueue(ssp, &m->head);
	if (!old || old == ssp->srcu_cb_done) {
		ssp->srcu_cb_done = &m->head;	/* Only waits for the invoker. */
		kick = true;
	} else if (old == ssp->srcu_cb_gp) {
		ssp->srcu_cb_gp = &m->head;	/* Ends with the running GP. */
	}					/* Else the GP asked for old covers it. */
	WRITE_ONCE(ssp->srcu_n_cbs_queued, ssp->srcu_n_cbs_queued + 1);
	tiny_unlock(ssp);
	if (kick)
		srcu_queue_work(&ssp->srcu_cb_work);
	while (!__atomic_load_n(&m->done, __ATOMIC_ACQUIRE))
		srcu_wq_wait(&m->done, 0, &all_work, 0);
	if (m != &stack_m)
		srcu_free(m);
}

/* Set-up and clean-up. */

static int srcu_init_common(struct srcu_tiny_struct *ssp)
{
	static const struct srcu_tiny_struct initial = SRCU_TINY_STRUCT_INITIALIZER(0);

	if (!ssp)
		return -EINVAL;
	*ssp = initial;
	return 0;
}

SRCU_EXPORT int SRCU_API(init)(struct srcu_tiny_struct *ssp)
{
	return srcu_init_common(ssp);
}

SRCU_EXPORT int SRCU_API(init_fast)(struct srcu_tiny_struct *ssp)
{
	return srcu_init_common(ssp);
}

SRCU_EXPORT int SRCU_API(init_fast_updown)(struct srcu_tiny_struct *ssp)
{
	return srcu_init_common(ssp);
}

/* Readers inside, a GP running or asked for, callbacks queued or running? */
static bool srcu_busy(struct srcu_tiny_struct *ssp)
{
	bool busy;

	tiny_lock(ssp);
	busy = __atomic_load_n(&ssp->srcu_lock_nesting[0].srcu_nesting, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&ssp->srcu_lock_nesting[1].srcu_nesting, __ATOMIC_ACQUIRE) ||
	       (ssp->srcu_idx & 0x1) || ULONG_CMP_LT(ssp->srcu_idx, ssp->srcu_idx_max) ||
	       ssp->srcu_cb_head || ssp->srcu_cb_invoking;
	tiny_unlock(ssp);
	return busy;
}

/*
 * Tiny allocates nothing, so clean-up only checks that nothing is going
 * on (where the kernel would WARN, we say -EBUSY and change nothing), and
 * waits for the pool to let go of the work items.  A reader must have
 * returned from its unlock before clean-up is called: one still inside
 * srcu_read_unlock() may re-queue the driver.
 */
SRCU_EXPORT int SRCU_API(cleanup)(struct srcu_tiny_struct *ssp)
{
	if (!ssp)
		return -EINVAL;
	srcu_debug_check_live(ssp, "cleanup_srcu_struct()");
	if (READ_ONCE(ssp->srcu_state) == SRCU_STATE_DEAD || !READ_ONCE(ssp->srcu_state))
		return 0;	/* Already cleaned up, or zeroed: nothing going on. */
	if (READ_ONCE(ssp->srcu_state) != SRCU_STATE_LIVE)
		return -EINVAL;	/* Never initialised. */
	if (srcu_busy(ssp))
		return -EBUSY;
	srcu_flush_work(&ssp->srcu_work);
	srcu_flush_work(&ssp->srcu_cb_work);
	srcu_flush_work(&ssp->srcu_stall_work);	/* fires an armed timer now */
	if (srcu_busy(ssp))
		return -EBUSY;
	WRITE_ONCE(ssp->srcu_state, SRCU_STATE_DEAD);
	srcu_debug_mark_cleaned(ssp);
	return 0;
}

/* Readers. */

SRCU_EXPORT void SRCU_API(bad_unlock)(struct srcu_tiny_struct *ssp, long idx,
				      const char *func)
{
	srcu_die("%s: bad index %ld (srcu_struct %p)", func, idx, (void *)ssp);
}

/*
 * Out-of-line readers: the exported twins of the inline fast paths, which
 * call them while SRCU_DEBUG's checks are on (so they count with the
 * fast paths' cores, not the inline readers).  With the checks on they
 * also track the readers each thread holds (debug.h), checked after the
 * unlock's own cheap index check; down/up readers are only checked for
 * use after clean-up, since another thread may release them.
 */

SRCU_EXPORT int SRCU_API(read_lock)(struct srcu_tiny_struct *ssp)
{
	int idx;

	srcu_debug_check_live(ssp, "srcu_read_lock()");
	idx = srcu_tiny_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NORMAL);
	srcu_debug_lock(ssp, idx, SRCU_READ_FLAVOR_NORMAL);
	return idx;
}

SRCU_EXPORT void SRCU_API(read_unlock)(struct srcu_tiny_struct *ssp, int idx)
{
	srcu_debug_check_live(ssp, "srcu_read_unlock()");
	srcu_tiny_ctr_unlock_mb(ssp, idx, "srcu_read_unlock");
	srcu_debug_unlock(ssp, idx, SRCU_READ_FLAVOR_NORMAL, "srcu_read_unlock");
}

/*
 * Test-only (<srcu/testing.h>): a normal reader counted on the index
 * readers are not using, as one that read srcu_idx before the last flip
 * and counts itself only now would be: the straggler that phase 1 waits
 * for.  So that it tests phase 1, it waits (10 ms at most) until no grace
 * period is in phase 2, which would wait for that index anyway, and counts
 * itself holding srcu_lock, so that no phase 1 or flip runs meanwhile.
 */
SRCU_EXPORT int SRCU_API(test_read_lock_straggler)(struct srcu_tiny_struct *ssp)
{
	int idx;

	srcu_debug_check_live(ssp, "srcu_read_lock()");
	for (int us = 0; us < 10000 && (READ_ONCE(ssp->srcu_idx) & 0x1); us++)
		srcu_udelay(1);
	/* If a GP got to phase 2 meanwhile, phase 2 is what must see us. */
	tiny_lock(ssp);
	idx = 1 ^ srcu_reader_idx(ssp->srcu_idx);	/* srcu_lock: no flip now */
	__atomic_fetch_or(&ssp->srcu_reader_flavor, SRCU_READ_FLAVOR_NORMAL, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ssp->srcu_lock_nesting[idx].srcu_nesting, 1, __ATOMIC_RELAXED);
	smp_mb(); /* B */ /* Pairs with A, as a reader's. */
	tiny_unlock(ssp);
	srcu_debug_lock(ssp, idx, SRCU_READ_FLAVOR_NORMAL);
	return idx;
}

SRCU_EXPORT int SRCU_API(read_lock_nmisafe)(struct srcu_tiny_struct *ssp)
{
	int idx;

	srcu_debug_check_live(ssp, "srcu_read_lock_nmisafe()");
	idx = srcu_tiny_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NMI);
	srcu_debug_lock(ssp, idx, SRCU_READ_FLAVOR_NMI);
	return idx;
}

SRCU_EXPORT void SRCU_API(read_unlock_nmisafe)(struct srcu_tiny_struct *ssp, int idx)
{
	srcu_debug_check_live(ssp, "srcu_read_unlock_nmisafe()");
	srcu_tiny_ctr_unlock_mb(ssp, idx, "srcu_read_unlock_nmisafe");
	srcu_debug_unlock(ssp, idx, SRCU_READ_FLAVOR_NMI, "srcu_read_unlock_nmisafe");
}

SRCU_EXPORT struct srcu_tiny_ctr *SRCU_API(read_lock_fast)(struct srcu_tiny_struct *ssp)
{
	struct srcu_tiny_ctr *scp;

	srcu_debug_check_live(ssp, "srcu_read_lock_fast()");
	scp = srcu_tiny_fast_lock(ssp, SRCU_READ_FLAVOR_FAST);
	srcu_debug_lock(ssp, (uintptr_t)scp, SRCU_READ_FLAVOR_FAST);
	return scp;
}

SRCU_EXPORT void SRCU_API(read_unlock_fast)(struct srcu_tiny_struct *ssp,
					    struct srcu_tiny_ctr *scp)
{
	srcu_debug_check_live(ssp, "srcu_read_unlock_fast()");
	srcu_tiny_fast_unlock(ssp, scp, "srcu_read_unlock_fast");
	srcu_debug_unlock(ssp, (uintptr_t)scp, SRCU_READ_FLAVOR_FAST, "srcu_read_unlock_fast");
}

SRCU_EXPORT struct srcu_tiny_ctr *
SRCU_API(read_lock_fast_updown)(struct srcu_tiny_struct *ssp)
{
	struct srcu_tiny_ctr *scp;

	srcu_debug_check_live(ssp, "srcu_read_lock_fast_updown()");
	scp = srcu_tiny_fast_lock(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
	srcu_debug_lock(ssp, (uintptr_t)scp, SRCU_READ_FLAVOR_FAST_UPDOWN);
	return scp;
}

SRCU_EXPORT void SRCU_API(read_unlock_fast_updown)(struct srcu_tiny_struct *ssp,
						   struct srcu_tiny_ctr *scp)
{
	srcu_debug_check_live(ssp, "srcu_read_unlock_fast_updown()");
	srcu_tiny_fast_unlock(ssp, scp, "srcu_read_unlock_fast_updown");
	srcu_debug_unlock(ssp, (uintptr_t)scp, SRCU_READ_FLAVOR_FAST_UPDOWN,
			  "srcu_read_unlock_fast_updown");
}

SRCU_EXPORT int SRCU_API(down_read)(struct srcu_tiny_struct *ssp)
{
	srcu_debug_check_live(ssp, "srcu_down_read()");
	return srcu_tiny_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NORMAL);
}

SRCU_EXPORT void SRCU_API(up_read)(struct srcu_tiny_struct *ssp, int idx)
{
	srcu_debug_check_live(ssp, "srcu_up_read()");
	srcu_tiny_ctr_unlock_mb(ssp, idx, "srcu_up_read");
}

SRCU_EXPORT struct srcu_tiny_ctr *SRCU_API(down_read_fast)(struct srcu_tiny_struct *ssp)
{
	srcu_debug_check_live(ssp, "srcu_down_read_fast()");
	return srcu_tiny_fast_lock(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
}

SRCU_EXPORT void SRCU_API(up_read_fast)(struct srcu_tiny_struct *ssp,
					struct srcu_tiny_ctr *scp)
{
	srcu_debug_check_live(ssp, "srcu_up_read_fast()");
	srcu_tiny_fast_unlock(ssp, scp, "srcu_up_read_fast");
}

/*
 * Without lockdep the kernel answers 1, and so do we; a debug build knows
 * which readers this thread holds (srcu_down_read() ones are not "held",
 * as in the kernel).
 */
SRCU_EXPORT int SRCU_API(read_lock_held)(const struct srcu_tiny_struct *ssp)
{
	srcu_debug_check_live(ssp, "srcu_read_lock_held()");
	return srcu_debug_held(ssp);
}

SRCU_EXPORT void SRCU_API(check_dereference)(const struct srcu_tiny_struct *ssp,
					     const char *expr, const char *file,
					     int line, const char *func)
{
	srcu_debug_check_dereference(ssp, expr, file, line, func);
}

/* Statistics. */

SRCU_EXPORT int SRCU_API(get_stats)(struct srcu_tiny_struct *ssp, struct srcu_stats *st)
{
	int i;

	if (!ssp || !st || READ_ONCE(ssp->srcu_state) != SRCU_STATE_LIVE)
		return -EINVAL;
	memset(st, 0, sizeof(*st));
	st->flavour = "tiny";
	st->gp_seq = READ_ONCE(ssp->srcu_idx);
	st->gp_seq_needed = READ_ONCE(ssp->srcu_idx_max);
	st->gp_seq_needed_exp = st->gp_seq_needed;	/* Every GP is both. */
	st->size_state_name = "tiny";
	st->nr_cpus = 1;
	st->gp_normal = READ_ONCE(ssp->srcu_n_gp);
	st->cbs_queued = READ_ONCE(ssp->srcu_n_cbs_queued);
	st->cbs_invoked = READ_ONCE(ssp->srcu_n_cbs_invoked);
	for (i = 0; i < 2; i++)
		st->readers[i] = READ_ONCE(ssp->srcu_lock_nesting[i].srcu_nesting);
	st->reader_flavours = READ_ONCE(ssp->srcu_reader_flavor);
	return 0;
}

SRCU_EXPORT void SRCU_API(stats_print)(struct srcu_tiny_struct *ssp, FILE *out,
				       const char *tag)
{
	struct srcu_stats st;

	if (!ssp)
		srcu_die("srcu_stats_print: NULL srcu_struct");
	if (SRCU_API(get_stats)(ssp, &st))
		srcu_die_unusable(ssp, READ_ONCE(ssp->srcu_state), ssp->srcu_name,
				  "srcu_stats_print");
	srcu_stats_write(&st, out ? out : stderr, tag ? tag : "srcu");
}
