/*
 * hello.c: a first program against an installed libsrcu, through <srcu.h>
 * and the kernel's names.  Built by the consumer test (tests/consumer)
 * once per flavour, with find_package(srcu) and with pkg-config; the
 * flavour comes from the build (srcu::tiny / srcu-tiny define SRCU_TINY).
 *
 * Usage: hello tree|tiny.  Prints "hello-<flavour>: ok" and exits 0 when
 * every step did what it should and the library is the expected flavour.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <srcu.h>

struct greeting {
	const char *text;
	struct rcu_head rh;
};

DEFINE_STATIC_SRCU(static_srcu);
static struct greeting *current_greeting;
static int freed;

static void free_greeting(struct rcu_head *rh)
{
	struct greeting *g = caa_container_of(rh, struct greeting, rh);

	free(g);
	__atomic_fetch_add(&freed, 1, __ATOMIC_RELAXED);
}

static struct greeting *new_greeting(const char *text)
{
	struct greeting *g = malloc(sizeof(*g));

	if (!g) {
		perror("malloc");
		exit(1);
	}
	g->text = text;
	return g;
}

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "hello: %s:%d: %s failed\n",	\
				__FILE__, __LINE__, #cond);		\
			return 1;					\
		}							\
	} while (0)

int main(int argc, char **argv)
{
	struct srcu_struct ss;
	struct greeting *old;
	struct srcu_stats st;
	unsigned long cookie;
	int idx;

	CHECK(argc == 2);
	/* The installed headers and library are one version. */
	CHECK(strcmp(srcu_version(), SRCU_VERSION_STRING) == 0);
	CHECK(init_srcu_struct(&ss) == 0);

	/* Publish, read, replace, free the old one after a grace period. */
	__atomic_store_n(&current_greeting, new_greeting("hello"), __ATOMIC_RELEASE);
	idx = srcu_read_lock(&ss);
	CHECK(strcmp(__atomic_load_n(&current_greeting, __ATOMIC_ACQUIRE)->text, "hello") == 0);
	srcu_read_unlock(&ss, idx);

	old = __atomic_exchange_n(&current_greeting, new_greeting("hi"), __ATOMIC_ACQ_REL);
	call_srcu(&ss, &old->rh, free_greeting);
	srcu_barrier(&ss);
	CHECK(__atomic_load_n(&freed, __ATOMIC_RELAXED) == 1);

	old = __atomic_exchange_n(&current_greeting, NULL, __ATOMIC_ACQ_REL);
	synchronize_srcu_expedited(&ss);
	free(old);

	cookie = start_poll_synchronize_srcu(&ss);
	synchronize_srcu(&ss);
	CHECK(poll_state_synchronize_srcu(&ss, cookie));

	CHECK(srcu_get_stats(&ss, &st) == 0);
	CHECK(strcmp(st.flavour, argv[1]) == 0);
	CHECK(cleanup_srcu_struct(&ss) == 0);

	/* A statically defined srcu_struct needs no init call. */
	idx = srcu_read_lock(&static_srcu);
	srcu_read_unlock(&static_srcu, idx);
	synchronize_srcu(&static_srcu);

	printf("hello-%s: ok\n", st.flavour);
	return 0;
}
