/*
 * srcutree-internal.h: the update-side layout of Tree SRCU (srcu_usage,
 * srcu_node, per-CPU srcu_data) and the rcu_seq arithmetic.  Private to
 * srcutree.c and to the internal tests that look inside it.
 */
#ifndef SRCU_TREE_INTERNAL_H
#define SRCU_TREE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include <srcu/tree.h>
#include <srcu/work.h>
#include "fork.h"
#include "internal.h"
#include "segcblist.h"

/*
 * Grace-period sequence numbers (srcu_gp_seq and friends): the low two bits
 * hold the state of the grace period, the rest count grace periods.
 */
#define SRCU_SEQ_CTR_SHIFT	2
#define SRCU_SEQ_STATE_MASK	((1UL << SRCU_SEQ_CTR_SHIFT) - 1)
#define SRCU_STATE_IDLE		0	/* no grace period running */
#define SRCU_STATE_SCAN1	1	/* checking the inactive index, then flip */
#define SRCU_STATE_SCAN2	2	/* checking the index just retired */

/* Start 100 grace periods before the counter wraps, so wrap bugs show early. */
#define SRCU_GP_SEQ_INITIAL_VAL	((0UL - 100UL) << SRCU_SEQ_CTR_SHIFT)

/* srcu_node sequence slots start with this impossible value (state 2, ctr 0). */
#define SRCU_SNP_INIT_SEQ	0x2UL

/* Combining-tree shape: CPUs per leaf, children per inner node. */
#define SRCU_FANOUT_LEAF	16
#define SRCU_FANOUT		64
#define SRCU_MAX_LEVELS		4	/* 16 * 64^3 = 4M CPUs */

/* Sizes of srcu_struct, moving up one step per grace period once started. */
enum srcu_size_state {
	SRCU_SIZE_SMALL,	/* CPU 0's srcu_data only; no tree */
	SRCU_SIZE_ALLOC,	/* allocate the tree at the next GP end */
	SRCU_SIZE_WAIT_BARRIER,	/* funnel uses the tree; barrier entrains everywhere */
	SRCU_SIZE_WAIT_CALL,	/* call_srcu() uses this CPU's srcu_data */
	SRCU_SIZE_WAIT_CBS1,	/* let callbacks queued on CPU 0 drain ... */
	SRCU_SIZE_WAIT_CBS2,
	SRCU_SIZE_WAIT_CBS3,
	SRCU_SIZE_WAIT_CBS4,
	SRCU_SIZE_BIG,		/* GP end visits only leaves with callbacks */
};

/* convert_to_big values. */
#define SRCU_SIZING_NONE	0
#define SRCU_SIZING_INIT	1
#define SRCU_SIZING_TORTURE	2	/* on srcu_stats_print() */
#define SRCU_SIZING_AUTO	3
#define SRCU_SIZING_CONTEND	0x10

/* srcu_expedite_current()'s per-CPU state (srcu_data.srcu_ec_state). */
enum srcu_ec_state {
	SRCU_EC_IDLE,		/* no expediting callback queued */
	SRCU_EC_PENDING,	/* srcu_ec_head queued, nothing asked since */
	SRCU_EC_REPOST,		/* asked again meanwhile: queue it once more */
};

/*
 * Update-side state of one CPU, in two groups on cache lines of their
 * own: what call_srcu() touches on every call, and what the callback
 * invoker writes on every callback it runs.  Sharing a line, the two
 * would pull it from each other's CPU once per callback on each side
 * (doc/design.md, "Asking for a grace period").
 */
struct srcu_data {
	/* Queueing side, and what grace periods and srcu_barrier() use. */
	pthread_mutex_t lock;			/* guards this group */
	struct srcu_segcblist srcu_cblist;	/* callbacks queued on this CPU */
	unsigned long srcu_gp_seq_needed;	/* furthest GP this CPU asked for */
	unsigned long srcu_gp_seq_needed_exp;	/* furthest expedited GP asked for */
	unsigned long n_cbs_queued;		/* statistics: under lock */
	bool srcu_cblist_invoking;		/* a worker is invoking our callbacks */
	int srcu_ec_state;			/* enum srcu_ec_state */
	struct srcu_node *mynode;		/* leaf srcu_node, once big */
	unsigned long grpmask;			/* our bit in mynode's masks */
	unsigned int cpu;			/* index in sda[] */
	struct srcu_tree_struct *ssp;		/* owner */
	struct srcu_work work;			/* invokes callbacks (CB pool) */
	struct rcu_head srcu_barrier_head;	/* srcu_barrier()'s callback */
	struct rcu_head srcu_ec_head;		/* srcu_expedite_current()'s callback */

	/* Invoking side: written by the invoker alone, per callback. */
	struct srcu_cblist srcu_invoking	/* the batch: callbacks not yet started */
		__attribute__((aligned(CAA_CACHE_LINE_SIZE)));
	long srcu_invoking_len;			/* callbacks the batch was taken out with */
	long srcu_cbs_in_flight;		/* of that batch, callbacks not yet run */
	unsigned long n_cbs_invoked;		/* statistics */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

/* A node of the combining tree that funnels grace-period requests. */
struct srcu_node {
	pthread_mutex_t lock;			/* guards the fields below */
	unsigned long srcu_have_cbs[4];		/* GP requested, by GP counter % 4 */
	unsigned long srcu_data_have_cbs[4];	/* leaf: which CPUs have callbacks */
	unsigned long srcu_gp_seq_needed_exp;	/* furthest expedited GP requested */
	unsigned long srcu_cbs_ready;		/* leaf: CPUs whose callbacks an ended GP
						 * left to schedule */
	struct srcu_node *srcu_parent;		/* NULL at the root */
	int grplo;				/* first CPU below this node */
	int grphi;				/* last CPU below this node */
};

/*
 * Grouped by who writes what, each group on cache lines of its own (the
 * struct is allocated aligned): every call_srcu() reads the first group
 * and the counter's, and would otherwise miss its cache line each time
 * the grace-period driver takes the lock or bumps a statistic.
 */
struct srcu_tree_usage {
	/* Read-mostly: set at init, on the move to big, after fork(). */
	struct srcu_node *node;			/* all nodes, breadth first */
	struct srcu_node *level[SRCU_MAX_LEVELS];/* first node of each level */
	int num_levels;				/* levels in the tree */
	int num_nodes;				/* nodes in the tree */
	int srcu_size_state;			/* enum srcu_size_state */
	int srcu_sizing;			/* convert_to_big for this struct */
	struct srcu_data *sda;			/* per-CPU update side, srcu_nr_cpus entries */
	struct srcu_tree_struct *srcu_ssp;	/* owner */
	unsigned long srcu_fork_gen;		/* srcu_fork_gen when last used (srcu_after_fork()) */

	/* The counter and the requests, which every request reads. */
	unsigned long srcu_gp_seq		/* GP counter, state in low 2 bits */
		__attribute__((aligned(CAA_CACHE_LINE_SIZE)));
	unsigned long srcu_gp_seq_needed;	/* furthest GP requested */
	unsigned long srcu_gp_seq_needed_exp;	/* furthest expedited GP requested */
	unsigned long srcu_exp_cbs_seq;		/* furthest GP a callback asked to expedite */
	unsigned long srcu_gp_scanned;		/* furthest GP whose first scan has begun */

	/* Grace-period state. */
	pthread_mutex_t lock			/* guards seq numbers, sizing, the steps */
		__attribute__((aligned(CAA_CACHE_LINE_SIZE)));
	pthread_mutex_t srcu_cb_mutex;		/* at most one GP ahead of callback scheduling */
	unsigned long srcu_gp_start;		/* jiffies when the current GP started */
	uint64_t srcu_last_gp_end;		/* ns when the last GP ended */
	unsigned long srcu_size_jiffies;	/* jiffy of the contention count below */
	unsigned long srcu_n_lock_retries;	/* lock contentions in that jiffy */
	unsigned long srcu_n_exp_nodelay;	/* no-delay retries in this phase */
	unsigned long reschedule_jiffies;	/* jiffy of the count below */
	unsigned long reschedule_count;		/* no-delay reschedules in that jiffy */
	int srcu_gp_work;			/* SRCU_GPW_*: what process_srcu will do */
	unsigned long srcu_sleep_gp;		/* srcu_gp_seq when its sleep began */
	unsigned long srcu_sleep_needed_exp;	/* srcu_gp_seq_needed_exp then, or as seen since */
	bool srcu_cbs_deferred;			/* ended GPs' callbacks left to process_srcu */
	struct srcu_work work;			/* runs process_srcu (GP pool) */
	int32_t srcu_gp_end_futex;		/* bumped at every GP end */
	int srcu_gp_waiters;			/* threads asleep on it */
	struct srcu_stall srcu_stall;		/* stall warnings; under lock (due time: atomic) */

	/* srcu_barrier() state. */
	pthread_mutex_t srcu_barrier_mutex;	/* starting a barrier; never held while waiting */
	unsigned long srcu_barrier_seq;		/* barrier sequence (rcu_seq) */
	int srcu_barrier_cpu_cnt;		/* callbacks still to run, + 1 while starting */
	int32_t srcu_barrier_ends;		/* futex: bumped at every barrier's end */

	/* Statistics (relaxed counters). */
	unsigned long n_gp_normal;		/* GPs that ended as normal */
	unsigned long n_gp_expedited;		/* GPs that ended expedited */
	unsigned long n_promotions;		/* sleeping GPs woken by an expedited request */
	unsigned long n_transfers;		/* sleeps an expedited request sat through */
	unsigned long n_gp_by_waiter;		/* GPs ended by a waiting thread, not the work */
	unsigned long n_waiter_polls;		/* such a thread slept for readers (atomic) */
};

#define srcu_tree_fork		SRCU_PRIV(tree_fork)

/*
 * fork() handler of Tree's global state (src/fork.c): the lock that
 * DEFINE_SRCU()'s first use takes, and the fork generation that each
 * struct's first update-side call in a child compares (srcu_after_fork()).
 */
void srcu_tree_fork(enum srcu_fork_phase phase);

/* rcu_seq arithmetic (the kernel's kernel/rcu/rcu.h, in our words). */
static inline unsigned long srcu_seq_ctr(unsigned long s)
{
	return s >> SRCU_SEQ_CTR_SHIFT;
}

static inline int srcu_seq_state(unsigned long s)
{
	return s & SRCU_SEQ_STATE_MASK;
}

/*
 * Sequence numbers are read with acquire and written with release, on top
 * of the full barriers the kernel places around them.  The barriers alone
 * order a grace period's end before what a waiter does next only where a
 * barrier also follows the waiter's read (synchronize_srcu(), polling);
 * the callback invoker reads srcu_gp_seq and runs the callbacks with no
 * barrier in between, so it needs the acquire: it pairs with the release
 * of srcu_seq_end() (or of any later store, each made under sup->lock
 * after it), which follows the scan's acquire loads of the readers'
 * exits.  That chain is also the one ThreadSanitizer can follow: it does
 * not model fences.  Both cost nothing on x86 (plain moves).
 */
static inline unsigned long srcu_seq_current(const unsigned long *sp)
{
	return __atomic_load_n(sp, __ATOMIC_ACQUIRE);
}

static inline void srcu_seq_set_state(unsigned long *sp, int newstate)
{
	__atomic_store_n(sp, (*sp & ~SRCU_SEQ_STATE_MASK) + newstate, __ATOMIC_RELEASE);
}

/* Begin a GP: state goes 0 -> 1, then a full barrier. */
static inline void srcu_seq_start(unsigned long *sp)
{
	__atomic_store_n(sp, *sp + 1, __ATOMIC_RELEASE);
	smp_mb(); /* The GP's accesses come after the start. */
}

/* The value the sequence takes when the grace period in progress at s ends. */
static inline unsigned long srcu_seq_end_of(unsigned long s)
{
	return (s | SRCU_SEQ_STATE_MASK) + 1;
}

/* End a GP: full barrier, then round up to the next counter, state 0. */
static inline void srcu_seq_end(unsigned long *sp)
{
	smp_mb(); /* The GP's accesses come before the end. */
	/* Release as well: what ThreadSanitizer pairs with an acquire of the end. */
	smp_store_release(sp, srcu_seq_end_of(*sp));
}

/*
 * With the sequence at cur, the value it will have once a full grace
 * period has passed: the end of the next GP to start, or of the one after
 * the current GP.
 */
static inline unsigned long srcu_seq_snap_of(unsigned long cur)
{
	return (cur + 2 * SRCU_SEQ_STATE_MASK + 1) & ~SRCU_SEQ_STATE_MASK;
}

/* srcu_seq_snap_of() of *sp now, after a full barrier. */
static inline unsigned long srcu_seq_snap(const unsigned long *sp)
{
	smp_mb(); /* The caller's prior accesses come before the snapshot. */
	return srcu_seq_snap_of(srcu_seq_current(sp));
}

static inline bool srcu_seq_done(const unsigned long *sp, unsigned long s)
{
	return ULONG_CMP_GE(srcu_seq_current(sp), s);
}

/* Done, or so far behind s that it must have wrapped past it. */
static inline bool srcu_seq_done_exact(const unsigned long *sp, unsigned long s)
{
	unsigned long cur = srcu_seq_current(sp);

	return ULONG_CMP_GE(cur, s) ||
	       ULONG_CMP_LT(cur, s - (3 * SRCU_SEQ_STATE_MASK + 1));
}

#endif /* SRCU_TREE_INTERNAL_H */
