/*
 * seed.c: `srcu-bench seed`, the micro-VM boot of the LKML thread this
 * project exists for (/work/shared/seed-call_srcu_expedited-thread.txt,
 * doc/design.md).  Each of N device registrations publishes a new "bus",
 * frees the old one with call_srcu() and, a short gap later, a memslot
 * update calls synchronize_srcu_expedited() on the same srcu_struct; that
 * call is timed.  With the kernel's behaviour, the call_srcu() starts a
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

struct seed_result {
	struct bench_summary lat;	/* per-update latency, us */
	double boot_ms;
	struct srcu_stats delta;	/* gp_normal, gp_expedited, promotions, transfers */
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

static void seed_boot(const struct bench_flavour *fl, enum seed_row row,
		      long hz, int nr_readers, struct seed_result *res, FILE *raw)
{
	struct seed_run run = { .fl = fl };
	struct seed_reader *readers = NULL;
	struct srcu_stats before, after;
	struct bench_samples lat;
	struct bench_crew *crew = NULL;
	struct seed_bus *old, *nb;
	uint64_t t0, t1, boot;

	bench_param_set("promote_inflight", row == SEED_PROMOTE);
	run.dom = fl->create();
	run.bus = bus_alloc(&run, NULL);
	bench_samples_init(&lat, bench_opts.updates);
	if (nr_readers) {
		readers = bench_zalloc_lines(nr_readers, sizeof(*readers));
		for (int i = 0; i < nr_readers; i++)
			readers[i].run = &run;
		crew = bench_crew_start(nr_readers, seed_reader, readers, sizeof(*readers));
		bench_crew_settle(crew);
	}
	bench_get_stats(fl, run.dom, &before);

	t0 = bench_now_ns();
	for (long i = 0; i < bench_opts.updates; i++) {
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
		bench_samples_add(&lat, (double)(bench_now_ns() - t1) / 1e3);
		if (row == SEED_BASELINE)
			bus_retire(old);	/* a grace period has elapsed */
	}
	boot = bench_now_ns() - t0;
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
		for (size_t i = 0; i < lat.n; i++)
			fprintf(raw, "%s,%s,%ld,%d,%zu,%.3f\n", fl->name,
				seed_row_names[row], hz, nr_readers, i, lat.v[i]);
	res->lat = bench_summarize(&lat);
	res->boot_ms = (double)boot / 1e6;
	res->delta.gp_normal = after.gp_normal - before.gp_normal;
	res->delta.gp_expedited = after.gp_expedited - before.gp_expedited;
	res->delta.promotions = after.promotions - before.promotions;
	res->delta.transfers = after.transfers - before.transfers;
	bench_samples_free(&lat);
}

static const struct bench_col seed_cols[] = {
	{ "flavour", BENCH_COL_STR, 0, NULL },
	{ "row", BENCH_COL_STR, 0, NULL },
	{ "hz", BENCH_COL_INT, 0, NULL },
	{ "readers", BENCH_COL_INT, 0, NULL },
	{ "med_us", BENCH_COL_REAL, 2, "median synchronize_srcu_expedited() latency (us)" },
	{ "p99_us", BENCH_COL_REAL, 2, "99th percentile of the same (us)" },
	{ "max_us", BENCH_COL_REAL, 1, "slowest update (us)" },
	{ "boot_ms", BENCH_COL_REAL, 2, "whole loop of N registrations: the \"boot\" (ms)" },
	{ "x_base", BENCH_COL_REAL, 2, "med_us / the same flavour's baseline med_us" },
	{ "gp_norm", BENCH_COL_INT, 0, "grace periods that ended with no expedited request pending" },
	{ "gp_exp", BENCH_COL_INT, 0, "grace periods that ended with one pending (xfer and promo ones too)" },
	{ "promo", BENCH_COL_INT, 0, "GPs started normal, asleep on their delay, woken by an expedited request" },
	{ "xfer", BENCH_COL_INT, 0, "GPs started normal that slept out their delay while an expedited request waited" },
	{ "reads", BENCH_COL_INT, 0, "reader critical sections completed during the boot" },
	{ "uaf", BENCH_COL_INT, 0, "readers that saw a freed bus: must be 0" },
};

void bench_seed(void)
{
	int nr_groups = bench_opts.hz.n * bench_opts.readers.n;
	int nr_rows = nr_groups * (bench_nr_srcu_flavours * SEED_NR_ROWS -
				   (BENCH_HAVE_TINY ? 1 : 0));
	unsigned long violations = 0;
	struct bench_table *t;
	FILE *raw = NULL;
	int done = 0;

	if (bench_opts.raw_path) {
		raw = fopen(bench_opts.raw_path, "w");
		if (!raw)
			bench_die("cannot write %s", bench_opts.raw_path);
		fprintf(raw, "flavour,row,hz,readers,update,latency_us\n");
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
				double base = NAN;

				for (int row = 0; row < SEED_NR_ROWS; row++) {
					struct seed_result res;

					if (row == SEED_PROMOTE && fl != &bench_tree)
						continue;
					bench_progress("seed: %d/%d hz=%ld readers=%d %s/%s",
						       ++done, nr_rows, hz, nr_readers,
						       fl->name, seed_row_names[row]);
					seed_boot(fl, row, hz, nr_readers, &res, raw);
					if (row == SEED_BASELINE)
						base = res.lat.median;
					violations += res.violations;
					bench_table_row(t, fl->name, seed_row_names[row], hz,
							(long)nr_readers, res.lat.median,
							res.lat.p99, res.lat.max, res.boot_ms,
							bench_ratio(res.lat.median, base),
							(long)res.delta.gp_normal,
							(long)res.delta.gp_expedited,
							(long)res.delta.promotions,
							(long)res.delta.transfers,
							(long)res.reads,
							(long)res.violations);
				}
			}
		}
	}
	bench_table_end(t);
	if (raw)
		fclose(raw);
	bench_note("seed: %ld registrations per boot, %ld us busy gap before each "
		   "synchronize_srcu_expedited()", bench_opts.updates, bench_opts.gap_us);
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
