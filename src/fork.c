/*
 * fork.c: the library's fork() handlers, one pthread_atfork() set per
 * flavour library, registered by srcu_fork_handlers() before the first use
 * of any global lock (fork.h).  doc/reliability.md ("fork()") has the
 * table of every lock and wait of the library against fork().
 *
 * Before fork(), in this order, each taken after the ones it may be taken
 * under:
 *   1. Tree's static-initialisation lock: its holder, initialising a
 *      DEFINE_SRCU() struct on first use, allocates and registers the
 *      struct with the debug checks' registry (4.).
 *   2. the tunables' lock: its holder only stores values.
 *   3. the worker pools: no item starts, and every item being run by
 *      another thread is let finish, or reach user code (a callback),
 *      which is not waited for (workqueue.c).  The library code of an item
 *      takes the locks 4. and 5., never 1. or 2.
 *   4. the debug checks' registry of initialised srcu_structs;
 *   5. the debug checks' list of threads that hold readers (the stall report's).
 * None of their holders waits for a reader, a grace period, an item or
 * anything the forking thread holds, so each wait ends.  After fork(), in
 * the reverse order, each is let go in the parent and in the child, which
 * thus finds the library's global state consistent and unlocked.  In the
 * child, the work items that other threads were running are queued again
 * (workqueue.c), and Tree counts one more fork generation: each struct's
 * first update-side call hands a grace period that another thread was
 * driving (an expedited waiter) to the work (srcutree.c, srcu_after_fork()).
 *
 * What this does not cover, because a library cannot: a reader that
 * another thread is inside at the fork, and an update-side call that
 * another thread is inside (it may hold that srcu_struct's locks).  See
 * doc/reliability.md for what the child sees then.
 */
#include <pthread.h>

#include "debug.h"
#include "fork.h"
#include "params.h"
#include "workqueue.h"
#ifdef SRCU_FLAVOUR_TREE
#include "srcutree-internal.h"
#endif

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void fork_prepare(void)
{
#ifdef SRCU_FLAVOUR_TREE
	srcu_tree_fork(SRCU_FORK_PREPARE);
#endif
	srcu_params_fork(SRCU_FORK_PREPARE);
	srcu_wq_fork_prepare();
	srcu_debug_fork(SRCU_FORK_PREPARE);
}

static void fork_after(enum srcu_fork_phase phase)
{
	srcu_debug_fork(phase);
	if (phase == SRCU_FORK_CHILD)
		srcu_wq_fork_child();
	else
		srcu_wq_fork_parent();
	srcu_params_fork(phase);
#ifdef SRCU_FLAVOUR_TREE
	srcu_tree_fork(phase);
#endif
}

static void fork_parent(void)
{
	fork_after(SRCU_FORK_PARENT);
}

static void fork_child(void)
{
	fork_after(SRCU_FORK_CHILD);
}

static void fork_register(void)
{
	srcu_check_pthread(pthread_atfork(fork_prepare, fork_parent, fork_child));
}

void srcu_fork_handlers(void)
{
	srcu_check_pthread(pthread_once(&fork_once, fork_register));
}
