/*
 * both.c: Tree and Tiny SRCU in one program.  A file that needs both
 * flavours includes <srcu/tree.h> and <srcu/tiny.h> and calls the prefixed
 * names; the two libraries link side by side.  Built by the consumer test
 * (tests/consumer) against the installed package.
 *
 * Prints "both: ok" and exits 0 when each flavour works and each library
 * kept its own tunables.
 */
#include <stdio.h>
#include <string.h>

#include <srcu/tree.h>
#include <srcu/tiny.h>
#include <srcu/notifier.h>	/* after both: declares both flavours' chains */

static struct srcu_tree_struct tree_ss;
static struct srcu_tiny_struct tiny_ss;
SRCU_TREE_DEFINE(tree_static, 0, static);
SRCU_TINY_DEFINE(tiny_static, 0, static);
static int invoked;

static void count_cb(struct rcu_head *rh)
{
	(void)rh;
	__atomic_fetch_add(&invoked, 1, __ATOMIC_RELAXED);
}

static int count_notifier(struct notifier_block *nb, unsigned long action, void *data)
{
	(void)nb;
	(void)data;
	__atomic_fetch_add(&invoked, (int)action, __ATOMIC_RELAXED);
	return NOTIFY_OK;
}

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "both: %s:%d: %s failed\n",	\
				__FILE__, __LINE__, #cond);		\
			return 1;					\
		}							\
	} while (0)

int main(void)
{
	struct rcu_head tree_rh, tiny_rh;
	struct srcu_stats st;
	long tiny_hz;
	int idx;

	CHECK(srcu_tree_init(&tree_ss) == 0);
	CHECK(srcu_tiny_init(&tiny_ss) == 0);

	/* A reader of each, nested: different domains, acyclic. */
	idx = srcu_tree_read_lock(&tree_ss);
	{
		int tidx = srcu_tiny_read_lock(&tiny_ss);

		srcu_tiny_read_unlock(&tiny_ss, tidx);
	}
	srcu_tree_read_unlock(&tree_ss, idx);

	srcu_tree_call(&tree_ss, &tree_rh, count_cb);
	srcu_tiny_call(&tiny_ss, &tiny_rh, count_cb);
	srcu_tree_barrier(&tree_ss);
	srcu_tiny_barrier(&tiny_ss);
	CHECK(__atomic_load_n(&invoked, __ATOMIC_RELAXED) == 2);

	srcu_tree_synchronize_expedited(&tree_ss);
	srcu_tiny_synchronize(&tiny_ss);
	srcu_tree_synchronize(&tree_static);
	srcu_tiny_synchronize(&tiny_static);

	/* A notifier chain of each flavour. */
	{
		struct srcu_tree_notifier_head tree_nh;
		struct srcu_tiny_notifier_head tiny_nh;
		struct notifier_block nb = { .notifier_call = count_notifier };

		CHECK(srcu_tree_init_notifier_head(&tree_nh) == 0);
		CHECK(srcu_tiny_init_notifier_head(&tiny_nh) == 0);
		CHECK(srcu_tree_notifier_chain_register(&tree_nh, &nb) == 0);
		CHECK(srcu_tree_notifier_call_chain(&tree_nh, 10, NULL) == NOTIFY_OK);
		CHECK(srcu_tree_notifier_chain_unregister(&tree_nh, &nb) == 0);
		CHECK(srcu_tiny_notifier_chain_register(&tiny_nh, &nb) == 0);
		CHECK(srcu_tiny_notifier_call_chain(&tiny_nh, 100, NULL) == NOTIFY_OK);
		CHECK(srcu_tiny_notifier_chain_unregister(&tiny_nh, &nb) == 0);
		CHECK(__atomic_load_n(&invoked, __ATOMIC_RELAXED) == 112);
		CHECK(srcu_tree_cleanup_notifier_head(&tree_nh) == 0);
		CHECK(srcu_tiny_cleanup_notifier_head(&tiny_nh) == 0);
	}

	CHECK(srcu_tree_get_stats(&tree_ss, &st) == 0 && !strcmp(st.flavour, "tree"));
	CHECK(srcu_tiny_get_stats(&tiny_ss, &st) == 0 && !strcmp(st.flavour, "tiny"));

	/* Each library has its own tunables. */
	tiny_hz = srcu_tiny_param_get("hz");
	CHECK(srcu_tree_param_set("hz", tiny_hz == 250 ? 300 : 250) == 0);
	CHECK(srcu_tiny_param_get("hz") == tiny_hz);

	CHECK(srcu_tree_cleanup(&tree_ss) == 0);
	CHECK(srcu_tiny_cleanup(&tiny_ss) == 0);
	printf("both: ok\n");
	return 0;
}
