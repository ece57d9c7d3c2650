/*
 * segcblist.c: the segmented callback list of segcblist.h.  Called by
 * srcutree.c with the owning srcu_data's lock held.
 */
#include "segcblist.h"

void srcu_segcblist_init(struct srcu_segcblist *l)
{
	int i;

	l->head = NULL;
	for (i = 0; i < SRCU_CBLIST_NSEGS; i++) {
		l->tails[i] = &l->head;
		l->gp_seq[i] = 0;
	}
	l->len = 0;
}

bool srcu_segcblist_segempty(const struct srcu_segcblist *l, int seg)
{
	if (seg == SRCU_DONE_TAIL)
		return l->tails[SRCU_DONE_TAIL] == &l->head;
	return l->tails[seg - 1] == l->tails[seg];
}

void srcu_segcblist_enqueue(struct srcu_segcblist *l, struct rcu_head *rhp)
{
	rhp->next.next = NULL;
	*l->tails[SRCU_NEXT_TAIL] = &rhp->next;
	l->tails[SRCU_NEXT_TAIL] = &rhp->next.next;
	l->len++;
}

bool srcu_segcblist_entrain(struct srcu_segcblist *l, struct rcu_head *rhp)
{
	int i;

	/* len, not head: a batch taken out for invocation is still ahead of rhp. */
	if (!l->len)
		return false;
	rhp->next.next = NULL;
	/* Find the last non-empty segment; rhp joins it. */
	for (i = SRCU_NEXT_TAIL; i > SRCU_DONE_TAIL; i--)
		if (!srcu_segcblist_segempty(l, i))
			break;
	*l->tails[i] = &rhp->next;
	/* Every tail at or after segment i now ends at rhp. */
	for (; i < SRCU_CBLIST_NSEGS; i++)
		l->tails[i] = &rhp->next.next;
	l->len++;
	return true;
}

void srcu_segcblist_advance(struct srcu_segcblist *l, unsigned long seq)
{
	int i, j;

	if (!srcu_segcblist_pend_cbs(l))
		return;
	/* Segments WAIT and NEXT_READY whose grace period is over join DONE. */
	for (i = SRCU_WAIT_TAIL; i < SRCU_NEXT_TAIL; i++) {
		if (ULONG_CMP_LT(seq, l->gp_seq[i]))
			break;
		l->tails[SRCU_DONE_TAIL] = l->tails[i];
	}
	if (i == SRCU_WAIT_TAIL)
		return;
	/* Segments between DONE and i are now empty: point them at DONE's end. */
	for (j = SRCU_WAIT_TAIL; j < i; j++)
		l->tails[j] = l->tails[SRCU_DONE_TAIL];
	/* Slide the remaining waiting segments down to close the gap. */
	for (j = SRCU_WAIT_TAIL; i < SRCU_NEXT_TAIL; i++, j++) {
		if (l->tails[j] == l->tails[SRCU_NEXT_TAIL])
			break;
		l->tails[j] = l->tails[i];
		l->gp_seq[j] = l->gp_seq[i];
	}
}

bool srcu_segcblist_accelerate(struct srcu_segcblist *l, unsigned long seq)
{
	int i, j;

	if (srcu_segcblist_segempty(l, SRCU_NEXT_TAIL))
		return false;
	/*
	 * Find the last segment before NEXT that is non-empty and waits for a
	 * grace period ending no later than seq; NEXT's callbacks go right
	 * after it.  Segments waiting for later grace periods merge in too,
	 * since seq covers them.
	 */
	for (i = SRCU_NEXT_READY_TAIL; i > SRCU_DONE_TAIL; i--)
		if (!srcu_segcblist_segempty(l, i) &&
		    ULONG_CMP_LT(l->gp_seq[i], seq))
			break;
	/* i is DONE, or a segment that must stay as it is. */
	if (i == SRCU_NEXT_READY_TAIL)
		return false;	/* No room: every waiting segment is in use. */
	for (j = i + 1; j <= SRCU_NEXT_READY_TAIL; j++) {
		l->tails[j] = l->tails[SRCU_NEXT_TAIL];
		l->gp_seq[j] = seq;
	}
	return true;
}

void srcu_segcblist_extract_done(struct srcu_segcblist *l, struct srcu_cblist *out)
{
	srcu_cb_link **done_tail = l->tails[SRCU_DONE_TAIL];
	long n = 0;
	srcu_cb_link *p;
	int i;

	out->head = NULL;
	out->tail = &out->head;
	out->len = 0;
	if (done_tail == &l->head)
		return;
	out->head = l->head;
	out->tail = done_tail;
	for (p = out->head; p; p = p->next) {
		n++;
		if (&p->next == done_tail)
			break;
	}
	out->len = n;
	l->head = *done_tail;
	*done_tail = NULL;
	for (i = SRCU_CBLIST_NSEGS - 1; i >= SRCU_DONE_TAIL; i--)
		if (l->tails[i] == done_tail)
			l->tails[i] = &l->head;
}
