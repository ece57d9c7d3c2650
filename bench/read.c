/*
 * read.c: `srcu-bench read`, the read side: the cost of one lock/unlock
 * pair for 1..2x nproc threads, each flavour's inline readers called
 * directly (no function pointer in the loop): srcu normal, fast and
 * nmisafe on Tree and Tiny, liburcu-memb's read lock, a shared
 * pthread_rwlock_t, and a reference pair of relaxed atomic increments on
 * a counter of the thread's own.  The empty loop's cost is measured at
 * each thread count and subtracted (net_ns).
 */
#define _LGPL_SOURCE		/* liburcu's inline read lock, as its users get */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>

#include "bench.h"

#define READ_CHUNK	1024	/* pairs between two looks at the stop flag */

enum read_domain { DOM_NONE, DOM_SRCU, DOM_SRCU_FAST, DOM_RWLOCK };

struct read_thread {
	void *dom;
	unsigned long ops;		/* pairs done */
	uint64_t cpu_ns;		/* CPU time this thread spent looping */
	unsigned long ctr;		/* atomic-ref's own counter */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

typedef unsigned long (*read_loop_fn)(struct read_thread *rt,
				      struct bench_crew_member *m);

/*
 * One loop per reader kind, all from one template: lock, a compiler
 * barrier standing for the critical section, unlock, a compiler barrier.
 */
#define READ_LOOP(fn, type, lock, unlock)					\
static unsigned long fn(struct read_thread *rt, struct bench_crew_member *m)	\
{										\
	type *dom = rt->dom;							\
	unsigned long n = 0;							\
										\
	(void)dom;								\
	while (!bench_crew_stopping(m)) {					\
		for (int i = 0; i < READ_CHUNK; i++) {				\
			lock;							\
			bench_barrier();					\
			unlock;							\
			bench_barrier();					\
		}								\
		n += READ_CHUNK;						\
	}									\
	return n;								\
}

READ_LOOP(loop_empty, void, (void)0, (void)0)
READ_LOOP(loop_atomic, void, __atomic_fetch_add(&rt->ctr, 1, __ATOMIC_RELAXED),
	  __atomic_fetch_add(&rt->ctr, 1, __ATOMIC_RELAXED))
READ_LOOP(loop_rwlock, pthread_rwlock_t, pthread_rwlock_rdlock(dom),
	  pthread_rwlock_unlock(dom))
READ_LOOP(loop_urcu, void, urcu_memb_read_lock(), urcu_memb_read_unlock())

#define READ_SRCU_LOOPS(fl)							\
READ_LOOP(loop_##fl##_normal, struct srcu_##fl##_struct,			\
	  int idx = srcu_##fl##_read_lock_inl(dom),				\
	  srcu_##fl##_read_unlock_inl(dom, idx))				\
READ_LOOP(loop_##fl##_nmisafe, struct srcu_##fl##_struct,			\
	  int idx = srcu_##fl##_read_lock_nmisafe_inl(dom),			\
	  srcu_##fl##_read_unlock_nmisafe_inl(dom, idx))			\
READ_LOOP(loop_##fl##_fast, struct srcu_##fl##_struct,				\
	  struct srcu_##fl##_ctr *scp = srcu_##fl##_read_lock_fast_inl(dom),	\
	  srcu_##fl##_read_unlock_fast_inl(dom, scp))

READ_SRCU_LOOPS(tree)
#if BENCH_HAVE_TINY
READ_SRCU_LOOPS(tiny)
#endif

struct read_kind {
	const char *flavour;
	const char *reader;
	read_loop_fn loop;
	enum read_domain domain;
	const struct bench_flavour *fl;	/* creates the domain, registers threads */
};

static const struct read_kind read_kinds[] = {
	{ "reference", "empty", loop_empty, DOM_NONE, NULL },	/* must stay first */
	{ "reference", "2x atomic inc", loop_atomic, DOM_NONE, NULL },
	{ "tree", "normal", loop_tree_normal, DOM_SRCU, &bench_tree },
	{ "tree", "fast", loop_tree_fast, DOM_SRCU_FAST, &bench_tree },
	{ "tree", "nmisafe", loop_tree_nmisafe, DOM_SRCU, &bench_tree },
#if BENCH_HAVE_TINY
	{ "tiny", "normal", loop_tiny_normal, DOM_SRCU, &bench_tiny },
	{ "tiny", "fast", loop_tiny_fast, DOM_SRCU_FAST, &bench_tiny },
	{ "tiny", "nmisafe", loop_tiny_nmisafe, DOM_SRCU, &bench_tiny },
#endif
	{ "urcu-memb", "read_lock", loop_urcu, DOM_NONE, &bench_urcu },
	{ "pthread", "rwlock_rdlock", loop_rwlock, DOM_RWLOCK, NULL },
};

struct read_job {
	const struct read_kind *kind;
	struct read_thread *threads;
};

/* The crew's arg is the job; each member picks its own read_thread. */
static void read_member(struct bench_crew_member *m)
{
	struct read_job *job = m->arg;
	struct read_thread *rt = &job->threads[m->id];
	const struct read_kind *k = job->kind;
	uint64_t t0;

	if (k->fl)
		bench_thread_online(k->fl);
	bench_crew_ready(m);
	t0 = bench_thread_cpu_ns();
	rt->ops = k->loop(rt, m);
	rt->cpu_ns = bench_thread_cpu_ns() - t0;
	if (k->fl)
		bench_thread_offline(k->fl);
}

/*
 * Cost is CPU time per pair, so that more threads than CPUs measure
 * contention, not time spent waiting for a CPU; throughput is pairs per
 * second of wall time, all threads together.
 */
struct read_result {
	double mops;			/* pairs per microsecond, all threads */
	double ns;			/* CPU ns per pair */
};

static struct read_result read_measure(const struct read_kind *k, int nr_threads)
{
	struct read_thread *threads = bench_zalloc_lines(nr_threads, sizeof(*threads));
	struct read_job *jobs = bench_zalloc_lines(nr_threads, sizeof(*jobs));
	struct read_result res = { 0, 0 };
	pthread_rwlock_t rwlock;
	struct bench_crew *crew;
	uint64_t t0, wall, cpu = 0;
	unsigned long ops = 0;
	void *dom = NULL;

	if (k->domain == DOM_SRCU)
		dom = k->fl->create();
	else if (k->domain == DOM_SRCU_FAST)
		dom = k->fl->create_fast();
	else if (k->domain == DOM_RWLOCK) {
		pthread_rwlock_init(&rwlock, NULL);
		dom = &rwlock;
	}
	for (int i = 0; i < nr_threads; i++) {
		threads[i].dom = dom;
		jobs[i] = (struct read_job){ k, threads };
	}
	crew = bench_crew_start(nr_threads, read_member, jobs, sizeof(*jobs));
	t0 = bench_now_ns();
	bench_sleep_ns((uint64_t)(bench_opts.duration * 1e9));
	bench_crew_stop(crew);
	wall = bench_now_ns() - t0;
	for (int i = 0; i < nr_threads; i++) {
		ops += threads[i].ops;
		cpu += threads[i].cpu_ns;
	}
	res.mops = (double)ops / ((double)wall / 1e3);
	res.ns = (double)cpu / (double)ops;
	if (k->domain == DOM_SRCU || k->domain == DOM_SRCU_FAST)
		k->fl->destroy(dom);
	else if (k->domain == DOM_RWLOCK)
		pthread_rwlock_destroy(&rwlock);
	free(jobs);
	free(threads);
	return res;
}

static const struct bench_col read_cols[] = {
	{ "flavour", BENCH_COL_STR, 0, NULL },
	{ "reader", BENCH_COL_STR, 0, NULL },
	{ "threads", BENCH_COL_INT, 0, NULL },
	{ "mops_s", BENCH_COL_REAL, 2, "lock/unlock pairs per second, all threads (millions)" },
	{ "ns_pair", BENCH_COL_REAL, 2, "CPU time per pair (ns), empty loop included" },
	{ "net_ns", BENCH_COL_REAL, 2, "ns_pair minus the empty loop's ns_pair at the same threads" },
};

void bench_read(void)
{
	const int nr_kinds = sizeof(read_kinds) / sizeof(read_kinds[0]);
	int nr_rows = bench_opts.readers.n * nr_kinds, done = 0;
	struct bench_table *t;

	t = bench_table_begin("read", "read-side cost of one lock/unlock pair",
			      read_cols, sizeof(read_cols) / sizeof(read_cols[0]));
	for (int n = 0; n < bench_opts.readers.n; n++) {
		int nr_threads = bench_opts.readers.v[n];
		double empty_ns = NAN;

		if (nr_threads < 1)
			continue;
		for (int i = 0; i < nr_kinds; i++) {
			const struct read_kind *k = &read_kinds[i];
			struct read_result r;

			bench_progress("read: %d/%d threads=%d %s %s", ++done, nr_rows,
				       nr_threads, k->flavour, k->reader);
			r = read_measure(k, nr_threads);
			if (k->loop == loop_empty)
				empty_ns = r.ns;
			bench_table_row(t, k->flavour, k->reader, (long)nr_threads, r.mops,
					r.ns, k->loop == loop_empty ? NAN : r.ns - empty_ns);
		}
	}
	bench_table_end(t);
	bench_note("read: %.2f s per row; %d pairs between looks at the stop flag; "
		   "pthread rwlock is one lock shared by all threads, the atomic "
		   "reference a counter per thread", bench_opts.duration, READ_CHUNK);
}
