/*
 * test_debug.c: the SRCU_DEBUG checks (src/debug.h), one source for both
 * flavours through <srcu.h>.  In a debug build <srcu.h> maps the readers
 * onto the out-of-line twins that carry the checks; in the other builds
 * ctest runs it with SRCU_DEBUG=1 in the environment, and the inline
 * readers it was compiled with call the twins themselves: the checks
 * without a rebuild (tests/reliability/CMakeLists.txt).  Each misuse runs
 * in a child, which must abort with the library's message; the correct
 * uses next to them must not.  doc/reliability.md has the table.
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
#include <sys/time.h>
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

static struct srcu_struct ss, other;

/* Waiting for a grace period inside a reader of the same srcu_struct. */

static void sync_in_reader(void *arg)
{
	int idx;

	init_srcu_struct(&ss);
	idx = srcu_read_lock(&ss);
	synchronize_srcu(&ss);
	srcu_read_unlock(&ss, idx);
}

static void sync_exp_in_nmisafe_reader(void *arg)
{
	int idx;

	init_srcu_struct(&ss);
	idx = srcu_read_lock_nmisafe(&ss);
	synchronize_srcu_expedited(&ss);
	srcu_read_unlock_nmisafe(&ss, idx);
}

static void barrier_in_fast_reader(void *arg)
{
	struct srcu_ctr *scp;

	init_srcu_struct_fast(&ss);
	scp = srcu_read_lock_fast(&ss);
	srcu_barrier(&ss);
	srcu_read_unlock_fast(&ss, scp);
}

/* Nested: the outer reader still counts after the inner one left. */
static void sync_in_outer_reader(void *arg)
{
	int outer, inner;

	init_srcu_struct(&ss);
	outer = srcu_read_lock(&ss);
	inner = srcu_read_lock(&ss);
	srcu_read_unlock(&ss, inner);
	synchronize_srcu(&ss);
	srcu_read_unlock(&ss, outer);
}

/* Correct: another srcu_struct, or after the reader left, or a down reader. */
static void sync_other_struct_in_reader(void *arg)
{
	int idx;

	init_srcu_struct(&ss);
	init_srcu_struct(&other);
	idx = srcu_read_lock(&ss);
	synchronize_srcu(&other);
	synchronize_srcu_expedited(&other);
	srcu_barrier(&other);
	srcu_read_unlock(&ss, idx);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss) || cleanup_srcu_struct(&other))
		_exit(3);
}

static void test_sync_in_reader(void **state)
{
	expect_abort(sync_in_reader,
		     "synchronize_srcu() inside a srcu_read_lock() reader of the same "
		     "srcu_struct");
	expect_abort(sync_in_reader, "would deadlock");
	expect_abort(sync_exp_in_nmisafe_reader,
		     "synchronize_srcu_expedited() inside a srcu_read_lock_nmisafe() reader");
	expect_abort(barrier_in_fast_reader,
		     "srcu_barrier() inside a srcu_read_lock_fast() reader");
	expect_abort(sync_in_outer_reader, "synchronize_srcu() inside a srcu_read_lock()");
	expect_ok(sync_other_struct_in_reader);
}

/* Unlocks that do not match a lock of this thread. */

static void unlock_without_lock(void *arg)
{
	init_srcu_struct(&ss);
	srcu_read_unlock(&ss, 0);
}

static void unlock_wrong_flavour(void *arg)
{
	int idx;

	init_srcu_struct(&ss);
	idx = srcu_read_lock(&ss);
	srcu_read_unlock_nmisafe(&ss, idx);
}

static void unlock_wrong_flavour2(void *arg)
{
	int idx;

	init_srcu_struct(&ss);
	idx = srcu_read_lock_nmisafe(&ss);
	srcu_read_unlock(&ss, idx);
}

static void unlock_wrong_index(void *arg)
{
	int idx;

	init_srcu_struct(&ss);
	idx = srcu_read_lock(&ss);
	srcu_read_unlock(&ss, !idx);
}

static void unlock_fast_twice(void *arg)
{
	struct srcu_ctr *scp;

	init_srcu_struct_fast(&ss);
	scp = srcu_read_lock_fast(&ss);
	srcu_read_unlock_fast(&ss, scp);
	srcu_read_unlock_fast(&ss, scp);
}

static void *lock_and_hand_over(void *arg)
{
	return (void *)(intptr_t)srcu_read_lock(&ss);
}

/* srcu_read_lock() in one thread, srcu_read_unlock() in another. */
static void unlock_other_thread(void *arg)
{
	pthread_t t;
	void *idx;

	init_srcu_struct(&ss);
	pthread_create(&t, NULL, lock_and_hand_over, NULL);
	pthread_join(t, &idx);
	srcu_read_unlock(&ss, (int)(intptr_t)idx);
}

static void *down_and_hand_over(void *arg)
{
	return (void *)(intptr_t)srcu_down_read(&ss);
}

/* Correct: srcu_down_read() in one thread, srcu_up_read() in another. */
static void updown_other_thread(void *arg)
{
	pthread_t t;
	void *idx;

	init_srcu_struct(&ss);
	pthread_create(&t, NULL, down_and_hand_over, NULL);
	pthread_join(t, &idx);
	srcu_up_read(&ss, (int)(intptr_t)idx);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
}

/* Correct: out-of-order unlocks, and both indexes held at once. */
static void out_of_order(void *arg)
{
	int a, b, c;

	init_srcu_struct(&ss);
	a = srcu_read_lock(&ss);
	b = srcu_read_lock_nmisafe(&ss);
	srcu_read_unlock(&ss, a);
	c = srcu_read_lock(&ss);
	srcu_read_unlock_nmisafe(&ss, b);
	srcu_read_unlock(&ss, c);
	if (srcu_read_lock_held(&ss))
		_exit(4);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
}

static void test_unlock_mismatch(void **state)
{
	expect_abort(unlock_without_lock,
		     "srcu_read_unlock(): srcu_struct");
	expect_abort(unlock_without_lock, "unlock without a matching lock in this thread");
	expect_abort(unlock_wrong_flavour,
		     "srcu_read_unlock_nmisafe(): srcu_struct");
	expect_abort(unlock_wrong_flavour,
		     "mismatched unlock of a reader entered with srcu_read_lock()");
	expect_abort(unlock_wrong_flavour2,
		     "mismatched unlock of a reader entered with srcu_read_lock_nmisafe()");
	expect_abort(unlock_wrong_index, "matches no reader this thread holds");
	expect_abort(unlock_fast_twice, "srcu_read_unlock_fast(): srcu_struct");
	expect_abort(unlock_other_thread, "unlock without a matching lock in this thread");
	expect_ok(updown_other_thread);
	expect_ok(out_of_order);
}

/* srcu_read_lock_held() answers truthfully. */

struct held_probe {
	int done;
	int held;
};

static void *probe_held(void *arg)
{
	struct held_probe *p = arg;

	test_set(&p->held, srcu_read_lock_held(&ss));
	test_set(&p->done, 1);
	return NULL;
}

static void test_lock_held(void **state)
{
	struct held_probe p = { 0, -1 };
	struct srcu_ctr *scp;
	pthread_t t;
	int a, b;

	assert_int_equal(init_srcu_struct(&ss), 0);
	assert_int_equal(init_srcu_struct(&other), 0);
	assert_false(srcu_read_lock_held(&ss));
	a = srcu_read_lock(&ss);
	assert_true(srcu_read_lock_held(&ss));
	assert_false(srcu_read_lock_held(&other));
	/* Another thread does not hold what this one holds. */
	t = test_thread_start(probe_held, &p);
	test_thread_join(t);
	assert_int_equal(test_get(&p.held), 0);
	b = srcu_read_lock_nmisafe(&ss);
	srcu_read_unlock(&ss, a);
	assert_true(srcu_read_lock_held(&ss));
	srcu_read_unlock_nmisafe(&ss, b);
	assert_false(srcu_read_lock_held(&ss));
	/* A down reader is not "held" (another thread may release it). */
	a = srcu_down_read(&ss);
	assert_false(srcu_read_lock_held(&ss));
	srcu_up_read(&ss, a);
	synchronize_srcu(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);

	assert_int_equal(init_srcu_struct_fast(&ss), 0);
	scp = srcu_read_lock_fast(&ss);
	assert_true(srcu_read_lock_held(&ss));
	srcu_read_unlock_fast(&ss, scp);
	assert_false(srcu_read_lock_held(&ss));
	scp = srcu_down_read_fast(&ss);
	assert_false(srcu_read_lock_held(&ss));
	srcu_up_read_fast(&ss, scp);
	synchronize_srcu(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
	assert_int_equal(cleanup_srcu_struct(&other), 0);
}

/* The table is bounded: the 49th reader held by one thread is reported. */
static void too_many_held(void *arg)
{
	int i;

	init_srcu_struct(&ss);
	for (i = 0; i < 49; i++)
		(void)srcu_read_lock(&ss);
}

static void as_many_as_allowed(void *arg)
{
	int idx[48], i;

	init_srcu_struct(&ss);
	for (i = 0; i < 48; i++)
		idx[i] = srcu_read_lock(&ss);
	for (i = 0; i < 48; i++)
		srcu_read_unlock(&ss, idx[i]);	/* Oldest first: out of order. */
	if (srcu_read_lock_held(&ss))
		_exit(4);
	for (i = 0; i < 48; i++)
		idx[i] = srcu_read_lock(&ss);	/* The holes were all freed. */
	for (i = 47; i >= 0; i--)
		srcu_read_unlock(&ss, idx[i]);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
}

static void test_table_bounds(void **state)
{
	expect_abort(too_many_held, "more than 48 SRCU readers held by one thread");
	expect_ok(as_many_as_allowed);
}

/*
 * Nmisafe readers in a signal handler, interrupting this thread's own
 * locks and unlocks anywhere (including inside the table updates): the
 * table must stay consistent, and every check must still pass.
 */
#define SIG_MS		300

static int sig_readers;
static int sig_bad;

static void sig_reader(int sig)
{
	int saved = errno, a, b;

	a = srcu_read_lock_nmisafe(&ss);
	b = srcu_read_lock_nmisafe(&ss);
	if (!srcu_read_lock_held(&ss))
		test_inc(&sig_bad);
	srcu_read_unlock_nmisafe(&ss, a);	/* Out of order, on purpose. */
	srcu_read_unlock_nmisafe(&ss, b);
	test_inc(&sig_readers);
	errno = saved;
}

static void test_signal_safety(void **state)
{
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	struct sigaction sa;
	uint64_t end;
	unsigned int n = 0;
	int idx[4];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_reader;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
	assert_int_equal(init_srcu_struct(&ss), 0);
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	end = test_now_ns() + SIG_MS * 1000000ULL;
	while (test_now_ns() < end || test_get(&sig_readers) < 10) {
		/* Three held, released in varying orders, then a fourth. */
		idx[0] = srcu_read_lock(&ss);
		idx[1] = srcu_read_lock_nmisafe(&ss);
		idx[2] = srcu_read_lock(&ss);
		if (n % 3 == 0)
			srcu_read_unlock(&ss, idx[0]);
		srcu_read_unlock_nmisafe(&ss, idx[1]);
		idx[3] = srcu_read_lock(&ss);
		if (n % 3 != 0)
			srcu_read_unlock(&ss, idx[0]);
		srcu_read_unlock(&ss, idx[3]);
		srcu_read_unlock(&ss, idx[2]);
		if (srcu_read_lock_held(&ss))
			test_inc(&sig_bad);
		n++;
	}
	memset(&it, 0, sizeof(it));
	assert_int_equal(setitimer(ITIMER_REAL, &it, NULL), 0);
	signal(SIGALRM, SIG_IGN);
	assert_int_equal(test_get(&sig_bad), 0);
	assert_true(test_get(&sig_readers) >= 10);
	assert_false(srcu_read_lock_held(&ss));
	synchronize_srcu(&ss);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/* Use after cleanup_srcu_struct(), and NULL. */

static void cleaned(void)
{
	init_srcu_struct(&ss);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
}

static void lock_after_cleanup(void *arg)
{
	cleaned();
	(void)srcu_read_lock(&ss);
}

static void sync_after_cleanup(void *arg)
{
	cleaned();
	synchronize_srcu(&ss);
}

static void never_cb(struct rcu_head *rhp)
{
	abort();
}

static void call_after_cleanup(void *arg)
{
	static struct rcu_head rh;

	cleaned();
	call_srcu(&ss, &rh, never_cb);
}

static void barrier_after_cleanup(void *arg)
{
	cleaned();
	srcu_barrier(&ss);
}

static void cleanup_after_cleanup(void *arg)
{
	cleaned();
	(void)cleanup_srcu_struct(&ss);
}

static void poll_after_cleanup(void *arg)
{
	cleaned();
	(void)start_poll_synchronize_srcu(&ss);
}

static void held_after_cleanup(void *arg)
{
	cleaned();
	(void)srcu_read_lock_held(&ss);
}

/* Correct: initialised again after its clean-up. */
static void reinit_after_cleanup(void *arg)
{
	int idx;

	cleaned();
	if (init_srcu_struct(&ss))
		_exit(2);
	idx = srcu_read_lock(&ss);
	srcu_read_unlock(&ss, idx);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
}

/* Opaque to the compiler, which would otherwise warn about the inline reader's NULL. */
static struct srcu_struct *volatile null_ssp;

static void lock_null(void *arg)
{
	(void)srcu_read_lock(null_ssp);
}

static void sync_null(void *arg)
{
	synchronize_srcu(null_ssp);
}

static void test_use_after_cleanup(void **state)
{
	const char *msg = "used after cleanup_srcu_struct()";

	expect_abort(lock_after_cleanup, "srcu_read_lock(): srcu_struct");
	expect_abort(lock_after_cleanup, msg);
	expect_abort(sync_after_cleanup, "synchronize_srcu(): srcu_struct");
	expect_abort(sync_after_cleanup, msg);
	expect_abort(call_after_cleanup, msg);
	expect_abort(barrier_after_cleanup, msg);
	expect_abort(cleanup_after_cleanup, "cleanup_srcu_struct(): srcu_struct");
	expect_abort(poll_after_cleanup, msg);
	expect_abort(held_after_cleanup, msg);
	expect_ok(reinit_after_cleanup);
	expect_abort(lock_null, "srcu_read_lock(): NULL srcu_struct");
	expect_abort(sync_null, "synchronize_srcu(): NULL srcu_struct");
}

/* Double init: Tree reports it; Tiny, which allocates nothing, cannot. */

static void double_init(void *arg)
{
	init_srcu_struct(&ss);
	synchronize_srcu(&ss);
	init_srcu_struct(&ss);
	synchronize_srcu(&ss);
	if (cleanup_srcu_struct(&ss))
		_exit(3);
}

static void test_double_init(void **state)
{
	if (TINY)
		expect_ok(double_init);
	else
		expect_abort(double_init,
			     "init_srcu_struct(): srcu_struct");
	if (!TINY)
		expect_abort(double_init, "is already initialised");
}

/*
 * The checks are on: a debug build, or SRCU_DEBUG=1 in the environment.
 * Without them srcu_read_lock_held() cannot know, and answers 1.
 */
static void test_checks_on(void **state)
{
	static struct srcu_struct probe;
	int idx;

	assert_int_equal(init_srcu_struct(&probe), 0);
	assert_false(srcu_read_lock_held(&probe));
	idx = srcu_read_lock(&probe);
	assert_true(srcu_read_lock_held(&probe));
	srcu_read_unlock(&probe, idx);
	assert_false(srcu_read_lock_held(&probe));
	assert_int_equal(cleanup_srcu_struct(&probe), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checks_on),
		cmocka_unit_test(test_sync_in_reader),
		cmocka_unit_test(test_unlock_mismatch),
		cmocka_unit_test(test_lock_held),
		cmocka_unit_test(test_table_bounds),
		cmocka_unit_test(test_signal_safety),
		cmocka_unit_test(test_use_after_cleanup),
		cmocka_unit_test(test_double_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
