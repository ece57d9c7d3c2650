/*
 * srcu/work.h: the layout of a work item of libsrcu's shared worker pool.
 * It is public only because a Tiny srcu_struct embeds one and must be
 * statically initialisable (DEFINE_SRCU); its fields are not API.
 */
#ifndef SRCU_WORK_H
#define SRCU_WORK_H

#include <stdint.h>
#include <urcu/list.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Which pool runs a work item: grace-period machinery, or callbacks. */
enum srcu_work_pool {
	SRCU_WQ_GP = 0,		/* drives grace periods; never runs user code */
	SRCU_WQ_CB = 1,		/* invokes callbacks; user code may block here */
	SRCU_WQ_NR_POOLS
};

struct srcu_work {
	void (*func)(struct srcu_work *work);	/* what runs */
	struct srcu_work *next;			/* run-queue link */
	struct cds_list_head timer_node;	/* delayed: place in the timer list */
	uint64_t due_ns;			/* delayed: CLOCK_MONOTONIC deadline */
	unsigned int state;			/* SRCU_WORK_* bits, atomic */
	unsigned int pool;			/* enum srcu_work_pool */
};

/* A work item that runs fn on pool; usable in static initialisers. */
#define SRCU_WORK_INITIALIZER(fn, p) { .func = (fn), .pool = (p) }

#ifdef __cplusplus
}
#endif

#endif /* SRCU_WORK_H */
