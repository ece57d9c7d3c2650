/*
 * srcu/testing.h: hooks for the library's own tests.  Test-only: not part
 * of the API, no stability promise, never for production code.
 */
#ifndef SRCU_TESTING_H
#define SRCU_TESTING_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Make the n-th allocation of the library from now on fail (return NULL):
 * n = 0 is the next one.  Only that one fails; n < 0 cancels.  Thread-safe.
 * One per flavour library.
 */
void srcu_tree_test_fail_alloc(long n);
void srcu_tiny_test_fail_alloc(long n);

#ifdef __cplusplus
}
#endif

#endif /* SRCU_TESTING_H */
