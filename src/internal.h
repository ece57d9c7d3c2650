/*
 * internal.h: what every source file of the library shares: the prefixing
 * of internal symbols per flavour, fatal-error reporting, allocation.
 *
 * The common sources (workqueue, params, stats, alloc) are compiled once
 * into each flavour library.  Every symbol they define goes through
 * SRCU_PRIV() or SRCU_API(), so libsrcu-tree and libsrcu-tiny link into
 * one program, static or shared, without clashing.
 */
#ifndef SRCU_INTERNAL_H
#define SRCU_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu/compiler.h>

#if defined(SRCU_FLAVOUR_TREE)
#define SRCU_API(x)	srcu_tree_##x
#define SRCU_PRIV(x)	srcu_tree__##x
#define SRCU_FLAVOUR_STR "tree"
#elif defined(SRCU_FLAVOUR_TINY)
#define SRCU_API(x)	srcu_tiny_##x
#define SRCU_PRIV(x)	srcu_tiny__##x
#define SRCU_FLAVOUR_STR "tiny"
#else
#error "compile with SRCU_FLAVOUR_TREE or SRCU_FLAVOUR_TINY defined"
#endif

/* Exported API symbols; everything else is hidden by -fvisibility=hidden. */
#define SRCU_EXPORT __attribute__((visibility("default")))

/* Relaxed and ordered accesses to shared state (C11 builtins, see design.md). */
#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)
#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define smp_mb()		__atomic_thread_fence(__ATOMIC_SEQ_CST)

/* Wrap-safe comparisons of unsigned long counters. */
#define ULONG_CMP_GE(a, b)	(ULONG_MAX / 2 >= (unsigned long)(a) - (unsigned long)(b))
#define ULONG_CMP_LT(a, b)	(ULONG_MAX / 2 < (unsigned long)(a) - (unsigned long)(b))

/*
 * Report an impossible failure or a misuse that cannot be survived, with
 * where it was found, then abort.  Never returns.
 */
#define srcu_die(...)	SRCU_PRIV(die)(__FILE__, __LINE__, __func__, __VA_ARGS__)
void SRCU_PRIV(die)(const char *file, int line, const char *func,
		    const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

/*
 * Report an srcu_struct that call cannot use, by its srcu_state (cleaned
 * up, or not initialised at all), then abort.  name: its DEFINE_SRCU()
 * name, trusted only if state says the struct was initialised once.
 */
#define srcu_die_unusable(ssp, state, name, call)			\
	SRCU_PRIV(die_unusable)(__FILE__, __LINE__, __func__, (ssp), (state), (name), (call))
void SRCU_PRIV(die_unusable)(const char *file, int line, const char *func,
			     const void *ssp, unsigned int state, const char *name,
			     const char *call) __attribute__((noreturn));

/* Cheap always-on checks, and debug-only checks for fast paths. */
#define SRCU_BUG_ON(cond) \
	do { if (caa_unlikely(cond)) srcu_die("BUG: %s", #cond); } while (0)
#ifdef SRCU_DEBUG
#define SRCU_DEBUG_BUG_ON(cond) SRCU_BUG_ON(cond)
#else
#define SRCU_DEBUG_BUG_ON(cond) do { (void)sizeof(cond); } while (0)
#endif

/* Print a warning once per call site. */
#define srcu_warn_once(...)						\
	do {								\
		static int warned_;					\
		if (!__atomic_exchange_n(&warned_, 1, __ATOMIC_RELAXED))\
			SRCU_PRIV(warn)(__VA_ARGS__);			\
	} while (0)
void SRCU_PRIV(warn)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Allocation: every allocation of the library goes through these, so a
 * test can make the n-th one fail (SRCU_API(test_fail_alloc)).
 */
#define srcu_zalloc		SRCU_PRIV(zalloc)
#define srcu_zalloc_aligned	SRCU_PRIV(zalloc_aligned)
#define srcu_free		SRCU_PRIV(free)
void *srcu_zalloc(size_t size);
void *srcu_zalloc_aligned(size_t align, size_t size);
void srcu_free(void *p);

/* Die on a pthread call that cannot fail in correct use. */
#define srcu_check_pthread(call)					\
	do {								\
		int err_ = (call);					\
		if (caa_unlikely(err_))					\
			srcu_die("%s: error %d", #call, err_);		\
	} while (0)

#endif /* SRCU_INTERNAL_H */
