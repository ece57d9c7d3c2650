/*
 * test_util.h: small helpers shared by the unit tests: clocks, sleeps,
 * flags handed between threads, bounded waits, threads that must start,
 * and which sanitizer the test is built with.  Header-only; include after
 * <cmocka.h>.  The reliability tests (tests/reliability/) include it too.
 *
 * Assertions stay on the test's main thread: helper threads record what
 * they saw in plain structs (through the flag helpers here) and the main
 * thread checks after joining them.
 */
#ifndef SRCU_TEST_UTIL_H
#define SRCU_TEST_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define TEST_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define TEST_TSAN 1
#endif

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#endif

#ifdef TEST_TSAN
/*
 * TSan refuses to start threads in the child of a multi-threaded fork
 * unless told otherwise; the fork tests (test_workqueue's, and the
 * children of tests/reliability/child.h) check that the library does.
 * Tests whose children start no threads are unaffected.
 */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "die_after_fork=0";
}
#endif

/* Generous bound on any wait that should end quickly: a hang is a failure. */
#define TEST_DEADLINE_NS	(5ULL * 1000 * 1000 * 1000)

static inline uint64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline void test_sleep_ms(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* Flags and counters handed between threads. */
static inline void test_set(int *flag, int v)
{
	__atomic_store_n(flag, v, __ATOMIC_SEQ_CST);
}

static inline int test_get(const int *flag)
{
	return __atomic_load_n(flag, __ATOMIC_SEQ_CST);
}

static inline int test_inc(int *ctr)
{
	return __atomic_add_fetch(ctr, 1, __ATOMIC_SEQ_CST);
}

static inline void test_set_u64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static inline uint64_t test_get_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

/* Wait until *flag >= v, for at most TEST_DEADLINE_NS; false on timeout. */
static inline bool test_wait_for(const int *flag, int v)
{
	uint64_t end = test_now_ns() + TEST_DEADLINE_NS;

	while (test_get(flag) < v) {
		if (test_now_ns() > end)
			return false;
		test_sleep_ms(1);
	}
	return true;
}

static inline pthread_t test_thread_start(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	assert_int_equal(pthread_create(&t, NULL, fn, arg), 0);
	return t;
}

static inline void test_thread_join(pthread_t t)
{
	assert_int_equal(pthread_join(t, NULL), 0);
}

#ifdef SRCU_H
/*
 * For the tests through <srcu.h> (included first): wait until cookie's
 * grace period is done, for at most TEST_DEADLINE_NS; false on timeout.
 */
static inline bool test_poll_until_done(struct srcu_struct *ssp, unsigned long cookie)
{
	uint64_t end = test_now_ns() + TEST_DEADLINE_NS;

	while (!poll_state_synchronize_srcu(ssp, cookie)) {
		if (test_now_ns() > end)
			return false;
		test_sleep_ms(1);
	}
	return true;
}
#endif

#endif /* SRCU_TEST_UTIL_H */
