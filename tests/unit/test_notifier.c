/*
 * test_notifier.c: SRCU notifier chains (<srcu/notifier.h>), written as
 * kernel code writes them, one source for both flavours (test_notifier-tree,
 * -tiny).  What the kernel's do: blocks are called in priority order (ties
 * in registration order), a NOTIFY_STOP_MASK return ends the walk and is
 * returned, a block is registered once, unregistration waits for the
 * readers that may be on the block (those already past it go on, as the
 * kernel reads the next link before each call), a block is never called
 * once its unregistration has returned.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <srcu/notifier.h>
#include "test_util.h"

/* Calls recorded in order, by block id, for one walk at a time. */
#define MAX_CALLS	16

struct rec_block {
	struct notifier_block nb;
	int id;
	int ret;		/* what the callback returns */
};

static int calls[MAX_CALLS], ncalls;

static int rec_call(struct notifier_block *nb, unsigned long action, void *data)
{
	struct rec_block *b = caa_container_of(nb, struct rec_block, nb);

	if (ncalls < MAX_CALLS)
		calls[ncalls] = b->id;
	ncalls++;
	*(unsigned long *)data += action;
	return b->ret;
}

static void rec_init(struct rec_block *b, int id, int priority, int ret)
{
	memset(b, 0, sizeof(*b));
	b->nb.notifier_call = rec_call;
	b->nb.priority = priority;
	b->id = id;
	b->ret = ret;
}

/* Walk the chain once; calls[] says who was called. */
static int walk(struct srcu_notifier_head *nh, unsigned long action, unsigned long *sum)
{
	ncalls = 0;
	return srcu_notifier_call_chain(nh, action, sum);
}

static void test_priority_order(void **state)
{
	struct srcu_notifier_head nh;
	struct rec_block b[5];
	unsigned long sum = 0;
	static const int want[] = { 2, 4, 3, 1, 5 };

	assert_int_equal(srcu_init_notifier_head(&nh), 0);
	assert_int_equal(walk(&nh, 1, &sum), NOTIFY_DONE);	/* empty */
	assert_int_equal(ncalls, 0);
	rec_init(&b[0], 1, 0, NOTIFY_OK);
	rec_init(&b[1], 2, 10, NOTIFY_DONE);
	rec_init(&b[2], 3, 5, NOTIFY_OK);
	rec_init(&b[3], 4, 10, NOTIFY_OK);	/* ties with 2: after it */
	rec_init(&b[4], 5, -3, NOTIFY_DONE);
	for (int i = 0; i < 5; i++)
		assert_int_equal(srcu_notifier_chain_register(&nh, &b[i].nb), 0);

	/* All called, highest priority first; the last one's value returned. */
	assert_int_equal(walk(&nh, 7, &sum), NOTIFY_DONE);
	assert_int_equal(ncalls, 5);
	assert_memory_equal(calls, want, sizeof(want));
	assert_int_equal(sum, 5 * 7);

	/* Unregistered: not called any more; the rest keep their order. */
	assert_int_equal(srcu_notifier_chain_unregister(&nh, &b[2].nb), 0);
	assert_int_equal(walk(&nh, 1, &sum), NOTIFY_DONE);
	assert_int_equal(ncalls, 4);
	assert_int_equal(calls[0], 2);
	assert_int_equal(calls[1], 4);
	assert_int_equal(calls[2], 1);
	assert_int_equal(calls[3], 5);

	/* Registered again: back in its place. */
	assert_int_equal(srcu_notifier_chain_register(&nh, &b[2].nb), 0);
	walk(&nh, 1, &sum);
	assert_memory_equal(calls, want, sizeof(want));

	for (int i = 0; i < 5; i++)
		assert_int_equal(srcu_notifier_chain_unregister(&nh, &b[i].nb), 0);
	assert_int_equal(walk(&nh, 1, &sum), NOTIFY_DONE);
	assert_int_equal(ncalls, 0);
	assert_int_equal(srcu_cleanup_notifier_head(&nh), 0);
}

/* A return value with NOTIFY_STOP_MASK ends the walk, and is returned. */
static void test_stop(void **state)
{
	struct srcu_notifier_head nh;
	struct rec_block b[3];
	unsigned long sum = 0;

	assert_int_equal(srcu_init_notifier_head(&nh), 0);
	rec_init(&b[0], 1, 3, NOTIFY_OK);
	rec_init(&b[1], 2, 2, NOTIFY_STOP);
	rec_init(&b[2], 3, 1, NOTIFY_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(srcu_notifier_chain_register(&nh, &b[i].nb), 0);
	assert_int_equal(walk(&nh, 1, &sum), NOTIFY_STOP);
	assert_int_equal(ncalls, 2);

	b[1].ret = NOTIFY_BAD;
	assert_int_equal(walk(&nh, 1, &sum), NOTIFY_BAD);
	assert_int_equal(ncalls, 2);

	b[1].ret = notifier_from_errno(-EPERM);
	assert_int_equal(notifier_to_errno(walk(&nh, 1, &sum)), -EPERM);
	assert_int_equal(ncalls, 2);

	b[1].ret = NOTIFY_OK;
	assert_int_equal(walk(&nh, 1, &sum), NOTIFY_OK);
	assert_int_equal(ncalls, 3);

	for (int i = 0; i < 3; i++)
		assert_int_equal(srcu_notifier_chain_unregister(&nh, &b[i].nb), 0);
	assert_int_equal(srcu_cleanup_notifier_head(&nh), 0);
}

/* Errors: a block registered twice, one unknown, bad arguments. */
static void test_errors(void **state)
{
	struct srcu_notifier_head nh;
	struct rec_block a, other;
	struct notifier_block empty = { .notifier_call = NULL };

	assert_int_equal(srcu_init_notifier_head(&nh), 0);
	rec_init(&a, 1, 0, NOTIFY_OK);
	rec_init(&other, 2, 0, NOTIFY_OK);
	assert_int_equal(srcu_notifier_chain_register(&nh, &a.nb), 0);
	assert_int_equal(srcu_notifier_chain_register(&nh, &a.nb), -EEXIST);
	assert_int_equal(srcu_notifier_chain_unregister(&nh, &other.nb), -ENOENT);
	assert_int_equal(srcu_notifier_chain_register(&nh, &empty), -EINVAL);
	assert_int_equal(srcu_notifier_chain_register(&nh, NULL), -EINVAL);
	assert_int_equal(srcu_notifier_chain_register(NULL, &other.nb), -EINVAL);
	assert_int_equal(srcu_notifier_chain_unregister(NULL, &a.nb), -EINVAL);
	assert_int_equal(srcu_init_notifier_head(NULL), -EINVAL);
	assert_int_equal(srcu_cleanup_notifier_head(NULL), -EINVAL);
	assert_int_equal(srcu_notifier_chain_unregister(&nh, &a.nb), 0);
	assert_int_equal(srcu_notifier_chain_unregister(&nh, &a.nb), -ENOENT);
	assert_int_equal(srcu_cleanup_notifier_head(&nh), 0);

	/* The errno round trip. */
	assert_int_equal(notifier_from_errno(0), NOTIFY_OK);
	assert_int_equal(notifier_to_errno(NOTIFY_OK), 0);
	assert_int_equal(notifier_to_errno(NOTIFY_DONE), 0);
	assert_int_equal(notifier_to_errno(NOTIFY_STOP), 0);
	assert_int_equal(notifier_to_errno(notifier_from_errno(-ENOMEM)), -ENOMEM);
	assert_true(notifier_from_errno(-ENOMEM) & NOTIFY_STOP_MASK);
}

/* A head defined statically needs no init. */
SRCU_NOTIFIER_HEAD_STATIC(static_chain);

static void test_static_head(void **state)
{
	struct rec_block a;
	unsigned long sum = 0;

	rec_init(&a, 1, 0, NOTIFY_OK);
	assert_int_equal(walk(&static_chain, 1, &sum), NOTIFY_DONE);
	assert_int_equal(srcu_notifier_chain_register(&static_chain, &a.nb), 0);
	assert_int_equal(walk(&static_chain, 3, &sum), NOTIFY_OK);
	assert_int_equal(sum, 3);
	assert_int_equal(srcu_notifier_chain_unregister(&static_chain, &a.nb), 0);
	assert_int_equal(srcu_cleanup_notifier_head(&static_chain), 0);
}

/*
 * Unregistration waits for the walk that is on the block: block A (first)
 * blocks inside its callback during walk 1, while another thread
 * unregisters B (second).  New walks stop seeing B at once; walk 1, which
 * read its next link before calling A, still calls B; and the
 * unregistration returns only after walk 1's reader has ended, so after
 * walk 1 called B (inside that reader; whether the walk has returned yet
 * when the unregistration does is not ordered).
 */
struct unreg_case {
	struct srcu_notifier_head nh;
	struct notifier_block a, b;
	int a_inside;		/* walk 1 is inside A */
	int a_release;		/* let it go */
	int b_calls_walk1;	/* B called by walk 1 */
	int unreg_done;		/* the unregistration returned */
	int b_calls_at_unreg;	/* b_calls_walk1, seen when it returned */
};

static struct unreg_case uc;

static int uc_a(struct notifier_block *nb, unsigned long action, void *data)
{
	if (action == 1) {
		test_set(&uc.a_inside, 1);
		if (!test_wait_for(&uc.a_release, 1))
			return NOTIFY_BAD;	/* the main thread sees b_calls_walk1 == 0 */
	}
	return NOTIFY_OK;
}

static int uc_b(struct notifier_block *nb, unsigned long action, void *data)
{
	if (action == 1)
		test_inc(&uc.b_calls_walk1);
	else
		test_inc((int *)data);
	return NOTIFY_OK;
}

static void *uc_walk1(void *arg)
{
	srcu_notifier_call_chain(&uc.nh, 1, NULL);
	return NULL;
}

static void *uc_unregister(void *arg)
{
	srcu_notifier_chain_unregister(&uc.nh, &uc.b);
	test_set(&uc.b_calls_at_unreg, test_get(&uc.b_calls_walk1));
	test_set(&uc.unreg_done, 1);
	return NULL;
}

static void test_unregister_waits(void **state)
{
	uint64_t end = test_now_ns() + TEST_DEADLINE_NS;
	pthread_t w, u;
	int b_seen;

	memset(&uc, 0, sizeof(uc));
	assert_int_equal(srcu_init_notifier_head(&uc.nh), 0);
	uc.a.notifier_call = uc_a;
	uc.a.priority = 1;
	uc.b.notifier_call = uc_b;
	assert_int_equal(srcu_notifier_chain_register(&uc.nh, &uc.a), 0);
	assert_int_equal(srcu_notifier_chain_register(&uc.nh, &uc.b), 0);

	w = test_thread_start(uc_walk1, NULL);
	assert_true(test_wait_for(&uc.a_inside, 1));
	u = test_thread_start(uc_unregister, NULL);
	/* New walks stop calling B once it is unlinked. */
	do {
		b_seen = 0;
		srcu_notifier_call_chain(&uc.nh, 2, &b_seen);
		if (b_seen)
			test_sleep_ms(1);
	} while (b_seen && test_now_ns() < end);
	assert_int_equal(b_seen, 0);
	/* Walk 1 is still on A: the unregistration cannot have returned. */
	test_sleep_ms(20);
	assert_int_equal(test_get(&uc.unreg_done), 0);
	test_set(&uc.a_release, 1);
	test_thread_join(w);
	test_thread_join(u);
	assert_int_equal(test_get(&uc.b_calls_walk1), 1);
	assert_int_equal(test_get(&uc.b_calls_at_unreg), 1);
	assert_int_equal(srcu_notifier_chain_unregister(&uc.nh, &uc.a), 0);
	assert_int_equal(srcu_cleanup_notifier_head(&uc.nh), 0);
}

/*
 * Blocks come and go while other threads walk the chain: each block is
 * marked dead as soon as its unregistration returns, then freed; a walk
 * that calls a dead block counts an error.
 */
#define CHURN_ROUNDS	300
#define CHURN_WALKERS	2
#define BLOCK_ALIVE	0x5a5a5a5a

struct churn_block {
	struct notifier_block nb;
	int magic;
};

static struct srcu_notifier_head churn;
static int churn_stop, churn_dead_calls, churn_walks;

/* Checks its block on entry, and again after a while inside. */
static int churn_call(struct notifier_block *nb, unsigned long action, void *data)
{
	struct churn_block *b = caa_container_of(nb, struct churn_block, nb);
	uint64_t until = test_now_ns() + 20 * 1000;

	if (__atomic_load_n(&b->magic, __ATOMIC_RELAXED) != BLOCK_ALIVE)
		test_inc(&churn_dead_calls);
	while (test_now_ns() < until)
		;
	if (__atomic_load_n(&b->magic, __ATOMIC_RELAXED) != BLOCK_ALIVE)
		test_inc(&churn_dead_calls);
	return NOTIFY_DONE;
}

static void *churn_walker(void *arg)
{
	while (!test_get(&churn_stop)) {
		srcu_notifier_call_chain(&churn, 0, NULL);
		test_inc(&churn_walks);
	}
	return NULL;
}

static void test_churn(void **state)
{
	struct churn_block stay = { .nb = { .notifier_call = churn_call }, .magic = BLOCK_ALIVE };
	pthread_t walkers[CHURN_WALKERS];

	assert_int_equal(srcu_init_notifier_head(&churn), 0);
	assert_int_equal(srcu_notifier_chain_register(&churn, &stay.nb), 0);
	for (int i = 0; i < CHURN_WALKERS; i++)
		walkers[i] = test_thread_start(churn_walker, NULL);
	for (int r = 0; r < CHURN_ROUNDS; r++) {
		struct churn_block *b = malloc(sizeof(*b));

		assert_non_null(b);
		b->nb.notifier_call = churn_call;
		b->nb.priority = r % 3 - 1;
		__atomic_store_n(&b->magic, BLOCK_ALIVE, __ATOMIC_RELAXED);
		assert_int_equal(srcu_notifier_chain_register(&churn, &b->nb), 0);
		if (r % 2)
			test_sleep_ms(0);
		assert_int_equal(srcu_notifier_chain_unregister(&churn, &b->nb), 0);
		__atomic_store_n(&b->magic, 0, __ATOMIC_RELAXED);
		free(b);
	}
	test_set(&churn_stop, 1);
	for (int i = 0; i < CHURN_WALKERS; i++)
		test_thread_join(walkers[i]);
	assert_int_equal(test_get(&churn_dead_calls), 0);
	assert_true(test_get(&churn_walks) > 0);
	assert_int_equal(srcu_notifier_chain_unregister(&churn, &stay.nb), 0);
	assert_int_equal(srcu_cleanup_notifier_head(&churn), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_order),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_static_head),
		cmocka_unit_test(test_unregister_waits),
		cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
