/*
 * srcu.h: libsrcu, sleepable RCU in userspace with the Linux kernel's API.
 *
 * The flavour: Tiny SRCU where SRCU_TINY is defined, Tree SRCU where
 * SRCU_TREE is, or nothing is (the default).  The build defines one for
 * you: pkg-config srcu-tree / srcu::tree add SRCU_TREE, srcu-tiny /
 * srcu::tiny add SRCU_TINY.  A program that links both gets both, and
 * then each file that includes this header must say which it is (#undef
 * the other one first); a file that needs both flavours includes
 * <srcu/tree.h> and <srcu/tiny.h> and calls the prefixed names
 * (srcu_tree_*, srcu_tiny_*).
 *
 * man srcu (and a page per call) or doc/api.md documents each call;
 * doc/design.md explains the algorithms.
 */
#ifndef SRCU_H
#define SRCU_H

#if defined(SRCU_TINY) && defined(SRCU_TREE)
#error "<srcu.h>: both SRCU_TREE and SRCU_TINY are defined (the build links both flavours: pkg-config srcu-tree srcu-tiny, or srcu::tree and srcu::tiny), so this file's flavour is ambiguous. In a file that uses one flavour, #undef SRCU_TINY (for Tree) or SRCU_TREE (for Tiny) before #include <srcu.h>; a file that uses both includes <srcu/tree.h> and <srcu/tiny.h> instead and calls srcu_tree_*() and srcu_tiny_*()."
#elif defined(SRCU_TINY)
#include <srcu/tiny.h>
#define SRCU_FLAVOUR_NAME(x)	srcu_tiny_##x
#define SRCU_FLAVOUR_MACRO(x)	SRCU_TINY_##x
#else
#include <srcu/tree.h>
#define SRCU_FLAVOUR_NAME(x)	srcu_tree_##x
#define SRCU_FLAVOUR_MACRO(x)	SRCU_TREE_##x
#endif

#include <srcu/map.h>

#endif /* SRCU_H */
