/*
 * sample.c: the measuring tools every scenario uses: the clock, busy work,
 * samples with percentiles by sorting, progress lines on stderr, and crews
 * of threads that loop until told to stop.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bench_thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bench_sleep_ns(uint64_t ns)
{
	struct timespec ts = { .tv_sec = ns / 1000000000ull,
			       .tv_nsec = ns % 1000000000ull };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Busy work, not a sleep: the seed's gap is CPU time between two ioctls. */
void bench_spin_ns(uint64_t ns)
{
	uint64_t end = bench_now_ns() + ns;

	while (bench_now_ns() < end)
		caa_cpu_relax();
}

void bench_die(const char *fmt, ...)
{
	va_list ap;

	bench_progress_done();
	fputs("srcu-bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(BENCH_EXIT_FAILED);
}

/* On a terminal, one line rewritten in place; in a log, one line each. */
static bool progress_open;

void bench_progress(const char *fmt, ...)
{
	bool tty = isatty(STDERR_FILENO);
	va_list ap;

	if (bench_opts.quiet)
		return;
	fputs(tty ? "\r\033[K" : "", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (!tty)
		fputc('\n', stderr);
	progress_open = tty;
	fflush(stderr);
}

void bench_progress_done(void)
{
	if (progress_open)
		fputs("\r\033[K", stderr);
	progress_open = false;
}

void *bench_zalloc_lines(size_t n, size_t size)
{
	size_t bytes = (n ? n : 1) * size;
	void *p;

	bytes = (bytes + CAA_CACHE_LINE_SIZE - 1) & ~(size_t)(CAA_CACHE_LINE_SIZE - 1);
	p = aligned_alloc(CAA_CACHE_LINE_SIZE, bytes);
	if (!p)
		bench_die("out of memory");
	memset(p, 0, bytes);
	return p;
}

void bench_samples_init(struct bench_samples *s, size_t hint)
{
	s->n = 0;
	s->cap = hint ? hint : 64;
	s->v = malloc(s->cap * sizeof(*s->v));
	if (!s->v)
		bench_die("out of memory");
}

void bench_samples_add(struct bench_samples *s, double v)
{
	if (s->n == s->cap) {
		s->cap *= 2;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			bench_die("out of memory");
	}
	s->v[s->n++] = v;
}

void bench_samples_free(struct bench_samples *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted values: the smallest covering p percent. */
static double percentile(const double *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);

	return sorted[rank ? rank - 1 : 0];
}

struct bench_summary bench_summarize(const struct bench_samples *s)
{
	struct bench_summary r = { .n = s->n, .median = NAN, .p90 = NAN, .p99 = NAN,
				   .mean = NAN, .min = NAN, .max = NAN };
	double *v, sum = 0;

	if (!s->n)
		return r;
	v = malloc(s->n * sizeof(*v));
	if (!v)
		bench_die("out of memory");
	memcpy(v, s->v, s->n * sizeof(*v));
	qsort(v, s->n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < s->n; i++)
		sum += v[i];
	r.median = s->n % 2 ? v[s->n / 2] : (v[s->n / 2 - 1] + v[s->n / 2]) / 2;
	r.p90 = percentile(v, s->n, 90);
	r.p99 = percentile(v, s->n, 99);
	r.mean = sum / (double)s->n;
	r.min = v[0];
	r.max = v[s->n - 1];
	free(v);
	return r;
}

double bench_ratio(double a, double b)
{
	if (isnan(a) || isnan(b) || b <= 0)
		return NAN;
	return a / b;
}

/* Crews. */

struct bench_crew {
	int n;
	int stop;			/* set by bench_crew_stop(), polled by members */
	int ready;			/* members set up */
	int go;				/* all set up: members may start */
	bench_crew_fn fn;
	pthread_t *tids;
	struct bench_crew_member *members;
};

static void *crew_thread(void *p)
{
	struct bench_crew_member *m = p;

	m->crew->fn(m);
	return NULL;
}

struct bench_crew *bench_crew_start(int n, bench_crew_fn fn, void *args,
				    size_t arg_size)
{
	struct bench_crew *c = calloc(1, sizeof(*c));
	int err;

	if (!c || !(c->tids = calloc(n ? n : 1, sizeof(*c->tids))) ||
	    !(c->members = calloc(n ? n : 1, sizeof(*c->members))))
		bench_die("out of memory");
	c->n = n;
	c->fn = fn;
	for (int i = 0; i < n; i++) {
		c->members[i].crew = c;
		c->members[i].id = i;
		c->members[i].arg = args ? (char *)args + i * arg_size : NULL;
		err = pthread_create(&c->tids[i], NULL, crew_thread, &c->members[i]);
		if (err)
			bench_die("pthread_create: %s", strerror(err));
	}
	/* Acquire: pairs with the release in bench_crew_ready(). */
	while (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE) < n)
		sched_yield();
	__atomic_store_n(&c->go, 1, __ATOMIC_RELEASE);
	return c;
}

void bench_crew_ready(struct bench_crew_member *m)
{
	__atomic_fetch_add(&m->crew->ready, 1, __ATOMIC_RELEASE);
	/* Acquire: pairs with the release of go in bench_crew_start(). */
	while (!__atomic_load_n(&m->crew->go, __ATOMIC_ACQUIRE))
		sched_yield();
}

void bench_crew_settle(struct bench_crew *c)
{
	if (c && c->n)
		bench_sleep_ns(2000000);
}

bool bench_crew_stopping(const struct bench_crew_member *m)
{
	return __atomic_load_n(&m->crew->stop, __ATOMIC_RELAXED);
}

void bench_crew_stop(struct bench_crew *c)
{
	int err;

	if (!c)
		return;
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELAXED);
	/* pthread_join orders each member's results before our reads of them. */
	for (int i = 0; i < c->n; i++) {
		err = pthread_join(c->tids[i], NULL);
		if (err)
			bench_die("pthread_join: %s", strerror(err));
	}
	free(c->tids);
	free(c->members);
	free(c);
}
