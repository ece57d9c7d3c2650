/*
 * version.c: srcu_version(), the version of the library a program runs
 * with (the headers' is SRCU_VERSION_STRING, <srcu/version.h>).  Compiled
 * into each flavour library.
 */
#include "internal.h"

#if defined(SRCU_FLAVOUR_TREE)
#include <srcu/tree.h>
#else
#include <srcu/tiny.h>
#endif

SRCU_EXPORT const char *SRCU_API(version)(void)
{
	return SRCU_VERSION_STRING;
}
