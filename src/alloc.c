/*
 * alloc.c: every allocation of the library (srcu_zalloc() and friends of
 * internal.h), with fault injection for tests: srcu_*_test_fail_alloc(n)
 * of <srcu/testing.h> makes the n-th following allocation, and only that
 * one, return NULL.
 */
#include <stdlib.h>
#include <string.h>

#include <srcu/testing.h>
#include "internal.h"

/* Allocations left before the one that fails; -1: none fails. */
static long alloc_fail_countdown = -1;

static bool alloc_should_fail(void)
{
	long c = __atomic_load_n(&alloc_fail_countdown, __ATOMIC_RELAXED);

	/* Each allocation takes one off; the one that takes 0 to -1 fails. */
	while (c >= 0) {
		if (__atomic_compare_exchange_n(&alloc_fail_countdown, &c, c - 1, true,
						__ATOMIC_RELAXED, __ATOMIC_RELAXED))
			return c == 0;
	}
	return false;
}

SRCU_EXPORT void SRCU_API(test_fail_alloc)(long n)
{
	__atomic_store_n(&alloc_fail_countdown, n < 0 ? -1 : n, __ATOMIC_SEQ_CST);
}

void *srcu_zalloc(size_t size)
{
	if (alloc_should_fail())
		return NULL;
	return calloc(1, size ? size : 1);
}

void *srcu_zalloc_aligned(size_t align, size_t size)
{
	void *p;

	if (alloc_should_fail())
		return NULL;
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (!size)
		size = 1;
	if (posix_memalign(&p, align, size))
		return NULL;
	memset(p, 0, size);
	return p;
}

void srcu_free(void *p)
{
	free(p);
}
