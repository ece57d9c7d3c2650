/*
 * srcu/tiny.h: the Tiny SRCU flavour (libsrcu-tiny): the srcu_struct layout
 * that readers touch, the inline read-side fast paths, and the prefixed
 * declarations of every exported function.  Users include <srcu.h> with
 * SRCU_TINY defined, which maps the kernel's names onto these; a file that
 * wants both flavours may include <srcu/tree.h> and <srcu/tiny.h> and use
 * the prefixed names.
 *
 * Tiny is the smallest srcu_struct: two reader counters shared by every
 * thread, one callback list, no allocation.  Readers on many CPUs write the
 * same cache line, so it suits structures with few readers or many
 * srcu_structs; Tree scales.  src/srcutiny.c explains the grace period.
 *
 * The inline functions and the fields they touch are ABI: changing them
 * changes the SOVERSION.  Every inline reader has an exported twin of the
 * same name without the _inl suffix.
 */
#ifndef SRCU_TINY_H
#define SRCU_TINY_H

#include <srcu/common.h>
#include <srcu/arch.h>
#include <srcu/work.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One index's reader count; srcu_read_lock_fast() returns a pointer to one. */
struct srcu_tiny_ctr {
	long srcu_nesting;		/* readers inside on this index (entries - exits) */
};

struct srcu_tiny_struct {
	/* Read-side state. */
	struct srcu_tiny_ctr srcu_lock_nesting[2];	/* readers per index, atomic */
	unsigned long srcu_idx;		/* GP counter: odd while one runs; bit 1 of +1 picks the readers' index */
	unsigned int srcu_gp_waiting;	/* 1 + index the GP waits to drain, or 0 */
	unsigned int srcu_reader_flavor;/* SRCU_READ_FLAVOR_* bits seen so far */
	/* Update-side state. */
	int srcu_lock;			/* futex lock word: 0 free, 1 held, 2 held + waiters */
	int srcu_cb_invoking;		/* a callback is running on the callback pool */
	int srcu_gp_end_futex;		/* bumped at each GP end and by the reader that
					 * empties the index one waits for; waiters sleep on it */
	int srcu_gp_end_waiters;	/* threads asleep on srcu_gp_end_futex */
	unsigned long srcu_idx_max;	/* furthest srcu_idx requested (a cookie) */
	struct rcu_head *srcu_cb_head;	/* oldest queued callback, or NULL */
	struct rcu_head *srcu_cb_tail;	/* newest queued callback, or NULL */
	struct rcu_head *srcu_cb_done;	/* last callback whose GP ended, or NULL */
	struct rcu_head *srcu_cb_gp;	/* last callback the running GP covers, or NULL */
	struct srcu_work srcu_work;	/* GP driver, on the grace-period pool */
	struct srcu_work srcu_cb_work;	/* callback invoker, on the callback pool */
	unsigned long srcu_n_gp;	/* statistics: GPs completed */
	unsigned long srcu_n_cbs_queued;	/* statistics: callbacks queued */
	unsigned long srcu_n_cbs_invoked;	/* statistics: callbacks invoked */
	struct srcu_work srcu_stall_work;	/* stall warnings' timer, on the grace-period pool */
	struct srcu_stall srcu_stall;	/* stall warnings' state, under srcu_lock */
	unsigned int srcu_state;	/* SRCU_STATE_*: live or cleaned up */
	const char *srcu_name;		/* DEFINE_SRCU()'s name, for diagnostics, or NULL */
};

/* srcu_idx starts 100 grace periods before it wraps, so wrap bugs show early. */
#define SRCU_TINY_IDX_INITIAL	(0UL - 200UL)

/* Work functions the static initialiser names: ABI, not API. */
void srcu_tiny_drive_gp(struct srcu_work *work);
void srcu_tiny_invoke_cbs(struct srcu_work *work);
void srcu_tiny_stall_check(struct srcu_work *work);

/*
 * Static definitions need no init call: everything starts as the
 * initialiser says, and Tiny allocates nothing.  Every reader flavour is
 * accepted, so flavor is not recorded.  The definition's name is kept for
 * the stall warnings.  The marker srcu_tiny_defined_<name> is
 * SRCU_TINY_DECLARE()'s link-time flavour check, as in <srcu/tree.h>.
 */
#define SRCU_TINY_STRUCT_INITIALIZER_NAMED(flavor, name_str) {		\
	.srcu_idx = SRCU_TINY_IDX_INITIAL,				\
	.srcu_idx_max = SRCU_TINY_IDX_INITIAL,				\
	.srcu_work = SRCU_WORK_INITIALIZER(srcu_tiny_drive_gp, SRCU_WQ_GP), \
	.srcu_cb_work = SRCU_WORK_INITIALIZER(srcu_tiny_invoke_cbs, SRCU_WQ_CB), \
	.srcu_stall_work = SRCU_WORK_INITIALIZER(srcu_tiny_stall_check, SRCU_WQ_GP), \
	.srcu_state = SRCU_STATE_LIVE,					\
	.srcu_name = (name_str),					\
}
#define SRCU_TINY_STRUCT_INITIALIZER(flavor) \
	SRCU_TINY_STRUCT_INITIALIZER_NAMED(flavor, (const char *)0)
#define SRCU_TINY_DEFINE(name, flavor, scope) SRCU_DEFINE_BEGIN	\
	SRCU_DEFINE_MARKER(scope, srcu_tiny_defined_##name);		\
	scope struct srcu_tiny_struct name =				\
		SRCU_TINY_STRUCT_INITIALIZER_NAMED(flavor, #name)	\
	SRCU_DEFINE_END
#define SRCU_TINY_DECLARE(name)						\
	extern struct srcu_tiny_struct name;				\
	SRCU_DECLARE_MARKER(srcu_tiny_defined_##name)

/* Exported entry points. */
int srcu_tiny_init(struct srcu_tiny_struct *ssp);
int srcu_tiny_init_fast(struct srcu_tiny_struct *ssp);
int srcu_tiny_init_fast_updown(struct srcu_tiny_struct *ssp);
int srcu_tiny_cleanup(struct srcu_tiny_struct *ssp);
void srcu_tiny_synchronize(struct srcu_tiny_struct *ssp);
void srcu_tiny_synchronize_expedited(struct srcu_tiny_struct *ssp);
void srcu_tiny_call(struct srcu_tiny_struct *ssp, struct rcu_head *rhp,
		    rcu_callback_t func);
void srcu_tiny_call_expedited(struct srcu_tiny_struct *ssp,
			      struct rcu_head *rhp, rcu_callback_t func);
void srcu_tiny_barrier(struct srcu_tiny_struct *ssp);
void srcu_tiny_expedite_current(struct srcu_tiny_struct *ssp);
unsigned long srcu_tiny_get_state_synchronize(struct srcu_tiny_struct *ssp);
unsigned long srcu_tiny_start_poll_synchronize(struct srcu_tiny_struct *ssp);
bool srcu_tiny_poll_state_synchronize(struct srcu_tiny_struct *ssp,
				      unsigned long cookie);
unsigned long srcu_tiny_batches_completed(struct srcu_tiny_struct *ssp);
int srcu_tiny_read_lock_held(const struct srcu_tiny_struct *ssp);
int srcu_tiny_get_stats(struct srcu_tiny_struct *ssp, struct srcu_stats *st);
void srcu_tiny_stats_print(struct srcu_tiny_struct *ssp, FILE *out,
			   const char *tag);
int srcu_tiny_param_set(const char *name, long value);
long srcu_tiny_param_get(const char *name);
const char *srcu_tiny_version(void);

/* Out-of-line twins of the inline readers below. */
int srcu_tiny_read_lock(struct srcu_tiny_struct *ssp);
void srcu_tiny_read_unlock(struct srcu_tiny_struct *ssp, int idx);
int srcu_tiny_read_lock_nmisafe(struct srcu_tiny_struct *ssp);
void srcu_tiny_read_unlock_nmisafe(struct srcu_tiny_struct *ssp, int idx);
struct srcu_tiny_ctr *srcu_tiny_read_lock_fast(struct srcu_tiny_struct *ssp);
void srcu_tiny_read_unlock_fast(struct srcu_tiny_struct *ssp,
				struct srcu_tiny_ctr *scp);
int srcu_tiny_down_read(struct srcu_tiny_struct *ssp);
void srcu_tiny_up_read(struct srcu_tiny_struct *ssp, int idx);
struct srcu_tiny_ctr *srcu_tiny_down_read_fast(struct srcu_tiny_struct *ssp);
void srcu_tiny_up_read_fast(struct srcu_tiny_struct *ssp,
			    struct srcu_tiny_ctr *scp);
struct srcu_tiny_ctr *srcu_tiny_read_lock_fast_updown(struct srcu_tiny_struct *ssp);
void srcu_tiny_read_unlock_fast_updown(struct srcu_tiny_struct *ssp,
				     struct srcu_tiny_ctr *scp);

/* Slow paths of the inline readers: ABI, not API. */
extern int srcu_tiny_debug_checks;	/* SRCU_DEBUG's checks on: readers call their twins */
void srcu_tiny_gp_wake(struct srcu_tiny_struct *ssp);
void srcu_tiny_bad_unlock(struct srcu_tiny_struct *ssp, long idx,
			  const char *func) __attribute__((noreturn));
/* srcu_dereference_check() of a debug build (<srcu/kernel.h>). */
void srcu_tiny_check_dereference(const struct srcu_tiny_struct *ssp, const char *expr,
			       const char *file, int line, const char *func);

/*
 * Count one entry on the index the readers use now; returns the index.
 * Between a GP's start and its end (srcu_idx odd) that is the new index,
 * so a GP waits only for readers that were there before it.
 */
static inline int srcu_tiny_ctr_lock(struct srcu_tiny_struct *ssp,
				     unsigned int flavor)
{
	int idx = ((__atomic_load_n(&ssp->srcu_idx, __ATOMIC_RELAXED) + 1) & 0x2) >> 1;

	if (caa_unlikely(!(__atomic_load_n(&ssp->srcu_reader_flavor,
					   __ATOMIC_RELAXED) & flavor)))
		__atomic_fetch_or(&ssp->srcu_reader_flavor, flavor, __ATOMIC_RELAXED);
	__atomic_fetch_add(&ssp->srcu_lock_nesting[idx].srcu_nesting, 1,
			   __ATOMIC_RELAXED);
	return idx;
}

/*
 * Count one exit for index idx.  The exit that empties the index a grace
 * period waits for re-queues the GP driver, which does not sleep waiting.
 * Release makes the critical section happen-before the driver's acquire
 * load of the count, which is what ThreadSanitizer needs to see.
 */
static inline void srcu_tiny_ctr_unlock(struct srcu_tiny_struct *ssp, long idx,
					const char *func)
{
	if (caa_unlikely((unsigned long)idx > 1))
		srcu_tiny_bad_unlock(ssp, idx, func);
	if (__atomic_sub_fetch(&ssp->srcu_lock_nesting[idx].srcu_nesting, 1,
			       __ATOMIC_RELEASE) == 0) {
		srcu_smp_mb__after_atomic(); /* G */ /* Pairs with F: count before srcu_gp_waiting. */
		if (caa_unlikely(__atomic_load_n(&ssp->srcu_gp_waiting,
						 __ATOMIC_RELAXED) == idx + 1))
			srcu_tiny_gp_wake(ssp);
	}
}

/* Normal, nmisafe and down/up readers: one entry, then B; C, then one exit. */
static inline int srcu_tiny_ctr_lock_mb(struct srcu_tiny_struct *ssp,
					unsigned int flavor)
{
	int idx = srcu_tiny_ctr_lock(ssp, flavor);

	srcu_smp_mb__after_atomic(); /* B */ /* Pairs with A: keep the critical section after the count. */
	return idx;
}

static inline void srcu_tiny_ctr_unlock_mb(struct srcu_tiny_struct *ssp, long idx,
					   const char *func)
{
	srcu_smp_mb__before_atomic(); /* C */ /* Pairs with D: keep the critical section before the count. */
	srcu_tiny_ctr_unlock(ssp, idx, func);
}

/*
 * The inline readers.  With SRCU_DEBUG's checks on (a debug build of the
 * library, or SRCU_DEBUG=1 in the environment when it was loaded) each
 * calls its exported twin instead, which tracks the readers each thread
 * holds; otherwise the cost is one load and an always-predicted branch.
 */
#define srcu_tiny_checked() \
	caa_unlikely(__atomic_load_n(&srcu_tiny_debug_checks, __ATOMIC_RELAXED))

static inline int srcu_tiny_read_lock_inl(struct srcu_tiny_struct *ssp)
{
	if (srcu_tiny_checked())
		return srcu_tiny_read_lock(ssp);
	return srcu_tiny_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NORMAL);
}

static inline void srcu_tiny_read_unlock_inl(struct srcu_tiny_struct *ssp, int idx)
{
	if (srcu_tiny_checked())
		srcu_tiny_read_unlock(ssp, idx);
	else
		srcu_tiny_ctr_unlock_mb(ssp, idx, "srcu_read_unlock");
}

/* Async-signal-safe readers: the counters are atomic, so the same code. */
static inline int srcu_tiny_read_lock_nmisafe_inl(struct srcu_tiny_struct *ssp)
{
	if (srcu_tiny_checked())
		return srcu_tiny_read_lock_nmisafe(ssp);
	return srcu_tiny_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NMI);
}

static inline void srcu_tiny_read_unlock_nmisafe_inl(struct srcu_tiny_struct *ssp,
						     int idx)
{
	if (srcu_tiny_checked())
		srcu_tiny_read_unlock_nmisafe(ssp, idx);
	else
		srcu_tiny_ctr_unlock_mb(ssp, idx, "srcu_read_unlock_nmisafe");
}

/* Readers that another thread may release: the same counters. */
static inline int srcu_tiny_down_read_inl(struct srcu_tiny_struct *ssp)
{
	if (srcu_tiny_checked())
		return srcu_tiny_down_read(ssp);
	return srcu_tiny_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NORMAL);
}

static inline void srcu_tiny_up_read_inl(struct srcu_tiny_struct *ssp, int idx)
{
	if (srcu_tiny_checked())
		srcu_tiny_up_read(ssp, idx);
	else
		srcu_tiny_ctr_unlock_mb(ssp, idx, "srcu_up_read");
}

/*
 * Fast readers: Tiny's updater cannot force barriers on readers, so they
 * keep B and C; "fast" only names the counter by pointer.
 */
static inline struct srcu_tiny_ctr *
srcu_tiny_fast_lock(struct srcu_tiny_struct *ssp, unsigned int flavor)
{
	return &ssp->srcu_lock_nesting[srcu_tiny_ctr_lock_mb(ssp, flavor)];
}

static inline void srcu_tiny_fast_unlock(struct srcu_tiny_struct *ssp,
					 struct srcu_tiny_ctr *scp,
					 const char *func)
{
	/* Integer arithmetic: a stray pointer becomes a bad index, not UB. */
	uintptr_t off = (uintptr_t)scp - (uintptr_t)&ssp->srcu_lock_nesting[0];

	srcu_tiny_ctr_unlock_mb(ssp, off % sizeof(*scp) ? -1L :
				(long)(off / sizeof(*scp)), func);
}

static inline struct srcu_tiny_ctr *
srcu_tiny_read_lock_fast_inl(struct srcu_tiny_struct *ssp)
{
	if (srcu_tiny_checked())
		return srcu_tiny_read_lock_fast(ssp);
	return srcu_tiny_fast_lock(ssp, SRCU_READ_FLAVOR_FAST);
}

static inline void srcu_tiny_read_unlock_fast_inl(struct srcu_tiny_struct *ssp,
						  struct srcu_tiny_ctr *scp)
{
	if (srcu_tiny_checked())
		srcu_tiny_read_unlock_fast(ssp, scp);
	else
		srcu_tiny_fast_unlock(ssp, scp, "srcu_read_unlock_fast");
}

static inline struct srcu_tiny_ctr *
srcu_tiny_down_read_fast_inl(struct srcu_tiny_struct *ssp)
{
	if (srcu_tiny_checked())
		return srcu_tiny_down_read_fast(ssp);
	return srcu_tiny_fast_lock(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
}

static inline void srcu_tiny_up_read_fast_inl(struct srcu_tiny_struct *ssp,
					      struct srcu_tiny_ctr *scp)
{
	if (srcu_tiny_checked())
		srcu_tiny_up_read_fast(ssp, scp);
	else
		srcu_tiny_fast_unlock(ssp, scp, "srcu_up_read_fast");
}

/*
 * The kernel's srcu_read_lock_fast_updown(): the srcu_down_read_fast()
 * reader (the same counters, usable on the same srcu_struct), but one
 * that this thread enters and leaves itself, so that SRCU_DEBUG tracks it
 * as it tracks srcu_read_lock().
 */
static inline struct srcu_tiny_ctr *
srcu_tiny_read_lock_fast_updown_inl(struct srcu_tiny_struct *ssp)
{
	if (srcu_tiny_checked())
		return srcu_tiny_read_lock_fast_updown(ssp);
	return srcu_tiny_fast_lock(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
}

static inline void srcu_tiny_read_unlock_fast_updown_inl(struct srcu_tiny_struct *ssp,
						       struct srcu_tiny_ctr *scp)
{
	if (srcu_tiny_checked())
		srcu_tiny_read_unlock_fast_updown(ssp, scp);
	else
		srcu_tiny_fast_unlock(ssp, scp, "srcu_read_unlock_fast_updown");
}

#ifdef __cplusplus
}
#endif

#endif /* SRCU_TINY_H */
