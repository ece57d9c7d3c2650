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
 *   afterwards.  An item never runs on two workers at once.
 * - Delays are in jiffies of the hz tunable, measured from now: a delay of
 *   d runs the item d/hz seconds later (the kernel rounds to its next tick).
 */
#ifndef SRCU_WORKQUEUE_H
#define SRCU_WORKQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include <srcu/work.h>
#include "internal.h"

#define srcu_init_work		SRCU_PRIV(init_work)
#define srcu_queue_work		SRCU_PRIV(queue_work)
#define srcu_queue_delayed_work	SRCU_PRIV(queue_delayed_work)
#define srcu_mod_delayed_work	SRCU_PRIV(mod_delayed_work)
#define srcu_flush_work		SRCU_PRIV(flush_work)
#define srcu_work_busy		SRCU_PRIV(work_busy)
#define srcu_current_work	SRCU_PRIV(current_work)
#define srcu_wq_prepare		SRCU_PRIV(wq_prepare)
#define srcu_now_ns		SRCU_PRIV(now_ns)
#define srcu_jiffy_ns		SRCU_PRIV(jiffy_ns)
#define srcu_jiffies		SRCU_PRIV(jiffies)
#define srcu_udelay		SRCU_PRIV(udelay)

/* Prepare w to run fn on pool (a zeroed item with func and pool set is too). */
void srcu_init_work(struct srcu_work *w, void (*fn)(struct srcu_work *),
		    enum srcu_work_pool pool);

/*
 * Queue w to run as soon as a worker is free.  Returns false if it was
 * already pending.  Lock-free and async-signal-safe once the pool has
 * started (any earlier queue_* call from a normal context starts it).
 */
bool srcu_queue_work(struct srcu_work *w);

/* Run w delay jiffies from now, unless it is already pending (false). */
bool srcu_queue_delayed_work(struct srcu_work *w, unsigned long delay);

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

/* The work item the calling thread is running, or NULL if not a worker. */
struct srcu_work *srcu_current_work(void);

/*
 * Make sure pool has started (has a worker), so that a later
 * srcu_queue_work() on it, perhaps from a signal handler, need not start
 * it.  Not async-signal-safe itself.
 */
void srcu_wq_prepare(enum srcu_work_pool pool);

/* Time base. */
uint64_t srcu_now_ns(void);		/* CLOCK_MONOTONIC */
uint64_t srcu_jiffy_ns(void);		/* 1e9 / hz */
unsigned long srcu_jiffies(void);	/* srcu_now_ns() / srcu_jiffy_ns() */
void srcu_udelay(unsigned long us);	/* busy-wait (short) or sleep (long) */

#endif /* SRCU_WORKQUEUE_H */
