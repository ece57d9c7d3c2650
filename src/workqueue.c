/*
 * workqueue.c: the shared worker pool of src/workqueue.h (the kernel's
 * workqueues and delayed work, in userspace) and the jiffies time base.
 * Called by srcutree.c and srcutiny.c; compiled once into each flavour
 * library, so each library has its own two pools (SRCU_WQ_GP, SRCU_WQ_CB).
 *
 * Work item states (w->state, atomic, changed only by CAS):
 *   PENDING  queued or timer armed, not started yet; whoever sets it owns
 *            the item's place on the run queue or timer list.
 *   QUEUED   on the run queue (with PENDING).
 *   TIMER    on the timer list (with PENDING); set and cleared only under
 *            the pool lock, which also protects the list and w->due_ns.
 *   RUNNING  a worker is inside w->func.
 *   RERUN    queued, or taken off the run queue (a fired timer), while
 *            RUNNING: instead of starting it on a second worker, the
 *            thread already running it goes again.  This is how "never on
 *            two workers at once" is kept.
 *
 * Run queue: srcu_queue_work() claims the item with a CAS on its state and
 * pushes it on a lock-free LIFO (->pushed) with another CAS, then wakes an
 * idle worker with FUTEX_WAKE: no lock, nothing that is not
 * async-signal-safe.  Workers, under the pool lock, take the whole LIFO
 * with one exchange and reverse it onto a FIFO, so there is no ABA and
 * items run in about the order they were queued.
 *
 * Idle protocol: a worker with nothing to do raises ->idle, reads the futex
 * word ->wake_seq, re-checks ->pushed and sleeps on the word until the
 * earliest timer.  A producer pushes, then bumps the word and wakes one
 * sleeper if ->idle is non-zero.  All four accesses are seq_cst, so either
 * the producer sees the idle worker or the worker sees the pushed item.
 *
 * Threads: a pool starts with one worker on its first queue_* call.  It
 * keeps one spare: a worker that takes an item when no other worker is idle
 * starts another, up to max(2, online CPUs).  Items may block (callbacks,
 * Tiny's reader wait), and the spare means that work queued meanwhile, even
 * from a signal handler that cannot create threads, still finds a worker.
 * A spare that stays idle WQ_REAP_NS exits, so an idle process is back to
 * one thread per pool in use.  Failing to add a spare only warns.
 *
 * A pool without workers (not even its first could be created: EAGAIN from
 * RLIMIT_NPROC, say) carries on without one, and says so once on stderr:
 * - every queueing from a normal context, and every helping waiter, tries
 *   again to create a worker, at most once per WQ_RETRY_NS;
 * - meanwhile a thread that waits for an srcu_struct's work runs that work
 *   itself: srcu_wq_wait() and srcu_wq_help() take the items the caller
 *   names (its srcu_struct's) off the queue as they fall due and run them
 *   here, in turn with any other helper, and the waiter sleeps at most
 *   WQ_HELP_POLL_NS between looks (an item may be queued without waking it).
 * Nothing is lost: items nobody waits for stay queued until a worker can be
 * created.
 *
 * Timers: a per-pool list sorted by deadline (inserted from the tail: most
 * delays are equal).  Idle workers sleep with a futex timeout up to the
 * earliest deadline (hrtimer precision, not a tick), and whichever wakes
 * first moves due items to the FIFO.  Arming an earlier deadline wakes a
 * sleeper so that it sleeps again for the shorter time.
 *
 * Runs: every thread running an item (worker or helper) lists a record of
 * it (struct wq_runner, on its stack) in the pool's ->runners for as long
 * as it runs it.  An item's code is the library's own, which never waits
 * for a reader, a grace period or another item (only for the library's
 * short internal locks), except where the item calls user code: a
 * callback, bracketed by srcu_wq_user_begin() and srcu_wq_user_end(),
 * which may block on anything at all (a grace period that waits for a
 * reader of the forking thread, say).
 *
 * fork(): handlers called from src/fork.c, which orders them with the
 * library's other locks.
 *   prepare: take both pool locks (GP then CB; nothing else nests them),
 *            stop workers and helpers from starting new items, and wait
 *            until every run of another thread is either over or inside
 *            user code; a run that comes back from user code meanwhile
 *            waits in srcu_wq_user_end() until the fork is over.  So the
 *            wait is for library code only, which ends: fork() never waits
 *            for a callback.
 *   parent:  let them go on, and drop the locks.
 *   child:   the locks and condition variables are re-initialised; the
 *            pools have no threads (but the forking thread, if it was a
 *            worker, which goes on as one).  The runs of other threads are
 *            orphaned: the user code they were in belongs to the parent,
 *            and the child never runs it; their items are queued again, so
 *            that what they had still to do is done in the child too (each
 *            owner of an item with user code resumes after the callback it
 *            was in: srcutree.c and srcutiny.c).  Nothing queued is lost:
 *            items on the run queue or timer list stay there, and a worker
 *            is started at once if there are any (or if the forking thread
 *            is the pool's only, busy, worker), else on the next queue_*
 *            call; a child that cannot create it has a workerless pool,
 *            as above.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <urcu/arch.h>
#include <urcu/list.h>

#include <srcu/testing.h>
#include "params.h"
#include "workqueue.h"

#define WORK_PENDING	0x1u
#define WORK_QUEUED	0x2u
#define WORK_TIMER	0x4u
#define WORK_RUNNING	0x8u
#define WORK_RERUN	0x10u

#define NSEC_PER_SEC		1000000000ULL
#define WQ_REAP_NS		(2 * NSEC_PER_SEC)	/* a spare idle this long exits */
#define WQ_FORK_POLL_NS		(100 * 1000ULL)		/* fork prepare: between looks at the runs */
#define WQ_UDELAY_SPIN_US	50			/* shorter udelays busy-wait */
#define WQ_RETRY_NS		(10 * 1000000ULL)	/* workerless: between creation tries */
#define WQ_HELP_POLL_NS		(1000000ULL)		/* workerless: a helper's longest sleep */

struct wq_pool {
	/* Lock-free side: producers and the idle protocol. */
	struct srcu_work *pushed;	/* LIFO of newly queued items, CAS */
	int32_t wake_seq;		/* futex word the idle workers sleep on */
	int idle;			/* workers about to sleep or asleep */
	unsigned int nthreads;		/* workers alive; written under ->lock */

	/* Under ->lock. */
	pthread_mutex_t lock;
	pthread_cond_t flush_cond;	/* an item finished and someone flushes */
	pthread_cond_t resume_cond;	/* a fork is over */
	struct srcu_work *fifo_head;	/* items taken from ->pushed, in order */
	struct srcu_work *fifo_tail;
	struct cds_list_head timers;	/* armed delayed items, by ->due_ns */
	struct cds_list_head runners;	/* struct wq_runner of each item being run */
	unsigned int flushers;		/* threads in srcu_flush_work() */
	unsigned int next_id;		/* for thread names */
	int forking;			/* a fork is being prepared: start nothing (atomic) */
	bool said_workerless;		/* the warning that it has no worker is out */
	uint64_t retry_ns;		/* no worker: no new creation try before this */
	const char *name;		/* "gp" or "cb" */
};

#define WQ_POOL_INIT(p, n) {						\
	.lock = PTHREAD_MUTEX_INITIALIZER,				\
	.flush_cond = PTHREAD_COND_INITIALIZER,				\
	.resume_cond = PTHREAD_COND_INITIALIZER,			\
	.timers = CDS_LIST_HEAD_INIT(wq_pools[p].timers),		\
	.runners = CDS_LIST_HEAD_INIT(wq_pools[p].runners),		\
	.name = (n),							\
}

static struct wq_pool wq_pools[SRCU_WQ_NR_POOLS] = {
	[SRCU_WQ_GP] = WQ_POOL_INIT(SRCU_WQ_GP, "gp"),
	[SRCU_WQ_CB] = WQ_POOL_INIT(SRCU_WQ_CB, "cb"),
};

/*
 * One run of one item by one thread, on that thread's stack, listed in the
 * pool's ->runners (under its lock) while it lasts.  A helper's item may
 * wait and help in turn, so a thread may have several, innermost first.
 */
struct wq_runner {
	struct srcu_work *work;		/* the item */
	struct wq_runner *outer;	/* the run this one is nested in, or NULL */
	const void *thread;		/* the running thread (its &wq_runner) */
	struct cds_list_head node;	/* in the pool's ->runners */
	int in_user;			/* atomic: inside user code, see srcu_wq_user_begin() */
};

static unsigned int wq_max_threads;		/* max(2, online CPUs), set at start */
static int wq_fail_threads;			/* test-only: srcu_*_test_fail_threads() */
static pthread_once_t wq_once = PTHREAD_ONCE_INIT;

static __thread struct wq_runner *wq_runner;	/* innermost run of this thread */
static __thread struct wq_pool *wq_self;	/* pool this thread works for */

/* Time base. */

uint64_t srcu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t srcu_jiffy_ns(void)
{
	long hz = srcu_param(SRCU_PARAM_HZ);

	return NSEC_PER_SEC / (uint64_t)(hz > 0 ? hz : 1000);
}

unsigned long srcu_jiffies(void)
{
	return (unsigned long)(srcu_now_ns() / srcu_jiffy_ns());
}

void srcu_udelay(unsigned long us)
{
	uint64_t end = srcu_now_ns() + (uint64_t)us * 1000;
	struct timespec ts;

	if (us < WQ_UDELAY_SPIN_US) {
		while (srcu_now_ns() < end)
			caa_cpu_relax();
		return;
	}
	ts.tv_sec = (time_t)(end / NSEC_PER_SEC);
	ts.tv_nsec = (long)(end % NSEC_PER_SEC);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Futex: raw syscalls (FUTEX_WAKE is async-signal-safe). */

static void wq_futex_wait(int32_t *uaddr, int32_t val, const struct timespec *rel)
{
	/* EAGAIN (word changed), EINTR, ETIMEDOUT: the caller re-checks. */
	syscall(SYS_futex, uaddr, FUTEX_WAIT_PRIVATE, val, rel, NULL, 0);
}

static void wq_futex_wake(int32_t *uaddr, int nr)
{
	syscall(SYS_futex, uaddr, FUTEX_WAKE_PRIVATE, nr, NULL, NULL, 0);
}

/* Wake one idle worker, if there is one.  Lock-free, async-signal-safe. */
static void wq_kick(struct wq_pool *p)
{
	/* Pairs with the ->idle increment and ->pushed re-check in wq_sleep(). */
	if (__atomic_load_n(&p->idle, __ATOMIC_SEQ_CST) > 0) {
		__atomic_fetch_add(&p->wake_seq, 1, __ATOMIC_SEQ_CST);
		wq_futex_wake(&p->wake_seq, 1);
	}
}

/* Push a claimed (PENDING|QUEUED) item on the lock-free LIFO. */
static void wq_push(struct wq_pool *p, struct srcu_work *w)
{
	struct srcu_work *head = __atomic_load_n(&p->pushed, __ATOMIC_RELAXED);

	do {
		w->next = head;
		/* Release w->next to the worker's exchange; seq_cst for wq_kick(). */
	} while (!__atomic_compare_exchange_n(&p->pushed, &head, w, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
}

/* Append to the FIFO.  Caller holds p->lock. */
static void wq_fifo_append(struct wq_pool *p, struct srcu_work *first, struct srcu_work *last)
{
	last->next = NULL;
	if (p->fifo_tail)
		p->fifo_tail->next = first;
	else
		p->fifo_head = first;
	p->fifo_tail = last;
}

/* Timer-armed item to the FIFO, now.  Caller holds p->lock; w has TIMER. */
static void wq_fire_locked(struct wq_pool *p, struct srcu_work *w)
{
	unsigned int old = __atomic_load_n(&w->state, __ATOMIC_RELAXED);

	cds_list_del(&w->timer_node);
	while (!__atomic_compare_exchange_n(&w->state, &old,
					    (old & ~WORK_TIMER) | WORK_QUEUED, true,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	wq_fifo_append(p, w, w);
}

/* Insert w by deadline; true if it is now the earliest.  Caller holds p->lock. */
static bool wq_timer_insert_locked(struct wq_pool *p, struct srcu_work *w)
{
	struct cds_list_head *pos;

	/* From the tail: most delays are equal, so this is usually one step. */
	for (pos = p->timers.prev; pos != &p->timers; pos = pos->prev) {
		if (cds_list_entry(pos, struct srcu_work, timer_node)->due_ns <= w->due_ns)
			break;
	}
	cds_list_add(&w->timer_node, pos);
	return pos == &p->timers;
}

/* Nanoseconds in delay jiffies, saturated. */
static uint64_t wq_jiffies_ns(unsigned long delay)
{
	uint64_t j = srcu_jiffy_ns();

	return delay > UINT64_MAX / j ? UINT64_MAX : (uint64_t)delay * j;
}

static uint64_t wq_deadline(uint64_t delay_ns)
{
	uint64_t now = srcu_now_ns();

	return delay_ns > UINT64_MAX - now ? UINT64_MAX : now + delay_ns;
}

/*
 * Arm w's timer delay_ns from now unless it is pending.  Returns true if
 * armed.  Caller holds p->lock.
 */
static bool wq_arm_locked(struct wq_pool *p, struct srcu_work *w, uint64_t delay_ns)
{
	unsigned int old = __atomic_load_n(&w->state, __ATOMIC_RELAXED);

	do {
		if (old & WORK_PENDING)
			return false;
	} while (!__atomic_compare_exchange_n(&w->state, &old,
					      old | WORK_PENDING | WORK_TIMER, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	w->due_ns = wq_deadline(delay_ns);
	/* An earlier deadline than the sleepers know of: one sleeps again, shorter. */
	if (wq_timer_insert_locked(p, w))
		wq_kick(p);
	return true;
}

/*
 * Move due timers, then everything newly pushed, to the FIFO.  Caller
 * holds p->lock.
 */
static void wq_refill_locked(struct wq_pool *p)
{
	struct srcu_work *w, *lifo, *rev = NULL, *last;

	if (!cds_list_empty(&p->timers)) {
		uint64_t now = srcu_now_ns();

		while (!cds_list_empty(&p->timers)) {
			w = cds_list_entry(p->timers.next, struct srcu_work, timer_node);
			if (w->due_ns > now)
				break;
			wq_fire_locked(p, w);
		}
	}
	if (!__atomic_load_n(&p->pushed, __ATOMIC_RELAXED))
		return;
	/* Acquire: pairs with the CAS in wq_push(), for w->next. */
	lifo = __atomic_exchange_n(&p->pushed, NULL, __ATOMIC_ACQUIRE);
	last = lifo;
	while (lifo) {
		w = lifo->next;
		lifo->next = rev;
		rev = lifo;
		lifo = w;
	}
	if (rev)
		wq_fifo_append(p, rev, last);
}

/* Unlink w, which follows prev (NULL: w is first), from the FIFO.  Holds p->lock. */
static void wq_fifo_unlink(struct wq_pool *p, struct srcu_work *prev, struct srcu_work *w)
{
	if (prev)
		prev->next = w->next;
	else
		p->fifo_head = w->next;
	if (p->fifo_tail == w)
		p->fifo_tail = prev;
}

/* The next item to run, off the FIFO, or NULL.  Caller holds p->lock. */
static struct srcu_work *wq_take_locked(struct wq_pool *p)
{
	struct srcu_work *w;

	wq_refill_locked(p);
	w = p->fifo_head;
	if (w)
		wq_fifo_unlink(p, NULL, w);
	return w;
}

static bool wq_has_work_locked(struct wq_pool *p)
{
	return p->fifo_head || __atomic_load_n(&p->pushed, __ATOMIC_RELAXED) ||
	       !cds_list_empty(&p->timers);
}

static void *wq_worker(void *arg);

/*
 * Start one more worker.  Caller holds p->lock.  A pool that cannot create
 * its first worker goes on without one (see the top of this file).
 */
static bool wq_spawn_locked(struct wq_pool *p)
{
	pthread_attr_t attr;
	sigset_t all, old;
	pthread_t tid;
	char name[16];
	int err;

	srcu_check_pthread(pthread_attr_init(&attr));
	srcu_check_pthread(pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED));
	/* Workers take no signals: handlers belong to the application's threads. */
	sigfillset(&all);
	srcu_check_pthread(pthread_sigmask(SIG_SETMASK, &all, &old));
	err = READ_ONCE(wq_fail_threads) ? EAGAIN : pthread_create(&tid, &attr, wq_worker, p);
	srcu_check_pthread(pthread_sigmask(SIG_SETMASK, &old, NULL));
	pthread_attr_destroy(&attr);
	if (err) {
		if (p->nthreads) {
			srcu_warn_once("cannot add a worker thread to the %s pool (%s); "
				       "continuing with %u", p->name, strerror(err), p->nthreads);
			return false;
		}
		p->retry_ns = srcu_now_ns() + WQ_RETRY_NS;
		if (!p->said_workerless) {
			p->said_workerless = true;
			SRCU_PRIV(warn)("cannot create a worker thread for the %s pool (%s); "
					"until one can be created, threads that wait for "
					"its work run it themselves", p->name, strerror(err));
		}
		return false;
	}
	/* Atomic: wq_start() and srcu_wq_help() read it without the lock. */
	WRITE_ONCE(p->nthreads, p->nthreads + 1);
	/* The thread cannot exit before it gets p->lock, which we hold. */
	snprintf(name, sizeof(name), "srcu-%s-%s%u", SRCU_FLAVOUR_STR, p->name,
		 p->next_id++ % 100u);
	pthread_setname_np(tid, name);
	return true;
}

/* Workerless: try to create a worker again, if it is time.  Caller holds p->lock. */
static void wq_retry_locked(struct wq_pool *p)
{
	if (!p->nthreads && srcu_now_ns() >= p->retry_ns)
		wq_spawn_locked(p);
}

static void wq_init_once(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	wq_max_threads = n > 2 ? (unsigned int)n : 2;
	srcu_fork_handlers();
}

/*
 * Give p a worker if it has none and may try now: its first on the first
 * call, later ones after a failure.  Not async-signal-safe.
 */
static void wq_start(struct wq_pool *p)
{
	/*
	 * Relaxed: a stale zero only costs the lock; a worker, once there,
	 * stays (the last one never exits, see wq_sleep()).
	 */
	if (caa_likely(READ_ONCE(p->nthreads)))
		return;
	pthread_once(&wq_once, wq_init_once);
	srcu_check_pthread(pthread_mutex_lock(&p->lock));
	wq_retry_locked(p);
	srcu_check_pthread(pthread_mutex_unlock(&p->lock));
}

/*
 * Run w, and again as long as it was re-queued and dequeued meanwhile
 * (RERUN).  If another worker is already running w, leave it RERUN for
 * that worker instead.  w is not touched after RUNNING is cleared: its
 * owner may free it as soon as flush_work sees it idle.
 */
static void wq_run(struct srcu_work *w)
{
	unsigned int old = __atomic_load_n(&w->state, __ATOMIC_RELAXED), new;

	do {
		if (old & WORK_RUNNING)
			new = (old & ~WORK_QUEUED) | WORK_RERUN;
		else
			new = (old & ~(WORK_PENDING | WORK_QUEUED)) | WORK_RUNNING;
	} while (!__atomic_compare_exchange_n(&w->state, &old, new, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	if (old & WORK_RUNNING)
		return;
	for (;;) {
		w->func(w);
		/* Seq_cst: what func did is visible to whoever sees it idle. */
		old = __atomic_load_n(&w->state, __ATOMIC_RELAXED);
		do {
			if (old & WORK_RERUN)
				new = old & ~(WORK_RERUN | WORK_PENDING);
			else
				new = old & ~WORK_RUNNING;
		} while (!__atomic_compare_exchange_n(&w->state, &old, new, true,
						      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
		if (!(old & WORK_RERUN))
			break;
	}
}

/*
 * Nothing to do: sleep until kicked or the earliest timer.  Returns true
 * if this worker is a spare that has been idle long enough to exit.
 * Called and returns with p->lock held.
 */
static bool wq_sleep(struct wq_pool *p, uint64_t idle_since)
{
	uint64_t now = srcu_now_ns(), until = UINT64_MAX;
	struct timespec rel, *relp = NULL;
	int32_t seq;

	if (p->nthreads > 1) {
		/* Exit only if another worker is idle, so one spare always stays. */
		if (now - idle_since >= WQ_REAP_NS &&
		    __atomic_load_n(&p->idle, __ATOMIC_RELAXED) > 0)
			return true;
		until = idle_since + WQ_REAP_NS;
	}
	if (!cds_list_empty(&p->timers)) {
		uint64_t due = cds_list_entry(p->timers.next, struct srcu_work,
					      timer_node)->due_ns;

		if (due < until)
			until = due;
	}
	if (until != UINT64_MAX) {
		uint64_t d = until > now ? until - now : 0;

		if (d > (uint64_t)INT_MAX * NSEC_PER_SEC)
			d = (uint64_t)INT_MAX * NSEC_PER_SEC;
		rel.tv_sec = (time_t)(d / NSEC_PER_SEC);
		rel.tv_nsec = (long)(d % NSEC_PER_SEC);
		relp = &rel;
	}
	/* Pairs with wq_kick(): raise idle, then look for work once more. */
	__atomic_fetch_add(&p->idle, 1, __ATOMIC_SEQ_CST);
	seq = __atomic_load_n(&p->wake_seq, __ATOMIC_SEQ_CST);
	srcu_check_pthread(pthread_mutex_unlock(&p->lock));
	if (!__atomic_load_n(&p->pushed, __ATOMIC_SEQ_CST))
		wq_futex_wait(&p->wake_seq, seq, relp);
	srcu_check_pthread(pthread_mutex_lock(&p->lock));
	__atomic_fetch_sub(&p->idle, 1, __ATOMIC_SEQ_CST);
	return false;
}

/*
 * Run w, taken off p's queue, in this thread, listed in ->runners (for
 * fork()).  Called and returns with p->lock held; drops it meanwhile.
 */
static void wq_run_listed_locked(struct wq_pool *p, struct srcu_work *w)
{
	struct wq_runner r = { .work = w, .outer = wq_runner, .thread = &wq_runner };

	cds_list_add(&r.node, &p->runners);
	wq_runner = &r;
	srcu_check_pthread(pthread_mutex_unlock(&p->lock));
	wq_run(w);
	srcu_check_pthread(pthread_mutex_lock(&p->lock));
	wq_runner = r.outer;
	cds_list_del(&r.node);
	if (p->flushers)
		srcu_check_pthread(pthread_cond_broadcast(&p->flush_cond));
}

static void *wq_worker(void *arg)
{
	struct wq_pool *p = arg;
	uint64_t idle_since = srcu_now_ns();
	struct srcu_work *w;

	wq_self = p;
	srcu_check_pthread(pthread_mutex_lock(&p->lock));
	for (;;) {
		if (READ_ONCE(p->forking)) {
			srcu_check_pthread(pthread_cond_wait(&p->resume_cond, &p->lock));
			continue;
		}
		w = wq_take_locked(p);
		if (!w) {
			if (wq_sleep(p, idle_since))
				break;
			continue;
		}
		if (!__atomic_load_n(&p->idle, __ATOMIC_SEQ_CST) &&
		    p->nthreads < wq_max_threads)
			wq_spawn_locked(p);	/* keep a spare */
		else if (p->fifo_head)
			wq_kick(p);		/* more for the idle ones */
		wq_run_listed_locked(p, w);
		idle_since = srcu_now_ns();
	}
	WRITE_ONCE(p->nthreads, p->nthreads - 1);
	srcu_check_pthread(pthread_mutex_unlock(&p->lock));
	return NULL;
}

/* Helping: a waiter runs its own items on a pool that has no worker. */

/* The first item on p's run queue that o names, or NULL.  Holds p->lock. */
static struct srcu_work *wq_take_mine_locked(struct wq_pool *p, const struct srcu_wq_owner *o)
{
	struct srcu_work *w, *prev = NULL;

	wq_refill_locked(p);
	for (w = p->fifo_head; w; prev = w, w = w->next) {
		if (o->mine(w, o->arg)) {
			wq_fifo_unlink(p, prev, w);
			return w;
		}
	}
	return NULL;
}

/* How long until the first of o's timers on p is due, at most limit.  Holds p->lock. */
static uint64_t wq_next_due_locked(struct wq_pool *p, const struct srcu_wq_owner *o,
				   uint64_t limit)
{
	uint64_t now = srcu_now_ns();
	struct srcu_work *w;

	/* Sorted by deadline: the first of ours is the earliest. */
	cds_list_for_each_entry(w, &p->timers, timer_node) {
		if (!o->mine(w, o->arg))
			continue;
		if (w->due_ns <= now)
			return 0;
		return w->due_ns - now < limit ? w->due_ns - now : limit;
	}
	return limit;
}

bool srcu_wq_help(const struct srcu_wq_owner *o, uint64_t *sleep_ns)
{
	uint64_t sleep = WQ_HELP_POLL_NS;
	bool helped = false;
	struct srcu_work *w;

	for (int i = 0; i < SRCU_WQ_NR_POOLS; i++) {
		struct wq_pool *p = &wq_pools[i];

		/* Relaxed, as in wq_start(): workers, once there, stay. */
		if (!(o->pools & (1u << i)) || caa_likely(READ_ONCE(p->nthreads)))
			continue;
		pthread_once(&wq_once, wq_init_once);
		srcu_check_pthread(pthread_mutex_lock(&p->lock));
		wq_retry_locked(p);
		if (!p->nthreads) {
			helped = true;
			while (!READ_ONCE(p->forking) && (w = wq_take_mine_locked(p, o)))
				wq_run_listed_locked(p, w);
			sleep = wq_next_due_locked(p, o, sleep);
		}
		srcu_check_pthread(pthread_mutex_unlock(&p->lock));
	}
	if (sleep_ns)
		*sleep_ns = sleep;
	return helped;
}

void srcu_wq_wait(int32_t *uaddr, int32_t val, const struct srcu_wq_owner *o,
		  uint64_t timeout_ns)
{
	struct timespec rel;
	uint64_t sleep;

	/*
	 * If our items changed *uaddr meanwhile, FUTEX_WAIT returns at once.
	 * A helper's sleep may be 0 (an item of ours is due now): no sleep.
	 */
	if (!srcu_wq_help(o, &sleep)) {
		if (!timeout_ns) {
			wq_futex_wait(uaddr, val, NULL);
			return;
		}
		sleep = timeout_ns;
	} else if (timeout_ns && timeout_ns < sleep) {
		sleep = timeout_ns;
	}
	rel.tv_sec = (time_t)(sleep / NSEC_PER_SEC);
	rel.tv_nsec = (long)(sleep % NSEC_PER_SEC);
	wq_futex_wait(uaddr, val, &rel);
}

SRCU_EXPORT void SRCU_API(test_fail_threads)(int fail)
{
	__atomic_store_n(&wq_fail_threads, !!fail, __ATOMIC_SEQ_CST);
}

/* The API of workqueue.h. */

void srcu_init_work(struct srcu_work *w, void (*fn)(struct srcu_work *),
		    enum srcu_work_pool pool)
{
	w->func = fn;
	w->next = NULL;
	CDS_INIT_LIST_HEAD(&w->timer_node);
	w->due_ns = 0;
	__atomic_store_n(&w->state, 0, __ATOMIC_RELAXED);
	w->pool = pool;
}

static struct wq_pool *wq_pool_of(const struct srcu_work *w)
{
	SRCU_BUG_ON(w->pool >= SRCU_WQ_NR_POOLS);
	return &wq_pools[w->pool];
}

void srcu_wq_prepare(unsigned int pools)
{
	for (int i = 0; i < SRCU_WQ_NR_POOLS; i++)
		if (pools & (1u << i))
			wq_start(&wq_pools[i]);
}

/*
 * Claim w and put it on p's run queue; false if it was pending.  Lock-free.
 * An item queued while it runs (from its own func, or from another thread)
 * is only marked RERUN: the thread running it runs it again as soon as
 * func returns (wq_run()), with no trip through the run queue and no
 * worker woken.  Put on the queue, it would wake a spare worker only for
 * that worker to find it running and mark it RERUN itself: a FUTEX_WAKE on
 * the path of every expedited request that found process_srcu() running.
 * The CAS decides against the runner's own CAS that clears RUNNING:
 * either the runner sees RERUN, or we see RUNNING gone and queue.
 */
static bool wq_enqueue(struct wq_pool *p, struct srcu_work *w)
{
	unsigned int old = __atomic_load_n(&w->state, __ATOMIC_RELAXED), new;
	bool running;

	do {
		if (old & WORK_PENDING)
			return false;
		running = old & WORK_RUNNING;
		new = old | WORK_PENDING | (running ? WORK_RERUN : WORK_QUEUED);
	} while (!__atomic_compare_exchange_n(&w->state, &old, new, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	if (running)
		return true;
	wq_push(p, w);
	wq_kick(p);
	return true;
}

bool srcu_queue_work(struct srcu_work *w)
{
	struct wq_pool *p = wq_pool_of(w);

	wq_start(p);
	return wq_enqueue(p, w);
}

bool srcu_queue_work_nmisafe(struct srcu_work *w)
{
	return wq_enqueue(wq_pool_of(w), w);
}

bool srcu_queue_delayed_work_ns(struct srcu_work *w, uint64_t delay_ns)
{
	struct wq_pool *p = wq_pool_of(w);
	bool armed;

	if (!delay_ns)
		return srcu_queue_work(w);
	wq_start(p);
	srcu_check_pthread(pthread_mutex_lock(&p->lock));
	armed = wq_arm_locked(p, w, delay_ns);
	srcu_check_pthread(pthread_mutex_unlock(&p->lock));
	return armed;
}

bool srcu_queue_delayed_work(struct srcu_work *w, unsigned long delay)
{
	return srcu_queue_delayed_work_ns(w, wq_jiffies_ns(delay));
}

bool srcu_mod_delayed_work(struct srcu_work *w, unsigned long delay)
{
	struct wq_pool *p = wq_pool_of(w);
	bool was_pending = true;

	wq_start(p);
	srcu_check_pthread(pthread_mutex_lock(&p->lock));
	if (__atomic_load_n(&w->state, __ATOMIC_RELAXED) & WORK_TIMER) {
		/* TIMER only changes under p->lock: it stays set meanwhile. */
		if (!delay) {
			wq_fire_locked(p, w);
			wq_kick(p);
		} else {
			cds_list_del(&w->timer_node);
			w->due_ns = wq_deadline(wq_jiffies_ns(delay));
			if (wq_timer_insert_locked(p, w))
				wq_kick(p);
		}
	} else if (delay) {
		/* Not pending: arm.  On the run queue: leave it there. */
		was_pending = !wq_arm_locked(p, w, wq_jiffies_ns(delay));
	} else {
		srcu_check_pthread(pthread_mutex_unlock(&p->lock));
		return !srcu_queue_work(w);
	}
	srcu_check_pthread(pthread_mutex_unlock(&p->lock));
	return was_pending;
}

static bool wq_is_item(const struct srcu_work *w, const void *item)
{
	return w == item;
}

void srcu_flush_work(struct srcu_work *w)
{
	struct wq_pool *p = wq_pool_of(w);
	const struct srcu_wq_owner just_w = { 1u << w->pool, wq_is_item, w };
	uint64_t sleep;

	if (srcu_current_work() == w)
		srcu_die("flush_work() of the work item this worker is running would deadlock");
	/* Pairs with the CAS that ends wq_run(): what the item did is visible. */
	if (!srcu_work_busy(w))
		return;
	srcu_check_pthread(pthread_mutex_lock(&p->lock));
	/* Like the kernel's flush_delayed_work(): a timer fires now. */
	if (__atomic_load_n(&w->state, __ATOMIC_RELAXED) & WORK_TIMER) {
		wq_fire_locked(p, w);
		wq_kick(p);
	}
	p->flushers++;
	while (srcu_work_busy(w)) {
		if (p->nthreads) {
			srcu_check_pthread(pthread_cond_wait(&p->flush_cond, &p->lock));
			continue;
		}
		/* Workerless: run w here, or poll while another helper does. */
		srcu_check_pthread(pthread_mutex_unlock(&p->lock));
		if (srcu_wq_help(&just_w, &sleep) && srcu_work_busy(w))
			srcu_udelay(sleep / 1000);
		srcu_check_pthread(pthread_mutex_lock(&p->lock));
	}
	p->flushers--;
	srcu_check_pthread(pthread_mutex_unlock(&p->lock));
}

bool srcu_work_busy(const struct srcu_work *w)
{
	return __atomic_load_n(&w->state, __ATOMIC_SEQ_CST) & (WORK_PENDING | WORK_RUNNING);
}

bool srcu_work_pending(const struct srcu_work *w)
{
	return __atomic_load_n(&w->state, __ATOMIC_RELAXED) & WORK_PENDING;
}

struct srcu_work *srcu_current_work(void)
{
	return wq_runner ? wq_runner->work : NULL;
}

void srcu_wq_user_begin(void)
{
	SRCU_BUG_ON(!wq_runner);
	/*
	 * Release: a fork prepare that reads 1 (and forks without waiting for
	 * us) sees the item's bookkeeping done, for the child's copy.  Going
	 * this way needs no store-load order: the prepare only waits less.
	 */
	__atomic_store_n(&wq_runner->in_user, 1, __ATOMIC_RELEASE);
}

/*
 * Back from user code, into the library's bookkeeping of the item.  A fork
 * being prepared may have counted this run out as "in user code": then
 * wait, in user code as far as it knows, until the fork is over.  Store
 * buffering with seq_cst on both sides: we store in_user = 0, then read
 * ->forking; the prepare stores ->forking, then reads in_user.  Either it
 * sees us back in the library and waits for us, or we see it and wait
 * for it.
 */
void srcu_wq_user_end(void)
{
	struct wq_runner *r = wq_runner;
	struct wq_pool *p = wq_pool_of(r->work);

	for (;;) {
		__atomic_store_n(&r->in_user, 0, __ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&p->forking, __ATOMIC_SEQ_CST))
			return;
		__atomic_store_n(&r->in_user, 1, __ATOMIC_SEQ_CST);
		srcu_check_pthread(pthread_mutex_lock(&p->lock));
		while (READ_ONCE(p->forking))
			srcu_check_pthread(pthread_cond_wait(&p->resume_cond, &p->lock));
		srcu_check_pthread(pthread_mutex_unlock(&p->lock));
	}
}

/* fork(): see the comment at the top of this file; src/fork.c calls these. */

static void wq_lock_all(void)
{
	for (int i = 0; i < SRCU_WQ_NR_POOLS; i++)
		srcu_check_pthread(pthread_mutex_lock(&wq_pools[i].lock));
}

static void wq_unlock_all(void)
{
	for (int i = SRCU_WQ_NR_POOLS - 1; i >= 0; i--)
		srcu_check_pthread(pthread_mutex_unlock(&wq_pools[i].lock));
}

/*
 * Is every run of another thread over or in user code?  The forking
 * thread's own runs go on in the child.  Caller holds every pool lock.
 */
static bool wq_runs_quiet_locked(void)
{
	struct wq_runner *r;

	for (int i = 0; i < SRCU_WQ_NR_POOLS; i++)
		cds_list_for_each_entry(r, &wq_pools[i].runners, node)
			if (r->thread != &wq_runner &&
			    !__atomic_load_n(&r->in_user, __ATOMIC_SEQ_CST))
				return false;
	return true;
}

void srcu_wq_fork_prepare(void)
{
	const struct timespec poll = { .tv_nsec = WQ_FORK_POLL_NS };

	wq_lock_all();
	/* Seq_cst: pairs with srcu_wq_user_end(). */
	for (int i = 0; i < SRCU_WQ_NR_POOLS; i++)
		__atomic_store_n(&wq_pools[i].forking, 1, __ATOMIC_SEQ_CST);
	/*
	 * Library code only: it waits for nothing but the library's short
	 * internal locks, never for a reader, a grace period or an item, so
	 * this ends.  The locks are dropped meanwhile so that the runs can
	 * finish (they take them at the end) and queue work.
	 */
	while (!wq_runs_quiet_locked()) {
		wq_unlock_all();
		nanosleep(&poll, NULL);
		wq_lock_all();
	}
	/* Quiet: both locks held across fork(). */
}

void srcu_wq_fork_parent(void)
{
	for (int i = SRCU_WQ_NR_POOLS - 1; i >= 0; i--) {
		__atomic_store_n(&wq_pools[i].forking, 0, __ATOMIC_SEQ_CST);
		srcu_check_pthread(pthread_cond_broadcast(&wq_pools[i].resume_cond));
	}
	wq_unlock_all();
}

/*
 * A run that another thread had going at the fork, which the child
 * does not have: queue its item again (unless it is queued or armed
 * already), so that its owner carries on in the child.  In the child's
 * fork handler, its only thread.
 */
static void wq_orphan_locked(struct wq_pool *p, struct srcu_work *w)
{
	unsigned int old = __atomic_load_n(&w->state, __ATOMIC_RELAXED);
	bool queue = !(old & (WORK_QUEUED | WORK_TIMER));

	old &= ~(WORK_RUNNING | WORK_RERUN);
	if (queue)
		old |= WORK_PENDING | WORK_QUEUED;
	__atomic_store_n(&w->state, old, __ATOMIC_RELAXED);
	if (queue)
		wq_fifo_append(p, w, w);
}

void srcu_wq_fork_child(void)
{
	struct wq_runner *r, *tmp;

	for (int i = 0; i < SRCU_WQ_NR_POOLS; i++) {
		struct wq_pool *p = &wq_pools[i];

		srcu_check_pthread(pthread_mutex_init(&p->lock, NULL));
		srcu_check_pthread(pthread_cond_init(&p->flush_cond, NULL));
		srcu_check_pthread(pthread_cond_init(&p->resume_cond, NULL));
		__atomic_store_n(&p->forking, 0, __ATOMIC_RELAXED);
		p->flushers = 0;
		/* The forking thread, if it works here, goes on as a worker. */
		WRITE_ONCE(p->nthreads, wq_self == p);
		p->retry_ns = 0;
		p->said_workerless = false;	/* a new process: it says so itself */
		__atomic_store_n(&p->idle, 0, __ATOMIC_RELAXED);
		/*
		 * The other threads' run records are on their stacks, which
		 * this process still has, until it creates threads: those may
		 * get the same stacks.  So every pool's are unlisted before
		 * the first thread is created.
		 */
		cds_list_for_each_entry_safe(r, tmp, &p->runners, node) {
			if (r->thread == &wq_runner)
				continue;
			cds_list_del(&r->node);
			wq_orphan_locked(p, r->work);
		}
	}
	for (int i = 0; i < SRCU_WQ_NR_POOLS; i++) {
		struct wq_pool *p = &wq_pools[i];

		/*
		 * Pending items need a worker now; so does a pool whose only
		 * worker is the forking thread, busy in its item.  If none can
		 * be created, the pool is workerless (see the top of the file).
		 */
		srcu_check_pthread(pthread_mutex_lock(&p->lock));
		if (p->nthreads || wq_has_work_locked(p))
			wq_spawn_locked(p);
		srcu_check_pthread(pthread_mutex_unlock(&p->lock));
	}
}
