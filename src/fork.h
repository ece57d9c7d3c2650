/*
 * fork.h: the library's fork() handlers (fork.c): one pthread_atfork() set
 * per flavour library, which takes the library's global locks in a fixed
 * order before fork() and lets them go after, in both processes.  Each
 * module that has such a lock gives fork.c a handler for the three phases.
 */
#ifndef SRCU_FORK_H
#define SRCU_FORK_H

#include <pthread.h>

#include "internal.h"

enum srcu_fork_phase {
	SRCU_FORK_PREPARE,	/* before fork(), in the forking thread */
	SRCU_FORK_PARENT,	/* after it, in the parent */
	SRCU_FORK_CHILD,	/* after it, in the child (its only thread) */
};

#define srcu_fork_handlers	SRCU_PRIV(fork_handlers)

/*
 * Register the handlers (once; later calls cost a load).  Call it before
 * the first use of a global lock of the library, so that no fork() can
 * find one held without the handlers in place.
 */
void srcu_fork_handlers(void);

/*
 * The common case, a global mutex held only for short sections that wait
 * for nothing fork() holds: taken before fork(), so that it is free in
 * both processes after (the child's thread is the one that took it).
 */
static inline void srcu_fork_mutex(pthread_mutex_t *m, enum srcu_fork_phase phase)
{
	if (phase == SRCU_FORK_PREPARE)
		srcu_check_pthread(pthread_mutex_lock(m));
	else
		srcu_check_pthread(pthread_mutex_unlock(m));
}

#endif /* SRCU_FORK_H */
