/*
 * test_read.c: the read side under the conditions that can break a
 * lock-free per-CPU counter: a signal handler that takes a read lock on
 * the same srcu_struct in the middle of a reader, threads that migrate
 * between CPUs, CPUs beyond the struct's CPU count, a virtual CPU switched
 * on while readers run; which counting path is in use (restartable
 * sequence or atomic, membarrier or fences), said in the output; and the
 * restartable sequence itself, even where no kernel runs it (qemu-user).
 * One source for both
 * flavours through <srcu.h>; the checks of Tree's counter layout are
 * Tree-only.  tests/CMakeLists.txt builds it inline and with
 * SRCU_NO_INLINE (the exported twins), and runs the Tree build again with
 * GLIBC_TUNABLES=glibc.pthread.rseq=0 and with SRCU_NO_MEMBARRIER=1.
 *
 * Checks are about behaviour: no reader sees an object freed under it,
 * every entry and exit is counted exactly once, grace periods end.  Helper
 * threads and signal handlers record; the main thread asserts.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* pthread_setaffinity_np(), CPU_SET() */
#endif
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include <srcu.h>
#include "test_util.h"

enum reader_kind { RK_NMISAFE, RK_FAST, RK_NORMAL };

struct reader_token {
	int idx;
	struct srcu_ctr *scp;
};

static struct reader_token reader_enter(struct srcu_struct *ssp, enum reader_kind k)
{
	struct reader_token t = { -1, NULL };

	if (k == RK_NMISAFE)
		t.idx = srcu_read_lock_nmisafe(ssp);
	else if (k == RK_FAST)
		t.scp = srcu_read_lock_fast(ssp);
	else
		t.idx = srcu_read_lock(ssp);
	return t;
}

static void reader_exit(struct srcu_struct *ssp, enum reader_kind k,
			struct reader_token t)
{
	if (k == RK_NMISAFE)
		srcu_read_unlock_nmisafe(ssp, t.idx);
	else if (k == RK_FAST)
		srcu_read_unlock_fast(ssp, t.scp);
	else
		srcu_read_unlock(ssp, t.idx);
}

static int init_for(struct srcu_struct *ssp, enum reader_kind k)
{
	return k == RK_FAST ? init_srcu_struct_fast(ssp) : init_srcu_struct(ssp);
}

static long readers_inside(struct srcu_struct *ssp)
{
	struct srcu_stats st;

	assert_int_equal(srcu_get_stats(ssp, &st), 0);
	return st.readers[0] + st.readers[1];
}

/*
 * A reader interrupted by a signal handler that reads too.
 *
 * The reader thread loops over read-side critical sections that load the
 * current object and check it is alive; the main thread signals it as
 * fast as it can, and the handler runs one more such critical section on
 * the same srcu_struct.  An updater replaces the object and, after
 * synchronize_srcu(), marks the old one dead.  A reader that sees a dead
 * object means a grace period ended under it: a lost or misplaced count.
 * Objects come from a pool and are reused, never freed while in use.
 */
#define SIG_POOL	1024

struct sig_obj {
	int alive;
};

struct sig_case {
	struct srcu_struct ss;
	enum reader_kind kind;
	struct sig_obj pool[SIG_POOL];
	struct sig_obj *cur;		/* what readers load */
	int stop;
	long thread_reads;		/* written by the reader thread only */
	long handler_reads;		/* written by the handler (on that thread) only */
	long dead_seen;			/* both, same thread */
	long gps;			/* written by the updater only */
};

static struct sig_case *sig_case;	/* the handler's view */

static void sig_read_once(struct sig_case *c, long *count)
{
	struct reader_token t = reader_enter(&c->ss, c->kind);
	struct sig_obj *p = __atomic_load_n(&c->cur, __ATOMIC_ACQUIRE);

	for (int i = 0; i < 8; i++)
		if (!__atomic_load_n(&p->alive, __ATOMIC_RELAXED)) {
			__atomic_store_n(&c->dead_seen, c->dead_seen + 1, __ATOMIC_RELAXED);
			break;
		}
	reader_exit(&c->ss, c->kind, t);
	__atomic_store_n(count, *count + 1, __ATOMIC_RELAXED);
}

static void sig_handler(int sig)
{
	int saved = errno;
	struct sig_case *c = __atomic_load_n(&sig_case, __ATOMIC_ACQUIRE);

	(void)sig;
	if (c)
		sig_read_once(c, &c->handler_reads);
	errno = saved;
}

static void *sig_reader(void *arg)
{
	struct sig_case *c = arg;

	while (!test_get(&c->stop))
		sig_read_once(c, &c->thread_reads);
	return NULL;
}

static void *sig_updater(void *arg)
{
	struct sig_case *c = arg;
	unsigned int next = 1;

	while (!test_get(&c->stop)) {
		struct sig_obj *n = &c->pool[next++ % SIG_POOL], *old;

		__atomic_store_n(&n->alive, 1, __ATOMIC_RELAXED);
		old = __atomic_exchange_n(&c->cur, n, __ATOMIC_ACQ_REL);
		synchronize_srcu(&c->ss);
		__atomic_store_n(&old->alive, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&c->gps, c->gps + 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static void run_signal_case(enum reader_kind kind)
{
	struct sig_case *c = calloc(1, sizeof(*c));
	struct sigaction sa = { .sa_handler = sig_handler }, old_sa;
	pthread_t reader, updater;
	uint64_t end, hard_end;
	long signals = 0;

	assert_non_null(c);
	c->kind = kind;
	assert_int_equal(init_for(&c->ss, kind), 0);
	c->pool[0].alive = 1;
	c->cur = &c->pool[0];
	/* Record the reader flavour before any handler can be first to use it. */
	reader_exit(&c->ss, kind, reader_enter(&c->ss, kind));

	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	assert_int_equal(sigaction(SIGUSR1, &sa, &old_sa), 0);
	__atomic_store_n(&sig_case, c, __ATOMIC_RELEASE);
	reader = test_thread_start(sig_reader, c);
	updater = test_thread_start(sig_updater, c);
	/*
	 * 400 ms of signals, longer (10 s at most) until the reader, a
	 * handler and the updater have each got somewhere: under a sanitizer
	 * on a loaded machine a pure flood can keep the reader in handlers.
	 * A short pause every 1024 signals lets it out.
	 */
	end = test_now_ns() + 400 * 1000 * 1000ULL;
	hard_end = test_now_ns() + 10 * 1000 * 1000 * 1000ULL;
	while (test_now_ns() < hard_end &&
	       (test_now_ns() < end ||
		!__atomic_load_n(&c->thread_reads, __ATOMIC_RELAXED) ||
		!__atomic_load_n(&c->handler_reads, __ATOMIC_RELAXED) ||
		!__atomic_load_n(&c->gps, __ATOMIC_RELAXED))) {
		if (pthread_kill(reader, SIGUSR1) == 0)
			signals++;
		if (signals % 64 == 0)
			sched_yield();
		if (signals % 1024 == 0)
			usleep(100);
	}
	test_set(&c->stop, 1);
	test_thread_join(reader);
	test_thread_join(updater);
	__atomic_store_n(&sig_case, NULL, __ATOMIC_RELEASE);
	assert_int_equal(sigaction(SIGUSR1, &old_sa, NULL), 0);

	print_message("%s readers: %ld in the thread, %ld in handlers, %ld signals, %ld GPs\n",
		      kind == RK_FAST ? "fast" : "nmisafe", c->thread_reads,
		      c->handler_reads, signals, c->gps);
	assert_int_equal(c->dead_seen, 0);
	assert_true(c->thread_reads > 0);
	assert_true(c->handler_reads > 0);
	assert_true(c->gps > 0);
	/* Every entry was matched by its exit: nothing lost, nothing doubled. */
	assert_int_equal(readers_inside(&c->ss), 0);
	synchronize_srcu(&c->ss);
	assert_int_equal(cleanup_srcu_struct(&c->ss), 0);
	free(c);
}

static void test_signal_nested_nmisafe(void **state)
{
	(void)state;
	run_signal_case(RK_NMISAFE);
}

static void test_signal_nested_fast(void **state)
{
	(void)state;
	run_signal_case(RK_FAST);
}

#ifndef SRCU_TINY
/* Tree: the counting paths and their counters. */

/* Is the rseq increment expected to be in use in this process? */
static bool rseq_expected(void)
{
#if SRCU_HAVE_RSEQ
	return __rseq_size > 0;
#else
	return false;
#endif
}

/*
 * Do fast readers count by rseq?  Not without membarrier: then they fence,
 * and count as normal readers do.  Call after a fast struct's init, which
 * decides.
 */
static bool fast_rseq_expected(void)
{
	return rseq_expected() &&
	       (SRCU_TREE_RSEQ_FENCED || !__atomic_load_n(&srcu_tree_fast_fence, __ATOMIC_RELAXED));
}

#if SRCU_HAVE_RSEQ_CPU
/* Does the environment say rseq was turned off (and did glibc obey)? */
static bool rseq_turned_off(void)
{
	const char *t = getenv("GLIBC_TUNABLES");

	return t && strstr(t, "glibc.pthread.rseq=0");
}
#endif

/* Entries (exits) on both indexes, in the rseq (cpu_set) or atomic counters. */
static unsigned long count_of(struct srcu_struct *ssp, bool cpu_set, bool exits)
{
	unsigned long sum = 0;

	for (unsigned int cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++)
		for (int idx = 0; idx < 2; idx++) {
			struct srcu_tree_ctr *c = cpu_set ?
				&ssp->srcu_readers[cpu].srcu_ctrs_cpu[idx] :
				&ssp->srcu_readers[cpu].srcu_ctrs[idx];

			sum += __atomic_load_n(exits ? &c->srcu_unlocks : &c->srcu_locks,
					       __ATOMIC_ACQUIRE);
		}
	return sum;
}

static unsigned long total_of(struct srcu_struct *ssp, bool exits)
{
	return count_of(ssp, false, exits) + count_of(ssp, true, exits);
}

/*
 * The first fast reader of the process, on a DEFINE_SRCU_FAST struct: its
 * first use decides membarrier, and that very reader must already count
 * the way the decision says (fenced and atomic when membarrier is refused
 * or turned off).  Runs first: the decision is once per process.
 */
DEFINE_STATIC_SRCU_FAST(first_fast);

static void test_first_fast_reader(void **state)
{
	struct srcu_ctr *scp;

	(void)state;
	scp = srcu_read_lock_fast(&first_fast);
	assert_int_equal(total_of(&first_fast, false), 1);
	if (fast_rseq_expected())
		assert_int_equal(count_of(&first_fast, true, false), 1);
	else
		assert_int_equal(count_of(&first_fast, true, false), 0);
	srcu_read_unlock_fast(&first_fast, scp);
	assert_int_equal(total_of(&first_fast, true), 1);
	synchronize_srcu(&first_fast);
}

/* Which path each reader flavour counts on here. */
static void test_counting_paths(void **state)
{
	struct srcu_struct fast, normal, nmisafe;
	const int n = 1000;

	(void)state;
#if SRCU_HAVE_RSEQ_CPU
	if (rseq_turned_off())
		assert_int_equal(__rseq_size, 0);	/* The tunable took effect. */
#endif
	assert_int_equal(init_srcu_struct_fast(&fast), 0);
	assert_int_equal(init_srcu_struct(&normal), 0);
	assert_int_equal(init_srcu_struct(&nmisafe), 0);
	/* Which paths ran: emulators and old kernels have no rseq. */
	print_message("CPU ids from %s; fast readers count by %s\n",
		      __atomic_load_n(&srcu_tree_cpu_slowpath, __ATOMIC_RELAXED) ?
		      "sched_getcpu() (no rseq)" : "the rseq area",
		      fast_rseq_expected() ? "restartable sequence" : "atomic add");

	for (int i = 0; i < n; i++)
		srcu_read_unlock_fast(&fast, srcu_read_lock_fast(&fast));
	assert_int_equal(total_of(&fast, false), n);
	assert_int_equal(total_of(&fast, true), n);
	if (fast_rseq_expected())
		assert_true(count_of(&fast, true, false) > 0);	/* Aborts go atomic. */
	else
		assert_int_equal(count_of(&fast, true, false), 0);

	/* Normal and nmisafe readers: rseq only if it beat the locked add. */
	for (int i = 0; i < n; i++) {
		srcu_read_unlock(&normal, srcu_read_lock(&normal));
		srcu_read_unlock_nmisafe(&nmisafe, srcu_read_lock_nmisafe(&nmisafe));
	}
	assert_int_equal(total_of(&normal, false), n);
	assert_int_equal(total_of(&nmisafe, true), n);
	if (!(SRCU_TREE_RSEQ_FENCED && rseq_expected())) {
		assert_int_equal(count_of(&normal, true, false), 0);
		assert_int_equal(count_of(&nmisafe, true, true), 0);
	}

	assert_int_equal(cleanup_srcu_struct(&fast), 0);
	assert_int_equal(cleanup_srcu_struct(&normal), 0);
	assert_int_equal(cleanup_srcu_struct(&nmisafe), 0);
}

#if SRCU_HAVE_RSEQ
/* The descriptors of the sequences inlined into this program (GNU ld's bounds). */
extern const struct rseq_cs __start___rseq_cs[] __attribute__((weak));
extern const struct rseq_cs __stop___rseq_cs[] __attribute__((weak));

/*
 * The increment's restartable sequence itself (<srcu/rseq.h>), apart from
 * the readers: it adds one and returns true on its CPU, adds nothing and
 * returns false elsewhere, and clears rseq_cs both ways; and every
 * descriptor is one the kernel would act on (version 0, an abort handler
 * outside the sequence, after the registered signature).  Where rseq is
 * not registered (qemu-user has none, nor glibc.pthread.rseq=0) no kernel
 * reads the area, so the test plays the kernel's part and writes cpu_id
 * itself, then puts back glibc's value (sched_getcpu() reads it).  What
 * no test here can show is the kernel aborting the sequence: that needs a
 * kernel that runs it (x86-64 hardware does, in the readers' tests).
 */
static void test_rseq_sequence(void **state)
{
	char *area = (char *)__builtin_thread_pointer() + __rseq_offset;
	uint32_t *cpu_id = (uint32_t *)(area + SRCU_RSEQ_CPU_ID);
	const uint64_t *cs = (const uint64_t *)(area + SRCU_RSEQ_CS);
	unsigned int nowhere = (unsigned int)sysconf(_SC_NPROCESSORS_CONF);
	const struct rseq_cs *d, *end = __stop___rseq_cs;
	unsigned long ctr = 0, added = 0;
	uint32_t saved, sig;

	(void)state;
	d = __start___rseq_cs;
	assert_true(d != NULL && d < end);
	for (; d < end; d++) {
		assert_int_equal(d->version, 0);
		assert_int_equal(d->flags, 0);
		assert_true(d->post_commit_offset > 0);
		assert_true(d->abort_ip < d->start_ip ||
			    d->abort_ip >= d->start_ip + d->post_commit_offset);
		memcpy(&sig, (const void *)(uintptr_t)(d->abort_ip - sizeof(sig)), sizeof(sig));
		assert_int_equal(sig, RSEQ_SIG);
	}

	if (__rseq_size > 0) {
		/* Registered: the kernel keeps cpu_id; aborts send some to false. */
		for (int i = 0; i < 1000; i++) {
			if (srcu_rseq_inc(&ctr, srcu_rseq_cpu()))
				added++;
			assert_int_equal(__atomic_load_n(cs, __ATOMIC_RELAXED), 0);
		}
		assert_true(added > 0);
		assert_int_equal(ctr, added);
		/* A CPU this thread can never be on. */
		assert_false(srcu_rseq_inc(&ctr, nowhere));
		assert_int_equal(ctr, added);
		assert_int_equal(__atomic_load_n(cs, __ATOMIC_RELAXED), 0);
		print_message("rseq sequence: registered, %lu of 1000 committed\n", added);
		return;
	}
	saved = *cpu_id;
	*cpu_id = 3;
	assert_true(srcu_rseq_inc(&ctr, 3));
	assert_int_equal(ctr, 1);
	assert_int_equal(*cs, 0);
	assert_false(srcu_rseq_inc(&ctr, 4));
	assert_int_equal(ctr, 1);
	assert_int_equal(*cs, 0);
	*cpu_id = saved;
	print_message("rseq sequence: not registered here; run on a cpu_id the test "
		      "set (commit and mismatch only, no kernel aborts)\n");
}
#endif /* SRCU_HAVE_RSEQ */

/* Fast readers use membarrier unless it is refused or turned off. */
static void test_membarrier_mode(void **state)
{
	const char *off = getenv("SRCU_NO_MEMBARRIER");
	struct srcu_struct ss;
	struct srcu_stats st;
	long cmds;

	(void)state;
	assert_int_equal(init_srcu_struct_fast(&ss), 0);
	srcu_read_unlock_fast(&ss, srcu_read_lock_fast(&ss));
	synchronize_srcu_expedited(&ss);
	assert_int_equal(srcu_get_stats(&ss, &st), 0);
	cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (off && *off && strcmp(off, "0"))
		assert_false(st.membarrier);
	else if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED))
		assert_true(st.membarrier);
	print_message("membarrier %s\n", st.membarrier ? "in use" : "not in use: fences");
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

/*
 * Exact counts under migration.  One thread pinned to each of two CPUs,
 * and one that the main thread moves between them every millisecond, all
 * running fast readers flat out on one srcu_struct with no updater: the
 * sums must equal the critical sections run, to the unit.  With nr_cpus
 * 1, the second CPU is beyond the struct's counters and must count
 * atomically beside the first CPU's plain adds.
 */
struct pin_reader {
	struct srcu_struct *ssp;
	int cpu;			/* pinned to, or -1 */
	int *stop;
	long reads;
	int started;			/* set after the first chunk of readers */
	pthread_t tid;
};

static void *pin_reader_fn(void *arg)
{
	struct pin_reader *p = arg;
	long n = 0;

	if (p->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(p->cpu, &set);
		(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	while (!test_get(p->stop)) {
		for (int i = 0; i < 256; i++) {
			struct srcu_ctr *scp = srcu_read_lock_fast(p->ssp);

			srcu_read_unlock_fast(p->ssp, scp);
		}
		n += 256;
		if (n == 256)
			test_set(&p->started, 1);
	}
	__atomic_store_n(&p->reads, n, __ATOMIC_RELAXED);
	return NULL;
}

/* The first two CPUs this process may run on; false if it has only one. */
static bool two_cpus(int cpus[2])
{
	cpu_set_t set;
	int n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return false;
	for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	return n == 2;
}

static void run_migration_case(long nr_cpus)
{
	struct pin_reader r[3];
	struct srcu_struct ss;
	int cpus[2], stop = 0;
	long total = 0;
	uint64_t end;

	if (!two_cpus(cpus)) {
		print_message("one CPU only: skipped\n");
		return;
	}
	assert_int_equal(srcu_param_set("nr_cpus", nr_cpus), 0);
	assert_int_equal(init_srcu_struct_fast(&ss), 0);
	assert_int_equal(srcu_param_set("nr_cpus", 0), 0);
	for (int i = 0; i < 3; i++) {
		r[i] = (struct pin_reader){ &ss, i < 2 ? cpus[i] : -1, &stop, 0, 0, 0 };
		r[i].tid = test_thread_start(pin_reader_fn, &r[i]);
	}
	end = test_now_ns() + 300 * 1000 * 1000ULL;
	for (int flip = 0; test_now_ns() < end; flip ^= 1) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpus[flip], &set);
		(void)pthread_setaffinity_np(r[2].tid, sizeof(set), &set);
		test_sleep_ms(1);
	}
	test_set(&stop, 1);
	for (int i = 0; i < 3; i++) {
		test_thread_join(r[i].tid);
		total += r[i].reads;
	}
	print_message("nr_cpus %u: %ld fast readers, %lu counted by rseq\n",
		      ss.srcu_nr_cpus, total, count_of(&ss, true, false));
	assert_int_equal(total_of(&ss, false), total);
	assert_int_equal(total_of(&ss, true), total);
	/*
	 * Which path counted depends on where the scheduler ran the threads;
	 * with nr_cpus=1 only a thread on CPU 0 may use rseq, and under a
	 * sanitizer on a loaded machine none may have.  The counts above are
	 * what must hold; the path is checked where every CPU has a slot.
	 */
	if (fast_rseq_expected() && nr_cpus == 0)
		assert_true(count_of(&ss, true, false) > 0);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

static void test_migration_exact_counts(void **state)
{
	(void)state;
	run_migration_case(0);		/* the machine's CPU count */
}

static void test_cpus_beyond_struct(void **state)
{
	(void)state;
	run_migration_case(1);
}

/*
 * A virtual CPU switched on while fast readers run: every thread moves to
 * the atomic counters (the switch is process-wide and stays), some in the
 * middle of their run.  Counts stay exact.  Runs last: the slow path it
 * turns on cannot be turned off.
 */
struct vcpu_case {
	struct pin_reader r;
	int switched;
};

static void *vcpu_switcher(void *arg)
{
	struct vcpu_case *v = arg;

	test_sleep_ms(50);
	srcu_tree_set_virtual_cpu(0);
	test_set(&v->switched, 1);
	return pin_reader_fn(&v->r);
}

static void test_virtual_cpu_switch(void **state)
{
	struct srcu_struct ss;
	struct pin_reader plain;
	struct vcpu_case v;
	int cpus[2] = { -1, -1 }, stop = 0;
	long total;

	(void)state;
	(void)two_cpus(cpus);
	assert_int_equal(init_srcu_struct_fast(&ss), 0);
	plain = (struct pin_reader){ &ss, cpus[0], &stop, 0, 0, 0 };
	v = (struct vcpu_case){ { &ss, cpus[1], &stop, 0, 0, 0 }, 0 };
	plain.tid = test_thread_start(pin_reader_fn, &plain);
	v.r.tid = test_thread_start(vcpu_switcher, &v);
	/* Both running, one of them switched (a loaded machine may be slow to start them). */
	assert_true(test_wait_for(&v.switched, 1));
	assert_true(test_wait_for(&v.r.started, 1));
	assert_true(test_wait_for(&plain.started, 1));
	test_sleep_ms(50);
	test_set(&stop, 1);
	test_thread_join(plain.tid);
	test_thread_join(v.r.tid);
	total = plain.reads + v.r.reads;
	assert_true(v.r.reads > 0);
	assert_int_equal(total_of(&ss, false), total);
	assert_int_equal(total_of(&ss, true), total);
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}
#endif /* !SRCU_TINY */

int main(void)
{
	const struct CMUnitTest tests[] = {
#ifndef SRCU_TINY
		cmocka_unit_test(test_first_fast_reader),	/* must stay first */
#endif
		cmocka_unit_test(test_signal_nested_nmisafe),
		cmocka_unit_test(test_signal_nested_fast),
#ifndef SRCU_TINY
		cmocka_unit_test(test_counting_paths),
#if SRCU_HAVE_RSEQ
		cmocka_unit_test(test_rseq_sequence),
#endif
		cmocka_unit_test(test_membarrier_mode),
		cmocka_unit_test(test_migration_exact_counts),
		cmocka_unit_test(test_cpus_beyond_struct),
		cmocka_unit_test(test_virtual_cpu_switch),	/* must stay last */
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
