/*
 * cb.c: `srcu-bench cb`, callbacks.  Latency: one callback at a time,
 * from call_srcu() / call_srcu_expedited() / liburcu's call_rcu() to the
 * moment it runs.  Throughput: 1..n threads each queue a fixed number of
 * callbacks; the clock stops when srcu_barrier() (rcu_barrier()) returns,
 * so every callback has been both queued and invoked.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

struct cb_op {
	const struct bench_flavour *fl;
	const char *name;
	void (*call)(void *dom, struct rcu_head *rhp, rcu_callback_t func);
};

/* Latency: the callback stamps the time, then wakes the waiter. */
struct cb_probe {
	struct rcu_head rh;
	uint64_t invoked_ns;
	bool done;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

static void cb_probe_fn(struct rcu_head *rhp)
{
	struct cb_probe *p = caa_container_of(rhp, struct cb_probe, rh);
	uint64_t now = bench_now_ns();

	pthread_mutex_lock(&p->lock);
	p->invoked_ns = now;
	p->done = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static struct bench_summary cb_latency(const struct cb_op *op)
{
	const struct bench_flavour *fl = op->fl;
	struct cb_probe p = { .lock = PTHREAD_MUTEX_INITIALIZER,
			      .cond = PTHREAD_COND_INITIALIZER };
	struct bench_samples lat;
	struct bench_summary s;
	void *dom = fl->create();
	uint64_t t;

	bench_thread_online(fl);
	bench_samples_init(&lat, bench_opts.iterations);
	for (long i = 0; i < bench_opts.iterations; i++) {
		bench_spin_ns(bench_opts.gap_us * 1000);
		p.done = false;
		t = bench_now_ns();
		op->call(dom, &p.rh, cb_probe_fn);
		pthread_mutex_lock(&p.lock);
		while (!p.done)
			pthread_cond_wait(&p.cond, &p.lock);
		pthread_mutex_unlock(&p.lock);
		bench_samples_add(&lat, (double)(p.invoked_ns - t) / 1e3);
	}
	fl->destroy(dom);
	bench_thread_offline(fl);
	s = bench_summarize(&lat);
	bench_samples_free(&lat);
	return s;
}

/* Throughput. */
static unsigned long cb_invoked;

static void cb_count_fn(struct rcu_head *rhp)
{
	__atomic_fetch_add(&cb_invoked, 1, __ATOMIC_RELAXED);
}

struct cb_enqueuer {
	const struct cb_op *op;
	void *dom;
	struct rcu_head *heads;		/* bench_opts.callbacks of them */
	uint64_t loop_ns;		/* this thread's queueing loop, start to end */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

static void cb_enqueue(struct bench_crew_member *m)
{
	struct cb_enqueuer *e = m->arg;
	uint64_t t0;

	bench_thread_online(e->op->fl);
	bench_crew_ready(m);
	t0 = bench_now_ns();
	for (long i = 0; i < bench_opts.callbacks; i++)
		e->op->call(e->dom, &e->heads[i], cb_count_fn);
	e->loop_ns = bench_now_ns() - t0;
	bench_thread_offline(e->op->fl);
}

/*
 * Callbacks per second through queueing and invocation; *ms is the whole
 * row, *call_ns the queueing threads' mean time per call.
 */
static double cb_throughput(const struct cb_op *op, int nr_threads, double *ms,
			    double *call_ns)
{
	const struct bench_flavour *fl = op->fl;
	struct cb_enqueuer *e = bench_zalloc_lines(nr_threads, sizeof(*e));
	unsigned long total = (unsigned long)nr_threads * bench_opts.callbacks;
	struct bench_crew *crew;
	void *dom = fl->create();
	uint64_t t0, t1;

	bench_thread_online(fl);
	for (int i = 0; i < nr_threads; i++) {
		e[i].op = op;
		e[i].dom = dom;
		e[i].heads = calloc(bench_opts.callbacks, sizeof(*e[i].heads));
		if (!e[i].heads)
			bench_die("out of memory");
		/*
		 * Fault the pages in before the clock starts: a user's
		 * rcu_heads sit in objects it has written already, and the
		 * first touch of fresh pages (about 40 ns a callback here)
		 * would be the kernel's page-fault cost, the same for every
		 * row, diluting the ratios.
		 */
		memset(e[i].heads, 0, bench_opts.callbacks * sizeof(*e[i].heads));
	}
	__atomic_store_n(&cb_invoked, 0, __ATOMIC_RELAXED);
	crew = bench_crew_start(nr_threads, cb_enqueue, e, sizeof(*e));
	t0 = bench_now_ns();
	bench_crew_stop(crew);		/* joins: every callback queued */
	fl->barrier(dom);		/* every callback invoked */
	t1 = bench_now_ns();
	if (__atomic_load_n(&cb_invoked, __ATOMIC_RELAXED) != total) {
		fprintf(stderr, "srcu-bench: cb %s %s: %lu of %lu callbacks invoked after barrier\n",
			fl->name, op->name, cb_invoked, total);
		bench_failed = BENCH_EXIT_FAILED;
	}
	fl->destroy(dom);
	bench_thread_offline(fl);
	*call_ns = 0;
	for (int i = 0; i < nr_threads; i++) {
		*call_ns += (double)e[i].loop_ns / (double)bench_opts.callbacks / nr_threads;
		free(e[i].heads);
	}
	free(e);
	*ms = (double)(t1 - t0) / 1e6;
	return (double)total / ((double)(t1 - t0) / 1e9);
}

static const struct bench_col lat_cols[] = {
	{ "flavour", BENCH_COL_STR, 0, NULL },
	{ "op", BENCH_COL_STR, 0, NULL },
	{ "hz", BENCH_COL_INT, 0, NULL },
	{ "med_us", BENCH_COL_REAL, 2, "median time from queueing to invocation (us)" },
	{ "p99_us", BENCH_COL_REAL, 2, "99th percentile (us)" },
	{ "mean_us", BENCH_COL_REAL, 2, "mean (us)" },
	{ "x_urcu", BENCH_COL_REAL, 2, "med_us / liburcu call_rcu()'s med_us, same run" },
};

static const struct bench_col tput_cols[] = {
	{ "flavour", BENCH_COL_STR, 0, NULL },
	{ "op", BENCH_COL_STR, 0, NULL },
	{ "hz", BENCH_COL_INT, 0, NULL },
	{ "threads", BENCH_COL_INT, 0, NULL },
	{ "callbacks", BENCH_COL_INT, 0, "callbacks queued and invoked in the row" },
	{ "ms", BENCH_COL_REAL, 1, "first queueing to barrier return (ms)" },
	{ "kcb_s", BENCH_COL_REAL, 1, "thousands of callbacks per second" },
	{ "call_ns", BENCH_COL_REAL, 1, "time per call in the queueing loop, mean of the threads (ns)" },
	{ "x_urcu", BENCH_COL_REAL, 2, "kcb_s / liburcu call_rcu()'s kcb_s, same threads, same run" },
};

void bench_cb(void)
{
	struct cb_op ops[1 + 2 * BENCH_MAX_LIST];
	double urcu_rate[BENCH_MAX_LIST];
	struct bench_table *t;
	int nr_ops = 0, done = 0, nr_rows;

	ops[nr_ops++] = (struct cb_op){ &bench_urcu, "call_rcu", bench_urcu.call };
	for (int f = 0; f < bench_nr_srcu_flavours; f++) {
		const struct bench_flavour *fl = bench_srcu_flavours[f];

		ops[nr_ops++] = (struct cb_op){ fl, "call", fl->call };
		ops[nr_ops++] = (struct cb_op){ fl, "call_exp", fl->call_exp };
	}
	nr_rows = bench_opts.hz.n * nr_ops * (1 + bench_opts.threads.n);

	t = bench_table_begin("cb-latency", "callback latency: call_srcu*() -> invocation",
			      lat_cols, sizeof(lat_cols) / sizeof(lat_cols[0]));
	for (int h = 0; h < bench_opts.hz.n; h++) {
		double urcu_med = NAN;

		bench_param_set("hz", bench_opts.hz.v[h]);
		for (int o = 0; o < nr_ops; o++) {
			struct bench_summary s;

			bench_progress("cb: %d/%d hz=%ld latency %s %s", ++done, nr_rows,
				       bench_opts.hz.v[h], ops[o].fl->name, ops[o].name);
			s = cb_latency(&ops[o]);
			if (ops[o].fl == &bench_urcu)
				urcu_med = s.median;
			bench_table_row(t, ops[o].fl->name, ops[o].name, bench_opts.hz.v[h],
					s.median, s.p99, s.mean,
					ops[o].fl == &bench_urcu ? NAN :
					bench_ratio(s.median, urcu_med));
		}
	}
	bench_table_end(t);

	t = bench_table_begin("cb-throughput",
			      "callback throughput: queueing threads, completion by barrier",
			      tput_cols, sizeof(tput_cols) / sizeof(tput_cols[0]));
	for (int h = 0; h < bench_opts.hz.n; h++) {
		bench_param_set("hz", bench_opts.hz.v[h]);
		for (int o = 0; o < nr_ops; o++) {
			for (int n = 0; n < bench_opts.threads.n; n++) {
				int nr_threads = bench_opts.threads.v[n];
				double rate, ms, call_ns;

				bench_progress("cb: %d/%d hz=%ld throughput %s %s threads=%d",
					       ++done, nr_rows, bench_opts.hz.v[h],
					       ops[o].fl->name, ops[o].name, nr_threads);
				rate = cb_throughput(&ops[o], nr_threads, &ms, &call_ns);
				if (ops[o].fl == &bench_urcu)
					urcu_rate[n] = rate;
				bench_table_row(t, ops[o].fl->name, ops[o].name,
						bench_opts.hz.v[h], (long)nr_threads,
						(long)nr_threads * bench_opts.callbacks, ms,
						rate / 1e3, call_ns,
						ops[o].fl == &bench_urcu ? NAN :
						bench_ratio(rate, urcu_rate[n]));
			}
		}
	}
	bench_table_end(t);
	bench_note("cb: latency over %ld callbacks per row, one at a time, %ld us busy "
		   "gap before each; throughput %ld callbacks per thread, their rcu_heads "
		   "written before the clock starts",
		   bench_opts.iterations, bench_opts.gap_us, bench_opts.callbacks);
}
