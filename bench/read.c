/*
 * read.c: `srcu-bench read`, the read side.
 *
 * Table "read": the cost of one lock/unlock pair for 1..2x nproc threads,
 * each flavour's inline readers called directly (no function pointer in
 * the loop): srcu normal, fast and nmisafe on Tree and Tiny, liburcu-memb's
 * read lock, a shared pthread_rwlock_t, and a reference pair of relaxed
 * atomic increments on a counter of the thread's own.  The empty loop's
 * cost is measured at each thread count and subtracted (net_ns).  Tree's
 * normal reader is also measured the other way it could count (rseq add
 * plus a full fence, "normal rseq+mb"), the alternative <srcu/tree.h>
 * did not choose.  Each row is the median of READ_ROUNDS short rounds,
 * interleaved with the other rows of its thread count, so that a noisy
 * machine shifts all rows of a comparison alike.
 *
 * Table "read-targets": the targets as ratios of that table.
 * Table "read-variants": the Tree rows again in a child process with rseq
 * off (GLIBC_TUNABLES=glibc.pthread.rseq=0) and one with membarrier off
 * (SRCU_NO_MEMBARRIER=1): both are decided once per process.
 * Table "read-gp": grace-period latency of a normal and a fast srcu_struct
 * (membarrier) with reader threads running.
 */
#define _LGPL_SOURCE		/* liburcu's inline read lock, as its users get */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

#define READ_CHUNK	1024	/* pairs between two looks at the stop flag */
#define READ_ROUNDS	5	/* interleaved rounds per row; the median is kept */
#define READ_MAX_KINDS	16
#define READ_CHILD_ENV	"SRCU_BENCH_READ_VARIANT"	/* set in the variant children */

enum read_domain { DOM_NONE, DOM_SRCU, DOM_SRCU_FAST, DOM_RWLOCK };

struct read_thread {
	void *dom;
	unsigned long ops;		/* pairs done */
	uint64_t cpu_ns;		/* CPU time this thread spent looping */
	uint64_t best_chunk_ns;		/* wall time of its fastest READ_CHUNK pairs */
	unsigned long ctr;		/* atomic-ref's own counter */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

typedef unsigned long (*read_loop_fn)(struct read_thread *rt,
				      struct bench_crew_member *m);

/*
 * One loop per reader kind, all from one template: lock, a compiler
 * barrier standing for the critical section, unlock, a compiler barrier.
 * Each chunk is timed: the fastest one is the pair's cost with nothing
 * else in the way (no preemption, no other tenant), which a loaded
 * machine rarely gives a whole round.
 */
#define READ_LOOP(fn, type, lock, unlock)					\
static unsigned long fn(struct read_thread *rt, struct bench_crew_member *m)	\
{										\
	type *dom = rt->dom;							\
	unsigned long n = 0;							\
	uint64_t best = UINT64_MAX;						\
										\
	(void)dom;								\
	while (!bench_crew_stopping(m)) {					\
		uint64_t t0 = bench_now_ns(), dt;				\
										\
		for (int i = 0; i < READ_CHUNK; i++) {				\
			lock;							\
			bench_barrier();					\
			unlock;							\
			bench_barrier();					\
		}								\
		dt = bench_now_ns() - t0;					\
		if (dt < best)							\
			best = dt;						\
		n += READ_CHUNK;						\
	}									\
	rt->best_chunk_ns = best;						\
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

#if SRCU_HAVE_RSEQ
/* Tree's normal reader counting the way it does not: rseq add + fence. */
READ_LOOP(loop_tree_normal_rseq, struct srcu_tree_struct,
	  int idx = srcu_tree_ctr_lock_mb_how(dom, SRCU_READ_FLAVOR_NORMAL, true),
	  srcu_tree_ctr_unlock_mb_how(dom, idx, "srcu-bench", true))
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
#if SRCU_HAVE_RSEQ
	{ "tree", "normal rseq+mb", loop_tree_normal_rseq, DOM_SRCU, &bench_tree },
#endif
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
#define NR_READ_KINDS	(int)(sizeof(read_kinds) / sizeof(read_kinds[0]))
_Static_assert(sizeof(read_kinds) / sizeof(read_kinds[0]) <= READ_MAX_KINDS,
	       "READ_MAX_KINDS too small");

/* The rows a variant child measures: what rseq and membarrier can change. */
static bool read_kind_in_child(const struct read_kind *k)
{
	return !strcmp(k->flavour, "reference") || !strcmp(k->flavour, "tree");
}

static int read_kind_index(const char *flavour, const char *reader)
{
	for (int i = 0; i < NR_READ_KINDS; i++)
		if (!strcmp(read_kinds[i].flavour, flavour) &&
		    !strcmp(read_kinds[i].reader, reader))
			return i;
	return -1;
}

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
	double best;			/* ns per pair of the fastest chunk of any thread */
};

static struct read_result read_measure(const struct read_kind *k, int nr_threads,
				       double seconds)
{
	struct read_thread *threads = bench_zalloc_lines(nr_threads, sizeof(*threads));
	struct read_job *jobs = bench_zalloc_lines(nr_threads, sizeof(*jobs));
	struct read_result res = { 0, 0, NAN };
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
	bench_sleep_ns((uint64_t)(seconds * 1e9));
	bench_crew_stop(crew);
	wall = bench_now_ns() - t0;
	for (int i = 0; i < nr_threads; i++) {
		double best = (double)threads[i].best_chunk_ns / READ_CHUNK;

		ops += threads[i].ops;
		cpu += threads[i].cpu_ns;
		if (threads[i].ops && !(res.best <= best))
			res.best = best;
	}
	res.mops = (double)ops / ((double)wall / 1e3);
	res.ns = ops ? (double)cpu / (double)ops : NAN;
	if (k->domain == DOM_SRCU || k->domain == DOM_SRCU_FAST)
		k->fl->destroy(dom);
	else if (k->domain == DOM_RWLOCK)
		pthread_rwlock_destroy(&rwlock);
	free(jobs);
	free(threads);
	return res;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median_of(const double *v, int n)
{
	double s[READ_ROUNDS];

	if (n <= 0)
		return NAN;
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* One kind at one thread count: its rounds and their medians. */
struct read_cell {
	double mops[READ_ROUNDS], ns[READ_ROUNDS];
	int n;
	double med_mops, med_ns, net_ns;
	double best, best_net;		/* fastest chunk over the rounds, and net of empty's */
	bool done;
};

/* Medians of every kind, every thread count of this run. */
static struct read_cell read_cells[BENCH_MAX_LIST][READ_MAX_KINDS];

static double read_net(int t, const char *flavour, const char *reader, bool best)
{
	int k = read_kind_index(flavour, reader);

	if (k < 0 || !read_cells[t][k].done)
		return NAN;
	return best ? read_cells[t][k].best_net : read_cells[t][k].net_ns;
}

static const struct bench_col read_cols[] = {
	{ "flavour", BENCH_COL_STR, 0, NULL },
	{ "reader", BENCH_COL_STR, 0, NULL },
	{ "threads", BENCH_COL_INT, 0, NULL },
	{ "mops_s", BENCH_COL_REAL, 2, "lock/unlock pairs per second, all threads (millions), median" },
	{ "ns_pair", BENCH_COL_REAL, 2, "CPU time per pair (ns), empty loop included, median" },
	{ "net_ns", BENCH_COL_REAL, 2, "ns_pair minus the empty loop's ns_pair at the same threads" },
	{ "best_net", BENCH_COL_REAL, 2, "ns per pair of the fastest 1024-pair chunk, minus the empty loop's" },
	{ "x_ref", BENCH_COL_REAL, 2, "net_ns / the 2x atomic inc reference's net_ns, same threads" },
	{ "x_1thr", BENCH_COL_REAL, 2, "mops_s / this reader's mops_s with 1 thread" },
};

/* Index of the 1-thread entry of --readers, or -1. */
static int read_one_thread(void)
{
	for (int t = 0; t < bench_opts.readers.n; t++)
		if (bench_opts.readers.v[t] == 1)
			return t;
	return -1;
}

static void read_main_table(bool child)
{
	int nr_rows = 0, done = 0, one;
	struct bench_table *tab;
	double secs = bench_opts.duration / READ_ROUNDS;

	for (int i = 0; i < NR_READ_KINDS; i++)
		nr_rows += !child || read_kind_in_child(&read_kinds[i]);
	nr_rows *= bench_opts.readers.n * READ_ROUNDS;
	tab = bench_table_begin("read", "read-side cost of one lock/unlock pair",
				read_cols, sizeof(read_cols) / sizeof(read_cols[0]));
	one = read_one_thread();
	for (int t = 0; t < bench_opts.readers.n; t++) {
		int nr_threads = bench_opts.readers.v[t];
		double ref;

		if (nr_threads < 1)
			continue;
		for (int r = 0; r < READ_ROUNDS; r++)
			for (int i = 0; i < NR_READ_KINDS; i++) {
				const struct read_kind *k = &read_kinds[i];
				struct read_cell *c = &read_cells[t][i];
				struct read_result res;

				if (child && !read_kind_in_child(k))
					continue;
				bench_progress("read: %d/%d threads=%d round %d %s %s", ++done,
					       nr_rows, nr_threads, r + 1, k->flavour, k->reader);
				res = read_measure(k, nr_threads, secs);
				c->mops[c->n] = res.mops;
				c->ns[c->n++] = res.ns;
				if (!(c->best <= res.best))
					c->best = res.best;
			}
		for (int i = 0; i < NR_READ_KINDS; i++) {
			struct read_cell *c = &read_cells[t][i];

			if (!c->n)
				continue;
			c->med_mops = median_of(c->mops, c->n);
			c->med_ns = median_of(c->ns, c->n);
			c->net_ns = i ? c->med_ns - read_cells[t][0].med_ns : NAN;
			c->best_net = i ? c->best - read_cells[t][0].best : NAN;
			c->done = true;
		}
		ref = read_net(t, "reference", "2x atomic inc", false);
		for (int i = 0; i < NR_READ_KINDS; i++) {
			const struct read_kind *k = &read_kinds[i];
			struct read_cell *c = &read_cells[t][i];

			if (!c->done)
				continue;
			bench_table_row(tab, k->flavour, k->reader, (long)nr_threads,
					c->med_mops, c->med_ns, c->net_ns, c->best_net,
					i ? bench_ratio(c->net_ns, ref) : NAN,
					one >= 0 && read_cells[one][i].done ?
					bench_ratio(c->med_mops, read_cells[one][i].med_mops) : NAN);
		}
	}
	bench_table_end(tab);
	bench_note("read: %.2f s per row in %d interleaved rounds, medians; %d pairs "
		   "between looks at the stop flag; pthread rwlock is one lock shared by "
		   "all threads, the atomic reference a counter per thread",
		   bench_opts.duration, READ_ROUNDS, READ_CHUNK);
}

static const struct bench_col target_cols[] = {
	{ "basis", BENCH_COL_STR, 0, "median: net_ns (CPU time, medians); best: best_net (fastest chunk)" },
	{ "threads", BENCH_COL_INT, 0, NULL },
	{ "normal_x_ref", BENCH_COL_REAL, 2, "Tree normal / 2x atomic inc (target <= 1.25)" },
	{ "fast_x_normal", BENCH_COL_REAL, 2, "Tree fast / Tree normal (target <= 0.50)" },
	{ "fast_x_rwlock", BENCH_COL_REAL, 2, "Tree fast / pthread rwlock (target <= 0.33)" },
	{ "fast_x_1thr", BENCH_COL_REAL, 2, "Tree fast: pairs per second / 1 thread's (target >= 1.8 at 2 "
	  "threads; wall clock, so only on an otherwise idle machine)" },
	{ "fast_cost_x_1thr", BENCH_COL_REAL, 2, "Tree fast: cost per pair / 1 thread's (1.00: threads "
	  "do not slow each other)" },
	{ "rseq_mb_x_normal", BENCH_COL_REAL, 2, "Tree normal counted by rseq + fence / as chosen (locked add)" },
};

static void read_targets_table(void)
{
	int one = read_one_thread(), kf = read_kind_index("tree", "fast");
	struct bench_table *tab;

	tab = bench_table_begin("read-targets", "the read side's targets, as ratios within this run",
				target_cols, sizeof(target_cols) / sizeof(target_cols[0]));
	for (int b = 0; b < 2; b++)
		for (int t = 0; t < bench_opts.readers.n; t++) {
			long n = bench_opts.readers.v[t];
			double normal = read_net(t, "tree", "normal", b);
			double fast = read_net(t, "tree", "fast", b);

			if (n < 1 || kf < 0 || !read_cells[t][kf].done)
				continue;
			bench_table_row(tab, b ? "best" : "median", n,
					bench_ratio(normal, read_net(t, "reference", "2x atomic inc", b)),
					bench_ratio(fast, normal),
					bench_ratio(fast, read_net(t, "pthread", "rwlock_rdlock", b)),
					one >= 0 && !b ? bench_ratio(read_cells[t][kf].med_mops,
								     read_cells[one][kf].med_mops) : NAN,
					one >= 0 ? bench_ratio(fast, read_net(one, "tree", "fast", b)) : NAN,
					bench_ratio(read_net(t, "tree", "normal rseq+mb", b), normal));
		}
	bench_table_end(tab);
}

/*
 * Variants: this program again, in a child with the environment changed,
 * measuring only the Tree and reference rows; its CSV comes back on a pipe.
 */
struct read_variant {
	const char *name;
	const char *env;		/* NAME=VALUE added to the child's environment */
};

static const struct read_variant read_variants[] = {
	{ "rseq-off", "GLIBC_TUNABLES=glibc.pthread.rseq=0" },
	{ "membarrier-off", "SRCU_NO_MEMBARRIER=1" },
};

/* The child's environment: ours, with v->env and the child marker set. */
static char **read_child_env(const struct read_variant *v, char *marker)
{
	size_t n = 0, len = strchr(v->env, '=') - v->env + 1;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 3, sizeof(*env));
	if (!env)
		bench_die("out of memory");
	n = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, v->env, len) && strncmp(*e, READ_CHILD_ENV "=",
							 strlen(READ_CHILD_ENV "=")))
			env[n++] = *e;
	env[n++] = (char *)v->env;
	snprintf(marker, 64, "%s=%s", READ_CHILD_ENV, v->name);
	env[n++] = marker;
	return env;
}

/* Run the child; its whole stdout, NUL-terminated, or NULL on failure. */
static char *read_run_child(const struct read_variant *v)
{
	char self[4096], dur[32], readers[256] = "", marker[64];
	char *argv[] = { "srcu-bench", "read", "--csv", "--quiet", "--duration", dur,
			 "--readers", readers, NULL };
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 1 << 16;
	char *out = malloc(cap), **env;
	int pipefd[2], status, err;
	ssize_t got, n;
	pid_t pid;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0 || !out || pipe(pipefd)) {
		free(out);
		return NULL;
	}
	self[n] = '\0';
	snprintf(dur, sizeof(dur), "%g", bench_opts.duration);
	for (int t = 0; t < bench_opts.readers.n; t++)
		snprintf(readers + strlen(readers), sizeof(readers) - strlen(readers),
			 "%s%ld", t ? "," : "", bench_opts.readers.v[t]);
	env = read_child_env(v, marker);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, pipefd[0]);
	err = posix_spawn(&pid, self, &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	close(pipefd[1]);
	if (err) {
		close(pipefd[0]);
		free(out);
		return NULL;
	}
	while ((got = read(pipefd[0], out + len, cap - len - 1)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += got;
		if (cap - len < 4096 && !(out = realloc(out, cap *= 2)))
			bench_die("out of memory");
	}
	out[len] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		free(out);
		return NULL;
	}
	return out;
}

/*
 * Call row() for every data row of CSV table name in out, with the cells
 * split at commas (no cell of ours contains one).
 */
#define READ_MAX_COLS	16
static void read_csv_table(char *out, const char *name,
			   void (*row)(char **cells, int n, char **hdr, void *arg), void *arg)
{
	char tag[64], *line, *save, *hdr[READ_MAX_COLS];
	int nh = 0;
	bool in = false;

	snprintf(tag, sizeof(tag), "# table %s:", name);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *cells[READ_MAX_COLS], *c, *s2;
		int n = 0;

		if (!strncmp(line, "# table ", 8)) {
			in = !strncmp(line, tag, strlen(tag));
			nh = -1;
			continue;
		}
		if (!in || line[0] == '#')
			continue;
		for (c = strtok_r(line, ",", &s2); c && n < READ_MAX_COLS; c = strtok_r(NULL, ",", &s2))
			cells[n++] = c;
		if (nh < 0) {
			for (nh = 0; nh < n; nh++)
				hdr[nh] = cells[nh];
			continue;
		}
		row(cells, n < nh ? n : nh, hdr, arg);
	}
}

static const char *read_cell_of(char **cells, int n, char **hdr, const char *col)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(hdr[i], col))
			return cells[i];
	return NULL;
}

struct read_variant_ctx {
	const struct read_variant *v;
	struct bench_table *tab;
	const char *rseq, *membarrier;	/* from the child's read-env table */
	double ref_best[BENCH_MAX_LIST];	/* the child's reference best_net, per --readers entry */
};

static int read_threads_index(long threads)
{
	for (int t = 0; t < bench_opts.readers.n; t++)
		if (bench_opts.readers.v[t] == threads)
			return t;
	return -1;
}

static double read_cell_real(char **cells, int n, char **hdr, const char *col)
{
	const char *c = read_cell_of(cells, n, hdr, col);

	return c && *c ? strtod(c, NULL) : NAN;
}

static void read_variant_env_row(char **cells, int n, char **hdr, void *arg)
{
	struct read_variant_ctx *ctx = arg;
	const char *r = read_cell_of(cells, n, hdr, "rseq");
	const char *m = read_cell_of(cells, n, hdr, "membarrier");

	ctx->rseq = r ? strdup(r) : NULL;
	ctx->membarrier = m ? strdup(m) : NULL;
}

static void read_variant_row(char **cells, int n, char **hdr, void *arg)
{
	struct read_variant_ctx *ctx = arg;
	const char *fl = read_cell_of(cells, n, hdr, "flavour");
	const char *rd = read_cell_of(cells, n, hdr, "reader");
	const char *th = read_cell_of(cells, n, hdr, "threads");
	double net = read_cell_real(cells, n, hdr, "net_ns");
	double best = read_cell_real(cells, n, hdr, "best_net");
	int t, k;

	if (!fl || !rd || !th)
		return;
	t = read_threads_index(strtol(th, NULL, 10));
	if (t < 0)
		return;
	if (!strcmp(fl, "reference") && !strcmp(rd, "2x atomic inc"))
		ctx->ref_best[t] = best;
	if (strcmp(fl, "tree"))
		return;
	k = read_kind_index(fl, rd);
	bench_table_row(ctx->tab, ctx->v->name, ctx->rseq, ctx->membarrier, fl, rd,
			bench_opts.readers.v[t], read_cell_real(cells, n, hdr, "ns_pair"), net,
			best, read_cell_real(cells, n, hdr, "x_ref"),
			bench_ratio(best, ctx->ref_best[t]),
			k >= 0 && read_cells[t][k].done ? bench_ratio(best, read_cells[t][k].best_net) : NAN);
}

static const struct bench_col variant_cols[] = {
	{ "variant", BENCH_COL_STR, 0, NULL },
	{ "rseq", BENCH_COL_STR, 0, "rseq increments in use in the child (fast readers)" },
	{ "membarrier", BENCH_COL_STR, 0, "membarrier in use in the child (else fast readers fence)" },
	{ "flavour", BENCH_COL_STR, 0, NULL },
	{ "reader", BENCH_COL_STR, 0, NULL },
	{ "threads", BENCH_COL_INT, 0, NULL },
	{ "ns_pair", BENCH_COL_REAL, 2, "CPU ns per pair in the child, median" },
	{ "net_ns", BENCH_COL_REAL, 2, "ns_pair minus the child's empty loop" },
	{ "best_net", BENCH_COL_REAL, 2, "fastest chunk's ns per pair minus the child's empty loop's" },
	{ "x_ref", BENCH_COL_REAL, 2, "net_ns / the child's 2x atomic inc reference" },
	{ "x_ref_best", BENCH_COL_REAL, 2, "best_net / the child's reference best_net" },
	{ "x_default", BENCH_COL_REAL, 2, "best_net / this process's best_net for the row" },
};

static void read_variants_table(void)
{
	const int nr = sizeof(read_variants) / sizeof(read_variants[0]);
	struct bench_table *tab;

	tab = bench_table_begin("read-variants", "Tree readers with rseq off, with membarrier off "
				"(child processes)", variant_cols,
				sizeof(variant_cols) / sizeof(variant_cols[0]));
	for (int i = 0; i < nr; i++) {
		struct read_variant_ctx ctx = { &read_variants[i], tab, NULL, NULL, { 0 } };
		char *out, *copy;

		bench_progress("read: variant %s (child process)", read_variants[i].name);
		out = read_run_child(&read_variants[i]);
		if (!out) {
			bench_note("read-variants: %s: the child process failed", read_variants[i].name);
			continue;
		}
		copy = strdup(out);
		if (!copy)
			bench_die("out of memory");
		read_csv_table(copy, "read-env", read_variant_env_row, &ctx);
		free(copy);
		read_csv_table(out, "read", read_variant_row, &ctx);
		free((void *)ctx.rseq);
		free((void *)ctx.membarrier);
		free(out);
	}
	bench_table_end(tab);
}

/* Is membarrier in use for fast readers in this process? */
static bool read_membarrier_in_use(void)
{
	void *dom = bench_tree.create_fast();
	struct srcu_stats st;

	bench_get_stats(&bench_tree, dom, &st);
	bench_tree.destroy(dom);
	return st.membarrier;
}

/* Do fast readers count by restartable sequence in this process? */
static bool read_rseq_in_use(void)
{
#if SRCU_HAVE_RSEQ
	return __rseq_size > 0 && !__atomic_load_n(&srcu_tree_cpu_slowpath, __ATOMIC_RELAXED) &&
	       read_membarrier_in_use();
#else
	return false;
#endif
}

static const struct bench_col env_cols[] = {
	{ "rseq", BENCH_COL_STR, 0, "fast readers count by restartable sequence" },
	{ "membarrier", BENCH_COL_STR, 0, "fast readers rely on membarrier (else they fence)" },
	{ "variant", BENCH_COL_STR, 0, "set in a variant child (" READ_CHILD_ENV ")" },
};

static void read_env_table(const char *variant)
{
	struct bench_table *tab;

	tab = bench_table_begin("read-env", "how this process's Tree readers count",
				env_cols, sizeof(env_cols) / sizeof(env_cols[0]));
	bench_table_row(tab, read_rseq_in_use() ? "yes" : "no",
			read_membarrier_in_use() ? "yes" : "no", variant ? variant : "-");
	bench_table_end(tab);
}

/*
 * Grace periods beside running readers: a normal srcu_struct (barrier A a
 * fence) and a fast one (barrier A a membarrier(), which interrupts every
 * CPU running a thread of ours).
 */
struct gp_reader_arg {
	struct srcu_tree_struct *ssp;
	bool fast;
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

static void read_gp_reader(struct bench_crew_member *m)
{
	struct gp_reader_arg *a = m->arg;

	bench_crew_ready(m);
	while (!bench_crew_stopping(m))
		for (int i = 0; i < READ_CHUNK; i++) {
			if (a->fast) {
				struct srcu_tree_ctr *scp = srcu_tree_read_lock_fast_inl(a->ssp);

				bench_barrier();
				srcu_tree_read_unlock_fast_inl(a->ssp, scp);
			} else {
				int idx = srcu_tree_read_lock_inl(a->ssp);

				bench_barrier();
				srcu_tree_read_unlock_inl(a->ssp, idx);
			}
		}
}

static struct bench_summary read_gp_measure(bool fast, bool expedited, int nr_readers)
{
	struct gp_reader_arg *args = bench_zalloc_lines(nr_readers ? nr_readers : 1,
							sizeof(*args));
	struct srcu_tree_struct *ssp = fast ? bench_tree.create_fast() : bench_tree.create();
	struct bench_crew *crew = NULL;
	struct bench_samples lat;
	struct bench_summary s;
	uint64_t t;

	for (int i = 0; i < nr_readers; i++)
		args[i] = (struct gp_reader_arg){ ssp, fast };
	if (nr_readers)
		crew = bench_crew_start(nr_readers, read_gp_reader, args, sizeof(*args));
	bench_crew_settle(crew);
	bench_samples_init(&lat, bench_opts.iterations);
	srcu_tree_synchronize_expedited(ssp);	/* warm-up */
	for (long i = 0; i < bench_opts.iterations; i++) {
		bench_spin_ns(bench_opts.gap_us * 1000);
		t = bench_now_ns();
		if (expedited)
			srcu_tree_synchronize_expedited(ssp);
		else
			srcu_tree_synchronize(ssp);
		bench_samples_add(&lat, (double)(bench_now_ns() - t) / 1e3);
	}
	bench_crew_stop(crew);
	bench_tree.destroy(ssp);
	free(args);
	s = bench_summarize(&lat);
	bench_samples_free(&lat);
	return s;
}

static const struct bench_col gp_cols[] = {
	{ "struct", BENCH_COL_STR, 0, "readers the srcu_struct was made for" },
	{ "op", BENCH_COL_STR, 0, NULL },
	{ "readers", BENCH_COL_INT, 0, "reader threads in lock/unlock loops" },
	{ "med_us", BENCH_COL_REAL, 2, "median grace-period wait (us)" },
	{ "p99_us", BENCH_COL_REAL, 2, "99th percentile (us)" },
	{ "x_normal", BENCH_COL_REAL, 2, "med_us / the normal struct's med_us, same op and readers" },
};

static void read_gp_table(void)
{
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	const int readers[] = { 0, (int)(nproc > 0 ? nproc : 1) };
	struct bench_table *tab;
	int done = 0;

	tab = bench_table_begin("read-gp", "grace periods of Tree with normal and with fast "
				"readers (membarrier)", gp_cols,
				sizeof(gp_cols) / sizeof(gp_cols[0]));
	for (int e = 1; e >= 0; e--)
		for (int r = 0; r < 2; r++) {
			struct bench_summary normal, fast;

			bench_progress("read: gp %d/4", ++done);
			normal = read_gp_measure(false, e, readers[r]);
			fast = read_gp_measure(true, e, readers[r]);
			bench_table_row(tab, "normal", e ? "synchronize_exp" : "synchronize",
					(long)readers[r], normal.median, normal.p99, NAN);
			bench_table_row(tab, "fast", e ? "synchronize_exp" : "synchronize",
					(long)readers[r], fast.median, fast.p99,
					bench_ratio(fast.median, normal.median));
		}
	bench_table_end(tab);
	bench_note("read-gp: %ld calls per row, %ld us busy gap before each, hz %ld; "
		   "membarrier %s", bench_opts.iterations, bench_opts.gap_us,
		   srcu_tree_param_get("hz"), read_membarrier_in_use() ? "in use" :
		   "not in use (fast readers fence; A is a fence)");
}

void bench_read(void)
{
	const char *variant = getenv(READ_CHILD_ENV);

	memset(read_cells, 0, sizeof(read_cells));
	for (int t = 0; t < BENCH_MAX_LIST; t++)
		for (int k = 0; k < READ_MAX_KINDS; k++)
			read_cells[t][k].best = NAN;
	read_env_table(variant);
	read_main_table(variant != NULL);
	if (variant)
		return;
	read_targets_table();
	read_variants_table();
	read_gp_table();
}
