/*
 * notifier.c: SRCU notifier chains (<srcu/notifier.h>), the kernel's
 * srcu_notifier_* of kernel/notifier.c in our words.  Kernel-style code
 * itself: compiled into each flavour library through <srcu.h> (with
 * SRCU_TINY for Tiny), so every kernel name below is the flavour's
 * prefixed symbol, as in a user's program.
 *
 * The chain is a singly linked list in priority order.  Writers change it
 * under nh->mutex, publishing each link with a release store; readers walk
 * it inside an SRCU reader of nh->srcu, loading each link with
 * srcu_dereference(), so a block they reach is seen initialised.  A block
 * taken off the chain keeps its next pointer, so a reader standing on it
 * walks on; unregistration waits for a grace period before it returns, so
 * no reader is left on the block when its owner frees it.
 */
#if defined(SRCU_FLAVOUR_TINY) && !defined(SRCU_TINY)
#define SRCU_TINY 1
#endif

#include <errno.h>

#include <srcu/notifier.h>
#include "internal.h"

SRCU_EXPORT int srcu_init_notifier_head(struct srcu_notifier_head *nh)
{
	int ret;

	if (!nh)
		return -EINVAL;
	ret = init_srcu_struct(&nh->srcu);
	if (ret)
		return ret;
	srcu_check_pthread(pthread_mutex_init(&nh->mutex, NULL));
	nh->head = NULL;
	return 0;
}

/* Nothing freed unless the srcu_struct could be (-EBUSY otherwise). */
SRCU_EXPORT int srcu_cleanup_notifier_head(struct srcu_notifier_head *nh)
{
	int ret;

	if (!nh)
		return -EINVAL;
	ret = cleanup_srcu_struct(&nh->srcu);
	if (ret)
		return ret;
	srcu_check_pthread(pthread_mutex_destroy(&nh->mutex));
	return 0;
}

/*
 * Insert nb before the first block of lower priority, so blocks of equal
 * priority are called in registration order.  A block already on the
 * chain is refused (-EEXIST), as the kernel refuses it.
 */
SRCU_EXPORT int srcu_notifier_chain_register(struct srcu_notifier_head *nh,
					     struct notifier_block *nb)
{
	struct notifier_block **link;
	int ret = 0;

	if (!nh || !nb || !nb->notifier_call)
		return -EINVAL;
	srcu_check_pthread(pthread_mutex_lock(&nh->mutex));
	for (link = &nh->head; *link; link = &(*link)->next) {
		if (*link == nb) {
			SRCU_PRIV(warn)("srcu_notifier_chain_register(): notifier_block %p "
					"is already registered", (void *)nb);
			ret = -EEXIST;
			goto out;
		}
		if (nb->priority > (*link)->priority)
			break;
	}
	nb->next = *link;
	/* Release: a reader that finds nb sees it filled in. */
	__atomic_store_n(link, nb, __ATOMIC_RELEASE);
out:
	srcu_check_pthread(pthread_mutex_unlock(&nh->mutex));
	return ret;
}

/*
 * Unlink nb (-ENOENT if it is not on the chain), then wait for the readers
 * that may still be on it, as the kernel does in both cases.  Must not be
 * called from one of the chain's own callbacks: that reader would wait
 * for itself.
 */
SRCU_EXPORT int srcu_notifier_chain_unregister(struct srcu_notifier_head *nh,
					       struct notifier_block *nb)
{
	struct notifier_block **link;
	int ret = -ENOENT;

	if (!nh || !nb)
		return -EINVAL;
	srcu_check_pthread(pthread_mutex_lock(&nh->mutex));
	for (link = &nh->head; *link; link = &(*link)->next) {
		if (*link == nb) {
			/* Release: what nb->next points to was published already. */
			__atomic_store_n(link, nb->next, __ATOMIC_RELEASE);
			ret = 0;
			break;
		}
	}
	srcu_check_pthread(pthread_mutex_unlock(&nh->mutex));
	synchronize_srcu(&nh->srcu);
	return ret;
}

/*
 * Call each block in turn with (action, data) until one returns a value
 * with NOTIFY_STOP_MASK; return the last value returned, or NOTIFY_DONE
 * for an empty chain.  The next link is read before the call, so a block
 * unlinked meanwhile does not cut the walk short.
 */
SRCU_EXPORT int srcu_notifier_call_chain(struct srcu_notifier_head *nh,
					 unsigned long action, void *data)
{
	struct notifier_block *nb, *next;
	int ret = NOTIFY_DONE;
	int idx;

	if (!nh)
		srcu_die("srcu_notifier_call_chain(): NULL notifier head");
	idx = srcu_read_lock(&nh->srcu);
	for (nb = srcu_dereference(nh->head, &nh->srcu); nb; nb = next) {
		next = srcu_dereference(nb->next, &nh->srcu);
		ret = nb->notifier_call(nb, action, data);
		if (ret & NOTIFY_STOP_MASK)
			break;
	}
	srcu_read_unlock(&nh->srcu, idx);
	return ret;
}
