/*
 * test_fork.c: fork() and the library, for both flavours through
 * <srcu.h>.  A child can create and use srcu_structs (its worker threads
 * come back), the parent is unaffected, and callbacks pending at fork
 * time run in each process that completes their grace period, once each
 * (doc/reliability.md, "fork()").  The children report by exit status;
 * the parent asserts.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
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

/* A hung child is killed after this long: some hangs are the point. */
#define HANG_MS		1500

/*
 * Every test here forks while the parent's worker threads may be starting
 * or exiting, which deadlocks children under ASan (its allocator is not
 * fork-safe, see child.h): the other passes run them.
 */
#ifdef TEST_ASAN
#define SKIP_UNDER_ASAN()	skip()
#else
#define SKIP_UNDER_ASAN()	do { } while (0)
#endif

struct counted {
	struct rcu_head rh;
	int calls;
};

static void counted_cb(struct rcu_head *rhp)
{
	test_inc(&caa_container_of(rhp, struct counted, rh)->calls);
}

static struct srcu_struct parent_ss;	/* used by the parent across forks */

/* Readers in threads, every update primitive: exits non-zero on failure. */
struct child_reader {
	struct srcu_struct *ssp;
	int stop;
	int reads;
};

static void *child_reader_fn(void *arg)
{
	struct child_reader *r = arg;

	while (!test_get(&r->stop)) {
		int idx = srcu_read_lock(r->ssp);

		test_inc(&r->reads);
		srcu_read_unlock(r->ssp, idx);
	}
	return NULL;
}

static void use_fresh_struct(void)
{
	struct child_reader r = { .stop = 0 };
	struct counted c[8];
	struct srcu_struct ss;
	unsigned long cookie;
	pthread_t t;
	int i;

	if (init_srcu_struct(&ss))
		_exit(10);
	r.ssp = &ss;
	if (pthread_create(&t, NULL, child_reader_fn, &r))
		_exit(11);
	for (i = 0; i < 8; i++) {
		c[i].calls = 0;
		if (i % 2)
			call_srcu(&ss, &c[i].rh, counted_cb);
		else
			call_srcu_expedited(&ss, &c[i].rh, counted_cb);
		if (i % 3)
			synchronize_srcu(&ss);
		else
			synchronize_srcu_expedited(&ss);
	}
	cookie = start_poll_synchronize_srcu(&ss);
	srcu_barrier(&ss);
	for (i = 0; i < 8; i++)
		if (test_get(&c[i].calls) != 1)
			_exit(12);
	synchronize_srcu(&ss);
	if (!poll_state_synchronize_srcu(&ss, cookie))
		_exit(13);
	if (!test_wait_for(&r.reads, 1))
		_exit(14);
	test_set(&r.stop, 1);
	pthread_join(t, NULL);
	if (cleanup_srcu_struct(&ss))
		_exit(15);
}

static void child_uses_library(void *arg)
{
	use_fresh_struct();
}

/* The parent has pools running and a struct in use; the child starts over. */
static void test_child_uses_library(void **state)
{
	struct counted c = { .calls = 0 };

	SKIP_UNDER_ASAN();
	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	assert_int_equal(init_srcu_struct(&parent_ss), 0);
	synchronize_srcu(&parent_ss);
	call_srcu(&parent_ss, &c.rh, counted_cb);
	expect_ok(child_uses_library);
	/* The parent carries on. */
	srcu_barrier(&parent_ss);
	assert_int_equal(test_get(&c.calls), 1);
	use_fresh_struct();
	synchronize_srcu_expedited(&parent_ss);
	assert_int_equal(cleanup_srcu_struct(&parent_ss), 0);
}

/*
 * Callbacks pending at fork time: their grace period waits for a reader
 * that the forking thread holds, so it exists in both processes.  Each
 * process releases it and invokes the callbacks once, on its own copy.
 */
static struct counted pending[4];
static int pending_idx;

static void child_releases_reader(void *arg)
{
	int i;

	srcu_read_unlock(&parent_ss, pending_idx);
	srcu_barrier(&parent_ss);
	for (i = 0; i < 4; i++)
		if (test_get(&pending[i].calls) != 1)
			_exit(20 + i);
	use_fresh_struct();
	if (cleanup_srcu_struct(&parent_ss))
		_exit(30);
}

static void test_pending_callbacks(void **state)
{
	int i;

	SKIP_UNDER_ASAN();
	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	assert_int_equal(init_srcu_struct(&parent_ss), 0);
	pending_idx = srcu_read_lock(&parent_ss);
	for (i = 0; i < 4; i++) {
		pending[i].calls = 0;
		if (i % 2)
			call_srcu(&parent_ss, &pending[i].rh, counted_cb);
		else
			call_srcu_expedited(&parent_ss, &pending[i].rh, counted_cb);
	}
	test_sleep_ms(20);	/* Let the grace period start and wait for us. */
	expect_ok(child_releases_reader);
	/* Not run here meanwhile: the parent's copy of the reader is still in. */
	for (i = 0; i < 4; i++)
		assert_int_equal(test_get(&pending[i].calls), 0);
	srcu_read_unlock(&parent_ss, pending_idx);
	srcu_barrier(&parent_ss);
	for (i = 0; i < 4; i++)
		assert_int_equal(test_get(&pending[i].calls), 1);
	assert_int_equal(cleanup_srcu_struct(&parent_ss), 0);
}

/*
 * A reader held by another thread at fork time: that thread does not
 * exist in the child, so its reader never ends there, and neither does
 * any later grace period of that srcu_struct (in the child).  Fresh
 * srcu_structs work.  The parent is unaffected.
 */
struct held {
	int inside;
	int release;
};

static void *hold_reader(void *arg)
{
	struct held *h = arg;
	int idx = srcu_read_lock(&parent_ss);

	test_set(&h->inside, 1);
	test_wait_for(&h->release, 1);
	srcu_read_unlock(&parent_ss, idx);
	return NULL;
}

static void child_fresh_only(void *arg)
{
	use_fresh_struct();
}

static void child_waits_for_lost_reader(void *arg)
{
	synchronize_srcu(&parent_ss);
}

static void test_reader_in_other_thread(void **state)
{
	struct held h = { 0, 0 };
	struct counted c = { .calls = 0 };
	struct child_result r;
	pthread_t t;

	SKIP_UNDER_ASAN();
	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	assert_int_equal(init_srcu_struct(&parent_ss), 0);
	t = test_thread_start(hold_reader, &h);
	assert_true(test_wait_for(&h.inside, 1));
	call_srcu(&parent_ss, &c.rh, counted_cb);
	expect_ok(child_fresh_only);
	run_in_child_for(child_waits_for_lost_reader, NULL, &r, HANG_MS);
	assert_true(child_hung(&r));
	test_set(&h.release, 1);
	test_thread_join(t);
	srcu_barrier(&parent_ss);
	assert_int_equal(test_get(&c.calls), 1);
	assert_int_equal(cleanup_srcu_struct(&parent_ss), 0);
}

/*
 * Forks while another thread of the parent keeps grace periods and
 * callbacks going: the child never finds the library's shared state (the
 * worker pools) stuck, and the parent's updates all complete.  The child
 * also runs the callbacks pending at fork time (its copy of them), so
 * their rcu_heads must not be on the updater's stack: glibc gives the
 * stacks of the threads a child does not have to the child's new threads.
 */
#define FORKS		8

struct updater {
	int stop;
	int rounds;
	int bad;
};

static struct counted updater_cbs[4];

static void *updater_fn(void *arg)
{
	struct updater *u = arg;
	struct counted *c = updater_cbs;
	int i;

	while (!test_get(&u->stop)) {
		for (i = 0; i < 4; i++) {
			c[i].calls = 0;
			call_srcu(&parent_ss, &c[i].rh, counted_cb);
		}
		synchronize_srcu_expedited(&parent_ss);
		synchronize_srcu(&parent_ss);
		srcu_barrier(&parent_ss);
		for (i = 0; i < 4; i++)
			if (test_get(&c[i].calls) != 1)
				test_inc(&u->bad);
		test_inc(&u->rounds);
	}
	return NULL;
}

static void test_fork_during_updates(void **state)
{
	struct updater u = { 0, 0, 0 };
	pthread_t t;
	int i, before;

	SKIP_UNDER_ASAN();
	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	assert_int_equal(init_srcu_struct(&parent_ss), 0);
	t = test_thread_start(updater_fn, &u);
	assert_true(test_wait_for(&u.rounds, 1));
	for (i = 0; i < FORKS; i++)
		expect_ok(child_fresh_only);
	before = test_get(&u.rounds);
	assert_true(test_wait_for(&u.rounds, before + 2));	/* Still going. */
	test_set(&u.stop, 1);
	test_thread_join(t);
	assert_int_equal(test_get(&u.bad), 0);
	assert_int_equal(cleanup_srcu_struct(&parent_ss), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_uses_library),
		cmocka_unit_test(test_pending_callbacks),
		cmocka_unit_test(test_reader_in_other_thread),
		cmocka_unit_test(test_fork_during_updates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
