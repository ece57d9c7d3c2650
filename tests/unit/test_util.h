/*
 * test_util.h: small helpers shared by the unit tests: clocks, sleeps,
 * flags handed between threads, bounded waits, threads that must start,
 * which sanitizer the test is built with, and what an emulator (qemu-user,
 * for the cross-built passes) cannot do.  Header-only; include after
 * <cmocka.h>.  The reliability tests (tests/reliability/) include it too.
 *
 * Assertions stay on the test's main thread: helper threads record what
 * they saw in plain structs (through the flag helpers here) and the main
 * thread checks after joining them.
 */
#ifndef SRCU_TEST_UTIL_H
#define SRCU_TEST_UTIL_H

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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

/*
 * Emulated runs.  A cross-built test runs under qemu-user, and ctest tells
 * it so: cmake/toolchain-debian-cross.cmake sets SRCU_TEST_EMULATOR to the
 * emulator's path in every test's environment.  NULL when run natively.
 */
static inline const char *test_emulator(void)
{
	const char *e = getenv("SRCU_TEST_EMULATOR");

	return e && *e ? e : NULL;
}

static inline void *test_probe_thread(void *arg)
{
	return arg;
}

static inline void *test_probe_parked(void *arg)
{
	const int *release = arg;

	while (!test_get(release))
		test_sleep_ms(1);
	return NULL;
}

/*
 * Can the child of a multi-threaded process start a thread?  Asked only
 * under an emulator, once: a child forked while a second thread runs
 * starts and joins a thread, and exits 0 if that worked.  qemu-user 7.2
 * (Debian bookworm's) cannot: the child dies inside qemu at its first
 * pthread_create() ("qemu_plugin_vcpu_init_hook: assertion failed"), the
 * same with a plain C program and no libsrcu, so the tests whose children
 * start threads (fork(), worker faults, misuse that blocks a worker) are
 * skipped there, saying why.  Natively the answer is yes without asking:
 * native runs skip nothing.
 */
static inline bool test_fork_child_can_thread(void)
{
	static int answer;	/* 0 not asked yet, 1 yes, 2 no */
	int release = 0, status = 0;
	pthread_t parked, t;
	uint64_t end;
	pid_t pid;

	if (!test_emulator())
		return true;
	if (answer)
		return answer == 1;
	if (pthread_create(&parked, NULL, test_probe_parked, &release))
		return false;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* qemu's own report of its failure is not the test's output. */
		int null = open("/dev/null", O_WRONLY);

		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		_exit(pthread_create(&t, NULL, test_probe_thread, NULL) == 0 &&
		      pthread_join(t, NULL) == 0 ? 0 : 1);
	}
	test_set(&release, 1);
	pthread_join(parked, NULL);
	if (pid < 0)
		return false;
	/* Bounded: a child that hangs instead of dying is killed, a no. */
	end = test_now_ns() + TEST_DEADLINE_NS;
	while (waitpid(pid, &status, WNOHANG) != pid) {
		if (test_now_ns() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			break;
		}
		test_sleep_ms(1);
	}
	answer = WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 1 : 2;
	return answer == 1;
}

/* Skip the calling test (saying why) if its forked children cannot start threads. */
#define TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD()				\
	do {								\
		if (!test_fork_child_can_thread()) {			\
			print_message("skipped under %s: a forked child of a "	\
				      "multi-threaded process cannot start threads there\n", \
				      test_emulator());			\
			skip();						\
		}							\
	} while (0)

#endif /* SRCU_TEST_UTIL_H */
