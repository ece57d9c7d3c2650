/*
 * child.h: run a piece of a reliability test in a child process and see
 * how it ended and what it said on stderr: the misuse, debug, fault and
 * fork tests (tests/reliability/).  Header-only; include after
 * <cmocka.h>.  The parent asserts (expect_abort() and expect_ok() do it
 * for the common cases); the child only reports.
 */
#ifndef SRCU_TEST_CHILD_H
#define SRCU_TEST_CHILD_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"	/* TEST_ASAN, and TSan's fork option (tests/unit/) */

/*
 * gcc 12's (and clang 14's) ASan allocator is not fork-safe: a child
 * inherits its lock held if another thread was allocating at the fork (a
 * worker thread starting, say), and deadlocks at its first allocation.
 * glibc's malloc takes its locks across fork(); these ASan versions do
 * not.  So with ASan, fork only once the parent has settled (the misuse,
 * debug and fault tests, whose parents are otherwise idle), and skip the
 * fork tests, whose parents are busy by design.
 */
#ifdef TEST_ASAN
#define CHILD_SETTLE_MS		50
#else
#define CHILD_SETTLE_MS		0
#endif

/* How long a child may take before it counts as hung (and is killed). */
#define CHILD_DEADLINE_MS	30000

struct child_result {
	int status;		/* waitpid() status; hung children were SIGKILLed */
	bool hung;		/* still running at the deadline */
	char err[8192];		/* what it wrote on stderr (truncated) */
};

static inline long long child_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * Run fn(arg) in a child whose stderr is captured; the child exits 0 when
 * fn returns, and is killed (hung) if it runs longer than deadline_ms.
 * Core dumps are off: several children abort on purpose.
 */
static inline void run_in_child_for(void (*fn)(void *), void *arg, struct child_result *r,
				    long long deadline_ms)
{
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	char scratch[512];
	bool eof = false;
	size_t len = 0;
	long long end;
	int fds[2];
	pid_t pid;
	ssize_t n;

	memset(r, 0, sizeof(*r));
	if (CHILD_SETTLE_MS) {
		struct timespec settle = { 0, CHILD_SETTLE_MS * 1000 * 1000 };

		nanosleep(&settle, NULL);
	}
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		/* CMocka catches these to report a failing test; here they end the child. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		signal(SIGFPE, SIG_DFL);
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		close(fds[1]);
		fn(arg);
		fflush(NULL);
		_exit(0);
	}
	close(fds[1]);
	/* Non-blocking reads, so that a hung child is noticed. */
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	end = child_now_ms() + deadline_ms;
	for (;;) {
		bool room = len < sizeof(r->err) - 1;

		/* Keep draining past a full buffer, so that the child never blocks. */
		n = eof ? -1 : read(fds[0], room ? r->err + len : scratch,
				    room ? sizeof(r->err) - 1 - len : sizeof(scratch));
		if (n > 0) {
			if (room)
				len += (size_t)n;
			continue;
		}
		if (n == 0)
			eof = true;
		if (waitpid(pid, &r->status, WNOHANG) == pid)
			break;
		if (child_now_ms() > end) {
			r->hung = true;
			kill(pid, SIGKILL);
			assert_int_equal(waitpid(pid, &r->status, 0), pid);
			break;
		}
		nanosleep(&tick, NULL);
	}
	/* Whatever it wrote before it ended is in the pipe. */
	while (!eof && len < sizeof(r->err) - 1 &&
	       (n = read(fds[0], r->err + len, sizeof(r->err) - 1 - len)) > 0)
		len += (size_t)n;
	r->err[len] = '\0';
	close(fds[0]);
}

static inline void run_in_child(void (*fn)(void *), void *arg, struct child_result *r)
{
	run_in_child_for(fn, arg, r, CHILD_DEADLINE_MS);
}

/* Did the child abort (the library's srcu_die()) saying msg? */
static inline bool child_aborted_saying(const struct child_result *r, const char *msg)
{
	if (r->hung || !WIFSIGNALED(r->status) || WTERMSIG(r->status) != SIGABRT) {
		fprintf(stderr, "child: hung=%d status=%#x, expected SIGABRT; stderr:\n%s\n",
			r->hung, r->status, r->err);
		return false;
	}
	if (!strstr(r->err, msg)) {
		fprintf(stderr, "child: expected \"%s\" on stderr, got:\n%s\n", msg, r->err);
		return false;
	}
	return true;
}

/* Did the child hang (and was killed at its deadline)? */
static inline bool child_hung(const struct child_result *r)
{
	if (!r->hung)
		fprintf(stderr, "child: status=%#x, expected a hang; stderr:\n%s\n",
			r->status, r->err);
	return r->hung;
}

/* Did the child exit with status 0? */
static inline bool child_exited_ok(const struct child_result *r)
{
	if (r->hung || !WIFEXITED(r->status) || WEXITSTATUS(r->status)) {
		fprintf(stderr, "child: hung=%d status=%#x, expected exit 0; stderr:\n%s\n",
			r->hung, r->status, r->err);
		return false;
	}
	return true;
}

/* Assert that fn, run in a child, aborts saying msg. */
static inline void expect_abort(void (*fn)(void *), const char *msg)
{
	struct child_result r;

	run_in_child(fn, NULL, &r);
	assert_true(child_aborted_saying(&r, msg));
}

/* Assert that fn, run in a child, returns (the child exits 0). */
static inline void expect_ok(void (*fn)(void *))
{
	struct child_result r;

	run_in_child(fn, NULL, &r);
	assert_true(child_exited_ok(&r));
}

#endif /* SRCU_TEST_CHILD_H */
