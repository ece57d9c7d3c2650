/*
 * flavour.c: the update side of Tree SRCU, Tiny SRCU and liburcu-memb
 * behind one table (struct bench_flavour), so that each scenario is
 * written once and measures all three in the same run.  The indirect call
 * costs nanoseconds beside grace periods of microseconds; the read-side
 * scenario (read.c) calls the inline readers directly instead.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int bench_failed;

/*
 * The two srcu flavours have the same API under different prefixes; one
 * macro writes the wrappers for both.
 */
#define BENCH_SRCU_WRAPPERS(fl)							\
static void *fl##_create_flavored(int (*init)(struct srcu_##fl##_struct *))	\
{										\
	struct srcu_##fl##_struct *ssp = bench_zalloc_lines(1, sizeof(*ssp));	\
										\
	if (init(ssp))								\
		bench_die("init of a " #fl " srcu_struct failed");		\
	return ssp;								\
}										\
static void *fl##_create(void)							\
{										\
	return fl##_create_flavored(srcu_##fl##_init);				\
}										\
static void *fl##_create_fast(void)						\
{										\
	return fl##_create_flavored(srcu_##fl##_init_fast);			\
}										\
static void fl##_destroy(void *dom)						\
{										\
	int err;								\
										\
	srcu_##fl##_barrier(dom);						\
	err = srcu_##fl##_cleanup(dom);						\
	if (err) {								\
		/* Not freed: cleanup says it is still in use. */		\
		fprintf(stderr, "srcu-bench: " #fl " cleanup_srcu_struct() "	\
			"after srcu_barrier() failed: %s\n", strerror(-err));	\
		srcu_##fl##_stats_print(dom, stderr, "srcu-bench: " #fl);	\
		bench_failed = BENCH_EXIT_FAILED;				\
		return;								\
	}									\
	free(dom);								\
}										\
static int fl##_read_lock(void *dom)						\
{										\
	return srcu_##fl##_read_lock(dom);					\
}										\
static void fl##_read_unlock(void *dom, int idx)				\
{										\
	srcu_##fl##_read_unlock(dom, idx);					\
}										\
static void fl##_sync(void *dom)						\
{										\
	srcu_##fl##_synchronize(dom);						\
}										\
static void fl##_sync_exp(void *dom)						\
{										\
	srcu_##fl##_synchronize_expedited(dom);					\
}										\
static void fl##_call(void *dom, struct rcu_head *rhp, rcu_callback_t func)	\
{										\
	srcu_##fl##_call(dom, rhp, func);					\
}										\
static void fl##_call_exp(void *dom, struct rcu_head *rhp, rcu_callback_t func)	\
{										\
	srcu_##fl##_call_expedited(dom, rhp, func);				\
}										\
static void fl##_barrier(void *dom)						\
{										\
	srcu_##fl##_barrier(dom);						\
}										\
static int fl##_get_stats(void *dom, struct srcu_stats *st)			\
{										\
	return srcu_##fl##_get_stats(dom, st);					\
}										\
const struct bench_flavour bench_##fl = {					\
	.name = #fl,								\
	.srcu = true,								\
	.create = fl##_create,							\
	.create_fast = fl##_create_fast,					\
	.destroy = fl##_destroy,						\
	.read_lock = fl##_read_lock,						\
	.read_unlock = fl##_read_unlock,					\
	.sync = fl##_sync,							\
	.sync_exp = fl##_sync_exp,						\
	.call = fl##_call,							\
	.call_exp = fl##_call_exp,						\
	.barrier = fl##_barrier,						\
	.get_stats = fl##_get_stats,						\
	.param_set = srcu_##fl##_param_set,					\
	.param_get = srcu_##fl##_param_get,					\
};

BENCH_SRCU_WRAPPERS(tree)
#if BENCH_HAVE_TINY
BENCH_SRCU_WRAPPERS(tiny)
#endif

const struct bench_flavour *const bench_srcu_flavours[] = {
	&bench_tree,
#if BENCH_HAVE_TINY
	&bench_tiny,
#endif
};
const int bench_nr_srcu_flavours =
	sizeof(bench_srcu_flavours) / sizeof(bench_srcu_flavours[0]);

/* liburcu-memb: one global domain; a token stands in for the srcu_struct. */
static char urcu_domain;

static void *urcu_create(void)
{
	return &urcu_domain;
}

static void urcu_destroy(void *dom)
{
	urcu_memb_barrier();
}

static int urcu_read_lock(void *dom)
{
	urcu_memb_read_lock();
	return 0;
}

static void urcu_read_unlock(void *dom, int idx)
{
	urcu_memb_read_unlock();
}

static void urcu_sync(void *dom)
{
	urcu_memb_synchronize_rcu();
}

static void urcu_call(void *dom, struct rcu_head *rhp, rcu_callback_t func)
{
	urcu_memb_call_rcu(rhp, func);
}

static void urcu_barrier(void *dom)
{
	urcu_memb_barrier();
}

const struct bench_flavour bench_urcu = {
	.name = "urcu-memb",
	.create = urcu_create,
	.create_fast = urcu_create,
	.destroy = urcu_destroy,
	.read_lock = urcu_read_lock,
	.read_unlock = urcu_read_unlock,
	.sync = urcu_sync,
	.call = urcu_call,
	.barrier = urcu_barrier,
	/* call_rcu() takes a read lock inside: callers must be registered. */
	.thread_online = urcu_memb_register_thread,
	.thread_offline = urcu_memb_unregister_thread,
};

void bench_thread_online(const struct bench_flavour *fl)
{
	if (fl->thread_online)
		fl->thread_online();
}

void bench_thread_offline(const struct bench_flavour *fl)
{
	if (fl->thread_offline)
		fl->thread_offline();
}

void bench_param_set(const char *name, long value)
{
	for (int i = 0; i < bench_nr_srcu_flavours; i++) {
		const struct bench_flavour *fl = bench_srcu_flavours[i];
		int err = fl->param_set(name, value);

		/* Tiny may lack a Tree-only tunable; Tree must have them all. */
		if (err && (fl == &bench_tree || err != -ENOENT))
			bench_die("%s: srcu_param_set(\"%s\", %ld): %s", fl->name,
				  name, value, strerror(-err));
	}
}

void bench_get_stats(const struct bench_flavour *fl, void *dom,
		     struct srcu_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (fl->get_stats && fl->get_stats(dom, st))
		bench_die("%s: srcu_get_stats() failed", fl->name);
}
