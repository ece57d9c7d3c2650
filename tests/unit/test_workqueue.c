/*
 * test_workqueue.c: unit tests of the shared worker pool (src/workqueue.c)
 * and its time base, linked against the static Tree library to reach the
 * internal calls.  Checks behaviour (what runs, when not earlier, how
 * often, on how many threads), never speed.  Worker threads only record
 * what they saw; the main thread asserts.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <srcu/tree.h>
#include "params.h"
#include "workqueue.h"
#include "test_util.h"	/* TSan's fork option, for the fork tests */

#define MS		1000000ULL
#define DEADLINE_NS	(20000 * MS)	/* generous: a loaded CI machine */

/* An item with counters the main thread reads. */
struct item {
	struct srcu_work work;
	int runs;		/* times func ran */
	int inside;		/* func instances running now */
	int overlap;		/* func saw another instance inside */
	int started;		/* set on entry */
	int release;		/* func waits for this, if block */
	int block;		/* wait for release in the first run */
	int self_ok;		/* srcu_current_work() was the item itself */
	unsigned int sleep_us;	/* time spent inside */
	uint64_t ran_at;	/* srcu_now_ns() at the last entry */
};

static int get(int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void set(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

/* Wait until *p >= v; false on deadline. */
static bool wait_for(int *p, int v)
{
	uint64_t end = srcu_now_ns() + DEADLINE_NS;

	while (get(p) < v) {
		if (srcu_now_ns() > end)
			return false;
		sleep_us(200);
	}
	return true;
}

static void item_fn(struct srcu_work *w)
{
	struct item *it = caa_container_of(w, struct item, work);

	__atomic_store_n(&it->ran_at, srcu_now_ns(), __ATOMIC_SEQ_CST);
	if (__atomic_fetch_add(&it->inside, 1, __ATOMIC_SEQ_CST))
		set(&it->overlap, 1);
	if (srcu_current_work() == w)
		set(&it->self_ok, 1);
	set(&it->started, 1);
	if (get(&it->block) && !get(&it->runs))
		while (!get(&it->release))
			sleep_us(100);
	if (it->sleep_us)
		sleep_us(it->sleep_us);
	__atomic_fetch_sub(&it->inside, 1, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&it->runs, 1, __ATOMIC_SEQ_CST);
}

static void item_init(struct item *it, enum srcu_work_pool pool)
{
	memset(it, 0, sizeof(*it));
	srcu_init_work(&it->work, item_fn, pool);
}

static void set_hz(long hz)
{
	assert_int_equal(srcu_tree_param_set("hz", hz), 0);
}

/* Basic semantics. */

static void test_queue_runs_once(void **state)
{
	struct item it;

	item_init(&it, SRCU_WQ_GP);
	assert_null(srcu_current_work());
	assert_false(srcu_work_busy(&it.work));
	assert_true(srcu_queue_work(&it.work));
	assert_true(wait_for(&it.runs, 1));
	srcu_flush_work(&it.work);
	assert_false(srcu_work_busy(&it.work));
	sleep_us(20000);		/* nothing runs it a second time */
	assert_int_equal(get(&it.runs), 1);
	assert_int_equal(get(&it.self_ok), 1);

	/* Once done, it may be queued again. */
	assert_true(srcu_queue_work(&it.work));
	assert_true(wait_for(&it.runs, 2));
	srcu_flush_work(&it.work);
	assert_int_equal(get(&it.runs), 2);
}

static void test_queue_pending_refused(void **state)
{
	struct item it;

	set_hz(1000);
	item_init(&it, SRCU_WQ_CB);
	/* Pending on a far timer: every queue_* is refused. */
	assert_true(srcu_queue_delayed_work(&it.work, 60000));
	assert_true(srcu_work_busy(&it.work));
	assert_false(srcu_queue_work(&it.work));
	assert_false(srcu_queue_delayed_work(&it.work, 1));
	assert_false(srcu_queue_delayed_work(&it.work, 0));
	/* Pull it in: it runs once. */
	assert_true(srcu_mod_delayed_work(&it.work, 0));
	assert_true(wait_for(&it.runs, 1));
	srcu_flush_work(&it.work);
	sleep_us(20000);
	assert_int_equal(get(&it.runs), 1);
}

static void test_queued_while_running_runs_again(void **state)
{
	struct item it;

	item_init(&it, SRCU_WQ_CB);
	set(&it.block, 1);
	assert_true(srcu_queue_work(&it.work));
	assert_true(wait_for(&it.started, 1));
	/* Running, not pending: accepted once, then pending. */
	assert_true(srcu_queue_work(&it.work));
	assert_false(srcu_queue_work(&it.work));
	assert_true(srcu_work_busy(&it.work));
	set(&it.release, 1);
	assert_true(wait_for(&it.runs, 2));
	srcu_flush_work(&it.work);
	sleep_us(20000);
	assert_int_equal(get(&it.runs), 2);
	assert_int_equal(get(&it.overlap), 0);
}

/* Threads that re-queue one item as fast as they can. */
struct hammer {
	struct srcu_work *w;
	int stop;
	int queued;
};

static void *hammer_fn(void *arg)
{
	struct hammer *h = arg;

	while (!get(&h->stop)) {
		if (srcu_queue_work(h->w))
			__atomic_fetch_add(&h->queued, 1, __ATOMIC_SEQ_CST);
		else
			sched_yield();
	}
	return NULL;
}

static void test_never_concurrent(void **state)
{
	enum { NTHREADS = 3 };
	pthread_t th[NTHREADS];
	struct hammer h;
	struct item it;
	int i;

	/* Each run stays inside a while, so re-queues land while it runs. */
	item_init(&it, SRCU_WQ_CB);
	it.sleep_us = 300;
	h.w = &it.work;
	h.stop = 0;
	h.queued = 0;
	for (i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer_fn, &h), 0);
	/* Enough runs that several workers must have taken the item. */
	assert_true(wait_for(&it.runs, 300));
	set(&h.stop, 1);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	srcu_flush_work(&it.work);
	assert_int_equal(get(&it.overlap), 0);
	/* Every accepted queue_work ran exactly once more: none lost, none doubled. */
	assert_int_equal(get(&it.runs), get(&h.queued));
}

/* Delayed work. */

static void test_delayed_not_early(void **state)
{
	struct item it;
	uint64_t t0;

	set_hz(1000);
	item_init(&it, SRCU_WQ_GP);
	t0 = srcu_now_ns();
	assert_true(srcu_queue_delayed_work(&it.work, 30));
	assert_true(wait_for(&it.runs, 1));
	assert_true(it.ran_at >= t0 + 30 * MS);

	/* Delays are in jiffies of the hz in force. */
	set_hz(100);
	t0 = srcu_now_ns();
	assert_true(srcu_queue_delayed_work(&it.work, 3));
	assert_true(wait_for(&it.runs, 2));
	assert_true(it.ran_at >= t0 + 30 * MS);
	set_hz(1000);
	srcu_flush_work(&it.work);
}

static void test_delayed_order(void **state)
{
	struct item a, b, c;
	uint64_t t0 = srcu_now_ns();

	set_hz(1000);
	item_init(&a, SRCU_WQ_GP);
	item_init(&b, SRCU_WQ_GP);
	item_init(&c, SRCU_WQ_GP);
	/* Inserted out of order: each still waits its own delay. */
	assert_true(srcu_queue_delayed_work(&a.work, 60));
	assert_true(srcu_queue_delayed_work(&b.work, 20));
	assert_true(srcu_queue_delayed_work(&c.work, 40));
	assert_true(wait_for(&a.runs, 1));
	assert_true(wait_for(&b.runs, 1));
	assert_true(wait_for(&c.runs, 1));
	assert_true(b.ran_at >= t0 + 20 * MS);
	assert_true(c.ran_at >= t0 + 40 * MS);
	assert_true(a.ran_at >= t0 + 60 * MS);
	assert_true(b.ran_at <= c.ran_at && c.ran_at <= a.ran_at);
}

static void test_mod_delayed(void **state)
{
	struct item it;
	uint64_t t0, deadline;

	set_hz(1000);
	item_init(&it, SRCU_WQ_GP);
	/* Not pending: mod arms it and says it was not pending. */
	t0 = srcu_now_ns();
	deadline = t0 + 10000 * MS;
	assert_false(srcu_mod_delayed_work(&it.work, 10000));
	/* A far timer pulled in with a delay of 0 runs before its old deadline. */
	assert_true(srcu_mod_delayed_work(&it.work, 0));
	assert_true(wait_for(&it.runs, 1));
	assert_true(it.ran_at < deadline);

	/* Re-armed shorter: runs at the new time, not before, not at the old. */
	t0 = srcu_now_ns();
	deadline = t0 + 10000 * MS;
	assert_true(srcu_queue_delayed_work(&it.work, 10000));
	assert_true(srcu_mod_delayed_work(&it.work, 30));
	assert_true(wait_for(&it.runs, 2));
	assert_true(it.ran_at >= t0 + 30 * MS);
	assert_true(it.ran_at < deadline);

	/* Re-armed longer: not at the first time. */
	t0 = srcu_now_ns();
	assert_true(srcu_queue_delayed_work(&it.work, 10));
	assert_true(srcu_mod_delayed_work(&it.work, 60));
	assert_true(wait_for(&it.runs, 3));
	assert_true(it.ran_at >= t0 + 60 * MS);
	srcu_flush_work(&it.work);
}

static void test_mod_leaves_queued_alone(void **state)
{
	struct item it;
	int i;

	/* Keep every CB worker busy so that it stays on the run queue. */
	enum { MAXW = 64 };
	struct item busy[MAXW];
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	int nw = n > 2 ? (n < MAXW ? (int)n : MAXW) : 2;

	for (i = 0; i < nw; i++) {
		item_init(&busy[i], SRCU_WQ_CB);
		set(&busy[i].block, 1);
		assert_true(srcu_queue_work(&busy[i].work));
	}
	for (i = 0; i < nw; i++)
		assert_true(wait_for(&busy[i].started, 1));
	item_init(&it, SRCU_WQ_CB);
	assert_true(srcu_queue_work(&it.work));
	/* Queued, not a timer: a delayed mod leaves it where it is. */
	assert_true(srcu_mod_delayed_work(&it.work, 60000));
	assert_int_equal(get(&it.runs), 0);
	for (i = 0; i < nw; i++)
		set(&busy[i].release, 1);
	assert_true(wait_for(&it.runs, 1));	/* not 60 s later */
	for (i = 0; i < nw; i++)
		srcu_flush_work(&busy[i].work);
	srcu_flush_work(&it.work);
}

/* Flush. */

static void test_flush_waits(void **state)
{
	struct item it;
	uint64_t deadline;

	set_hz(1000);
	item_init(&it, SRCU_WQ_CB);
	srcu_flush_work(&it.work);		/* idle: returns */
	it.sleep_us = 50000;
	assert_true(srcu_queue_work(&it.work));
	srcu_flush_work(&it.work);
	assert_int_equal(get(&it.runs), 1);
	assert_false(srcu_work_busy(&it.work));

	/* A timer is fired at once, as the kernel's flush_delayed_work(). */
	it.sleep_us = 0;
	deadline = srcu_now_ns() + 10000 * MS;
	assert_true(srcu_queue_delayed_work(&it.work, 10000));
	srcu_flush_work(&it.work);
	assert_int_equal(get(&it.runs), 2);
	assert_true(it.ran_at < deadline);
}

/* Run fn in a child process; return its wait status. */
static int in_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (!pid) {
		fn();
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void self_flush_fn(struct srcu_work *w)
{
	srcu_flush_work(w);
}

static void child_self_flush(void)
{
	static struct srcu_work w;
	int fd = open("/dev/null", O_WRONLY);

	dup2(fd, 2);			/* the expected message */
	srcu_init_work(&w, self_flush_fn, SRCU_WQ_CB);
	srcu_queue_work(&w);
	sleep(30);			/* killed by the abort before */
	_exit(3);
}

static void test_flush_self_dies(void **state)
{
	int status;

	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	status = in_child(child_self_flush);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* Threads. */

/* Threads of this process whose name starts with prefix. */
static int count_threads(const char *prefix)
{
	char path[300], comm[64];
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc/self/task");

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, prefix, strlen(prefix)))
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static int many_done;

static void many_fn(struct srcu_work *w)
{
	/* Some are slow, so a backlog builds up. */
	if (!((uintptr_t)w / sizeof(*w) % 64))
		sleep_us(500);
	__atomic_fetch_add(&many_done, 1, __ATOMIC_SEQ_CST);
}

static void test_many_items_bounded_threads(void **state)
{
	enum { N = 10000 };
	struct srcu_work *w = calloc(N, sizeof(*w));
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int bound = ncpu > 2 ? (int)ncpu : 2, most = 0, i, n;

	assert_non_null(w);
	set(&many_done, 0);
	for (i = 0; i < N; i++) {
		srcu_init_work(&w[i], many_fn, SRCU_WQ_CB);
		assert_true(srcu_queue_work(&w[i]));
		if (!(i % 500)) {
			n = count_threads("srcu-tree-cb");
			most = n > most ? n : most;
		}
	}
	while (get(&many_done) < N) {
		n = count_threads("srcu-tree-cb");
		most = n > most ? n : most;
		if (!wait_for(&many_done, get(&many_done) + 1))
			break;
	}
	assert_int_equal(get(&many_done), N);
	for (i = 0; i < N; i++)
		srcu_flush_work(&w[i]);
	free(w);
	assert_true(most >= 1);
	assert_true(most <= bound);
	assert_true(count_threads("srcu-tree-gp") <= bound);
}

/* fork(). */

static struct item fork_before, fork_after, fork_parent;

static void child_after_fork(void)
{
	/* Running library code when the parent forked: fork() waited for it. */
	if (get(&fork_parent.runs) != 1)
		_exit(9);
	/* Pending in the parent when it forked: runs here too. */
	if (!wait_for(&fork_before.runs, 1))
		_exit(10);
	/* A new item runs: the pool came back. */
	item_init(&fork_after, SRCU_WQ_CB);
	if (!srcu_queue_work(&fork_after.work) || !wait_for(&fork_after.runs, 1))
		_exit(11);
	if (!srcu_queue_delayed_work(&fork_after.work, 5) || !wait_for(&fork_after.runs, 2))
		_exit(12);
	_exit(0);
}

static void test_fork(void **state)
{
	int status;

	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	set_hz(1000);
	/* One item on a timer, one running while we fork. */
	item_init(&fork_before, SRCU_WQ_GP);
	item_init(&fork_parent, SRCU_WQ_CB);
	fork_parent.sleep_us = 30000;
	assert_true(srcu_queue_work(&fork_parent.work));
	assert_true(wait_for(&fork_parent.started, 1));
	assert_true(srcu_queue_delayed_work(&fork_before.work, 50));
	status = in_child(child_after_fork);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* The parent's copies ran too, once each. */
	assert_true(wait_for(&fork_before.runs, 1));
	assert_true(wait_for(&fork_parent.runs, 1));
	srcu_flush_work(&fork_before.work);
	srcu_flush_work(&fork_parent.work);
	assert_int_equal(get(&fork_before.runs), 1);
	assert_int_equal(get(&fork_parent.runs), 1);
	/* And the parent's pool still works. */
	assert_true(srcu_queue_work(&fork_before.work));
	assert_true(wait_for(&fork_before.runs, 2));
	srcu_flush_work(&fork_before.work);
}

/*
 * An item inside user code (srcu_wq_user_begin()) when the parent forks:
 * fork() does not wait for it, though it waits for something only the
 * forking thread does after fork() returns.  The child never finishes
 * that run (its thread is the parent's) and runs the item again; the
 * parent's run finishes once released.
 */
struct user_item {
	struct srcu_work work;
	int entered;		/* runs started */
	int release;		/* user code waits for this */
	int done;		/* runs finished */
};

static struct user_item user_item;

static void user_item_fn(struct srcu_work *w)
{
	struct user_item *u = caa_container_of(w, struct user_item, work);

	__atomic_fetch_add(&u->entered, 1, __ATOMIC_SEQ_CST);
	srcu_wq_user_begin();
	while (!get(&u->release))
		sleep_us(100);
	srcu_wq_user_end();
	__atomic_fetch_add(&u->done, 1, __ATOMIC_SEQ_CST);
}

static void child_of_user_item(void)
{
	/*
	 * Never finished here: the parent's run is not ours, and our run of
	 * the item again (at once: the fork queued it) waits for release too.
	 */
	if (get(&user_item.done) != 0)
		_exit(30);
	set(&user_item.release, 1);
	/* Run again here, from the start, once. */
	if (!wait_for(&user_item.done, 1) || get(&user_item.entered) != 2)
		_exit(31);
	_exit(0);
}

static void test_fork_user_code(void **state)
{
	int status;

	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	memset(&user_item, 0, sizeof(user_item));
	srcu_init_work(&user_item.work, user_item_fn, SRCU_WQ_CB);
	assert_true(srcu_queue_work(&user_item.work));
	assert_true(wait_for(&user_item.entered, 1));
	alarm(20);			/* a fork() that waits for the item never returns */
	status = in_child(child_of_user_item);
	alarm(0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(get(&user_item.done), 0);
	set(&user_item.release, 1);
	srcu_flush_work(&user_item.work);
	assert_int_equal(get(&user_item.entered), 1);
	assert_int_equal(get(&user_item.done), 1);
}

/* A worker that forks: the child's copy of it carries on as a worker. */
static int worker_fork_status = -1;

static void forking_fn(struct srcu_work *w)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		struct item it;

		item_init(&it, SRCU_WQ_CB);
		if (!srcu_queue_work(&it.work) || !wait_for(&it.runs, 1))
			_exit(20);
		_exit(0);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		__atomic_store_n(&worker_fork_status, status, __ATOMIC_SEQ_CST);
	else
		__atomic_store_n(&worker_fork_status, -2, __ATOMIC_SEQ_CST);
}

static void test_fork_from_worker(void **state)
{
	struct srcu_work w;
	int status;

	TEST_SKIP_UNLESS_FORK_CHILD_CAN_THREAD();
	srcu_init_work(&w, forking_fn, SRCU_WQ_CB);
	__atomic_store_n(&worker_fork_status, -1, __ATOMIC_SEQ_CST);
	assert_true(srcu_queue_work(&w));
	srcu_flush_work(&w);
	status = __atomic_load_n(&worker_fork_status, __ATOMIC_SEQ_CST);
	assert_true(status >= 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* Time base. */

static void test_time(void **state)
{
	uint64_t t0;

	set_hz(100);
	assert_int_equal(srcu_jiffy_ns(), 10 * MS);
	assert_int_equal(srcu_jiffies(), srcu_now_ns() / (10 * MS));
	set_hz(1000);
	assert_int_equal(srcu_jiffy_ns(), MS);
	t0 = srcu_now_ns();
	srcu_udelay(20);			/* spins */
	assert_true(srcu_now_ns() >= t0 + 20000);
	t0 = srcu_now_ns();
	srcu_udelay(2000);			/* sleeps */
	assert_true(srcu_now_ns() >= t0 + 2000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_queue_runs_once),
		cmocka_unit_test(test_queue_pending_refused),
		cmocka_unit_test(test_queued_while_running_runs_again),
		cmocka_unit_test(test_never_concurrent),
		cmocka_unit_test(test_delayed_not_early),
		cmocka_unit_test(test_delayed_order),
		cmocka_unit_test(test_mod_delayed),
		cmocka_unit_test(test_mod_leaves_queued_alone),
		cmocka_unit_test(test_flush_waits),
		cmocka_unit_test(test_flush_self_dies),
		cmocka_unit_test(test_many_items_bounded_threads),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_fork_user_code),
		cmocka_unit_test(test_fork_from_worker),
		cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
