/*
 * test_plain_data.c: an application's own data under SRCU, as an
 * application keeps it: plain (non-atomic) fields, read inside readers,
 * written and freed after a grace period.  Every update primitive retires
 * objects in turn: synchronize_srcu(), synchronize_srcu_expedited(),
 * call_srcu(), call_srcu_expedited(), a polling cookie, and srcu_barrier()
 * at the end; normal, nmisafe and fast readers read them meanwhile.
 *
 * What it checks depends on the build it runs in: everywhere, that no
 * reader saw a retired object and that the retiring side saw every
 * reader's increment; under AddressSanitizer, that nothing was freed
 * while a reader could still reach it; under ThreadSanitizer, that the
 * library orders each reader's accesses before the grace period's end in
 * a way TSan can follow (a race report fails the test), which is what an
 * application tested under TSan needs (doc/api.md, "ThreadSanitizer").
 * Both flavours, through <srcu.h>; registered by
 * tests/reliability/CMakeLists.txt.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <srcu.h>
#include "test_util.h"

#define LIVE		0x6c697665UL	/* a published object's tag */
#define RETIRED		0x64656164UL	/* written when the grace period is over */
#define ROUNDS		1500
#define READERS		3

enum retire_how { BY_SYNC, BY_SYNC_EXP, BY_CALL, BY_CALL_EXP, BY_POLL, NR_HOW };

struct obj {
	unsigned long tag;		/* LIVE, then RETIRED: plain */
	long a, b;			/* a + b == 0: plain */
	unsigned long hits;		/* readers add to it (atomic); retire reads it plainly */
	struct rcu_head rh;
};

/* One SRCU domain and the object it protects. */
struct domain {
	struct srcu_struct ss;
	bool fast;			/* read with srcu_read_lock_fast() */
	struct obj *cur;		/* published: release store, acquire load */
};

static struct domain domains[2];
static int stopping;
static unsigned long retired_hits;	/* sum of retired objects' hits */
static unsigned long bad_seen;		/* readers' and retirers' wrong values */

struct reader {
	pthread_t tid;
	unsigned long hits, bad;
};

static struct obj *obj_new(long v)
{
	struct obj *o = calloc(1, sizeof(*o));

	assert_non_null(o);
	o->tag = LIVE;
	o->a = v;
	o->b = -v;
	return o;
}

/* After the grace period: plain reads and writes, then free. */
static void obj_retire(struct obj *o)
{
	if (o->tag != LIVE || o->a + o->b != 0)
		__atomic_fetch_add(&bad_seen, 1, __ATOMIC_RELAXED);
	o->tag = RETIRED;
	__atomic_fetch_add(&retired_hits, o->hits, __ATOMIC_RELAXED);
	free(o);
}

static void obj_retire_cb(struct rcu_head *rh)
{
	obj_retire(caa_container_of(rh, struct obj, rh));
}

/* One reader's look at a domain's object. */
static void read_obj(struct domain *d, struct reader *r)
{
	struct obj *o = __atomic_load_n(&d->cur, __ATOMIC_ACQUIRE);

	if (o->tag != LIVE || o->a + o->b != 0)
		r->bad++;
	__atomic_fetch_add(&o->hits, 1, __ATOMIC_RELAXED);
	r->hits++;
}

static void *reader_run(void *arg)
{
	struct reader *r = arg;
	unsigned long n = 0;

	while (!test_get(&stopping)) {
		struct domain *d = &domains[n & 1];

		if (d->fast) {
			struct srcu_ctr *scp = srcu_read_lock_fast(&d->ss);

			read_obj(d, r);
			srcu_read_unlock_fast(&d->ss, scp);
		} else if (n & 2) {
			int idx = srcu_read_lock_nmisafe(&d->ss);

			read_obj(d, r);
			srcu_read_unlock_nmisafe(&d->ss, idx);
		} else {
			int idx = srcu_read_lock(&d->ss);

			read_obj(d, r);
			srcu_read_unlock(&d->ss, idx);
		}
		n++;
	}
	return NULL;
}

/* Publish a new object in d and retire the old one by the given way. */
static void replace(struct domain *d, long v, enum retire_how how)
{
	struct obj *old = __atomic_exchange_n(&d->cur, obj_new(v), __ATOMIC_ACQ_REL);
	unsigned long cookie;

	switch (how) {
	case BY_SYNC:
		synchronize_srcu(&d->ss);
		obj_retire(old);
		break;
	case BY_SYNC_EXP:
		synchronize_srcu_expedited(&d->ss);
		obj_retire(old);
		break;
	case BY_CALL:
		call_srcu(&d->ss, &old->rh, obj_retire_cb);
		break;
	case BY_CALL_EXP:
		call_srcu_expedited(&d->ss, &old->rh, obj_retire_cb);
		break;
	case BY_POLL:
		cookie = start_poll_synchronize_srcu(&d->ss);
		while (!poll_state_synchronize_srcu(&d->ss, cookie))
			test_sleep_ms(1);
		obj_retire(old);
		break;
	case NR_HOW:
		break;
	}
}

static void test_plain_data(void **state)
{
	struct reader readers[READERS] = { 0 };
	unsigned long hits = 0, bad = 0;

	(void)state;
	assert_int_equal(init_srcu_struct(&domains[0].ss), 0);
	assert_int_equal(init_srcu_struct_fast(&domains[1].ss), 0);
	domains[1].fast = true;
	for (int i = 0; i < 2; i++)
		domains[i].cur = obj_new(0);
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&readers[i].tid, NULL, reader_run, &readers[i]), 0);

	/* Callbacks pile up between the synchronous rounds, so that invokers run while grace periods end. */
	for (long i = 1; i <= ROUNDS; i++)
		replace(&domains[i & 1], i, (enum retire_how)((i / 2) % NR_HOW));

	test_set(&stopping, 1);
	for (int i = 0; i < READERS; i++) {
		assert_int_equal(pthread_join(readers[i].tid, NULL), 0);
		hits += readers[i].hits;
		bad += readers[i].bad;
	}
	for (int i = 0; i < 2; i++) {
		replace(&domains[i], 0, BY_CALL);
		srcu_barrier(&domains[i].ss);
		obj_retire(domains[i].cur);
		assert_int_equal(cleanup_srcu_struct(&domains[i].ss), 0);
	}
	assert_int_equal(bad, 0);
	assert_int_equal(__atomic_load_n(&bad_seen, __ATOMIC_RELAXED), 0);
	/* Every reader's increment happened before its object was retired. */
	assert_int_equal(__atomic_load_n(&retired_hits, __ATOMIC_RELAXED), hits);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_data),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
