/*
 * gp.c: `srcu-bench gp`, grace-period latency: synchronize_srcu() and
 * synchronize_srcu_expedited() on Tree and Tiny, beside liburcu-memb's
 * synchronize_rcu(), idle and with reader threads spinning in
 * lock/unlock loops (registered reader threads for liburcu).  Each row is
 * a fresh domain; the liburcu row of a group runs first so every srcu row
 * carries its ratio to liburcu measured in the same run.
 */
#include <math.h>
#include <stdlib.h>

#include "bench.h"

struct gp_reader {
	const struct bench_flavour *fl;
	void *dom;
	unsigned long reads;
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

struct gp_op {
	const struct bench_flavour *fl;
	const char *name;
	void (*op)(void *dom);
};

struct gp_result {
	struct bench_summary lat;
	struct srcu_stats delta;
	unsigned long reads;
};

static void gp_reader(struct bench_crew_member *m)
{
	struct gp_reader *r = m->arg;
	unsigned long n = 0;

	bench_thread_online(r->fl);
	bench_crew_ready(m);
	while (!bench_crew_stopping(m)) {
		int idx = r->fl->read_lock(r->dom);

		bench_barrier();
		r->fl->read_unlock(r->dom, idx);
		n++;
	}
	r->reads = n;
	bench_thread_offline(r->fl);
}

static void gp_measure(const struct gp_op *op, int nr_readers, struct gp_result *res)
{
	const struct bench_flavour *fl = op->fl;
	struct gp_reader *readers = bench_zalloc_lines(nr_readers, sizeof(*readers));
	struct srcu_stats before, after;
	struct bench_samples lat;
	struct bench_crew *crew = NULL;
	void *dom = fl->create();
	uint64_t t;

	bench_thread_online(fl);
	for (int i = 0; i < nr_readers; i++) {
		readers[i].fl = fl;
		readers[i].dom = dom;
	}
	if (nr_readers)
		crew = bench_crew_start(nr_readers, gp_reader, readers, sizeof(*readers));
	bench_crew_settle(crew);
	bench_samples_init(&lat, bench_opts.iterations);
	op->op(dom);		/* warm-up: first-use allocations, worker start */
	bench_get_stats(fl, dom, &before);
	for (long i = 0; i < bench_opts.iterations; i++) {
		bench_spin_ns(bench_opts.gap_us * 1000);
		t = bench_now_ns();
		op->op(dom);
		bench_samples_add(&lat, (double)(bench_now_ns() - t) / 1e3);
	}
	bench_get_stats(fl, dom, &after);
	bench_crew_stop(crew);
	res->reads = 0;
	for (int i = 0; i < nr_readers; i++)
		res->reads += readers[i].reads;
	free(readers);
	fl->destroy(dom);
	bench_thread_offline(fl);
	res->lat = bench_summarize(&lat);
	res->delta.gp_normal = after.gp_normal - before.gp_normal;
	res->delta.gp_expedited = after.gp_expedited - before.gp_expedited;
	bench_samples_free(&lat);
}

static const struct bench_col gp_cols[] = {
	{ "flavour", BENCH_COL_STR, 0, NULL },
	{ "op", BENCH_COL_STR, 0, NULL },
	{ "hz", BENCH_COL_INT, 0, NULL },
	{ "readers", BENCH_COL_INT, 0, NULL },
	{ "med_us", BENCH_COL_REAL, 2, "median grace-period wait (us)" },
	{ "p99_us", BENCH_COL_REAL, 2, "99th percentile (us)" },
	{ "mean_us", BENCH_COL_REAL, 2, "mean (us)" },
	{ "x_urcu", BENCH_COL_REAL, 2, "med_us / liburcu-memb's med_us, same readers, same run" },
	{ "gp_norm", BENCH_COL_INT, 0, "grace periods that ended with no expedited request pending" },
	{ "gp_exp", BENCH_COL_INT, 0, "grace periods that ended with one pending" },
	{ "reads", BENCH_COL_INT, 0, "reader critical sections completed in the row" },
};

void bench_gp(void)
{
	struct gp_op ops[2 + 2 * BENCH_MAX_LIST];
	int nr_ops = 0, done = 0, nr_rows;
	struct bench_table *t;

	/* liburcu first: the srcu rows of a group divide by its median. */
	ops[nr_ops++] = (struct gp_op){ &bench_urcu, "synchronize_rcu", bench_urcu.sync };
	for (int f = 0; f < bench_nr_srcu_flavours; f++) {
		const struct bench_flavour *fl = bench_srcu_flavours[f];

		ops[nr_ops++] = (struct gp_op){ fl, "synchronize", fl->sync };
		ops[nr_ops++] = (struct gp_op){ fl, "synchronize_exp", fl->sync_exp };
	}
	nr_rows = bench_opts.hz.n * bench_opts.readers.n * nr_ops;
	t = bench_table_begin("gp", "grace-period latency: synchronize_srcu*() vs liburcu-memb",
			      gp_cols, sizeof(gp_cols) / sizeof(gp_cols[0]));
	for (int h = 0; h < bench_opts.hz.n; h++) {
		long hz = bench_opts.hz.v[h];

		bench_param_set("hz", hz);
		for (int r = 0; r < bench_opts.readers.n; r++) {
			int nr_readers = bench_opts.readers.v[r];
			double urcu_med = NAN;

			for (int o = 0; o < nr_ops; o++) {
				const struct gp_op *op = &ops[o];
				struct gp_result res;

				bench_progress("gp: %d/%d hz=%ld readers=%d %s %s", ++done,
					       nr_rows, hz, nr_readers, op->fl->name, op->name);
				gp_measure(op, nr_readers, &res);
				if (op->fl == &bench_urcu)
					urcu_med = res.lat.median;
				bench_table_row(t, op->fl->name, op->name, hz, (long)nr_readers,
						res.lat.median, res.lat.p99, res.lat.mean,
						op->fl == &bench_urcu ? NAN :
						bench_ratio(res.lat.median, urcu_med),
						op->fl->srcu ? (long)res.delta.gp_normal : BENCH_NONE,
						op->fl->srcu ? (long)res.delta.gp_expedited : BENCH_NONE,
						(long)res.reads);
			}
		}
	}
	bench_table_end(t);
	bench_note("gp: %ld calls per row, %ld us busy gap before each; hz does not "
		   "apply to liburcu (its row repeats per hz as that group's reference)",
		   bench_opts.iterations, bench_opts.gap_us);
	bench_note("gp: Tiny maps synchronize_srcu_expedited() to synchronize_srcu(), "
		   "as the kernel's Tiny SRCU does");
}
