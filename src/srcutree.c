/*
 * srcutree.c: Tree SRCU, the kernel's kernel/rcu/srcutree.c reimplemented
 * in userspace.  Entry points of libsrcu-tree (srcu_tree_*); the inline
 * readers are in include/srcu/tree.h.
 *
 * The algorithm, in brief (doc/design.md has the long version):
 * - Readers count themselves in per-CPU lock/unlock counters of one of two
 *   indexes, the one srcu_idx names when they enter.
 * - A grace period (srcu_gp_seq state SCAN1 then SCAN2) waits until the
 *   index readers are not using has equal lock and unlock sums (stragglers
 *   that read srcu_idx long ago), flips srcu_idx, then waits until the
 *   index just retired has equal sums.  Barriers A..E order the sums
 *   against the readers' counts.
 * - Requests for grace periods climb a combining tree of srcu_nodes (the
 *   funnel) so that many CPUs asking for the same grace period make one
 *   request at the root.  Small srcu_structs skip the tree.
 * - Callbacks wait on per-CPU segmented lists and are invoked on the
 *   callback pool after their grace period.
 * - process_srcu(), on the grace-period pool, drives the state machine with
 *   the kernel's delays (srcu_get_delay()).  An expedited synchronize may
 *   drive it from its own thread instead of waking a worker.
 *
 * Ours, beyond the kernel: call_srcu_expedited() (the RFC of the seed
 * thread) and in-flight promotion: with promote_inflight=1 an expedited
 * request that finds a normal grace period asleep on its one-jiffy delay
 * wakes it now, so the expedited waiter does not inherit the sleep.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <srcu/tree.h>
#include <srcu/testing.h>
#include "broken.h"
#include "cpu.h"
#include "debug.h"
#include "params.h"
#include "segcblist.h"
#include "srcutree-internal.h"
#include "stall.h"
#include "stats.h"
#include "trace.h"
#include "workqueue.h"

/* Base delay when no expedited GP is pending, and the cap, in jiffies. */
#define SRCU_INTERVAL		1
#define SRCU_MAX_INTERVAL	10

/* Statically defined srcu_structs are initialised under this lock. */
static pthread_mutex_t srcu_static_init_lock = PTHREAD_MUTEX_INITIALIZER;

/* Forks this process descends through; each srcu_struct remembers the last it saw. */
static unsigned long srcu_fork_gen;

static void process_srcu(struct srcu_work *work);
static void srcu_after_fork(struct srcu_tree_struct *ssp, struct srcu_tree_usage *sup);
static void srcu_invoke_callbacks(struct srcu_work *work);
static void srcu_barrier_cb(struct rcu_head *rhp);

/* Locks. */

/*
 * Every update-side lock is held for a short section (no lock is held
 * while readers are counted), and the usual contender is a worker just
 * woken by the holder: spin a little before sleeping rather than pay two
 * futex calls for each hand-over.
 */
static pthread_mutexattr_t srcu_mutexattr;
static pthread_once_t srcu_mutexattr_once = PTHREAD_ONCE_INIT;

static void srcu_mutexattr_init(void)
{
	srcu_check_pthread(pthread_mutexattr_init(&srcu_mutexattr));
	srcu_check_pthread(pthread_mutexattr_settype(&srcu_mutexattr,
						     PTHREAD_MUTEX_ADAPTIVE_NP));
}

static void srcu_mutex_init(pthread_mutex_t *m)
{
	srcu_check_pthread(pthread_once(&srcu_mutexattr_once, srcu_mutexattr_init));
	srcu_check_pthread(pthread_mutex_init(m, &srcu_mutexattr));
}

static void srcu_lock(pthread_mutex_t *m)
{
	srcu_check_pthread(pthread_mutex_lock(m));
}

static void srcu_unlock(pthread_mutex_t *m)
{
	srcu_check_pthread(pthread_mutex_unlock(m));
}

static bool srcu_trylock(pthread_mutex_t *m)
{
	int err = pthread_mutex_trylock(m);

	if (err && err != EBUSY)
		srcu_die("pthread_mutex_trylock: error %d", err);
	return !err;
}

/* Futex wake on a 32-bit word (process-private); waits are srcu_wq_wait()'s. */
static void srcu_futex_wake_all(int32_t *uaddr)
{
	syscall(SYS_futex, uaddr, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* Initialisation. */

static void init_srcu_data(struct srcu_tree_struct *ssp, struct srcu_tree_usage *sup)
{
	unsigned int cpu;

	for (cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++) {
		struct srcu_data *sdp = &sup->sda[cpu];

		srcu_mutex_init(&sdp->lock);
		srcu_segcblist_init(&sdp->srcu_cblist);
		sdp->srcu_gp_seq_needed = sup->srcu_gp_seq;
		sdp->srcu_gp_seq_needed_exp = sup->srcu_gp_seq;
		srcu_init_work(&sdp->work, srcu_invoke_callbacks, SRCU_WQ_CB);
		sdp->cpu = cpu;
		sdp->ssp = ssp;
	}
}

/*
 * Allocate and wire the combining tree; move to WAIT_BARRIER on success.
 * Called with no locks held, at most once at a time (srcu_gp_end() under
 * srcu_cb_mutex, or init).  On failure the state stays ALLOC and the next
 * grace-period end tries again.
 */
static bool init_srcu_struct_nodes(struct srcu_tree_struct *ssp, struct srcu_tree_usage *sup)
{
	int per_level[SRCU_MAX_LEVELS], i, level, nr = ssp->srcu_nr_cpus;
	struct srcu_node *snp, *leaves;
	unsigned int cpu;

	int bottom_up[SRCU_MAX_LEVELS], levels = 1, nodes;

	/* Shape: leaves hold FANOUT_LEAF CPUs, inner nodes FANOUT children. */
	bottom_up[0] = nodes = (nr + SRCU_FANOUT_LEAF - 1) / SRCU_FANOUT_LEAF;
	while (bottom_up[levels - 1] > 1 && levels < SRCU_MAX_LEVELS) {
		bottom_up[levels] = (bottom_up[levels - 1] + SRCU_FANOUT - 1) / SRCU_FANOUT;
		nodes += bottom_up[levels++];
	}
	for (i = 0; i < levels; i++)
		per_level[i] = bottom_up[levels - 1 - i];	/* level 0: root */
	sup->node = srcu_zalloc(sizeof(*sup->node) * nodes);
	if (!sup->node)
		return false;
	sup->num_levels = levels;
	sup->num_nodes = nodes;
	sup->level[0] = sup->node;
	for (i = 1; i < sup->num_levels; i++)
		sup->level[i] = sup->level[i - 1] + per_level[i - 1];

	for (level = 0; level < sup->num_levels; level++) {
		for (i = 0; i < per_level[level]; i++) {
			snp = sup->level[level] + i;
			srcu_mutex_init(&snp->lock);
			for (int j = 0; j < 4; j++) {
				snp->srcu_have_cbs[j] = SRCU_SNP_INIT_SEQ;
				snp->srcu_data_have_cbs[j] = 0;
			}
			snp->srcu_gp_seq_needed_exp = SRCU_SNP_INIT_SEQ;
			snp->grplo = -1;
			snp->grphi = -1;
			snp->srcu_parent = level ? sup->level[level - 1] + i / SRCU_FANOUT : NULL;
		}
	}

	leaves = sup->level[sup->num_levels - 1];
	for (cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++) {
		struct srcu_data *sdp = &sup->sda[cpu];

		sdp->mynode = &leaves[cpu / SRCU_FANOUT_LEAF];
		for (snp = sdp->mynode; snp; snp = snp->srcu_parent) {
			if (snp->grplo < 0)
				snp->grplo = cpu;
			snp->grphi = cpu;
		}
		sdp->grpmask = 1UL << (cpu - sdp->mynode->grplo);
	}
	/* Release: whoever sees WAIT_BARRIER sees the whole tree. */
	smp_store_release(&sup->srcu_size_state, SRCU_SIZE_WAIT_BARRIER);
	return true;
}

static void srcu_free_all(struct srcu_tree_struct *ssp, struct srcu_tree_usage *sup,
			  struct srcu_tree_reader *readers)
{
	if (sup) {
		srcu_free(sup->node);
		srcu_free(sup->sda);
		srcu_free(sup);
	}
	srcu_free(readers);
}

/*
 * Allocate and initialise everything behind ssp.  Readers first, then the
 * update side, each published with a release store so that a thread that
 * finds the pointer non-NULL sees what it points to.
 */
static int init_srcu_struct_fields(struct srcu_tree_struct *ssp, unsigned int flavor)
{
	unsigned int nr = srcu_param(SRCU_PARAM_NR_CPUS);
	struct srcu_tree_reader *readers;
	struct srcu_tree_usage *sup;
	int sizing;

	if (nr < 1)
		nr = 1;
	readers = srcu_zalloc_aligned(CAA_CACHE_LINE_SIZE, sizeof(*readers) * nr);
	sup = srcu_zalloc_aligned(CAA_CACHE_LINE_SIZE, sizeof(*sup));
	if (sup)
		sup->sda = srcu_zalloc_aligned(CAA_CACHE_LINE_SIZE, sizeof(*sup->sda) * nr);
	if (!readers || !sup || !sup->sda) {
		srcu_free_all(ssp, sup, readers);
		return -ENOMEM;
	}

	ssp->srcu_nr_cpus = nr;
	ssp->srcu_idx = 0;
	ssp->srcu_reader_flavor = flavor;
	ssp->srcu_init_flavor = flavor;
	srcu_mutex_init(&sup->lock);
	srcu_mutex_init(&sup->srcu_cb_mutex);
	srcu_mutex_init(&sup->srcu_barrier_mutex);
	sup->srcu_size_state = SRCU_SIZE_SMALL;
	sup->srcu_gp_seq = SRCU_GP_SEQ_INITIAL_VAL;
	sup->srcu_gp_seq_needed = SRCU_GP_SEQ_INITIAL_VAL;
	sup->srcu_gp_seq_needed_exp = SRCU_GP_SEQ_INITIAL_VAL;
	sup->srcu_exp_cbs_seq = SRCU_GP_SEQ_INITIAL_VAL;
	sup->srcu_gp_scanned = SRCU_GP_SEQ_INITIAL_VAL;
	sup->srcu_barrier_seq = 0;
	sup->srcu_last_gp_end = srcu_now_ns();
	sup->srcu_fork_gen = READ_ONCE(srcu_fork_gen);
	sup->srcu_ssp = ssp;
	srcu_init_work(&sup->work, process_srcu, SRCU_WQ_GP);
	init_srcu_data(ssp, sup);

	/* convert_to_big's automatic mode decides per srcu_struct, at init. */
	sizing = srcu_param(SRCU_PARAM_CONVERT_TO_BIG);
	if ((sizing & ~SRCU_SIZING_CONTEND) == SRCU_SIZING_AUTO)
		sizing = nr >= (unsigned int)srcu_param(SRCU_PARAM_BIG_CPU_LIM) ?
			 SRCU_SIZING_INIT : SRCU_SIZING_NONE | SRCU_SIZING_CONTEND;
	sup->srcu_sizing = sizing;
	if ((sizing & ~SRCU_SIZING_CONTEND) == SRCU_SIZING_INIT) {
		if (!init_srcu_struct_nodes(ssp, sup)) {
			srcu_free_all(ssp, sup, readers);
			return -ENOMEM;
		}
		sup->srcu_size_state = SRCU_SIZE_BIG;
	}
	if (flavor & (SRCU_READ_FLAVOR_FAST | SRCU_READ_FLAVOR_FAST_UPDOWN))
		(void)srcu_membarrier_ok();	/* Decide fences before the first reader. */

	/* Before srcu_sup is published: whoever finds it finds the struct live. */
	WRITE_ONCE(ssp->srcu_state, SRCU_STATE_LIVE);
	smp_store_release(&ssp->srcu_readers, readers);
	smp_store_release(&ssp->srcu_sup, sup);
	srcu_debug_register(ssp, sup);
	return 0;
}

static int srcu_init_flavored(struct srcu_tree_struct *ssp, unsigned int flavor)
{
	if (!ssp)
		return -EINVAL;
	srcu_debug_init_check(ssp, (void *const *)&ssp->srcu_sup, "init_srcu_struct");
	memset(ssp, 0, sizeof(*ssp));
	return init_srcu_struct_fields(ssp, flavor);
}

SRCU_EXPORT int srcu_tree_init(struct srcu_tree_struct *ssp)
{
	return srcu_init_flavored(ssp, 0);
}

SRCU_EXPORT int srcu_tree_init_fast(struct srcu_tree_struct *ssp)
{
	return srcu_init_flavored(ssp, SRCU_READ_FLAVOR_FAST);
}

SRCU_EXPORT int srcu_tree_init_fast_updown(struct srcu_tree_struct *ssp)
{
	return srcu_init_flavored(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
}

/*
 * First use of a statically defined srcu_struct (DEFINE_SRCU): allocate.
 * There is no caller to return -ENOMEM to, so running out of memory here
 * is fatal, and said.  Anything but a live struct or an untouched static
 * one is fatal too, and said: one cleaned up, or memory that was never
 * initialised (srcu_state tells them apart; every update-side call comes
 * through here, the readers only on their slow path).
 */
static struct srcu_tree_usage *srcu_init_if_static(struct srcu_tree_struct *ssp)
{
	/* Acquire: pairs with the release in init_srcu_struct_fields(). */
	struct srcu_tree_usage *sup = smp_load_acquire(&ssp->srcu_sup);
	unsigned int state = READ_ONCE(ssp->srcu_state);

	if (caa_likely(sup && state == SRCU_STATE_LIVE))
		return sup;
	srcu_debug_check_live(ssp, "SRCU call");
	/* LIVE without srcu_sup: another thread's first use is publishing it. */
	if (sup || (state != SRCU_STATE_STATIC && state != SRCU_STATE_LIVE))
		srcu_die_unusable(ssp, state, ssp->srcu_name, "SRCU call");
	srcu_fork_handlers();	/* before the first use of srcu_static_init_lock */
	srcu_lock(&srcu_static_init_lock);
	if (!ssp->srcu_sup && init_srcu_struct_fields(ssp, ssp->srcu_init_flavor))
		srcu_die("out of memory initialising a DEFINE_SRCU() srcu_struct");
	srcu_unlock(&srcu_static_init_lock);
	return ssp->srcu_sup;
}

/*
 * The update side's way in: the above, and, at the first call on ssp in a
 * fork() child, srcu_after_fork().
 */
static struct srcu_tree_usage *check_init_srcu_struct(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_usage *sup = srcu_init_if_static(ssp);

	if (caa_unlikely(READ_ONCE(sup->srcu_fork_gen) != READ_ONCE(srcu_fork_gen)))
		srcu_after_fork(ssp, sup);
	return sup;
}

void srcu_tree_fork(enum srcu_fork_phase phase)
{
	srcu_fork_mutex(&srcu_static_init_lock, phase);
	if (phase == SRCU_FORK_CHILD)
		WRITE_ONCE(srcu_fork_gen, srcu_fork_gen + 1);
}

SRCU_EXPORT struct srcu_tree_reader *srcu_tree_readers_init(struct srcu_tree_struct *ssp)
{
	srcu_init_if_static(ssp);
	return ssp->srcu_readers;
}

/*
 * A reader of a flavour not seen before on ssp.  Mixing flavours is
 * reported as the kernel reports it.  A scan that began before a fast bit
 * was set, and so used a plain fence as its barrier A, re-reads the
 * flavours after A by a read-modify-write: it sees the bit and fails, or
 * it comes before this fetch_or in the word's order and then
 * happens-before every fast reader that counts on ssp (each acquires the
 * bit, from this fetch_or or a later one, first); see
 * srcu_readers_active_idx_check() and pair "fast bit" in doc/design.md.
 */
SRCU_EXPORT void srcu_tree_reader_flavor_slow(struct srcu_tree_struct *ssp,
					      unsigned int flavor)
{
	const unsigned int fast = SRCU_READ_FLAVOR_FAST | SRCU_READ_FLAVOR_FAST_UPDOWN;
	unsigned int old;

	srcu_init_if_static(ssp);	/* no more: a reader may be in a signal handler */
	if (flavor & fast)
		(void)srcu_membarrier_ok();
	old = __atomic_fetch_or(&ssp->srcu_reader_flavor, flavor, __ATOMIC_SEQ_CST);
	if (old & flavor)
		return;
	if (old)
		srcu_warn_once("srcu_struct %p: reader flavours mixed (0x%x, then 0x%x)",
			       (void *)ssp, old, flavor);
	/* Fast and fast-updown mixed is fine: both rely on the same scans. */
	if (srcu_debug_on() && old && !(old & fast) != !(flavor & fast))
		srcu_die("srcu_struct %p: fast and normal readers mixed (0x%x, 0x%x)",
			 (void *)ssp, old, flavor);
}

SRCU_EXPORT void srcu_tree_bad_unlock(struct srcu_tree_struct *ssp, long idx,
				      const char *func)
{
	if (!ssp->srcu_readers)
		srcu_die_unusable(ssp, READ_ONCE(ssp->srcu_state), ssp->srcu_name, func);
	srcu_die("%s: bad index %ld (srcu_struct %p)", func, idx, (void *)ssp);
}

/*
 * The update side's own reader (held while requesting a grace period, so
 * the counter cannot wrap meanwhile): async-signal-safe like the nmisafe
 * flavour, but not recorded as a reader flavour of the user's.
 */
static int srcu_internal_read_lock(struct srcu_tree_struct *ssp)
{
	int idx = srcu_tree_ctr_lock(ssp, 0);

	srcu_smp_mb__after_atomic(); /* B */ /* As in srcu_read_lock(). */
	return idx;
}

static void srcu_internal_read_unlock(struct srcu_tree_struct *ssp, int idx)
{
	srcu_smp_mb__before_atomic(); /* C */ /* As in srcu_read_unlock(). */
	srcu_tree_ctr_unlock(ssp, idx, "srcu_internal_read_unlock");
}

/* Reader sums and the check of one index. */

static unsigned long srcu_readers_lock_idx(struct srcu_tree_struct *ssp, int idx)
{
	unsigned long sum = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++)
		sum += srcu_tree_reader_locks(&ssp->srcu_readers[cpu], idx);
	return sum;
}

static unsigned long srcu_readers_unlock_idx(struct srcu_tree_struct *ssp, int idx)
{
	unsigned long sum = 0;
	unsigned int cpu;

	for (cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++)
		sum += srcu_tree_reader_unlocks(&ssp->srcu_readers[cpu], idx);
	return sum;
}

/*
 * Are there no readers left on index idx?  Sum the unlocks, then (barrier
 * A) the locks: a lock is then always counted if its unlock was.
 *
 * Equal sums mean that at some instant during the check no reader was
 * inside on idx.  A reader that fetched srcu_idx before the last flip but
 * has not yet incremented may still add a lock to idx later; each such
 * thread can do so at most twice (its next lock after its next unlock's
 * barrier C sees the flip, barrier D), so the count of late increments is
 * bounded by twice the number of threads plus the CPUs, far below the
 * counter range, and the sums cannot wrap into a false equality.  Those
 * late readers are waited for by the next grace period's SCAN1, and
 * cannot see anything this grace period protects: their barrier B comes
 * after our A (store buffering with A/B: a reader whose increment we missed
 * sees every store the updater made before A).
 *
 * Fast readers have no B and C; for them A is a membarrier(), which makes
 * every running thread execute a full barrier, in the place of their own.
 * The flavours are read before the sums and again after them: a fast
 * flavour that appeared meanwhile fails the check (the scan is made again,
 * with membarrier), see srcu_tree_reader_flavor_slow().
 */
static bool srcu_readers_active_idx_check(struct srcu_tree_struct *ssp, int idx)
{
	const unsigned int fast = SRCU_READ_FLAVOR_FAST | SRCU_READ_FLAVOR_FAST_UPDOWN;
	unsigned int flavor = smp_load_acquire(&ssp->srcu_reader_flavor);
	unsigned long unlocks = srcu_readers_unlock_idx(ssp, idx);

	if (flavor & fast)
		srcu_membarrier(); /* A */ /* Pairs with the fast readers' program order. */
	else
		smp_mb(); /* A */ /* Pairs with B (store buffering) and C. */
	if (srcu_readers_lock_idx(ssp, idx) != unlocks)
		return false;
	/*
	 * The flavours again, after A, by a read-modify-write (pair "fast
	 * bit" of doc/design.md): it reads the newest value of the word.  A
	 * fast bit set later in the word's order happens-after this scan, and
	 * so does every fast reader that acquires it.  A plain load here could
	 * miss a bit that a fast reader has already seen (POWER is not
	 * multi-copy atomic), and that reader, with no barrier of its own,
	 * need not see the stores made before our A.
	 */
	return !(__atomic_fetch_or(&ssp->srcu_reader_flavor, 0, __ATOMIC_SEQ_CST) &
		 fast & ~flavor);
}

/* Locks minus unlocks over both indexes: readers inside right now (racy). */
static long srcu_readers_active(struct srcu_tree_struct *ssp, long out[2])
{
	long sum[2] = { 0, 0 };
	unsigned int cpu;
	int idx;

	for (cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++)
		for (idx = 0; idx < 2; idx++)
			sum[idx] += (long)(srcu_tree_reader_locks(&ssp->srcu_readers[cpu], idx) -
					   srcu_tree_reader_unlocks(&ssp->srcu_readers[cpu], idx));
	if (out) {
		out[0] = sum[0];
		out[1] = sum[1];
	}
	return sum[0] + sum[1];
}

/* Readers on idx counted on cpu, for a stall warning (racy). */
static long srcu_cpu_readers(const void *ssp, unsigned int cpu, int idx)
{
	const struct srcu_tree_reader *r = &((const struct srcu_tree_struct *)ssp)->srcu_readers[cpu];

	return (long)(srcu_tree_reader_locks(r, idx) - srcu_tree_reader_unlocks(r, idx));
}

/* What a stall warning about ssp's grace period, waiting on idx, says. */
static struct srcu_stall_gp srcu_stall_gp_of(struct srcu_tree_struct *ssp, int idx)
{
	return (struct srcu_stall_gp){
		.ssp = ssp, .name = ssp->srcu_name, .idx = idx,
		.nr_cpus = ssp->srcu_nr_cpus, .per_cpu = true, .readers = srcu_cpu_readers,
	};
}

/* Delays. */

/* Jiffies the grace period in progress has run past its first one. */
static unsigned long srcu_gp_age(struct srcu_tree_usage *sup)
{
	unsigned long j = srcu_jiffies() - 1, gpstart = READ_ONCE(sup->srcu_gp_start);

	return ULONG_CMP_LT(gpstart, j) ? j - gpstart : 0;
}

/*
 * How long process_srcu() should sleep before its next step, in jiffies:
 * 0 while an expedited GP is pending (but only srcu_max_nodelay_phase times
 * in a row), else one jiffy, plus the age of a long GP, capped.  Caller
 * holds sup->lock.
 */
static unsigned long srcu_get_delay(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	unsigned long jbase = SRCU_INTERVAL;

	if (ULONG_CMP_LT(READ_ONCE(sup->srcu_gp_seq), READ_ONCE(sup->srcu_gp_seq_needed_exp)))
		jbase = 0;
	if (srcu_seq_state(READ_ONCE(sup->srcu_gp_seq))) {
		jbase += srcu_gp_age(sup);
		if (!jbase) {
			WRITE_ONCE(sup->srcu_n_exp_nodelay, READ_ONCE(sup->srcu_n_exp_nodelay) + 1);
			if (READ_ONCE(sup->srcu_n_exp_nodelay) >
			    (unsigned long)srcu_param(SRCU_PARAM_MAX_NODELAY_PHASE))
				jbase = 1;
		}
	}
	return jbase > SRCU_MAX_INTERVAL ? SRCU_MAX_INTERVAL : jbase;
}

/*
 * How long a thread driving an expedited grace period sleeps before it
 * looks at the readers again, after n looks found some: a few microseconds
 * (srcu_retry_check_delay) at first, doubling, at most what the kernel
 * would sleep for a normal grace period of this age.  Sleeping, not
 * spinning: the reader in the way may be one that this thread preempted,
 * and it needs the CPU to leave.  The kernel's workers get the same from
 * the scheduler between work items.
 */
static uint64_t srcu_poll_ns(struct srcu_tree_usage *sup, unsigned long n)
{
	uint64_t ns = (uint64_t)srcu_param(SRCU_PARAM_RETRY_CHECK_DELAY) * 1000;
	uint64_t cap = srcu_jiffy_ns() * (SRCU_INTERVAL + srcu_gp_age(sup));

	if (cap > srcu_jiffy_ns() * SRCU_MAX_INTERVAL)
		cap = srcu_jiffy_ns() * SRCU_MAX_INTERVAL;
	ns = (ns ? ns : 1000) << (n < 20 ? n : 20);
	return ns < cap ? ns : cap;
}

/* The grace-period work: what process_srcu() will do next. */

/*
 * sup->srcu_gp_work records, under sup->lock, what the update side last
 * asked of process_srcu() (the work item itself is the workqueue's):
 *   SRCU_GPW_IDLE      nothing: not queued (perhaps running: a run begins
 *                      by setting IDLE)
 *   SRCU_GPW_NOW       queued to run at once, or after a poll of a few
 *                      microseconds (srcu_poll_ns())
 *   SRCU_GPW_SLEEPING  its timer is armed for one of the kernel's delays;
 *                      the grace period in progress when it was armed
 *                      (srcu_sleep_gp) sleeps, if it is still in progress
 * Every decision to queue the work is made under sup->lock, and a sleep's
 * timer is armed before that hold ends.  So whoever holds the lock knows
 * whether a grace period sleeps: an expedited request that finds one
 * asleep is promoted, or (promote_inflight=0) counted as a transfer when
 * the timer fires, never neither.
 */
#define SRCU_GPW_IDLE		0
#define SRCU_GPW_NOW		1
#define SRCU_GPW_SLEEPING	2

/* Does the grace period in progress sleep on the work's timer?  Under sup->lock, or racy. */
static bool srcu_gp_asleep(struct srcu_tree_usage *sup)
{
	unsigned long gpseq = READ_ONCE(sup->srcu_gp_seq);

	return READ_ONCE(sup->srcu_gp_work) == SRCU_GPW_SLEEPING && srcu_seq_state(gpseq) &&
	       srcu_seq_ctr(gpseq) == srcu_seq_ctr(READ_ONCE(sup->srcu_sleep_gp));
}

/*
 * Ask for process_srcu() delay jiffies from now (the kernel's
 * queue_delayed_work()) or, with delay 0, at once (poll_ns from now, if
 * not 0).  Caller holds sup->lock.  Returns true if the caller must call
 * srcu_gp_work_kick() once it has dropped the lock (a worker woken now
 * would find it held).
 *
 * A sleep leaves a run already queued alone, and a sleep already armed
 * too, which the grace period in progress takes over if it is another's.
 * A run now cuts a sleep short, except, with promote_inflight=0, the sleep
 * of the grace period in progress: in the kernel only its timer ends it.
 */
static bool srcu_gp_work_locked(struct srcu_tree_usage *sup, unsigned long delay,
				uint64_t poll_ns)
{
	int state = sup->srcu_gp_work;

	if (delay) {
		if (state == SRCU_GPW_NOW || srcu_gp_asleep(sup))
			return false;
		WRITE_ONCE(sup->srcu_sleep_gp, sup->srcu_gp_seq);
		WRITE_ONCE(sup->srcu_sleep_needed_exp, sup->srcu_gp_seq_needed_exp);
		if (state == SRCU_GPW_IDLE)
			/* Pending already: a run now, queued before a run began. */
			WRITE_ONCE(sup->srcu_gp_work, srcu_queue_delayed_work(&sup->work, delay) ?
						      SRCU_GPW_SLEEPING : SRCU_GPW_NOW);
		return false;
	}
	if (state == SRCU_GPW_NOW ||
	    (srcu_gp_asleep(sup) && !srcu_param(SRCU_PARAM_PROMOTE_INFLIGHT)))
		return false;
	WRITE_ONCE(sup->srcu_gp_work, SRCU_GPW_NOW);
	if (poll_ns && state == SRCU_GPW_IDLE) {
		srcu_queue_delayed_work_ns(&sup->work, poll_ns);
		return false;
	}
	return true;
}

/* The second half of srcu_gp_work_locked(), with sup->lock dropped. */
static void srcu_gp_work_kick(struct srcu_tree_usage *sup)
{
	/* Fires an armed timer now, or queues (from process_srcu() itself: runs again). */
	srcu_mod_delayed_work(&sup->work, 0);
}

/* Sizing. */

static void srcu_transition_to_big_locked(struct srcu_tree_usage *sup)
{
	smp_store_release(&sup->srcu_size_state, SRCU_SIZE_ALLOC);
}

static void srcu_transition_to_big(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;

	if (smp_load_acquire(&sup->srcu_size_state) != SRCU_SIZE_SMALL)
		return;
	srcu_lock(&sup->lock);
	if (smp_load_acquire(&sup->srcu_size_state) == SRCU_SIZE_SMALL)
		srcu_transition_to_big_locked(sup);
	srcu_unlock(&sup->lock);
}

/* A lock was contended; too many in one jiffy and a small struct goes big. */
static void srcu_check_contention_locked(struct srcu_tree_usage *sup)
{
	unsigned long j;

	if (!(sup->srcu_sizing & SRCU_SIZING_CONTEND) || READ_ONCE(sup->srcu_size_state))
		return;
	j = srcu_jiffies();
	if (sup->srcu_size_jiffies != j) {
		sup->srcu_size_jiffies = j;
		sup->srcu_n_lock_retries = 0;
	}
	if (++sup->srcu_n_lock_retries <= (unsigned long)srcu_param(SRCU_PARAM_SMALL_CONTENTION_LIM))
		return;
	srcu_transition_to_big_locked(sup);
}

static void srcu_lock_sdp_contention(struct srcu_data *sdp)
{
	struct srcu_tree_usage *sup = sdp->ssp->srcu_sup;

	if (srcu_trylock(&sdp->lock))
		return;
	srcu_lock(&sup->lock);
	srcu_check_contention_locked(sup);
	srcu_unlock(&sup->lock);
	srcu_lock(&sdp->lock);
}

static void srcu_lock_sup_contention(struct srcu_tree_usage *sup)
{
	if (srcu_trylock(&sup->lock))
		return;
	srcu_lock(&sup->lock);
	srcu_check_contention_locked(sup);
}

/* Grace-period start and end. */

/* Start a grace period.  Caller holds sup->lock. */
static void srcu_gp_start(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;

	SRCU_BUG_ON(ULONG_CMP_GE(sup->srcu_gp_seq, sup->srcu_gp_seq_needed));
	WRITE_ONCE(sup->srcu_gp_start, srcu_jiffies());
	WRITE_ONCE(sup->srcu_n_exp_nodelay, 0);
	smp_mb(); /* The request (srcu_gp_seq_needed) comes before the start. */
	srcu_seq_start(&sup->srcu_gp_seq);
	SRCU_BUG_ON(srcu_seq_state(sup->srcu_gp_seq) != SRCU_STATE_SCAN1);
	srcu_trace_gp_start(ssp, sup->srcu_gp_seq, ULONG_CMP_LT(sup->srcu_gp_seq, sup->srcu_gp_seq_needed_exp));
}

/* Invoke sdp's ready callbacks delay jiffies from now (0 or 1). */
static void srcu_schedule_cbs_sdp(struct srcu_data *sdp, unsigned long delay)
{
	if (delay)
		srcu_queue_delayed_work(&sdp->work, delay);
	else
		srcu_mod_delayed_work(&sdp->work, 0);
}

/*
 * At a grace period's end: schedule sdp's callbacks, unless it has none.
 * The kernel wakes the invoker regardless; skipping an empty list saves
 * a worker wake-up per grace period.  It is safe: a callback that needs
 * the GP just ended was enqueued, under sdp->lock, before that GP ended
 * (its snapshot was taken in the same critical section), so it is seen
 * here; one enqueued later snapshots a later GP.
 */
static void srcu_schedule_cbs_sdp_if_any(struct srcu_data *sdp, unsigned long delay)
{
	bool any;

	srcu_lock(&sdp->lock);
	any = !srcu_segcblist_empty(&sdp->srcu_cblist);
	srcu_unlock(&sdp->lock);
	if (any)
		srcu_schedule_cbs_sdp(sdp, delay);
}

/* The CPUs below leaf snp whose bit is in mask may have callbacks for this GP. */
static void srcu_schedule_cbs_snp(struct srcu_tree_struct *ssp, struct srcu_node *snp,
				  unsigned long mask, unsigned long delay)
{
	int cpu;

	for (cpu = snp->grplo; cpu <= snp->grphi; cpu++)
		if (mask & (1UL << (cpu - snp->grplo)))
			srcu_schedule_cbs_sdp_if_any(&ssp->srcu_sup->sda[cpu], delay);
}

/*
 * Leaves whose callbacks a grace period's end left to schedule (the leaf's
 * srcu_cbs_ready bits), and CPU 0's list while there are no leaves:
 * schedule them delay jiffies out.  Any thread may do it, once or more.
 */
static void srcu_schedule_ended_cbs(struct srcu_tree_struct *ssp, int ss_state,
				    unsigned long delay)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	struct srcu_node *snp;
	unsigned long mask;

	if (ss_state < SRCU_SIZE_WAIT_BARRIER) {
		srcu_schedule_cbs_sdp_if_any(&sup->sda[0], delay);
		return;
	}
	for (snp = sup->level[sup->num_levels - 1]; snp < sup->node + sup->num_nodes; snp++) {
		srcu_lock(&snp->lock);
		mask = snp->srcu_cbs_ready;
		snp->srcu_cbs_ready = 0;
		srcu_unlock(&snp->lock);
		if (mask)
			srcu_schedule_cbs_snp(ssp, snp, mask, delay);
	}
}

/*
 * In the funnel, mark grace period gpseq (just ended) as over, and move
 * the leaves' record of which CPUs have callbacks for it to their
 * srcu_cbs_ready, for srcu_schedule_ended_cbs().  Caller holds
 * srcu_cb_mutex.
 */
static void srcu_funnel_gp_ended(struct srcu_tree_struct *ssp, unsigned long gpseq,
				 int ss_state)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	int idx = srcu_seq_ctr(gpseq) % 4;
	unsigned long sgsne;
	struct srcu_node *snp;
	bool cbs;

	for (snp = sup->node; snp < sup->node + sup->num_nodes; snp++) {
		srcu_lock(&snp->lock);
		cbs = false;
		if (snp >= sup->level[sup->num_levels - 1])
			cbs = ss_state < SRCU_SIZE_BIG || snp->srcu_have_cbs[idx] == gpseq;
		snp->srcu_have_cbs[idx] = gpseq;
		srcu_seq_set_state(&snp->srcu_have_cbs[idx], 1);
		sgsne = snp->srcu_gp_seq_needed_exp;
		if (sgsne == SRCU_SNP_INIT_SEQ || ULONG_CMP_LT(sgsne, gpseq))
			WRITE_ONCE(snp->srcu_gp_seq_needed_exp, gpseq);
		if (cbs)
			snp->srcu_cbs_ready |= ss_state < SRCU_SIZE_BIG ?
					       ~0UL : snp->srcu_data_have_cbs[idx];
		snp->srcu_data_have_cbs[idx] = 0;
		srcu_unlock(&snp->lock);
	}
}

/* What srcu_gp_end() did. */
enum srcu_end {
	SRCU_END_LOST,		/* another thread ended that grace period first */
	SRCU_END_ENDED,		/* it ended, and no other was asked for */
	SRCU_END_STARTED,	/* it ended and the next one started */
};

/*
 * End grace period gpseq, whose retired index was just seen clear, unless
 * another thread ended it first: schedule the callbacks that waited for
 * it, and start the next grace period if one is needed.
 *
 * srcu_cb_mutex keeps a second new grace period from ending before this
 * one's callbacks are marked in the funnel, which is why srcu_have_cbs[]
 * needs only four slots.  Nothing under it waits or wakes anyone: a thread
 * preempted there holds the next grace period's end up for the rest of a
 * short section only.  Waiters are woken and callback invokers queued
 * after it is dropped.
 *
 * Callbacks are scheduled at once if the grace period was expedited or a
 * callback asked to hurry (call_srcu_expedited(), srcu_expedite_current()),
 * else a jiffy later (the kernel's cbdelay).  A waiter (by_waiter) that
 * ends a grace period leaves its callbacks to process_srcu() when that
 * will run anyway: queued to run now, or (if nobody asked the callbacks
 * to hurry) asleep.  It schedules them when it runs, and the waiter wakes
 * nobody for them: waking an invoker on an idle CPU costs the waker tens
 * of microseconds (doc/design.md, "Which wait it was, on busy cores").
 * Nothing is lost: srcu_cbs_deferred is set under sup->lock while the
 * record says the work will run, and the run that record promises reads
 * and clears it under the same lock, first thing (process_srcu()).
 */
static enum srcu_end srcu_gp_end(struct srcu_tree_struct *ssp, unsigned long gpseq,
				 bool by_waiter)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	bool expedited, hurry, defer, stalled, started = false;
	struct srcu_stall_report stall;
	struct srcu_stall_gp g;
	unsigned int cpu;
	int ss_state;

	srcu_lock(&sup->srcu_cb_mutex);
	srcu_lock(&sup->lock);
	if (sup->srcu_gp_seq != gpseq) {
		srcu_unlock(&sup->lock);
		srcu_unlock(&sup->srcu_cb_mutex);
		return SRCU_END_LOST;
	}
	expedited = ULONG_CMP_LT(gpseq, READ_ONCE(sup->srcu_gp_seq_needed_exp));
	WRITE_ONCE(sup->srcu_last_gp_end, srcu_now_ns());
	WRITE_ONCE(sup->srcu_n_exp_nodelay, 0);
	srcu_seq_end(&sup->srcu_gp_seq);
	gpseq = srcu_seq_current(&sup->srcu_gp_seq);
	srcu_trace_gp_end(ssp, gpseq, expedited);
	if (ULONG_CMP_LT(sup->srcu_gp_seq_needed_exp, gpseq))
		WRITE_ONCE(sup->srcu_gp_seq_needed_exp, gpseq);
	if (expedited)
		WRITE_ONCE(sup->n_gp_expedited, sup->n_gp_expedited + 1);
	else
		WRITE_ONCE(sup->n_gp_normal, sup->n_gp_normal + 1);
	if (by_waiter)
		WRITE_ONCE(sup->n_gp_by_waiter, sup->n_gp_by_waiter + 1);
	hurry = ULONG_CMP_GE(__atomic_load_n(&sup->srcu_exp_cbs_seq, __ATOMIC_RELAXED), gpseq);
	defer = by_waiter && (hurry ? sup->srcu_gp_work == SRCU_GPW_NOW :
				      sup->srcu_gp_work != SRCU_GPW_IDLE);
	if (defer)
		sup->srcu_cbs_deferred = true;
	stalled = srcu_stall_ended(&sup->srcu_stall, &stall);
	ss_state = smp_load_acquire(&sup->srcu_size_state);
	srcu_unlock(&sup->lock);

	if (ss_state >= SRCU_SIZE_WAIT_BARRIER)
		srcu_funnel_gp_ended(ssp, gpseq, ss_state);

	/* Now and then, pull every CPU's needed values along, against wrap. */
	if (!(gpseq & (unsigned long)srcu_param(SRCU_PARAM_COUNTER_WRAP_CHECK)))
		for (cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++) {
			struct srcu_data *sdp = &sup->sda[cpu];

			srcu_lock(&sdp->lock);
			if (ULONG_CMP_GE(gpseq, sdp->srcu_gp_seq_needed + 100))
				sdp->srcu_gp_seq_needed = gpseq;
			if (ULONG_CMP_GE(gpseq, sdp->srcu_gp_seq_needed_exp + 100))
				sdp->srcu_gp_seq_needed_exp = gpseq;
			srcu_unlock(&sdp->lock);
		}

	/*
	 * One step towards big, if on the way.  Still under srcu_cb_mutex:
	 * unlike the kernel, where only process_srcu() ends grace periods,
	 * a waiter may end the next one while we are here, and two steps
	 * (two tree allocations) must not overlap.
	 */
	if (ss_state != SRCU_SIZE_SMALL && ss_state != SRCU_SIZE_BIG) {
		if (ss_state == SRCU_SIZE_ALLOC)
			init_srcu_struct_nodes(ssp, sup);
		else
			smp_store_release(&sup->srcu_size_state, ss_state + 1);
	}
	srcu_unlock(&sup->srcu_cb_mutex);
	/* A new grace period may end now, but only one. */

	if (stalled) {
		g = srcu_stall_gp_of(ssp, 0);
		srcu_stall_print(&g, &stall);
	}

	/* Wake synchronous waiters: they poll srcu_gp_seq. */
	__atomic_fetch_add(&sup->srcu_gp_end_futex, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&sup->srcu_gp_waiters, __ATOMIC_SEQ_CST))
		srcu_futex_wake_all(&sup->srcu_gp_end_futex);

	if (!defer)
		srcu_schedule_ended_cbs(ssp, ss_state, expedited || hurry ? 0 : SRCU_INTERVAL);

	/* Start the next grace period if one was asked for. */
	srcu_lock(&sup->lock);
	gpseq = srcu_seq_current(&sup->srcu_gp_seq);
	if (!srcu_seq_state(gpseq) && ULONG_CMP_LT(gpseq, sup->srcu_gp_seq_needed)) {
		srcu_gp_start(ssp);
		started = true;
	}
	srcu_unlock(&sup->lock);
	return started ? SRCU_END_STARTED : SRCU_END_ENDED;
}

/*
 * What process_srcu() does first when a waiter left it the callbacks of
 * grace periods the waiter ended (srcu_gp_end()): those lists, and CPU 0's
 * in case the struct was small then.
 */
static void srcu_schedule_deferred_cbs(struct srcu_tree_struct *ssp)
{
	int ss_state = smp_load_acquire(&ssp->srcu_sup->srcu_size_state);

	if (ss_state >= SRCU_SIZE_WAIT_BARRIER)
		srcu_schedule_cbs_sdp_if_any(&ssp->srcu_sup->sda[0], 0);
	srcu_schedule_ended_cbs(ssp, ss_state, 0);
}

/* The state machine. */

/*
 * A scan found readers on idx holding grace period gpseq up: the stall
 * warnings follow it (stall.c).  Their state is under sup->lock, taken
 * once per grace period held up and when a warning is due: the due time,
 * read without it, says when (a stale one only puts the look off until
 * the next scan).  The warning is printed with no lock held.
 */
static void srcu_stall_check(struct srcu_tree_struct *ssp, unsigned long gpseq, int idx)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	uint64_t due = srcu_stall_due_ns(&sup->srcu_stall);
	struct srcu_stall_report r;
	struct srcu_stall_gp g;
	bool warn;

	if (!srcu_param(SRCU_PARAM_STALL_TIMEOUT) || (due && srcu_now_ns() < due))
		return;
	srcu_lock(&sup->lock);
	warn = srcu_seq_ctr(sup->srcu_gp_seq) == srcu_seq_ctr(gpseq) &&
	       srcu_stall_held(&sup->srcu_stall, srcu_seq_ctr(gpseq), &r);
	srcu_unlock(&sup->lock);
	if (warn) {
		g = srcu_stall_gp_of(ssp, idx);
		srcu_stall_print(&g, &r);
	}
}

/*
 * Wait (spinning srcu_retry_check_delay us between tries) until no reader
 * is left on idx, trying trycount times, or more while an expedited GP is
 * pending.
 */
static bool try_check_zero(struct srcu_tree_struct *ssp, int idx, int trycount)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	unsigned long curdelay;

	srcu_lock(&sup->lock);
	curdelay = !srcu_get_delay(ssp);
	srcu_unlock(&sup->lock);
	for (;;) {
		if (srcu_readers_active_idx_check(ssp, idx))
			return true;
		if ((long)(--trycount + curdelay) <= 0)
			return false;
		srcu_udelay(srcu_param(SRCU_PARAM_RETRY_CHECK_DELAY));
	}
}

/*
 * Flip srcu_idx so that new readers use the other index.  E and D are
 * kept although the equal sums just checked already order the flip
 * (a control dependency), as the kernel keeps them: compilers do not
 * promise to respect control dependencies.  Caller holds sup->lock.
 */
static void srcu_flip(struct srcu_tree_struct *ssp)
{
	smp_mb(); /* E */ /* Pairs with B and C: the scan before the flip. */
	WRITE_ONCE(ssp->srcu_idx, ssp->srcu_idx + 1);
	/*
	 * A reader whose unlock we missed sees the new index at its next lock
	 * after its next unlock or lock barrier.  D also orders the flip
	 * before the SCAN2 state that follows: whoever reads that state
	 * (acquire) reads the new index.
	 */
	smp_mb(); /* D */ /* Pairs with C. */
}

/*
 * Before a first scan of grace period gpseq: raise srcu_gp_scanned to it,
 * with a read-modify-write even when it is there already, then F.  A
 * request reads srcu_gp_scanned after its barrier G
 * (srcu_snap_unscanned()); if it finds it below the grace period in
 * progress, every first scan of that grace period, and so all of it, comes
 * after G: F and G are both full barriers, and the read, which saw none of
 * these writes, comes before each of them in the variable's order (values
 * only grow, so every write of gpseq or more follows the value it read).
 */
static void srcu_mark_scanned(struct srcu_tree_usage *sup, unsigned long gpseq)
{
	unsigned long old = __atomic_load_n(&sup->srcu_gp_scanned, __ATOMIC_RELAXED);

	while (!__atomic_compare_exchange_n(&sup->srcu_gp_scanned, &old,
					    ULONG_CMP_LT(old, gpseq) ? gpseq : old, true,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		;
	smp_mb(); /* F */ /* Pairs with G: the mark before the sums. */
}

/* Test-only: srcu_tree_test_gp_hook() (<srcu/testing.h>). */
static void (*srcu_test_gp_fn)(struct srcu_tree_struct *, int, void *);
static void *srcu_test_gp_arg;

SRCU_EXPORT void srcu_tree_test_gp_hook(void (*fn)(struct srcu_tree_struct *, int, void *),
					void *arg)
{
	__atomic_store_n(&srcu_test_gp_arg, arg, __ATOMIC_RELAXED);
	__atomic_store_n(&srcu_test_gp_fn, fn, __ATOMIC_RELEASE);
}

static void srcu_test_gp_event(struct srcu_tree_struct *ssp, int event)
{
	void (*fn)(struct srcu_tree_struct *, int, void *) =
		__atomic_load_n(&srcu_test_gp_fn, __ATOMIC_ACQUIRE);

	if (caa_unlikely(fn))
		fn(ssp, event, __atomic_load_n(&srcu_test_gp_arg, __ATOMIC_RELAXED));
}

/* What one call of srcu_advance_state() achieved. */
enum srcu_step {
	SRCU_STEP_IDLE,		/* nothing to do */
	SRCU_STEP_READERS,	/* readers remain; try again later */
	SRCU_STEP_ENDED,	/* a GP ended, and no other was started */
	SRCU_STEP_STARTED,	/* a GP ended and the next one started */
};

/*
 * Move grace periods on as far as readers let them, from any thread:
 * IDLE -> SCAN1 (start one if asked for), SCAN1 -> SCAN2 (inactive index
 * clear, flip), SCAN2 -> end (retired index clear); at most one grace
 * period ends per call.
 *
 * No lock is held while readers are counted, so several threads may scan
 * at once (a waiter, a worker, another waiter).  Each step is taken under
 * sup->lock (the end under srcu_cb_mutex too) and only if srcu_gp_seq has
 * not moved since the state was read: exactly one thread takes it, and
 * the scan that allowed it began after that state was read (acquire), so
 * it counted the right index of this grace period.  A thread preempted
 * here holds up nobody but itself, outside those short sections.
 *
 * by_waiter: the caller waits for a grace period itself (srcu_gp_end()).
 */
static enum srcu_step srcu_advance_state(struct srcu_tree_struct *ssp, bool by_waiter)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	enum srcu_end end;
	unsigned long gpseq;
	int idx;

	for (;;) {
		/* Acquire: the start of this GP, and the flip before its SCAN2. */
		gpseq = smp_load_acquire(&sup->srcu_gp_seq);
		if (srcu_seq_state(gpseq) == SRCU_STATE_IDLE) {
			srcu_lock(&sup->lock);
			if (ULONG_CMP_GE(sup->srcu_gp_seq, sup->srcu_gp_seq_needed)) {
				srcu_unlock(&sup->lock);
				return SRCU_STEP_IDLE;
			}
			if (!srcu_seq_state(sup->srcu_gp_seq))
				srcu_gp_start(ssp);
			srcu_unlock(&sup->lock);
			continue;
		}
		idx = 1 ^ (READ_ONCE(ssp->srcu_idx) & 1);
		if (srcu_seq_state(gpseq) == SRCU_STATE_SCAN1) {
			srcu_mark_scanned(sup, gpseq);
			/* Test-only: srcu-torture --broken=skip-scan1 skips this scan. */
			if (!srcu_test_broken(SRCU_BREAK_SKIP_SCAN1) && !try_check_zero(ssp, idx, 1)) {
				srcu_stall_check(ssp, gpseq, idx);
				return SRCU_STEP_READERS;
			}
			if (!by_waiter)
				srcu_test_gp_event(ssp, SRCU_TEST_GP_STEP);
			srcu_lock(&sup->lock);
			if (sup->srcu_gp_seq == gpseq) {
				/* Test-only: srcu-torture --broken=no-flip keeps readers where they are. */
				if (!srcu_test_broken(SRCU_BREAK_NO_FLIP))
					srcu_flip(ssp);
				srcu_seq_set_state(&sup->srcu_gp_seq, SRCU_STATE_SCAN2);
				WRITE_ONCE(sup->srcu_n_exp_nodelay, 0);
			}
			srcu_unlock(&sup->lock);
			continue;
		}
		/* SCAN2: readers are usually quick, so check twice before sleeping. */
		/* Test-only: srcu-torture --broken=skip-scan2 skips this scan. */
		if (!srcu_test_broken(SRCU_BREAK_SKIP_SCAN2) && !try_check_zero(ssp, idx, 2)) {
			srcu_stall_check(ssp, gpseq, idx);
			return SRCU_STEP_READERS;
		}
		if (!by_waiter)
			srcu_test_gp_event(ssp, SRCU_TEST_GP_STEP);
		end = srcu_gp_end(ssp, gpseq, by_waiter);
		if (end != SRCU_END_LOST)
			return end == SRCU_END_STARTED ? SRCU_STEP_STARTED : SRCU_STEP_ENDED;
	}
}

/*
 * If grace periods are still wanted, make sure one runs (starting it if
 * none does) and ask for process_srcu() as srcu_gp_work_locked() does.
 * Caller holds sup->lock; returns true if the caller must kick the work.
 */
static bool srcu_reschedule_locked(struct srcu_tree_struct *ssp, unsigned long delay,
				   uint64_t poll_ns)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;

	if (ULONG_CMP_GE(sup->srcu_gp_seq, sup->srcu_gp_seq_needed)) {
		SRCU_BUG_ON(srcu_seq_state(sup->srcu_gp_seq));
		return false;	/* Every request served: idle. */
	}
	if (!srcu_seq_state(sup->srcu_gp_seq))
		srcu_gp_start(ssp);	/* A request and no GP: start one. */
	return srcu_gp_work_locked(sup, delay, poll_ns);
}

/*
 * The first update-side call on ssp in a fork() child (check_init's fork
 * generation moved on).  A grace period that a thread of the parent was
 * driving, an expedited waiter, which asks the work for nothing while it
 * drives, has no driver here: hand it to the work now, as that waiter
 * would have when done.  Harmless if the work was asked for already.
 */
static void srcu_after_fork(struct srcu_tree_struct *ssp, struct srcu_tree_usage *sup)
{
	bool kick;

	srcu_lock(&sup->lock);
	WRITE_ONCE(sup->srcu_fork_gen, READ_ONCE(srcu_fork_gen));
	kick = srcu_reschedule_locked(ssp, 0, 0);
	srcu_unlock(&sup->lock);
	if (kick)
		srcu_gp_work_kick(sup);
}

/*
 * The grace-period work item (GP pool): the kernel's process_srcu().  A
 * run that finds the work asleep on its timer, with an expedited request
 * made during that sleep and neither promoted nor served by its own
 * caller, is the seed's transfer, counted here.  Expedited grace periods
 * held up by readers are looked at again after a poll (srcu_poll_ns()),
 * not at once: a worker that requeued itself at once would keep the CPU
 * from a reader it preempted.
 */
static void process_srcu(struct srcu_work *work)
{
	struct srcu_tree_usage *sup = caa_container_of(work, struct srcu_tree_usage, work);
	struct srcu_tree_struct *ssp = sup->srcu_ssp;
	unsigned long curdelay, j;
	enum srcu_step step;
	uint64_t poll_ns = 0;
	bool deferred, kick;

	srcu_lock(&sup->lock);
	if (srcu_gp_asleep(sup) &&
	    ULONG_CMP_LT(sup->srcu_sleep_needed_exp, sup->srcu_gp_seq_needed_exp)) {
		WRITE_ONCE(sup->n_transfers, sup->n_transfers + 1);
		srcu_trace_transfer(ssp, sup->srcu_gp_seq);
	}
	WRITE_ONCE(sup->srcu_gp_work, SRCU_GPW_IDLE);
	deferred = sup->srcu_cbs_deferred;
	sup->srcu_cbs_deferred = false;
	srcu_unlock(&sup->lock);
	if (deferred)
		srcu_schedule_deferred_cbs(ssp);

	step = srcu_advance_state(ssp, false);
	srcu_test_gp_event(ssp, SRCU_TEST_GP_SCANNED);
	srcu_lock(&sup->lock);
	curdelay = step == SRCU_STEP_STARTED ? 0 : srcu_get_delay(ssp);
	if (curdelay) {
		WRITE_ONCE(sup->reschedule_count, 0);
	} else {
		/* Too many no-delay passes within one jiffy: sleep one. */
		j = srcu_jiffies();
		if (READ_ONCE(sup->reschedule_jiffies) == j) {
			WRITE_ONCE(sup->reschedule_count, READ_ONCE(sup->reschedule_count) + 1);
			if (READ_ONCE(sup->reschedule_count) >
			    (unsigned long)srcu_param(SRCU_PARAM_MAX_NODELAY))
				curdelay = 1;
		} else {
			WRITE_ONCE(sup->reschedule_count, 1);
			WRITE_ONCE(sup->reschedule_jiffies, j);
		}
	}
	if (!curdelay && step == SRCU_STEP_READERS)
		poll_ns = srcu_poll_ns(sup, READ_ONCE(sup->srcu_n_exp_nodelay));
	kick = srcu_reschedule_locked(ssp, curdelay, poll_ns);
	srcu_unlock(&sup->lock);
	srcu_test_gp_event(ssp, SRCU_TEST_GP_DECIDED);
	if (kick)
		srcu_gp_work_kick(sup);
}

/* Funnel. */

/*
 * An expedited request was recorded at the root (srcu_gp_seq_needed_exp).
 * Caller holds sup->lock.  If the grace period in progress sleeps on the
 * work's timer, the kernel leaves it asleep, and so do we with
 * promote_inflight=0: the request waits (the seed's transfer, counted when
 * the timer fires).  With promotion we wake it now (counted), unless the
 * caller drives the state machine itself: the sleep then stays, and the
 * request is marked as seen by it, so that the timer does not count a
 * transfer nobody suffered.  A request whose caller does not drive needs
 * the work to run now.  Returns true if the caller must kick the work
 * (srcu_gp_work_kick()) once it has dropped the lock.
 */
static bool srcu_exp_request_locked(struct srcu_tree_usage *sup, bool caller_drives)
{
	if (srcu_gp_asleep(sup)) {
		if (!srcu_param(SRCU_PARAM_PROMOTE_INFLIGHT))
			return false;
		WRITE_ONCE(sup->n_promotions, sup->n_promotions + 1);
		srcu_trace_promote(sup->srcu_ssp, sup->srcu_gp_seq);
		if (caller_drives)
			WRITE_ONCE(sup->srcu_sleep_needed_exp, sup->srcu_gp_seq_needed_exp);
	}
	return !caller_drives && srcu_gp_work_locked(sup, 0, 0);
}

/*
 * Record an expedited request for grace period s, which is already
 * requested as normal, from snp up to the root (srcu_funnel_exp_start).
 * Returns true if the caller must kick the work.
 */
static bool srcu_funnel_exp_start(struct srcu_tree_struct *ssp, struct srcu_node *snp,
				  unsigned long s, bool caller_drives)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	unsigned long sgsne;
	bool kick;

	for (; snp; snp = snp->srcu_parent) {
		sgsne = READ_ONCE(snp->srcu_gp_seq_needed_exp);
		if (srcu_seq_done(&sup->srcu_gp_seq, s) ||
		    (sgsne != SRCU_SNP_INIT_SEQ && ULONG_CMP_GE(sgsne, s)))
			return false;
		srcu_lock(&snp->lock);
		sgsne = snp->srcu_gp_seq_needed_exp;
		if (sgsne != SRCU_SNP_INIT_SEQ && ULONG_CMP_GE(sgsne, s)) {
			srcu_unlock(&snp->lock);
			return false;
		}
		WRITE_ONCE(snp->srcu_gp_seq_needed_exp, s);
		srcu_unlock(&snp->lock);
	}
	srcu_lock_sup_contention(sup);
	if (ULONG_CMP_LT(sup->srcu_gp_seq_needed_exp, s))
		WRITE_ONCE(sup->srcu_gp_seq_needed_exp, s);
	kick = srcu_exp_request_locked(sup, caller_drives);
	srcu_unlock(&sup->lock);
	return kick;
}

/*
 * At the root: record the request for grace period s (expedited unless
 * do_norm) and start it if no grace period runs, asking for its work:
 * after the kernel's delay if normal, now if expedited (unless the caller
 * drives it itself).  Returns true if the caller must kick the work.
 */
static bool srcu_root_request(struct srcu_tree_struct *ssp, unsigned long s,
			      bool do_norm, bool caller_drives)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	bool kick = false;

	srcu_lock_sup_contention(sup);
	if (srcu_seq_done(&sup->srcu_gp_seq, s)) {
		srcu_unlock(&sup->lock);
		return false;
	}
	if (ULONG_CMP_LT(sup->srcu_gp_seq_needed, s))
		WRITE_ONCE(sup->srcu_gp_seq_needed, s);
	if (!do_norm && ULONG_CMP_LT(sup->srcu_gp_seq_needed_exp, s))
		WRITE_ONCE(sup->srcu_gp_seq_needed_exp, s);
	if (srcu_seq_state(sup->srcu_gp_seq) == SRCU_STATE_IDLE) {
		srcu_gp_start(ssp);
		if (do_norm)
			kick = srcu_gp_work_locked(sup, srcu_get_delay(ssp), 0);
	}
	if (!do_norm)
		kick = srcu_exp_request_locked(sup, caller_drives);
	srcu_unlock(&sup->lock);
	return kick;
}

/*
 * Make sure grace period s will happen: climb from sdp's leaf, stopping
 * where someone already asked for s (the funnel), and at the root
 * (srcu_root_request()) record the request.  Called inside an SRCU reader so that the
 * counter cannot wrap meanwhile.  Returns true if the caller must kick the
 * work (srcu_gp_work_kick()), which it does once it has left that reader:
 * a grace period run now would find it inside on the index it retires.
 */
static bool srcu_funnel_gp_start(struct srcu_tree_struct *ssp, struct srcu_data *sdp,
				 unsigned long s, bool do_norm, bool caller_drives)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	int idx = srcu_seq_ctr(s) % 4;
	struct srcu_node *snp, *snp_leaf;
	unsigned long sgsne, snp_seq;

	/* Acquire: the tree is fully built once the state says so. */
	if (smp_load_acquire(&sup->srcu_size_state) < SRCU_SIZE_WAIT_BARRIER)
		snp_leaf = NULL;
	else
		snp_leaf = sdp->mynode;

	for (snp = snp_leaf; snp; snp = snp->srcu_parent) {
		if (srcu_seq_done(&sup->srcu_gp_seq, s) && snp != snp_leaf)
			return false;	/* GP already done, callbacks recorded. */
		srcu_lock(&snp->lock);
		snp_seq = snp->srcu_have_cbs[idx];
		if (snp_seq != SRCU_SNP_INIT_SEQ && ULONG_CMP_GE(snp_seq, s)) {
			if (snp == snp_leaf && snp_seq == s)
				snp->srcu_data_have_cbs[idx] |= sdp->grpmask;
			srcu_unlock(&snp->lock);
			if (snp == snp_leaf && snp_seq != s) {
				/* s already ended at this leaf: invoke our own. */
				srcu_schedule_cbs_sdp(sdp, do_norm ? SRCU_INTERVAL : 0);
				return false;
			}
			/* Whoever recorded s here may not be at the root yet: see below. */
			if (caller_drives)
				return srcu_root_request(ssp, s, do_norm, true);
			return !do_norm && srcu_funnel_exp_start(ssp, snp, s, caller_drives);
		}
		snp->srcu_have_cbs[idx] = s;
		if (snp == snp_leaf)
			snp->srcu_data_have_cbs[idx] |= sdp->grpmask;
		sgsne = snp->srcu_gp_seq_needed_exp;
		if (!do_norm && (sgsne == SRCU_SNP_INIT_SEQ || ULONG_CMP_LT(sgsne, s)))
			WRITE_ONCE(snp->srcu_gp_seq_needed_exp, s);
		srcu_unlock(&snp->lock);
	}

	return srcu_root_request(ssp, s, do_norm, caller_drives);
}

/* Grace period s is asked for as expedited by a callback or expedite_current. */
static void srcu_note_exp_cbs(struct srcu_tree_usage *sup, unsigned long s)
{
	unsigned long old = __atomic_load_n(&sup->srcu_exp_cbs_seq, __ATOMIC_RELAXED);

	while (ULONG_CMP_LT(old, s) &&
	       !__atomic_compare_exchange_n(&sup->srcu_exp_cbs_seq, &old, s, true,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* This thread's srcu_data for queueing callbacks: CPU 0's while small. */
static struct srcu_data *srcu_this_sdp(struct srcu_tree_struct *ssp, int ss_state)
{
	if (ss_state < SRCU_SIZE_WAIT_CALL)
		return &ssp->srcu_sup->sda[0];
	return &ssp->srcu_sup->sda[srcu_tree_this_cpu(ssp)];
}

/*
 * The grace period a request made now needs, from its snapshot s:
 * srcu_seq_snap() gives the one after any grace period in progress, since
 * that one may have begun scanning before the caller's update; if it has
 * not begun (srcu_gp_scanned says so: srcu_mark_scanned()), it serves the
 * caller as one started now would, and is the one needed.  G is the full
 * barrier of the srcu_seq_snap() that gave s, which comes before both
 * loads below.
 *
 * Used for the polling cookies, and by synchronize_srcu*() if
 * promote_inflight is on: a call_srcu() from idle starts a grace period
 * and leaves it asleep; the synchronize_srcu_expedited() after it then
 * drives that one instead of two.  With promote_inflight=0 a synchronize
 * waits for the kernel's two, the sleeping one and the next.  A cookie
 * taken before a synchronize is never later than the synchronize's own s
 * (both only grow with time, and the cookie is always refined), so it
 * reads done when the synchronize returns.  Callbacks keep the kernel's
 * snapshot.
 */
static unsigned long srcu_snap_unscanned(struct srcu_tree_usage *sup, unsigned long s)
{
	unsigned long cur = smp_load_acquire(&sup->srcu_gp_seq);

	if (srcu_seq_state(cur) != SRCU_STATE_SCAN1 || s != srcu_seq_snap_of(cur))
		return s;	/* Not in its first phase, or it moved since s. */
	if (!ULONG_CMP_LT(__atomic_load_n(&sup->srcu_gp_scanned, __ATOMIC_RELAXED), cur))
		return s;	/* Its first scan has begun: perhaps before G. */
	return srcu_seq_end_of(cur);
}

/* A request's snapshot, refined (srcu_snap_unscanned()) if asked to. */
static unsigned long srcu_request_snap(struct srcu_tree_usage *sup, bool refine)
{
	unsigned long s = srcu_seq_snap(&sup->srcu_gp_seq);

	return refine ? srcu_snap_unscanned(sup, s) : s;
}

/*
 * Queue rhp (if any) for the grace period that a call made now needs, and
 * make sure that grace period (or its expedited form) is requested.
 * caller_drives: the caller (an expedited waiter) drives the state machine
 * itself.  refine: a grace period in progress that has not begun scanning
 * will do (srcu_snap_unscanned()).  Returns that grace period's number
 * (the polling cookie).
 *
 * Most calls find their grace period asked for already by an earlier call
 * on the same srcu_data, and only queue: the sdp lock, one full barrier,
 * nothing shared with other CPUs.  A call that has to take a request up
 * the funnel holds a reader of our own meanwhile, taken before the
 * snapshot it takes up: the grace period after the current one then
 * cannot end before the request reaches the root, so s stays within the
 * two grace periods that the srcu_node slots (indexed by counter % 4)
 * tell apart, and never looks done to the funnel.  That reader is taken
 * only once the call knows it needs it, under the sdp lock (taking it
 * never blocks), and the snapshot is taken again after it.
 */
static unsigned long srcu_gp_start_if_needed(struct srcu_tree_struct *ssp,
					     struct rcu_head *rhp, bool do_norm,
					     bool caller_drives, bool refine)
{
	struct srcu_tree_usage *sup = check_init_srcu_struct(ssp);
	bool needgp, needexp, kick = false;
	struct srcu_node *sdp_mynode;
	struct srcu_data *sdp;
	int idx = -1, ss_state;
	unsigned long s;

	ss_state = smp_load_acquire(&sup->srcu_size_state);
	sdp = srcu_this_sdp(ssp, ss_state);
	srcu_lock_sdp_contention(sdp);
	if (rhp) {
		srcu_segcblist_enqueue(&sdp->srcu_cblist, rhp);
		WRITE_ONCE(sdp->n_cbs_queued, sdp->n_cbs_queued + 1);
	}
	/*
	 * Snapshot before reading the current GP for advancing: the other
	 * order can find WAIT done but NEXT_READY started, snapshot one GP
	 * too far, and then fail to accelerate (the kernel's "acceleration
	 * leak").
	 */
	s = srcu_request_snap(sup, refine);
	if (rhp) {
		srcu_segcblist_advance(&sdp->srcu_cblist, srcu_seq_current(&sup->srcu_gp_seq));
		SRCU_BUG_ON(!srcu_segcblist_accelerate(&sdp->srcu_cblist, s));
	}
	needgp = ULONG_CMP_LT(sdp->srcu_gp_seq_needed, s);
	needexp = !do_norm && ULONG_CMP_LT(sdp->srcu_gp_seq_needed_exp, s);
	if (needgp || needexp || caller_drives) {
		/*
		 * We take s up: under a reader of our own, from a snapshot
		 * taken after it.  If a grace period began meanwhile, rhp
		 * waits for s as accelerated and we ask for a later s, whose
		 * end invokes it too: later than it must, never sooner.
		 */
		idx = srcu_internal_read_lock(ssp);
		s = srcu_request_snap(sup, refine);
		needgp = ULONG_CMP_LT(sdp->srcu_gp_seq_needed, s);
		needexp = !do_norm && ULONG_CMP_LT(sdp->srcu_gp_seq_needed_exp, s);
	}
	if (needgp)
		sdp->srcu_gp_seq_needed = s;
	if (needexp)
		sdp->srcu_gp_seq_needed_exp = s;
	srcu_unlock(&sdp->lock);
	if (!do_norm && !caller_drives)
		srcu_note_exp_cbs(sup, s);
	if (idx < 0)
		return s;	/* An earlier call asked for s, and took it up. */

	if (!caller_drives)
		srcu_test_gp_event(ssp, SRCU_TEST_GP_FUNNEL);
	/*
	 * The funnel goes by the size state as read inside our reader
	 * (srcu_funnel_gp_start() reads its own): a request taken up the
	 * tree-less way ends before the tree can be relied on alone
	 * (SRCU_SIZE_BIG is six grace-period ends away), which the reader
	 * guarantees only for a state read under it.
	 */
	ss_state = smp_load_acquire(&sup->srcu_size_state);
	sdp_mynode = ss_state < SRCU_SIZE_WAIT_BARRIER ? NULL : sdp->mynode;
	/*
	 * A caller that drives s itself must find s recorded at the root when
	 * it looks: a thread that recorded s in this srcu_data or on the way
	 * up, and stopped us there, may be preempted before it gets to the
	 * root, and the driver would find nothing to drive (the model of
	 * tests/model/gp_work.pml found it spinning so).  So it records s at
	 * the root itself.
	 */
	if (needgp)
		kick = srcu_funnel_gp_start(ssp, sdp, s, do_norm, caller_drives);
	else if (caller_drives)
		kick = srcu_root_request(ssp, s, do_norm, true);
	else if (needexp)
		kick = srcu_funnel_exp_start(ssp, sdp_mynode, s, caller_drives);
	srcu_internal_read_unlock(ssp, idx);
	if (kick)
		srcu_gp_work_kick(sup);
	return s;
}

/* Callbacks. */

static void __call_srcu(struct srcu_tree_struct *ssp, struct rcu_head *rhp,
			rcu_callback_t func, bool do_norm)
{
	if (!ssp || !rhp || !func)
		srcu_die("call_srcu: NULL %s", !ssp ? "srcu_struct" : !rhp ? "rcu_head" : "func");
	srcu_debug_check_live(ssp, "call_srcu()");
	rhp->func = func;
	(void)srcu_gp_start_if_needed(ssp, rhp, do_norm, false, false);
	/* If the pools have no worker yet, the work this needs may be queued already. */
	srcu_wq_prepare((1u << SRCU_WQ_GP) | (1u << SRCU_WQ_CB));
}

SRCU_EXPORT void srcu_tree_call(struct srcu_tree_struct *ssp, struct rcu_head *rhp,
				rcu_callback_t func)
{
	__call_srcu(ssp, rhp, func, true);
}

SRCU_EXPORT void srcu_tree_call_expedited(struct srcu_tree_struct *ssp,
					  struct rcu_head *rhp, rcu_callback_t func)
{
	__call_srcu(ssp, rhp, func, false);
}

/*
 * Invoke the callbacks of one srcu_data whose grace period has ended (CB
 * pool).  One invoker per list at a time, so that srcu_barrier()'s
 * callback cannot run before those queued ahead of it.  The grace period's
 * barriers ran in the driver; the acquire load of srcu_gp_seq orders the
 * callbacks after them (pair "seq end" of doc/design.md).
 *
 * The batch lives in sdp, not on our stack, and each callback leaves it
 * before it is called: if another thread forks while a callback runs (it
 * may block on anything, so fork() does not wait for it), the child's
 * copy of the batch holds exactly the callbacks not yet started, and the
 * child's pool runs this item again (workqueue.h, srcu_wq_user_begin()).
 */
static void srcu_invoke_callbacks(struct srcu_work *work)
{
	struct srcu_data *sdp = caa_container_of(work, struct srcu_data, work);
	struct srcu_tree_struct *ssp = sdp->ssp;
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	struct srcu_cblist *batch = &sdp->srcu_invoking;
	struct rcu_head *rhp;
	long left;
	bool more;

	srcu_lock(&sdp->lock);
	/*
	 * Acquire: pairs with the release of srcu_seq_end().  sdp->lock orders
	 * us after a grace period's end only if its driver took the lock (to
	 * schedule us) before we did; we may have been queued for an earlier
	 * batch and found this one done meanwhile.
	 */
	srcu_segcblist_advance(&sdp->srcu_cblist,
			       smp_load_acquire(&sup->srcu_gp_seq));
	if (!sdp->srcu_cblist_invoking) {
		if (!srcu_segcblist_ready_cbs(&sdp->srcu_cblist)) {
			srcu_unlock(&sdp->lock);
			return;
		}
		sdp->srcu_cblist_invoking = true;
		srcu_segcblist_extract_done(&sdp->srcu_cblist, batch);
		sdp->srcu_invoking_len = batch->len;
	}
	/*
	 * Else we are a fork's child, and the parent's invoker was inside the
	 * callback it had just taken out (an item never runs on two threads,
	 * so no one else can have left the flag set): that callback is the
	 * parent's; go on with the ones behind it.
	 */
	left = batch->len;
	__atomic_store_n(&sdp->srcu_cbs_in_flight, left, __ATOMIC_RELAXED);
	srcu_unlock(&sdp->lock);

	/*
	 * This thread alone writes the two counts below while it invokes
	 * (srcu_cblist_invoking): plain stores, no read-modify-write.
	 */
	while ((rhp = srcu_cblist_dequeue(batch)) != NULL) {
		bool ours = rhp->func == srcu_barrier_cb;

		WRITE_ONCE(sdp->n_cbs_invoked, sdp->n_cbs_invoked + 1);
		/*
		 * Release: a callback is over before cleanup can see the count
		 * drop.  srcu_barrier()'s own callback, which cannot block,
		 * drops it first: it wakes the barrier's caller, who may call
		 * cleanup_srcu_struct() at once.  The others are user code,
		 * which fork() does not wait for.
		 */
		if (ours) {
			__atomic_store_n(&sdp->srcu_cbs_in_flight, --left, __ATOMIC_RELEASE);
			rhp->func(rhp);
			continue;
		}
		srcu_wq_user_begin();
		rhp->func(rhp);
		srcu_wq_user_end();
		__atomic_store_n(&sdp->srcu_cbs_in_flight, --left, __ATOMIC_RELEASE);
	}

	srcu_trace_callbacks_invoke(ssp, sdp->srcu_invoking_len);
	srcu_lock(&sdp->lock);
	sdp->srcu_cblist.len -= sdp->srcu_invoking_len;
	sdp->srcu_cblist_invoking = false;
	more = srcu_segcblist_ready_cbs(&sdp->srcu_cblist);
	srcu_unlock(&sdp->lock);
	if (more)
		srcu_schedule_cbs_sdp(sdp, 0);
}

/* Waiting for grace periods. */

/*
 * Is w one of ssp's work items: its process_srcu(), or a callback invoker
 * of one of its CPUs?  (Every item on this library's GP pool is a
 * process_srcu(), every one on its CB pool a srcu_data's invoker.)
 */
static bool srcu_work_of(const struct srcu_work *w, const void *ssp)
{
	if (w->pool == SRCU_WQ_GP)
		return w == &((const struct srcu_tree_struct *)ssp)->srcu_sup->work;
	return caa_container_of(w, struct srcu_data, work)->ssp == ssp;
}

/*
 * What a thread waiting for ssp's grace periods (pools: GP), or for its
 * callbacks too (GP and CB), runs itself if a pool has no worker.
 */
static struct srcu_wq_owner srcu_work_owner(struct srcu_tree_struct *ssp, unsigned int pools)
{
	return (struct srcu_wq_owner){ .pools = pools, .mine = srcu_work_of, .arg = ssp };
}

/*
 * Sleep until a grace period ends (srcu_gp_end() wakes us), timeout_ns at
 * most if not 0, unless s is done already.  The waiter counts itself, then
 * reads the futex word, then srcu_gp_seq; the ender stores srcu_gp_seq,
 * bumps the word, then reads the count, all sequentially consistent:
 * either we see s done (or a changed word, and FUTEX_WAIT returns at once)
 * or the ender sees us and wakes us.  Counted only while asleep, so that
 * an ender that is itself the only waiter makes no wake-up call.
 */
static void srcu_sleep_for_gp_end(struct srcu_tree_struct *ssp, unsigned long s,
				  uint64_t timeout_ns)
{
	const struct srcu_wq_owner gp_work = srcu_work_owner(ssp, 1u << SRCU_WQ_GP);
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	int32_t val;

	__atomic_fetch_add(&sup->srcu_gp_waiters, 1, __ATOMIC_SEQ_CST);
	val = __atomic_load_n(&sup->srcu_gp_end_futex, __ATOMIC_SEQ_CST);
	if (!srcu_seq_done(&sup->srcu_gp_seq, s))
		srcu_wq_wait(&sup->srcu_gp_end_futex, val, &gp_work, timeout_ns);
	__atomic_fetch_sub(&sup->srcu_gp_waiters, 1, __ATOMIC_SEQ_CST);
}

/*
 * Wait for grace period s as an expedited waiter: drive the state machine
 * from this thread until s is done, never waiting for a worker to be
 * scheduled.  While readers hold a grace period up, sleep a moment
 * (srcu_poll_ns(), woken early by any grace period's end) and look again:
 * a reader this thread preempted gets its CPU back, and the next look
 * needs no other thread.  With promote_inflight=0, a grace period asleep
 * on the work's timer is left to it and the waiter sleeps until it ends:
 * the kernel's behaviour, and the seed's transfer.
 */
static void srcu_wait_expedited(struct srcu_tree_struct *ssp, unsigned long s)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	enum srcu_step step = SRCU_STEP_IDLE;
	unsigned long polls = 0;
	bool drove = false, kick;

	while (!srcu_seq_done(&sup->srcu_gp_seq, s)) {
		if (!srcu_param(SRCU_PARAM_PROMOTE_INFLIGHT) && srcu_gp_asleep(sup)) {
			srcu_sleep_for_gp_end(ssp, s, 0);
			continue;
		}
		step = srcu_advance_state(ssp, true);
		drove = true;
		if (step == SRCU_STEP_READERS) {
			__atomic_fetch_add(&sup->n_waiter_polls, 1, __ATOMIC_RELAXED);
			srcu_sleep_for_gp_end(ssp, s, srcu_poll_ns(sup, polls++));
		}
	}
	if (!drove)
		return;
	/* What is left (a grace period started for others) goes to the work. */
	srcu_lock(&sup->lock);
	kick = srcu_reschedule_locked(ssp, step == SRCU_STEP_STARTED ? 0 : srcu_get_delay(ssp), 0);
	srcu_unlock(&sup->lock);
	if (kick)
		srcu_gp_work_kick(sup);
}

/*
 * Wait for a full grace period.  The waiter needs grace period s (the
 * snapshot), exactly as a callback queued now would; srcu_seq_done() with
 * the full barrier after it gives the same ordering guarantee as the
 * callback path, as poll_state_synchronize_srcu() does.  A normal wait
 * leaves the grace periods to the work, at the kernel's pace.
 */
static void __synchronize_srcu(struct srcu_tree_struct *ssp, bool do_norm)
{
	unsigned long s;

	check_init_srcu_struct(ssp);
	s = srcu_gp_start_if_needed(ssp, NULL, do_norm, !do_norm,
				    srcu_param(SRCU_PARAM_PROMOTE_INFLIGHT));
	if (do_norm) {
		while (!srcu_seq_done(&ssp->srcu_sup->srcu_gp_seq, s))
			srcu_sleep_for_gp_end(ssp, s, 0);
	} else {
		srcu_wait_expedited(ssp, s);
	}
	smp_mb(); /* The GP comes before what the caller does next. */
}

SRCU_EXPORT void srcu_tree_synchronize_expedited(struct srcu_tree_struct *ssp)
{
	srcu_debug_check_live(ssp, "synchronize_srcu_expedited()");
	srcu_debug_not_reader(ssp, "synchronize_srcu_expedited");
	__synchronize_srcu(ssp, false);
}

/*
 * Probably idle?  No callbacks waiting on this CPU, no grace period
 * running or requested, the last one ended more than exp_holdoff ago.  A
 * heuristic, racy by design, as in the kernel.
 */
static bool srcu_might_be_idle(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_usage *sup = check_init_srcu_struct(ssp);
	struct srcu_data *sdp = srcu_this_sdp(ssp, smp_load_acquire(&sup->srcu_size_state));
	unsigned long curseq, holdoff = srcu_param(SRCU_PARAM_EXP_HOLDOFF);
	uint64_t t, tlast;
	bool pending;

	srcu_lock(&sdp->lock);
	pending = srcu_segcblist_pend_cbs(&sdp->srcu_cblist);
	srcu_unlock(&sdp->lock);
	if (pending)
		return false;
	t = srcu_now_ns();
	tlast = READ_ONCE(sup->srcu_last_gp_end);
	if (holdoff == 0 || (t >= tlast && t < tlast + holdoff))
		return false;	/* Too soon after the last GP. */
	curseq = srcu_seq_current(&sup->srcu_gp_seq);
	smp_mb(); /* Read srcu_gp_seq before srcu_gp_seq_needed. */
	if (ULONG_CMP_LT(curseq, READ_ONCE(sup->srcu_gp_seq_needed)))
		return false;	/* A GP is running or requested. */
	smp_mb(); /* Re-read srcu_gp_seq after the above. */
	return curseq == srcu_seq_current(&sup->srcu_gp_seq);
}

SRCU_EXPORT void srcu_tree_synchronize(struct srcu_tree_struct *ssp)
{
	srcu_debug_check_live(ssp, "synchronize_srcu()");
	srcu_debug_not_reader(ssp, "synchronize_srcu");
	if (srcu_might_be_idle(ssp))
		srcu_tree_synchronize_expedited(ssp);
	else
		__synchronize_srcu(ssp, true);
}

/*
 * srcu_expedite_current(), as the kernel has it: an expedited callback of
 * our own (one per CPU) whose grace period is thereby expedited.  A call
 * made while that callback waits asks for it to be queued once more when
 * it runs, so that the grace period after the current one is expedited
 * too; further calls meanwhile add nothing.  Under sdp->lock.
 */
static void srcu_expedite_current_cb(struct rcu_head *rhp)
{
	struct srcu_data *sdp = caa_container_of(rhp, struct srcu_data, srcu_ec_head);
	bool again = false;

	srcu_lock_sdp_contention(sdp);
	SRCU_BUG_ON(sdp->srcu_ec_state == SRCU_EC_IDLE);
	if (sdp->srcu_ec_state == SRCU_EC_REPOST) {
		sdp->srcu_ec_state = SRCU_EC_PENDING;
		again = true;
	} else {
		sdp->srcu_ec_state = SRCU_EC_IDLE;
	}
	srcu_unlock(&sdp->lock);
	if (again)
		__call_srcu(sdp->ssp, &sdp->srcu_ec_head, srcu_expedite_current_cb, false);
}

SRCU_EXPORT void srcu_tree_expedite_current(struct srcu_tree_struct *ssp)
{
	struct srcu_data *sdp;
	bool post = false;

	srcu_debug_check_live(ssp, "srcu_expedite_current()");
	check_init_srcu_struct(ssp);
	sdp = &ssp->srcu_sup->sda[srcu_tree_this_cpu(ssp)];
	srcu_lock_sdp_contention(sdp);
	if (sdp->srcu_ec_state == SRCU_EC_IDLE) {
		sdp->srcu_ec_state = SRCU_EC_PENDING;
		post = true;
	} else if (sdp->srcu_ec_state == SRCU_EC_PENDING) {
		sdp->srcu_ec_state = SRCU_EC_REPOST;
	}
	srcu_unlock(&sdp->lock);
	if (post)
		__call_srcu(ssp, &sdp->srcu_ec_head, srcu_expedite_current_cb, false);
}

/* Polling. */

SRCU_EXPORT unsigned long srcu_tree_get_state_synchronize(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_usage *sup = check_init_srcu_struct(ssp);

	/* srcu_seq_snap()'s barrier orders the caller's updates before it. */
	return srcu_request_snap(sup, true);
}

SRCU_EXPORT unsigned long srcu_tree_start_poll_synchronize(struct srcu_tree_struct *ssp)
{
	return srcu_gp_start_if_needed(ssp, NULL, true, false, true);
}

static bool srcu_cookie_done(struct srcu_tree_usage *sup, unsigned long cookie)
{
	return cookie == SRCU_GET_STATE_COMPLETED ||
	       srcu_seq_done_exact(&sup->srcu_gp_seq, cookie);
}

SRCU_EXPORT bool srcu_tree_poll_state_synchronize(struct srcu_tree_struct *ssp,
						  unsigned long cookie)
{
	struct srcu_tree_usage *sup = check_init_srcu_struct(ssp);
	const struct srcu_wq_owner gp_work = srcu_work_owner(ssp, 1u << SRCU_WQ_GP);

	if (!srcu_cookie_done(sup, cookie)) {
		/* On a GP pool without workers, pollers drive our grace periods. */
		if (!srcu_wq_help(&gp_work, NULL) || !srcu_cookie_done(sup, cookie))
			return false;
	}
	smp_mb(); /* The GP comes before what the caller does next. */
	return true;
}

/*
 * The grace-period sequence itself, state bits included, as the kernel
 * reports it: it moves when a grace period starts, flips and ends.  A
 * struct never used yet reports the value it will start from.
 */
SRCU_EXPORT unsigned long srcu_tree_batches_completed(struct srcu_tree_struct *ssp)
{
	/* Acquire: pairs with the release in init_srcu_struct_fields(). */
	struct srcu_tree_usage *sup = smp_load_acquire(&ssp->srcu_sup);

	return sup ? srcu_seq_current(&sup->srcu_gp_seq) : SRCU_GP_SEQ_INITIAL_VAL;
}

/* srcu_barrier(). */

/*
 * A barrier ends when its count drops to zero, in whichever thread drops
 * it: the last of its callbacks, or its starter if it entrained none.  Not
 * in the thread that waits for it, so that no lock is held across the wait
 * and the barrier does not depend on that thread: in a fork() child, a
 * barrier that another thread of the parent was waiting for ends when the
 * child runs its copy of the callbacks, and the child's own barriers can
 * start after it.
 */
static void srcu_barrier_end(struct srcu_tree_usage *sup)
{
	srcu_seq_end(&sup->srcu_barrier_seq);
	/* Seq_cst, then wake: see srcu_barrier_wait(). */
	__atomic_fetch_add(&sup->srcu_barrier_ends, 1, __ATOMIC_SEQ_CST);
	srcu_futex_wake_all(&sup->srcu_barrier_ends);
}

static void srcu_barrier_cb(struct rcu_head *rhp)
{
	struct srcu_data *sdp = caa_container_of(rhp, struct srcu_data, srcu_barrier_head);
	struct srcu_tree_usage *sup = sdp->ssp->srcu_sup;

	if (__atomic_sub_fetch(&sup->srcu_barrier_cpu_cnt, 1, __ATOMIC_SEQ_CST) == 0)
		srcu_barrier_end(sup);
}

/*
 * Wait until the barrier sequence reaches end.  We read the futex word,
 * then the sequence; srcu_barrier_end() writes the sequence, then bumps the
 * word, then wakes: if we miss the new sequence, FUTEX_WAIT sees the word
 * changed or the wake finds us.  The acquire load pairs with the release in
 * srcu_seq_end(): the barrier's callbacks happen before our return.
 */
static void srcu_barrier_wait(struct srcu_tree_usage *sup, unsigned long end,
			      const struct srcu_wq_owner *o)
{
	int32_t val;

	for (;;) {
		val = __atomic_load_n(&sup->srcu_barrier_ends, __ATOMIC_SEQ_CST);
		if (ULONG_CMP_GE(smp_load_acquire(&sup->srcu_barrier_seq), end))
			break;
		srcu_wq_wait(&sup->srcu_barrier_ends, val, o, 0);
	}
	smp_mb(); /* The barrier comes before what the caller does next. */
}

/*
 * Put the barrier callback behind the last callback queued on sdp, if
 * any: it then needs no grace period of its own, and runs after them all.
 */
static void srcu_barrier_one_cpu(struct srcu_tree_usage *sup, struct srcu_data *sdp)
{
	srcu_lock(&sdp->lock);
	__atomic_fetch_add(&sup->srcu_barrier_cpu_cnt, 1, __ATOMIC_SEQ_CST);
	sdp->srcu_barrier_head.func = srcu_barrier_cb;
	if (srcu_segcblist_entrain(&sdp->srcu_cblist, &sdp->srcu_barrier_head))
		WRITE_ONCE(sdp->n_cbs_queued, sdp->n_cbs_queued + 1);
	else
		__atomic_fetch_sub(&sup->srcu_barrier_cpu_cnt, 1, __ATOMIC_SEQ_CST);
	srcu_unlock(&sdp->lock);
}

/* One barrier: every callback queued before it has been invoked. */
static void srcu_barrier_round(struct srcu_tree_struct *ssp, const struct srcu_wq_owner *all_work)
{
	struct srcu_tree_usage *sup = ssp->srcu_sup;
	unsigned long s = srcu_seq_snap(&sup->srcu_barrier_seq), cur;
	unsigned int cpu;
	int idx;

	srcu_lock(&sup->srcu_barrier_mutex);
	/* Acquire: a barrier ended by another thread is over for us too. */
	while (!ULONG_CMP_GE(cur = smp_load_acquire(&sup->srcu_barrier_seq), s) &&
	       srcu_seq_state(cur)) {
		/* Another barrier is running; ours starts once it has ended. */
		srcu_unlock(&sup->srcu_barrier_mutex);
		srcu_barrier_wait(sup, srcu_seq_end_of(cur), all_work);
		srcu_lock(&sup->srcu_barrier_mutex);
	}
	if (ULONG_CMP_GE(cur, s)) {
		smp_mb(); /* Someone else's barrier covered ours. */
		srcu_unlock(&sup->srcu_barrier_mutex);
		return;
	}
	srcu_seq_start(&sup->srcu_barrier_seq);
	/* The initial count keeps it from reaching zero while we entrain. */
	__atomic_store_n(&sup->srcu_barrier_cpu_cnt, 1, __ATOMIC_SEQ_CST);

	idx = srcu_internal_read_lock(ssp);
	if (smp_load_acquire(&sup->srcu_size_state) < SRCU_SIZE_WAIT_BARRIER)
		srcu_barrier_one_cpu(sup, &sup->sda[0]);
	else
		for (cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++)
			srcu_barrier_one_cpu(sup, &sup->sda[cpu]);
	srcu_internal_read_unlock(ssp, idx);

	if (__atomic_sub_fetch(&sup->srcu_barrier_cpu_cnt, 1, __ATOMIC_SEQ_CST) == 0)
		srcu_barrier_end(sup);
	srcu_unlock(&sup->srcu_barrier_mutex);
	srcu_barrier_wait(sup, s, all_work);
}

/* Does some CPU's srcu_data satisfy pred, each looked at under its lock? */
static bool srcu_any_sdp(struct srcu_tree_struct *ssp, bool (*pred)(const struct srcu_data *))
{
	for (unsigned int cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++) {
		struct srcu_data *sdp = &ssp->srcu_sup->sda[cpu];
		bool hit;

		srcu_lock(&sdp->lock);
		hit = pred(sdp);
		srcu_unlock(&sdp->lock);
		if (hit)
			return true;
	}
	return false;
}

/* An srcu_expedite_current() callback is queued here. */
static bool srcu_sdp_expedite_queued(const struct srcu_data *sdp)
{
	return sdp->srcu_ec_state != SRCU_EC_IDLE;
}

SRCU_EXPORT void srcu_tree_barrier(struct srcu_tree_struct *ssp)
{
	const struct srcu_wq_owner all_work =
		srcu_work_owner(ssp, (1u << SRCU_WQ_GP) | (1u << SRCU_WQ_CB));
	struct srcu_work *running = srcu_current_work();

	check_init_srcu_struct(ssp);
	srcu_debug_not_reader(ssp, "srcu_barrier");
	/* Its own list is busy invoking us: the barrier could never complete. */
	if (running && running->pool == SRCU_WQ_CB && srcu_work_of(running, ssp))
		srcu_die("srcu_barrier() from a callback of the same srcu_struct would deadlock");
	srcu_barrier_round(ssp, &all_work);
	/*
	 * An srcu_expedite_current() asked for twice before we were called
	 * re-queues its callback when the first one runs, behind our marker;
	 * the caller asked before us, so we wait for that one too (and a
	 * cleanup_srcu_struct() after us finds nothing queued).  One more
	 * round does it: the re-queued callback does not re-queue again
	 * unless asked anew, after our call.
	 */
	if (srcu_any_sdp(ssp, srcu_sdp_expedite_queued))
		srcu_barrier_round(ssp, &all_work);
}

/* Clean-up. */

/* Callbacks queued, or still to run in a batch being invoked. */
static bool srcu_sdp_has_cbs(const struct srcu_data *sdp)
{
	return !srcu_segcblist_empty(&sdp->srcu_cblist) ||
	       __atomic_load_n(&sdp->srcu_cbs_in_flight, __ATOMIC_ACQUIRE);
}

/* Once the work is flushed: anything left, or an invoker still inside. */
static bool srcu_sdp_invoking(const struct srcu_data *sdp)
{
	return sdp->srcu_cblist.len || sdp->srcu_cblist_invoking;
}

/*
 * Free what init allocated, or return -EBUSY and change nothing where the
 * kernel would warn and leak: readers inside, an expedited GP pending,
 * callbacks queued, a grace period running or requested.
 */
SRCU_EXPORT int srcu_tree_cleanup(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_usage *sup;
	unsigned int cpu, state;
	bool busy;

	if (!ssp)
		return -EINVAL;
	srcu_debug_check_live(ssp, "cleanup_srcu_struct()");
	sup = smp_load_acquire(&ssp->srcu_sup);
	state = READ_ONCE(ssp->srcu_state);
	if (state == SRCU_STATE_DEAD || (!state && !sup && !ssp->srcu_readers))
		return 0;	/* Already cleaned up, or zeroed (as a failed init leaves it). */
	if (state == SRCU_STATE_STATIC && !sup) {
		WRITE_ONCE(ssp->srcu_state, SRCU_STATE_DEAD);	/* Never used. */
		srcu_debug_mark_cleaned(ssp);
		return 0;
	}
	if (state != SRCU_STATE_LIVE || !sup)
		return -EINVAL;	/* Never initialised. */
	srcu_lock(&sup->lock);
	busy = ULONG_CMP_LT(sup->srcu_gp_seq, sup->srcu_gp_seq_needed) ||
	       ULONG_CMP_LT(sup->srcu_gp_seq, sup->srcu_gp_seq_needed_exp) ||
	       srcu_seq_state(sup->srcu_gp_seq) != SRCU_STATE_IDLE;
	srcu_unlock(&sup->lock);
	if (busy || srcu_readers_active(ssp, NULL))
		return -EBUSY;
	if (srcu_any_sdp(ssp, srcu_sdp_has_cbs))
		return -EBUSY;
	/*
	 * No callback is left to run, but a worker may still be on its way
	 * out (an invoker that has just run srcu_barrier()'s callback still
	 * holds its batch's bookkeeping for a moment): let them finish.
	 */
	srcu_flush_work(&sup->work);
	for (cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++)
		srcu_flush_work(&sup->sda[cpu].work);
	if (srcu_any_sdp(ssp, srcu_sdp_invoking) ||
	    srcu_seq_state(READ_ONCE(sup->srcu_gp_seq)) != SRCU_STATE_IDLE ||
	    srcu_readers_active(ssp, NULL))
		return -EBUSY;

	srcu_free_all(ssp, sup, ssp->srcu_readers);
	ssp->srcu_sup = NULL;
	ssp->srcu_readers = NULL;
	WRITE_ONCE(ssp->srcu_state, SRCU_STATE_DEAD);
	srcu_debug_unregister(ssp);
	srcu_debug_mark_cleaned(ssp);
	return 0;
}

/*
 * Out-of-line readers: the exported twins of the inline fast paths, which
 * call them while SRCU_DEBUG's checks are on (so they count with the
 * fast paths' cores, not the inline readers).  With the checks on they
 * also track the readers each thread holds (debug.h), checked after the
 * unlock's own cheap index check; down/up readers are only checked for
 * use after clean-up, since another thread may release them.
 */

SRCU_EXPORT int srcu_tree_read_lock(struct srcu_tree_struct *ssp)
{
	int idx;

	srcu_debug_check_live(ssp, "srcu_read_lock()");
	idx = srcu_tree_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NORMAL);
	srcu_debug_lock(ssp, idx, SRCU_READ_FLAVOR_NORMAL);
	return idx;
}

SRCU_EXPORT void srcu_tree_read_unlock(struct srcu_tree_struct *ssp, int idx)
{
	srcu_debug_check_live(ssp, "srcu_read_unlock()");
	srcu_tree_ctr_unlock_mb(ssp, idx, "srcu_read_unlock");
	srcu_debug_unlock(ssp, idx, SRCU_READ_FLAVOR_NORMAL, "srcu_read_unlock");
}

/*
 * Test-only (<srcu/testing.h>): a normal reader counted on the index
 * readers are not using, as one that read srcu_idx before the last flip
 * and counts itself only now would be: the straggler that SCAN1 waits for.
 * So that it tests SCAN1, it waits (10 ms at most) until no grace period
 * runs, and counts itself holding sup->lock, under which grace periods
 * start and flip: the next SCAN1 scan begins after its count.
 */
SRCU_EXPORT int srcu_tree_test_read_lock_straggler(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_usage *sup;
	struct srcu_tree_reader *r;
	bool idle = false;
	int idx;

	srcu_debug_check_live(ssp, "srcu_read_lock()");
	sup = check_init_srcu_struct(ssp);
	r = srcu_tree_readers(ssp, SRCU_READ_FLAVOR_NORMAL);
	for (int us = 0; !idle && us < 10000; us += 10) {
		if (!srcu_seq_state(READ_ONCE(sup->srcu_gp_seq))) {
			srcu_lock(&sup->lock);
			idle = !srcu_seq_state(sup->srcu_gp_seq);
			if (idle)
				break;
			srcu_unlock(&sup->lock);
		}
		srcu_udelay(10);
	}
	/* After 10 ms, as it comes: a SCAN2 of that index would see us too. */
	if (!idle)
		srcu_lock(&sup->lock);
	idx = 1 ^ (ssp->srcu_idx & 0x1);	/* sup->lock: no flip now */
	srcu_tree_ctr_inc_atomic(ssp, r, idx, false);
	smp_mb(); /* B */ /* Pairs with A and E, as a reader's. */
	srcu_unlock(&sup->lock);
	srcu_debug_lock(ssp, idx, SRCU_READ_FLAVOR_NORMAL);
	return idx;
}

SRCU_EXPORT int srcu_tree_read_lock_nmisafe(struct srcu_tree_struct *ssp)
{
	int idx;

	srcu_debug_check_live(ssp, "srcu_read_lock_nmisafe()");
	idx = srcu_tree_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NMI);
	srcu_debug_lock(ssp, idx, SRCU_READ_FLAVOR_NMI);
	return idx;
}

SRCU_EXPORT void srcu_tree_read_unlock_nmisafe(struct srcu_tree_struct *ssp, int idx)
{
	srcu_debug_check_live(ssp, "srcu_read_unlock_nmisafe()");
	srcu_tree_ctr_unlock_mb(ssp, idx, "srcu_read_unlock_nmisafe");
	srcu_debug_unlock(ssp, idx, SRCU_READ_FLAVOR_NMI, "srcu_read_unlock_nmisafe");
}

SRCU_EXPORT struct srcu_tree_ctr *srcu_tree_read_lock_fast(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_ctr *scp;

	srcu_debug_check_live(ssp, "srcu_read_lock_fast()");
	scp = srcu_tree_fast_lock(ssp, SRCU_READ_FLAVOR_FAST);
	srcu_debug_lock(ssp, (uintptr_t)scp, SRCU_READ_FLAVOR_FAST);
	return scp;
}

SRCU_EXPORT void srcu_tree_read_unlock_fast(struct srcu_tree_struct *ssp,
					    struct srcu_tree_ctr *scp)
{
	srcu_debug_check_live(ssp, "srcu_read_unlock_fast()");
	srcu_tree_fast_unlock(ssp, scp, "srcu_read_unlock_fast");
	srcu_debug_unlock(ssp, (uintptr_t)scp, SRCU_READ_FLAVOR_FAST, "srcu_read_unlock_fast");
}

SRCU_EXPORT struct srcu_tree_ctr *
srcu_tree_read_lock_fast_updown(struct srcu_tree_struct *ssp)
{
	struct srcu_tree_ctr *scp;

	srcu_debug_check_live(ssp, "srcu_read_lock_fast_updown()");
	scp = srcu_tree_fast_lock(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
	srcu_debug_lock(ssp, (uintptr_t)scp, SRCU_READ_FLAVOR_FAST_UPDOWN);
	return scp;
}

SRCU_EXPORT void srcu_tree_read_unlock_fast_updown(struct srcu_tree_struct *ssp,
						   struct srcu_tree_ctr *scp)
{
	srcu_debug_check_live(ssp, "srcu_read_unlock_fast_updown()");
	srcu_tree_fast_unlock(ssp, scp, "srcu_read_unlock_fast_updown");
	srcu_debug_unlock(ssp, (uintptr_t)scp, SRCU_READ_FLAVOR_FAST_UPDOWN,
			  "srcu_read_unlock_fast_updown");
}

SRCU_EXPORT int srcu_tree_down_read(struct srcu_tree_struct *ssp)
{
	srcu_debug_check_live(ssp, "srcu_down_read()");
	return srcu_tree_ctr_lock_mb(ssp, SRCU_READ_FLAVOR_NORMAL);
}

SRCU_EXPORT void srcu_tree_up_read(struct srcu_tree_struct *ssp, int idx)
{
	srcu_debug_check_live(ssp, "srcu_up_read()");
	srcu_tree_ctr_unlock_mb(ssp, idx, "srcu_up_read");
}

SRCU_EXPORT struct srcu_tree_ctr *srcu_tree_down_read_fast(struct srcu_tree_struct *ssp)
{
	srcu_debug_check_live(ssp, "srcu_down_read_fast()");
	return srcu_tree_fast_lock(ssp, SRCU_READ_FLAVOR_FAST_UPDOWN);
}

SRCU_EXPORT void srcu_tree_up_read_fast(struct srcu_tree_struct *ssp,
					struct srcu_tree_ctr *scp)
{
	srcu_debug_check_live(ssp, "srcu_up_read_fast()");
	srcu_tree_fast_unlock(ssp, scp, "srcu_up_read_fast");
}

/*
 * Without lockdep the kernel answers 1, and so do we; a debug build knows
 * which readers this thread holds (srcu_down_read() ones are not "held",
 * as in the kernel).
 */
SRCU_EXPORT int srcu_tree_read_lock_held(const struct srcu_tree_struct *ssp)
{
	srcu_debug_check_live(ssp, "srcu_read_lock_held()");
	return srcu_debug_held(ssp);
}

SRCU_EXPORT void srcu_tree_check_dereference(const struct srcu_tree_struct *ssp,
					     const char *expr, const char *file,
					     int line, const char *func)
{
	srcu_debug_check_dereference(ssp, expr, file, line, func);
}

/* Statistics. */

static const char *const srcu_size_state_name[] = {
	"SMALL", "ALLOC", "WAIT_BARRIER", "WAIT_CALL",
	"WAIT_CBS1", "WAIT_CBS2", "WAIT_CBS3", "WAIT_CBS4", "BIG",
};

SRCU_EXPORT int srcu_tree_get_stats(struct srcu_tree_struct *ssp, struct srcu_stats *st)
{
	struct srcu_tree_usage *sup;
	int ss;

	if (!ssp || !st)
		return -EINVAL;
	/* Not for a struct cleaned up or never initialised: no allocation here. */
	if (READ_ONCE(ssp->srcu_state) != SRCU_STATE_LIVE &&
	    READ_ONCE(ssp->srcu_state) != SRCU_STATE_STATIC)
		return -EINVAL;
	sup = check_init_srcu_struct(ssp);
	memset(st, 0, sizeof(*st));
	st->flavour = "tree";
	st->gp_seq = srcu_seq_current(&sup->srcu_gp_seq);
	st->gp_seq_needed = READ_ONCE(sup->srcu_gp_seq_needed);
	st->gp_seq_needed_exp = READ_ONCE(sup->srcu_gp_seq_needed_exp);
	ss = smp_load_acquire(&sup->srcu_size_state);
	st->size_state = ss;
	st->size_state_name = ss >= 0 && ss <= SRCU_SIZE_BIG ? srcu_size_state_name[ss] : "???";
	st->nr_cpus = ssp->srcu_nr_cpus;
	st->nr_nodes = ss >= SRCU_SIZE_WAIT_BARRIER ? sup->num_nodes : 0;
	st->gp_normal = READ_ONCE(sup->n_gp_normal);
	st->gp_expedited = READ_ONCE(sup->n_gp_expedited);
	st->promotions = READ_ONCE(sup->n_promotions);
	st->transfers = READ_ONCE(sup->n_transfers);
	for (unsigned int cpu = 0; cpu < ssp->srcu_nr_cpus; cpu++) {
		st->cbs_queued += READ_ONCE(sup->sda[cpu].n_cbs_queued);
		st->cbs_invoked += READ_ONCE(sup->sda[cpu].n_cbs_invoked);
	}
	srcu_readers_active(ssp, st->readers);
	st->reader_flavours = READ_ONCE(ssp->srcu_reader_flavor);
	st->membarrier = srcu_membarrier_ok();
	st->gp_sleeping = srcu_gp_asleep(sup);
	st->gp_by_waiter = READ_ONCE(sup->n_gp_by_waiter);
	st->waiter_polls = __atomic_load_n(&sup->n_waiter_polls, __ATOMIC_RELAXED);
	return 0;
}

SRCU_EXPORT void srcu_tree_stats_print(struct srcu_tree_struct *ssp, FILE *out,
				       const char *tag)
{
	struct srcu_stats st;

	if (!ssp)
		srcu_die("srcu_stats_print: NULL srcu_struct");
	if (srcu_tree_get_stats(ssp, &st))
		srcu_die_unusable(ssp, READ_ONCE(ssp->srcu_state), ssp->srcu_name,
				  "srcu_stats_print");
	srcu_stats_write(&st, out ? out : stderr, tag ? tag : "srcu");
	if ((ssp->srcu_sup->srcu_sizing & ~SRCU_SIZING_CONTEND) == SRCU_SIZING_TORTURE)
		srcu_transition_to_big(ssp);
}
