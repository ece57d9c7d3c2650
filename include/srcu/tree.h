/*
 * srcu/tree.h: the Tree SRCU flavour (libsrcu-tree): the srcu_struct layout
 * that readers touch, the inline read-side fast paths, and the prefixed
 * declarations of every exported function.  Users include <srcu.h>, which
 * maps the kernel's names onto these; a file that wants both flavours may
 * include <srcu/tree.h> and <srcu/tiny.h> and use the prefixed names.
 *
 * The inline functions and the fields they touch are ABI: changing them
 * changes the SOVERSION.  Every inline reader has an exported twin of the
 * same name without the _inl suffix.
 */
#ifndef SRCU_TREE_H
#define SRCU_TREE_H

#include <srcu/common.h>
#include <srcu/arch.h>
#include <srcu/rseq.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One index's reader counts on one CPU. */
struct srcu_tree_ctr {
	unsigned long srcu_locks;	/* read-side entries on this CPU */
	unsigned long srcu_unlocks;	/* read-side exits on this CPU */
};

/*
 * One CPU's reader counters, alone on their cache line(s).  Two sets,
 * because a restartable-sequence increment is a plain add, safe only if
 * no other CPU adds to the same counter: srcu_ctrs_cpu takes the rseq
 * increments of threads running on this CPU, srcu_ctrs the atomic ones
 * (rseq unavailable or aborted, virtual CPUs, CPUs beyond srcu_nr_cpus).
 * The updater sums both (srcu_tree_reader_locks() and _unlocks()).
 */
struct srcu_tree_reader {
	struct srcu_tree_ctr srcu_ctrs[2];	/* atomic increments, from any CPU; by srcu_idx & 1 */
	struct srcu_tree_ctr srcu_ctrs_cpu[2];	/* rseq increments, only from this CPU */
} __attribute__((aligned(CAA_CACHE_LINE_SIZE)));

/*
 * Entries (exits) counted on one CPU for index idx, both sets: the terms
 * of the updater's sums.  Acquire: the readers' atomic exits are releases.
 */
static inline unsigned long srcu_tree_reader_locks(const struct srcu_tree_reader *r, int idx)
{
	return __atomic_load_n(&r->srcu_ctrs[idx].srcu_locks, __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&r->srcu_ctrs_cpu[idx].srcu_locks, __ATOMIC_ACQUIRE);
}

static inline unsigned long srcu_tree_reader_unlocks(const struct srcu_tree_reader *r, int idx)
{
	return __atomic_load_n(&r->srcu_ctrs[idx].srcu_unlocks, __ATOMIC_ACQUIRE) +
	       __atomic_load_n(&r->srcu_ctrs_cpu[idx].srcu_unlocks, __ATOMIC_ACQUIRE);
}

struct srcu_tree_usage;			/* update side, private to the library */

struct srcu_tree_struct {
	/* Read-side state. */
	struct srcu_tree_reader *srcu_readers;	/* per-CPU counters; NULL until initialised */
	unsigned int srcu_nr_cpus;		/* entries in srcu_readers */
	unsigned int srcu_idx;			/* readers use srcu_idx & 1; flipped by the GP */
	unsigned int srcu_reader_flavor;	/* SRCU_READ_FLAVOR_* bits seen so far */
	/* Update-side state. */
	struct srcu_tree_usage *srcu_sup;	/* grace-period machinery; NULL until initialised */
	unsigned int srcu_init_flavor;		/* reader flavour chosen at definition, 0 = any */
	unsigned int srcu_state;		/* SRCU_STATE_*: static, live, cleaned up */
	const char *srcu_name;			/* DEFINE_SRCU()'s name, for diagnostics, or NULL */
};

/*
 * Static definitions need no init call: the first reader or updater to
 * find srcu_readers or srcu_sup NULL allocates them.  The definition's
 * name is kept for the stall warnings.
 *
 * A definition also defines the marker srcu_tree_defined_<name>, which
 * SRCU_TREE_DECLARE() (DECLARE_SRCU()) references, so that a file of the
 * other flavour declaring it fails to link (SRCU_DEFINE_MARKER()).
 */
#define SRCU_TREE_STRUCT_INITIALIZER_NAMED(flavor, name_str) {		\
	.srcu_init_flavor = (flavor),					\
	.srcu_state = SRCU_STATE_STATIC,				\
	.srcu_name = (name_str),					\
}
#define SRCU_TREE_STRUCT_INITIALIZER(flavor) \
	SRCU_TREE_STRUCT_INITIALIZER_NAMED(flavor, (const char *)0)
#define SRCU_TREE_DEFINE(name, flavor, scope) SRCU_DEFINE_BEGIN	\
	SRCU_DEFINE_MARKER(scope, srcu_tree_defined_##name);		\
	scope struct srcu_tree_struct name =				\
		SRCU_TREE_STRUCT_INITIALIZER_NAMED(flavor, #name)	\
	SRCU_DEFINE_END
#define SRCU_TREE_DECLARE(name)						\
	extern struct srcu_tree_struct name;				\
	SRCU_DECLARE_MARKER(srcu_tree_defined_##name)

/* Exported entry points. */
int srcu_tree_init(struct srcu_tree_struct *ssp);
int srcu_tree_init_fast(struct srcu_tree_struct *ssp);
int srcu_tree_init_fast_updown(struct srcu_tree_struct *ssp);
int srcu_tree_cleanup(struct srcu_tree_struct *ssp);
void srcu_tree_synchronize(struct srcu_tree_struct *ssp);
void srcu_tree_synchronize_expedited(struct srcu_tree_struct *ssp);
void srcu_tree_call(struct srcu_tree_struct *ssp, struct rcu_head *rhp,
		    rcu_callback_t func);
void srcu_tree_call_expedited(struct srcu_tree_struct *ssp,
			      struct rcu_head *rhp, rcu_callback_t func);
void srcu_tree_barrier(struct srcu_tree_struct *ssp);
void srcu_tree_expedite_current(struct srcu_tree_struct *ssp);
unsigned long srcu_tree_get_state_synchronize(struct srcu_tree_struct *ssp);
unsigned long srcu_tree_start_poll_synchronize(struct srcu_tree_struct *ssp);
bool srcu_tree_poll_state_synchronize(struct srcu_tree_struct *ssp,
				      unsigned long cookie);
unsigned long srcu_tree_batches_completed(struct srcu_tree_struct *ssp);
int srcu_tree_read_lock_held(const struct srcu_tree_struct *ssp);
int srcu_tree_get_stats(struct srcu_tree_struct *ssp, struct srcu_stats *st);
void srcu_tree_stats_print(struct srcu_tree_struct *ssp, FILE *out,
			   const char *tag);
int srcu_tree_param_set(const char *name, long value);
long srcu_tree_param_get(const char *name);
const char *srcu_tree_version(void);

/* Out-of-line twins of the inline readers below. */
int srcu_tree_read_lock(struct srcu_tree_struct *ssp);
void srcu_tree_read_unlock(struct srcu_tree_struct *ssp, int idx);
int srcu_tree_read_lock_nmisafe(struct srcu_tree_struct *ssp);
void srcu_tree_read_unlock_nmisafe(struct srcu_tree_struct *ssp, int idx);
struct srcu_tree_ctr *srcu_tree_read_lock_fast(struct srcu_tree_struct *ssp);
void srcu_tree_read_unlock_fast(struct srcu_tree_struct *ssp,
				struct srcu_tree_ctr *scp);
int srcu_tree_down_read(struct srcu_tree_struct *ssp);
void srcu_tree_up_read(struct srcu_tree_struct *ssp, int idx);
struct srcu_tree_ctr *srcu_tree_down_read_fast(struct srcu_tree_struct *ssp);
void srcu_tree_up_read_fast(struct srcu_tree_struct *ssp,
			    struct srcu_tree_ctr *scp);
struct srcu_tree_ctr *srcu_tree_read_lock_fast_updown(struct srcu_tree_struct *ssp);
void srcu_tree_read_unlock_fast_updown(struct srcu_tree_struct *ssp,
				     struct srcu_tree_ctr *scp);

/*
 * Testing: make the calling thread act as CPU cpu (its readers and its
 * callbacks use that CPU's elements), or as itself again with -1.  Lets a
 * 2-core machine exercise a tree of thousands of CPUs (tunable nr_cpus).
 */
void srcu_tree_set_virtual_cpu(int cpu);

/* Slow paths of the inline readers: ABI, not API. */
extern int srcu_tree_cpu_slowpath;	/* rseq unusable, or a virtual CPU is set */
extern int srcu_tree_fast_fence;	/* no membarrier: fast readers fence themselves */
extern int srcu_tree_debug_checks;	/* SRCU_DEBUG's checks on: readers call their twins */
unsigned int srcu_tree_cpu_id_slow(void);
struct srcu_tree_reader *srcu_tree_readers_init(struct srcu_tree_struct *ssp);
void srcu_tree_reader_flavor_slow(struct srcu_tree_struct *ssp,
				  unsigned int flavor);
void srcu_tree_bad_unlock(struct srcu_tree_struct *ssp, long idx,
			  const char *func) __attribute__((noreturn));
/* srcu_dereference_check() of a debug build (<srcu/kernel.h>). */
void srcu_tree_check_dereference(const struct srcu_tree_struct *ssp, const char *expr,
			       const char *file, int line, const char *func);

/*
 * The CPU this thread runs on, from glibc's registered rseq area (one TLS
 * load), else sched_getcpu(), reduced to the struct's CPU count.  It may be
 * stale when used: here it only picks counters that are then updated
 * atomically, or a callback list under its lock.
 */
static inline unsigned int srcu_tree_this_cpu(const struct srcu_tree_struct *ssp)
{
	unsigned int cpu, nr = ssp->srcu_nr_cpus;

#if SRCU_HAVE_RSEQ_CPU
	if (caa_likely(!__atomic_load_n(&srcu_tree_cpu_slowpath, __ATOMIC_RELAXED)))
		cpu = srcu_rseq_cpu();
	else
#endif
		cpu = srcu_tree_cpu_id_slow();
	return caa_likely(cpu < nr) ? cpu : cpu % nr;
}

static inline struct srcu_tree_reader *
srcu_tree_readers(struct srcu_tree_struct *ssp, unsigned int flavor)
{
	/* Acquire: pairs with the release that publishes the array. */
	struct srcu_tree_reader *r =
		__atomic_load_n(&ssp->srcu_readers, __ATOMIC_ACQUIRE);

	if (caa_unlikely(!r))
		r = srcu_tree_readers_init(ssp);
	/*
	 * Acquire: pairs with the fetch_or in srcu_tree_reader_flavor_slow(),
	 * which follows the membarrier decision, so a fast reader that finds
	 * its bit set also sees srcu_tree_fast_fence as decided.
	 */
	if (flavor && caa_unlikely(!(__atomic_load_n(&ssp->srcu_reader_flavor,
						     __ATOMIC_ACQUIRE) & flavor)))
		srcu_tree_reader_flavor_slow(ssp, flavor);
	return r;
}

/*
 * Add one to this CPU's entries (exit false) or exits (exit true) on index
 * idx, by restartable sequence on srcu_ctrs_cpu; false if that could not
 * be done (no rseq here or in this thread, a virtual CPU is in use, the
 * CPU is beyond srcu_nr_cpus, or the sequence was aborted), and nothing
 * was added.
 */
static inline bool srcu_tree_ctr_inc_rseq(struct srcu_tree_struct *ssp,
					  struct srcu_tree_reader *r, int idx,
					  bool exit)
{
#if SRCU_HAVE_RSEQ
	struct srcu_tree_ctr *c;
	unsigned int cpu;

	if (caa_unlikely(__atomic_load_n(&srcu_tree_cpu_slowpath, __ATOMIC_RELAXED)))
		return false;
	cpu = srcu_rseq_cpu();
	if (caa_unlikely(cpu >= ssp->srcu_nr_cpus))
		return false;
	c = &r[cpu].srcu_ctrs_cpu[idx];
	return srcu_rseq_inc(exit ? &c->srcu_unlocks : &c->srcu_locks, cpu);
#else
	(void)ssp; (void)r; (void)idx; (void)exit;
	return false;
#endif
}

/*
 * The same by atomic increment on srcu_ctrs, from any thread, any CPU.  An
 * exit is a release, so that ThreadSanitizer sees the critical section
 * happen before the updater's acquire load of the sum (free on x86).
 */
static inline void srcu_tree_ctr_inc_atomic(struct srcu_tree_struct *ssp,
					    struct srcu_tree_reader *r, int idx,
					    bool exit)
{
	struct srcu_tree_ctr *c = &r[srcu_tree_this_cpu(ssp)].srcu_ctrs[idx];

	if (exit)
		__atomic_fetch_add(&c->srcu_unlocks, 1, __ATOMIC_RELEASE);
	else
		__atomic_fetch_add(&c->srcu_locks, 1, __ATOMIC_RELAXED);
}

/*
 * The array an exit counts on, or death for a bad index or struct.  Past
 * it idx is 0 or 1, so its callers narrow it to int unchecked.
 */
static inline struct srcu_tree_reader *
srcu_tree_readers_exit(struct srcu_tree_struct *ssp, long idx, const char *func)
{
	struct srcu_tree_reader *r =
		__atomic_load_n(&ssp->srcu_readers, __ATOMIC_RELAXED);

	if (caa_unlikely((unsigned long)idx > 1 || !r))
		srcu_tree_bad_unlock(ssp, idx, func);
	return r;
}

/*
 * Normal, nmisafe and down/up readers: one entry, then barrier B; barrier
 * C, then one exit.  Two ways, by_rseq chooses: false, an atomic increment,
 * whose lock prefix is B or C on x86 (a fence elsewhere); true, a
 * restartable sequence, a plain add, with a real full barrier beside it.
 * Both cost one locked instruction on x86, and the atomic way has fewer
 * others: bench/read.c measures the two ("normal rseq+mb"), doc/design.md
 * ("Read side") has the figures.  SRCU_TREE_RSEQ_FENCED is the choice.
 */
#ifndef SRCU_TREE_RSEQ_FENCED
#define SRCU_TREE_RSEQ_FENCED	0
#endif

/* Count one entry on this CPU for the current index, then B; returns the index. */
static inline int srcu_tree_ctr_lock_mb_how(struct srcu_tree_struct *ssp,
					    unsigned int flavor, bool by_rseq)
{
	struct srcu_tree_reader *r = srcu_tree_readers(ssp, flavor);
	int idx = __atomic_load_n(&ssp->srcu_idx, __ATOMIC_RELAXED) & 0x1;

	if (by_rseq && srcu_tree_ctr_inc_rseq(ssp, r, idx, false)) {
		srcu_smp_mb(); /* B */ /* Pairs with A and E: keep the critical section after the count. */
		return idx;
	}
	srcu_tree_ctr_inc_atomic(ssp, r, idx, false);
	srcu_smp_mb__after_atomic(); /* B */ /* Pairs with A and E, as above. */
	return idx;
}

/*
 * C, then count one exit for index idx on this CPU (not necessarily the
 * CPU of the entry: only the sums over all CPUs matter).
 */
static inline void srcu_tree_ctr_unlock_mb_how(struct srcu_tree_struct *ssp, long idx,
					       const char *func, bool by_rseq)
{
	struct srcu_tree_reader *r = srcu_tree_readers_exit(ssp, idx, func);

	if (by_rseq) {
		srcu_smp_mb(); /* C */ /* Pairs with A and D: keep the critical section before the count. */
		if (srcu_tree_ctr_inc_rseq(ssp, r, (int)idx, true))
			return;
	} else {
		srcu_smp_mb__before_atomic(); /* C */ /* Pairs with A and D, as above. */
	}
	srcu_tree_ctr_inc_atomic(ssp, r, (int)idx, true);
}

static inline int srcu_tree_ctr_lock_mb(struct srcu_tree_struct *ssp,
					unsigned int flavor)
{
	return srcu_tree_ctr_lock_mb_how(ssp, flavor, SRCU_TREE_RSEQ_FENCED);
}

static inline void srcu_tree_ctr_unlock_mb(struct srcu_tree_struct *ssp, long idx,
					   const char *func)
{
	srcu_tree_ctr_unlock_mb_how(ssp, idx, func, SRCU_TREE_RSEQ_FENCED);
}

/*
 * The update side's own reader (srcutree.c) uses these two with its own B
 * and C: one atomic entry, returning the index, and one atomic exit.
 */
static inline int srcu_tree_ctr_lock(struct srcu_tree_struct *ssp,
				     unsigned int flavor)
{
	struct srcu_tree_reader *r = srcu_tree_readers(ssp, flavor);
	int idx = __atomic_load_n(&ssp->srcu_idx, __ATOMIC_RELAXED) & 0x1;

	srcu_tree_ctr_inc_atomic(ssp, r, idx, false);
	return idx;
}

static inline void srcu_tree_ctr_unlock(struct srcu_tree_struct *ssp, long idx,
					const char *func)
{
	srcu_tree_ctr_inc_atomic(ssp, srcu_tree_readers_exit(ssp, idx, func), (int)idx, true);
}

/*
 * The inline readers.  With SRCU_DEBUG's checks on (a debug build of the
 * library, or SRCU_DEBUG=1 in the environment when it was loaded; fixed
 * before main() runs) each calls its exported twin instead, which tracks
 * the readers each thread holds: the checks need no rebuild of the
 * application.  Otherwise the cost is one load of a read-mostly flag and
 * a branch that is always predicted.
 */
#define srcu_tree_checked() \
	caa_unlikely(__atomic_load_n(&srcu_tree_debug_checks, __ATOMIC_RELAXED))

static inline int srcu_tree_read_lock_inl(struct srcu_tree_struct *ssp)
{
	if (srcu_tree_checked())
		return srcu_tree_read_lock(ssp);
	return srcu_tree_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NORMAL);
}

static inline void srcu_tree_read_unlock_inl(struct srcu_tree_struct *ssp, int idx)
{
	if (srcu_tree_checked())
		srcu_tree_read_unlock(ssp, idx);
	else
		srcu_tree_ctr_unlock_mb(ssp, idx, "srcu_read_unlock");
}

/*
 * Async-signal-safe readers.  Both increments are: the atomic one is one
 * instruction; the rseq one is aborted when a signal arrives inside it, and
 * a handler's own increments complete before the interrupted thread goes
 * on (and, being on the same CPU, touch the same counters one at a time).
 */
static inline int srcu_tree_read_lock_nmisafe_inl(struct srcu_tree_struct *ssp)
{
	if (srcu_tree_checked())
		return srcu_tree_read_lock_nmisafe(ssp);
	return srcu_tree_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NMI);
}

static inline void srcu_tree_read_unlock_nmisafe_inl(struct srcu_tree_struct *ssp,
						     int idx)
{
	if (srcu_tree_checked())
		srcu_tree_read_unlock_nmisafe(ssp, idx);
	else
		srcu_tree_ctr_unlock_mb(ssp, idx, "srcu_read_unlock_nmisafe");
}

/* Readers that another thread may release: the same counters. */
static inline int srcu_tree_down_read_inl(struct srcu_tree_struct *ssp)
{
	if (srcu_tree_checked())
		return srcu_tree_down_read(ssp);
	return srcu_tree_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NORMAL);
}

static inline void srcu_tree_up_read_inl(struct srcu_tree_struct *ssp, int idx)
{
	if (srcu_tree_checked())
		srcu_tree_up_read(ssp, idx);
	else
		srcu_tree_ctr_unlock_mb(ssp, idx, "srcu_up_read");
}

/*
 * Fast readers: no barrier here.  The grace period forces one on every
 * running thread instead (membarrier), see doc/design.md, so the count is
 * a plain per-CPU add by restartable sequence where there is one, the
 * atomic increment otherwise.  Without membarrier (srcu_tree_fast_fence)
 * they count as normal readers do, B and C included; the flag is read
 * after srcu_tree_readers(), whose first-use slow paths may decide it.
 * The returned pointer names the index (CPU 0's atomic counter pair).
 */
static inline struct srcu_tree_ctr *
srcu_tree_fast_lock(struct srcu_tree_struct *ssp, unsigned int flavor)
{
	/* First: a first use may decide srcu_tree_fast_fence right here. */
	struct srcu_tree_reader *r = srcu_tree_readers(ssp, flavor);
	int idx = __atomic_load_n(&ssp->srcu_idx, __ATOMIC_RELAXED) & 0x1;

	if (caa_unlikely(__atomic_load_n(&srcu_tree_fast_fence, __ATOMIC_RELAXED))) {
		srcu_tree_ctr_inc_atomic(ssp, r, idx, false);
		srcu_smp_mb__after_atomic(); /* B */ /* Only without membarrier: pairs with A and E. */
	} else if (!srcu_tree_ctr_inc_rseq(ssp, r, idx, false)) {
		srcu_tree_ctr_inc_atomic(ssp, r, idx, false);
	}
	return &r[0].srcu_ctrs[idx];
}

static inline void srcu_tree_fast_unlock(struct srcu_tree_struct *ssp,
					 struct srcu_tree_ctr *scp,
					 const char *func)
{
	long idx = scp - &ssp->srcu_readers[0].srcu_ctrs[0];
	struct srcu_tree_reader *r;

	r = srcu_tree_readers_exit(ssp, idx, func);
	if (caa_unlikely(__atomic_load_n(&srcu_tree_fast_fence, __ATOMIC_RELAXED))) {
		srcu_smp_mb__before_atomic(); /* C */ /* Only without membarrier: pairs with A and D. */
		srcu_tree_ctr_inc_atomic(ssp, r, (int)idx, true);
	} else if (!srcu_tree_ctr_inc_rseq(ssp, r, (int)idx, true)) {
		srcu_tree_ctr_inc_atomic(ssp, r, (int)idx, true);
	}
}

static inline struct srcu_tree_ctr *
srcu_tree_read_lock_fast_inl(struct srcu_tree_struct *ssp)
{
	if (srcu_tree_checked())
		return srcu_tree_read_lock_fast(ssp);
	return srcu_tree_fast_lock(ssp, SRCU_READ_FLAVOR_FAST);
}

static inline void srcu_tree_read_unlock_fast_inl(struct srcu_tree_struct *ssp,
						  struct srcu_tree_ctr *scp)
{
	if (srcu_tree_checked())
		srcu_tree_read_unlock_fast(ssp, scp);
	else
		srcu_tree_fast_unlock(ssp, scp, "srcu_read_unlock_fast");
}

static inline struct srcu_tree_ctr *
srcu_tree_down_read_fast_inl(struct srcu_tree_struct *ssp)
{
	if (srcu_tree_checked())
		return srcu_tree_down_read_fast(ssp);
	return srcu_tree_fast_lock(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
}

static inline void srcu_tree_up_read_fast_inl(struct srcu_tree_struct *ssp,
					      struct srcu_tree_ctr *scp)
{
	if (srcu_tree_checked())
		srcu_tree_up_read_fast(ssp, scp);
	else
		srcu_tree_fast_unlock(ssp, scp, "srcu_up_read_fast");
}

/*
 * The kernel's srcu_read_lock_fast_updown(): the srcu_down_read_fast()
 * reader (the same counters, usable on the same srcu_struct), but one
 * that this thread enters and leaves itself, so that SRCU_DEBUG tracks it
 * as it tracks srcu_read_lock().
 */
static inline struct srcu_tree_ctr *
srcu_tree_read_lock_fast_updown_inl(struct srcu_tree_struct *ssp)
{
	if (srcu_tree_checked())
		return srcu_tree_read_lock_fast_updown(ssp);
	return srcu_tree_fast_lock(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
}

static inline void srcu_tree_read_unlock_fast_updown_inl(struct srcu_tree_struct *ssp,
						       struct srcu_tree_ctr *scp)
{
	if (srcu_tree_checked())
		srcu_tree_read_unlock_fast_updown(ssp, scp);
	else
		srcu_tree_fast_unlock(ssp, scp, "srcu_read_unlock_fast_updown");
}

#ifdef __cplusplus
}
#endif

#endif /* SRCU_TREE_H */
