/*
 * test_api.c: the API unit tests, one source for both flavours, through
 * <srcu.h> and the kernel's names only.  tests/CMakeLists.txt builds it as
 * test_api-tree and test_api-tiny (inline readers), and again as
 * test_api_noinline-tree/-tiny with SRCU_NO_INLINE, where <srcu.h> maps
 * the readers onto their exported out-of-line twins.
 *
 * Every check is about behaviour, never speed.  Where a test needs to know
 * that something did NOT happen early (a grace period ending while a
 * pre-existing reader is inside), the reader sleeps inside its critical
 * section and records when it left; the main thread compares afterwards.
 * Helper threads never assert: they record, the main thread checks.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <srcu.h>
#include "test_util.h"

#ifdef SRCU_TINY
#define FLAVOUR "tiny"
#define TINY 1
#else
#define FLAVOUR "tree"
#define TINY 0
#endif

/* How long a pre-existing reader stays inside while the update runs. */
#define READER_HOLD_MS	50

/* Reader flavours, so that each test can run with each of them. */

enum reader_kind {
	RK_NORMAL,		/* srcu_read_lock() */
	RK_NMISAFE,		/* srcu_read_lock_nmisafe() */
	RK_FAST,		/* srcu_read_lock_fast() */
	RK_UPDOWN,		/* srcu_down_read() */
	RK_UPDOWN_FAST,		/* srcu_down_read_fast() */
	RK_NR
};

static const char *const reader_name[RK_NR] = {
	"normal", "nmisafe", "fast", "updown", "updown_fast",
};

struct reader_token {
	int idx;
	struct srcu_ctr *scp;
};

static struct reader_token reader_enter(struct srcu_struct *ssp, enum reader_kind k)
{
	struct reader_token t = { -1, NULL };

	switch (k) {
	case RK_NORMAL:
		t.idx = srcu_read_lock(ssp);
		break;
	case RK_NMISAFE:
		t.idx = srcu_read_lock_nmisafe(ssp);
		break;
	case RK_FAST:
		t.scp = srcu_read_lock_fast(ssp);
		break;
	case RK_UPDOWN:
		t.idx = srcu_down_read(ssp);
		break;
	case RK_UPDOWN_FAST:
		t.scp = srcu_down_read_fast(ssp);
		break;
	default:
		abort();
	}
	return t;
}

static void reader_exit(struct srcu_struct *ssp, enum reader_kind k,
			struct reader_token t)
{
	switch (k) {
	case RK_NORMAL:
		srcu_read_unlock(ssp, t.idx);
		break;
	case RK_NMISAFE:
		srcu_read_unlock_nmisafe(ssp, t.idx);
		break;
	case RK_FAST:
		srcu_read_unlock_fast(ssp, t.scp);
		break;
	case RK_UPDOWN:
		srcu_up_read(ssp, t.idx);
		break;
	case RK_UPDOWN_FAST:
		srcu_up_read_fast(ssp, t.scp);
		break;
	default:
		abort();
	}
}

/* Initialise ssp for readers of kind k (the fast ones want their init). */
static int init_for(struct srcu_struct *ssp, enum reader_kind k)
{
	switch (k) {
	case RK_FAST:
		return init_srcu_struct_fast(ssp);
	case RK_UPDOWN_FAST:
		return init_srcu_struct_fast_updown(ssp);
	default:
		return init_srcu_struct(ssp);
	}
}

/* Ways to wait for a grace period. */

enum updater_kind {
	UK_SYNC,		/* synchronize_srcu() */
	UK_SYNC_EXP,		/* synchronize_srcu_expedited() */
	UK_CALL,		/* call_srcu(), then srcu_barrier() */
	UK_CALL_EXP,		/* call_srcu_expedited(), then srcu_barrier() */
	UK_NR
};

static const char *const updater_name[UK_NR] = {
	"synchronize", "synchronize_expedited", "call", "call_expedited",
};

/* One grace-period scenario, shared by its threads and its callback. */
struct gp_case {
	enum updater_kind uk;
	enum reader_kind rk;
	struct srcu_struct *ssp;
	unsigned long batches_before;	/* srcu_batches_completed() before the update */
	/* Reader 1: pre-existing, inside before the update starts. */
	int r1_inside;
	int r1_left;			/* set inside the section, just before the exit */
	int r1_timeout;			/* gave up waiting for reader 2 */
	uint64_t r1_left_ns;
	/* Reader 2: enters after the update has started its grace period. */
	int go;
	int r2_no_flip;			/* the grace period never started */
	int r2_inside;
	int r2_left;
	int r2_timeout;			/* the update never completed while inside */
	/* The update. */
	int done;			/* synchronize returned, or the callback ran */
	int r1_left_at_done;		/* what the update saw when it completed */
	int r2_inside_at_done;		/* reader 2 inside and not leaving, then */
	uint64_t done_ns;
	/* The callback. */
	struct rcu_head rh;
	int cb_calls;
};

/* Record, at the moment the update completes, what the readers were doing. */
static void gp_case_done(struct gp_case *c)
{
	test_set(&c->r1_left_at_done, test_get(&c->r1_left));
	test_set(&c->r2_inside_at_done,
		 test_get(&c->r2_inside) && !test_get(&c->r2_left));
	test_set_u64(&c->done_ns, test_now_ns());
	test_inc(&c->cb_calls);
	test_set(&c->done, 1);
}

static void gp_case_cb(struct rcu_head *rhp)
{
	gp_case_done(caa_container_of(rhp, struct gp_case, rh));
}

/* Run the update of kind c->uk; returns once its grace period has ended. */
static void gp_case_update(struct gp_case *c)
{
	switch (c->uk) {
	case UK_SYNC:
		synchronize_srcu(c->ssp);
		gp_case_done(c);
		break;
	case UK_SYNC_EXP:
		synchronize_srcu_expedited(c->ssp);
		gp_case_done(c);
		break;
	case UK_CALL:
		call_srcu(c->ssp, &c->rh, gp_case_cb);
		srcu_barrier(c->ssp);
		break;
	case UK_CALL_EXP:
		call_srcu_expedited(c->ssp, &c->rh, gp_case_cb);
		srcu_barrier(c->ssp);
		break;
	default:
		abort();
	}
}

/* Reader 1 of the "waits for pre-existing readers" test: sleeps inside. */
static void *r1_sleeper(void *arg)
{
	struct gp_case *c = arg;
	struct reader_token t = reader_enter(c->ssp, c->rk);

	test_set(&c->r1_inside, 1);
	test_sleep_ms(READER_HOLD_MS);
	test_set_u64(&c->r1_left_ns, test_now_ns());
	test_set(&c->r1_left, 1);
	reader_exit(c->ssp, c->rk, t);
	return NULL;
}

/*
 * A grace period waits for a reader that was inside before the update
 * began: the reader sets r1_left inside its section just before leaving,
 * 50 ms in, so an update that completes early sees r1_left == 0.
 */
static void test_waits_for_preexisting(void **state)
{
	struct gp_case *c = *state;
	struct srcu_struct ss;
	pthread_t r1;

	assert_int_equal(init_for(&ss, c->rk), 0);
	c->ssp = &ss;
	r1 = test_thread_start(r1_sleeper, c);
	assert_true(test_wait_for(&c->r1_inside, 1));
	gp_case_update(c);
	test_thread_join(r1);

	assert_int_equal(test_get(&c->cb_calls), 1);
	assert_int_equal(test_get(&c->r1_left_at_done), 1);
	assert_true(test_get_u64(&c->done_ns) >= test_get_u64(&c->r1_left_ns));
	/* Exactly once: another grace period and barrier invoke nothing more. */
	synchronize_srcu(&ss);
	srcu_barrier(&ss);
	assert_int_equal(test_get(&c->cb_calls), 1);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* Reader 1 of the "ignores new readers" test: leaves once reader 2 is in. */
static void *r1_until_r2(void *arg)
{
	struct gp_case *c = arg;
	struct reader_token t = reader_enter(c->ssp, c->rk);

	test_set(&c->r1_inside, 1);
	if (!test_wait_for(&c->r2_inside, 1))
		test_set(&c->r1_timeout, 1);
	test_set(&c->r1_left, 1);
	reader_exit(c->ssp, c->rk, t);
	return NULL;
}

/*
 * Has a grace period flipped the readers' index since before (taken while
 * idle)?  srcu_batches_completed() is, as in the kernel, Tree's
 * grace-period sequence, which is 2 past an idle value (SCAN2) right
 * after the flip, and Tiny's srcu_idx, which turns odd at the flip.
 */
static bool flipped_since(struct srcu_struct *ssp, unsigned long before)
{
#ifdef SRCU_TINY
	return srcu_batches_completed(ssp) - before >= 1;
#else
	return srcu_batches_completed(ssp) - before >= 2;
#endif
}

/*
 * Reader 2 enters only once the update's grace period has flipped the
 * readers' index (flipped_since()), so it is certainly a new reader, and
 * then stays inside until the update has completed.  A grace period that
 * waited for it would never complete: reader 2 gives up after the
 * deadline and says so.
 */
static void *r2_newcomer(void *arg)
{
	struct gp_case *c = arg;
	uint64_t end = test_now_ns() + TEST_DEADLINE_NS;
	struct reader_token t;

	if (!test_wait_for(&c->go, 1)) {
		test_set(&c->r2_no_flip, 1);
		return NULL;
	}
	while (!flipped_since(c->ssp, c->batches_before)) {
		if (test_now_ns() > end) {
			test_set(&c->r2_no_flip, 1);
			return NULL;
		}
		test_sleep_ms(1);
	}
	t = reader_enter(c->ssp, c->rk);
	test_set(&c->r2_inside, 1);
	if (!test_wait_for(&c->done, 1))
		test_set(&c->r2_timeout, 1);
	test_set(&c->r2_left, 1);
	reader_exit(c->ssp, c->rk, t);
	return NULL;
}

static void test_ignores_new_readers(void **state)
{
	struct gp_case *c = *state;
	struct srcu_struct ss;
	pthread_t r1, r2;

	assert_int_equal(init_for(&ss, c->rk), 0);
	c->ssp = &ss;
	c->batches_before = srcu_batches_completed(&ss);
	r1 = test_thread_start(r1_until_r2, c);
	assert_true(test_wait_for(&c->r1_inside, 1));
	r2 = test_thread_start(r2_newcomer, c);
	test_set(&c->go, 1);
	gp_case_update(c);
	test_thread_join(r2);
	test_thread_join(r1);

	assert_int_equal(test_get(&c->r2_no_flip), 0);
	assert_int_equal(test_get(&c->r1_timeout), 0);
	assert_int_equal(test_get(&c->r2_timeout), 0);
	/* The update completed after reader 1 left, while reader 2 was inside. */
	assert_int_equal(test_get(&c->r1_left_at_done), 1);
	assert_int_equal(test_get(&c->r2_inside_at_done), 1);
	assert_int_equal(test_get(&c->cb_calls), 1);
	srcu_barrier(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* Set-up and definitions. */

DEFINE_SRCU(test_global_srcu);
DEFINE_STATIC_SRCU(test_static_srcu);
DEFINE_SRCU_FAST(test_global_fast_srcu);
DEFINE_STATIC_SRCU_FAST(test_static_fast_srcu);
DEFINE_STATIC_SRCU_FAST_UPDOWN(test_static_fast_updown_srcu);

struct counted_cb {
	struct rcu_head rh;
	int calls;
};

static void counted_cb_fn(struct rcu_head *rhp)
{
	test_inc(&caa_container_of(rhp, struct counted_cb, rh)->calls);
}

/* Poll a start_poll cookie until done, for at most the deadline. */

/* Exercise a statically defined srcu_struct that no one initialised. */
static void use_static(struct srcu_struct *ssp, enum reader_kind k)
{
	struct counted_cb cb = { .calls = 0 };
	struct reader_token t;
	struct srcu_stats st;

	t = reader_enter(ssp, k);
	reader_exit(ssp, k, t);
	synchronize_srcu(ssp);
	synchronize_srcu_expedited(ssp);
	call_srcu(ssp, &cb.rh, counted_cb_fn);
	srcu_barrier(ssp);
	assert_int_equal(test_get(&cb.calls), 1);
	assert_true(test_poll_until_done(ssp, start_poll_synchronize_srcu(ssp)));
	assert_int_equal(srcu_get_stats(ssp, &st), 0);
	assert_string_equal(st.flavour, FLAVOUR);
}

static void test_define_no_init(void **state)
{
	use_static(&test_global_srcu, RK_NORMAL);
	use_static(&test_static_srcu, RK_NMISAFE);
	use_static(&test_global_fast_srcu, RK_FAST);
	use_static(&test_static_fast_srcu, RK_FAST);
	use_static(&test_static_fast_updown_srcu, RK_UPDOWN_FAST);
}

/*
 * Several threads make the first use of one statically defined srcu_struct
 * at once: one initialises it, the others find it being published, and
 * every one goes on (a thread that found it half-published once took it
 * for memory never initialised; this test caught that in 8 runs of 10
 * under ThreadSanitizer, whose slower loads widen the window, and in none
 * of 20 without).  Each round starts from the definition's value again
 * (fresh, after a clean-up).
 */
#define FIRST_USE_THREADS	4
#define FIRST_USE_ROUNDS	300

static struct srcu_struct first_use_srcu;
static pthread_barrier_t first_use_go;

static void *first_user(void *arg)
{
	int idx;

	pthread_barrier_wait(&first_use_go);
	idx = srcu_read_lock(&first_use_srcu);
	srcu_read_unlock(&first_use_srcu, idx);
	(void)get_state_synchronize_srcu(&first_use_srcu);
	pthread_barrier_wait(&first_use_go);
	return NULL;
}

static void test_define_first_use_races(void **state)
{
	static const struct srcu_struct fresh = SRCU_FLAVOUR_MACRO(STRUCT_INITIALIZER)(0);
	pthread_t t[FIRST_USE_THREADS];

	for (int round = 0; round < FIRST_USE_ROUNDS; round++) {
		first_use_srcu = fresh;
		assert_int_equal(pthread_barrier_init(&first_use_go, NULL, FIRST_USE_THREADS), 0);
		for (int i = 0; i < FIRST_USE_THREADS; i++)
			t[i] = test_thread_start(first_user, NULL);
		for (int i = 0; i < FIRST_USE_THREADS; i++)
			test_thread_join(t[i]);
		assert_int_equal(pthread_barrier_destroy(&first_use_go), 0);
		assert_int_equal(cleanup_srcu_struct(&first_use_srcu), 0);
	}
}

static void test_init_cleanup(void **state)
{
	struct srcu_struct ss;
	int i, idx;

	for (i = 0; i < 3; i++) {
		/* Fresh, then re-initialised after a clean-up. */
		assert_int_equal(init_srcu_struct(&ss), 0);
		idx = srcu_read_lock(&ss);
		srcu_read_unlock(&ss, idx);
		synchronize_srcu(&ss);
		assert_int_equal(cleanup_srcu_struct(&ss), 0);
	}
	assert_int_equal(init_srcu_struct(&ss), 0);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);	/* Never used. */
	assert_int_equal(init_srcu_struct_fast(&ss), 0);
	srcu_read_unlock_fast(&ss, srcu_read_lock_fast(&ss));
	synchronize_srcu(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
	assert_int_equal(init_srcu_struct_fast_updown(&ss), 0);
	srcu_up_read_fast(&ss, srcu_down_read_fast(&ss));
	synchronize_srcu_expedited(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* Readers: nesting, lock_held, releasing from another thread. */

struct sync_thread {
	struct srcu_struct *ssp;
	int done;
	uint64_t done_ns;
};

static void *sync_thread_fn(void *arg)
{
	struct sync_thread *s = arg;

	synchronize_srcu(s->ssp);
	test_set_u64(&s->done_ns, test_now_ns());
	test_set(&s->done, 1);
	return NULL;
}

/*
 * Nested readers: the outer section keeps the grace period waiting after
 * the inner ones have left.
 */
static void test_nested_readers(void **state)
{
	struct sync_thread s = { .done = 0 };
	struct srcu_struct ss;
	struct reader_token t[3];
	uint64_t outer_exit_ns;
	pthread_t th;
	int k, i;

	for (k = 0; k < RK_NR; k++) {
		assert_int_equal(init_for(&ss, k), 0);
		for (i = 0; i < 3; i++) {
			t[i] = reader_enter(&ss, k);
			if (k == RK_FAST || k == RK_UPDOWN_FAST)
				assert_non_null(t[i].scp);
			else
				assert_in_range(t[i].idx, 0, 1);
#ifdef SRCU_DEBUG
			/* Truthful in debug builds: down/up readers are not "held". */
			assert_int_equal(!!srcu_read_lock_held(&ss),
					 k != RK_UPDOWN && k != RK_UPDOWN_FAST);
#else
			assert_true(srcu_read_lock_held(&ss));
#endif
		}
		memset(&s, 0, sizeof(s));
		s.ssp = &ss;
		th = test_thread_start(sync_thread_fn, &s);
		test_sleep_ms(10);
		reader_exit(&ss, k, t[2]);
		reader_exit(&ss, k, t[1]);
		test_sleep_ms(20);
		assert_int_equal(test_get(&s.done), 0);	/* Outer reader still in. */
		outer_exit_ns = test_now_ns();
		reader_exit(&ss, k, t[0]);
		test_thread_join(th);
		assert_int_equal(test_get(&s.done), 1);
		assert_true(test_get_u64(&s.done_ns) >= outer_exit_ns);
		assert_int_equal(cleanup_srcu_struct(&ss), 0);
	}
}

struct updown_release {
	struct srcu_struct *ssp;
	enum reader_kind k;
	struct reader_token t;
	uint64_t up_ns;
};

static void *updown_release_fn(void *arg)
{
	struct updown_release *u = arg;

	test_set_u64(&u->up_ns, test_now_ns());
	reader_exit(u->ssp, u->k, u->t);
	return NULL;
}

/*
 * srcu_down_read() here, srcu_up_read() in another thread; a grace period
 * started in between waits for the release.
 */
static void test_updown_across_threads(void **state)
{
	static const enum reader_kind kinds[] = { RK_UPDOWN, RK_UPDOWN_FAST };
	struct updown_release u;
	struct sync_thread s;
	struct srcu_struct ss;
	pthread_t ts, tu;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		assert_int_equal(init_for(&ss, kinds[i]), 0);
		memset(&u, 0, sizeof(u));
		memset(&s, 0, sizeof(s));
		u.ssp = s.ssp = &ss;
		u.k = kinds[i];
		u.t = reader_enter(&ss, kinds[i]);
		ts = test_thread_start(sync_thread_fn, &s);
		test_sleep_ms(READER_HOLD_MS);
		assert_int_equal(test_get(&s.done), 0);
		tu = test_thread_start(updown_release_fn, &u);
		test_thread_join(tu);
		test_thread_join(ts);
		assert_true(test_get_u64(&s.done_ns) >= test_get_u64(&u.up_ns));
		/* And a release elsewhere with no grace period waiting. */
		u.t = reader_enter(&ss, kinds[i]);
		tu = test_thread_start(updown_release_fn, &u);
		test_thread_join(tu);
		synchronize_srcu(&ss);
		assert_int_equal(cleanup_srcu_struct(&ss), 0);
	}
}

/* Callbacks and srcu_barrier(). */

#define NR_CBS	64

struct cb_batch {
	struct rcu_head rh[NR_CBS];
	int calls[NR_CBS];
};

/* Every callback queued before srcu_barrier() has run when it returns. */
static struct cb_batch *batch_of;

static void batch_cb(struct rcu_head *rhp)
{
	int i = (int)(rhp - &batch_of->rh[0]);

	test_inc(&batch_of->calls[i]);
}

static void test_barrier(void **state)
{
	static struct cb_batch b;
	struct gp_case c = { .rk = RK_NORMAL };
	struct srcu_struct ss;
	pthread_t r1;
	int i;

	assert_int_equal(init_srcu_struct(&ss), 0);
	srcu_barrier(&ss);		/* Nothing queued: returns. */
	memset(&b, 0, sizeof(b));
	batch_of = &b;
	/* A reader holds the grace periods up, so the barrier must wait. */
	c.ssp = &ss;
	r1 = test_thread_start(r1_sleeper, &c);
	assert_true(test_wait_for(&c.r1_inside, 1));
	for (i = 0; i < NR_CBS; i++) {
		if (i % 2)
			call_srcu(&ss, &b.rh[i], batch_cb);
		else
			call_srcu_expedited(&ss, &b.rh[i], batch_cb);
	}
	srcu_barrier(&ss);
	assert_int_equal(test_get(&c.r1_left), 1);
	for (i = 0; i < NR_CBS; i++)
		assert_int_equal(test_get(&b.calls[i]), 1);
	test_thread_join(r1);

	/* Now spread over several grace periods, with no reader. */
	memset(&b, 0, sizeof(b));
	for (i = 0; i < NR_CBS; i++) {
		call_srcu(&ss, &b.rh[i], batch_cb);
		if (i % 16 == 0)
			synchronize_srcu(&ss);
	}
	srcu_barrier(&ss);
	for (i = 0; i < NR_CBS; i++)
		assert_int_equal(test_get(&b.calls[i]), 1);
	srcu_barrier(&ss);
	synchronize_srcu(&ss);
	for (i = 0; i < NR_CBS; i++)
		assert_int_equal(test_get(&b.calls[i]), 1);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* A callback that queues itself again once, and one that synchronizes. */
struct chain_cb {
	struct rcu_head rh;
	struct srcu_struct *ssp;	/* where it runs */
	struct srcu_struct *other;	/* what it synchronizes on */
	int calls;
	int synced;
};

static void chain_cb_fn(struct rcu_head *rhp)
{
	struct chain_cb *c = caa_container_of(rhp, struct chain_cb, rh);

	if (test_inc(&c->calls) == 1)
		call_srcu(c->ssp, &c->rh, chain_cb_fn);
}

static void sync_other_cb_fn(struct rcu_head *rhp)
{
	struct chain_cb *c = caa_container_of(rhp, struct chain_cb, rh);

	synchronize_srcu(c->other);
	synchronize_srcu_expedited(c->other);
	test_set(&c->synced, 1);
	test_inc(&c->calls);
}

static void test_callbacks_requeue_and_sync(void **state)
{
	struct srcu_struct a, b;
	struct chain_cb c = { .calls = 0 };
	struct chain_cb d = { .calls = 0 };

	assert_int_equal(init_srcu_struct(&a), 0);
	assert_int_equal(init_srcu_struct(&b), 0);
	c.ssp = &a;
	call_srcu(&a, &c.rh, chain_cb_fn);
	srcu_barrier(&a);
	/* The re-queue happened during the barrier: wait for it too. */
	srcu_barrier(&a);
	assert_int_equal(test_get(&c.calls), 2);

	/* A callback may wait for another srcu_struct's grace period. */
	d.ssp = &a;
	d.other = &b;
	call_srcu(&a, &d.rh, sync_other_cb_fn);
	srcu_barrier(&a);
	assert_int_equal(test_get(&d.synced), 1);
	assert_int_equal(test_get(&d.calls), 1);
	assert_int_equal(cleanup_srcu_struct(&a), 0);
	assert_int_equal(cleanup_srcu_struct(&b), 0);
}

/* Polling. */

static void test_polling(void **state)
{
	struct srcu_struct ss;
	unsigned long c1, c2, c3, b0;
	bool early = false;
	int idx, i;

	assert_int_equal(init_srcu_struct(&ss), 0);
	assert_true(poll_state_synchronize_srcu(&ss, SRCU_GET_STATE_COMPLETED));

	/* Cookies taken inside a reader are not done while it is inside. */
	idx = srcu_read_lock(&ss);
	c1 = get_state_synchronize_srcu(&ss);
	c2 = start_poll_synchronize_srcu(&ss);
	for (i = 0; i < READER_HOLD_MS; i++) {
		if (poll_state_synchronize_srcu(&ss, c1) ||
		    poll_state_synchronize_srcu(&ss, c2))
			early = true;
		test_sleep_ms(1);
	}
	assert_false(early);
	assert_true(poll_state_synchronize_srcu(&ss, SRCU_GET_STATE_COMPLETED));
	srcu_read_unlock(&ss, idx);
	/* start_poll's grace period ends with no further call. */
	assert_true(test_poll_until_done(&ss, c2));

	/* A cookie taken before synchronize_srcu() is done after it. */
	c3 = get_state_synchronize_srcu(&ss);
	b0 = srcu_batches_completed(&ss);
	synchronize_srcu(&ss);
	assert_true(poll_state_synchronize_srcu(&ss, c1));
	assert_true(poll_state_synchronize_srcu(&ss, c3));
	assert_true((long)(srcu_batches_completed(&ss) - b0) > 0);

	/* And from idle, start_poll alone gets there. */
	assert_true(test_poll_until_done(&ss, start_poll_synchronize_srcu(&ss)));
	c1 = get_state_synchronize_srcu(&ss);
	synchronize_srcu_expedited(&ss);
	assert_true(poll_state_synchronize_srcu(&ss, c1));
	assert_true(poll_state_synchronize_srcu(&ss, SRCU_GET_STATE_COMPLETED));
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* srcu_expedite_current() is harmless whatever is going on. */
static void test_expedite_current(void **state)
{
	struct counted_cb cb = { .calls = 0 };
	struct srcu_struct ss;
	unsigned long c;

	assert_int_equal(init_srcu_struct(&ss), 0);
	srcu_expedite_current(&ss);
	call_srcu(&ss, &cb.rh, counted_cb_fn);
	srcu_expedite_current(&ss);
	c = get_state_synchronize_srcu(&ss);
	srcu_barrier(&ss);
	assert_int_equal(test_get(&cb.calls), 1);
	synchronize_srcu(&ss);
	assert_true(poll_state_synchronize_srcu(&ss, c));
	srcu_barrier(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/*
 * srcu_expedite_current() as the kernel has it: on Tree, an expedited
 * callback of the library's own per CPU; a call while it waits has it
 * queued once more when it runs (so the next grace period is expedited
 * too), and further calls add nothing.  A reader holds the first grace
 * period back, so that the three calls all find the callback waiting.
 * Tiny has nothing to expedite.
 */
static void test_expedite_current_reposts(void **state)
{
	struct srcu_stats st0, st;
	struct srcu_struct ss;
	unsigned long want;
	int idx;

	assert_int_equal(init_srcu_struct(&ss), 0);
#ifndef SRCU_TINY
	srcu_tree_set_virtual_cpu(0);	/* One CPU's state machine for all three calls. */
#endif
	assert_int_equal(srcu_get_stats(&ss, &st0), 0);
	idx = srcu_read_lock(&ss);
	srcu_expedite_current(&ss);
	srcu_expedite_current(&ss);
	srcu_expedite_current(&ss);
	assert_int_equal(srcu_get_stats(&ss, &st), 0);
	assert_int_equal(st.cbs_queued - st0.cbs_queued, TINY ? 0 : 1);
	srcu_read_unlock(&ss, idx);

	/* The callback runs, is queued once more, runs again: two expedited GPs. */
	want = TINY ? 0 : 2;
	for (int ms = 0; ms < 10000; ms++) {
		assert_int_equal(srcu_get_stats(&ss, &st), 0);
		if (st.cbs_invoked - st0.cbs_invoked >= want)
			break;
		test_sleep_ms(1);
	}
	assert_int_equal(st.cbs_invoked - st0.cbs_invoked, want);
	assert_int_equal(st.cbs_queued - st0.cbs_queued, want);
	assert_int_equal(st.gp_expedited - st0.gp_expedited, want);
#ifndef SRCU_TINY
	srcu_tree_set_virtual_cpu(-1);
#endif
	srcu_barrier(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/*
 * srcu_batches_completed(), as in the kernel: Tree's grace-period
 * sequence (4 per grace period, the state in the low two bits), Tiny's
 * srcu_idx (2 per grace period, odd while one runs).
 */
static void test_batches_completed(void **state)
{
	struct srcu_struct ss;
	unsigned long b0, b1;

	assert_int_equal(init_srcu_struct(&ss), 0);
	b0 = srcu_batches_completed(&ss);
	synchronize_srcu(&ss);
	b1 = srcu_batches_completed(&ss);
	assert_int_equal(b1 - b0, TINY ? 2 : 4);
	assert_int_equal(b1 & (TINY ? 1 : 3), 0);	/* idle */
	synchronize_srcu_expedited(&ss);
	assert_int_equal(srcu_batches_completed(&ss) - b1, TINY ? 2 : 4);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* The library's version is the headers': the string and its three parts. */
static void test_version(void **state)
{
	unsigned int major, minor, patch;

	assert_string_equal(srcu_version(), SRCU_VERSION_STRING);
	assert_int_equal(sscanf(srcu_version(), "%u.%u.%u", &major, &minor, &patch), 3);
	assert_int_equal(major, SRCU_VERSION_MAJOR);
	assert_int_equal(minor, SRCU_VERSION_MINOR);
	assert_int_equal(patch, SRCU_VERSION_PATCH);
}

/* Clean-up refuses while something is going on, and changes nothing. */

struct held_reader {
	struct srcu_struct *ssp;
	int inside;
	int release;
	int timeout;
};

static void *held_reader_fn(void *arg)
{
	struct held_reader *h = arg;
	int idx = srcu_read_lock(h->ssp);

	test_set(&h->inside, 1);
	if (!test_wait_for(&h->release, 1))
		test_set(&h->timeout, 1);
	srcu_read_unlock(h->ssp, idx);
	return NULL;
}

struct blocking_cb {
	struct rcu_head rh;
	int running;
	int release;
	int timeout;
	int calls;
};

static void blocking_cb_fn(struct rcu_head *rhp)
{
	struct blocking_cb *b = caa_container_of(rhp, struct blocking_cb, rh);

	test_set(&b->running, 1);
	if (!test_wait_for(&b->release, 1))
		test_set(&b->timeout, 1);
	test_inc(&b->calls);
}

static void test_cleanup_busy(void **state)
{
	struct held_reader h = { .inside = 0 };
	struct blocking_cb b = { .running = 0 };
	struct counted_cb cb = { .calls = 0 };
	struct srcu_struct ss;
	pthread_t th;
	int idx;

	/* A reader inside, here. */
	assert_int_equal(init_srcu_struct(&ss), 0);
	idx = srcu_read_lock(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), -EBUSY);
	srcu_read_unlock(&ss, idx);
	synchronize_srcu(&ss);		/* Still fully working. */
	assert_int_equal(cleanup_srcu_struct(&ss), 0);

	/* A reader inside, in another thread. */
	assert_int_equal(init_srcu_struct(&ss), 0);
	h.ssp = &ss;
	th = test_thread_start(held_reader_fn, &h);
	assert_true(test_wait_for(&h.inside, 1));
	assert_int_equal(cleanup_srcu_struct(&ss), -EBUSY);
	test_set(&h.release, 1);
	test_thread_join(th);
	assert_int_equal(test_get(&h.timeout), 0);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);

	/* A callback running, another queued behind it. */
	assert_int_equal(init_srcu_struct(&ss), 0);
	call_srcu(&ss, &b.rh, blocking_cb_fn);
	call_srcu(&ss, &cb.rh, counted_cb_fn);
	assert_true(test_wait_for(&b.running, 1));
	assert_int_equal(cleanup_srcu_struct(&ss), -EBUSY);
	assert_int_equal(cleanup_srcu_struct(&ss), -EBUSY);
	test_set(&b.release, 1);
	srcu_barrier(&ss);
	assert_int_equal(test_get(&b.timeout), 0);
	assert_int_equal(test_get(&b.calls), 1);
	assert_int_equal(test_get(&cb.calls), 1);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
	/* And it may be initialised again. */
	assert_int_equal(init_srcu_struct(&ss), 0);
	synchronize_srcu(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* Tunables. */

static void test_params(void **state)
{
	long hz = srcu_param_get("hz");
	long promote = srcu_param_get("promote_inflight");

	assert_true(hz > 0);
	assert_true(promote == 0 || promote == 1);
	assert_int_equal(srcu_param_set("hz", 250), 0);
	assert_int_equal(srcu_param_get("hz"), 250);
	assert_int_equal(srcu_param_set("hz", 0), -EINVAL);
	assert_int_equal(srcu_param_set("hz", -1), -EINVAL);
	assert_int_equal(srcu_param_get("hz"), 250);	/* Refused: unchanged. */
	assert_int_equal(srcu_param_set("hz", hz), 0);
	assert_int_equal(srcu_param_get("hz"), hz);

	assert_int_equal(srcu_param_set("no_such_tunable", 1), -ENOENT);
	assert_int_equal(srcu_param_get("no_such_tunable"), -ENOENT);
	assert_int_equal(srcu_param_set("", 1), -ENOENT);

	assert_int_equal(srcu_param_set("promote_inflight", !promote), 0);
	assert_int_equal(srcu_param_get("promote_inflight"), !promote);
	assert_int_equal(srcu_param_set("promote_inflight", promote), 0);
}

/* Two srcu_structs are independent: a reader of A does not hold up B. */
static void test_independent_structs(void **state)
{
	struct held_reader h = { .inside = 0 };
	struct counted_cb cb = { .calls = 0 };
	struct srcu_struct a, b;
	pthread_t th;
	int still_inside;

	assert_int_equal(init_srcu_struct(&a), 0);
	assert_int_equal(init_srcu_struct(&b), 0);
	h.ssp = &a;
	th = test_thread_start(held_reader_fn, &h);
	assert_true(test_wait_for(&h.inside, 1));
	synchronize_srcu(&b);
	synchronize_srcu_expedited(&b);
	call_srcu(&b, &cb.rh, counted_cb_fn);
	srcu_barrier(&b);
	assert_true(test_poll_until_done(&b, start_poll_synchronize_srcu(&b)));
	/* All of that while the reader of A was still inside. */
	still_inside = !test_get(&h.release);
	assert_int_equal(cleanup_srcu_struct(&a), -EBUSY);
	test_set(&h.release, 1);
	test_thread_join(th);
	assert_true(still_inside);
	assert_int_equal(test_get(&h.timeout), 0);
	assert_int_equal(test_get(&cb.calls), 1);
	assert_int_equal(cleanup_srcu_struct(&a), 0);
	assert_int_equal(cleanup_srcu_struct(&b), 0);
}

/* Statistics. */

static void test_stats(void **state)
{
	struct counted_cb cb = { .calls = 0 };
	struct srcu_stats s0, s1, s2;
	struct srcu_struct ss;
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int idx;

	assert_int_equal(init_srcu_struct(&ss), 0);
	assert_int_equal(srcu_get_stats(&ss, &s0), 0);
	assert_string_equal(s0.flavour, FLAVOUR);
	assert_int_equal(s0.readers[0] + s0.readers[1], 0);

	idx = srcu_read_lock(&ss);
	assert_int_equal(srcu_get_stats(&ss, &s1), 0);
	assert_int_equal(s1.readers[0] + s1.readers[1], 1);
	assert_true(s1.reader_flavours & SRCU_READ_FLAVOR_NORMAL);
	srcu_read_unlock(&ss, idx);

	synchronize_srcu(&ss);
	call_srcu(&ss, &cb.rh, counted_cb_fn);
	srcu_barrier(&ss);
	assert_int_equal(srcu_get_stats(&ss, &s2), 0);
	assert_true(s2.gp_normal + s2.gp_expedited > s0.gp_normal + s0.gp_expedited);
	assert_true(s2.gp_seq != s0.gp_seq);
	assert_true(s2.cbs_queued >= s0.cbs_queued + 1);
	assert_true(s2.cbs_invoked >= s0.cbs_invoked + 1);
	assert_int_equal(s2.readers[0] + s2.readers[1], 0);

	out = open_memstream(&buf, &len);
	assert_non_null(out);
	srcu_stats_print(&ss, out, "test-stats-tag");
	fclose(out);
	assert_non_null(buf);
	assert_non_null(strstr(buf, "test-stats-tag"));
	free(buf);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* Misuse: an unlock with an index srcu_read_lock() cannot have returned. */

enum bad_unlock_kind { BAD_READ_UNLOCK, BAD_UP_READ, BAD_NMISAFE };

static void bad_unlock_child(enum bad_unlock_kind k)
{
	struct rlimit no_core = { 0, 0 };
	/* Opaque to the compiler, which would otherwise see the bad subscript. */
	volatile int bad[] = { 7, -1, 2 };
	struct srcu_struct ss;

	setrlimit(RLIMIT_CORE, &no_core);
	if (init_srcu_struct(&ss))
		_exit(2);
	switch (k) {
	case BAD_READ_UNLOCK:
		(void)srcu_read_lock(&ss);
		srcu_read_unlock(&ss, bad[0]);
		break;
	case BAD_UP_READ:
		(void)srcu_down_read(&ss);
		srcu_up_read(&ss, bad[1]);
		break;
	case BAD_NMISAFE:
		(void)srcu_read_lock_nmisafe(&ss);
		srcu_read_unlock_nmisafe(&ss, bad[2]);
		break;
	}
	_exit(0);	/* Not reached if the library caught it. */
}

/* Run the misuse in a child; return its stderr, and how it ended. */
static char *run_bad_unlock(enum bad_unlock_kind k, int *status)
{
	static char buf[4096];
	size_t len = 0;
	ssize_t n;
	int fds[2];
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		bad_unlock_child(k);
	}
	close(fds[1]);
	while (len < sizeof(buf) - 1 &&
	       (n = read(fds[0], buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, status, 0), pid);
	return buf;
}

static void test_bad_unlock_aborts(void **state)
{
	static const struct {
		enum bad_unlock_kind k;
		const char *func, *msg;
	} cases[] = {
		{ BAD_READ_UNLOCK, "srcu_read_unlock", "bad index 7" },
		{ BAD_UP_READ, "srcu_up_read", "bad index -1" },
		{ BAD_NMISAFE, "srcu_read_unlock_nmisafe", "bad index 2" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int status = 0;
		char *err = run_bad_unlock(cases[i].k, &status);

		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGABRT);
		assert_non_null(strstr(err, cases[i].func));
		assert_non_null(strstr(err, cases[i].msg));
	}
}

/*
 * A small correctness check in rcutorture's spirit: readers follow a
 * shared pointer and check the object is not yet freed (poisoned); the
 * updater replaces it, waits for a grace period, then poisons the old
 * one.  A grace period that ends early shows up as a poisoned read.
 */
#define STRESS_MS	150
#define ALIVE		0x600d
#define POISON		0xdead

struct stress_obj {
	int state;
};

struct stress {
	struct srcu_struct *ssp;
	enum reader_kind rk;
	struct stress_obj *cur;
	int stop;
	int bad;
	int reads;
};

static void *stress_reader(void *arg)
{
	struct stress *s = arg;
	struct reader_token t;
	struct stress_obj *o;

	while (!test_get(&s->stop)) {
		t = reader_enter(s->ssp, s->rk);
		o = __atomic_load_n(&s->cur, __ATOMIC_ACQUIRE);
		for (int i = 0; i < 100; i++)
			if (__atomic_load_n(&o->state, __ATOMIC_RELAXED) != ALIVE)
				test_inc(&s->bad);
		reader_exit(s->ssp, s->rk, t);
		test_inc(&s->reads);
	}
	return NULL;
}

static void test_stress_readers(void **state)
{
	static const enum reader_kind kinds[] = { RK_NORMAL, RK_FAST };
	struct stress_obj objs[2];
	struct srcu_struct ss;
	struct stress s;
	pthread_t th[2];
	uint64_t end;
	size_t k;
	int n = 0;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(init_for(&ss, kinds[k]), 0);
		s.ssp = &ss;
		s.rk = kinds[k];
		objs[0].state = ALIVE;
		s.cur = &objs[0];
		th[0] = test_thread_start(stress_reader, &s);
		th[1] = test_thread_start(stress_reader, &s);
		/*
		 * Readers are running before the updates begin: on a loaded
		 * machine, under qemu, a new thread may take longer to get going
		 * than the whole run (seen on ppc64el).
		 */
		assert_true(test_wait_for(&s.reads, 2));
		end = test_now_ns() + STRESS_MS * 1000000ULL;
		while (test_now_ns() < end) {
			struct stress_obj *old = s.cur, *new = &objs[old == &objs[0]];

			__atomic_store_n(&new->state, ALIVE, __ATOMIC_RELAXED);
			__atomic_store_n(&s.cur, new, __ATOMIC_RELEASE);
			if (n++ % 2)
				synchronize_srcu(&ss);
			else
				synchronize_srcu_expedited(&ss);
			__atomic_store_n(&old->state, POISON, __ATOMIC_RELAXED);
		}
		test_set(&s.stop, 1);
		test_thread_join(th[0]);
		test_thread_join(th[1]);
		assert_int_equal(test_get(&s.bad), 0);
		assert_true(test_get(&s.reads) > 0);
		assert_int_equal(cleanup_srcu_struct(&ss), 0);
	}
}

/* The grace-period matrix: every updater against every reader flavour. */

#define NR_MATRIX	(UK_NR * RK_NR)

static struct gp_case waits_cases[NR_MATRIX], ignores_cases[NR_MATRIX];
static char waits_names[NR_MATRIX][64], ignores_names[NR_MATRIX][64];

static int reset_case(void **state)
{
	struct gp_case *c = *state;
	enum updater_kind uk = c->uk;
	enum reader_kind rk = c->rk;

	memset(c, 0, sizeof(*c));
	c->uk = uk;
	c->rk = rk;
	return 0;
}

int main(void)
{
	struct CMUnitTest tests[] = {
		cmocka_unit_test(test_define_no_init),
		cmocka_unit_test(test_define_first_use_races),
		cmocka_unit_test(test_init_cleanup),
		cmocka_unit_test(test_nested_readers),
		cmocka_unit_test(test_updown_across_threads),
		cmocka_unit_test(test_barrier),
		cmocka_unit_test(test_callbacks_requeue_and_sync),
		cmocka_unit_test(test_polling),
		cmocka_unit_test(test_expedite_current),
		cmocka_unit_test(test_expedite_current_reposts),
		cmocka_unit_test(test_batches_completed),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_cleanup_busy),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_independent_structs),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_bad_unlock_aborts),
		cmocka_unit_test(test_stress_readers),
	};
	struct CMUnitTest matrix[2 * NR_MATRIX];
	int uk, rk, i = 0, failed;

	for (uk = 0; uk < UK_NR; uk++) {
		for (rk = 0; rk < RK_NR; rk++, i++) {
			waits_cases[i].uk = ignores_cases[i].uk = uk;
			waits_cases[i].rk = ignores_cases[i].rk = rk;
			snprintf(waits_names[i], sizeof(waits_names[i]),
				 "waits_for_preexisting/%s/%s", updater_name[uk], reader_name[rk]);
			snprintf(ignores_names[i], sizeof(ignores_names[i]),
				 "ignores_new_readers/%s/%s", updater_name[uk], reader_name[rk]);
			matrix[2 * i] = (struct CMUnitTest){
				waits_names[i], test_waits_for_preexisting,
				reset_case, NULL, &waits_cases[i] };
			matrix[2 * i + 1] = (struct CMUnitTest){
				ignores_names[i], test_ignores_new_readers,
				reset_case, NULL, &ignores_cases[i] };
		}
	}
	failed = cmocka_run_group_tests_name("api-" FLAVOUR, tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("gp-matrix-" FLAVOUR, matrix, NULL, NULL);
	return failed;
}
