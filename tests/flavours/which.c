/*
 * which.c: compiles only if <srcu.h> gave the flavour named by EXPECT
 * (tree or tiny).  The flavour-choice test (tests/flavours) compiles it
 * with both flavours' definitions and one of them #undef'd (UNDEF), and
 * with none.
 */
#ifdef UNDEF_TREE
#undef SRCU_TREE
#endif
#ifdef UNDEF_TINY
#undef SRCU_TINY
#endif
#include <srcu.h>

#ifdef EXPECT_TINY
_Static_assert(__builtin_types_compatible_p(struct srcu_struct, struct srcu_tiny_struct),
	       "<srcu.h> did not choose Tiny");
#else
_Static_assert(__builtin_types_compatible_p(struct srcu_struct, struct srcu_tree_struct),
	       "<srcu.h> did not choose Tree");
#endif
