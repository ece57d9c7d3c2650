/*
 * test_tree.c: Tree-only behaviour that the shared API suite cannot see:
 * the segmented callback list, the seed's grace-period transfer and its
 * cure (promotion, call_srcu_expedited()), the funnel over a simulated
 * big tree, size-state transitions, counter wrap, and ten thousand
 * srcu_structs on a bounded pool.  Linked against the static library to
 * look at the update-side state.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <srcu/tree.h>
#include <srcu/testing.h>
#include "segcblist.h"
#include "test_util.h"
#include "srcutree-internal.h"

/* Helpers. */

static void set_param(const char *name, long value)
{
	assert_int_equal(srcu_tree_param_set(name, value), 0);
}

static void reset_params(void)
{
	set_param("hz", 1000);
	set_param("promote_inflight", 1);
	set_param("convert_to_big", 3);
	set_param("nr_cpus", 0);
	set_param("small_contention_lim", 100);
}

static int teardown_params(void **state)
{
	reset_params();
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

static struct srcu_stats stats_of(struct srcu_tree_struct *ssp)
{
	struct srcu_stats st;

	assert_int_equal(srcu_tree_get_stats(ssp, &st), 0);
	return st;
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* A callback that counts its invocations. */
struct counted_cb {
	struct rcu_head rh;
	int invoked;			/* times invoked */
	int reader_left_first;		/* the guarded reader had left when it ran */
	const int *reader_left;		/* flag the reader sets on leaving, or NULL */
};

static void counted_cb_func(struct rcu_head *rh)
{
	struct counted_cb *c = caa_container_of(rh, struct counted_cb, rh);

	if (c->reader_left)
		c->reader_left_first = __atomic_load_n(c->reader_left, __ATOMIC_ACQUIRE);
	__atomic_fetch_add(&c->invoked, 1, __ATOMIC_RELEASE);
}

static void wait_invoked(struct counted_cb *c, int n)
{
	for (int i = 0; i < 10000 && __atomic_load_n(&c->invoked, __ATOMIC_ACQUIRE) < n; i++)
		sleep_ms(1);
	assert_int_equal(__atomic_load_n(&c->invoked, __ATOMIC_ACQUIRE), n);
}

/* A reader that enters, reports, stays inside hold_ms, marks leaving, leaves. */
struct held_reader {
	struct srcu_tree_struct *ssp;
	int vcpu;			/* virtual CPU, or -1 */
	long hold_ms;
	int inside;			/* set once inside */
	int left;			/* set just before srcu_read_unlock */
	pthread_t tid;
};

static void *held_reader_fn(void *arg)
{
	struct held_reader *r = arg;
	int idx;

	if (r->vcpu >= 0)
		srcu_tree_set_virtual_cpu(r->vcpu);
	idx = srcu_tree_read_lock(r->ssp);
	__atomic_store_n(&r->inside, 1, __ATOMIC_RELEASE);
	sleep_ms(r->hold_ms);
	__atomic_store_n(&r->left, 1, __ATOMIC_RELEASE);
	srcu_tree_read_unlock(r->ssp, idx);
	return NULL;
}

static void start_held_reader(struct held_reader *r, struct srcu_tree_struct *ssp,
			      int vcpu, long hold_ms)
{
	memset(r, 0, sizeof(*r));
	r->ssp = ssp;
	r->vcpu = vcpu;
	r->hold_ms = hold_ms;
	assert_int_equal(pthread_create(&r->tid, NULL, held_reader_fn, r), 0);
	while (!__atomic_load_n(&r->inside, __ATOMIC_ACQUIRE))
		sleep_ms(1);
}

/* Segmented callback list. */

static void test_segcblist(void **state)
{
	struct rcu_head h[6];
	struct srcu_segcblist l;
	struct srcu_cblist done;
	int i;

	srcu_segcblist_init(&l);
	assert_true(srcu_segcblist_empty(&l));
	assert_false(srcu_segcblist_entrain(&l, &h[5]));

	srcu_segcblist_enqueue(&l, &h[0]);
	srcu_segcblist_enqueue(&l, &h[1]);
	assert_true(srcu_segcblist_accelerate(&l, 8));		/* h0,h1 wait for 8 */
	srcu_segcblist_enqueue(&l, &h[2]);
	assert_true(srcu_segcblist_accelerate(&l, 12));		/* h2 waits for 12 */
	srcu_segcblist_enqueue(&l, &h[3]);
	assert_false(srcu_segcblist_accelerate(&l, 16));	/* no segment free */
	assert_true(srcu_segcblist_accelerate(&l, 12));		/* h3 joins 12 */
	assert_true(srcu_segcblist_pend_cbs(&l));
	assert_false(srcu_segcblist_ready_cbs(&l));

	srcu_segcblist_advance(&l, 5);				/* nothing done */
	assert_false(srcu_segcblist_ready_cbs(&l));
	srcu_segcblist_advance(&l, 8);				/* h0,h1 done */
	assert_true(srcu_segcblist_ready_cbs(&l));
	assert_true(srcu_segcblist_entrain(&l, &h[4]));		/* behind h3 */

	srcu_segcblist_extract_done(&l, &done);
	assert_int_equal(done.len, 2);
	assert_ptr_equal(srcu_cblist_dequeue(&done), &h[0]);
	assert_ptr_equal(srcu_cblist_dequeue(&done), &h[1]);
	assert_null(srcu_cblist_dequeue(&done));
	l.len -= 2;

	srcu_segcblist_advance(&l, 12);
	srcu_segcblist_extract_done(&l, &done);
	assert_int_equal(done.len, 3);
	for (i = 2; i <= 4; i++)
		assert_ptr_equal(srcu_cblist_dequeue(&done), &h[i]);
	l.len -= 3;
	assert_true(srcu_segcblist_empty(&l));
	assert_int_equal(l.len, 0);

	/* Grace-period numbers compare across the wrap of unsigned long. */
	srcu_segcblist_enqueue(&l, &h[0]);
	assert_true(srcu_segcblist_accelerate(&l, 4));
	srcu_segcblist_advance(&l, (unsigned long)-8);		/* before 4, across 0 */
	assert_false(srcu_segcblist_ready_cbs(&l));
	srcu_segcblist_advance(&l, 4);
	assert_true(srcu_segcblist_ready_cbs(&l));
}

/* The seed: call_srcu() then synchronize_srcu_expedited(). */

/*
 * hz=1 makes a jiffy one second, so the window in which the expedited
 * request finds the normal grace period asleep cannot be missed.  A
 * polling cookie taken between the two reads done once the synchronize
 * returns, whichever grace period the waiter took (srcu_snap_unscanned()
 * refines both alike).
 */
static void seed_sequence(struct srcu_tree_struct *ssp, struct counted_cb *cb,
			  bool expedited_cb)
{
	unsigned long cookie;

	memset(cb, 0, sizeof(*cb));
	assert_int_equal(srcu_tree_init(ssp), 0);
	if (expedited_cb)
		srcu_tree_call_expedited(ssp, &cb->rh, counted_cb_func);
	else
		srcu_tree_call(ssp, &cb->rh, counted_cb_func);
	cookie = srcu_tree_get_state_synchronize(ssp);
	srcu_tree_synchronize_expedited(ssp);
	assert_true(srcu_tree_poll_state_synchronize(ssp, cookie));
}

static void test_transfer_kernel_behaviour(void **state)
{
	struct srcu_tree_struct ss;
	struct counted_cb cb;
	struct srcu_stats st;
	unsigned long gp0 = SRCU_GP_SEQ_INITIAL_VAL;

	set_param("hz", 1);
	set_param("promote_inflight", 0);
	seed_sequence(&ss, &cb, false);
	st = stats_of(&ss);
	/* The expedited waiter sat out the normal GP's sleep, then needed a second GP. */
	assert_int_equal(st.transfers, 1);
	assert_int_equal(st.promotions, 0);
	assert_true(ULONG_CMP_GE(st.gp_seq, gp0 + 8));
	srcu_tree_barrier(&ss);
	assert_int_equal(cb.invoked, 1);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

static void test_transfer_promoted(void **state)
{
	struct srcu_tree_struct ss;
	struct counted_cb cb;
	struct srcu_stats st;

	set_param("hz", 1);
	set_param("promote_inflight", 1);
	seed_sequence(&ss, &cb, false);
	st = stats_of(&ss);
	assert_int_equal(st.promotions, 1);
	assert_int_equal(st.transfers, 0);
	/*
	 * One grace period in all, the callback's: asleep and not yet
	 * scanning when the waiter came, it served the waiter too
	 * (srcu_snap_unscanned()), who drove it; nothing after it was asked.
	 */
	assert_int_equal(st.gp_seq, SRCU_GP_SEQ_INITIAL_VAL + 4);
	assert_int_equal(st.gp_by_waiter, 1);
	assert_int_equal(st.gp_seq_needed, SRCU_GP_SEQ_INITIAL_VAL + 4);
	srcu_tree_barrier(&ss);
	assert_int_equal(cb.invoked, 1);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

static void test_transfer_rfc(void **state)
{
	struct srcu_tree_struct ss;
	struct counted_cb cb;
	struct srcu_stats st;

	set_param("hz", 1);
	set_param("promote_inflight", 0);
	seed_sequence(&ss, &cb, true);
	st = stats_of(&ss);
	assert_int_equal(st.transfers, 0);
	assert_int_equal(st.promotions, 0);
	assert_int_equal(st.gp_normal, 0);	/* Nothing here ever slept. */
	srcu_tree_barrier(&ss);
	assert_int_equal(cb.invoked, 1);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

/* Promotion never shortens a grace period: a pre-existing reader is waited for. */
static void test_promotion_waits_for_readers(void **state)
{
	struct srcu_tree_struct ss;
	struct held_reader r;
	struct counted_cb cb;

	set_param("hz", 1);
	set_param("promote_inflight", 1);
	memset(&cb, 0, sizeof(cb));
	assert_int_equal(srcu_tree_init(&ss), 0);
	start_held_reader(&r, &ss, -1, 200);
	cb.reader_left = &r.left;
	srcu_tree_call(&ss, &cb.rh, counted_cb_func);
	srcu_tree_synchronize_expedited(&ss);
	assert_int_equal(__atomic_load_n(&r.left, __ATOMIC_ACQUIRE), 1);
	pthread_join(r.tid, NULL);
	srcu_tree_barrier(&ss);
	assert_int_equal(cb.invoked, 1);
	assert_int_equal(cb.reader_left_first, 1);
	assert_true(stats_of(&ss).promotions >= 1);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

/*
 * The promotion window.  An expedited request that reaches a grace period
 * while its work is between moving the state machine and deciding whether
 * to sleep must not be slept through: the decision sees the request (no
 * sleep), or the sleep is there for the request to find (promoted, or a
 * counted transfer), never neither.  The hook holds the work in that
 * window while the request is made; a jiffy of one second makes a sleep
 * that ignored it unmistakable.  With promotion off too: a request made
 * before the decision keeps the kernel's process_srcu() from sleeping.
 */
struct window_probe {
	struct srcu_tree_struct *ssp;
	int scanned;			/* the work waits in the window */
	int go;				/* the request is made: decide */
	int decided;			/* st holds the stats after the decision */
	struct srcu_stats st;
};

static void window_hook(struct srcu_tree_struct *ssp, int event, void *arg)
{
	struct window_probe *p = arg;

	if (ssp != p->ssp)
		return;
	if (event == SRCU_TEST_GP_SCANNED && !test_get(&p->scanned)) {
		test_set(&p->scanned, 1);
		test_wait_for(&p->go, 1);
	} else if (event == SRCU_TEST_GP_DECIDED && test_get(&p->go) && !test_get(&p->decided)) {
		assert_int_equal(srcu_tree_get_stats(ssp, &p->st), 0);
		test_set(&p->decided, 1);
	}
}

static void test_promotion_window(void **state)
{
	for (int promote = 1; promote >= 0; promote--) {
		struct window_probe p = { 0 };
		struct srcu_tree_struct ss;
		struct counted_cb cb1, cb2;
		int idx;

		memset(&cb1, 0, sizeof(cb1));
		memset(&cb2, 0, sizeof(cb2));
		set_param("hz", 1000);
		set_param("promote_inflight", promote);
		assert_int_equal(srcu_tree_init(&ss), 0);
		p.ssp = &ss;
		srcu_tree_test_gp_hook(window_hook, &p);
		/* A reader the grace period must wait for: its work gives up and decides. */
		idx = srcu_tree_read_lock(&ss);
		srcu_tree_call(&ss, &cb1.rh, counted_cb_func);
		assert_true(test_wait_for(&p.scanned, 1));
		set_param("hz", 1);
		srcu_tree_call_expedited(&ss, &cb2.rh, counted_cb_func);
		test_set(&p.go, 1);
		assert_true(test_wait_for(&p.decided, 1));
		srcu_tree_test_gp_hook(NULL, NULL);
		/* Asleep with the request pending, neither promoted nor counted: the bug. */
		assert_false(p.st.gp_sleeping &&
			     ULONG_CMP_LT(p.st.gp_seq, p.st.gp_seq_needed_exp) &&
			     p.st.promotions == 0 && p.st.transfers == 0);
		srcu_tree_read_unlock(&ss, idx);
		srcu_tree_barrier(&ss);
		assert_int_equal(cb1.invoked, 1);
		assert_int_equal(cb2.invoked, 1);
		assert_int_equal(stats_of(&ss).transfers, 0);
		assert_int_equal(srcu_tree_cleanup(&ss), 0);
	}
}

/*
 * The busy-core hand-off: a worker that runs an expedited grace period's
 * work and is stopped (preempted, here held in the hook) between a scan
 * and the step it allows must not hold up an expedited waiter: the waiter
 * takes the steps itself, and the statistics say so.  With srcu_gp_mutex
 * held across the step, as before, the waiter would have slept until the
 * worker ran again.
 */
/* Hold the first thread that reaches event on ssp in the hook, until released. */
struct hold_probe {
	struct srcu_tree_struct *ssp;
	int event;			/* enum srcu_test_gp_event */
	int held;			/* that thread waits in the hook */
	int release;			/* let it go on */
};

static void hold_hook(struct srcu_tree_struct *ssp, int event, void *arg)
{
	struct hold_probe *p = arg;

	if (ssp != p->ssp || event != p->event || test_get(&p->held))
		return;
	test_set(&p->held, 1);
	test_wait_for(&p->release, 1);
}

static void test_waiter_takes_over(void **state)
{
	struct hold_probe p = { .event = SRCU_TEST_GP_STEP };
	struct srcu_tree_struct ss;
	struct counted_cb cb;
	struct srcu_stats st;

	memset(&cb, 0, sizeof(cb));
	assert_int_equal(srcu_tree_init(&ss), 0);
	p.ssp = &ss;
	srcu_tree_test_gp_hook(hold_hook, &p);
	/* The RFC's call: its grace period's work is queued at once. */
	srcu_tree_call_expedited(&ss, &cb.rh, counted_cb_func);
	assert_true(test_wait_for(&p.held, 1));
	srcu_tree_synchronize_expedited(&ss);
	st = stats_of(&ss);
	test_set(&p.release, 1);
	srcu_tree_test_gp_hook(NULL, NULL);
	/*
	 * Two grace periods (the one in flight, whose first scan had begun
	 * before the waiter came, then a full one), both ended here.
	 */
	assert_int_equal(st.gp_by_waiter, 2);
	assert_true(ULONG_CMP_GE(st.gp_seq, SRCU_GP_SEQ_INITIAL_VAL + 8));
	srcu_tree_barrier(&ss);
	assert_int_equal(cb.invoked, 1);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

/*
 * A request recorded in srcu_data but not yet at the root (its thread
 * preempted in between, here held in the hook) must not leave an
 * expedited waiter for the same grace period with nothing to drive.  The
 * waiter records it at the root itself and drives it; the held thread is
 * still inside its internal reader, so the waiter polls (sleeps) until it
 * is let go, then ends.  Before, the waiter found nothing to do and looped
 * without sleeping, never polling (found by tests/model/gp_work.pml): this
 * test then failed.
 */
struct funnel_caller {
	struct srcu_tree_struct *ssp;
	struct counted_cb cb;
};

static void *funnel_caller_fn(void *arg)
{
	struct funnel_caller *c = arg;

	srcu_tree_call(c->ssp, &c->cb.rh, counted_cb_func);
	return NULL;
}

static void *funnel_waiter_fn(void *arg)
{
	srcu_tree_synchronize_expedited(arg);
	return NULL;
}

static void test_waiter_reaches_root(void **state)
{
	for (int promote = 1; promote >= 0; promote--) {
		struct hold_probe p = { .event = SRCU_TEST_GP_FUNNEL };
		struct funnel_caller c;
		struct srcu_tree_struct ss;
		uint64_t end = test_now_ns() + TEST_DEADLINE_NS;
		bool polled = false;
		pthread_t t, w;

		set_param("promote_inflight", promote);
		memset(&c, 0, sizeof(c));
		assert_int_equal(srcu_tree_init(&ss), 0);
		p.ssp = &ss;
		c.ssp = &ss;
		srcu_tree_test_gp_hook(hold_hook, &p);
		t = test_thread_start(funnel_caller_fn, &c);
		assert_true(test_wait_for(&p.held, 1));
		w = test_thread_start(funnel_waiter_fn, &ss);
		/* The waiter drives, finds the held reader, and sleeps on it. */
		while (!(polled = stats_of(&ss).waiter_polls > 0) && test_now_ns() < end)
			test_sleep_ms(1);
		test_set(&p.release, 1);
		test_thread_join(t);
		test_thread_join(w);
		srcu_tree_test_gp_hook(NULL, NULL);
		assert_true(polled);
		assert_true(stats_of(&ss).gp_by_waiter >= 1);
		srcu_tree_barrier(&ss);
		assert_int_equal(c.cb.invoked, 1);
		assert_int_equal(srcu_tree_cleanup(&ss), 0);
	}
}

/*
 * The transfers statistic is exact.  With promotion, a stress of
 * call_srcu() + synchronize_srcu_expedited() updaters beside
 * call_srcu_expedited() and srcu_expedite_current() callers and a reader
 * never counts one, though every call_srcu() from idle puts a grace period
 * to sleep for a jiffy of one second.  Without promotion, updates that
 * each start from idle count exactly one each.
 */
#define STRESS_UPDATES	300

struct stress_arg {
	struct srcu_tree_struct *ssp;
	int kind;			/* 0 updater, 1 expedited callbacks, 2 reader */
	int *stop;
	int *go;			/* the lead waits for it after its first update */
	int first_done;			/* the lead's first update is done */
	struct counted_cb cbs[STRESS_UPDATES];
};

static void *stress_fn(void *arg)
{
	struct stress_arg *a = arg;

	for (int i = 0; i < STRESS_UPDATES; i++) {
		if (a->kind == 0) {
			srcu_tree_call(a->ssp, &a->cbs[i].rh, counted_cb_func);
			srcu_tree_synchronize_expedited(a->ssp);
		} else if (a->kind == 1) {
			srcu_tree_call_expedited(a->ssp, &a->cbs[i].rh, counted_cb_func);
			srcu_tree_expedite_current(a->ssp);
		}
		if (i == 0 && a->go) {
			test_set(&a->first_done, 1);
			test_wait_for(a->go, 1);
		}
	}
	while (a->kind == 2 && !test_get(a->stop)) {
		int idx = srcu_tree_read_lock(a->ssp);

		srcu_tree_read_unlock(a->ssp, idx);
	}
	return NULL;
}

static void test_transfers_exact(void **state)
{
	struct srcu_tree_struct ss;
	struct stress_arg *args = calloc(4, sizeof(*args));
	pthread_t t[4];
	struct counted_cb cb;
	struct srcu_stats st;
	int stop = 0, go = 0;

	assert_non_null(args);
	set_param("hz", 1);
	set_param("promote_inflight", 1);
	assert_int_equal(srcu_tree_init(&ss), 0);
	for (int i = 0; i < 4; i++) {
		args[i].ssp = &ss;
		args[i].kind = i < 2 ? 0 : i - 1;
		args[i].stop = &stop;
		args[i].go = i == 0 ? &go : NULL;
		t[i] = test_thread_start(stress_fn, &args[i]);
		/*
		 * The lead updater's first update runs alone, from idle: its
		 * grace period sleeps, so the stress promotes at least once
		 * whatever the scheduling (the others could otherwise keep an
		 * expedited request pending throughout, and nothing would sleep).
		 */
		if (i == 0) {
			assert_true(test_wait_for(&args[0].first_done, 1));
			assert_int_equal(stats_of(&ss).promotions, 1);
		}
	}
	test_set(&go, 1);
	for (int i = 0; i < 3; i++)
		test_thread_join(t[i]);
	test_set(&stop, 1);
	test_thread_join(t[3]);
	srcu_tree_barrier(&ss);
	st = stats_of(&ss);
	assert_int_equal(st.transfers, 0);
	assert_true(st.promotions > 0);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < STRESS_UPDATES; j++)
			assert_int_equal(args[i].cbs[j].invoked, 1);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
	free(args);

	set_param("promote_inflight", 0);
	assert_int_equal(srcu_tree_init(&ss), 0);
	for (int i = 0; i < 3; i++) {
		memset(&cb, 0, sizeof(cb));
		srcu_tree_call(&ss, &cb.rh, counted_cb_func);
		srcu_tree_synchronize_expedited(&ss);
		srcu_tree_barrier(&ss);	/* the next update starts from idle */
		assert_int_equal(cb.invoked, 1);
		assert_int_equal(stats_of(&ss).transfers, i + 1);
	}
	assert_int_equal(stats_of(&ss).promotions, 0);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

/*
 * srcu_barrier() after srcu_expedite_current() asked twice: the second
 * call re-queues the library's expediting callback when the first runs,
 * and the barrier waits for that one as well, so that cleanup finds
 * nothing queued.  The hook holds every grace period that starts after
 * the first one for 100 ms, so a barrier that did not wait would return
 * with the re-queued callback still queued (cleanup: -EBUSY).
 */
struct ec_hold {
	unsigned long first_gp;		/* cookie of the first grace period */
	int held;			/* grace periods held so far */
};

static void hold_later_gps(struct srcu_tree_struct *ssp, int event, void *arg)
{
	struct ec_hold *h = arg;

	if (event == SRCU_TEST_GP_STEP &&
	    srcu_tree_poll_state_synchronize(ssp, h->first_gp) &&
	    !__atomic_fetch_add(&h->held, 1, __ATOMIC_RELAXED))
		sleep_ms(100);
}

static void test_barrier_waits_for_expedite_current(void **state)
{
	struct srcu_tree_struct ss;
	struct held_reader r;
	struct ec_hold h = { .held = 0 };
	int rc;

	assert_int_equal(srcu_tree_init(&ss), 0);
	start_held_reader(&r, &ss, -1, 50);
	/* Idle, so the first grace period to start is the one this names. */
	h.first_gp = srcu_tree_get_state_synchronize(&ss);
	srcu_tree_test_gp_hook(hold_later_gps, &h);	/* publishes h */
	srcu_tree_set_virtual_cpu(0);		/* both calls on one CPU's data */
	srcu_tree_expedite_current(&ss);
	srcu_tree_expedite_current(&ss);	/* asks for a re-queue */
	srcu_tree_set_virtual_cpu(-1);
	pthread_join(r.tid, NULL);
	srcu_tree_barrier(&ss);
	rc = srcu_tree_cleanup(&ss);
	if (rc) {			/* failed: still leave nothing running */
		srcu_tree_barrier(&ss);
		srcu_tree_barrier(&ss);
		srcu_tree_cleanup(&ss);
	}
	srcu_tree_test_gp_hook(NULL, NULL);
	assert_int_equal(rc, 0);
	assert_true(__atomic_load_n(&h.held, __ATOMIC_RELAXED) >= 1);
}

/* call_srcu_expedited(): once, after a full grace period. */
static void test_call_expedited_waits(void **state)
{
	struct srcu_tree_struct ss;
	struct held_reader r;
	struct counted_cb cb;

	memset(&cb, 0, sizeof(cb));
	assert_int_equal(srcu_tree_init(&ss), 0);
	start_held_reader(&r, &ss, -1, 100);
	cb.reader_left = &r.left;
	srcu_tree_call_expedited(&ss, &cb.rh, counted_cb_func);
	wait_invoked(&cb, 1);
	assert_int_equal(cb.reader_left_first, 1);
	pthread_join(r.tid, NULL);
	srcu_tree_barrier(&ss);
	assert_int_equal(cb.invoked, 1);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

/* A simulated big tree. */

#define BIG_CPUS	1000
#define BIG_THREADS	8

struct vcpu_caller {
	struct srcu_tree_struct *ssp;
	struct counted_cb *cbs;		/* BIG_CPUS of them */
	int first;			/* this thread's first virtual CPU */
	pthread_t tid;
};

static void *vcpu_caller_fn(void *arg)
{
	struct vcpu_caller *c = arg;

	for (int cpu = c->first; cpu < BIG_CPUS; cpu += BIG_THREADS) {
		srcu_tree_set_virtual_cpu(cpu);
		if (cpu % 3 == 0)
			srcu_tree_call_expedited(c->ssp, &c->cbs[cpu].rh, counted_cb_func);
		else
			srcu_tree_call(c->ssp, &c->cbs[cpu].rh, counted_cb_func);
	}
	srcu_tree_set_virtual_cpu(-1);
	return NULL;
}

static void test_big_tree_funnel(void **state)
{
	struct srcu_tree_struct ss;
	struct vcpu_caller callers[BIG_THREADS];
	struct counted_cb *cbs = calloc(BIG_CPUS, sizeof(*cbs));
	struct srcu_tree_usage *sup;
	struct held_reader r;
	struct srcu_stats st;
	int i;

	assert_non_null(cbs);
	set_param("nr_cpus", BIG_CPUS);
	set_param("convert_to_big", 1);
	assert_int_equal(srcu_tree_init(&ss), 0);
	st = stats_of(&ss);
	assert_string_equal(st.size_state_name, "BIG");
	assert_int_equal(st.nr_cpus, BIG_CPUS);
	/* 1000 CPUs: 63 leaves of 16, one root above them. */
	assert_int_equal(st.nr_nodes, 64);
	sup = ss.srcu_sup;
	assert_int_equal(sup->num_levels, 2);
	assert_ptr_equal(sup->sda[999].mynode, &sup->level[1][62]);
	assert_ptr_equal(sup->sda[999].mynode->srcu_parent, sup->node);

	/* A reader on a far virtual CPU holds up synchronize_srcu(). */
	start_held_reader(&r, &ss, 977, 100);
	srcu_tree_synchronize(&ss);
	assert_int_equal(__atomic_load_n(&r.left, __ATOMIC_ACQUIRE), 1);
	pthread_join(r.tid, NULL);

	for (i = 0; i < BIG_THREADS; i++) {
		callers[i] = (struct vcpu_caller){ .ssp = &ss, .cbs = cbs, .first = i };
		assert_int_equal(pthread_create(&callers[i].tid, NULL, vcpu_caller_fn,
						&callers[i]), 0);
	}
	for (i = 0; i < BIG_THREADS; i++)
		pthread_join(callers[i].tid, NULL);
	srcu_tree_barrier(&ss);
	for (i = 0; i < BIG_CPUS; i++)
		assert_int_equal(cbs[i].invoked, 1);
	st = stats_of(&ss);
	assert_int_equal(st.cbs_invoked, st.cbs_queued);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
	free(cbs);
}

/* Size states: on request (convert_to_big=2), one step per grace period. */
static void test_size_on_request(void **state)
{
	struct srcu_tree_struct ss;
	FILE *devnull = fopen("/dev/null", "w");
	int i, last = -1;

	assert_non_null(devnull);
	set_param("nr_cpus", 40);
	set_param("convert_to_big", 2);
	assert_int_equal(srcu_tree_init(&ss), 0);
	assert_int_equal(stats_of(&ss).size_state, SRCU_SIZE_SMALL);
	srcu_tree_stats_print(&ss, devnull, "t");
	assert_int_equal(stats_of(&ss).size_state, SRCU_SIZE_ALLOC);
	for (i = 0; i < 20 && stats_of(&ss).size_state != SRCU_SIZE_BIG; i++) {
		int now = stats_of(&ss).size_state;

		assert_true(now >= last);	/* Never backwards. */
		last = now;
		srcu_tree_synchronize_expedited(&ss);
	}
	assert_int_equal(stats_of(&ss).size_state, SRCU_SIZE_BIG);
	assert_int_equal(stats_of(&ss).nr_nodes, 4);	/* 3 leaves + root */
	fclose(devnull);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

/* Size states: contention on a lock sends a small srcu_struct big. */
struct hammer {
	struct srcu_tree_struct *ssp;
	int stop;
	pthread_t tid;
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;

	while (!__atomic_load_n(&h->stop, __ATOMIC_RELAXED))
		(void)srcu_tree_start_poll_synchronize(h->ssp);
	return NULL;
}

static void test_size_on_contention(void **state)
{
	struct srcu_tree_struct ss;
	struct hammer h[4];
	int i, tries;

	set_param("nr_cpus", 4);
	set_param("convert_to_big", 0x10);
	set_param("small_contention_lim", 0);
	assert_int_equal(srcu_tree_init(&ss), 0);
	for (i = 0; i < 4; i++) {
		h[i] = (struct hammer){ .ssp = &ss };
		assert_int_equal(pthread_create(&h[i].tid, NULL, hammer_fn, &h[i]), 0);
	}
	for (tries = 0; tries < 2000 && stats_of(&ss).size_state == SRCU_SIZE_SMALL; tries++)
		sleep_ms(5);
	for (i = 0; i < 4; i++) {
		__atomic_store_n(&h[i].stop, 1, __ATOMIC_RELAXED);
		pthread_join(h[i].tid, NULL);
	}
	assert_int_not_equal(stats_of(&ss).size_state, SRCU_SIZE_SMALL);
	for (i = 0; i < 20 && stats_of(&ss).size_state != SRCU_SIZE_BIG; i++)
		srcu_tree_synchronize_expedited(&ss);
	assert_int_equal(stats_of(&ss).size_state, SRCU_SIZE_BIG);
	srcu_tree_synchronize(&ss);	/* The hammers' last polls may still be pending. */
	srcu_tree_barrier(&ss);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

/* The counter starts 100 GPs before wrap: run well past it. */
static void test_counter_wrap(void **state)
{
	struct srcu_tree_struct ss;
	unsigned long cookie, first;
	int i;

	assert_int_equal(srcu_tree_init(&ss), 0);
	first = stats_of(&ss).gp_seq;
	assert_int_equal(first, SRCU_GP_SEQ_INITIAL_VAL);
	for (i = 0; i < 150; i++) {
		cookie = srcu_tree_get_state_synchronize(&ss);
		assert_false(srcu_tree_poll_state_synchronize(&ss, cookie));
		if (i % 2)
			srcu_tree_synchronize(&ss);
		else
			srcu_tree_synchronize_expedited(&ss);
		assert_true(srcu_tree_poll_state_synchronize(&ss, cookie));
	}
	/* Wrapped: the counter is now small, past zero. */
	assert_true(stats_of(&ss).gp_seq < first);
	assert_true(stats_of(&ss).gp_seq > 0);
	/* A cookie from the far past (before wrap) still reads done. */
	assert_true(srcu_tree_poll_state_synchronize(&ss, first));
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

/* Ten thousand srcu_structs, a bounded number of threads. */
#define MANY 10000

static void test_many_structs(void **state)
{
	struct srcu_tree_struct *ss = calloc(MANY, sizeof(*ss));
	struct counted_cb *cbs = calloc(MANY, sizeof(*cbs));
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	int i, threads_before = count_threads(), max_threads;

	assert_non_null(ss);
	assert_non_null(cbs);
	for (i = 0; i < MANY; i++)
		assert_int_equal(srcu_tree_init(&ss[i]), 0);
	for (i = 0; i < MANY; i++)
		srcu_tree_call(&ss[i], &cbs[i].rh, counted_cb_func);
	max_threads = count_threads();
	for (i = 0; i < MANY; i++) {
		if (i % 1000 == 0 && count_threads() > max_threads)
			max_threads = count_threads();
		srcu_tree_barrier(&ss[i]);
		assert_int_equal(cbs[i].invoked, 1);
	}
	for (i = 0; i < MANY; i++)
		assert_int_equal(srcu_tree_cleanup(&ss[i]), 0);
	/* Two pools of at most max(2, CPUs) workers each. */
	assert_true(max_threads - threads_before <= 2 * (ncpu > 2 ? ncpu : 2));
	free(cbs);
	free(ss);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_segcblist),
		cmocka_unit_test_teardown(test_transfer_kernel_behaviour, teardown_params),
		cmocka_unit_test_teardown(test_transfer_promoted, teardown_params),
		cmocka_unit_test_teardown(test_transfer_rfc, teardown_params),
		cmocka_unit_test_teardown(test_promotion_waits_for_readers, teardown_params),
		cmocka_unit_test_teardown(test_promotion_window, teardown_params),
		cmocka_unit_test_teardown(test_waiter_takes_over, teardown_params),
		cmocka_unit_test_teardown(test_waiter_reaches_root, teardown_params),
		cmocka_unit_test_teardown(test_transfers_exact, teardown_params),
		cmocka_unit_test_teardown(test_barrier_waits_for_expedite_current, teardown_params),
		cmocka_unit_test_teardown(test_call_expedited_waits, teardown_params),
		cmocka_unit_test_teardown(test_big_tree_funnel, teardown_params),
		cmocka_unit_test_teardown(test_size_on_request, teardown_params),
		cmocka_unit_test_teardown(test_size_on_contention, teardown_params),
		cmocka_unit_test_teardown(test_counter_wrap, teardown_params),
		cmocka_unit_test_teardown(test_many_structs, teardown_params),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
