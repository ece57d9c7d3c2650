/*
 * debug.h: the SRCU_DEBUG checks, what the kernel checks with lockdep.
 * Called by the out-of-line readers and the update-side entry points of
 * srcutree.c and srcutiny.c; implemented in debug.c.  Without SRCU_DEBUG
 * every call here compiles to nothing.
 *
 * - Each thread keeps a small table of the readers it holds (srcu_struct,
 *   index or counter pointer, flavour), so that an unlock without its
 *   lock, an unlock of another flavour, synchronize_srcu() or
 *   srcu_barrier() inside a reader of the same srcu_struct, and
 *   srcu_read_lock_held() can be told.  srcu_down_read()/srcu_up_read()
 *   are not tracked: another thread may release them (the kernel's lockdep
 *   does not track them either).
 * - cleanup_srcu_struct() leaves SRCU_DEBUG_CLEANED in srcu_reader_flavor,
 *   which every later use but a new init reports.
 * - Tree registers each initialised srcu_struct, so that a second init of
 *   one that was not cleaned up is reported instead of leaking.
 *
 * doc/reliability.md lists the checks and what each reports.
 */
#ifndef SRCU_DEBUG_H
#define SRCU_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "fork.h"
#include "internal.h"

/* srcu_reader_flavor bit of a cleaned-up srcu_struct (debug builds only). */
#define SRCU_DEBUG_CLEANED	0x80000000u

/* Readers one thread may hold at once in a debug build (lockdep's depth). */
#define SRCU_DEBUG_MAX_HELD	48

#ifdef SRCU_DEBUG

#define srcu_debug_lock		SRCU_PRIV(debug_lock)
#define srcu_debug_unlock	SRCU_PRIV(debug_unlock)
#define srcu_debug_held		SRCU_PRIV(debug_held)
#define srcu_debug_not_reader	SRCU_PRIV(debug_not_reader)
#define srcu_debug_init_check	SRCU_PRIV(debug_init_check)
#define srcu_debug_register	SRCU_PRIV(debug_register)
#define srcu_debug_unregister	SRCU_PRIV(debug_unregister)
#define srcu_debug_fork		SRCU_PRIV(debug_fork)
#define srcu_debug_stall_holders SRCU_PRIV(debug_stall_holders)

/* This thread entered a reader of flavour flavor; token: index or counter. */
void srcu_debug_lock(const void *ssp, uintptr_t token, unsigned int flavor);
/* ... and leaves it through func; dies unless it holds a matching reader. */
void srcu_debug_unlock(const void *ssp, uintptr_t token, unsigned int flavor,
		       const char *func);
/* Does this thread hold a (tracked) reader of ssp? */
bool srcu_debug_held(const void *ssp);
/* func would wait for ssp's readers: die if this thread holds one. */
void srcu_debug_not_reader(const void *ssp, const char *func);
/*
 * Tree's registry of initialised srcu_structs.  init_check dies if ssp is
 * registered and still points (*supp) at the update side it registered:
 * initialised twice without a clean-up in between.
 */
void srcu_debug_init_check(const void *ssp, void *const *supp, const char *func);
void srcu_debug_register(const void *ssp, const void *sup);
void srcu_debug_unregister(const void *ssp);
/* fork() handler of the debug state's locks (src/fork.c). */
void srcu_debug_fork(enum srcu_fork_phase phase);
/* For a stall warning: name the threads that hold readers of ssp. */
void srcu_debug_stall_holders(const void *ssp);

/*
 * Every entry point but init: a NULL srcu_struct, or one cleaned up, is
 * reported naming func.
 */
#define srcu_debug_check_live(ssp, func)				\
	do {								\
		if (caa_unlikely(!(ssp)))				\
			srcu_die("%s: NULL srcu_struct", (func));	\
		if (caa_unlikely(READ_ONCE((ssp)->srcu_reader_flavor) &	\
				 SRCU_DEBUG_CLEANED))			\
			srcu_die("%s: srcu_struct %p used after "	\
				 "cleanup_srcu_struct()", (func),	\
				 (void *)(ssp));			\
	} while (0)

/* cleanup_srcu_struct() freed ssp's state: report any later use. */
#define srcu_debug_mark_cleaned(ssp) \
	WRITE_ONCE((ssp)->srcu_reader_flavor, SRCU_DEBUG_CLEANED)

#else /* !SRCU_DEBUG */

static inline void srcu_debug_lock(const void *ssp, uintptr_t token,
				   unsigned int flavor) { }
static inline void srcu_debug_unlock(const void *ssp, uintptr_t token,
				     unsigned int flavor, const char *func) { }
static inline bool srcu_debug_held(const void *ssp) { return true; }
static inline void srcu_debug_not_reader(const void *ssp, const char *func) { }
static inline void srcu_debug_init_check(const void *ssp, void *const *supp,
					 const char *func) { }
static inline void srcu_debug_register(const void *ssp, const void *sup) { }
static inline void srcu_debug_unregister(const void *ssp) { }
static inline void srcu_debug_fork(enum srcu_fork_phase phase) { }
static inline void srcu_debug_stall_holders(const void *ssp) { }
#define srcu_debug_check_live(ssp, func)	do { } while (0)
#define srcu_debug_mark_cleaned(ssp)		do { } while (0)

#endif /* SRCU_DEBUG */

#endif /* SRCU_DEBUG_H */
