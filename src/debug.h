/*
 * debug.h: the SRCU_DEBUG checks, what the kernel checks with lockdep.
 * Called by the out-of-line readers and the update-side entry points of
 * srcutree.c and srcutiny.c; implemented in debug.c.
 *
 * Every build has them.  They are on in a library configured with
 * SRCU_DEBUG=ON, or when the environment holds SRCU_DEBUG=1 as the library
 * is loaded (SRCU_DEBUG=0 turns a debug build's off); debug.c decides
 * before main() runs, and it never changes afterwards.  While they are on
 * the inline readers of <srcu/tree.h> and <srcu/tiny.h> call their
 * out-of-line twins, which track them, so an application gets the checks
 * without being rebuilt.  While they are off every call here is a load and
 * a branch.
 *
 * - Each thread keeps a small table of the readers it holds (srcu_struct,
 *   index or counter pointer, flavour), so that an unlock without its
 *   lock, an unlock of another flavour, synchronize_srcu() or
 *   srcu_barrier() inside a reader of the same srcu_struct,
 *   srcu_dereference() outside one, and srcu_read_lock_held() can be told.  srcu_down_read()/srcu_up_read()
 *   are not tracked: another thread may release them (the kernel's lockdep
 *   does not track them either).
 * - cleanup_srcu_struct() leaves SRCU_DEBUG_CLEANED in srcu_reader_flavor,
 *   which every later use but a new init reports.
 * - Tree registers each initialised srcu_struct, so that a second init of
 *   one that was not cleaned up is reported instead of leaking.
 * - The threads' tables are listed, so that a stall warning (stall.c) can
 *   name the threads that hold readers of a stalled srcu_struct.
 *
 * doc/reliability.md lists the checks and what each reports.
 */
#ifndef SRCU_DEBUG_H
#define SRCU_DEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include "fork.h"
#include "internal.h"

/* srcu_reader_flavor bit of a cleaned-up srcu_struct (while the checks are on). */
#define SRCU_DEBUG_CLEANED	0x80000000u

/* Readers one thread may hold at once under the checks (lockdep's depth). */
#define SRCU_DEBUG_MAX_HELD	48

/* The checks are on (exported: the inline readers read it too). */
#define srcu_debug_checks	SRCU_API(debug_checks)
extern int srcu_debug_checks;

static inline bool srcu_debug_on(void)
{
	return caa_unlikely(__atomic_load_n(&srcu_debug_checks, __ATOMIC_RELAXED));
}


/* This thread entered a reader of flavour flavor; token: index or counter. */
void SRCU_PRIV(debug_lock)(const void *ssp, uintptr_t token, unsigned int flavor);
/* ... and leaves it through func; dies unless it holds a matching reader. */
void SRCU_PRIV(debug_unlock)(const void *ssp, uintptr_t token, unsigned int flavor,
			     const char *func);
/* Does this thread hold a (tracked) reader of ssp? */
bool SRCU_PRIV(debug_held)(const void *ssp);
/* func would wait for ssp's readers: die if this thread holds one. */
void SRCU_PRIV(debug_not_reader)(const void *ssp, const char *func);
/*
 * srcu_dereference_check(expr, ssp, c) with c false, at file:line in func:
 * die unless this thread holds a reader of ssp.
 */
void SRCU_PRIV(debug_check_dereference)(const void *ssp, const char *expr,
					const char *file, int line, const char *func);
/*
 * srcu_dereference_check(expr, ssp, c) with c false at file:line in func:
 * die, naming that site, unless this thread holds a reader of ssp.
 */
void srcu_debug_check_dereference(const void *ssp, const char *expr,
				  const char *file, int line, const char *func);
/*
 * Tree's registry of initialised srcu_structs.  init_check dies if ssp is
 * registered and still points (*supp) at the update side it registered:
 * initialised twice without a clean-up in between.
 */
void SRCU_PRIV(debug_init_check)(const void *ssp, void *const *supp, const char *func);
void SRCU_PRIV(debug_register)(const void *ssp, const void *sup);
void SRCU_PRIV(debug_unregister)(const void *ssp);

#define srcu_debug_fork		SRCU_PRIV(debug_fork)
#define srcu_debug_stall_holders SRCU_PRIV(debug_stall_holders)
/* fork() handler of the debug state's locks (src/fork.c), on or off. */
void srcu_debug_fork(enum srcu_fork_phase phase);
/* For a stall warning: name the threads that hold readers of ssp (checks on). */
void srcu_debug_stall_holders(const void *ssp);

#define srcu_debug_lock(ssp, token, flavor)				\
	do {								\
		if (srcu_debug_on())					\
			SRCU_PRIV(debug_lock)((ssp), (token), (flavor)); \
	} while (0)
#define srcu_debug_unlock(ssp, token, flavor, func)			\
	do {								\
		if (srcu_debug_on())					\
			SRCU_PRIV(debug_unlock)((ssp), (token), (flavor), (func)); \
	} while (0)
/* Without the checks the library cannot know: "held", as the kernel says without lockdep. */
#define srcu_debug_held(ssp)	(!srcu_debug_on() || SRCU_PRIV(debug_held)(ssp))
#define srcu_debug_not_reader(ssp, func)				\
	do {								\
		if (srcu_debug_on())					\
			SRCU_PRIV(debug_not_reader)((ssp), (func));	\
	} while (0)
#define srcu_debug_check_dereference(ssp, expr, file, line, func)	\
	do {								\
		if (srcu_debug_on())					\
			SRCU_PRIV(debug_check_dereference)((ssp), (expr), (file), \
							   (line), (func)); \
	} while (0)
#define srcu_debug_init_check(ssp, supp, func)				\
	do {								\
		if (srcu_debug_on())					\
			SRCU_PRIV(debug_init_check)((ssp), (supp), (func)); \
	} while (0)
#define srcu_debug_register(ssp, sup)					\
	do {								\
		if (srcu_debug_on())					\
			SRCU_PRIV(debug_register)((ssp), (sup));	\
	} while (0)
#define srcu_debug_unregister(ssp)					\
	do {								\
		if (srcu_debug_on())					\
			SRCU_PRIV(debug_unregister)(ssp);		\
	} while (0)

/*
 * Every entry point but init: a NULL srcu_struct, or one cleaned up, is
 * reported naming func.
 */
#define srcu_debug_check_live(ssp, func)				\
	do {								\
		if (!srcu_debug_on())					\
			break;						\
		if (caa_unlikely(!(ssp)))				\
			srcu_die("%s: NULL srcu_struct", (func));	\
		if (caa_unlikely(READ_ONCE((ssp)->srcu_reader_flavor) &	\
				 SRCU_DEBUG_CLEANED))			\
			srcu_die("%s: srcu_struct %p used after "	\
				 "cleanup_srcu_struct()", (func),	\
				 (void *)(ssp));			\
	} while (0)

/* cleanup_srcu_struct() freed ssp's state: report any later use. */
#define srcu_debug_mark_cleaned(ssp)					\
	do {								\
		if (srcu_debug_on())					\
			WRITE_ONCE((ssp)->srcu_reader_flavor, SRCU_DEBUG_CLEANED); \
	} while (0)

#endif /* SRCU_DEBUG_H */
