/*
 * seed.c: `srcu-bench seed`, the micro-VM boot of the LKML thread this
 * project exists for (doc/seed.md, doc/design.md).  Each of N device
 * registrations publishes a new "bus", frees the old one with call_srcu()
 * and, a short gap later, a memslot update calls
 * synchronize_srcu_expedited() on the same srcu_struct; that call is
 * timed.  With the kernel's behaviour, the call_srcu() starts a
 * normal grace period that sleeps a jiffy and the expedited waiter
 * inherits the sleep ("grace-period transfer").
 *
 * Rows (each on a fresh srcu_struct):
 *   baseline  no callback; the old bus is freed after the synchronize
 *   kernel    call_srcu(), promote_inflight=0 (the kernel's behaviour)
 *   rfc       call_srcu_expedited(), promote_inflight=0 (the RFC)
 *   promote   call_srcu(), promote_inflight=1 (in-flight promotion)
 * Tiny runs all but promote (it has no sleeping grace period to promote,
 * and maps expedited to normal as the RFC does).
 *
 * Reader threads check every bus they read: a freed bus is poisoned and
 * kept (not returned to malloc) until the row ends, so a grace period that
 * ended too early shows up as a poisoned magic, never as reused memory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define BUS_LIVE	0x6c6976652d627573ull	/* "live-bus" */
#define BUS_POISON	0x6b6b6b6b6b6b6b6bull	/* slab's POISON_FREE, eight times */
#define BUS_RANGES	8

struct seed_run;

/* The kvm_io_bus stand-in: what readers dereference. */
struct seed_bus {
	uint64_t magic;			/* BUS_LIVE until freed, then BUS_POISON */
	unsigned long dev_count;
	unsigned long range[BUS_RANGES];
	struct rcu_head rh;
	struct seed_run *run;		/* whose quarantine it goes to */
	struct seed_bus *next_freed;	/* quarantine link */
};

enum seed_row { SEED_BASELINE, SEED_KERNEL, SEED_RFC, SEED_PROMOTE, SEED_NR_ROWS };

static const char *const seed_row_names[SEED_NR_ROWS] = {
	"baseline", "kernel", "rfc", "promote",
};

/* One row: one srcu_struct, one boot. */
struct seed_run {
	const struct bench_flavour *fl;
	void *dom;
	struct seed_bus *bus;		/* published: store-release, load-acquire */
	struct seed_bus *quarantine;	/* freed buses, pushed by callbacks */
	unsigned long freed;		/* buses freed so far */
};

struct seed_reader {
	struct seed_run *run;
	unsigned long reads;		/* critical sections completed */
	unsigned long violations;	/* freed buses seen inside one */
	unsigned long sink;		/* what "touching" the bus computed */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

/* One boot: one row, one repeat. */
struct seed_result {
	struct bench_samples lat;	/* per-update latency, us, in order */
	double boot_ms;			/* registrations' time, idle excluded */
	struct srcu_stats delta;	/* gp_normal, gp_expedited, promotions, transfers, gp_by_waiter,
					 * waiter_polls */
	unsigned long reads, violations;
};

static struct seed_bus *bus_alloc(struct seed_run *run, const struct seed_bus *old)
{
	struct seed_bus *b = malloc(sizeof(*b));

	if (!b)
		bench_die("out of memory");
	if (old)
		memcpy(b->range, old->range, sizeof(b->range));
	else
		memset(b->range, 0, sizeof(b->range));
	b->dev_count = old ? old->dev_count + 1 : 0;
	b->range[b->dev_count % BUS_RANGES] = b->dev_count;
	b->run = run;
	b->next_freed = NULL;
	__atomic_store_n(&b->magic, BUS_LIVE, __ATOMIC_RELAXED);
	return b;
}

/* "Free": poison, and keep until the row ends (see the top of the file). */
static void bus_retire(struct seed_bus *b)
{
	struct seed_run *run = b->run;

	__atomic_store_n(&b->magic, BUS_POISON, __ATOMIC_RELAXED);
	b->next_freed = __atomic_load_n(&run->quarantine, __ATOMIC_RELAXED);
	while (!__atomic_compare_exchange_n(&run->quarantine, &b->next_freed, b,
					    true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		;
	__atomic_fetch_add(&run->freed, 1, __ATOMIC_RELAXED);
}

static void bus_free_cb(struct rcu_head *rhp)
{
	bus_retire(caa_container_of(rhp, struct seed_bus, rh));
}

static void seed_reader(struct bench_crew_member *m)
{
	struct seed_reader *r = m->arg;
	const struct bench_flavour *fl = r->run->fl;
	void *dom = r->run->dom;
	unsigned long sink = 0;
	struct seed_bus *b;
	int idx;

	bench_thread_online(fl);
	bench_crew_ready(m);
	while (!bench_crew_stopping(m)) {
		idx = fl->read_lock(dom);
		/* rcu_dereference(): pairs with the store-release that published b. */
		b = __atomic_load_n(&r->run->bus, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&b->magic, __ATOMIC_RELAXED) != BUS_LIVE)
			r->violations++;
		sink += b->range[b->dev_count % BUS_RANGES];
		if (__atomic_load_n(&b->magic, __ATOMIC_RELAXED) != BUS_LIVE)
			r->violations++;
		fl->read_unlock(dom, idx);
		r->reads++;
	}
	r->sink = sink;
	bench_thread_offline(fl);
}

/*
 * One boot of bench_opts.updates registrations on a fresh srcu_struct, in
 * res (whose samples the caller frees).  Each registration starts
 * --idle-us after the previous one ended, so that with a long enough idle
 * time every update finds the srcu_struct idle, its grace-period work
 * asleep or gone, as a micro-VM's do.
 */
static void seed_boot(const struct bench_flavour *fl, enum seed_row row,
		      long hz, int nr_readers, int repeat, struct seed_result *res,
		      FILE *raw)
{
	struct seed_run run = { .fl = fl };
	struct seed_reader *readers = NULL;
	struct srcu_stats before, after;
	struct bench_crew *crew = NULL;
	struct seed_bus *old, *nb;
	uint64_t t0, t1, boot = 0;

	bench_param_set("promote_inflight", row == SEED_PROMOTE);
	run.dom = fl->create();
	run.bus = bus_alloc(&run, NULL);
	bench_samples_init(&res->lat, bench_opts.updates);
	if (nr_readers) {
		readers = bench_zalloc_lines(nr_readers, sizeof(*readers));
		for (int i = 0; i < nr_readers; i++)
			readers[i].run = &run;
		crew = bench_crew_start(nr_readers, seed_reader, readers, sizeof(*readers));
		bench_crew_settle(crew);
	}
	bench_get_stats(fl, run.dom, &before);

	for (long i = 0; i < bench_opts.updates; i++) {
		if (bench_opts.idle_us)
			bench_sleep_ns((uint64_t)bench_opts.idle_us * 1000);
		t0 = bench_now_ns();
		/* kvm_io_bus_register_dev(): copy, publish, free the old bus. */
		old = run.bus;
		nb = bus_alloc(&run, old);
		__atomic_store_n(&run.bus, nb, __ATOMIC_RELEASE); /* rcu_assign_pointer() */
		if (row == SEED_KERNEL || row == SEED_PROMOTE)
			fl->call(run.dom, &old->rh, bus_free_cb);
		else if (row == SEED_RFC)
			fl->call_exp(run.dom, &old->rh, bus_free_cb);
		bench_spin_ns(bench_opts.gap_us * 1000);

		/* kvm_swap_active_memslots(): the timed expedited synchronize. */
		t1 = bench_now_ns();
		fl->sync_exp(run.dom);
		bench_samples_add(&res->lat, (double)(bench_now_ns() - t1) / 1e3);
		if (row == SEED_BASELINE)
			bus_retire(old);	/* a grace period has elapsed */
		boot += bench_now_ns() - t0;
	}
	bench_get_stats(fl, run.dom, &after);

	bench_crew_stop(crew);
	res->reads = res->violations = 0;
	for (int i = 0; i < nr_readers; i++) {
		res->reads += readers[i].reads;
		res->violations += readers[i].violations;
	}
	free(readers);

	/* Every callback must have run once: one freed bus per update. */
	fl->barrier(run.dom);
	if (__atomic_load_n(&run.freed, __ATOMIC_RELAXED) != (unsigned long)bench_opts.updates) {
		fprintf(stderr, "srcu-bench: seed %s/%s: %lu of %ld old buses freed after srcu_barrier()\n",
			fl->name, seed_row_names[row], run.freed, bench_opts.updates);
		bench_failed = BENCH_EXIT_FAILED;
	}
	free(run.bus);
	/* Acquire: pairs with the release of the last push in bus_retire(). */
	for (old = __atomic_load_n(&run.quarantine, __ATOMIC_ACQUIRE); old; old = nb) {
		nb = old->next_freed;
		free(old);
	}
	fl->destroy(run.dom);

	if (raw)
		for (size_t i = 0; i < res->lat.n; i++)
			fprintf(raw, "%s,%s,%ld,%d,%zu,%.3f,%d\n", fl->name,
				seed_row_names[row], hz, nr_readers, i, res->lat.v[i], repeat);
	res->boot_ms = (double)boot / 1e6;
	res->delta.gp_normal = after.gp_normal - before.gp_normal;
	res->delta.gp_expedited = after.gp_expedited - before.gp_expedited;
	res->delta.promotions = after.promotions - before.promotions;
	res->delta.transfers = after.transfers - before.transfers;
	res->delta.gp_by_waiter = after.gp_by_waiter - before.gp_by_waiter;
	res->delta.waiter_polls = after.waiter_polls - before.waiter_polls;
}

/* A row over all its repeats. */
struct seed_row_acc {
	struct bench_samples all;	/* every update of every repeat */
	double med[BENCH_MAX_REPEAT];	/* each repeat's median */
	double p99[BENCH_MAX_REPEAT];	/* each repeat's p99 */
	double boot_ms;			/* summed over the repeats */
	struct srcu_stats delta;	/* summed over the repeats */
	unsigned long reads, violations;
	bool ran;
};

static void seed_acc_add(struct seed_row_acc *a, int repeat, struct seed_result *res)
{
	struct bench_summary sum = bench_summarize(&res->lat);

	for (size_t i = 0; i < res->lat.n; i++)
		bench_samples_add(&a->all, res->lat.v[i]);
	a->med[repeat] = sum.median;
	a->p99[repeat] = sum.p99;
	a->boot_ms += res->boot_ms;
	a->delta.gp_normal += res->delta.gp_normal;
	a->delta.gp_expedited += res->delta.gp_expedited;
	a->delta.promotions += res->delta.promotions;
	a->delta.transfers += res->delta.transfers;
	a->delta.gp_by_waiter += res->delta.gp_by_waiter;
	a->delta.waiter_polls += res->delta.waiter_polls;
	a->reads += res->reads;
	a->violations += res->violations;
	a->ran = true;
	bench_samples_free(&res->lat);
}

/* The largest (most) or smallest of n values. */
static double seed_extreme(const double *v, int n, bool most)
{
	double w = v[0];

	for (int i = 1; i < n; i++)
		if (most ? v[i] > w : v[i] < w)
			w = v[i];
	return w;
}

/* Lines for after the table (bench_note() would print them before it). */
struct seed_lines {
	char line[64][320];
	int n;
};

/*
 * The targets of Tree's rows, per repeat, against the same repeat's
 * baseline: the cures' median at most 3x the baseline's + 20 us and their
 * p99 below one jiffy; the kernel row's median at least half a jiffy.  One
 * line per row: in how many repeats it met them, and its worst figure.
 */
static void seed_targets(struct seed_lines *out, long hz, int nr_readers,
			 const struct seed_row_acc *acc)
{
	const double jiffy_us = 1e6 / (double)hz;
	const int n = (int)bench_opts.repeat;

	for (int row = SEED_KERNEL; row < SEED_NR_ROWS && out->n < 62; row++) {
		double worst_ratio = 0;
		int met = 0;

		for (int r = 0; r < n; r++) {
			double limit = 3 * acc[SEED_BASELINE].med[r] + 20, m = acc[row].med[r];

			if (row == SEED_KERNEL) {
				met += m >= jiffy_us / 2;
				continue;
			}
			met += m <= limit && acc[row].p99[r] < jiffy_us;
			if (m / limit > worst_ratio)
				worst_ratio = m / limit;
		}
		if (row == SEED_KERNEL)
			snprintf(out->line[out->n++], sizeof(out->line[0]),
				 "seed target, tree hz=%ld readers=%d: kernel median >= half a jiffy "
				 "(%.0f us) in %d of %d repeats (lowest median %.1f us)",
				 hz, nr_readers, jiffy_us / 2, met, n,
				 seed_extreme(acc[row].med, n, false));
		else
			snprintf(out->line[out->n++], sizeof(out->line[0]),
				 "seed target, tree hz=%ld readers=%d: %s median <= 3x baseline + 20 us "
				 "and p99 < %.0f us in %d of %d repeats (worst median %.2fx its "
				 "limit, worst p99 %.1f us)", hz, nr_readers, seed_row_names[row],
				 jiffy_us, met, n, worst_ratio, seed_extreme(acc[row].p99, n, true));
	}
}

static const struct bench_col seed_cols[] = {
	{ "flavour", BENCH_COL_STR, 0, NULL },
	{ "row", BENCH_COL_STR, 0, NULL },
	{ "hz", BENCH_COL_INT, 0, NULL },
	{ "readers", BENCH_COL_INT, 0, NULL },
	{ "reps", BENCH_COL_INT, 0, "repeats (boots) of the row, each on a fresh srcu_struct" },
	{ "med_us", BENCH_COL_REAL, 2, "median synchronize_srcu_expedited() latency, all repeats (us)" },
	{ "p90_us", BENCH_COL_REAL, 2, "90th percentile of the same (us)" },
	{ "p99_us", BENCH_COL_REAL, 2, "99th percentile of the same (us)" },
	{ "max_us", BENCH_COL_REAL, 1, "slowest update (us)" },
	{ "worst_med", BENCH_COL_REAL, 2, "the worst repeat's median (us)" },
	{ "worst_p99", BENCH_COL_REAL, 2, "the worst repeat's p99 (us)" },
	{ "boot_ms", BENCH_COL_REAL, 2, "one boot's N registrations, idle time left out, mean of the repeats (ms)" },
	{ "x_base", BENCH_COL_REAL, 2, "med_us / the same flavour's baseline med_us" },
	{ "gp_norm", BENCH_COL_INT, 0, "grace periods that ended with no expedited request pending" },
	{ "gp_exp", BENCH_COL_INT, 0, "grace periods that ended with one pending (transferred and promoted ones too)" },
	{ "by_wait", BENCH_COL_INT, 0, "grace periods ended by the waiting thread itself, not a worker" },
	{ "polls", BENCH_COL_INT, 0, "times the waiting thread slept a moment for readers to leave (waiter_polls)" },
	{ "promo", BENCH_COL_INT, 0, "sleeping normal GPs an expedited request promoted (woke or drove)" },
	{ "xfer", BENCH_COL_INT, 0, "transfers: sleeps of a normal GP that an expedited request sat out" },
	{ "reads", BENCH_COL_INT, 0, "reader critical sections completed during the boots" },
	{ "uaf", BENCH_COL_INT, 0, "readers that saw a freed bus: must be 0" },
};

void bench_seed(void)
{
	int nr_groups = bench_opts.hz.n * bench_opts.readers.n;
	int nr_rows = nr_groups * (bench_nr_srcu_flavours * SEED_NR_ROWS -
				   (BENCH_HAVE_TINY ? 1 : 0));
	static struct seed_lines targets;
	unsigned long violations = 0;
	struct bench_table *t;
	FILE *raw = NULL;
	int done = 0;

	targets.n = 0;
	if (bench_opts.raw_path) {
		raw = fopen(bench_opts.raw_path, "w");
		if (!raw)
			bench_die("cannot write %s", bench_opts.raw_path);
		fprintf(raw, "flavour,row,hz,readers,update,latency_us,repeat\n");
	}
	t = bench_table_begin("seed",
			      "call_srcu() then synchronize_srcu_expedited(), per device registration",
			      seed_cols, sizeof(seed_cols) / sizeof(seed_cols[0]));
	for (int h = 0; h < bench_opts.hz.n; h++) {
		long hz = bench_opts.hz.v[h];

		bench_param_set("hz", hz);
		for (int r = 0; r < bench_opts.readers.n; r++) {
			int nr_readers = bench_opts.readers.v[r];

			for (int f = 0; f < bench_nr_srcu_flavours; f++) {
				const struct bench_flavour *fl = bench_srcu_flavours[f];
				struct seed_row_acc acc[SEED_NR_ROWS] = { 0 };
				struct seed_result res;
				struct bench_summary sum;
				double base = NAN;

				for (int row = 0; row < SEED_NR_ROWS; row++)
					bench_samples_init(&acc[row].all,
							   (size_t)(bench_opts.updates * bench_opts.repeat));
				/* Rows interleaved within a repeat: each compares with its own baseline. */
				for (int rep = 0; rep < bench_opts.repeat; rep++) {
					for (int row = 0; row < SEED_NR_ROWS; row++) {
						if (row == SEED_PROMOTE && fl != &bench_tree)
							continue;
						bench_progress("seed: %d/%d hz=%ld readers=%d %s/%s (%d of %ld)",
							       done + 1, nr_rows, hz, nr_readers, fl->name,
							       seed_row_names[row], rep + 1, bench_opts.repeat);
						seed_boot(fl, row, hz, nr_readers, rep, &res, raw);
						seed_acc_add(&acc[row], rep, &res);
					}
				}
				for (int row = 0; row < SEED_NR_ROWS; row++) {
					struct seed_row_acc *a = &acc[row];

					if (!a->ran) {
						bench_samples_free(&a->all);
						continue;
					}
					done++;
					sum = bench_summarize(&a->all);
					if (row == SEED_BASELINE)
						base = sum.median;
					violations += a->violations;
					bench_table_row(t, fl->name, seed_row_names[row], hz,
							(long)nr_readers, bench_opts.repeat, sum.median,
							sum.p90, sum.p99, sum.max,
							seed_extreme(a->med, bench_opts.repeat, true),
							seed_extreme(a->p99, bench_opts.repeat, true),
							a->boot_ms / (double)bench_opts.repeat,
							bench_ratio(sum.median, base),
							(long)a->delta.gp_normal, (long)a->delta.gp_expedited,
							(long)a->delta.gp_by_waiter,
							(long)a->delta.waiter_polls,
							(long)a->delta.promotions, (long)a->delta.transfers,
							(long)a->reads, (long)a->violations);
					bench_samples_free(&a->all);
				}
				if (fl == &bench_tree)
					seed_targets(&targets, hz, nr_readers, acc);
			}
		}
	}
	bench_table_end(t);
	if (raw)
		fclose(raw);
	for (int i = 0; i < targets.n; i++)
		bench_note("%s", targets.line[i]);
	bench_note("seed: %ld registrations per boot, %ld repeats; before each, %ld us idle, "
		   "then call_srcu*() and %ld us busy work before the timed "
		   "synchronize_srcu_expedited()", bench_opts.updates, bench_opts.repeat,
		   bench_opts.idle_us, bench_opts.gap_us);
	bench_note("seed: rows: baseline = no callback; kernel = call_srcu(), "
		   "promote_inflight=0; rfc = call_srcu_expedited(); "
		   "promote = call_srcu(), promote_inflight=1");
	if (BENCH_HAVE_TINY)
		bench_note("seed: tiny has no promote row: its grace periods never sleep on "
			   "a delay (an expedited request is a normal one, as in the kernel's "
			   "Tiny SRCU), so there is nothing to promote");
	bench_note("seed: reader violations (freed bus seen by a reader): %lu%s",
		   violations, violations ? "  FAILED: must be 0" : " (must be 0)");
	if (violations)
		bench_failed = BENCH_EXIT_FAILED;
}
