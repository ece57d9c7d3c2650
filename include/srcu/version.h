/*
 * srcu/version.h: the version of libsrcu these headers belong to, for
 * compile-time tests; srcu_version() says which library a program runs
 * with.  This is the one place the version is written: CMakeLists.txt
 * reads it from here.  Included by <srcu/common.h>, hence by <srcu.h>.
 */
#ifndef SRCU_VERSION_H
#define SRCU_VERSION_H

#define SRCU_VERSION_MAJOR	0
#define SRCU_VERSION_MINOR	1
#define SRCU_VERSION_PATCH	0

#define SRCU_VERSION_STRINGIFY_(a, b, c)	#a "." #b "." #c
#define SRCU_VERSION_STRINGIFY(a, b, c)		SRCU_VERSION_STRINGIFY_(a, b, c)

/* "MAJOR.MINOR.PATCH", what srcu_version() returns for these headers. */
#define SRCU_VERSION_STRING \
	SRCU_VERSION_STRINGIFY(SRCU_VERSION_MAJOR, SRCU_VERSION_MINOR, SRCU_VERSION_PATCH)

#endif /* SRCU_VERSION_H */
