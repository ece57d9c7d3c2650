/*
 * cpu.c: CPU ids, virtual CPUs for tests, and membarrier, for Tree SRCU.
 *
 * The inline readers read the CPU id from glibc's rseq area.  They take the
 * slow path here when rseq is not registered (GLIBC_TUNABLES=
 * glibc.pthread.rseq=0, old glibc) or once a test has given some thread a
 * virtual CPU; then they also count atomically rather than by restartable
 * sequence (<srcu/rseq.h>), on counters kept apart for that.
 *
 * Tests and benchmarks turn membarrier off with SRCU_NO_MEMBARRIER=1 in the
 * environment, read once, when the first fast-reader struct needs to know.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <srcu/tree.h>
#include "cpu.h"

SRCU_EXPORT int srcu_tree_cpu_slowpath;
SRCU_EXPORT int srcu_tree_fast_fence;

static __thread int virtual_cpu __attribute__((tls_model("initial-exec"))) = -1;

/*
 * Without rseq, sched_getcpu() is a vDSO call that costs more than the
 * rest of a reader (18 ns a call on the VM of doc/design.md's figures, two
 * calls a pair).  The CPU only places an atomic increment, so a thread
 * reuses the answer for CPU_ID_REUSE calls: after a migration it may share
 * the old CPU's cache line for that long, never a count.
 */
#define CPU_ID_REUSE	64

static __thread struct {
	unsigned int cpu;		/* sched_getcpu()'s last answer */
	unsigned int left;		/* calls left before asking again */
} cpu_hint __attribute__((tls_model("initial-exec")));

SRCU_EXPORT unsigned int srcu_tree_cpu_id_slow(void)
{
	int cpu = virtual_cpu;

	if (cpu >= 0)
		return cpu;
	if (cpu_hint.left) {
		cpu_hint.left--;
		return cpu_hint.cpu;
	}
	cpu = sched_getcpu();
	cpu_hint.cpu = cpu < 0 ? 0 : cpu;
	cpu_hint.left = CPU_ID_REUSE - 1;
	return cpu_hint.cpu;
}

SRCU_EXPORT void srcu_tree_set_virtual_cpu(int cpu)
{
	virtual_cpu = cpu < 0 ? -1 : cpu;
	if (cpu >= 0)
		__atomic_store_n(&srcu_tree_cpu_slowpath, 1, __ATOMIC_RELAXED);
}

unsigned int srcu_nr_cpus_default(void)
{
	long n = sysconf(_SC_NPROCESSORS_CONF);

	return n > 0 ? (unsigned int)n : 1;
}

static pthread_once_t membarrier_once = PTHREAD_ONCE_INIT;
static bool membarrier_registered;

static long membarrier_call(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

/* SRCU_NO_MEMBARRIER=1 in the environment: act as if membarrier were refused. */
static bool membarrier_disabled(void)
{
	const char *v = getenv("SRCU_NO_MEMBARRIER");

	return v && *v && strcmp(v, "0") != 0;
}

static void membarrier_register(void)
{
	long cmds = membarrier_disabled() ? -1 : membarrier_call(MEMBARRIER_CMD_QUERY);

	if (cmds >= 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
		membarrier_registered = true;
		return;
	}
	/*
	 * Refused (old kernel, seccomp): fast readers fence for themselves
	 * from now on.  Set before any fast reader can depend on it: the
	 * first grace period that needs membarrier comes through here.
	 */
	__atomic_store_n(&srcu_tree_fast_fence, 1, __ATOMIC_SEQ_CST);
}

#if !SRCU_HAVE_RSEQ_CPU
__attribute__((constructor)) static void cpu_slowpath_init(void)
{
	srcu_tree_cpu_slowpath = 1;
}
#else
__attribute__((constructor)) static void cpu_slowpath_init(void)
{
	/* glibc registers rseq before constructors run; 0 means it did not. */
	if (__rseq_size == 0)
		srcu_tree_cpu_slowpath = 1;
}
#endif

void srcu_membarrier(void)
{
	pthread_once(&membarrier_once, membarrier_register);
	if (membarrier_registered) {
		if (membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0)
			return;
		srcu_die("membarrier: %s", strerror(errno));
	}
	smp_mb();
}

bool srcu_membarrier_ok(void)
{
	pthread_once(&membarrier_once, membarrier_register);
	return membarrier_registered;
}
