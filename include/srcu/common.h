/*
 * srcu/common.h: what both flavours share: the callback type, the polling
 * sentinel, the statistics snapshot, the version macros.  Included by <srcu/tree.h> and
 * <srcu/tiny.h>; users include <srcu.h>.
 */
#ifndef SRCU_COMMON_H
#define SRCU_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <srcu/version.h>

/*
 * struct rcu_head is liburcu's, from <urcu/call-rcu.h>.  liburcu's flavour
 * headers (<urcu/urcu-memb.h> and the others) read that header with their
 * map in force, so that it declares urcu_memb_call_rcu() and friends; its
 * include guard lets it be read once.  If we are the first to read it, a
 * flavour header included after us finds it read and declares none of its
 * call_rcu() family, so we declare the family of every flavour here (the
 * same prototypes; names as liburcu's map headers give them), and the
 * order of the includes does not matter.
 */
#ifndef _URCU_CALL_RCU_H
#include <urcu/call-rcu.h>
#define SRCU_URCU_CALL_RCU_API(f)						\
	void urcu_##f##_call_rcu(struct rcu_head *head,				\
				 void (*func)(struct rcu_head *head));		\
	struct call_rcu_data *urcu_##f##_create_call_rcu_data(unsigned long flags, \
							     int cpu_affinity); \
	void urcu_##f##_call_rcu_data_free(struct call_rcu_data *crdp);	\
	struct call_rcu_data *urcu_##f##_get_default_call_rcu_data(void);	\
	struct call_rcu_data *urcu_##f##_get_cpu_call_rcu_data(int cpu);	\
	struct call_rcu_data *urcu_##f##_get_thread_call_rcu_data(void);	\
	struct call_rcu_data *urcu_##f##_get_call_rcu_data(void);		\
	pthread_t urcu_##f##_get_call_rcu_thread(struct call_rcu_data *crdp);	\
	void urcu_##f##_set_thread_call_rcu_data(struct call_rcu_data *crdp);	\
	int urcu_##f##_set_cpu_call_rcu_data(int cpu, struct call_rcu_data *crdp); \
	int urcu_##f##_create_all_cpu_call_rcu_data(unsigned long flags);	\
	void urcu_##f##_free_all_cpu_call_rcu_data(void);			\
	void urcu_##f##_call_rcu_before_fork(void);				\
	void urcu_##f##_call_rcu_after_fork_parent(void);			\
	void urcu_##f##_call_rcu_after_fork_child(void);			\
	void urcu_##f##_barrier(void);
#ifdef __cplusplus
extern "C" {
#endif
SRCU_URCU_CALL_RCU_API(memb)
SRCU_URCU_CALL_RCU_API(mb)
SRCU_URCU_CALL_RCU_API(signal)
SRCU_URCU_CALL_RCU_API(qsbr)
SRCU_URCU_CALL_RCU_API(bp)
#ifdef __cplusplus
}
#endif
#undef SRCU_URCU_CALL_RCU_API
#endif /* !_URCU_CALL_RCU_H */

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
	unsigned long gp_normal;	/* GPs that ended with no expedited request pending */
	unsigned long gp_expedited;	/* GPs that ended with one pending (transfers too) */
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
 * The link-time flavour check of DECLARE_SRCU().  A definition of a
 * non-static srcu_struct defines a one-byte marker named after its flavour
 * and its name; a declaration references the marker of its own flavour
 * (through a static pointer the compiler must keep).  A Tree srcu_struct
 * declared by a Tiny file, or the reverse, is then an undefined reference
 * to srcu_tiny_defined_<name> (srcu_tree_defined_<name>) at link time,
 * where a bare extern declaration would link and use one flavour's layout
 * as the other's.  The marker of a static definition is static and unused.
 */
#define SRCU_DEFINE_MARKER(scope, marker)				\
	scope char marker __attribute__((unused))
#define SRCU_DECLARE_MARKER(marker)					\
	extern char marker;						\
	static char *const marker##_ref __attribute__((used, unused)) = &marker

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
