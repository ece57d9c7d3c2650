/*
 * segcblist.h: a segmented callback list, the kernel's rcu_segcblist
 * reimplemented for one srcu_data.  Used by srcutree.c under the owning
 * srcu_data's lock; nothing here is thread-safe on its own.
 *
 * One singly linked list of rcu_heads is cut into four segments by tail
 * pointers.  The link is the rcu_head's own liburcu queue node (rhp->next),
 * which is ours while the callback is queued here:
 *
 *   head -> [DONE] -> [WAIT] -> [NEXT_READY] -> [NEXT] -> NULL
 *
 * DONE: grace period over, ready to invoke.  WAIT: waiting for the grace
 * period in gp_seq[WAIT].  NEXT_READY: waiting for gp_seq[NEXT_READY], a
 * later one.  NEXT: just queued, no grace period assigned yet.
 */
#ifndef SRCU_SEGCBLIST_H
#define SRCU_SEGCBLIST_H

#include <stdbool.h>

#include <srcu/common.h>
#include "internal.h"

enum {
	SRCU_DONE_TAIL,
	SRCU_WAIT_TAIL,
	SRCU_NEXT_READY_TAIL,
	SRCU_NEXT_TAIL,
	SRCU_CBLIST_NSEGS
};

typedef struct cds_wfcq_node srcu_cb_link;	/* rcu_head.next */

struct srcu_segcblist {
	srcu_cb_link *head;				/* first callback, or NULL */
	srcu_cb_link **tails[SRCU_CBLIST_NSEGS];	/* end of each segment */
	unsigned long gp_seq[SRCU_CBLIST_NSEGS];	/* GP each segment waits for */
	long len;					/* callbacks in the list */
};

/* A plain list of callbacks taken out of a segmented one. */
struct srcu_cblist {
	srcu_cb_link *head;
	srcu_cb_link **tail;
	long len;
};

#define srcu_segcblist_init		SRCU_PRIV(segcblist_init)
#define srcu_segcblist_enqueue		SRCU_PRIV(segcblist_enqueue)
#define srcu_segcblist_entrain		SRCU_PRIV(segcblist_entrain)
#define srcu_segcblist_advance		SRCU_PRIV(segcblist_advance)
#define srcu_segcblist_accelerate	SRCU_PRIV(segcblist_accelerate)
#define srcu_segcblist_extract_done	SRCU_PRIV(segcblist_extract_done)
#define srcu_segcblist_segempty		SRCU_PRIV(segcblist_segempty)

void srcu_segcblist_init(struct srcu_segcblist *l);

/* Add rhp at the end (NEXT segment). */
void srcu_segcblist_enqueue(struct srcu_segcblist *l, struct rcu_head *rhp);

/*
 * Add rhp behind the last callback, in that callback's segment (so it is
 * invoked after every callback already queued, including a batch taken out
 * for invocation).  False if l counts no callback at all.
 */
bool srcu_segcblist_entrain(struct srcu_segcblist *l, struct rcu_head *rhp);

/* Move to DONE every segment whose grace period seq has completed. */
void srcu_segcblist_advance(struct srcu_segcblist *l, unsigned long seq);

/*
 * Give the NEXT callbacks grace period seq, merging with a segment that
 * already waits for seq or a later one.  False if there was nothing to do.
 */
bool srcu_segcblist_accelerate(struct srcu_segcblist *l, unsigned long seq);

/* Take out the DONE segment (the callbacks stay counted in l->len). */
void srcu_segcblist_extract_done(struct srcu_segcblist *l, struct srcu_cblist *out);

bool srcu_segcblist_segempty(const struct srcu_segcblist *l, int seg);

static inline bool srcu_segcblist_empty(const struct srcu_segcblist *l)
{
	return !l->head;
}

/* Callbacks ready to invoke? */
static inline bool srcu_segcblist_ready_cbs(const struct srcu_segcblist *l)
{
	return l->head && l->tails[SRCU_DONE_TAIL] != &l->head;
}

/* Callbacks still waiting for a grace period? */
static inline bool srcu_segcblist_pend_cbs(const struct srcu_segcblist *l)
{
	return *l->tails[SRCU_DONE_TAIL] != NULL;
}

/* Unlink and return the first callback of a plain list, or NULL. */
static inline struct rcu_head *srcu_cblist_dequeue(struct srcu_cblist *cl)
{
	srcu_cb_link *link = cl->head;

	if (!link)
		return NULL;
	cl->len--;
	cl->head = link->next;
	if (!cl->head)
		cl->tail = &cl->head;
	return caa_container_of(link, struct rcu_head, next);
}

#endif /* SRCU_SEGCBLIST_H */
