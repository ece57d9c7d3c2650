/*
 * bench.h: what the parts of srcu-bench share: options, timing and
 * samples, reader/worker thread crews, the flavour table (Tree, Tiny,
 * liburcu-memb behind one set of update-side calls), the report writer.
 * Included by every source of bench/; main.c dispatches to the scenarios.
 *
 * liburcu's flavour header must come before any srcu header (see
 * include/srcu/common.h): it renames call_rcu() before <urcu/call-rcu.h>.
 */
#ifndef SRCU_BENCH_H
#define SRCU_BENCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <urcu/urcu-memb.h>
#include <srcu/tree.h>
#if defined(__has_include) && !defined(BENCH_NO_TINY)
#if __has_include(<srcu/tiny.h>)
#include <srcu/tiny.h>
#define BENCH_HAVE_TINY 1
#endif
#endif
#ifndef BENCH_HAVE_TINY
#define BENCH_HAVE_TINY 0
#endif

#define BENCH_MAX_LIST	16
#define BENCH_MAX_REPEAT	100	/* --repeat */
#define BENCH_STR_(x)	#x
#define BENCH_STR(x)	BENCH_STR_(x)

/* Exit statuses: a correctness failure is not a usage error. */
#define BENCH_EXIT_FAILED	1	/* a reader saw freed memory, a callback went missing... */
#define BENCH_EXIT_USAGE	2

enum bench_format { BENCH_TEXT, BENCH_CSV, BENCH_JSON };

struct bench_list {
	long v[BENCH_MAX_LIST];
	int n;
};

struct bench_opts {
	const char *scenario;
	struct bench_list hz;		/* jiffy lengths to run at */
	struct bench_list readers;	/* reader threads per row (n == 0: scenario default) */
	struct bench_list threads;	/* enqueuing threads for cb throughput */
	long updates;			/* seed: device registrations per boot */
	long gap_us;			/* busy work between two updates */
	long idle_us;			/* seed: sleep before each update (from idle) */
	long repeat;			/* seed: boots per row */
	long iterations;		/* gp, cb: samples per row */
	long callbacks;			/* cb throughput: callbacks per thread */
	double duration;		/* read: seconds per row */
	bool quick;			/* CI smoke sizes */
	bool quiet;			/* no progress on stderr */
	enum bench_format format;
	const char *raw_path;		/* seed: per-update latencies as CSV */
};

extern struct bench_opts bench_opts;

/* Set by a scenario that saw a correctness failure; main() exits with it. */
extern int bench_failed;

/* sample.c: clocks, busy work, samples and percentiles, thread crews. */
uint64_t bench_now_ns(void);
uint64_t bench_thread_cpu_ns(void);	/* CPU time of the calling thread */
void bench_spin_ns(uint64_t ns);
void bench_sleep_ns(uint64_t ns);
/* Zeroed, cache-line aligned array (per-thread state); dies when out of memory. */
void *bench_zalloc_lines(size_t n, size_t size);
void bench_die(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void bench_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bench_progress_done(void);

struct bench_samples {
	double *v;			/* values, in microseconds by convention */
	size_t n, cap;
};

struct bench_summary {
	size_t n;
	double median, p90, p99, mean, min, max;
};

void bench_samples_init(struct bench_samples *s, size_t hint);
void bench_samples_add(struct bench_samples *s, double v);
void bench_samples_free(struct bench_samples *s);
/* Sorts a copy; s keeps its order (the raw dump wants arrival order). */
struct bench_summary bench_summarize(const struct bench_samples *s);
/* a / b, or NaN when either is missing (NaN prints as "-"). */
double bench_ratio(double a, double b);

/*
 * A crew: n threads running fn(arg of that thread), most often a loop
 * until told to stop.  Each member calls bench_crew_ready() once set up;
 * it returns when all are, and bench_crew_start() returns at that moment
 * too, so a timed section starts with every member running.
 */
struct bench_crew;
struct bench_crew_member {
	struct bench_crew *crew;
	int id;
	void *arg;			/* the scenario's per-thread state */
};
typedef void (*bench_crew_fn)(struct bench_crew_member *m);

struct bench_crew *bench_crew_start(int n, bench_crew_fn fn, void *args,
				    size_t arg_size);
/*
 * Let just-started readers get onto CPUs before a timed section: with
 * more runnable threads than CPUs, a new thread may otherwise wait a
 * scheduler slice (milliseconds) before its first critical section.
 */
void bench_crew_settle(struct bench_crew *c);
void bench_crew_ready(struct bench_crew_member *m);	/* call once, before looping */
bool bench_crew_stopping(const struct bench_crew_member *m);
void bench_crew_stop(struct bench_crew *c);		/* joins and frees */

/* A compiler barrier: keeps timed loop bodies from being merged away. */
#define bench_barrier()	__asm__ __volatile__("" ::: "memory")

/* flavour.c: Tree, Tiny and liburcu-memb behind one update-side table. */
struct bench_flavour {
	const char *name;		/* "tree", "tiny", "urcu-memb" */
	bool srcu;			/* has srcu_structs, tunables and stats */
	void *(*create)(void);		/* a fresh domain (srcu_struct) */
	void *(*create_fast)(void);	/* ... initialised for fast readers */
	void (*destroy)(void *dom);	/* barrier, cleanup, free; flags failure */
	int (*read_lock)(void *dom);
	void (*read_unlock)(void *dom, int idx);
	void (*sync)(void *dom);
	void (*sync_exp)(void *dom);	/* NULL: the flavour has none */
	void (*call)(void *dom, struct rcu_head *rhp, rcu_callback_t func);
	void (*call_exp)(void *dom, struct rcu_head *rhp, rcu_callback_t func);
	void (*barrier)(void *dom);
	int (*get_stats)(void *dom, struct srcu_stats *st);
	int (*param_set)(const char *name, long value);
	long (*param_get)(const char *name);
	void (*thread_online)(void);	/* liburcu: register the calling thread */
	void (*thread_offline)(void);
};

extern const struct bench_flavour bench_tree, bench_tiny, bench_urcu;
/* The srcu flavours this binary measures (Tree, then Tiny when built). */
extern const struct bench_flavour *const bench_srcu_flavours[];
extern const int bench_nr_srcu_flavours;

void bench_thread_online(const struct bench_flavour *fl);
void bench_thread_offline(const struct bench_flavour *fl);
/* Set a tunable on every srcu flavour; dies if Tree rejects it. */
void bench_param_set(const char *name, long value);
/* Stats snapshot, zeroed when the flavour has none. */
void bench_get_stats(const struct bench_flavour *fl, void *dom,
		     struct srcu_stats *st);

/* machine.c: what the run ran on and with. */
struct bench_kv {
	char key[40];
	char val[160];
};
int bench_machine_info(struct bench_kv *kv, int max);
int bench_tunables(struct bench_kv *kv, int max);

/* report.c: tables as aligned text, CSV or JSON. */
enum bench_col_kind { BENCH_COL_STR, BENCH_COL_INT, BENCH_COL_REAL };

struct bench_col {
	const char *name;
	enum bench_col_kind kind;
	int decimals;			/* BENCH_COL_REAL */
	const char *help;		/* one line under the text table */
};

struct bench_table;

void bench_report_begin(void);
void bench_report_end(void);
/* A free-text line: "# " comment in CSV, an entry of "notes" in JSON. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct bench_table *bench_table_begin(const char *name, const char *title,
				      const struct bench_col *cols, int ncols);
/*
 * One value per column: const char * (STR), long (INT), double (REAL).
 * NULL, BENCH_NONE and NaN are missing values ("-", empty, null).
 */
#define BENCH_NONE	LONG_MIN
void bench_table_row(struct bench_table *t, ...);
void bench_table_end(struct bench_table *t);

/* The scenarios. */
void bench_seed(void);
void bench_gp(void);
void bench_cb(void);
void bench_read(void);

#endif /* SRCU_BENCH_H */
