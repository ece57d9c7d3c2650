/*
 * test_params.c: unit tests of the shared machinery other than the worker
 * pool: tunables (src/params.c) and SRCU_PARAMS, allocation fault
 * injection (src/alloc.c), the broken-mode switch (src/broken.c), fatal
 * errors (src/diag.c) and the stats line (src/stats.c).  Linked against
 * the static Tree library.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <srcu/testing.h>
#include <srcu/tree.h>
#include "broken.h"
#include "params.h"
#include "stats.h"
#include "test_util.h"

#define CHILD_ENV	"SRCU_TEST_PARAMS_CHILD"

struct tunable {
	const char *name;
	enum srcu_param_id id;
	long min, max;
	long valid;		/* another in-range value */
};

static const struct tunable tunables[] = {
	{ "hz", SRCU_PARAM_HZ, 1, 100000, 250 },
	{ "exp_holdoff", SRCU_PARAM_EXP_HOLDOFF, 0, 10000000000L, 1000 },
	{ "srcu_retry_check_delay", SRCU_PARAM_RETRY_CHECK_DELAY, 0, 1000000, 7 },
	{ "srcu_max_nodelay_phase", SRCU_PARAM_MAX_NODELAY_PHASE, 0, 1000000, 9 },
	{ "srcu_max_nodelay", SRCU_PARAM_MAX_NODELAY, 0, 1000000, 11 },
	{ "convert_to_big", SRCU_PARAM_CONVERT_TO_BIG, 0, 0x13, 0x11 },
	{ "big_cpu_lim", SRCU_PARAM_BIG_CPU_LIM, 0, 1L << 20, 64 },
	{ "small_contention_lim", SRCU_PARAM_SMALL_CONTENTION_LIM, 0, 1L << 30, 5 },
	{ "counter_wrap_check", SRCU_PARAM_COUNTER_WRAP_CHECK, 0, LONG_MAX, 0xff },
	{ "promote_inflight", SRCU_PARAM_PROMOTE_INFLIGHT, 0, 1, 0 },
	{ "nr_cpus", SRCU_PARAM_NR_CPUS, 0, 1L << 16, 300 },
	{ "stall_timeout", SRCU_PARAM_STALL_TIMEOUT, 0, 1000000000L, 3 },
};
#define NR_TUNABLES (sizeof(tunables) / sizeof(tunables[0]))

static long get(const char *name)
{
	return srcu_tree_param_get(name);
}

static void set_ok(const char *name, long v)
{
	assert_int_equal(srcu_tree_param_set(name, v), 0);
	assert_int_equal(get(name), v);
}

/* The derivation of the two no-delay defaults, written out by hand. */
static void check_derived(long hz, long phase, long nodelay)
{
	set_ok("hz", hz);
	assert_int_equal(get("srcu_max_nodelay_phase"), phase);
	assert_int_equal(get("srcu_max_nodelay"), nodelay);
	assert_int_equal(srcu_param(SRCU_PARAM_MAX_NODELAY_PHASE), phase);
	assert_int_equal(srcu_param(SRCU_PARAM_MAX_NODELAY), nodelay);
}

/* Tunables. */

static void test_defaults(void **state)
{
	assert_int_equal(get("hz"), 1000);
	assert_int_equal(get("exp_holdoff"), 25000);
	assert_int_equal(get("srcu_retry_check_delay"), 5);
	assert_int_equal(get("srcu_max_nodelay_phase"), 400);	/* 2e6 / 1000 / 5 */
	assert_int_equal(get("srcu_max_nodelay"), 400);
	assert_int_equal(get("convert_to_big"), 3);
	assert_int_equal(get("big_cpu_lim"), 128);
	assert_int_equal(get("small_contention_lim"), 100);
	assert_int_equal(get("counter_wrap_check"), (long)(ULONG_MAX >> 2));
	assert_int_equal(get("promote_inflight"), 1);
	assert_int_equal(get("nr_cpus"), sysconf(_SC_NPROCESSORS_CONF));
	assert_int_equal(get("stall_timeout"), 21);
}

static void test_every_tunable(void **state)
{
	for (size_t i = 0; i < NR_TUNABLES; i++) {
		const struct tunable *t = &tunables[i];
		long old = get(t->name);

		assert_true(old >= 0);
		set_ok(t->name, t->valid);
		assert_int_equal(srcu_param(t->id), t->valid);
		set_ok(t->name, t->max);
		if (t->id != SRCU_PARAM_NR_CPUS)	/* 0 reads as the machine's */
			set_ok(t->name, t->min);
		/* Refused values leave the one in force. */
		/* (-1 on the derived ones means "follow hz": see below.) */
		assert_int_equal(srcu_tree_param_set(t->name, t->min - 1 == -1 &&
			(t->id == SRCU_PARAM_MAX_NODELAY ||
			 t->id == SRCU_PARAM_MAX_NODELAY_PHASE) ? -2 : t->min - 1), -EINVAL);
		if (t->max < LONG_MAX)
			assert_int_equal(srcu_tree_param_set(t->name, t->max + 1), -EINVAL);
		assert_int_equal(srcu_tree_param_set(t->name, LONG_MIN), -EINVAL);
		set_ok(t->name, old);
	}
	/* Setting them made the derived ones explicit: let them follow hz again. */
	assert_int_equal(srcu_tree_param_set("srcu_max_nodelay", -1), 0);
	assert_int_equal(srcu_tree_param_set("srcu_max_nodelay_phase", -1), 0);
	/* convert_to_big: 0..3, each optionally with 0x10. */
	assert_int_equal(srcu_tree_param_set("convert_to_big", 4), -EINVAL);
	assert_int_equal(srcu_tree_param_set("convert_to_big", 0xf), -EINVAL);
	assert_int_equal(srcu_tree_param_set("convert_to_big", 0x12), 0);
	assert_int_equal(srcu_tree_param_set("convert_to_big", 0x10), 0);
	assert_int_equal(srcu_tree_param_set("convert_to_big", 3), 0);
}

static void test_bad_names(void **state)
{
	assert_int_equal(srcu_tree_param_set("no_such_tunable", 1), -ENOENT);
	assert_int_equal(srcu_tree_param_get("no_such_tunable"), -ENOENT);
	assert_int_equal(srcu_tree_param_set("", 1), -ENOENT);
	assert_int_equal(srcu_tree_param_set(NULL, 1), -ENOENT);
	assert_int_equal(srcu_tree_param_get(NULL), -ENOENT);
	assert_int_equal(srcu_tree_param_get("HZ"), -ENOENT);	/* exact names */
	assert_int_equal(srcu_tree_param_get("hz "), -ENOENT);
	assert_int_equal(srcu_tree_param_get("h"), -ENOENT);
	/* Unknown name wins over a bad value. */
	assert_int_equal(srcu_tree_param_set("nope", -5), -ENOENT);
}

static void test_derived_follow_hz(void **state)
{
	check_derived(1000, 400, 400);
	check_derived(100, 1000, 1000);		/* 4000 clamped to 1000 */
	check_derived(250, 1000, 1000);		/* 1600 clamped */
	check_derived(10000, 40, 100);		/* nodelay at least 100 */
	check_derived(100000, 4, 100);
	check_derived(1, 1000, 1000);

	/* Set explicitly: no longer follows hz; the other one still does. */
	set_ok("srcu_max_nodelay", 7);
	set_ok("hz", 10000);
	assert_int_equal(get("srcu_max_nodelay"), 7);
	assert_int_equal(get("srcu_max_nodelay_phase"), 40);
	set_ok("srcu_max_nodelay_phase", 9);
	set_ok("hz", 1000);
	assert_int_equal(get("srcu_max_nodelay_phase"), 9);

	/* -1 makes them follow hz again. */
	assert_int_equal(srcu_tree_param_set("srcu_max_nodelay", -1), 0);
	assert_int_equal(srcu_tree_param_set("srcu_max_nodelay_phase", -1), 0);
	assert_int_equal(get("srcu_max_nodelay"), 400);
	assert_int_equal(get("srcu_max_nodelay_phase"), 400);
	check_derived(100, 1000, 1000);
	check_derived(1000, 400, 400);
	/* Only the derived ones take -1. */
	assert_int_equal(srcu_tree_param_set("big_cpu_lim", -1), -EINVAL);
}

static void test_nr_cpus(void **state)
{
	long machine = sysconf(_SC_NPROCESSORS_CONF);

	assert_int_equal(srcu_tree_param_set("nr_cpus", 0), 0);
	assert_int_equal(get("nr_cpus"), machine);
	assert_int_equal(srcu_param(SRCU_PARAM_NR_CPUS), machine);
	set_ok("nr_cpus", 1024);
	assert_int_equal(srcu_param(SRCU_PARAM_NR_CPUS), 1024);
	assert_int_equal(srcu_tree_param_set("nr_cpus", 0), 0);
	assert_int_equal(get("nr_cpus"), machine);
}

/* SRCU_PARAMS. */

/* Run srcu_params_parse(spec) with stderr captured into buf. */
static int parse_capture(const char *spec, char *buf, size_t size)
{
	FILE *tmp = tmpfile();
	int saved, bad;
	size_t n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) >= 0);
	bad = srcu_params_parse(spec);
	fflush(stderr);
	assert_true(dup2(saved, 2) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, size - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	return bad;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_parse(void **state)
{
	char err[4096];
	int bad;

	bad = parse_capture("hz=250, promote_inflight = 0x0 ,big_cpu_lim=0x20,stall_timeout=0,,",
			    err, sizeof(err));
	assert_int_equal(bad, 0);
	assert_string_equal(err, "");
	assert_int_equal(get("hz"), 250);
	assert_int_equal(get("promote_inflight"), 0);
	assert_int_equal(get("big_cpu_lim"), 32);
	assert_int_equal(get("stall_timeout"), 0);
	assert_int_equal(parse_capture("stall_timeout=-1", err, sizeof(err)), 1);
	assert_non_null(strstr(err, "-1 out of range for 'stall_timeout'"));
	assert_int_equal(get("stall_timeout"), 0);

	bad = parse_capture("foo=1,bar,hz=abc,hz=0,exp_holdoff=-3,convert_to_big=5,"
			    "hz=0x,hz=12x,small_contention_lim=99999999999999999999,"
			    "=4,nr_cpus=8", err, sizeof(err));
	assert_int_equal(bad, 10);
	assert_int_equal(count_lines(err), 10);
	assert_non_null(strstr(err, "libsrcu-tree: SRCU_PARAMS: unknown tunable 'foo'"));
	assert_non_null(strstr(err, "missing '=' in 'bar'"));
	assert_non_null(strstr(err, "bad number 'abc' for 'hz'"));
	assert_non_null(strstr(err, "0 out of range for 'hz'"));
	assert_non_null(strstr(err, "-3 out of range for 'exp_holdoff'"));
	assert_non_null(strstr(err, "5 is not a valid value for 'convert_to_big'"));
	assert_non_null(strstr(err, "bad number '0x' for 'hz'"));
	assert_non_null(strstr(err, "bad number '12x' for 'hz'"));
	assert_non_null(strstr(err, "bad number '99999999999999999999'"));
	assert_non_null(strstr(err, "unknown tunable ''"));
	/* Bad entries changed nothing; the good one after them applied. */
	assert_int_equal(get("hz"), 250);
	assert_int_equal(get("nr_cpus"), 8);

	assert_int_equal(parse_capture("", err, sizeof(err)), 0);
	assert_int_equal(parse_capture(NULL, err, sizeof(err)), 0);
	assert_string_equal(err, "");

	/* Back to the defaults for the other tests. */
	assert_int_equal(parse_capture("hz=1000,promote_inflight=1,big_cpu_lim=128,nr_cpus=0",
				       err, sizeof(err)), 0);
}

/* What the re-executed test prints, then exits: the values it loaded with. */
static int child_report(void)
{
	printf("hz=%ld promote_inflight=%ld srcu_max_nodelay=%ld\n", get("hz"),
	       get("promote_inflight"), get("srcu_max_nodelay"));
	return 0;
}

/* SRCU_PARAMS is read when the library loads: re-execute this test with it. */
static void test_env_at_load(void **state)
{
	int out[2], err[2], status;
	char obuf[512] = "", ebuf[2048] = "";
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		setenv(CHILD_ENV, "1", 1);
		setenv("SRCU_PARAMS", "hz=100,promote_inflight=0,nosuch=1", 1);
		/* The resolved path: valgrind's /proc/self/exe is valgrind itself. */
		n = readlink("/proc/self/exe", ebuf, sizeof(ebuf) - 1);
		ebuf[n > 0 ? n : 0] = '\0';
		/* Cross-built: the kernel cannot run us, the emulator can. */
		if (test_emulator())
			execl(test_emulator(), test_emulator(), ebuf, (char *)NULL);
		else
			execl(ebuf, "test_params", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	n = read(out[0], obuf, sizeof(obuf) - 1);
	obuf[n > 0 ? n : 0] = '\0';
	n = read(err[0], ebuf, sizeof(ebuf) - 1);
	ebuf[n > 0 ? n : 0] = '\0';
	close(out[0]);
	close(err[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* Derived from hz=100 at load. */
	assert_string_equal(obuf, "hz=100 promote_inflight=0 srcu_max_nodelay=1000\n");
	assert_string_equal(ebuf, "libsrcu-tree: SRCU_PARAMS: unknown tunable 'nosuch', skipped\n");
}

/* Allocation fault injection. */

static void test_fail_alloc(void **state)
{
	void *p[6];
	int i;

	srcu_tree_test_fail_alloc(2);
	for (i = 0; i < 6; i++)
		p[i] = i % 2 ? srcu_zalloc(16) : srcu_zalloc_aligned(64, 100);
	for (i = 0; i < 6; i++) {
		if (i == 2)
			assert_null(p[i]);
		else
			assert_non_null(p[i]);
		srcu_free(p[i]);
	}
	/* Memory comes back zeroed and aligned. */
	p[0] = srcu_zalloc_aligned(128, 256);
	assert_non_null(p[0]);
	assert_int_equal((uintptr_t)p[0] % 128, 0);
	for (i = 0; i < 256; i++)
		assert_int_equal(((unsigned char *)p[0])[i], 0);
	srcu_free(p[0]);

	/* 0 is the next one; a negative n cancels. */
	srcu_tree_test_fail_alloc(0);
	assert_null(srcu_zalloc(8));
	assert_non_null(p[0] = srcu_zalloc(8));
	srcu_free(p[0]);
	srcu_tree_test_fail_alloc(1);
	srcu_tree_test_fail_alloc(-1);
	for (i = 0; i < 3; i++) {
		assert_non_null(p[i] = srcu_zalloc(8));
		srcu_free(p[i]);
	}
}

/* Through the API: init_srcu_struct() reports the failure. */
static void test_fail_alloc_init(void **state)
{
	struct srcu_tree_struct ss;

	srcu_tree_test_fail_alloc(0);
	assert_int_equal(srcu_tree_init(&ss), -ENOMEM);
	srcu_tree_test_fail_alloc(-1);
	assert_int_equal(srcu_tree_init(&ss), 0);
	srcu_tree_synchronize(&ss);
	assert_int_equal(srcu_tree_cleanup(&ss), 0);
}

enum { ALLOC_THREADS = 4, ALLOC_EACH = 1000 };

static void *alloc_thread(void *arg)
{
	long nulls = 0;

	for (int i = 0; i < ALLOC_EACH; i++) {
		void *p = srcu_zalloc(32);

		if (!p)
			nulls++;
		srcu_free(p);
	}
	return (void *)nulls;
}

static void test_fail_alloc_threads(void **state)
{
	pthread_t th[ALLOC_THREADS];
	long nulls = 0;
	void *r;

	/* Exactly one of all the threads' allocations fails. */
	srcu_tree_test_fail_alloc(ALLOC_THREADS * ALLOC_EACH / 2);
	for (int i = 0; i < ALLOC_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, alloc_thread, NULL), 0);
	for (int i = 0; i < ALLOC_THREADS; i++) {
		pthread_join(th[i], &r);
		nulls += (long)r;
	}
	assert_int_equal(nulls, 1);
}

/* Broken modes. */

/*
 * Broken modes: the flavour's names switch one on, NULL and "" repair, and
 * a name the flavour lacks (Tiny's) changes nothing.  What each mode does
 * to grace periods is the torture test's business (torture-*-broken-*).
 */
static void test_break_modes(void **state)
{
	static const char *const names[] = { "skip-scan2", "no-flip", "skip-scan1" };
	static const int modes[] = {
		SRCU_BREAK_SKIP_SCAN2, SRCU_BREAK_NO_FLIP, SRCU_BREAK_SKIP_SCAN1,
	};

	assert_int_equal(srcu_break_mode, SRCU_BREAK_NONE);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(srcu_tree_test_break(names[i]), 0);
		assert_int_equal(srcu_break_mode, modes[i]);
		assert_int_equal(srcu_tree_test_break("skip-phase2"), -ENOENT);
		assert_int_equal(srcu_tree_test_break("no-flip "), -ENOENT);
		assert_int_equal(srcu_break_mode, modes[i]);
		assert_int_equal(srcu_tree_test_break(i % 2 ? NULL : ""), 0);
		assert_int_equal(srcu_break_mode, SRCU_BREAK_NONE);
	}
}

/* Diagnostics. */

static void test_die_message(void **state)
{
	char buf[1024] = "";
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		dup2(fds[1], 2);
		srcu_die("bad thing %d", 42);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(buf, "libsrcu-tree: "));
	assert_non_null(strstr(buf, "test_params.c:"));
	assert_non_null(strstr(buf, ": test_die_message: bad thing 42\n"));
}

/* Statistics line. */

static void test_stats_line(void **state)
{
	struct srcu_stats st = {
		.flavour = "tree", .gp_seq = 12, .gp_seq_needed = 16,
		.gp_seq_needed_exp = 8, .size_state = 2, .size_state_name = "WAIT_BARRIER",
		.nr_cpus = 4, .nr_nodes = 3, .gp_normal = 5, .gp_expedited = 6,
		.promotions = 1, .transfers = 2, .cbs_queued = 10, .cbs_invoked = 9,
		.readers = { 1, -1 }, .reader_flavours = 0x9, .membarrier = true,
	};
	char buf[512];
	FILE *f = tmpfile();
	size_t n;

	assert_non_null(f);
	srcu_stats_write(&st, f, "T1");
	st.membarrier = false;
	st.flavour = NULL;
	st.size_state_name = NULL;
	srcu_stats_write(&st, f, "T2");
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf,
		"T1 flavour=tree gp_seq=12 needed=16 needed_exp=8 size=WAIT_BARRIER(2) "
		"cpus=4 nodes=3 gps=5/6 promotions=1 transfers=2 cbs=10/9 readers=(1,-1) "
		"flavours=0x9 membarrier=yes\n"
		"T2 flavour=tree gp_seq=12 needed=16 needed_exp=8 size=?(2) "
		"cpus=4 nodes=3 gps=5/6 promotions=1 transfers=2 cbs=10/9 readers=(1,-1) "
		"flavours=0x9 membarrier=no\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_tunable),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_derived_follow_hz),
		cmocka_unit_test(test_nr_cpus),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_env_at_load),
		cmocka_unit_test(test_fail_alloc),
		cmocka_unit_test(test_fail_alloc_init),
		cmocka_unit_test(test_fail_alloc_threads),
		cmocka_unit_test(test_break_modes),
		cmocka_unit_test(test_die_message),
		cmocka_unit_test(test_stats_line),
	};

	if (getenv(CHILD_ENV))
		return child_report();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
