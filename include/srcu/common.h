/*
 * srcu/common.h: what both flavours share: the callback type, the polling
 * sentinel, the statistics snapshot.  Included by <srcu/tree.h> and
 * <srcu/tiny.h>; users include <srcu.h>.
 */
#ifndef SRCU_COMMON_H
#define SRCU_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * struct rcu_head is liburcu's.  If the same file also uses a liburcu
 * flavour (<urcu/urcu-memb.h> and friends), include that header before
 * <srcu.h>: liburcu's flavour headers rename call_rcu() through their map
 * headers before <urcu/call-rcu.h> is read, and its include guard lets that
 * happen only once.
 */
#include <urcu/call-rcu.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A callback queued by call_srcu(); the kernel's name. */
typedef void (*rcu_callback_t)(struct rcu_head *head);

/* A polling cookie that every poll_state_synchronize_srcu() reports done. */
#define SRCU_GET_STATE_COMPLETED 0x1UL

/* Grace-period statistics of one srcu_struct, a snapshot (srcu_get_stats). */
struct srcu_stats {
	const char *flavour;		/* "tree" or "tiny" */
	unsigned long gp_seq;		/* grace-period sequence (Tree) or srcu_idx (Tiny) */
	unsigned long gp_seq_needed;	/* furthest grace period requested */
	unsigned long gp_seq_needed_exp;/* furthest expedited request (Tree) */
	int size_state;			/* Tree: SRCU_SIZE_* value; Tiny: 0 */
	const char *size_state_name;	/* "SMALL" .. "BIG", or "tiny" */
	unsigned long nr_cpus;		/* per-CPU elements (1 on Tiny) */
	unsigned long nr_nodes;		/* srcu_node count (0 while small, Tiny) */
	unsigned long gp_normal;	/* grace periods completed as normal */
	unsigned long gp_expedited;	/* grace periods completed expedited */
	unsigned long promotions;	/* sleeping normal GPs woken by an expedited request */
	unsigned long transfers;	/* normal GPs that slept out their delay while an
					 * expedited request waited (the seed's transfer) */
	unsigned long cbs_queued;	/* callbacks queued by call_srcu*() and barrier */
	unsigned long cbs_invoked;	/* callbacks invoked */
	long readers[2];		/* locks minus unlocks, per index, racy */
	unsigned int reader_flavours;	/* SRCU_READ_FLAVOR_* bits seen so far */
	bool membarrier;		/* fast readers rely on membarrier (else read-side fences) */
	bool gp_sleeping;		/* Tree: a grace period sleeps out a delay on
					 * the grace-period worker's timer */
	unsigned long gp_by_waiter;	/* Tree: grace periods ended by a waiting
					 * thread itself, not by a worker */
	unsigned long waiter_polls;	/* Tree: times such a waiter slept a moment
					 * for readers to leave */
};

/*
 * Around the static definitions (SRCU_TREE_DEFINE(), SRCU_TINY_DEFINE(),
 * hence DEFINE_SRCU()), so that they compile as C++ under -Wextra too: the
 * initialisers name only the members that are not zero, which C accepts
 * quietly and C++ reports (-Wmissing-field-initializers).  A #pragma cannot
 * sit inside a declaration, so in C++ the definition ends before the pop
 * and a static_assert takes the caller's semicolon.
 */
#ifdef __cplusplus
#define SRCU_DEFINE_BEGIN						\
	_Pragma("GCC diagnostic push")					\
	_Pragma("GCC diagnostic ignored \"-Wmissing-field-initializers\"")
#define SRCU_DEFINE_END	; _Pragma("GCC diagnostic pop") static_assert(true, "")
#else
#define SRCU_DEFINE_BEGIN
#define SRCU_DEFINE_END
#endif

/*
 * Not API, from here on: what both flavours' srcu_structs embed.
 *
 * srcu_state: what the update side may do with the struct.  A magic word,
 * so that memory that was never initialised (or was overwritten) is told
 * from a struct in use, and a cleaned-up struct from an untouched one.
 */
#define SRCU_STATE_STATIC	0x53524353u	/* Tree's DEFINE_SRCU(), not used yet */
#define SRCU_STATE_LIVE		0x5352434cu	/* initialised, in use */
#define SRCU_STATE_DEAD		0x53524344u	/* cleaned up */

/*
 * A grace period held up by readers, as the stall warnings follow it
 * (src/stall.c): which one, since when, how many warnings so far.  Only
 * the update side touches it, under a lock of the struct's (its due time
 * is also read without).
 */
struct srcu_stall {
	unsigned long gp;		/* the grace period being followed */
	uint64_t since_ns;		/* held up since (CLOCK_MONOTONIC); 0: none */
	uint64_t next_ns;		/* next warning due, once one is out */
	unsigned int warnings;		/* warnings printed about it */
};

/* Reader flavours, as bits (the kernel's SRCU_READ_FLAVOR_*). */
#define SRCU_READ_FLAVOR_NORMAL		0x1	/* srcu_read_lock() */
#define SRCU_READ_FLAVOR_NMI		0x2	/* srcu_read_lock_nmisafe() */
#define SRCU_READ_FLAVOR_FAST		0x8	/* srcu_read_lock_fast() */
#define SRCU_READ_FLAVOR_FAST_UPDOWN	0x10	/* srcu_down_read_fast() */

#ifdef __cplusplus
}
#endif

#endif /* SRCU_COMMON_H */
