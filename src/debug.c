/*
 * debug.c: the SRCU_DEBUG checks of debug.h (lockdep's checks, for SRCU):
 * whether they are on, the per-thread table of readers held, the list of
 * those tables that the stall warnings read, and Tree's registry of
 * initialised srcu_structs.  Called by srcutree.c, srcutiny.c and stall.c;
 * compiled into each flavour library.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <srcu/common.h>
#include "debug.h"

#ifdef SRCU_DEBUG
#define SRCU_DEBUG_DEFAULT	1	/* configured with SRCU_DEBUG=ON */
#else
#define SRCU_DEBUG_DEFAULT	0
#endif

SRCU_EXPORT int srcu_debug_checks = SRCU_DEBUG_DEFAULT;

/*
 * SRCU_DEBUG=1 (or 0) in the environment turns the checks on (or off),
 * before main() and before any library that uses this one starts: the
 * readers' table must see every lock whose unlock it will check.
 */
__attribute__((constructor)) static void srcu_debug_from_env(void)
{
	const char *v = getenv("SRCU_DEBUG");

	if (!v)
		return;
	if (!strcmp(v, "1"))
		srcu_debug_checks = 1;
	else if (!strcmp(v, "0"))
		srcu_debug_checks = 0;
	else
		SRCU_PRIV(warn)("SRCU_DEBUG=%s ignored: 1 turns the misuse checks on, 0 off "
				"(they are %s)", v, srcu_debug_checks ? "on" : "off");
}

/*
 * The readers this thread holds.  Slots [0, held_nr) are in use; a slot
 * is free (ssp NULL), a reader (ssp set), or a hole: a reader released
 * out of order, below others still held (HOLE).
 *
 * Nmisafe readers run in signal handlers, which may interrupt this thread
 * anywhere in here, so every change is made so that a handler, whose own
 * locks and unlocks are balanced and come in that order, finds the table
 * consistent and leaves it so:
 * - push reserves its slot with a CAS on held_nr, then fills it, ssp
 *   last; a handler meanwhile sees the slot free and works above it;
 * - pop marks the slot a hole, then trims holes off the top: each one is
 *   freed before held_nr drops past it (with a CAS), and only holes are
 *   trimmed, never free slots, so a slot reserved and not yet filled is
 *   never taken away from its owner.
 * Accesses are atomic (relaxed) for the compiler's sake; only this thread
 * touches its table, so no ordering beyond a signal fence is needed.
 */
#define HOLE	((const void *)1)

struct held_reader {
	const void *ssp;	/* srcu_struct, NULL (free) or HOLE */
	uintptr_t token;	/* index, or counter pointer of a fast reader */
	unsigned int flavor;	/* SRCU_READ_FLAVOR_* */
};

static __thread struct held_reader held[SRCU_DEBUG_MAX_HELD];
static __thread unsigned int held_nr;

static void thread_list_add(void);
static __thread int thread_slot;	/* index + 1 in thread_list, 0: not listed yet */

static const char *lock_name(unsigned int flavor)
{
	switch (flavor) {
	case SRCU_READ_FLAVOR_NORMAL:
		return "srcu_read_lock";
	case SRCU_READ_FLAVOR_NMI:
		return "srcu_read_lock_nmisafe";
	case SRCU_READ_FLAVOR_FAST:
		return "srcu_read_lock_fast";
	case SRCU_READ_FLAVOR_FAST_UPDOWN:
		return "srcu_read_lock_fast_updown";
	default:
		return "an SRCU reader";
	}
}

void SRCU_PRIV(debug_lock)(const void *ssp, uintptr_t token, unsigned int flavor)
{
	unsigned int n = __atomic_load_n(&held_nr, __ATOMIC_RELAXED);

	if (caa_unlikely(!thread_slot))
		thread_list_add();
	do {
		if (n >= SRCU_DEBUG_MAX_HELD)
			srcu_die("%s(): more than %d SRCU readers held by one thread "
				 "(SRCU_DEBUG's table is full)", lock_name(flavor),
				 SRCU_DEBUG_MAX_HELD);
	} while (!__atomic_compare_exchange_n(&held_nr, &n, n + 1, false,
					      __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	__atomic_store_n(&held[n].token, token, __ATOMIC_RELAXED);
	__atomic_store_n(&held[n].flavor, flavor, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);	/* Filled before it is seen. */
	/* Release: for a stall warning that reads this table from another thread. */
	__atomic_store_n(&held[n].ssp, ssp, __ATOMIC_RELEASE);
}

/* Free the holes at the top of the table. */
static void held_trim(void)
{
	unsigned int n = __atomic_load_n(&held_nr, __ATOMIC_RELAXED);

	while (n > 0 && __atomic_load_n(&held[n - 1].ssp, __ATOMIC_RELAXED) == HOLE) {
		__atomic_store_n(&held[n - 1].ssp, NULL, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);	/* Free before it drops. */
		/* On failure a handler trimmed meanwhile: n is reloaded. */
		if (__atomic_compare_exchange_n(&held_nr, &n, n - 1, false,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			n--;
	}
}

/* The topmost slot holding a reader of ssp (and of flavor/token if not ~0), or -1. */
static int held_find(const void *ssp, uintptr_t token, unsigned int flavor)
{
	int i = (int)__atomic_load_n(&held_nr, __ATOMIC_RELAXED);

	while (--i >= 0) {
		if (__atomic_load_n(&held[i].ssp, __ATOMIC_RELAXED) != ssp)
			continue;
		if ((token == ~(uintptr_t)0 || held[i].token == token) &&
		    (flavor == ~0u || held[i].flavor == flavor))
			return i;
	}
	return -1;
}

void SRCU_PRIV(debug_unlock)(const void *ssp, uintptr_t token, unsigned int flavor,
		       const char *func)
{
	int i = held_find(ssp, token, flavor);

	if (i >= 0) {
		__atomic_store_n(&held[i].ssp, HOLE, __ATOMIC_RELAXED);
		held_trim();
		return;
	}
	i = held_find(ssp, token, ~0u);
	if (i >= 0)
		srcu_die("%s(): srcu_struct %p: mismatched unlock of a reader entered "
			 "with %s()", func, ssp, lock_name(held[i].flavor));
	i = held_find(ssp, ~(uintptr_t)0, flavor);
	if (i >= 0)
		srcu_die("%s(): srcu_struct %p: %s %#lx matches no reader this thread "
			 "holds (it holds %#lx)", func, ssp,
			 flavor & (SRCU_READ_FLAVOR_FAST | SRCU_READ_FLAVOR_FAST_UPDOWN) ?
			 "counter" : "index",
			 (unsigned long)token, (unsigned long)held[i].token);
	srcu_die("%s(): srcu_struct %p: unlock without a matching lock in this thread "
		 "(a reader another thread releases takes srcu_down_read())", func, ssp);
}

bool SRCU_PRIV(debug_held)(const void *ssp)
{
	return held_find(ssp, ~(uintptr_t)0, ~0u) >= 0;
}

void SRCU_PRIV(debug_not_reader)(const void *ssp, const char *func)
{
	int i = held_find(ssp, ~(uintptr_t)0, ~0u);

	if (i >= 0)
		srcu_die("%s() inside a %s() reader of the same srcu_struct %p "
			 "would deadlock", func, lock_name(held[i].flavor), ssp);
}

void SRCU_PRIV(debug_check_dereference)(const void *ssp, const char *expr,
				  const char *file, int line, const char *func)
{
	if (held_find(ssp, ~(uintptr_t)0, ~0u) < 0)
		SRCU_PRIV(die)(file, line, func,
			       "srcu_dereference(%s) outside a reader of srcu_struct %p "
			       "(this thread holds none, and the condition is false)",
			       expr, ssp);
}

/*
 * Tree's registry: srcu_struct -> update side, for every initialised one,
 * in an open-addressing hash table (linear probing, tombstones).  Debug
 * bookkeeping uses malloc() directly, so that fault injection
 * (srcu_zalloc()) sees the same allocations as in a normal build.
 */
#define TOMB	((const void *)1)

struct reg_entry {
	const void *ssp;	/* NULL: empty; TOMB: removed */
	const void *sup;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct reg_entry *reg;
static size_t reg_cap, reg_used;	/* slots; live entries plus tombstones */

static void reg_lock_once(void)
{
	srcu_fork_handlers();	/* before the first use of reg_lock */
	srcu_check_pthread(pthread_mutex_lock(&reg_lock));
}

static size_t reg_hash(const void *p, size_t cap)
{
	return (size_t)(((uintptr_t)p >> 6) * 0x9e3779b97f4a7c15ULL) & (cap - 1);
}

/* The slot of ssp, or of the empty slot that ends its probe.  Lock held. */
static struct reg_entry *reg_slot(const void *ssp)
{
	size_t i = reg_hash(ssp, reg_cap);

	while (reg[i].ssp && reg[i].ssp != ssp)
		i = (i + 1) & (reg_cap - 1);
	return &reg[i];
}

/* Rehash without the tombstones, into a table a quarter full at most. */
static void reg_grow(void)
{
	struct reg_entry *old = reg;
	size_t i, live = 0, old_cap = reg_cap;

	for (i = 0; i < old_cap; i++)
		live += old[i].ssp && old[i].ssp != TOMB;
	for (reg_cap = 64; reg_cap < 4 * (live + 1); reg_cap *= 2)
		;
	reg = calloc(reg_cap, sizeof(*reg));
	if (!reg)
		srcu_die("out of memory for SRCU_DEBUG's registry");
	for (i = 0; i < old_cap; i++)
		if (old[i].ssp && old[i].ssp != TOMB)
			*reg_slot(old[i].ssp) = old[i];
	reg_used = live;
	free(old);
}

void SRCU_PRIV(debug_init_check)(const void *ssp, void *const *supp, const char *func)
{
	struct reg_entry *e;
	bool twice = false;

	reg_lock_once();
	if (reg) {
		e = reg_slot(ssp);
		/*
		 * Registered, and still pointing at its update side: in use.  A
		 * different pointer means the memory was reused without a
		 * clean-up (a leak, LeakSanitizer's to report), not a double init.
		 */
		twice = e->ssp == ssp && __atomic_load_n(supp, __ATOMIC_RELAXED) == e->sup;
	}
	srcu_check_pthread(pthread_mutex_unlock(&reg_lock));
	if (twice)
		srcu_die("%s(): srcu_struct %p is already initialised (call "
			 "cleanup_srcu_struct() first)", func, ssp);
}

void SRCU_PRIV(debug_register)(const void *ssp, const void *sup)
{
	struct reg_entry *e;

	reg_lock_once();
	if ((reg_used + 1) * 2 > reg_cap)
		reg_grow();
	e = reg_slot(ssp);
	if (!e->ssp)
		reg_used++;
	e->ssp = ssp;
	e->sup = sup;
	srcu_check_pthread(pthread_mutex_unlock(&reg_lock));
}

void SRCU_PRIV(debug_unregister)(const void *ssp)
{
	struct reg_entry *e;

	reg_lock_once();
	if (reg) {
		e = reg_slot(ssp);
		if (e->ssp == ssp)
			e->ssp = TOMB;	/* Still counted in reg_used until a grow. */
	}
	srcu_check_pthread(pthread_mutex_unlock(&reg_lock));
}

/*
 * The list of threads' reader tables, for the stall warnings: which
 * threads hold readers of a stalled srcu_struct.  A thread joins it at its
 * first reader, perhaps in a signal handler, so joining is lock-free (it
 * claims a free slot with a CAS, and pthread_setspecific() of a key made
 * at load time, which glibc does without allocating); it leaves it when it
 * exits (the key's destructor), under thread_list_lock, which a stall
 * warning holds while it reads other threads' tables: those stay valid
 * until their thread has left the list.  Past THREAD_LIST_MAX threads at
 * once, the others are not listed (and the warning says so).
 */
#define THREAD_LIST_MAX	256

struct thread_entry {
	int used;			/* claimed by a thread (CAS) */
	pid_t tid;			/* its kernel thread id */
	unsigned int *nr;		/* its held_nr */
	struct held_reader *table;	/* its held[]; set last (release), NULL: filling */
};

static struct thread_entry thread_list[THREAD_LIST_MAX];
static pthread_mutex_t thread_list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_key_t thread_list_key;
static bool thread_list_key_ok;

static void thread_list_remove(void *slot)
{
	struct thread_entry *e = &thread_list[(uintptr_t)slot - 1];

	srcu_fork_handlers();	/* before the first use of thread_list_lock */
	srcu_check_pthread(pthread_mutex_lock(&thread_list_lock));
	__atomic_store_n(&e->table, NULL, __ATOMIC_RELAXED);
	__atomic_store_n(&e->used, 0, __ATOMIC_RELEASE);
	srcu_check_pthread(pthread_mutex_unlock(&thread_list_lock));
	thread_slot = 0;
}

static void __attribute__((constructor)) thread_list_init(void)
{
	thread_list_key_ok = !pthread_key_create(&thread_list_key, thread_list_remove);
}

/* Async-signal-safe (see above). */
static void thread_list_add(void)
{
	for (uintptr_t i = 0; i < THREAD_LIST_MAX && thread_list_key_ok; i++) {
		struct thread_entry *e = &thread_list[i];
		int free_slot = 0;

		if (!__atomic_compare_exchange_n(&e->used, &free_slot, 1, false,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		e->tid = (pid_t)syscall(SYS_gettid);
		e->nr = &held_nr;
		__atomic_store_n(&e->table, held, __ATOMIC_RELEASE);
		pthread_setspecific(thread_list_key, (void *)(i + 1));
		thread_slot = (int)i + 1;
		return;
	}
	thread_slot = -1;	/* Not listed; not tried again. */
}

/* The thread's name, from /proc (the kernel's comm). */
static void thread_name(pid_t tid, char *buf, size_t size)
{
	char path[64];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/comm", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	if (n <= 0)
		n = 0;
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
}

void srcu_debug_stall_holders(const void *ssp)
{
	unsigned int listed = 0, free_entries = 0;
	char name[32];

	if (!srcu_debug_on())
		return;
	srcu_fork_handlers();	/* before the first use of thread_list_lock */
	srcu_check_pthread(pthread_mutex_lock(&thread_list_lock));
	for (int i = 0; i < THREAD_LIST_MAX; i++) {
		struct thread_entry *e = &thread_list[i];
		struct held_reader *t = __atomic_load_n(&e->table, __ATOMIC_ACQUIRE);
		unsigned int n;

		if (!t)
			continue;
		n = __atomic_load_n(e->nr, __ATOMIC_RELAXED);
		for (unsigned int j = 0; j < n && j < SRCU_DEBUG_MAX_HELD; j++) {
			unsigned int flavor;
			uintptr_t token;

			if (__atomic_load_n(&t[j].ssp, __ATOMIC_ACQUIRE) != ssp)
				continue;
			token = __atomic_load_n(&t[j].token, __ATOMIC_RELAXED);
			flavor = __atomic_load_n(&t[j].flavor, __ATOMIC_RELAXED);
			thread_name(e->tid, name, sizeof(name));
			if (flavor == SRCU_READ_FLAVOR_FAST)
				SRCU_PRIV(warn)("stall:   thread %d (%s) holds %s() of srcu_struct "
						"%p, counter %#lx", (int)e->tid, name,
						lock_name(flavor), ssp, (unsigned long)token);
			else
				SRCU_PRIV(warn)("stall:   thread %d (%s) holds %s() of srcu_struct "
						"%p, index %lu", (int)e->tid, name,
						lock_name(flavor), ssp, (unsigned long)token);
			listed++;
		}
	}
	for (int i = 0; i < THREAD_LIST_MAX; i++)
		free_entries += !__atomic_load_n(&thread_list[i].used, __ATOMIC_RELAXED);
	srcu_check_pthread(pthread_mutex_unlock(&thread_list_lock));
	if (!listed)
		SRCU_PRIV(warn)("stall:   no listed thread holds a reader of srcu_struct %p "
				"(not tracked: srcu_down_read() readers, and readers of "
				"threads that have exited, or of the parent's other threads "
				"before fork()%s)", ssp,
				free_entries ? "" : ", or of threads past the first "
				"256 to take a reader");
}

/*
 * fork(): the child must not inherit a lock held by a thread it lacks.  In
 * the child, the other threads' tables are gone with them (their memory
 * may soon be another thread's): only the forking thread stays listed.
 */
void srcu_debug_fork(enum srcu_fork_phase phase)
{
	if (phase == SRCU_FORK_PREPARE) {
		srcu_fork_mutex(&reg_lock, phase);
		srcu_fork_mutex(&thread_list_lock, phase);
		return;
	}
	if (phase == SRCU_FORK_CHILD)
		for (int i = 0; i < THREAD_LIST_MAX; i++)
			if (i + 1 != thread_slot) {
				thread_list[i].table = NULL;
				thread_list[i].used = 0;
			}
	srcu_fork_mutex(&thread_list_lock, phase);
	srcu_fork_mutex(&reg_lock, phase);
}
