/*
 * test_wrap.c: grace-period counters run past wrap (both flavours start
 * them 100 grace periods before it), through <srcu.h>: polling cookies,
 * srcu_batches_completed(), callbacks and readers stay correct across
 * it.  Tree runs it small and big (the funnel's per-node sequence numbers
 * wrap too).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <srcu.h>
#include "test_util.h"

#define ROUNDS	300	/* grace periods: well past the wrap */

/* Wrap-safe "a is at or after b", as the library compares its counters. */
#define AT_OR_AFTER(a, b)	(ULONG_MAX / 2 >= (unsigned long)(a) - (unsigned long)(b))

struct counted {
	struct rcu_head rh;
	int calls;
	unsigned long cookie;	/* get_state_synchronize_srcu() when queued */
	int early;		/* invoked while its cookie was not yet done */
	struct srcu_struct *ssp;
};

static void counted_cb(struct rcu_head *rhp)
{
	struct counted *c = caa_container_of(rhp, struct counted, rh);

	if (!poll_state_synchronize_srcu(c->ssp, c->cookie))
		test_set(&c->early, 1);
	test_inc(&c->calls);
}

/* A reader that stays inside while the main thread checks a cookie. */
struct holder {
	struct srcu_struct *ssp;
	int inside;
	int release;
};

static void *holder_fn(void *arg)
{
	struct holder *h = arg;
	int idx = srcu_read_lock(h->ssp);

	test_set(&h->inside, 1);
	test_wait_for(&h->release, 1);
	srcu_read_unlock(h->ssp, idx);
	return NULL;
}

static void run_wrap(void)
{
	static unsigned long cookies[ROUNDS];
	static struct counted cbs[ROUNDS];
	struct srcu_struct ss;
	struct srcu_stats st;
	unsigned long first, prev_seq, batches, c, p;
	int i, wraps = 0;

	memset(cbs, 0, sizeof(cbs));
	assert_int_equal(init_srcu_struct(&ss), 0);
	assert_int_equal(srcu_get_stats(&ss, &st), 0);
	first = st.gp_seq;
	prev_seq = first;
	batches = srcu_batches_completed(&ss);
	assert_true(first > ULONG_MAX - 1024);	/* Starts just before the wrap. */
	for (i = 0; i < ROUNDS; i++) {
		c = get_state_synchronize_srcu(&ss);
		cookies[i] = c;
		assert_false(poll_state_synchronize_srcu(&ss, c));
		cbs[i].ssp = &ss;
		cbs[i].cookie = c;
		call_srcu(&ss, &cbs[i].rh, counted_cb);
		switch (i % 4) {
		case 0:
			synchronize_srcu(&ss);
			break;
		case 1:
			synchronize_srcu_expedited(&ss);
			break;
		case 2:
			p = start_poll_synchronize_srcu(&ss);
			while (!poll_state_synchronize_srcu(&ss, p))
				test_sleep_ms(1);
			break;
		case 3: {
			/* A reader inside holds the cookie back, wrap or not. */
			struct holder h = { .ssp = &ss };
			pthread_t t = test_thread_start(holder_fn, &h);

			assert_true(test_wait_for(&h.inside, 1));
			p = start_poll_synchronize_srcu(&ss);
			test_sleep_ms(2);
			assert_false(poll_state_synchronize_srcu(&ss, p));
			test_set(&h.release, 1);
			test_thread_join(t);
			synchronize_srcu(&ss);
			assert_true(poll_state_synchronize_srcu(&ss, p));
			break;
		}
		}
		assert_true(poll_state_synchronize_srcu(&ss, c));
		assert_true(poll_state_synchronize_srcu(&ss, SRCU_GET_STATE_COMPLETED));
		assert_int_equal(srcu_get_stats(&ss, &st), 0);
		if (st.gp_seq < prev_seq)
			wraps++;
		assert_true(AT_OR_AFTER(st.gp_seq, prev_seq) && st.gp_seq != prev_seq);
		prev_seq = st.gp_seq;
		assert_true(AT_OR_AFTER(srcu_batches_completed(&ss), batches));
		batches = srcu_batches_completed(&ss);
	}
	assert_int_equal(wraps, 1);
	/* Every cookie, from before and after the wrap, still reads done. */
	for (i = 0; i < ROUNDS; i++)
		assert_true(poll_state_synchronize_srcu(&ss, cookies[i]));
	srcu_barrier(&ss);
	for (i = 0; i < ROUNDS; i++) {
		assert_int_equal(test_get(&cbs[i].calls), 1);
		assert_int_equal(test_get(&cbs[i].early), 0);
	}
	assert_int_equal(cleanup_srcu_struct(&ss), 0);
}

static void test_wrap(void **state)
{
	run_wrap();
}

#ifndef SRCU_TINY
static void test_wrap_big(void **state)
{
	assert_int_equal(srcu_param_set("nr_cpus", 64), 0);
	assert_int_equal(srcu_param_set("convert_to_big", 1), 0);
	run_wrap();
	srcu_param_set("nr_cpus", 0);
	srcu_param_set("convert_to_big", 0);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrap),
#ifndef SRCU_TINY
		cmocka_unit_test(test_wrap_big),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
