/*
 * test_faults.c: allocation failures and thread-creation failures, for
 * both flavours (test_faults-tree, test_faults-tiny), linked against the
 * static libraries so that pthread_create() can be wrapped
 * (-Wl,--wrap=pthread_create, tests/reliability/CMakeLists.txt).
 *
 * Allocations: for every n, the n-th allocation from now fails
 * (srcu_*_test_fail_alloc() of <srcu/testing.h>) across an init and a
 * first use; the call that needed it returns -ENOMEM (or, where the
 * library can retry, retries), the srcu_struct is left untouched, the
 * library keeps working, and nothing leaks (the sanitizer pass runs this
 * under LeakSanitizer, `make memcheck` under valgrind).  The loop ends at
 * the first n that the sequence no longer reaches.
 *
 * Threads: a pool that cannot create its first worker dies saying so
 * (the documented behaviour); one that cannot add a spare warns and goes
 * on with the workers it has.
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

#ifdef SRCU_FLAVOUR_TINY
#define SRCU_TINY 1
#define test_fail_alloc srcu_tiny_test_fail_alloc
#else
#define test_fail_alloc srcu_tree_test_fail_alloc
#endif
#include <srcu.h>
#include <srcu/testing.h>
#include "test_util.h"
#include "child.h"

/*
 * pthread_create(), as the library sees it.  Each worker pool passes its
 * own pool as the argument, which is how "one worker per pool" is told.
 */
int __real_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);
int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg);

enum { CREATE_ALL, CREATE_NONE, CREATE_ONE_PER_POOL };

static int create_mode = CREATE_ALL;
static void *created_for[8];	/* pools given their one worker */
static int creates_refused;

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int mode = __atomic_load_n(&create_mode, __ATOMIC_SEQ_CST);
	bool refuse = mode == CREATE_NONE;
	size_t i;

	if (mode == CREATE_ONE_PER_POOL) {
		pthread_mutex_lock(&lock);
		for (i = 0; i < 8 && created_for[i] && created_for[i] != arg; i++)
			;
		refuse = i == 8 || created_for[i] == arg;
		if (!refuse)
			created_for[i] = arg;
		pthread_mutex_unlock(&lock);
	}
	if (refuse) {
		__atomic_fetch_add(&creates_refused, 1, __ATOMIC_SEQ_CST);
		return EAGAIN;
	}
	return __real_pthread_create(t, attr, fn, arg);
}

struct counted {
	struct rcu_head rh;
	int calls;
};

static void counted_cb(struct rcu_head *rhp)
{
	test_inc(&caa_container_of(rhp, struct counted, rh)->calls);
}

/* A first use of every kind; returns normally only if all of it worked. */
static void first_use(struct srcu_struct *ssp)
{
	struct counted c[3] = { { .calls = 0 } };
	unsigned long cookie;
	int idx, i;

	idx = srcu_read_lock(ssp);
	srcu_read_unlock(ssp, idx);
	synchronize_srcu(ssp);
	call_srcu(ssp, &c[0].rh, counted_cb);
	call_srcu_expedited(ssp, &c[1].rh, counted_cb);
	synchronize_srcu_expedited(ssp);
	cookie = start_poll_synchronize_srcu(ssp);
	call_srcu(ssp, &c[2].rh, counted_cb);
	srcu_barrier(ssp);
	for (i = 0; i < 3; i++)
		assert_int_equal(test_get(&c[i].calls), 1);
	synchronize_srcu(ssp);
	assert_true(poll_state_synchronize_srcu(ssp, cookie));
}

#ifndef SRCU_TINY
/* The fault injected before the sequence: was it reached (consumed)? */
static bool fault_consumed(long n)
{
	struct srcu_struct probe;
	long i;
	bool consumed = true;

	/* Each init allocates at least once: n + 1 of them reach any fault left. */
	for (i = 0; i <= n && consumed; i++) {
		int rc = init_srcu_struct(&probe);

		if (rc == -ENOMEM)
			consumed = false;
		else
			assert_int_equal(cleanup_srcu_struct(&probe), 0);
	}
	test_fail_alloc(-1);
	return consumed;
}

/*
 * Tree, big at init: init allocates the readers, the update side, the
 * per-CPU data and the node tree; any of them failing is -ENOMEM, with
 * the srcu_struct left as if zeroed.
 */
static void test_alloc_fail_init(void **state)
{
	struct srcu_struct ss;
	long n, enomem = 0;

	assert_int_equal(srcu_param_set("nr_cpus", 40), 0);
	assert_int_equal(srcu_param_set("convert_to_big", 1), 0);
	for (n = 0; n < 100; n++) {
		int rc;

		memset(&ss, 0x5a, sizeof(ss));	/* Init must not depend on it. */
		test_fail_alloc(n);
		rc = init_srcu_struct(&ss);
		if (rc) {
			assert_int_equal(rc, -ENOMEM);
			/* Nothing half-initialised: nothing to use or free. */
			assert_null(ss.srcu_sup);
			assert_null(ss.srcu_readers);
			assert_int_equal(cleanup_srcu_struct(&ss), 0);
			enomem++;
		} else {
			first_use(&ss);
			assert_int_equal(cleanup_srcu_struct(&ss), 0);
		}
		if (!fault_consumed(n))
			break;
		/* The library keeps working. */
		assert_int_equal(init_srcu_struct(&ss), 0);
		first_use(&ss);
		assert_int_equal(cleanup_srcu_struct(&ss), 0);
	}
	assert_true(n < 100);
	assert_int_equal(enomem, 4);	/* readers, update side, per-CPU data, nodes */
	print_message("init and first use: %ld allocations, each failed once\n", n);
	srcu_param_set("nr_cpus", 0);
	srcu_param_set("convert_to_big", 0);
}

/*
 * Tree, big on request: the node tree is allocated at a grace period's
 * end, where there is no caller to tell.  A failure leaves the struct
 * small and the next grace period's end tries again.
 */
static void test_alloc_fail_grow(void **state)
{
	struct srcu_stats st;
	struct srcu_struct ss;
	FILE *null = fopen("/dev/null", "w");
	long n;
	int i;

	assert_non_null(null);
	assert_int_equal(srcu_param_set("nr_cpus", 40), 0);
	assert_int_equal(srcu_param_set("convert_to_big", 2), 0);	/* at stats_print */
	for (n = 0; n < 100; n++) {
		assert_int_equal(init_srcu_struct(&ss), 0);
		test_fail_alloc(n);
		srcu_stats_print(&ss, null, "test");	/* asks to grow */
		first_use(&ss);
		for (i = 0; i < 12; i++)
			synchronize_srcu(&ss);
		assert_int_equal(srcu_get_stats(&ss, &st), 0);
		assert_string_equal(st.size_state_name, "BIG");
		first_use(&ss);
		assert_int_equal(cleanup_srcu_struct(&ss), 0);
		if (!fault_consumed(n))
			break;
	}
	assert_true(n >= 1 && n < 100);
	print_message("growing to big: %ld allocations, each failed once\n", n);
	fclose(null);
	srcu_param_set("nr_cpus", 0);
	srcu_param_set("convert_to_big", 0);
}

/* A DEFINE_SRCU() has no caller to return -ENOMEM to: it dies, saying so. */
DEFINE_STATIC_SRCU(static_srcu);

static void static_first_use_enomem(void *arg)
{
	test_fail_alloc(0);
	synchronize_srcu(&static_srcu);
}

static void static_reader_enomem(void *arg)
{
	test_fail_alloc(1);
	(void)srcu_read_lock(&static_srcu);
}

static void test_alloc_fail_static(void **state)
{
	struct child_result r;

	run_in_child(static_first_use_enomem, NULL, &r);
	assert_true(child_aborted_saying(&r, "out of memory initialising a DEFINE_SRCU()"));
	run_in_child(static_reader_enomem, NULL, &r);
	assert_true(child_aborted_saying(&r, "out of memory initialising a DEFINE_SRCU()"));
}
#else
/* Tiny allocates nothing: with every allocation failing in turn, it works. */
static void test_alloc_fail_init(void **state)
{
	struct srcu_struct ss;
	DEFINE_STATIC_SRCU(static_srcu);
	long n;

	for (n = 0; n < 4; n++) {
		test_fail_alloc(n);
		assert_int_equal(init_srcu_struct(&ss), 0);
		first_use(&ss);
		assert_int_equal(cleanup_srcu_struct(&ss), 0);
		first_use(&static_srcu);
		test_fail_alloc(-1);
	}
}
#endif

/* Thread creation. */

static void no_threads_at_all(void *arg)
{
	static struct counted c;
	struct srcu_struct ss;

	__atomic_store_n(&create_mode, CREATE_NONE, __ATOMIC_SEQ_CST);
	init_srcu_struct(&ss);
	call_srcu(&ss, &c.rh, counted_cb);
	srcu_barrier(&ss);
}

static void one_worker_per_pool(void *arg)
{
	struct counted c[64];
	struct srcu_struct ss;
	int i, round;

	/* This child's pools start afresh: one worker each, no spare. */
	__atomic_store_n(&create_mode, CREATE_ONE_PER_POOL, __ATOMIC_SEQ_CST);
	if (init_srcu_struct(&ss))
		_exit(2);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 64; i++) {
			c[i].calls = 0;
			if (i % 2)
				call_srcu(&ss, &c[i].rh, counted_cb);
			else
				call_srcu_expedited(&ss, &c[i].rh, counted_cb);
		}
		synchronize_srcu(&ss);
		srcu_barrier(&ss);
		for (i = 0; i < 64; i++)
			if (test_get(&c[i].calls) != 1)
				_exit(3);
	}
	if (cleanup_srcu_struct(&ss))
		_exit(4);
	if (!__atomic_load_n(&creates_refused, __ATOMIC_SEQ_CST))
		_exit(5);	/* The test did not test anything. */
}

static void test_thread_create_fails(void **state)
{
	struct child_result r;

	/* Not even one worker: the library dies, naming the pool and error. */
	run_in_child(no_threads_at_all, NULL, &r);
	assert_true(child_aborted_saying(&r, "cannot create the first worker thread of the"));
	assert_non_null(strstr(r.err, "Resource temporarily unavailable"));

	/* No spare: a warning, and everything still completes. */
	run_in_child(one_worker_per_pool, NULL, &r);
	assert_true(child_exited_ok(&r));
	assert_non_null(strstr(r.err, "cannot add a worker thread to the"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alloc_fail_init),
#ifndef SRCU_TINY
		cmocka_unit_test(test_alloc_fail_grow),
		cmocka_unit_test(test_alloc_fail_static),
#endif
		cmocka_unit_test(test_thread_create_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
