/*
 * srcu/kernel.h: the kernel's small helpers around the SRCU calls, so that
 * kernel code using them ports unchanged: srcu_dereference() and friends,
 * pointer publication (liburcu's <urcu/pointer.h>), the _notrace readers,
 * the reader barrier helpers and the polling-state helpers.  Included by
 * <srcu.h>, whose flavour they follow; doc/api.md documents each.
 */
/* First: <srcu.h> includes this header back, once the names it maps exist. */
#include <srcu.h>

#ifndef SRCU_KERNEL_H
#define SRCU_KERNEL_H

/*
 * rcu_assign_pointer(), rcu_dereference(), rcu_xchg_pointer(), ...: the
 * kernel's pointer publication, as liburcu provides it.  Without
 * _LGPL_SOURCE they call into liburcu (link it: the srcu-* pkg-config
 * modules and CMake targets do).
 */
#include <urcu/pointer.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The kernel's sparse annotation of RCU-protected pointers: nothing here. */
#ifndef __rcu
#define __rcu
#endif

/*
 * Store v in p with no ordering: for a pointer no reader can reach yet, or
 * a NULL, as the kernel's RCU_INIT_POINTER().  liburcu has no such macro;
 * an atomic store, so that ThreadSanitizer sees it pair with the readers'
 * loads.
 */
#ifndef RCU_INIT_POINTER
#define RCU_INIT_POINTER(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELAXED)
#endif

/*
 * srcu_dereference_check(p, ssp, c): load the SRCU-protected pointer p
 * (an lvalue) for dereferencing, inside a reader of ssp or where c is
 * true (the update side holding its lock, say).  A consume load, as
 * liburcu's rcu_dereference() with C11, but one that ThreadSanitizer
 * sees.  While the library's misuse checks are on (a debug build of it,
 * or SRCU_DEBUG=1 in the environment), c is evaluated, and c false
 * outside a reader of ssp that this thread holds aborts with a message
 * naming the call site, where the kernel's lockdep would splat; while
 * they are off, c is not evaluated, as in a kernel without lockdep.
 */
#define srcu_dereference_check(p, ssp, c)					\
	__extension__ ({							\
		if (caa_unlikely(__atomic_load_n(&SRCU_FLAVOUR_NAME(debug_checks), \
						 __ATOMIC_RELAXED)) && !(c))	\
			SRCU_FLAVOUR_NAME(check_dereference)((ssp), #p, __FILE__, \
							     __LINE__, __func__); \
		__atomic_load_n(&(p), __ATOMIC_CONSUME);			\
	})

/* Inside a reader of ssp only. */
#define srcu_dereference(p, ssp)	srcu_dereference_check(p, (ssp), 0)

/* Never checked: for code that must not call into the library. */
#define srcu_dereference_notrace(p, ssp) srcu_dereference_check(p, (ssp), 1)

/*
 * The kernel's _notrace readers hide from its tracer and from lockdep.
 * There is no tracer to hide from here, so they are the plain readers
 * (a debug build tracks them as such).
 */
#define srcu_read_lock_notrace(ssp)		srcu_read_lock(ssp)
#define srcu_read_unlock_notrace(ssp, idx)	srcu_read_unlock((ssp), (idx))
#define srcu_read_lock_fast_notrace(ssp)	srcu_read_lock_fast(ssp)
#define srcu_read_unlock_fast_notrace(ssp, scp)	srcu_read_unlock_fast((ssp), (scp))

/*
 * Make the preceding srcu_read_unlock() (srcu_read_lock()) a full memory
 * barrier.  It already is, in both flavours: the unlock's barrier C (the
 * lock's B) is a full barrier, as in the kernel.  Not so for the _fast
 * readers, as in the kernel.
 */
static inline void smp_mb__after_srcu_read_unlock(void)
{
}

static inline void smp_mb__after_srcu_read_lock(void)
{
}

/* A cookie that poll_state_synchronize_srcu() always reports done. */
static inline unsigned long get_completed_synchronize_srcu(void)
{
	return SRCU_GET_STATE_COMPLETED;
}

/* Do two cookies name the same grace period? */
static inline bool same_state_synchronize_srcu(unsigned long oldstate1,
					       unsigned long oldstate2)
{
	return oldstate1 == oldstate2;
}

/*
 * At most this many cookies of one srcu_struct are not yet done at any
 * time, in both flavours: that of the grace period running (or about to),
 * and that of the one after it.
 */
#define NUM_ACTIVE_SRCU_POLL_OLDSTATE	2

#ifdef __cplusplus
}
#endif

#endif /* SRCU_KERNEL_H */
