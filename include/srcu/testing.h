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
 * While fail is non-zero, the flavour's worker pools cannot create threads,
 * as if pthread_create() failed with EAGAIN: a pool with no worker yet
 * then runs without one (its waiters do its work, doc/reliability.md).
 */
void srcu_tree_test_fail_threads(int fail);
void srcu_tiny_test_fail_threads(int fail);

/*
 * Break the grace periods of every srcu_struct of the flavour on purpose,
 * so that a test can show it would notice: srcu-torture --broken=NAME
 * must then fail.  NULL or "" repairs.  Returns 0, or -ENOENT for a mode
 * the flavour does not have.  Tree: "skip-scan2" (end the grace period
 * right after the flip, without waiting for the index just retired),
 * "no-flip" (the flip leaves srcu_idx alone), "skip-scan1" (flip without
 * waiting for stragglers on the inactive index).  Tiny: "skip-phase1"
 * (the same), "skip-phase2" (end the grace period right after the flip),
 * "no-flip" (phase 2 without moving the readers to the other index).
 * Thread-safe.
 */
int srcu_tree_test_break(const char *mode);
int srcu_tiny_test_break(const char *mode);

/*
 * Enter a normal reader of ssp, counted on the index readers are not
 * using: what a reader that read the index before the last flip and
 * counts itself only now (a straggler) does, which the first phase of a
 * grace period waits for and which outside code can otherwise only hit by
 * chance.  Returns the index; srcu_read_unlock() ends the reader.
 */
struct srcu_tree_struct;
struct srcu_tiny_struct;
int srcu_tree_test_read_lock_straggler(struct srcu_tree_struct *ssp);
int srcu_tiny_test_read_lock_straggler(struct srcu_tiny_struct *ssp);

/*
 * Tree: call fn(ssp, event, arg) from the grace-period work of every
 * srcu_struct of the flavour: SRCU_TEST_GP_STEP when a scan found an index
 * clear and the work is about to take the step it allows (flip or end),
 * SRCU_TEST_GP_SCANNED after it has moved the state machine as far as
 * readers let it and before it decides whether to sleep,
 * SRCU_TEST_GP_DECIDED once that decision is recorded.  fn may block (at
 * STEP and SCANNED, to stand for a worker preempted there, or to widen a
 * window).  NULL removes it.  Thread-safe.
 */
enum srcu_test_gp_event { SRCU_TEST_GP_STEP, SRCU_TEST_GP_SCANNED, SRCU_TEST_GP_DECIDED };
void srcu_tree_test_gp_hook(void (*fn)(struct srcu_tree_struct *ssp, int event, void *arg),
			    void *arg);

#ifdef __cplusplus
}
#endif

#endif /* SRCU_TESTING_H */
