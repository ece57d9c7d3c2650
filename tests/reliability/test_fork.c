/*
 * test_fork.c: fork() and the library, for both flavours through
 * <srcu.h>.  A child can create and use srcu_structs (its worker threads
 * come back), the parent is unaffected, and callbacks pending at fork
 * time run in each process that completes their grace period, once each.
 * fork() returns while a callback blocks on the forking thread; the
 * callback stays the parent's and what is queued behind it runs in both.
 * The library's global locks are free in the child whatever the other
 * threads were doing (doc/reliability.md, "fork()").  The children report
 * by exit status; the parent asserts.
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
#include <srcu/testing.h>
#include "test_util.h"
#include "child.h"

/* The flavour's test hook: make the library's thread creation fail. */
#define test_fail_threads	SRCU_FLAVOUR_NAME(test_fail_threads)

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

/*
 * fork() while a callback blocks on the forking thread (both deadlocks of
 * a fork that waits for running callbacks).  The forking thread holds a
 * reader of blk_s; a callback of blk_x waits for a grace period of blk_s,
 * hence for that reader.  fork() must return: it does not wait for
 * callbacks.  In the child, that callback never runs (it is the parent's:
 * its thread stays there), and the callbacks queued behind it, in its
 * batch or after, run once; the child can release its copy of the reader
 * and complete grace periods of both structs, and clean them up, although
 * the grace period of blk_s was driven by the blocker's thread (expedited:
 * the struct looked idle), which the child does not have.  In the parent,
 * once the reader is released, everything completes.
 *
 * The scenario runs in a child of the test (its "parent"), so that a
 * fork() that never returns shows as a hung child, not a hung test.
 */
#define BEHIND		3	/* queued with the blocker, in its batch */
#define LATER		2	/* queued while it blocks */
#define FORK_MS		10000	/* the scenario's deadline */

static struct srcu_struct blk_s, blk_x;

struct blocker {
	struct rcu_head rh;
	int expedited;
	int started;
	int done;
};

static struct blocker blocker;
static struct counted behind[BEHIND + LATER];

static void blocker_cb(struct rcu_head *rhp)
{
	struct blocker *b = caa_container_of(rhp, struct blocker, rh);

	test_inc(&b->started);
	if (b->expedited)
		synchronize_srcu_expedited(&blk_s);
	else
		synchronize_srcu(&blk_s);
	test_inc(&b->done);
}

/* Wait for child pid for at most ms; its exit status, or -1 if it hung. */
static int wait_child(pid_t pid, long long ms)
{
	long long end = child_now_ms() + ms;
	int status;

	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (child_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		test_sleep_ms(2);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* In the grandchild: the blocker's thread is gone; the rest works. */
static void blocked_child(int idx)
{
	int i;

	srcu_read_unlock(&blk_s, idx);
	srcu_barrier(&blk_x);
	for (i = 0; i < BEHIND + LATER; i++)
		if (test_get(&behind[i].calls) != 1)
			_exit(40 + i);
	/* Never run here: started once, in the parent, and not finished here. */
	if (test_get(&blocker.started) != 1 || test_get(&blocker.done) != 0)
		_exit(50);
	synchronize_srcu(&blk_s);
	synchronize_srcu_expedited(&blk_x);
	if (cleanup_srcu_struct(&blk_x))
		_exit(51);
	if (cleanup_srcu_struct(&blk_s))
		_exit(52);
	_exit(0);
}

/*
 * The scenario; arg: 1 for an expedited wait in the callback.  Workerless
 * variant (blocked_by_helper): the callback runs in a thread waiting in
 * srcu_barrier(), which runs the callbacks itself.
 */
static void *barrier_thread(void *arg)
{
	srcu_barrier(&blk_x);
	return NULL;
}

static void blocked_scenario(bool expedited, bool workerless)
{
	pthread_t helper;
	pid_t pid;
	int i, idx, status;

	if (workerless)
		test_fail_threads(1);
	if (init_srcu_struct(&blk_s) || init_srcu_struct(&blk_x))
		_exit(10);
	blocker = (struct blocker){ .expedited = expedited };
	for (i = 0; i < BEHIND + LATER; i++)
		behind[i].calls = 0;
	idx = srcu_read_lock(&blk_s);
	call_srcu(&blk_x, &blocker.rh, blocker_cb);
	for (i = 0; i < BEHIND; i++)
		call_srcu(&blk_x, &behind[i].rh, counted_cb);
	if (workerless && pthread_create(&helper, NULL, barrier_thread, NULL))
		_exit(11);
	if (!test_wait_for(&blocker.started, 1))
		_exit(12);
	for (; i < BEHIND + LATER; i++)
		call_srcu(&blk_x, &behind[i].rh, counted_cb);
	test_sleep_ms(10);	/* Let the later ones' grace period end. */
	fflush(NULL);
	pid = fork();	/* Deadlocked here, before the fix. */
	if (pid < 0)
		_exit(13);
	if (pid == 0)
		blocked_child(idx);
	status = wait_child(pid, FORK_MS / 2);
	if (status)
		_exit(status < 0 ? 14 : status);
	/* The parent: the blocker waits for us until we let go. */
	if (test_get(&blocker.done))
		_exit(15);
	srcu_read_unlock(&blk_s, idx);
	if (workerless && pthread_join(helper, NULL))
		_exit(16);
	srcu_barrier(&blk_x);
	if (test_get(&blocker.started) != 1 || test_get(&blocker.done) != 1)
		_exit(17);
	for (i = 0; i < BEHIND + LATER; i++)
		if (test_get(&behind[i].calls) != 1)
			_exit(20 + i);
	if (cleanup_srcu_struct(&blk_x) || cleanup_srcu_struct(&blk_s))
		_exit(18);
}

static void blocked_normal(void *arg)
{
	blocked_scenario(false, false);
}

static void blocked_expedited(void *arg)
{
	blocked_scenario(true, false);
}

static void blocked_by_helper(void *arg)
{
	blocked_scenario(false, true);
}

static void expect_fork_returns(void (*fn)(void *))
{
	struct child_result r;

	run_in_child_for(fn, NULL, &r, FORK_MS);
	if (r.hung)
		fprintf(stderr, "fork() has not returned after %d s\n", FORK_MS / 1000);
	assert_true(child_exited_ok(&r));
}

static void test_fork_while_callback_blocks(void **state)
{
	SKIP_UNDER_ASAN();
	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	expect_fork_returns(blocked_normal);
	expect_fork_returns(blocked_expedited);
	expect_fork_returns(blocked_by_helper);
}

/*
 * The library's global locks at fork time.  Another thread keeps taking
 * them: Tree's first use of a DEFINE_SRCU() struct initialises it under a
 * global lock (churn[] is reset to its static definition's value after
 * each clean-up, as a new definition), srcu_param_set() stores under
 * another.  Each child's first use of a DEFINE_STATIC_SRCU() struct the
 * parent never touched, and its srcu_param_set(), must return.  Before
 * the fork handlers covered these locks, 14 to 28 children of the 60 hung
 * in each of the runs tried (Tree, both locks: 22, 25, 28; Tiny, the
 * tunables' lock only: 14, 16).
 */
#define GLOBAL_FORKS	60
#define GLOBAL_HANG_MS	3000

DEFINE_STATIC_SRCU(untouched_srcu);

static struct srcu_struct churn[4];

static void *churn_fn(void *arg)
{
	static const struct srcu_struct fresh = SRCU_FLAVOUR_MACRO(STRUCT_INITIALIZER)(0);
	int *stop = arg;
	long v = 0;

	while (!test_get(stop)) {
		for (int i = 0; i < 4; i++) {
			int idx;

			churn[i] = fresh;
			idx = srcu_read_lock(&churn[i]);
			srcu_read_unlock(&churn[i], idx);
			if (cleanup_srcu_struct(&churn[i]))
				test_inc(stop + 1);
		}
		for (int i = 0; i < 16; i++)
			srcu_param_set("exp_holdoff", 25000 + (v++ & 1));
	}
	return NULL;
}

static void child_first_use(void *arg)
{
	int idx = srcu_read_lock(&untouched_srcu);

	srcu_read_unlock(&untouched_srcu, idx);
	synchronize_srcu(&untouched_srcu);
	if (srcu_param_set("hz", 1000))
		_exit(60);
}

static void test_fork_global_locks(void **state)
{
	int stop[2] = { 0, 0 }, hung = 0, bad = 0;
	struct child_result r;
	pthread_t t;

	SKIP_UNDER_ASAN();
	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	t = test_thread_start(churn_fn, stop);
	for (int i = 0; i < GLOBAL_FORKS; i++) {
		run_in_child_for(child_first_use, NULL, &r, GLOBAL_HANG_MS);
		if (r.hung)
			hung++;
		else if (!child_exited_ok(&r))
			bad++;
	}
	test_set(&stop[0], 1);
	test_thread_join(t);
	if (hung)
		fprintf(stderr, "%d children of %d hung\n", hung, GLOBAL_FORKS);
	assert_int_equal(hung, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(stop[1], 0);	/* every churn clean-up succeeded */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_uses_library),
		cmocka_unit_test(test_pending_callbacks),
		cmocka_unit_test(test_reader_in_other_thread),
		cmocka_unit_test(test_fork_during_updates),
		cmocka_unit_test(test_fork_while_callback_blocks),
		cmocka_unit_test(test_fork_global_locks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
