/*
 * srcu/notifier.h: SRCU notifier chains, the kernel's srcu_notifier_*
 * calls of <linux/notifier.h>.  A chain is a list of notifier_blocks kept
 * in priority order; srcu_notifier_call_chain() calls them inside an SRCU
 * reader, so a callback may block; registration and unregistration take
 * the chain's mutex, and unregistration waits for a grace period, so that
 * the block may be freed once it returns.  The kernel names follow the
 * flavour <srcu.h> picks (SRCU_TINY); src/notifier.c implements them, once
 * per flavour library.  doc/api.md documents each call.
 *
 * A file using both flavours (built with SRCU_TREE and SRCU_TINY both
 * defined, as linking both does) includes <srcu/tree.h> and <srcu/tiny.h>
 * before this header, and gets srcu_tree_notifier_* and srcu_tiny_*, and
 * no kernel names.
 */
/* First: <srcu.h> picks the flavour the kernel names below map to. */
#if !(defined(SRCU_TREE) && defined(SRCU_TINY))
#include <srcu.h>
#endif

#ifndef SRCU_NOTIFIER_H
#define SRCU_NOTIFIER_H

#include <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __rcu
#define __rcu		/* <srcu/kernel.h>'s, when <srcu.h> was not included */
#endif

/* What a notifier callback returns: bits, combined by the chain's caller. */
#define NOTIFY_DONE		0x0000		/* not interested */
#define NOTIFY_OK		0x0001		/* handled */
#define NOTIFY_STOP_MASK	0x8000		/* call no further notifier */
#define NOTIFY_BAD		(NOTIFY_STOP_MASK | 0x0002)	/* veto */
#define NOTIFY_STOP		(NOTIFY_OK | NOTIFY_STOP_MASK)	/* handled; stop */

struct notifier_block;

/* A notifier callback: nb is its own block, action and data the caller's. */
typedef int (*notifier_fn_t)(struct notifier_block *nb, unsigned long action,
			     void *data);

/* One callback of a chain; the caller sets notifier_call and priority. */
struct notifier_block {
	notifier_fn_t notifier_call;		/* the callback */
	struct notifier_block __rcu *next;	/* next in the chain (the chain's) */
	int priority;				/* higher first; ties in registration order */
};

/* Carry a negative errno through a chain's return value, and back. */
static inline int notifier_from_errno(int err)
{
	return err ? NOTIFY_STOP_MASK | (NOTIFY_OK - err) : NOTIFY_OK;
}

static inline int notifier_to_errno(int ret)
{
	ret &= ~NOTIFY_STOP_MASK;
	return ret > NOTIFY_OK ? NOTIFY_OK - ret : 0;
}

/*
 * One flavour's chain head and calls, prefixed (fl: tree or tiny):
 * mutex serialises registration, srcu is the domain of the chain's
 * readers, head the highest-priority block.
 */
#define SRCU_NOTIFIER_DECLARE(fl)						\
struct srcu_##fl##_notifier_head {						\
	pthread_mutex_t mutex;							\
	struct srcu_##fl##_struct srcu;						\
	struct notifier_block __rcu *head;					\
};										\
int srcu_##fl##_init_notifier_head(struct srcu_##fl##_notifier_head *nh);	\
int srcu_##fl##_cleanup_notifier_head(struct srcu_##fl##_notifier_head *nh);	\
int srcu_##fl##_notifier_chain_register(struct srcu_##fl##_notifier_head *nh,	\
					struct notifier_block *nb);		\
int srcu_##fl##_notifier_chain_unregister(struct srcu_##fl##_notifier_head *nh, \
					  struct notifier_block *nb);		\
int srcu_##fl##_notifier_call_chain(struct srcu_##fl##_notifier_head *nh,	\
				    unsigned long action, void *data);

#ifdef SRCU_TREE_H
SRCU_NOTIFIER_DECLARE(tree)
#endif
#ifdef SRCU_TINY_H
SRCU_NOTIFIER_DECLARE(tiny)
#endif

#ifdef SRCU_FLAVOUR_NAME
/* The kernel's names, for the flavour <srcu.h> picked. */
#define srcu_notifier_head		SRCU_FLAVOUR_NAME(notifier_head)
#define srcu_init_notifier_head		SRCU_FLAVOUR_NAME(init_notifier_head)
#define srcu_cleanup_notifier_head	SRCU_FLAVOUR_NAME(cleanup_notifier_head)
#define srcu_notifier_chain_register	SRCU_FLAVOUR_NAME(notifier_chain_register)
#define srcu_notifier_chain_unregister	SRCU_FLAVOUR_NAME(notifier_chain_unregister)
#define srcu_notifier_call_chain	SRCU_FLAVOUR_NAME(notifier_call_chain)

/*
 * A chain head needing no init call (its srcu_struct is DEFINE_SRCU()'s).
 * The _STATIC form has internal linkage.
 */
#define SRCU_NOTIFIER_HEAD_INIT						\
	{ PTHREAD_MUTEX_INITIALIZER, SRCU_FLAVOUR_MACRO(STRUCT_INITIALIZER)(0), NULL }
#define SRCU_NOTIFIER_HEAD(name) SRCU_DEFINE_BEGIN				\
	struct srcu_notifier_head name = SRCU_NOTIFIER_HEAD_INIT SRCU_DEFINE_END
#define SRCU_NOTIFIER_HEAD_STATIC(name) SRCU_DEFINE_BEGIN			\
	static struct srcu_notifier_head name = SRCU_NOTIFIER_HEAD_INIT SRCU_DEFINE_END
#endif /* SRCU_FLAVOUR_NAME */

#ifdef __cplusplus
}
#endif

#endif /* SRCU_NOTIFIER_H */
