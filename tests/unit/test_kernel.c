/*
 * test_kernel.c: the kernel's helpers of <srcu/kernel.h> and the scoped
 * readers of <srcu/guard.h>, written as kernel code writes them, one
 * source for both flavours (test_kernel-tree, -tiny; and with
 * SRCU_NO_INLINE, test_kernel_noinline-*).  What is checked is what the
 * kernel's do: srcu_dereference() loads what rcu_assign_pointer()
 * published, a guard's reader lasts exactly its scope (however the scope
 * is left) and holds grace periods back meanwhile, the cookie helpers
 * agree with poll_state_synchronize_srcu().  The SRCU_DEBUG side
 * (srcu_dereference() outside a reader aborts) is in
 * tests/reliability/test_debug.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <srcu.h>
#include "test_util.h"

/* How long a grace period is given to (wrongly) end while a reader holds it. */
#define HOLD_MS		20

struct foo {
	int a;
};

static struct foo __rcu *gp;
static struct srcu_struct ss, ss_fast, ss_updown;

static int setup(void **state)
{
	(void)state;
	if (init_srcu_struct(&ss) || init_srcu_struct_fast(&ss_fast) ||
	    init_srcu_struct_fast_updown(&ss_updown))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	srcu_barrier(&ss);
	return cleanup_srcu_struct(&ss) || cleanup_srcu_struct(&ss_fast) ||
	       cleanup_srcu_struct(&ss_updown);
}

/* Readers inside ssp right now (exact: no other thread reads here). */
static long readers_inside(struct srcu_struct *ssp)
{
	struct srcu_stats st;

	assert_int_equal(srcu_get_stats(ssp, &st), 0);
	return st.readers[0] + st.readers[1];
}


/*
 * Ask for a grace period now; it must still be pending a while later (a
 * reader of the caller's holds it back).  Returns its cookie.
 */
static unsigned long assert_gp_held_back(struct srcu_struct *ssp)
{
	unsigned long cookie = start_poll_synchronize_srcu(ssp);

	test_sleep_ms(HOLD_MS);
	assert_false(poll_state_synchronize_srcu(ssp, cookie));
	return cookie;
}

/* srcu_dereference() and friends read what the publication macros wrote. */

static int cond_calls;

static int counted_cond(int v)
{
	cond_calls++;
	return v;
}

static void test_dereference(void **state)
{
	struct foo f1 = { .a = 1 }, f2 = { .a = 2 };
	struct foo *p;
	int idx;

	RCU_INIT_POINTER(gp, NULL);
	idx = srcu_read_lock(&ss);
	assert_null(srcu_dereference(gp, &ss));
	srcu_read_unlock(&ss, idx);

	rcu_assign_pointer(gp, &f1);			/* liburcu's */
	idx = srcu_read_lock(&ss);
	p = srcu_dereference(gp, &ss);
	assert_ptr_equal(p, &f1);
	assert_int_equal(p->a, 1);
	assert_ptr_equal(rcu_dereference(gp), &f1);	/* liburcu's */
	srcu_read_unlock(&ss, idx);

	/* Update side, under its own lock: the condition says so. */
	p = rcu_xchg_pointer(&gp, &f2);
	assert_ptr_equal(p, &f1);
	assert_int_equal(srcu_dereference_check(gp, &ss, 1)->a, 2);
	assert_ptr_equal(srcu_dereference_notrace(gp, &ss), &f2);

	/*
	 * The condition is evaluated only where it is checked (SRCU_DEBUG),
	 * as lockdep's is only with CONFIG_PROVE_RCU.
	 */
	cond_calls = 0;
	assert_ptr_equal(srcu_dereference_check(gp, &ss, counted_cond(1)), &f2);
#ifdef SRCU_DEBUG
	assert_int_equal(cond_calls, 1);
#else
	assert_int_equal(cond_calls, 0);
#endif
	RCU_INIT_POINTER(gp, NULL);
}

/* The _notrace readers are readers; the barrier helpers are there. */
static void test_notrace_readers(void **state)
{
	struct srcu_ctr *scp;
	unsigned long cookie;
	int idx;

	idx = srcu_read_lock_notrace(&ss);
	smp_mb__after_srcu_read_lock();
	assert_int_equal(readers_inside(&ss), 1);
	cookie = assert_gp_held_back(&ss);
	srcu_read_unlock_notrace(&ss, idx);
	smp_mb__after_srcu_read_unlock();
	assert_int_equal(readers_inside(&ss), 0);
	assert_true(test_poll_until_done(&ss, cookie));

	scp = srcu_read_lock_fast_notrace(&ss_fast);
	assert_int_equal(readers_inside(&ss_fast), 1);
	srcu_read_unlock_fast_notrace(&ss_fast, scp);
	assert_int_equal(readers_inside(&ss_fast), 0);
}

/*
 * srcu_read_lock_fast_updown(): a reader grace periods wait for, on the
 * same counters as srcu_down_read_fast(), with which it mixes.
 */
static void test_fast_updown_reader(void **state)
{
	struct srcu_ctr *scp, *down;
	unsigned long cookie;

	scp = srcu_read_lock_fast_updown(&ss_updown);
	down = srcu_down_read_fast(&ss_updown);
	assert_int_equal(readers_inside(&ss_updown), 2);
	cookie = start_poll_synchronize_srcu(&ss_updown);
	srcu_up_read_fast(&ss_updown, down);
	test_sleep_ms(HOLD_MS);
	assert_false(poll_state_synchronize_srcu(&ss_updown, cookie));
	srcu_read_unlock_fast_updown(&ss_updown, scp);
	assert_int_equal(readers_inside(&ss_updown), 0);
	assert_true(test_poll_until_done(&ss_updown, cookie));
}

/*
 * The cookie helpers: the completed cookie is done; at most
 * NUM_ACTIVE_SRCU_POLL_OLDSTATE distinct cookies are pending at once (the
 * grace period held back by a reader, and the one after it), and cookies
 * taken meanwhile name one of those.
 */
static void test_cookie_helpers(void **state)
{
	unsigned long c1, c2, c3;
	int idx;

	assert_true(poll_state_synchronize_srcu(&ss, get_completed_synchronize_srcu()));
	assert_true(same_state_synchronize_srcu(get_completed_synchronize_srcu(),
						SRCU_GET_STATE_COMPLETED));
	idx = srcu_read_lock(&ss);
	c1 = start_poll_synchronize_srcu(&ss);	/* starts the GP the reader holds */
	test_sleep_ms(HOLD_MS);
	c2 = get_state_synchronize_srcu(&ss);	/* the one after it */
	c3 = start_poll_synchronize_srcu(&ss);
	assert_false(same_state_synchronize_srcu(c1, c2));
	assert_true(same_state_synchronize_srcu(c2, c3));
	assert_int_equal(NUM_ACTIVE_SRCU_POLL_OLDSTATE, 2);
	assert_false(poll_state_synchronize_srcu(&ss, c1));
	assert_false(poll_state_synchronize_srcu(&ss, c2));
	srcu_read_unlock(&ss, idx);
	assert_true(test_poll_until_done(&ss, c1));
	assert_true(test_poll_until_done(&ss, c2));
}

/* guard(): the reader lasts to the end of the block, nested ones too. */
static void test_guard_block(void **state)
{
	unsigned long cookie;

	assert_int_equal(readers_inside(&ss), 0);
	{
		guard(srcu)(&ss);

		assert_int_equal(readers_inside(&ss), 1);
		{
			guard(srcu)(&ss);

			assert_int_equal(readers_inside(&ss), 2);
			assert_true(srcu_read_lock_held(&ss));
		}
		assert_int_equal(readers_inside(&ss), 1);
		cookie = assert_gp_held_back(&ss);
	}
	assert_int_equal(readers_inside(&ss), 0);
	assert_true(test_poll_until_done(&ss, cookie));
}

/* A function that leaves its guard's scope by return, from two depths. */
static long guarded_return(bool early)
{
	guard(srcu)(&ss);

	if (early)
		return readers_inside(&ss);
	scoped_guard(srcu, &ss) {
		return readers_inside(&ss);
	}
	return -1;
}

/* scoped_guard(): its statement, once; break, return and goto end it too. */
static void test_scoped_guard(void **state)
{
	int runs = 0;

	scoped_guard(srcu, &ss) {
		runs++;
		assert_int_equal(readers_inside(&ss), 1);
	}
	assert_int_equal(runs, 1);
	assert_int_equal(readers_inside(&ss), 0);

	scoped_guard(srcu, &ss)
		runs++;				/* a single statement */
	assert_int_equal(runs, 2);

	for (int i = 0; i < 3; i++) {
		scoped_guard(srcu, &ss) {
			assert_int_equal(readers_inside(&ss), 1);
			if (i == 1)
				break;		/* leaves the guard only */
			runs++;
		}
		assert_int_equal(readers_inside(&ss), 0);
	}
	assert_int_equal(runs, 4);

	scoped_guard(srcu, &ss) {
		scoped_guard(srcu, &ss)
			if (readers_inside(&ss) == 2)
				goto out;
		fail();
	}
out:
	assert_int_equal(readers_inside(&ss), 0);

	assert_int_equal(guarded_return(true), 1);
	assert_int_equal(guarded_return(false), 2);
	assert_int_equal(readers_inside(&ss), 0);
}

/* The fast classes, on srcu_structs initialised for them. */
static void test_fast_guards(void **state)
{
	unsigned long cookie;

	{
		guard(srcu_fast)(&ss_fast);

		assert_int_equal(readers_inside(&ss_fast), 1);
		scoped_guard(srcu_fast_notrace, &ss_fast)
			assert_int_equal(readers_inside(&ss_fast), 2);
		cookie = assert_gp_held_back(&ss_fast);
	}
	assert_int_equal(readers_inside(&ss_fast), 0);
	assert_true(test_poll_until_done(&ss_fast, cookie));

	scoped_guard(srcu_fast_updown, &ss_updown) {
		assert_int_equal(readers_inside(&ss_updown), 1);
		cookie = assert_gp_held_back(&ss_updown);
	}
	assert_int_equal(readers_inside(&ss_updown), 0);
	assert_true(test_poll_until_done(&ss_updown, cookie));
}

/* Kernel code as it reads: publish, read under a guard, retire. */
struct item {
	int value;
	struct rcu_head rh;
};

static struct item __rcu *cur_item;
static int freed;

static void item_free(struct rcu_head *rh)
{
	free(caa_container_of(rh, struct item, rh));
	test_inc(&freed);
}

static int item_value(void)
{
	guard(srcu)(&ss);
	return srcu_dereference(cur_item, &ss)->value;
}

static void test_kernel_style(void **state)
{
	struct item *old, *n;

	for (int i = 0; i < 3; i++) {
		n = malloc(sizeof(*n));
		assert_non_null(n);
		n->value = i;
		old = srcu_dereference_check(cur_item, &ss, 1);
		rcu_assign_pointer(cur_item, n);
		assert_int_equal(item_value(), i);
		if (old)
			call_srcu(&ss, &old->rh, item_free);
	}
	old = srcu_dereference_check(cur_item, &ss, 1);
	RCU_INIT_POINTER(cur_item, NULL);
	synchronize_srcu(&ss);
	free(old);
	srcu_barrier(&ss);
	assert_int_equal(test_get(&freed), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dereference),
		cmocka_unit_test(test_notrace_readers),
		cmocka_unit_test(test_fast_updown_reader),
		cmocka_unit_test(test_cookie_helpers),
		cmocka_unit_test(test_guard_block),
		cmocka_unit_test(test_scoped_guard),
		cmocka_unit_test(test_fast_guards),
		cmocka_unit_test(test_kernel_style),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
