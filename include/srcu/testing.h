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

/*
 * Break the grace periods of every srcu_struct of the flavour on purpose,
 * so that a test can show it would notice: srcu-torture --broken=NAME
 * must then fail.  NULL or "" repairs.  Returns 0, or -ENOENT for a mode
 * the flavour does not have.  Tree: "skip-scan2" (end the grace period
 * right after the flip, without waiting for the index just retired),
 * "no-flip" (the flip leaves srcu_idx alone), "skip-scan1" (flip without
 * waiting for stragglers on the inactive index; the torture test does not
 * catch it in a short run, doc/reliability.md).  Tiny: "skip-phase2" (end
 * the grace period right after the flip), "no-flip" (phase 2 without
 * moving the readers to the other index).  Thread-safe.
 */
int srcu_tree_test_break(const char *mode);
int srcu_tiny_test_break(const char *mode);

#ifdef __cplusplus
}
#endif

#endif /* SRCU_TESTING_H */
