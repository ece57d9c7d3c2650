/*
 * srcu.h: libsrcu, sleepable RCU in userspace with the Linux kernel's API.
 *
 * Tree SRCU is the default (link with srcu-tree / srcu::tree).  Define
 * SRCU_TINY before including this header for Tiny SRCU (srcu-tiny /
 * srcu::tiny add the definition for you).  Both libraries can live in one
 * process; a single file that needs both includes <srcu/tree.h> and
 * <srcu/tiny.h> and calls the prefixed names (srcu_tree_*, srcu_tiny_*).
 *
 * doc/api.md documents each call; doc/design.md explains the algorithms.
 */
#ifndef SRCU_H
#define SRCU_H

#ifdef SRCU_TINY
#include <srcu/tiny.h>
#define SRCU_FLAVOUR_NAME(x)	srcu_tiny_##x
#define SRCU_FLAVOUR_MACRO(x)	SRCU_TINY_##x
#else
#include <srcu/tree.h>
#define SRCU_FLAVOUR_NAME(x)	srcu_tree_##x
#define SRCU_FLAVOUR_MACRO(x)	SRCU_TREE_##x
#endif

#include <srcu/map.h>
#include <srcu/kernel.h>	/* srcu_dereference(), rcu_assign_pointer(), ... */
#include <srcu/guard.h>		/* guard(srcu), scoped_guard(srcu, ...) (C) */

#endif /* SRCU_H */
