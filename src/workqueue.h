/*
 * workqueue.h: the shared worker pool (the kernel's workqueues and delayed
 * work, in userspace) and the jiffies time base.  Used by srcutree.c and
 * srcutiny.c; one pool of each kind per flavour library, whatever the number
 * of srcu_structs.
 *
 * Semantics, as the kernel's:
 * - A work item is pending from the moment it is queued (or its timer is
 *   armed) until a worker starts running it.  Queueing a pending item does
 *   nothing and returns false.  An item queued while it runs runs again
 *   afterwards, on the same thread (no other worker is woken for it).  An
 *   item never runs on two workers at once.
 * - Delays are in jiffies of the hz tunable, measured from now: a delay of
 *   d runs the item d/hz seconds later (the kernel rounds to its next tick).
 */
#ifndef SRCU_WORKQUEUE_H
#define SRCU_WORKQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include <srcu/work.h>
#include "fork.h"
#include "internal.h"

#define srcu_init_work		SRCU_PRIV(init_work)
#define srcu_queue_work		SRCU_PRIV(queue_work)
#define srcu_queue_delayed_work	SRCU_PRIV(queue_delayed_work)
#define srcu_queue_delayed_work_ns	SRCU_PRIV(queue_delayed_work_ns)
#define srcu_mod_delayed_work	SRCU_PRIV(mod_delayed_work)
#define srcu_flush_work		SRCU_PRIV(flush_work)
#define srcu_work_busy		SRCU_PRIV(work_busy)
#define srcu_work_pending	SRCU_PRIV(work_pending)
#define srcu_current_work	SRCU_PRIV(current_work)
#define srcu_queue_work_nmisafe	SRCU_PRIV(queue_work_nmisafe)
#define srcu_wq_prepare		SRCU_PRIV(wq_prepare)
#define srcu_wq_help		SRCU_PRIV(wq_help)
#define srcu_wq_wait		SRCU_PRIV(wq_wait)
#define srcu_wq_user_begin	SRCU_PRIV(wq_user_begin)
#define srcu_wq_user_end	SRCU_PRIV(wq_user_end)
#define srcu_wq_fork_prepare	SRCU_PRIV(wq_fork_prepare)
#define srcu_wq_fork_parent	SRCU_PRIV(wq_fork_parent)
#define srcu_wq_fork_child	SRCU_PRIV(wq_fork_child)
#define srcu_now_ns		SRCU_PRIV(now_ns)
#define srcu_jiffy_ns		SRCU_PRIV(jiffy_ns)
#define srcu_jiffies		SRCU_PRIV(jiffies)
#define srcu_udelay		SRCU_PRIV(udelay)

/* Prepare w to run fn on pool (a zeroed item with func and pool set is too). */
void srcu_init_work(struct srcu_work *w, void (*fn)(struct srcu_work *),
		    enum srcu_work_pool pool);

/*
 * Queue w to run as soon as a worker is free.  Returns false if it was
 * already pending.  From a normal context: it may create the pool's first
 * worker (or, if the pool has none, try again).
 */
bool srcu_queue_work(struct srcu_work *w);

/*
 * The same, lock-free and async-signal-safe: it never creates a thread.
 * On a pool that has no worker, w waits for one, or for a helper
 * (srcu_wq_wait()); call srcu_wq_prepare() first from a normal context.
 */
bool srcu_queue_work_nmisafe(struct srcu_work *w);

/* Run w delay jiffies from now, unless it is already pending (false). */
bool srcu_queue_delayed_work(struct srcu_work *w, unsigned long delay);

/* The same, delay_ns nanoseconds from now (a timer's precision, not a tick's). */
bool srcu_queue_delayed_work_ns(struct srcu_work *w, uint64_t delay_ns);

/*
 * Run w delay jiffies from now, whether or not it was pending: a pending
 * timer is re-armed (0 runs it at once); an item already on the run queue
 * stays there.  Returns true if it was pending.  The kernel's
 * mod_delayed_work().
 */
bool srcu_mod_delayed_work(struct srcu_work *w, unsigned long delay);

/*
 * Wait until w is neither pending nor running (it may be re-queued later).
 * A pending timer fires at once (the kernel's flush_delayed_work()).  From
 * the worker running w itself it would deadlock: the library dies instead.
 */
void srcu_flush_work(struct srcu_work *w);

/* Is w pending or running? */
bool srcu_work_busy(const struct srcu_work *w);

/* Is w pending (queued, or its timer armed)?  A racy look, lock-free. */
bool srcu_work_pending(const struct srcu_work *w);

/* The work item the calling thread is running, or NULL if not a worker. */
struct srcu_work *srcu_current_work(void);

/*
 * Give each pool in the mask (1u << enum srcu_work_pool) its first worker
 * now, or try again if it has none: so that a later
 * srcu_queue_work_nmisafe(), perhaps from a signal handler, finds one, or
 * because work queued earlier on a workerless pool is waited for.  Not
 * async-signal-safe itself.
 */
void srcu_wq_prepare(unsigned int pools);

/*
 * The work items a waiting thread depends on: those of the pools in the
 * pools mask (1u << enum srcu_work_pool) for which mine(item, arg) is true,
 * typically the items of one srcu_struct.
 */
struct srcu_wq_owner {
	unsigned int pools;
	bool (*mine)(const struct srcu_work *item, const void *arg);
	const void *arg;
};

/*
 * For a thread about to wait for o's items.  A pool with a worker needs
 * no help.  On a pool that has none (none could be created), try again to
 * create one and, failing that, run o's due items here, one after another.
 * Returns false if every pool of o has a worker; true if o was helped, with
 * *sleep_ns (if not NULL) set to how long the caller may sleep before it
 * looks and helps again.  Not async-signal-safe; call it holding no lock
 * that o's items take.
 */
bool srcu_wq_help(const struct srcu_wq_owner *o, uint64_t *sleep_ns);

/*
 * Wait on the futex word *uaddr while it holds val, as a thread that needs
 * o's items to run: help them first if their pool has no worker
 * (srcu_wq_help()), and then sleep no longer than it says, nor than
 * timeout_ns if that is not 0.  May return early (signal, spurious
 * wake-up, a helper's poll, the timeout): callers loop.
 */
void srcu_wq_wait(int32_t *uaddr, int32_t val, const struct srcu_wq_owner *o,
		  uint64_t timeout_ns);

/*
 * Around user code (a callback) that the running item calls: user code may
 * block on anything, so fork() does not wait for it; the child never runs
 * the rest of it, and queues the item again (workqueue.c, "fork()").  So
 * the item's own state must be consistent, and everything it has still to
 * do reachable from the item, whenever it is inside: what the owner does
 * next time the item runs is up to it.  srcu_wq_user_end() may wait for a
 * fork in progress.  Only from inside an item, in pairs.
 */
void srcu_wq_user_begin(void);
void srcu_wq_user_end(void);

/* fork() handlers of the pools, called by src/fork.c. */
void srcu_wq_fork_prepare(void);
void srcu_wq_fork_parent(void);
void srcu_wq_fork_child(void);

/* Time base. */
uint64_t srcu_now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t srcu_jiffy_ns(void);		/* 1e9 / hz */
unsigned long srcu_jiffies(void);	/* srcu_now_ns() / srcu_jiffy_ns() */
void srcu_udelay(unsigned long us);	/* busy-wait (short) or sleep (long) */

#endif /* SRCU_WORKQUEUE_H */
