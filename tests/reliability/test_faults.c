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
 * Threads: a pool that cannot create even its first worker warns once
 * and goes on without one: threads that wait for an srcu_struct's work
 * (synchronize, barrier, polling) run it themselves, grace periods stay
 * whole under readers, callbacks nobody waits for stay queued, and the
 * pool gets its workers as soon as threads can be created again, in a
 * fork() child too.  A pool that cannot add a spare warns and goes on
 * with the workers it has.
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
static int create_mode_after_fork = -1;	/* set in a fork() child, if >= 0 */
static void *created_for[8];	/* pools given their one worker */
static int creates_refused;
static __thread bool creating_own;	/* the test starts a thread of its own */

int __wrap_pthread_create(pthread_t *t, const pthread_attr_t *attr,
			  void *(*fn)(void *), void *arg)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int mode = __atomic_load_n(&create_mode, __ATOMIC_SEQ_CST);
	bool refuse = mode == CREATE_NONE && !creating_own;
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
	expect_abort(static_first_use_enomem, "out of memory initialising a DEFINE_SRCU()");
	expect_abort(static_reader_enomem, "out of memory initialising a DEFINE_SRCU()");
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

/* In a child: unless cond holds, say which check failed and exit with status 3. */
#define CHILD_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "check failed at line %d: %s\n",	\
				__LINE__, #cond);			\
			_exit(3);					\
		}							\
	} while (0)

/* A thread of the test's own, which a refusing pthread_create() lets through. */
static pthread_t own_thread_start(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	int err;

	creating_own = true;
	err = pthread_create(&t, NULL, fn, arg);
	creating_own = false;
	CHILD_CHECK(err == 0);
	return t;
}

static int occurrences(const char *haystack, const char *needle)
{
	int n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void no_threads_at_all(void *arg)
{
	DEFINE_STATIC_SRCU(workerless_srcu);
	static struct counted c;
	struct srcu_struct ss;
	unsigned long cookie;

	__atomic_store_n(&create_mode, CREATE_NONE, __ATOMIC_SEQ_CST);
	CHILD_CHECK(init_srcu_struct(&ss) == 0);
	first_use(&ss);
	first_use(&workerless_srcu);
	/* A poller alone drives its grace periods. */
	cookie = start_poll_synchronize_srcu(&ss);
	for (int ms = 0; !poll_state_synchronize_srcu(&ss, cookie); ms++) {
		CHILD_CHECK(ms < 10000);
		test_sleep_ms(1);
	}
	call_srcu(&ss, &c.rh, counted_cb);
	srcu_barrier(&ss);
	CHILD_CHECK(test_get(&c.calls) == 1);
	CHILD_CHECK(cleanup_srcu_struct(&ss) == 0);
	CHILD_CHECK(__atomic_load_n(&creates_refused, __ATOMIC_SEQ_CST) > 0);
}

/* Readers of the workerless stress: an element is live until freed by a GP. */
struct elem {
	int live;		/* 1 while published or maybe read; 0 once its GP ended */
	struct rcu_head rh;
};

static struct srcu_struct stress_srcu;
static struct elem *stress_cur;
static int stress_stop, stress_errors, stress_sections;

static void *stress_reader(void *arg)
{
	unsigned int seed = (unsigned int)(uintptr_t)arg;

	while (!test_get(&stress_stop)) {
		int idx = srcu_read_lock(&stress_srcu);
		struct elem *e = __atomic_load_n(&stress_cur, __ATOMIC_ACQUIRE);

		if (rand_r(&seed) % 16 == 0)
			usleep(200);	/* a reader that sleeps */
		if (__atomic_load_n(&e->live, __ATOMIC_RELAXED) != 1)
			test_inc(&stress_errors);
		srcu_read_unlock(&stress_srcu, idx);
		test_inc(&stress_sections);
	}
	return NULL;
}

static void stress_free_cb(struct rcu_head *rhp)
{
	__atomic_store_n(&caa_container_of(rhp, struct elem, rh)->live, 0, __ATOMIC_RELAXED);
}

/*
 * No worker, readers that sleep, every update primitive: each replaced
 * element is marked dead once its grace period is over, by the waiter or
 * by its callback, and no reader may ever see a dead one.
 */
static void workerless_stress(void *arg)
{
	enum { NR_ELEMS = 600, NR_READERS = 2 };
	static struct elem elems[NR_ELEMS];
	pthread_t readers[NR_READERS];
	unsigned long cookie;
	int i, sections;

	__atomic_store_n(&create_mode, CREATE_NONE, __ATOMIC_SEQ_CST);
	CHILD_CHECK(init_srcu_struct(&stress_srcu) == 0);
	elems[0].live = 1;
	__atomic_store_n(&stress_cur, &elems[0], __ATOMIC_RELEASE);
	for (i = 0; i < NR_READERS; i++)
		readers[i] = own_thread_start(stress_reader, (void *)(uintptr_t)(i + 1));
	CHILD_CHECK(test_wait_for(&stress_sections, 100));
	sections = test_get(&stress_sections);
	for (i = 1; i < NR_ELEMS; i++) {
		struct elem *old;

		usleep(100);	/* let the readers in, on a loaded machine too */
		elems[i].live = 1;
		old = __atomic_exchange_n(&stress_cur, &elems[i], __ATOMIC_ACQ_REL);
		switch (i % 5) {
		case 0:
			synchronize_srcu(&stress_srcu);
			break;
		case 1:
			synchronize_srcu_expedited(&stress_srcu);
			break;
		case 2:
			cookie = start_poll_synchronize_srcu(&stress_srcu);
			while (!poll_state_synchronize_srcu(&stress_srcu, cookie))
				usleep(50);
			break;
		case 3:
			call_srcu(&stress_srcu, &old->rh, stress_free_cb);
			continue;
		default:
			call_srcu_expedited(&stress_srcu, &old->rh, stress_free_cb);
			if (i % 50 == 4)
				srcu_barrier(&stress_srcu);
			continue;
		}
		__atomic_store_n(&old->live, 0, __ATOMIC_RELAXED);
	}
	srcu_barrier(&stress_srcu);
	test_set(&stress_stop, 1);
	for (i = 0; i < NR_READERS; i++)
		pthread_join(readers[i], NULL);
	for (i = 0; i < NR_ELEMS - 1; i++)
		CHILD_CHECK(elems[i].live == 0);	/* every callback ran */
	CHILD_CHECK(test_get(&stress_errors) == 0);
	CHILD_CHECK(test_get(&stress_sections) > sections);	/* readers ran meanwhile */
	CHILD_CHECK(cleanup_srcu_struct(&stress_srcu) == 0);
}

/*
 * Callbacks nobody waits for stay queued while no worker can be created;
 * once threads can be created again, the next queueing gives the pools
 * their workers and everything queued runs, with no one waiting.
 */
static void workerless_recovers(void *arg)
{
	static struct counted c[2];
	struct srcu_struct ss;

	__atomic_store_n(&create_mode, CREATE_NONE, __ATOMIC_SEQ_CST);
	CHILD_CHECK(init_srcu_struct(&ss) == 0);
	call_srcu(&ss, &c[0].rh, counted_cb);
	test_sleep_ms(50);
	CHILD_CHECK(test_get(&c[0].calls) == 0);	/* no thread could run it */
	__atomic_store_n(&create_mode, CREATE_ALL, __ATOMIC_SEQ_CST);
	call_srcu(&ss, &c[1].rh, counted_cb);
	CHILD_CHECK(test_wait_for(&c[0].calls, 1));
	CHILD_CHECK(test_wait_for(&c[1].calls, 1));
	srcu_barrier(&ss);
	CHILD_CHECK(test_get(&c[0].calls) == 1 && test_get(&c[1].calls) == 1);
	CHILD_CHECK(cleanup_srcu_struct(&ss) == 0);
}

/* A fork() child that cannot create threads still runs what it inherited. */
static struct srcu_struct fork_srcu;
static struct counted fork_cb;
static int fork_reader_idx;	/* a reader the forking thread holds */

static void workerless_after_fork(void *arg)
{
	/* The child's copy of the reader ends; the GP it held up can end here. */
	srcu_read_unlock(&fork_srcu, fork_reader_idx);
	srcu_barrier(&fork_srcu);
	CHILD_CHECK(test_get(&fork_cb.calls) == 1);
	synchronize_srcu(&fork_srcu);
	CHILD_CHECK(__atomic_load_n(&creates_refused, __ATOMIC_SEQ_CST) > 0);
}

static void set_create_mode_after_fork(void)
{
	int mode = __atomic_load_n(&create_mode_after_fork, __ATOMIC_SEQ_CST);

	if (mode >= 0)
		__atomic_store_n(&create_mode, mode, __ATOMIC_SEQ_CST);
}

static void one_worker_per_pool(void *arg)
{
	struct counted c[64];
	struct srcu_struct ss;
	int i, round;

	/* This child's pools start afresh: one worker each, no spare. */
	__atomic_store_n(&create_mode, CREATE_ONE_PER_POOL, __ATOMIC_SEQ_CST);
	CHILD_CHECK(init_srcu_struct(&ss) == 0);
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
			CHILD_CHECK(test_get(&c[i].calls) == 1);
	}
	CHILD_CHECK(cleanup_srcu_struct(&ss) == 0);
	/* Else the test did not test anything. */
	CHILD_CHECK(__atomic_load_n(&creates_refused, __ATOMIC_SEQ_CST) > 0);
}

static void test_thread_create_fails(void **state)
{
	struct child_result r;

	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	/* No spare: a warning, and everything still completes. */
	run_in_child(one_worker_per_pool, NULL, &r);
	assert_true(child_exited_ok(&r));
	assert_non_null(strstr(r.err, "cannot add a worker thread to the"));
}

static void test_workerless(void **state)
{
	struct child_result r;

	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	/* Not even one worker: one warning per pool, and everything works. */
	run_in_child(no_threads_at_all, NULL, &r);
	assert_true(child_exited_ok(&r));
	assert_int_equal(occurrences(r.err, "cannot create a worker thread for the gp pool "
					   "(Resource temporarily unavailable)"), 1);
	assert_int_equal(occurrences(r.err, "cannot create a worker thread for the cb pool "
					   "(Resource temporarily unavailable)"), 1);

	expect_ok(workerless_stress);
	expect_ok(workerless_recovers);
}

static void test_workerless_after_fork(void **state)
{
	struct child_result r;
	unsigned long cookie;

	/* A callback whose grace period a reader of this thread holds up. */
	assert_int_equal(init_srcu_struct(&fork_srcu), 0);
	fork_reader_idx = srcu_read_lock(&fork_srcu);
	cookie = get_state_synchronize_srcu(&fork_srcu);
	call_srcu(&fork_srcu, &fork_cb.rh, counted_cb);
	test_sleep_ms(20);
	assert_false(poll_state_synchronize_srcu(&fork_srcu, cookie));
	__atomic_store_n(&create_mode_after_fork, CREATE_NONE, __ATOMIC_SEQ_CST);
	run_in_child(workerless_after_fork, NULL, &r);
	__atomic_store_n(&create_mode_after_fork, -1, __ATOMIC_SEQ_CST);
	assert_true(child_exited_ok(&r));
	assert_non_null(strstr(r.err, "cannot create a worker thread for the"));

	/* The parent's own copy runs once here too. */
	assert_int_equal(test_get(&fork_cb.calls), 0);
	srcu_read_unlock(&fork_srcu, fork_reader_idx);
	srcu_barrier(&fork_srcu);
	assert_int_equal(test_get(&fork_cb.calls), 1);
	assert_true(poll_state_synchronize_srcu(&fork_srcu, cookie));
	assert_int_equal(cleanup_srcu_struct(&fork_srcu), 0);
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
		cmocka_unit_test(test_workerless),
		cmocka_unit_test(test_workerless_after_fork),
	};

	/* Before the library's own handler, which starts the child's workers. */
	pthread_atfork(NULL, NULL, set_create_mode_after_fork);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
