/*
 * test_misuse.c: what the library does when it is misused, one test per
 * row of the misuse table in doc/reliability.md, for both flavours through
 * <srcu.h>.  Built and run in every pass; where a debug build (SRCU_DEBUG)
 * behaves differently, the test checks the behaviour of the build it is
 * in.  Misuses that end the process run in a child.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <srcu.h>
#include "test_util.h"
#include "child.h"

#ifdef SRCU_TINY
#define TINY 1
#else
#define TINY 0
#endif
#ifdef SRCU_DEBUG
#define DEBUG 1
#else
#define DEBUG 0
#endif

static struct srcu_struct ss, other;

/* A hung child is killed after this long: deadlocks are expected here. */
#define HANG_MS		1500
/* The same, for a child that also waits for a stall warning (after 1 s). */
#define STALL_HANG_MS	3000

/* Did a hung child's stderr have a stall warning about ss? */
static bool child_warned_stall(const struct child_result *r)
{
	char what[64];

	snprintf(what, sizeof(what), "of srcu_struct %p held up for", (void *)&ss);
	if (strstr(r->err, what))
		return true;
	fprintf(stderr, "child: expected a stall warning \"%s\"; stderr:\n%s\n", what, r->err);
	return false;
}

/*
 * A NULL dereference: SIGSEGV, or a sanitizer's report of it (which ends
 * the process with an error status instead of the signal): ASan's "SEGV",
 * or UBSan's "null pointer", which comes first.
 */
static void expect_segv(void (*fn)(void *))
{
	struct child_result r;

	run_in_child(fn, NULL, &r);
	assert_false(r.hung);
	if (WIFSIGNALED(r.status)) {
		assert_int_equal(WTERMSIG(r.status), SIGSEGV);
	} else {
		assert_true(WIFEXITED(r.status) && WEXITSTATUS(r.status) != 0);
		assert_true(strstr(r.err, "SEGV") || strstr(r.err, "null pointer"));
	}
}

/* Row: an index srcu_read_lock() cannot have returned.  Always checked. */

static void unlock_bad_index(void *arg)
{
	volatile int bad = 5;	/* Opaque to the compiler. */

	init_srcu_struct(&ss);
	(void)srcu_read_lock(&ss);
	srcu_read_unlock(&ss, bad);
}

static void unlock_fast_bad_pointer(void *arg)
{
	struct srcu_ctr *volatile bad = (struct srcu_ctr *)&other;

	init_srcu_struct_fast(&ss);
	init_srcu_struct(&other);
	(void)srcu_read_lock_fast(&ss);
	srcu_read_unlock_fast(&ss, bad);
}

static void test_bad_index(void **state)
{
	expect_abort(unlock_bad_index, "srcu_read_unlock: bad index 5");
	expect_abort(unlock_fast_bad_pointer, "srcu_read_unlock_fast: bad index");
}

/* Row: NULL pointers. */

static void never_cb(struct rcu_head *rhp)
{
	abort();
}

static void noop_cb(struct rcu_head *rhp)
{
}

static void call_null_ssp(void *arg)
{
	static struct rcu_head rh;

	call_srcu(NULL, &rh, never_cb);
}

static void call_null_head(void *arg)
{
	init_srcu_struct(&ss);
	call_srcu(&ss, NULL, never_cb);
}

static void call_null_func(void *arg)
{
	static struct rcu_head rh;

	init_srcu_struct(&ss);
	call_srcu(&ss, &rh, NULL);
}

/* Opaque to the compiler, which would otherwise warn about the NULL. */
static struct srcu_struct *volatile null_ssp;

static void lock_null(void *arg)
{
	(void)srcu_read_lock(null_ssp);
}

static void sync_null(void *arg)
{
	synchronize_srcu(null_ssp);
}

static void print_null(void *arg)
{
	srcu_stats_print(null_ssp, stderr, "test");
}

static void test_null(void **state)
{
	struct srcu_stats st;

	assert_int_equal(init_srcu_struct(NULL), -EINVAL);
	assert_int_equal(init_srcu_struct_fast(NULL), -EINVAL);
	assert_int_equal(cleanup_srcu_struct(NULL), -EINVAL);
	assert_int_equal(srcu_get_stats(NULL, &st), -EINVAL);
	expect_abort(call_null_ssp, "call_srcu: NULL srcu_struct");
	expect_abort(call_null_head, "call_srcu: NULL rcu_head");
	expect_abort(call_null_func, "call_srcu: NULL func");
	expect_abort(print_null, "srcu_stats_print: NULL srcu_struct");
	if (DEBUG) {
		expect_abort(lock_null, "srcu_read_lock(): NULL srcu_struct");
		expect_abort(sync_null, "synchronize_srcu(): NULL srcu_struct");
	} else {
		/* Unchecked on the fast path, as in the kernel. */
		expect_segv(lock_null);
		expect_segv(sync_null);
	}
}

/* Row: double init. */

#ifndef SRCU_TINY
/* What a double init loses, kept reachable so that leak checkers stay quiet. */
static void *volatile double_init_lost[2];
#endif

static void double_init(void *arg)
{
	init_srcu_struct(&ss);
	synchronize_srcu(&ss);
#ifndef SRCU_TINY
	double_init_lost[0] = ss.srcu_sup;
	double_init_lost[1] = ss.srcu_readers;
#endif
	init_srcu_struct(&ss);	/* Tree: the first allocation is lost. */
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
}

static void test_double_init(void **state)
{
	if (DEBUG && !TINY)
		expect_abort(double_init, "is already initialised");
	else
		expect_ok(double_init);	/* Idle: re-initialised, and usable. */
}

/* Row: cleanup while busy: -EBUSY, nothing freed, still usable. */

struct blocker {
	struct rcu_head rh;
	int running;
	int release;
	int calls;
};

static void blocker_cb(struct rcu_head *rhp)
{
	struct blocker *b = caa_container_of(rhp, struct blocker, rh);

	test_set(&b->running, 1);
	test_wait_for(&b->release, 1);
	test_inc(&b->calls);
}

static struct counted {
	struct rcu_head rh;
	int calls;
} counted;

static void counted_cb(struct rcu_head *rhp)
{
	test_inc(&caa_container_of(rhp, struct counted, rh)->calls);
}

static void test_cleanup_busy(void **state)
{
	struct blocker b = { .running = 0 };
	int idx;

	/* A reader inside. */
	assert_int_equal(init_srcu_struct(&ss), 0);
	idx = srcu_read_lock(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), -EBUSY);
	srcu_read_unlock(&ss, idx);
	synchronize_srcu(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);

	/* A callback queued, its grace period not over. */
	assert_int_equal(init_srcu_struct(&ss), 0);
	idx = srcu_read_lock(&ss);
	counted.calls = 0;
	call_srcu(&ss, &counted.rh, counted_cb);
	assert_int_equal(cleanup_srcu_struct(&ss), -EBUSY);
	srcu_read_unlock(&ss, idx);
	srcu_barrier(&ss);
	assert_int_equal(test_get(&counted.calls), 1);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);

	/* A callback running. */
	assert_int_equal(init_srcu_struct(&ss), 0);
	call_srcu(&ss, &b.rh, blocker_cb);
	assert_true(test_wait_for(&b.running, 1));
	assert_int_equal(cleanup_srcu_struct(&ss), -EBUSY);
	test_set(&b.release, 1);
	srcu_barrier(&ss);
	assert_int_equal(test_get(&b.calls), 1);
	synchronize_srcu(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* Row: a callback calls cleanup_srcu_struct() on its own srcu_struct. */

static int cleanup_from_cb_ret = 1;

static void cleanup_cb(struct rcu_head *rhp)
{
	test_set(&cleanup_from_cb_ret, cleanup_srcu_struct(&ss));
}

static void test_cleanup_from_own_callback(void **state)
{
	static struct rcu_head rh;

	assert_int_equal(init_srcu_struct(&ss), 0);
	call_srcu(&ss, &rh, cleanup_cb);
	srcu_barrier(&ss);
	assert_int_equal(test_get(&cleanup_from_cb_ret), -EBUSY);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* Rows: grace periods waited for from callbacks. */

struct cb_sync {
	struct rcu_head rh;
	struct srcu_struct *target;
	int expedited;
	int done;
	unsigned long batches_before;
	unsigned long batches_after;
};

static void sync_cb(struct rcu_head *rhp)
{
	struct cb_sync *c = caa_container_of(rhp, struct cb_sync, rh);

	c->batches_before = srcu_batches_completed(c->target);
	if (c->expedited)
		synchronize_srcu_expedited(c->target);
	else
		synchronize_srcu(c->target);
	c->batches_after = srcu_batches_completed(c->target);
	test_set(&c->done, 1);
}

static void run_cb_sync(struct srcu_struct *target, int expedited)
{
	struct cb_sync c = { .target = target, .expedited = expedited };

	call_srcu(&ss, &c.rh, sync_cb);
	srcu_barrier(&ss);
	assert_int_equal(test_get(&c.done), 1);
	/* A full grace period passed: the counter moved. */
	assert_true(c.batches_after != c.batches_before);
}

/* A callback waits for a grace period of its own srcu_struct: works. */
static void test_callback_syncs_own(void **state)
{
	assert_int_equal(init_srcu_struct(&ss), 0);
	run_cb_sync(&ss, 0);
	run_cb_sync(&ss, 1);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* A callback waits for a grace period of another srcu_struct: works. */
static void test_callback_syncs_other(void **state)
{
	assert_int_equal(init_srcu_struct(&ss), 0);
	assert_int_equal(init_srcu_struct(&other), 0);
	run_cb_sync(&other, 0);
	run_cb_sync(&other, 1);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
	assert_int_equal(cleanup_srcu_struct(&other), 0);
}

/* Rows: srcu_barrier() from a callback. */

static struct srcu_struct *barrier_target;
static int barrier_from_cb_done;

static void barrier_cb(struct rcu_head *rhp)
{
	srcu_barrier(barrier_target);
	test_set(&barrier_from_cb_done, 1);
}

static void barrier_from_own_callback(void *arg)
{
	static struct rcu_head rh;

	init_srcu_struct(&ss);
	barrier_target = &ss;
	call_srcu(&ss, &rh, barrier_cb);
	srcu_barrier(&ss);
}

static void barrier_from_other_callback(void *arg)
{
	static struct rcu_head rh, rh2;

	init_srcu_struct(&ss);
	init_srcu_struct(&other);
	barrier_target = &other;
	call_srcu(&other, &rh2, noop_cb);	/* Something for the barrier to wait for. */
	call_srcu(&ss, &rh, barrier_cb);
	srcu_barrier(&ss);
	if (!test_get(&barrier_from_cb_done))
		_exit(4);
}

static void test_barrier_from_callback(void **state)
{
	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	/* Its own callback list is busy running it: would never complete. */
	expect_abort(barrier_from_own_callback, "would deadlock");
	expect_abort(barrier_from_own_callback, "srcu_barrier() from a");
	if (TINY)
		expect_abort(barrier_from_other_callback,
			     "srcu_barrier() from an SRCU callback would deadlock");
	else
		expect_ok(barrier_from_other_callback);
}

/* Row: synchronize_srcu() inside a reader of the same srcu_struct. */

static void sync_in_own_reader(void *arg)
{
	int idx;

	srcu_param_set("stall_timeout", 1);
	init_srcu_struct(&ss);
	idx = srcu_read_lock(&ss);
	synchronize_srcu(&ss);
	srcu_read_unlock(&ss, idx);
}

static void test_sync_in_own_reader(void **state)
{
	struct child_result r;

	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	if (DEBUG) {
		expect_abort(sync_in_own_reader, "would deadlock");
		return;
	}
	/*
	 * Never returns: the grace period waits for the caller's own reader.
	 * A stall warning says so after stall_timeout.
	 */
	run_in_child_for(sync_in_own_reader, NULL, &r, STALL_HANG_MS);
	assert_true(child_hung(&r));
	assert_true(child_warned_stall(&r));
}

/* Row: a thread exits while inside a reader. */

static void *lock_and_exit(void *arg)
{
	(void)srcu_read_lock(&ss);
	return NULL;
}

static void thread_exits_in_reader(void *arg)
{
	pthread_t t;

	srcu_param_set("stall_timeout", 1);
	init_srcu_struct(&ss);
	pthread_create(&t, NULL, lock_and_exit, NULL);
	pthread_join(t, NULL);
	synchronize_srcu(&ss);
}

static void test_thread_exits_in_reader(void **state)
{
	struct child_result r;

	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	/*
	 * The reader never ends, so no later grace period does either.  The
	 * stall warning says so; a debug build, that no thread holds it.
	 */
	run_in_child_for(thread_exits_in_reader, NULL, &r, STALL_HANG_MS);
	assert_true(child_hung(&r));
	assert_true(child_warned_stall(&r));
	if (DEBUG)
		assert_non_null(strstr(r.err, "no listed thread holds a reader"));
}

/* Rows: use after cleanup_srcu_struct(), and cleanup twice. */

static void use_after_cleanup(void *arg)
{
	init_srcu_struct(&ss);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
	synchronize_srcu(&ss);
}

static void read_after_cleanup(void *arg)
{
	int idx;

	init_srcu_struct(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
	idx = srcu_read_lock(&ss);
	srcu_read_unlock(&ss, idx);
	if (TINY && !DEBUG)
		_exit(0);	/* Tiny's readers are not checked (only counted). */
}

static void cleanup_twice(void *arg)
{
	init_srcu_struct(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
	if (cleanup_srcu_struct(&ss))
		_exit(4);
}

static void print_after_cleanup(void *arg)
{
	init_srcu_struct(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
	srcu_stats_print(&ss, stderr, "test");
}

static void test_use_after_cleanup(void **state)
{
	struct srcu_stats st;
	struct child_result r;

	expect_abort(use_after_cleanup, "used after cleanup_srcu_struct()");
	if (TINY && !DEBUG) {
		run_in_child(read_after_cleanup, NULL, &r);
		assert_true(child_exited_ok(&r));
	} else {
		expect_abort(read_after_cleanup, "used after cleanup_srcu_struct()");
	}
	expect_abort(print_after_cleanup, "srcu_stats_print: srcu_struct");
	expect_abort(print_after_cleanup, "used after cleanup_srcu_struct()");
	if (DEBUG)
		expect_abort(cleanup_twice, "used after cleanup_srcu_struct()");
	else
		expect_ok(cleanup_twice);
	/* A named error, and nothing allocated again (LeakSanitizer would tell). */
	if (!DEBUG) {
		assert_int_equal(init_srcu_struct(&ss), 0);
		synchronize_srcu(&ss);
		assert_int_equal(cleanup_srcu_struct(&ss), 0);
		assert_int_equal(srcu_get_stats(&ss, &st), -EINVAL);
	}
}

/*
 * Row: an srcu_struct never initialised: zeroed memory (not a
 * DEFINE_SRCU()), or memory that holds anything at all.
 */
static struct srcu_struct never;

static void sync_never(void *arg)
{
	synchronize_srcu(&never);
}

static void call_never(void *arg)
{
	static struct rcu_head rh;

	call_srcu(&never, &rh, never_cb);
}

static void print_never(void *arg)
{
	srcu_stats_print(&never, stderr, "test");
}

static void barrier_never(void *arg)
{
	srcu_barrier(&never);
}

static void test_never_initialised(void **state)
{
	struct srcu_stats st;

	for (int fill = 0; fill <= 0x5a; fill += 0x5a) {
		memset(&never, fill, sizeof(never));
		expect_abort(sync_never, "is not initialised");
		expect_abort(call_never, "is not initialised");
		expect_abort(barrier_never, "is not initialised");
		expect_abort(print_never, "srcu_stats_print: srcu_struct");
		expect_abort(print_never, "is not initialised");
		assert_int_equal(srcu_get_stats(&never, &st), -EINVAL);
		/* Zeroed: nothing to free; filled: not a struct at all. */
		assert_int_equal(cleanup_srcu_struct(&never), fill ? -EINVAL : 0);
	}
}

/* Row: reader flavours mixed on one srcu_struct. */

static void mix_fast_and_normal(void *arg)
{
	struct srcu_ctr *scp;
	int idx;

	init_srcu_struct(&ss);
	idx = srcu_read_lock(&ss);
	srcu_read_unlock(&ss, idx);
	scp = srcu_read_lock_fast(&ss);
	srcu_read_unlock_fast(&ss, scp);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
}

static void test_mixed_flavours(void **state)
{
	struct child_result r;

	if (TINY) {
		/* Tiny's readers are all alike: nothing to report. */
		expect_ok(mix_fast_and_normal);
	} else if (DEBUG) {
		expect_abort(mix_fast_and_normal, "fast and normal readers mixed");
	} else {
		/* Reported once, and it works: the scans then use membarrier. */
		run_in_child(mix_fast_and_normal, NULL, &r);
		assert_true(child_exited_ok(&r));
		assert_non_null(strstr(r.err, "reader flavours mixed"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_index),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_double_init),
		cmocka_unit_test(test_cleanup_busy),
		cmocka_unit_test(test_cleanup_from_own_callback),
		cmocka_unit_test(test_callback_syncs_own),
		cmocka_unit_test(test_callback_syncs_other),
		cmocka_unit_test(test_barrier_from_callback),
		cmocka_unit_test(test_sync_in_own_reader),
		cmocka_unit_test(test_thread_exits_in_reader),
		cmocka_unit_test(test_use_after_cleanup),
		cmocka_unit_test(test_never_initialised),
		cmocka_unit_test(test_mixed_flavours),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
