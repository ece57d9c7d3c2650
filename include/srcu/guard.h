/*
 * srcu/guard.h: scoped SRCU readers in the kernel's spelling (C only;
 * C++ has srcu::read_guard in <srcu.hpp>):
 *
 *	guard(srcu)(&ss);			reader until the end of the block
 *	scoped_guard(srcu, &ss) { ... }		reader for the statement
 *
 * and the same with srcu_fast, srcu_fast_notrace and srcu_fast_updown.
 * The reader ends however the scope is left (its end, break, return,
 * goto), by __attribute__((cleanup)), which GCC and Clang have.  Included
 * by <srcu.h>, whose flavour the readers follow; doc/api.md documents it.
 *
 * The classes (class_srcu_t, class_srcu_constructor(), ...) follow the
 * kernel's <linux/cleanup.h> naming, so a project with its own guard()
 * machinery can use them; guard() and scoped_guard() themselves are
 * defined only where nothing else defines them, and not at all with
 * SRCU_NO_GUARD.
 */
/* First: <srcu.h> includes this header back, once the names it maps exist. */
#include <srcu.h>

#ifndef SRCU_GUARD_H
#define SRCU_GUARD_H

#ifndef __cplusplus

/*
 * One reader class: class_<name>_t holds the srcu_struct and what the
 * unlock needs (the index or counter that lock_fn returned).
 */
#define SRCU_DEFINE_READER_GUARD(name, token_type, lock_fn, unlock_fn)	\
typedef struct {							\
	struct srcu_struct *lock;	/* the domain read */		\
	token_type token;		/* what lock_fn returned */	\
} class_##name##_t;							\
static inline class_##name##_t						\
class_##name##_constructor(struct srcu_struct *ssp)			\
{									\
	class_##name##_t g = { ssp, lock_fn(ssp) };			\
	return g;							\
}									\
static inline void class_##name##_destructor(class_##name##_t *g)	\
{									\
	unlock_fn(g->lock, g->token);					\
}									\
static inline void *class_##name##_lock_ptr(class_##name##_t *g)	\
{									\
	return g->lock;							\
}

SRCU_DEFINE_READER_GUARD(srcu, int, srcu_read_lock, srcu_read_unlock)
SRCU_DEFINE_READER_GUARD(srcu_fast, struct srcu_ctr *, srcu_read_lock_fast,
			 srcu_read_unlock_fast)
SRCU_DEFINE_READER_GUARD(srcu_fast_notrace, struct srcu_ctr *, srcu_read_lock_fast_notrace,
			 srcu_read_unlock_fast_notrace)
SRCU_DEFINE_READER_GUARD(srcu_fast_updown, struct srcu_ctr *, srcu_read_lock_fast_updown,
			 srcu_read_unlock_fast_updown)

/* A name no other guard in the translation unit has. */
#define SRCU_GUARD_CAT_(a, b)	a##b
#define SRCU_GUARD_CAT(a, b)	SRCU_GUARD_CAT_(a, b)
#define SRCU_GUARD_ID(prefix)	SRCU_GUARD_CAT(prefix, __COUNTER__)

/*
 * An instance of class name, ended by its destructor at the end of its
 * scope.  Unused as far as Clang 14 can tell, which warns otherwise.
 */
#define SRCU_GUARD_VAR(name, var)						\
	class_##name##_t var							\
	__attribute__((cleanup(class_##name##_destructor), unused)) =		\
		class_##name##_constructor

/* guard(name)(args): an instance for the rest of the enclosing block. */
#define srcu_guard(name)	SRCU_GUARD_VAR(name, SRCU_GUARD_ID(srcu_guard_))

/*
 * scoped_guard(name, args) statement: an instance for that statement.  A
 * loop that runs once (the once pointer is NULL after the first pass), so
 * that the instance's scope is the loop's; break leaves it too.  Unique
 * names, unlike the kernel's "scope", so that nested guards do not shadow.
 */
#define srcu_scoped_guard_(name, var, once, ...)				\
	for (SRCU_GUARD_VAR(name, var)(__VA_ARGS__), *once = &var; once; once = NULL)
#define srcu_scoped_guard(name, ...)						\
	srcu_scoped_guard_(name, SRCU_GUARD_ID(srcu_scope_),			\
			   SRCU_GUARD_ID(srcu_scope_once_), __VA_ARGS__)

#if !defined(SRCU_NO_GUARD) && !defined(guard) && !defined(scoped_guard)
#define guard(name)			srcu_guard(name)
#define scoped_guard(name, ...)		srcu_scoped_guard(name, __VA_ARGS__)
#endif

#endif /* !__cplusplus */

#endif /* SRCU_GUARD_H */
