/*
 * test_stall.c: stall warnings (src/stall.c, doc/reliability.md), for both
 * flavours through <srcu.h>.  With stall_timeout=1, a reader held for 4 s
 * makes a grace period wait: whoever drives or waits for it (the grace-
 * period worker, an expedited waiter that drives it itself, a waiter that
 * runs the work of a pool without threads, nobody but the worker when
 * only a callback waits) gets it reported on stderr: the srcu_struct by
 * address and name, the index and its readers, how long; then again with
 * back-off, and once when it ends.  Everything completes and nothing
 * aborts.  A debug build also names the thread that holds the reader.
 * stall_timeout=0 says nothing.  Each case runs in a child whose stderr
 * the parent reads.
 */
#define _GNU_SOURCE	/* pthread_setname_np() */
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

#ifdef SRCU_DEBUG
#define DEBUG 1
#else
#define DEBUG 0
#endif

#define test_fail_threads	SRCU_FLAVOUR_NAME(test_fail_threads)

#define HOLD_MS		4000	/* the reader's hold: four timeouts */

DEFINE_STATIC_SRCU(stall_srcu);

enum waiter { WAIT_SYNC, WAIT_EXPEDITED, WAIT_WORKERLESS, WAIT_CALLBACK };

static int inside, cb_calls;

static void *hold_reader(void *arg)
{
	int idx;

	pthread_setname_np(pthread_self(), "stall-reader");
	idx = srcu_read_lock(&stall_srcu);
	test_set(&inside, 1);
	test_sleep_ms(HOLD_MS);
	srcu_read_unlock(&stall_srcu, idx);
	return NULL;
}

static void count_cb(struct rcu_head *rhp)
{
	test_inc(&cb_calls);
}

/* In the child: hold a reader HOLD_MS while the grace period waits for it. */
static void stalled(enum waiter how, long timeout)
{
	static struct rcu_head rh;
	uint64_t t0;
	pthread_t t;

	if (how == WAIT_WORKERLESS)
		test_fail_threads(1);
	if (srcu_param_set("stall_timeout", timeout))
		_exit(10);
	if (pthread_create(&t, NULL, hold_reader, NULL) || !test_wait_for(&inside, 1))
		_exit(11);
	t0 = test_now_ns();
	switch (how) {
	case WAIT_SYNC:
	case WAIT_WORKERLESS:
		synchronize_srcu(&stall_srcu);
		break;
	case WAIT_EXPEDITED:
		synchronize_srcu_expedited(&stall_srcu);
		break;
	case WAIT_CALLBACK:
		call_srcu(&stall_srcu, &rh, count_cb);
		test_sleep_ms(HOLD_MS + 500);	/* nobody waits meanwhile */
		break;
	}
	pthread_join(t, NULL);
	srcu_barrier(&stall_srcu);
	/* The grace period waited for the reader; callbacks ran. */
	if (how != WAIT_CALLBACK && test_now_ns() - t0 < (HOLD_MS - 100) * 1000000ULL)
		_exit(12);
	if (how == WAIT_CALLBACK && test_get(&cb_calls) != 1)
		_exit(13);
	synchronize_srcu(&stall_srcu);
}

static void stalled_sync(void *arg)		{ stalled(WAIT_SYNC, 1); }
static void stalled_expedited(void *arg)	{ stalled(WAIT_EXPEDITED, 1); }
static void stalled_workerless(void *arg)	{ stalled(WAIT_WORKERLESS, 1); }
static void stalled_callback(void *arg)		{ stalled(WAIT_CALLBACK, 1); }
static void stalled_quiet(void *arg)		{ stalled(WAIT_SYNC, 0); }

static int count(const char *s, const char *what)
{
	int n = 0;

	for (; (s = strstr(s, what)); s += strlen(what))
		n++;
	return n;
}

/* The warnings of one stalled grace period, as the child wrote them. */
static void expect_warnings(void (*fn)(void *))
{
	struct child_result r;
	char name[64];
	int warnings;

	run_in_child(fn, NULL, &r);
	assert_true(child_exited_ok(&r));
	snprintf(name, sizeof(name), "of srcu_struct %p (stall_srcu) held up for", (void *)&stall_srcu);
	warnings = count(r.err, name);
	/* At 1 s and 2 s held, maybe 4 s: back-off, not one a second or more. */
	if (warnings < 2 || warnings > 3)
		fprintf(stderr, "%d warnings; stderr:\n%s\n", warnings, r.err);
	assert_true(warnings >= 2 && warnings <= 3);
	assert_non_null(strstr(r.err, "; warning 1, stall_timeout=1"));
	assert_non_null(strstr(r.err, "by 1 reader on index "));
	assert_int_equal(count(r.err, "(stall_srcu) ended after "), 1);
	if (DEBUG) {
		assert_non_null(strstr(r.err, "(stall-reader) holds srcu_read_lock() of srcu_struct"));
	}
}

static void test_stall_sync(void **state)
{
	expect_warnings(stalled_sync);
}

static void test_stall_expedited(void **state)
{
	expect_warnings(stalled_expedited);
}

static void test_stall_workerless(void **state)
{
	expect_warnings(stalled_workerless);
}

static void test_stall_callback_only(void **state)
{
	expect_warnings(stalled_callback);
}

static void test_stall_off(void **state)
{
	struct child_result r;

	run_in_child(stalled_quiet, NULL, &r);
	assert_true(child_exited_ok(&r));
	assert_null(strstr(r.err, "stall"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stall_sync),
		cmocka_unit_test(test_stall_expedited),
		cmocka_unit_test(test_stall_workerless),
		cmocka_unit_test(test_stall_callback_only),
		cmocka_unit_test(test_stall_off),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
