/*
 * srcu_torture.c: the torture test of libsrcu, in the style of the kernel's
 * rcutorture.  Built once per flavour from tests/torture/CMakeLists.txt
 * (srcu-torture-tree, srcu-torture-tiny) against the public API, plus the
 * test hook of <srcu/testing.h> for --broken; ctest runs short runs, the
 * torture-long target long ones.  `--help` lists options.
 *
 * How it finds a grace period that ended too early: a writer replaces the
 * element that readers reach through one RCU-protected pointer.  The old
 * element's pipe count goes to 1 at removal and grows by one after every
 * grace period that completes later (synchronous waits, polling, barrier,
 * or its own chain of callbacks); at the pipe length it goes back to the
 * pool.  A reader records the pipe count of its element just before it
 * leaves: 0 or 1 is fine, 2 or more means a grace period that began after
 * the removal ended while the reader, which saw the element before the
 * removal, was still inside.  Around that core: publication markers,
 * reuse detection, cookie checks inside readers and after waits, every
 * callback invoked exactly once and not before its grace period, and
 * srcu_barrier() waiting for every callback queued before it.
 *
 * Several srcu_structs run in sequence (sub-runs), each with its own
 * reader flavour and, with --shuffle, its own tunables.  Normal sub-runs
 * also have a straggler (straggler_thread()), for the grace periods' first
 * phase; --no-workers runs everything without the library's worker
 * threads; --broken=NAME breaks something on purpose, and must fail.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srcu.h>
#include <srcu/testing.h>

#ifdef SRCU_TINY
#define TORTURE_FLAVOUR	"tiny"
#else
#define TORTURE_FLAVOUR	"tree"
#endif

#define PIPE_LEN	10		/* ages an element goes through before reuse */
#define POOL_SIZE	(10 * PIPE_LEN)	/* elements, as rcutorture sizes its pool */
#define NR_UPDATER_CBS	4		/* callbacks each extra updater owns */
#define ERR_REPORTS	10		/* detailed error lines printed per kind */

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define ATOMIC_INC(x)		__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)
/* Counters with a single writer: plain increments that others may read. */
#define OWNER_INC(x)		WRITE_ONCE(x, READ_ONCE(x) + 1)

/* ------------------------------------------------------------------ */
/* Options. */

enum rflavour {
	RF_NORMAL,		/* srcu_read_lock() */
	RF_NMISAFE,		/* srcu_read_lock_nmisafe(), also in signal handlers */
	RF_FAST,		/* srcu_read_lock_fast() */
	RF_UPDOWN,		/* srcu_down_read(), released here or by another thread */
	RF_FAST_UPDOWN,		/* srcu_down_read_fast(), likewise */
	RF_NR,
	RF_MIX = RF_NR		/* one sub-run per flavour */
};

static const char *const rflavour_names[] = {
	"normal", "nmisafe", "fast", "updown", "fast-updown", "mix",
};

/* Update primitives, used by the writer and the extra updaters. */
enum gp_op {
	OP_SYNC,		/* synchronize_srcu() */
	OP_SYNC_EXP,		/* synchronize_srcu_expedited() */
	OP_CALL,		/* call_srcu() */
	OP_CALL_EXP,		/* call_srcu_expedited() */
	OP_POLL,		/* start_poll_synchronize_srcu(), then poll */
	OP_STATE,		/* get_state_synchronize_srcu(), wait, poll must agree */
	OP_EXPEDITE,		/* start_poll, srcu_expedite_current(), then poll */
	OP_BARRIER,		/* srcu_barrier() */
	OP_NR
};

static const char *const op_names[] = {
	"sync", "sync-exp", "call", "call-exp", "poll", "state", "expedite", "barrier",
};

/* A tunable: -1 means "library default" (or "shuffled" with --shuffle). */
struct tunable {
	const char *param;	/* srcu_param_set() name */
	bool tree_only;		/* meaningless on Tiny: not set there */
	bool hex;		/* a bit mask: print in hex */
	const long *choices;	/* what --shuffle picks from */
	int nr_choices;
	long fixed;		/* set by option, or -1 */
	long cur;		/* value in force this sub-run, or -1 */
};

static const long hz_choices[] = { 100, 250, 1000 };
static const long bool_choices[] = { 0, 1 };
static const long big_choices[] = { 0, 1, 3, 0x13 };
static const long nr_cpus_choices[] = { 0, 4, 64, 256, 1024 };
static const long retry_choices[] = { 0, 5, 20 };
static const long holdoff_choices[] = { 0, 25000, 1000000 };

enum { T_HZ, T_PROMOTE, T_BIG, T_NR_CPUS, T_RETRY, T_HOLDOFF, T_NR };

#define CHOICES(a) a, (int)(sizeof(a) / sizeof((a)[0]))
static struct tunable tunables[T_NR] = {
	[T_HZ] = { "hz", false, false, CHOICES(hz_choices), -1, -1 },
	[T_PROMOTE] = { "promote_inflight", false, false, CHOICES(bool_choices), -1, -1 },
	[T_BIG] = { "convert_to_big", true, true, CHOICES(big_choices), -1, -1 },
	[T_NR_CPUS] = { "nr_cpus", true, false, CHOICES(nr_cpus_choices), -1, -1 },
	[T_RETRY] = { "srcu_retry_check_delay", false, false, CHOICES(retry_choices), -1, -1 },
	[T_HOLDOFF] = { "exp_holdoff", false, false, CHOICES(holdoff_choices), -1, -1 },
};

static struct {
	double duration;		/* seconds, all sub-runs together */
	unsigned long seed;
	int nr_readers;
	int nr_updaters;
	enum rflavour rflavour;
	bool shuffle;
	int subruns;			/* 0: derived */
	double stat_interval;		/* seconds between stderr stats lines */
	double stall_timeout;		/* seconds an update may take */
	unsigned int gp_ops;		/* bitmask of enum gp_op */
	int writer_delay_us;		/* mean pause after a writer update */
	bool preempt;			/* signal readers, see reader_signal() */
	bool no_workers;		/* the library cannot create threads */
} opt = {
	.duration = 5,
	.nr_readers = -1,
	.nr_updaters = 2,
	.rflavour = RF_MIX,
	.stat_interval = 1,
	.stall_timeout = 30,
	.gp_ops = (1u << OP_NR) - 1,
	.writer_delay_us = 200,
	.preempt = true,
};

/*
 * Deliberately broken modes, which the test must catch.  Each either sets
 * a flag of the test, which then breaks its own use of SRCU, or breaks
 * the library's grace periods through its test hook
 * (srcu_*_test_break() of <srcu/testing.h>, same name); add a line here
 * for a new one.
 */
static bool broken_early_free;

struct broken_mode {
	const char *name;
	const char *what;
	bool *flag;		/* set in the test, or NULL: a library mode */
};

static const struct broken_mode broken_modes[] = {
	{ "early-free", "the writer ages and frees one old element in four "
	  "without waiting for a grace period", &broken_early_free },
#ifdef SRCU_TINY
	{ "skip-phase1", "the library flips without waiting for stragglers on "
	  "the other index (the straggler of normal sub-runs shows it)", NULL },
	{ "skip-phase2", "the library ends each grace period right after the "
	  "flip, without waiting for the readers of the index before it", NULL },
	{ "no-flip", "the library's grace periods never move readers to the "
	  "other index, so they wait only for the index nobody uses", NULL },
#else
	{ "skip-scan2", "the library ends each grace period right after the "
	  "flip, without waiting for the readers of the index just retired", NULL },
	{ "no-flip", "the library's grace periods never flip srcu_idx, so "
	  "both scans check the index nobody uses", NULL },
	{ "skip-scan1", "the library flips without waiting for stragglers on "
	  "the inactive index (the straggler of normal sub-runs shows it)", NULL },
#endif
};

static const struct broken_mode *broken;	/* the mode chosen, or NULL */

/* ------------------------------------------------------------------ */
/* Helpers. */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* xorshift64*: each thread owns its state, seeded from --seed. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static unsigned int rnd_below(uint64_t *s, unsigned int n)
{
	return (unsigned int)((rnd(s) >> 32) % n);
}

static uint64_t rnd_seed(unsigned long salt)
{
	uint64_t s = splitmix64(opt.seed * 0x100000001b3ull + salt);

	return s ? s : 1;
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("srcu-torture: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

static void check_pthread(int err, const char *what)
{
	if (err)
		die("%s: %s", what, strerror(err));
}

/* ------------------------------------------------------------------ */
/* Errors.  Each kind is a counter; the first few occurrences are told. */

enum err_kind {
	E_PIPE,		/* a reader saw an age above 1 */
	E_MBTEST,	/* a reader saw an unpublished element */
	E_REUSE,	/* a reader's element was freed while it was inside */
	E_RCOOKIE,	/* a cookie taken inside a reader was done before it left */
	E_WCOOKIE,	/* a cookie was not done after a full grace period */
	E_HELD,		/* srcu_read_lock_held() false inside a reader */
	E_CB_DUP,	/* a callback ran without being queued (twice) */
	E_CB_EARLY,	/* a callback ran before its grace period's cookie was done */
	E_BARRIER,	/* srcu_barrier() returned before an earlier callback ran */
	E_DRAIN,	/* callbacks never finished, or an element got lost */
	E_CLEANUP,	/* cleanup_srcu_struct() refused an idle srcu_struct */
	E_STALL,	/* an update took longer than --stall-timeout */
	E_NR
};

static const char *const err_names[] = {
	"pipe", "publication", "reuse", "reader-cookie", "updater-cookie",
	"read-lock-held", "callback-duplicate", "callback-early", "barrier",
	"drain", "cleanup", "stall",
};

static unsigned long errors[E_NR];
static __thread int in_signal;	/* count errors, but stdio is off limits */

/* Count an error of kind k; say what happened for the first few. */
static void torture_error(enum err_kind k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void torture_error(enum err_kind k, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (ATOMIC_INC(errors[k]) >= ERR_REPORTS || in_signal)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "srcu-torture: !!! %s error: %s\n", err_names[k], buf);
}

static unsigned long errors_total(void)
{
	unsigned long sum = 0;

	for (int k = 0; k < E_NR; k++)
		sum += READ_ONCE(errors[k]);
	return sum;
}

/* ------------------------------------------------------------------ */
/* Elements, the pool, callbacks. */

struct torture_elem;

/*
 * A callback and its accounting.  queued counts call_srcu()s begun,
 * queued_done those that returned, invoked callbacks that ran to the
 * end; armed is 1 from just before call_srcu() until the callback starts.
 */
struct torture_cb {
	struct rcu_head rh;
	struct torture_elem *elem;	/* the element this callback ages, or NULL */
	bool expedited;			/* call_srcu_expedited() rather than call_srcu() */
	int armed;
	unsigned long cookie;		/* get_state_synchronize_srcu() before queueing */
	unsigned long queued;
	unsigned long queued_done;
	unsigned long invoked;
};

struct torture_elem {
	int pipe_count;			/* 0 current, 1 removed, +1 per grace period */
	int mbtest;			/* 1 once initialised, 0 when freed */
	unsigned long gen;		/* bumped at each allocation */
	struct torture_elem *next;	/* pool or removed list */
	struct torture_cb cb;		/* ages this element by callbacks */
};

static struct torture_elem pool[POOL_SIZE];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct torture_elem *pool_head, *pool_tail;	/* FIFO: delays reuse */
static int pool_count;

static struct torture_elem *current_elem;	/* the RCU-protected pointer */
static struct torture_elem *removed;		/* writer's list awaiting GPs */

/* Every callback record, for barrier checks and draining. */
static struct torture_cb **cbs;
static int nr_cbs;

/* The srcu_struct of the current sub-run. */
static struct srcu_struct torture_srcu;
DEFINE_STATIC_SRCU(torture_static_srcu);
DEFINE_STATIC_SRCU_FAST(torture_static_srcu_fast);
static struct srcu_struct *ssp;

/* Statistics in rcutorture's words. */
static unsigned long st_ver;		/* updates published */
static unsigned long st_alloc;		/* rta: allocations */
static unsigned long st_alloc_fail;	/* rtaf: pool empty */
static unsigned long st_free;		/* rtf: returned to the pool */
static unsigned long st_wcount[PIPE_LEN + 1];	/* Free-Block Circulation */
static unsigned long st_broken;		/* early frees done by --broken */
static unsigned long st_cbs_queued, st_cbs_invoked;
static unsigned long st_ops[OP_NR];	/* update primitives completed */

static void pool_push(struct torture_elem *e)
{
	WRITE_ONCE(e->mbtest, 0);
	e->next = NULL;
	check_pthread(pthread_mutex_lock(&pool_lock), "pool lock");
	if (pool_tail)
		pool_tail->next = e;
	else
		pool_head = e;
	pool_tail = e;
	pool_count++;
	check_pthread(pthread_mutex_unlock(&pool_lock), "pool unlock");
}

static struct torture_elem *pool_pop(void)
{
	struct torture_elem *e;

	check_pthread(pthread_mutex_lock(&pool_lock), "pool lock");
	e = pool_head;
	if (e) {
		pool_head = e->next;
		if (!pool_head)
			pool_tail = NULL;
		pool_count--;
	}
	check_pthread(pthread_mutex_unlock(&pool_lock), "pool unlock");
	return e;
}

static void pool_free(struct torture_elem *e)
{
	pool_push(e);
	ATOMIC_INC(st_free);
}

static struct torture_elem *pool_alloc(void)
{
	struct torture_elem *e = pool_pop();

	if (e)
		ATOMIC_INC(st_alloc);
	else
		ATOMIC_INC(st_alloc_fail);
	return e;
}

static int pool_available(void)
{
	int n;

	check_pthread(pthread_mutex_lock(&pool_lock), "pool lock");
	n = pool_count;
	check_pthread(pthread_mutex_unlock(&pool_lock), "pool unlock");
	return n;
}

/*
 * One more grace period has passed over e (or e was just removed).
 * Only one thread ages an element at a time: the writer, or the callback
 * the writer or the previous callback queued.  True when e is done.
 */
static bool elem_age(struct torture_elem *e)
{
	int i = READ_ONCE(e->pipe_count);

	ATOMIC_INC(st_wcount[i < PIPE_LEN ? i : PIPE_LEN]);
	WRITE_ONCE(e->pipe_count, i + 1);
	return i + 1 >= PIPE_LEN;
}

/* Age every element on the removed list; done ones go back to the pool. */
static void removed_age_all(void)
{
	struct torture_elem **pp = &removed, *e;

	while ((e = *pp)) {
		if (elem_age(e)) {
			*pp = e->next;
			pool_free(e);
		} else {
			pp = &e->next;
		}
	}
}

static void torture_cb_func(struct rcu_head *rh);

/* Queue cb; count says whether cb->queued still needs the increment. */
static void cb_queue(struct torture_cb *cb, bool count)
{
	if (count)
		__atomic_fetch_add(&cb->queued, 1, __ATOMIC_RELAXED);
	WRITE_ONCE(cb->cookie, get_state_synchronize_srcu(ssp));
	WRITE_ONCE(cb->armed, 1);
	if (cb->expedited)
		call_srcu_expedited(ssp, &cb->rh, torture_cb_func);
	else
		call_srcu(ssp, &cb->rh, torture_cb_func);
	/* Release: a barrier caller that sees this also sees the queueing. */
	__atomic_fetch_add(&cb->queued_done, 1, __ATOMIC_RELEASE);
	ATOMIC_INC(st_cbs_queued);
}

/*
 * The callback checks it was queued once and that its grace period is
 * done, then ages its element and queues itself again until the element
 * is back in the pool.  For a re-queue, queued is bumped before invoked so
 * that queued == invoked (read in that order) means nothing is in flight.
 */
static void torture_cb_func(struct rcu_head *rh)
{
	struct torture_cb *cb = caa_container_of(rh, struct torture_cb, rh);
	struct torture_elem *e = cb->elem;
	unsigned long cookie = READ_ONCE(cb->cookie);

	if (!__atomic_exchange_n(&cb->armed, 0, __ATOMIC_RELAXED))
		torture_error(E_CB_DUP, "callback %p invoked but not queued", (void *)cb);
	if (!poll_state_synchronize_srcu(ssp, cookie))
		torture_error(E_CB_EARLY, "callback %p invoked, cookie %#lx not done",
			      (void *)cb, cookie);
	ATOMIC_INC(st_cbs_invoked);
	if (e && !elem_age(e)) {
		__atomic_fetch_add(&cb->queued, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&cb->invoked, 1, __ATOMIC_RELEASE);
		cb_queue(cb, false);
		return;
	}
	if (e)
		pool_free(e);
	/* Release: pairs with the acquire loads of barrier checks and drain. */
	__atomic_fetch_add(&cb->invoked, 1, __ATOMIC_RELEASE);
}

static bool cb_idle(struct torture_cb *cb)
{
	/* invoked first: see torture_cb_func(). */
	unsigned long inv = __atomic_load_n(&cb->invoked, __ATOMIC_ACQUIRE);

	return inv == __atomic_load_n(&cb->queued, __ATOMIC_ACQUIRE);
}

/*
 * srcu_barrier(), checked: every call_srcu() that returned before the
 * barrier began must have had its callback run by the time it returns.
 */
static void barrier_checked(unsigned long *snap)
{
	for (int i = 0; i < nr_cbs; i++)
		snap[i] = __atomic_load_n(&cbs[i]->queued_done, __ATOMIC_ACQUIRE);
	srcu_barrier(ssp);
	for (int i = 0; i < nr_cbs; i++) {
		unsigned long inv = __atomic_load_n(&cbs[i]->invoked, __ATOMIC_ACQUIRE);

		if (inv < snap[i])
			torture_error(E_BARRIER, "callback %p: %lu queued before "
				      "srcu_barrier(), %lu invoked after it",
				      (void *)cbs[i], snap[i], inv);
	}
}

/* ------------------------------------------------------------------ */
/* Readers. */

/* Per-thread reader statistics: one writer each, read by the monitor. */
struct reader {
	pthread_t tid;
	int id;
	uint64_t rng;
	int vcpu;				/* virtual CPU, or -1 */
	unsigned long pipe[PIPE_LEN + 1];	/* Reader Pipe */
	unsigned long batch[PIPE_LEN + 1];	/* Reader Batch */
	unsigned long sections;
	unsigned long nested;
	unsigned long slept;
	unsigned long handed;			/* sections handed to the releaser */
	unsigned long straggled;		/* sections entered as a straggler */
	/* Written by this reader's signal handler only. */
	uint64_t sig_rng;
	unsigned long sig_pipe[PIPE_LEN + 1];	/* sections in signal handlers */
	unsigned long preempted;		/* handler sleeps */
} __attribute__((aligned(128)));

/* One read-side critical section in progress. */
struct section {
	enum rflavour f;
	bool down;			/* srcu_down_read*(): may end on another thread */
	int idx;
	struct srcu_ctr *scp;
	struct torture_elem *p;
	unsigned long gen;		/* p->gen when read */
	unsigned long batch0;		/* srcu_batches_completed() at entry */
	bool has_cookie;
	unsigned long cookie;
	struct section *next;		/* releaser queue */
};

static int stop_readers;		/* readers leave their loop */
static int stop_updaters;		/* writer and updaters leave theirs */
/* This sub-run's readers, then [nr_readers] the releaser, [nr_readers + 1] the straggler. */
static struct reader *readers;
static int nr_readers;
#define NR_READER_SLOTS	(nr_readers + 2)
static enum rflavour cur_flavour;	/* this sub-run's */
static long cur_nr_cpus;		/* virtual CPUs in use (Tree), 0 = none */

static void set_vcpu(int *vcpu, uint64_t *rng)
{
#ifndef SRCU_TINY
	if (cur_nr_cpus > 0) {
		*vcpu = (int)rnd_below(rng, (unsigned int)cur_nr_cpus);
		srcu_tree_set_virtual_cpu(*vcpu);
	}
#else
	(void)vcpu;
	(void)rng;
#endif
}

/*
 * Enter and leave, in the flavour of s; ool picks the exported
 * out-of-line twins rather than the inline fast paths.
 */
static void section_enter(struct section *s, enum rflavour f, bool down, bool ool)
{
	s->f = f;
	s->down = down;
	switch (f) {
	case RF_NORMAL:
		s->idx = ool ? SRCU_FLAVOUR_NAME(read_lock)(ssp) : srcu_read_lock(ssp);
		break;
	case RF_NMISAFE:
		s->idx = ool ? SRCU_FLAVOUR_NAME(read_lock_nmisafe)(ssp)
			     : srcu_read_lock_nmisafe(ssp);
		break;
	case RF_FAST:
		s->scp = ool ? SRCU_FLAVOUR_NAME(read_lock_fast)(ssp)
			     : srcu_read_lock_fast(ssp);
		break;
	case RF_UPDOWN:
		if (down)
			s->idx = ool ? SRCU_FLAVOUR_NAME(down_read)(ssp) : srcu_down_read(ssp);
		else
			s->idx = ool ? SRCU_FLAVOUR_NAME(read_lock)(ssp) : srcu_read_lock(ssp);
		break;
	case RF_FAST_UPDOWN:
		s->scp = ool ? SRCU_FLAVOUR_NAME(down_read_fast)(ssp)
			     : srcu_down_read_fast(ssp);
		break;
	default:
		abort();
	}
}

static void section_leave(struct section *s, bool ool)
{
	switch (s->f) {
	case RF_NORMAL:
		if (ool)
			SRCU_FLAVOUR_NAME(read_unlock)(ssp, s->idx);
		else
			srcu_read_unlock(ssp, s->idx);
		break;
	case RF_NMISAFE:
		if (ool)
			SRCU_FLAVOUR_NAME(read_unlock_nmisafe)(ssp, s->idx);
		else
			srcu_read_unlock_nmisafe(ssp, s->idx);
		break;
	case RF_FAST:
		if (ool)
			SRCU_FLAVOUR_NAME(read_unlock_fast)(ssp, s->scp);
		else
			srcu_read_unlock_fast(ssp, s->scp);
		break;
	case RF_UPDOWN:
		if (s->down && ool)
			SRCU_FLAVOUR_NAME(up_read)(ssp, s->idx);
		else if (s->down)
			srcu_up_read(ssp, s->idx);
		else if (ool)
			SRCU_FLAVOUR_NAME(read_unlock)(ssp, s->idx);
		else
			srcu_read_unlock(ssp, s->idx);
		break;
	case RF_FAST_UPDOWN:
		if (ool)
			SRCU_FLAVOUR_NAME(up_read_fast)(ssp, s->scp);
		else
			srcu_up_read_fast(ssp, s->scp);
		break;
	default:
		abort();
	}
}

/* Read the current element and check it was published whole. */
static struct torture_elem *read_current(unsigned long *gen)
{
	/* Acquire: pairs with the writer's release that published it. */
	struct torture_elem *p = __atomic_load_n(&current_elem, __ATOMIC_ACQUIRE);

	*gen = READ_ONCE(p->gen);
	if (!READ_ONCE(p->mbtest))
		torture_error(E_MBTEST, "element %p (gen %lu) read before its "
			      "initialisation", (void *)p, *gen);
	return p;
}

/* The age of p, read inside; also notices p freed under the reader. */
static int elem_check_age(struct torture_elem *p, unsigned long gen)
{
	int pipe = READ_ONCE(p->pipe_count);

	if (!READ_ONCE(p->mbtest))
		torture_error(E_REUSE, "element %p freed while a reader held it",
			      (void *)p);
	else if (READ_ONCE(p->gen) != gen)
		torture_error(E_REUSE, "element %p reused while a reader held it "
			      "(generation %lu, now %lu)", (void *)p, gen, READ_ONCE(p->gen));
	if (pipe > PIPE_LEN)
		pipe = PIPE_LEN;
	if (pipe > 1)
		torture_error(E_PIPE, "reader saw element %p at age %d", (void *)p, pipe);
	return pipe;
}

/* Check and leave s, recording into rd's histograms. */
static void section_finish(struct reader *rd, struct section *s, bool ool)
{
	int pipe = elem_check_age(s->p, s->gen);
	unsigned long batch = srcu_batches_completed(ssp) - s->batch0;

	if (s->has_cookie && poll_state_synchronize_srcu(ssp, s->cookie))
		torture_error(E_RCOOKIE, "cookie %#lx done while the reader that "
			      "took it is inside", s->cookie);
	section_leave(s, ool);
	OWNER_INC(rd->pipe[pipe]);
	OWNER_INC(rd->batch[batch < PIPE_LEN ? batch : PIPE_LEN]);
	OWNER_INC(rd->sections);
}

/* The releaser: ends srcu_down_read*() sections begun by other threads. */
static pthread_mutex_t handoff_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t handoff_cond = PTHREAD_COND_INITIALIZER;
static struct section *handoff_head;
static bool handoff_stop;

static void handoff(struct section *s)
{
	struct section *copy = malloc(sizeof(*copy));

	if (!copy)
		die("out of memory");
	*copy = *s;
	check_pthread(pthread_mutex_lock(&handoff_lock), "handoff lock");
	copy->next = handoff_head;
	handoff_head = copy;
	check_pthread(pthread_cond_signal(&handoff_cond), "handoff signal");
	check_pthread(pthread_mutex_unlock(&handoff_lock), "handoff unlock");
}

static void *releaser_thread(void *arg)
{
	struct reader *rd = arg;

	for (;;) {
		struct section *s;
		bool stopping;

		check_pthread(pthread_mutex_lock(&handoff_lock), "handoff lock");
		while (!handoff_head && !handoff_stop)
			check_pthread(pthread_cond_wait(&handoff_cond, &handoff_lock),
				      "handoff wait");
		s = handoff_head;
		handoff_head = NULL;
		stopping = handoff_stop;
		check_pthread(pthread_mutex_unlock(&handoff_lock), "handoff unlock");
		if (!s && stopping)
			break;
		/* Hold them a little, so grace periods meet them here. */
		if (!stopping && rnd_below(&rd->rng, 2))
			usleep(50 + rnd_below(&rd->rng, 200));
		while (s) {
			struct section *next = s->next;

			set_vcpu(&rd->vcpu, &rd->rng);
			section_finish(rd, s, rnd_below(&rd->rng, 2));
			free(s);
			s = next;
		}
	}
	return NULL;
}

/*
 * Signals to readers.  A handler that sleeps preempts the reader at an
 * arbitrary instruction, as the kernel's scheduler does for rcutorture:
 * between loading srcu_idx and counting itself, say, where a reader is a
 * straggler that only the first scan of a grace period waits for.  In
 * nmisafe sub-runs the handler also runs a reader of its own, nested in
 * whatever the interrupted reader was doing.
 */
static __thread struct reader *self_reader;
static int signals_live;

static void reader_signal(int sig)
{
	struct reader *rd = self_reader;
	int saved_errno = errno;
	struct torture_elem *p;
	unsigned long gen;
	int idx, pipe;

	(void)sig;
	if (!rd || !READ_ONCE(signals_live))
		return;
	in_signal = 1;
	if (rnd_below(&rd->sig_rng, 2)) {
		sleep_ns(50000 + 1000 * rnd_below(&rd->sig_rng, 950));
		OWNER_INC(rd->preempted);
	}
	if (cur_flavour == RF_NMISAFE) {
		idx = srcu_read_lock_nmisafe(ssp);
		p = read_current(&gen);
		if (!rnd_below(&rd->sig_rng, 8))
			sleep_ns(1000 * (50 + rnd_below(&rd->sig_rng, 200)));
		pipe = elem_check_age(p, gen);
		srcu_read_unlock_nmisafe(ssp, idx);
		OWNER_INC(rd->sig_pipe[pipe]);
	}
	in_signal = 0;
	errno = saved_errno;
}

static void reader_delay(struct reader *rd)
{
	if (!rnd_below(&rd->rng, 32)) {
		usleep(100 + rnd_below(&rd->rng, 400));
		OWNER_INC(rd->slept);
	} else {
		for (unsigned int n = rnd_below(&rd->rng, 64); n; n--)
			caa_cpu_relax();
	}
}

#ifdef SRCU_DEBUG
#define HELD_FALSE(down)	(down)
#else
#define HELD_FALSE(down)	false
#endif

static void *reader_thread(void *arg)
{
	struct reader *rd = arg;
	enum rflavour f = cur_flavour;

	self_reader = rd;
	set_vcpu(&rd->vcpu, &rd->rng);
	while (!READ_ONCE(stop_readers)) {
		bool down = (f == RF_FAST_UPDOWN) ||
			    (f == RF_UPDOWN && rnd_below(&rd->rng, 2));
		struct section s;

		if (!rnd_below(&rd->rng, 128))
			set_vcpu(&rd->vcpu, &rd->rng);	/* "migrate" */
		section_enter(&s, f, down, !rnd_below(&rd->rng, 4));
		s.batch0 = srcu_batches_completed(ssp);
		s.p = read_current(&s.gen);
		s.has_cookie = false;
		if (!rnd_below(&rd->rng, 4)) {
			/* A grace period that starts now must wait for this reader. */
			s.has_cookie = true;
			s.cookie = rnd_below(&rd->rng, 16) ? get_state_synchronize_srcu(ssp)
							   : start_poll_synchronize_srcu(ssp);
		}
		/* With SRCU_DEBUG it is truthful, and down/up readers are not "held". */
		if (!rnd_below(&rd->rng, 16) && (!srcu_read_lock_held(ssp)) != HELD_FALSE(down))
			torture_error(E_HELD, "srcu_read_lock_held() %s in a %s reader",
				      HELD_FALSE(down) ? "true" : "false", rflavour_names[f]);
		if (!rnd_below(&rd->rng, 8)) {
			struct section in;
			unsigned long gen;
			struct torture_elem *p;

			section_enter(&in, f, f == RF_FAST_UPDOWN, rnd_below(&rd->rng, 2));
			p = read_current(&gen);
			reader_delay(rd);
			(void)elem_check_age(p, gen);
			section_leave(&in, rnd_below(&rd->rng, 2));
			OWNER_INC(rd->nested);
		}
		reader_delay(rd);
		if (down && rnd_below(&rd->rng, 2)) {
			handoff(&s);
			OWNER_INC(rd->handed);
			continue;
		}
		section_finish(rd, &s, !rnd_below(&rd->rng, 4));
	}
	return NULL;
}

/*
 * The straggler, in normal sub-runs: a reader that read srcu_idx before
 * the last flip and counts itself only now, made on purpose through the
 * library's test hook (a real one needs a preemption inside a window of a
 * few instructions, which the signals hit too rarely to notice a broken
 * first phase).  It holds its element for milliseconds, across the writer's
 * next updates and grace periods, so a grace period that did not wait for
 * it shows as a pipe age above 1 or a cookie done too soon.
 */
static void *straggler_thread(void *arg)
{
	struct reader *rd = arg;

	set_vcpu(&rd->vcpu, &rd->rng);
	while (!READ_ONCE(stop_readers)) {
		struct section s = { .f = RF_NORMAL };

		usleep(rnd_below(&rd->rng, 1000));
		s.idx = SRCU_FLAVOUR_NAME(test_read_lock_straggler)(ssp);
		s.batch0 = srcu_batches_completed(ssp);
		s.p = read_current(&s.gen);
		s.has_cookie = rnd_below(&rd->rng, 2);
		if (s.has_cookie)
			s.cookie = get_state_synchronize_srcu(ssp);
		usleep(1000 + rnd_below(&rd->rng, 4000));
		section_finish(rd, &s, true);
		OWNER_INC(rd->straggled);
	}
	return NULL;
}

/* Interrupt random readers now and then (see reader_signal()). */
static void *signaller_thread(void *arg)
{
	uint64_t rng = rnd_seed(7777);

	(void)arg;
	while (!READ_ONCE(stop_readers)) {
		int i = (int)rnd_below(&rng, (unsigned int)nr_readers);

		check_pthread(pthread_kill(readers[i].tid, SIGUSR1), "pthread_kill");
		usleep(100 + rnd_below(&rng, 900));
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Writer and updaters. */

struct updater {
	pthread_t tid;
	char name[24];
	uint64_t rng;
	int vcpu;
	const char *op;			/* update in progress, for the watchdog */
	uint64_t op_start;		/* its start, ns */
	bool stall_told;
	unsigned long *snap;		/* barrier_checked() scratch */
	struct torture_cb cbs[NR_UPDATER_CBS];
};

static struct updater *updaters;	/* [0] is the writer (and main when draining) */
static int nr_updaters_all;

static void op_begin(struct updater *u, enum gp_op op)
{
	WRITE_ONCE(u->op_start, now_ns());
	__atomic_store_n(&u->op, op_names[op], __ATOMIC_RELEASE);
}

static void op_end(struct updater *u, enum gp_op op)
{
	__atomic_store_n(&u->op, NULL, __ATOMIC_RELEASE);
	ATOMIC_INC(st_ops[op]);
}

static void poll_wait(struct updater *u, unsigned long cookie, bool expedite)
{
	if (expedite)
		srcu_expedite_current(ssp);
	while (!poll_state_synchronize_srcu(ssp, cookie))
		usleep(20 + rnd_below(&u->rng, 200));
}

/*
 * Wait for a full grace period with primitive op (not a call_srcu*()):
 * everything removed before this call may then be aged.
 */
static void gp_wait(struct updater *u, enum gp_op op)
{
	unsigned long cookie;

	op_begin(u, op);
	switch (op) {
	case OP_SYNC:
		synchronize_srcu(ssp);
		break;
	case OP_SYNC_EXP:
		synchronize_srcu_expedited(ssp);
		break;
	case OP_POLL:
		poll_wait(u, start_poll_synchronize_srcu(ssp), false);
		break;
	case OP_EXPEDITE:
		poll_wait(u, start_poll_synchronize_srcu(ssp), true);
		break;
	case OP_STATE:
		cookie = get_state_synchronize_srcu(ssp);
		if ((opt.gp_ops & (1u << OP_SYNC_EXP)) && rnd_below(&u->rng, 2))
			synchronize_srcu_expedited(ssp);
		else
			synchronize_srcu(ssp);
		if (!poll_state_synchronize_srcu(ssp, cookie))
			torture_error(E_WCOOKIE, "cookie %#lx not done after a grace "
				      "period", cookie);
		break;
	case OP_BARRIER:
		barrier_checked(u->snap);
		break;
	default:
		abort();
	}
	op_end(u, op);
}

static enum gp_op pick_op(struct updater *u)
{
	for (;;) {
		enum gp_op op = (enum gp_op)rnd_below(&u->rng, OP_NR);

		if (opt.gp_ops & (1u << op))
			return op;
	}
}

static void *writer_thread(void *arg)
{
	struct updater *u = arg;

	while (!READ_ONCE(stop_updaters)) {
		struct torture_elem *e, *old;
		enum gp_op op;

		set_vcpu(&u->vcpu, &u->rng);
		e = pool_alloc();
		if (!e) {
			/* Everything is aging: let a grace period pass. */
			gp_wait(u, OP_SYNC);
			removed_age_all();
			continue;
		}
		WRITE_ONCE(e->pipe_count, 0);
		WRITE_ONCE(e->gen, READ_ONCE(e->gen) + 1);
		WRITE_ONCE(e->mbtest, 1);
		old = current_elem;
		/* Release: pairs with the readers' acquire in read_current(). */
		__atomic_store_n(&current_elem, e, __ATOMIC_RELEASE);
		ATOMIC_INC(st_ver);
		(void)elem_age(old);	/* removed: age 1 */

		if (broken_early_free && !rnd_below(&u->rng, 4)) {
			while (!elem_age(old))
				;
			pool_free(old);
			ATOMIC_INC(st_broken);
			continue;
		}

		op = pick_op(u);
		switch (op) {
		case OP_CALL:
		case OP_CALL_EXP:
			old->cb.expedited = op == OP_CALL_EXP;
			cb_queue(&old->cb, true);
			ATOMIC_INC(st_ops[op]);
			usleep(rnd_below(&u->rng, 2 * opt.writer_delay_us + 1));
			break;
		case OP_BARRIER:
			/* A callback first, so the barrier implies a grace period. */
			old->cb.expedited = (opt.gp_ops & (1u << OP_CALL_EXP)) &&
					    rnd_below(&u->rng, 2);
			cb_queue(&old->cb, true);
			gp_wait(u, op);
			removed_age_all();
			break;
		default:
			old->next = removed;
			removed = old;
			gp_wait(u, op);
			removed_age_all();
			break;
		}
	}
	return NULL;
}

/* Extra updaters: grace periods and callbacks of their own, concurrently. */
static void *updater_thread(void *arg)
{
	struct updater *u = arg;

	while (!READ_ONCE(stop_updaters)) {
		enum gp_op op = pick_op(u);
		struct torture_cb *cb = NULL;

		set_vcpu(&u->vcpu, &u->rng);
		if (op == OP_CALL || op == OP_CALL_EXP) {
			for (int i = 0; i < NR_UPDATER_CBS && !cb; i++)
				if (cb_idle(&u->cbs[i]))
					cb = &u->cbs[i];
			if (cb) {
				cb->expedited = op == OP_CALL_EXP;
				cb_queue(cb, true);
				ATOMIC_INC(st_ops[op]);
			}
		} else {
			gp_wait(u, op);
		}
		usleep(rnd_below(&u->rng, 1000));
	}
	return NULL;
}

/* Reports updates that take too long; gives up on a hang. */
static int watchdog_live;

static void *watchdog_thread(void *arg)
{
	(void)arg;
	while (READ_ONCE(watchdog_live)) {
		uint64_t now = now_ns();

		for (int i = 0; i < nr_updaters_all; i++) {
			struct updater *u = &updaters[i];
			const char *op = __atomic_load_n(&u->op, __ATOMIC_ACQUIRE);
			double secs = (int64_t)(now - READ_ONCE(u->op_start)) / 1e9;

			if (!op || secs < opt.stall_timeout)
				continue;
			if (!READ_ONCE(u->stall_told)) {
				WRITE_ONCE(u->stall_told, true);
				torture_error(E_STALL, "%s stuck in %s for %.1f s",
					      u->name, op, secs);
			}
			if (secs >= 2 * opt.stall_timeout) {
				fprintf(stderr, "srcu-torture: %s stuck in %s for %.1f s, "
					"giving up\n", u->name, op, secs);
				if (ssp)
					srcu_stats_print(ssp, stderr, "srcu-torture");
				printf("srcu-torture: End of test: FAILURE (stall)\n");
				fflush(NULL);
				_exit(1);
			}
		}
		usleep(250000);
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Statistics. */

/* Reader totals of finished sub-runs. */
static struct reader acc;

static void reader_sum(struct reader *sum)
{
	*sum = acc;
	for (int i = 0; readers && i < NR_READER_SLOTS; i++) {
		struct reader *rd = &readers[i];

		for (int j = 0; j <= PIPE_LEN; j++) {
			sum->pipe[j] += READ_ONCE(rd->pipe[j]) + READ_ONCE(rd->sig_pipe[j]);
			sum->batch[j] += READ_ONCE(rd->batch[j]);
			sum->sig_pipe[j] += READ_ONCE(rd->sig_pipe[j]);
		}
		sum->sections += READ_ONCE(rd->sections);
		sum->nested += READ_ONCE(rd->nested);
		sum->slept += READ_ONCE(rd->slept);
		sum->handed += READ_ONCE(rd->handed);
		sum->straggled += READ_ONCE(rd->straggled);
		sum->preempted += READ_ONCE(rd->preempted);
	}
}

static unsigned long sig_sections(const struct reader *r)
{
	unsigned long n = 0;

	for (int j = 0; j <= PIPE_LEN; j++)
		n += r->sig_pipe[j];
	return n;
}

/* rcutorture's periodic lines, on stderr. */
static void stats_print(void)
{
	struct reader sum;
	bool bad;

	reader_sum(&sum);
	bad = errors_total() != 0;
	fprintf(stderr, "srcu-torture: %srtc: %p ver: %lu tfle: %d rta: %lu rtaf: %lu "
		"rtf: %lu rtmbe: %lu rtre: %lu rtbe: %lu rtcbe: %lu rtce: %lu "
		"rtbf: %lu nt: %lu cbs: %lu/%lu\n",
		bad ? "!!! " : "", (void *)__atomic_load_n(&current_elem, __ATOMIC_RELAXED),
		READ_ONCE(st_ver), pool_available() == 0, READ_ONCE(st_alloc),
		READ_ONCE(st_alloc_fail), READ_ONCE(st_free), READ_ONCE(errors[E_MBTEST]),
		READ_ONCE(errors[E_REUSE]), READ_ONCE(errors[E_BARRIER]),
		READ_ONCE(errors[E_CB_DUP]) + READ_ONCE(errors[E_CB_EARLY]),
		READ_ONCE(errors[E_RCOOKIE]) + READ_ONCE(errors[E_WCOOKIE]),
		READ_ONCE(st_broken), sum.sections + sig_sections(&sum),
		READ_ONCE(st_cbs_queued), READ_ONCE(st_cbs_invoked));
	fprintf(stderr, "srcu-torture: %sReader Pipe: ", READ_ONCE(errors[E_PIPE]) ? "!!! " : "");
	for (int j = 0; j <= PIPE_LEN; j++)
		fprintf(stderr, " %lu", sum.pipe[j]);
	fprintf(stderr, "\nsrcu-torture: Reader Batch: ");
	for (int j = 0; j <= PIPE_LEN; j++)
		fprintf(stderr, " %lu", sum.batch[j]);
	fprintf(stderr, "\nsrcu-torture: Free-Block Circulation: ");
	for (int j = 0; j <= PIPE_LEN; j++)
		fprintf(stderr, " %lu", READ_ONCE(st_wcount[j]));
	fputc('\n', stderr);
	if (ssp)
		srcu_stats_print(ssp, stderr, "srcu-torture");
}

/* ------------------------------------------------------------------ */
/* Sub-runs. */

static unsigned long gp_lib_normal, gp_lib_exp, gp_lib_promotions;
static uint64_t next_stat;		/* when the next stderr lines are due */

static void set_param(const char *name, long value)
{
	int err = srcu_param_set(name, value);

	if (err)
		die("srcu_param_set(%s, %ld): %s", name, value, strerror(-err));
}

/* Choose and apply this sub-run's tunables; describe them into buf. */
static void subrun_tunables(uint64_t *rng, char *buf, size_t len)
{
	size_t off = 0;

	for (int t = 0; t < T_NR; t++) {
		struct tunable *tu = &tunables[t];

		tu->cur = tu->fixed;
		if (tu->cur < 0 && opt.shuffle)
			tu->cur = tu->choices[rnd_below(rng, (unsigned int)tu->nr_choices)];
#ifdef SRCU_TINY
		if (tu->tree_only)
			tu->cur = -1;
#endif
		if (tu->cur < 0)
			continue;
		set_param(tu->param, tu->cur);
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
					tu->hex ? " %s=%#lx" : " %s=%ld", tu->param, tu->cur);
	}
	if (!off)
		snprintf(buf, len, " (library defaults)");
	cur_nr_cpus = tunables[T_NR_CPUS].cur > 0 ? tunables[T_NR_CPUS].cur : 0;
}

static void pool_reset(void)
{
	pool_head = pool_tail = NULL;
	pool_count = 0;
	removed = NULL;
	for (int i = 0; i < POOL_SIZE; i++) {
		pool[i].cb.elem = &pool[i];
		WRITE_ONCE(pool[i].pipe_count, PIPE_LEN);
		pool_push(&pool[i]);
	}
	/* The first current element, published before any reader starts. */
	current_elem = pool_pop();
	WRITE_ONCE(current_elem->pipe_count, 0);
	WRITE_ONCE(current_elem->gen, READ_ONCE(current_elem->gen) + 1);
	WRITE_ONCE(current_elem->mbtest, 1);
}

/*
 * After the threads stopped: let every element and callback chain finish,
 * then check nothing was lost or invoked twice.
 */
static void subrun_drain(struct updater *u)
{
	bool idle = false;

	for (int tries = 0; tries < 4 * PIPE_LEN && !idle; tries++) {
		gp_wait(u, OP_SYNC);
		removed_age_all();
		gp_wait(u, OP_BARRIER);
		idle = !removed;
		for (int i = 0; i < nr_cbs && idle; i++)
			idle = cb_idle(cbs[i]);
	}
	for (int i = 0; i < nr_cbs; i++) {
		struct torture_cb *cb = cbs[i];
		unsigned long inv = __atomic_load_n(&cb->invoked, __ATOMIC_ACQUIRE);

		if (inv != READ_ONCE(cb->queued) || inv != READ_ONCE(cb->queued_done) ||
		    READ_ONCE(cb->armed))
			torture_error(E_DRAIN, "callback %p: queued %lu, returned %lu, "
				      "invoked %lu after the final barrier", (void *)cb,
				      READ_ONCE(cb->queued), READ_ONCE(cb->queued_done), inv);
	}
	if (removed || pool_available() != POOL_SIZE - 1)
		torture_error(E_DRAIN, "%d of %d elements back in the pool, removed list %s",
			      pool_available(), POOL_SIZE - 1, removed ? "not empty" : "empty");
}

static int subrun_init(enum rflavour f, bool use_static)
{
	if (use_static) {
		ssp = f == RF_FAST ? &torture_static_srcu_fast : &torture_static_srcu;
		return 0;
	}
	ssp = &torture_srcu;
	switch (f) {
	case RF_FAST:
		return init_srcu_struct_fast(ssp);
	case RF_FAST_UPDOWN:
		return init_srcu_struct_fast_updown(ssp);
	default:
		return init_srcu_struct(ssp);
	}
}

static void start_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
	check_pthread(pthread_create(tid, NULL, fn, arg), "pthread_create");
}

static void join_thread(pthread_t tid)
{
	check_pthread(pthread_join(tid, NULL), "pthread_join");
}

static void run_subrun(int k, int nr_subruns, enum rflavour f, uint64_t *rng)
{
	bool use_static = opt.shuffle && (f == RF_NORMAL || f == RF_FAST) &&
			  !rnd_below(rng, 4);
	double secs = opt.duration / nr_subruns;
	uint64_t end;
	pthread_t signaller = 0;
	struct srcu_stats st;
	char tun[256];
	int err;

	subrun_tunables(rng, tun, sizeof(tun));
	err = subrun_init(f, use_static);
	if (err)
		die("init_srcu_struct: %s", strerror(-err));
	if (f == RF_NMISAFE) {
		/* Note the flavour outside any signal handler. */
		srcu_read_unlock_nmisafe(ssp, srcu_read_lock_nmisafe(ssp));
	}
	printf("srcu-torture: sub-run %d/%d: %.1f s, %s readers on a %s srcu_struct,%s\n",
	       k + 1, nr_subruns, secs, rflavour_names[f],
	       use_static ? "static" : "dynamic", tun);
	fflush(stdout);

	cur_flavour = f;
	pool_reset();
	WRITE_ONCE(stop_readers, 0);
	WRITE_ONCE(stop_updaters, 0);
	handoff_stop = false;
	nr_readers = opt.nr_readers;
	readers = aligned_alloc(128, sizeof(*readers) * (size_t)NR_READER_SLOTS);
	if (!readers)
		die("out of memory");
	memset(readers, 0, sizeof(*readers) * (size_t)NR_READER_SLOTS);
	for (int i = 0; i < NR_READER_SLOTS; i++) {
		readers[i].id = i;
		readers[i].vcpu = -1;
		readers[i].rng = rnd_seed(1000 * (unsigned long)k + (unsigned long)i + 1);
		readers[i].sig_rng = rnd_seed(1000 * (unsigned long)k + (unsigned long)i + 300);
	}
	for (int i = 0; i < nr_updaters_all; i++) {
		updaters[i].rng = rnd_seed(1000 * (unsigned long)k + 500 + (unsigned long)i);
		updaters[i].vcpu = -1;
		WRITE_ONCE(updaters[i].stall_told, false);
	}

	if (opt.preempt)
		WRITE_ONCE(signals_live, 1);
	for (int i = 0; i < nr_readers; i++)
		start_thread(&readers[i].tid, reader_thread, &readers[i]);
	if (f == RF_UPDOWN || f == RF_FAST_UPDOWN)
		start_thread(&readers[nr_readers].tid, releaser_thread, &readers[nr_readers]);
	if (f == RF_NORMAL)
		start_thread(&readers[nr_readers + 1].tid, straggler_thread,
			     &readers[nr_readers + 1]);
	start_thread(&updaters[0].tid, writer_thread, &updaters[0]);
	for (int i = 1; i < nr_updaters_all; i++)
		start_thread(&updaters[i].tid, updater_thread, &updaters[i]);
	if (opt.preempt)
		start_thread(&signaller, signaller_thread, NULL);

	end = now_ns() + (uint64_t)(secs * 1e9);
	for (uint64_t now = now_ns(); now < end; now = now_ns()) {
		if (now >= next_stat) {
			stats_print();
			while (next_stat <= now)
				next_stat += (uint64_t)(opt.stat_interval * 1e9);
			continue;
		}
		sleep_ns((end < next_stat ? end : next_stat) - now);
	}

	/* Stop: signals first (they target readers), then readers, then updates. */
	WRITE_ONCE(stop_readers, 1);
	if (opt.preempt)
		join_thread(signaller);
	for (int i = 0; i < nr_readers; i++)
		join_thread(readers[i].tid);
	if (f == RF_NORMAL)
		join_thread(readers[nr_readers + 1].tid);
	WRITE_ONCE(signals_live, 0);
	if (f == RF_UPDOWN || f == RF_FAST_UPDOWN) {
		check_pthread(pthread_mutex_lock(&handoff_lock), "handoff lock");
		handoff_stop = true;
		check_pthread(pthread_cond_signal(&handoff_cond), "handoff signal");
		check_pthread(pthread_mutex_unlock(&handoff_lock), "handoff unlock");
		join_thread(readers[nr_readers].tid);
	}
	WRITE_ONCE(stop_updaters, 1);
	for (int i = 0; i < nr_updaters_all; i++)
		join_thread(updaters[i].tid);

	subrun_drain(&updaters[0]);
	stats_print();
	srcu_get_stats(ssp, &st);
	gp_lib_normal += st.gp_normal;
	gp_lib_exp += st.gp_expedited;
	gp_lib_promotions += st.promotions;
	srcu_stats_print(ssp, stdout, "srcu-torture");

	/* Fold this sub-run's reader statistics into the totals. */
	reader_sum(&acc);
	free(readers);
	readers = NULL;

	if (!use_static) {
		/* Polls inside readers may have asked for one more grace period. */
		for (int tries = 0; (err = cleanup_srcu_struct(ssp)) == -EBUSY && tries < 10;
		     tries++)
			gp_wait(&updaters[0], OP_SYNC);
		if (err)
			torture_error(E_CLEANUP, "cleanup_srcu_struct(): %s", strerror(-err));
		memset(&torture_srcu, 0, sizeof(torture_srcu));
	}
	ssp = NULL;
}

/* ------------------------------------------------------------------ */
/* Options and main. */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: srcu-torture-%s [options]\n"
		"  --duration S          seconds in all (default 5)\n"
		"  --seed N              random seed (default: from the clock)\n"
		"  --readers N           reader threads (default 2 x CPUs + 2)\n"
		"  --updaters N          extra updater threads (default 2)\n"
		"  --readers-flavour F   mix|normal|nmisafe|fast|updown|fast-updown (mix)\n"
		"  --subruns N           srcu_structs in sequence (default: 5 for mix, 4\n"
		"                        with --shuffle, else 1)\n"
		"  --shuffle             pick tunables at random for each sub-run\n"
		"  --hz N, --promote-inflight 0|1, --convert-to-big N, --nr-cpus N\n"
		"                        fix a tunable (the last two Tree only; --nr-cpus\n"
		"                        also makes each thread a random virtual CPU)\n"
		"  --param NAME=VALUE    set any library tunable, for every sub-run\n"
		"  --gp-ops LIST         update primitives to use, comma-separated, from\n"
		"                        sync,sync-exp,call,call-exp,poll,state,expedite,\n"
		"                        barrier (default all)\n"
		"  --writer-delay US     mean pause after a writer's call_srcu (200)\n"
		"  --stat-interval S     seconds between statistics on stderr (1)\n"
		"  --stall-timeout S     an update longer than this is an error (30)\n"
		"  --no-preempt          no signals that stall readers at random points\n"
		"  --no-workers          the library cannot create its worker threads, so\n"
		"                        the threads that wait do its work\n"
		"  --broken=NAME         break something on purpose; the run must fail:\n",
		TORTURE_FLAVOUR);
	for (size_t i = 0; i < sizeof(broken_modes) / sizeof(broken_modes[0]); i++)
		fprintf(out, "                          %s: %s\n", broken_modes[i].name,
			broken_modes[i].what);
	fprintf(out, "Exit status: 0 when every check held, 1 on a failed check, "
		"2 on bad usage.\n");
}

static long parse_long(const char *s, const char *what, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		die("bad %s: '%s' (expected %ld..%ld)", what, s, min, max);
	return v;
}

static double parse_double(const char *s, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0))
		die("bad %s: '%s'", what, s);
	return v;
}

static unsigned int parse_ops(const char *s)
{
	char *copy = strdup(s), *save = NULL, *tok;
	unsigned int mask = 0;

	if (!copy)
		die("out of memory");
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int op;

		for (op = 0; op < OP_NR && strcmp(tok, op_names[op]); op++)
			;
		if (op == OP_NR)
			die("unknown update primitive '%s'", tok);
		mask |= 1u << op;
	}
	free(copy);
	if (!mask)
		die("--gp-ops: empty list");
	return mask;
}

/* --param NAME=VALUE, applied once at start-up. */
static void parse_param(const char *s)
{
	const char *eq = strchr(s, '=');
	char name[64];
	long value;

	if (!eq || eq == s || (size_t)(eq - s) >= sizeof(name))
		die("--param wants NAME=VALUE, not '%s'", s);
	memcpy(name, s, (size_t)(eq - s));
	name[eq - s] = '\0';
	value = parse_long(eq + 1, name, LONG_MIN, LONG_MAX);
	for (int t = 0; t < T_NR; t++) {
		if (!strcmp(name, tunables[t].param)) {
			tunables[t].fixed = value;
			return;
		}
	}
	set_param(name, value);
}

enum {
	O_DURATION = 256, O_SEED, O_READERS, O_UPDATERS, O_RFLAVOUR, O_SUBRUNS,
	O_SHUFFLE, O_HZ, O_PROMOTE, O_BIG, O_NR_CPUS, O_PARAM, O_GP_OPS,
	O_WRITER_DELAY, O_STAT_INTERVAL, O_STALL, O_BROKEN, O_NO_PREEMPT, O_NO_WORKERS, O_HELP,
};

static const struct option long_options[] = {
	{ "duration", required_argument, NULL, O_DURATION },
	{ "seed", required_argument, NULL, O_SEED },
	{ "readers", required_argument, NULL, O_READERS },
	{ "updaters", required_argument, NULL, O_UPDATERS },
	{ "readers-flavour", required_argument, NULL, O_RFLAVOUR },
	{ "subruns", required_argument, NULL, O_SUBRUNS },
	{ "shuffle", no_argument, NULL, O_SHUFFLE },
	{ "hz", required_argument, NULL, O_HZ },
	{ "promote-inflight", required_argument, NULL, O_PROMOTE },
	{ "convert-to-big", required_argument, NULL, O_BIG },
	{ "nr-cpus", required_argument, NULL, O_NR_CPUS },
	{ "param", required_argument, NULL, O_PARAM },
	{ "gp-ops", required_argument, NULL, O_GP_OPS },
	{ "writer-delay", required_argument, NULL, O_WRITER_DELAY },
	{ "stat-interval", required_argument, NULL, O_STAT_INTERVAL },
	{ "stall-timeout", required_argument, NULL, O_STALL },
	{ "broken", required_argument, NULL, O_BROKEN },
	{ "no-preempt", no_argument, NULL, O_NO_PREEMPT },
	{ "no-workers", no_argument, NULL, O_NO_WORKERS },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static void parse_options(int argc, char **argv)
{
	bool seeded = false;
	int c;

	while ((c = getopt_long(argc, argv, "h", long_options, NULL)) != -1) {
		switch (c) {
		case O_DURATION:
			opt.duration = parse_double(optarg, "--duration");
			break;
		case O_SEED:
			opt.seed = (unsigned long)parse_long(optarg, "--seed", 0, LONG_MAX);
			seeded = true;
			break;
		case O_READERS:
			opt.nr_readers = (int)parse_long(optarg, "--readers", 1, 4096);
			break;
		case O_UPDATERS:
			opt.nr_updaters = (int)parse_long(optarg, "--updaters", 0, 1024);
			break;
		case O_RFLAVOUR: {
			int f;

			for (f = 0; f <= RF_MIX && strcmp(optarg, rflavour_names[f]); f++)
				;
			if (f > RF_MIX)
				die("unknown reader flavour '%s'", optarg);
			opt.rflavour = (enum rflavour)f;
			break;
		}
		case O_SUBRUNS:
			opt.subruns = (int)parse_long(optarg, "--subruns", 1, 10000);
			break;
		case O_SHUFFLE:
			opt.shuffle = true;
			break;
		case O_HZ:
			tunables[T_HZ].fixed = parse_long(optarg, "--hz", 1, 1000000);
			break;
		case O_PROMOTE:
			tunables[T_PROMOTE].fixed = parse_long(optarg, "--promote-inflight", 0, 1);
			break;
		case O_BIG:
			tunables[T_BIG].fixed = parse_long(optarg, "--convert-to-big", 0, 0xff);
			break;
		case O_NR_CPUS:
			tunables[T_NR_CPUS].fixed = parse_long(optarg, "--nr-cpus", 0, 65536);
			break;
		case O_PARAM:
			parse_param(optarg);
			break;
		case O_GP_OPS:
			opt.gp_ops = parse_ops(optarg);
			break;
		case O_WRITER_DELAY:
			opt.writer_delay_us = (int)parse_long(optarg, "--writer-delay", 0, 1000000);
			break;
		case O_STAT_INTERVAL:
			opt.stat_interval = parse_double(optarg, "--stat-interval");
			break;
		case O_STALL:
			opt.stall_timeout = parse_double(optarg, "--stall-timeout");
			break;
		case O_BROKEN:
			for (size_t i = 0; i < sizeof(broken_modes) / sizeof(broken_modes[0]); i++)
				if (!strcmp(optarg, broken_modes[i].name))
					broken = &broken_modes[i];
			if (!broken)
				die("unknown --broken mode '%s' (see --help)", optarg);
			break;
		case O_NO_PREEMPT:
			opt.preempt = false;
			break;
		case O_NO_WORKERS:
			opt.no_workers = true;
			break;
		case 'h':
		case O_HELP:
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (!seeded)
		opt.seed = (unsigned long)(now_ns() ^ ((uint64_t)getpid() << 32));
	if (opt.nr_readers < 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		opt.nr_readers = 2 * (int)(n > 0 ? n : 1) + 2;
	}
	if (!opt.subruns)
		opt.subruns = opt.rflavour == RF_MIX ? RF_NR : opt.shuffle ? 4 : 1;
#ifdef SRCU_TINY
	if (tunables[T_NR_CPUS].fixed >= 0 || tunables[T_BIG].fixed >= 0)
		fprintf(stderr, "srcu-torture: --nr-cpus and --convert-to-big are Tree "
			"tunables: ignored on Tiny\n");
#endif
}

int main(int argc, char **argv)
{
	struct reader sum;
	unsigned long gps_waited = 0, cbs_q, cbs_i;
	pthread_t watchdog;
	struct sigaction sa;
	uint64_t rng, t0;
	int first;

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_options(argc, argv);
	/* Before the library's first use, which would start the pools. */
	SRCU_FLAVOUR_NAME(test_fail_threads)(opt.no_workers);
	if (broken && broken->flag)
		*broken->flag = true;
	else if (broken && SRCU_FLAVOUR_NAME(test_break)(broken->name))
		die("the library has no broken mode '%s'", broken->name);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = reader_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		die("sigaction: %s", strerror(errno));

	/* Updaters [0] = writer, then the extra ones; callbacks to check. */
	nr_updaters_all = 1 + opt.nr_updaters;
	updaters = calloc((size_t)nr_updaters_all, sizeof(*updaters));
	nr_cbs = POOL_SIZE + opt.nr_updaters * NR_UPDATER_CBS;
	cbs = calloc((size_t)nr_cbs, sizeof(*cbs));
	if (!updaters || !cbs)
		die("out of memory");
	for (int i = 0; i < POOL_SIZE; i++)
		cbs[i] = &pool[i].cb;
	for (int i = 0; i < nr_updaters_all; i++) {
		struct updater *u = &updaters[i];

		snprintf(u->name, sizeof(u->name), i ? "updater %d" : "writer", i);
		u->snap = calloc((size_t)nr_cbs, sizeof(*u->snap));
		if (!u->snap)
			die("out of memory");
		for (int j = 0; i && j < NR_UPDATER_CBS; j++)
			cbs[POOL_SIZE + (i - 1) * NR_UPDATER_CBS + j] = &u->cbs[j];
	}

	printf("srcu-torture: flavour %s, %.1f s, seed %lu, %d readers (%s), "
	       "%d updaters + writer, %d sub-run(s)%s%s%s%s\n",
	       TORTURE_FLAVOUR, opt.duration, opt.seed, opt.nr_readers,
	       rflavour_names[opt.rflavour], opt.nr_updaters, opt.subruns,
	       opt.shuffle ? ", shuffled tunables" : "",
	       opt.no_workers ? ", no worker threads" : "", broken ? ", BROKEN: " : "",
	       broken ? broken->name : "");

	WRITE_ONCE(watchdog_live, 1);
	start_thread(&watchdog, watchdog_thread, NULL);
	rng = rnd_seed(0);
	first = (int)rnd_below(&rng, RF_NR);
	t0 = now_ns();
	next_stat = t0 + (uint64_t)(opt.stat_interval * 1e9);
	for (int k = 0; k < opt.subruns; k++) {
		enum rflavour f = opt.rflavour == RF_MIX ? (enum rflavour)((first + k) % RF_NR)
							 : opt.rflavour;

		run_subrun(k, opt.subruns, f, &rng);
	}
	WRITE_ONCE(watchdog_live, 0);
	join_thread(watchdog);

	reader_sum(&sum);
	for (int op = 0; op < OP_NR; op++)
		if (op != OP_CALL && op != OP_CALL_EXP)
			gps_waited += st_ops[op];
	cbs_q = READ_ONCE(st_cbs_queued);
	cbs_i = READ_ONCE(st_cbs_invoked);

	printf("srcu-torture: reader sections: %lu checked (%lu nested, %lu slept, "
	       "%lu ended by another thread, %lu in signal handlers, %lu stragglers); "
	       "readers preempted by signals %lu times\n",
	       sum.sections + sig_sections(&sum), sum.nested, sum.slept, sum.handed,
	       sig_sections(&sum), sum.straggled, sum.preempted);
	printf("srcu-torture: Reader Pipe: ");
	for (int j = 0; j <= PIPE_LEN; j++)
		printf(" %lu", sum.pipe[j]);
	printf("\nsrcu-torture: grace periods: %lu completed by the library (%lu normal, "
	       "%lu expedited, %lu promotions); %lu waited for by updaters (",
	       gp_lib_normal + gp_lib_exp, gp_lib_normal, gp_lib_exp, gp_lib_promotions,
	       gps_waited);
	for (int op = 0; op < OP_NR; op++)
		printf("%s%s %lu", op ? ", " : "", op_names[op], st_ops[op]);
	printf(")\nsrcu-torture: updates: %lu published, %lu freed early on purpose; "
	       "callbacks: %lu queued, %lu invoked\n", st_ver, st_broken, cbs_q, cbs_i);
	printf("srcu-torture: errors:");
	for (int k = 0; k < E_NR; k++)
		printf(" %s %lu", err_names[k], errors[k]);
	if (cbs_q != cbs_i)
		printf(" (callbacks queued != invoked)");
	printf("\nsrcu-torture: %.1f s in all\n", (now_ns() - t0) / 1e9);
	if (errors_total() || cbs_q != cbs_i) {
		printf("srcu-torture: End of test: FAILURE\n");
		return 1;
	}
	printf("srcu-torture: End of test: SUCCESS\n");
	return 0;
}
