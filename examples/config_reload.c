/*
 * config_reload.c: a service that reloads its configuration while request
 * handlers use it, and the handlers sleep while they hold it (waiting on
 * I/O: usleep() here).  Readers that sleep are why SRCU exists: an RCU
 * reader must not block, an SRCU reader may, and only the updaters of the
 * same srcu_struct wait for it.
 *
 * Handler threads: srcu_read_lock(), take the current configuration,
 * "serve a request" (sleep for the configuration's io_us), use the
 * configuration again, srcu_read_unlock().  Nothing is copied, nothing is
 * reference-counted: the configuration simply cannot be freed while they
 * are inside.
 *
 * The main thread reloads on SIGHUP and, with -a, every few milliseconds:
 * it publishes a new configuration and frees the old one with call_srcu(),
 * so a reload never waits for the sleeping handlers (with -s it waits
 * instead, with synchronize_srcu(), and says how long).  SIGINT, SIGTERM
 * or the end of -t shut it down cleanly: handlers stop, the configuration
 * is unpublished, srcu_barrier() waits for the frees still queued, and
 * cleanup_srcu_struct() releases the srcu_struct.
 *
 * Usage: config_reload [-n handlers] [-a reload_ms] [-t run_ms] [-s] [-h]
 *   -a 0 reloads only on SIGHUP; -t 0 runs until SIGINT or SIGTERM.
 * Exit status 0 when no handler saw a freed configuration and the
 * shutdown was clean.  Built by examples/CMakeLists.txt; ctest runs it.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srcu.h>

#define ALIVE	0x600dUL
#define FREED	0xdeadUL

struct config {
	unsigned long magic;		/* ALIVE until the free path poisons it */
	unsigned long generation;	/* which reload made it */
	unsigned int io_us;		/* how long a request sleeps */
	char greeting[32];
	struct rcu_head rh;		/* for call_srcu() */
};

static struct srcu_struct config_srcu;	/* protects current_config */
static struct config *current_config;	/* SRCU-protected; NULL once shut down */
static int stopping;			/* handlers: leave, atomic */
static unsigned long configs_freed;	/* by free_config(), atomic */

struct handler {
	pthread_t tid;
	unsigned long requests, stale_seen, newest;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* "Parse" configuration number gen. */
static struct config *load_config(unsigned long gen)
{
	struct config *c = calloc(1, sizeof(*c));

	if (!c) {
		perror("config_reload: calloc");
		exit(2);
	}
	c->magic = ALIVE;
	c->generation = gen;
	c->io_us = 1000 + (unsigned int)(gen % 5) * 1000;	/* 1 to 5 ms */
	snprintf(c->greeting, sizeof(c->greeting), "hello #%lu", gen);
	return c;
}

static void free_config(struct rcu_head *rh)
{
	struct config *c = caa_container_of(rh, struct config, rh);

	c->magic = FREED;	/* a handler still holding it would notice */
	free(c);
	__atomic_fetch_add(&configs_freed, 1, __ATOMIC_RELAXED);
}

static void *handler_run(void *arg)
{
	struct handler *h = arg;

	while (!__atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		struct config *c;
		char reply[64];
		int idx;

		idx = srcu_read_lock(&config_srcu);
		c = __atomic_load_n(&current_config, __ATOMIC_ACQUIRE);
		if (c) {
			unsigned long gen = c->generation;

			usleep(c->io_us);	/* blocked on I/O, config in hand */
			/* Still the same, still alive, whatever reloads happened. */
			if (c->magic != ALIVE || c->generation != gen)
				h->stale_seen++;
			snprintf(reply, sizeof(reply), "%s", c->greeting);
			if (gen > h->newest)
				h->newest = gen;
			h->requests++;
		}
		srcu_read_unlock(&config_srcu, idx);
		if (!c)
			usleep(1000);
	}
	return NULL;
}

/* Publish configuration gen; returns how long the reload waited (ms). */
static double reload(unsigned long gen, bool sync)
{
	struct config *old, *c = load_config(gen);
	double t0 = now_ms();

	old = __atomic_exchange_n(&current_config, c, __ATOMIC_ACQ_REL);
	if (!old)
		return 0;
	if (sync) {
		synchronize_srcu(&config_srcu);	/* sleeps as long as the handlers do */
		free_config(&old->rh);
	} else {
		call_srcu(&config_srcu, &old->rh, free_config);
	}
	return now_ms() - t0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: config_reload [-n handlers] [-a reload_ms] [-t run_ms] [-s] [-h]\n"
		"  -n handlers   request handler threads, readers that sleep (default 4)\n"
		"  -a reload_ms  reload every reload_ms as well as on SIGHUP; 0: on SIGHUP only\n"
		"                (default 50)\n"
		"  -t run_ms     stop after run_ms; 0: run until SIGINT or SIGTERM (default 500)\n"
		"  -s            wait for the readers with synchronize_srcu() instead of\n"
		"                freeing with call_srcu(), and say how long it took\n"
		"  -h, --help    this text\n");
}

/* The value of option opt: a whole number, at least min; else a message and exit 2. */
static int int_arg(int opt, int min)
{
	char rest;
	int v;

	if (sscanf(optarg, "%d%c", &v, &rest) != 1 || v < min) {
		fprintf(stderr, "config_reload: -%c %s: expected a whole number, at least %d\n",
			opt, optarg, min);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	int nr_handlers = 4, reload_ms = 50, run_ms = 500, opt, i, err;
	unsigned long gen = 1, requests = 0, stale = 0, newest = 0;
	double wait, wait_sum = 0, wait_max = 0, start, next;
	struct handler *handlers;
	struct config *last;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool sync = false;
	sigset_t sigs;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* progress shows up in logs as it happens */
	while ((opt = getopt_long(argc, argv, "n:a:t:sh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n': nr_handlers = int_arg(opt, 1); break;
		case 'a': reload_ms = int_arg(opt, 0); break;
		case 't': run_ms = int_arg(opt, 0); break;
		case 's': sync = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "config_reload: unexpected argument %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	/*
	 * Signals are taken synchronously by this thread (sigtimedwait), so
	 * block them before any thread exists: handlers and the library's
	 * worker threads inherit the mask.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	err = init_srcu_struct(&config_srcu);
	if (err) {
		fprintf(stderr, "config_reload: init_srcu_struct: %s\n", strerror(-err));
		return 2;
	}
	reload(gen, sync);
	handlers = calloc(nr_handlers, sizeof(*handlers));
	if (!handlers)
		return 2;
	for (i = 0; i < nr_handlers; i++) {
		err = pthread_create(&handlers[i].tid, NULL, handler_run, &handlers[i]);
		if (err) {
			fprintf(stderr, "config_reload: pthread_create: %s\n", strerror(err));
			return 2;
		}
	}
	printf("config_reload: pid %d, %d handlers, reloads %s%s, %s SRCU\n", (int)getpid(),
	       nr_handlers, reload_ms ? "on a timer and on SIGHUP" : "on SIGHUP",
	       sync ? " with synchronize_srcu()" : " with call_srcu()",
#ifdef SRCU_TINY
	       "tiny"
#else
	       "tree"
#endif
	       );

	start = now_ms();
	next = start + reload_ms;
	for (;;) {
		double t = now_ms(), until = run_ms ? start + run_ms : t + 1000;
		struct timespec ts;
		int sig;

		if (reload_ms && next < until)
			until = next;
		if (until < t)
			until = t;
		ts.tv_sec = (time_t)((until - t) / 1e3);
		ts.tv_nsec = (long)((until - t - ts.tv_sec * 1e3) * 1e6);
		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGINT || sig == SIGTERM)
			break;
		if (sig == SIGHUP || (sig < 0 && reload_ms && now_ms() >= next)) {
			wait = reload(++gen, sync);
			wait_sum += wait;
			if (wait > wait_max)
				wait_max = wait;
			if (sig != SIGHUP)
				next += reload_ms;
		}
		if (run_ms && now_ms() >= start + run_ms)
			break;
	}

	/* Shut down: handlers out, configuration unpublished, frees done. */
	__atomic_store_n(&stopping, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nr_handlers; i++) {
		pthread_join(handlers[i].tid, NULL);
		requests += handlers[i].requests;
		stale += handlers[i].stale_seen;
		if (handlers[i].newest > newest)
			newest = handlers[i].newest;
	}
	last = __atomic_exchange_n(&current_config, NULL, __ATOMIC_ACQ_REL);
	synchronize_srcu(&config_srcu);	/* no reader left, but this is the rule */
	free_config(&last->rh);
	srcu_barrier(&config_srcu);	/* every call_srcu() callback has run */

	printf("config_reload: %lu reload%s; handlers served %lu requests, the newest "
	       "with configuration #%lu\n", gen - 1, gen - 1 == 1 ? "" : "s", requests, newest);
	if (sync)
		printf("config_reload: synchronize_srcu() waited %.1f ms per reload on "
		       "average (%.1f ms at most) for handlers asleep in their readers\n",
		       gen > 1 ? wait_sum / (gen - 1) : 0.0, wait_max);
	else
		printf("config_reload: call_srcu() returned in %.3f ms at most; the "
		       "callbacks freed %lu old configurations after their readers left\n",
		       wait_max, configs_freed - 1);

	err = 0;
	if (stale) {
		fprintf(stderr, "config_reload: FAILED: handlers saw %lu freed configurations\n",
			stale);
		err = 1;
	}
	if (configs_freed != gen) {
		fprintf(stderr, "config_reload: FAILED: %lu configurations freed, %lu made\n",
			configs_freed, gen);
		err = 1;
	}
	/* -EBUSY would mean readers, grace periods or callbacks still pending. */
	i = cleanup_srcu_struct(&config_srcu);
	if (i) {
		fprintf(stderr, "config_reload: FAILED: cleanup_srcu_struct: %s\n", strerror(-i));
		err = 1;
	}
	free(handlers);
	if (!err)
		printf("config_reload: shut down cleanly\n");
	return err;
}
