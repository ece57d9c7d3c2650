/*
 * test_srcu_hpp.cpp: the C++ interface (<srcu.hpp>), built for each
 * flavour as C++17 and as C++20 (tests/cxx/CMakeLists.txt).  What it
 * checks, by behaviour: a domain is Lockable (std::scoped_lock,
 * std::unique_lock, std::lock of several domains), its readers hold grace
 * periods back for exactly their scope, nested readers of one domain
 * leave in the right order (the inner one's index, not the outer's, even
 * across a flip), retire() runs each deleter once after the readers that
 * could see the object, and frees what it allocated (LSan checks that in
 * the asan pass), and the destructor runs the retired deleters still
 * queued.  Prints "test_srcu_hpp: N checks passed" and exits 0, or names
 * each failed check and exits 1.
 */
#include <srcu.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace {

int checks, failures;

#define CHECK(cond)								\
	do {									\
		checks++;							\
		if (!(cond)) {							\
			failures++;						\
			std::fprintf(stderr, "test_srcu_hpp: %s:%d: %s failed\n", \
				     __FILE__, __LINE__, #cond);		\
		}								\
	} while (0)

/* How long a grace period is given to (wrongly) end while a reader holds it. */
constexpr auto hold = std::chrono::milliseconds(20);
constexpr auto deadline = std::chrono::seconds(10);

long readers_inside(srcu::domain &d, int idx = -1)
{
	struct srcu_stats st;

	if (srcu_get_stats(d.native_handle(), &st))
		return -1;
	return idx < 0 ? st.readers[0] + st.readers[1] : st.readers[idx];
}

/* A grace period asked for now is still pending after a while. */
bool gp_held_back(srcu::domain &d, unsigned long *cookie)
{
	*cookie = start_poll_synchronize_srcu(d.native_handle());
	std::this_thread::sleep_for(hold);
	return !poll_state_synchronize_srcu(d.native_handle(), *cookie);
}

bool gp_done_soon(srcu::domain &d, unsigned long cookie)
{
	auto end = std::chrono::steady_clock::now() + deadline;

	while (!poll_state_synchronize_srcu(d.native_handle(), cookie)) {
		if (std::chrono::steady_clock::now() > end)
			return false;
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	}
	return true;
}

void test_lockable()
{
	srcu::domain d, e;
	unsigned long cookie;

	{
		std::scoped_lock lk(d);

		CHECK(readers_inside(d) == 1);
		CHECK(gp_held_back(d, &cookie));
	}
	CHECK(readers_inside(d) == 0);
	CHECK(gp_done_soon(d, cookie));

	{
		std::unique_lock<srcu::domain> lk(d);

		CHECK(readers_inside(d) == 1);
		lk.unlock();
		CHECK(readers_inside(d) == 0);
		CHECK(lk.try_lock());
		CHECK(readers_inside(d) == 1);
	}
	CHECK(readers_inside(d) == 0);

	/* Two domains at once (std::lock), released in any order. */
	{
		std::scoped_lock lk(d, e);

		CHECK(readers_inside(d) == 1 && readers_inside(e) == 1);
	}
	CHECK(readers_inside(d) == 0 && readers_inside(e) == 0);
	d.lock();
	e.lock();
	d.lock();
	d.unlock();
	CHECK(readers_inside(d) == 1 && readers_inside(e) == 1);
	d.unlock();
	CHECK(readers_inside(d) == 0 && readers_inside(e) == 1);
	e.unlock();
	CHECK(readers_inside(e) == 0);
}

/*
 * Nested readers of one domain, entered on different indexes: the outer
 * before a grace period's flip, the inner after it.  unlock() must leave
 * the inner one (its index), so the grace period, which waits for the
 * outer, still waits until the outer leaves.
 */
void test_nesting_across_flip()
{
	srcu::domain d;
	std::atomic<bool> synced{ false };
	unsigned long before;
	int outer_idx, inner_idx;

	before = srcu_batches_completed(d.native_handle());
	d.lock();
	outer_idx = readers_inside(d, 0) == 1 ? 0 : 1;
	std::thread sync([&] {
		d.synchronize();
		synced = true;
	});
	/* Wait for the flip: Tree's sequence at SCAN2 (+2), Tiny's srcu_idx odd (+1). */
	auto end = std::chrono::steady_clock::now() + deadline;
#ifdef SRCU_TINY
	const unsigned long flipped = 1;
#else
	const unsigned long flipped = 2;
#endif
	while (srcu_batches_completed(d.native_handle()) - before < flipped &&
	       std::chrono::steady_clock::now() < end)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	d.lock();
	inner_idx = readers_inside(d, !outer_idx) == 1 ? !outer_idx : outer_idx;
	CHECK(inner_idx != outer_idx);
	d.unlock();				/* the inner one */
	CHECK(readers_inside(d, inner_idx) == 0);
	CHECK(readers_inside(d, outer_idx) == 1);
	std::this_thread::sleep_for(hold);
	CHECK(!synced);				/* the outer reader still holds it */
	d.unlock();
	sync.join();
	CHECK(synced);
	CHECK(readers_inside(d) == 0);
}

void test_read_guard()
{
	srcu::domain d;
	unsigned long cookie;

	{
		srcu::read_guard g(d);

		CHECK(readers_inside(d) == 1);
		{
			srcu::read_guard g2(d);

			CHECK(readers_inside(d) == 2);
		}
		CHECK(gp_held_back(d, &cookie));
	}
	CHECK(readers_inside(d) == 0);
	CHECK(gp_done_soon(d, cookie));
	d.synchronize();
	d.synchronize_expedited();
	d.barrier();
}

/* Objects that count their destructions; alive is checked by readers. */
struct counted {
	static std::atomic<int> destroyed;
	std::atomic<bool> alive{ true };
	int value;

	explicit counted(int v) : value(v) {}
	~counted()
	{
		alive = false;
		destroyed++;
	}
};

std::atomic<int> counted::destroyed{ 0 };

void test_retire()
{
	srcu::domain d;
	std::atomic<int> custom{ 0 };
	unsigned long cookie;

	counted::destroyed = 0;
	d.retire(new counted(1));			/* std::default_delete */
	d.barrier();
	CHECK(counted::destroyed == 1);

	/* A deleter with state, moved into the allocation. */
	auto big = std::make_unique<int>(7);
	d.retire(new counted(2), [&custom, own = std::move(big)](counted *p) {
		custom += *own;
		delete p;
	});
	d.barrier();
	CHECK(custom == 7);
	CHECK(counted::destroyed == 2);

	/* Not before the readers that could see it have left. */
	{
		srcu::read_guard g(d);

		d.retire(new counted(3), [&custom](counted *p) {
			custom++;
			delete p;
		});
		CHECK(gp_held_back(d, &cookie));
		CHECK(custom == 7);
	}
	d.barrier();
	CHECK(custom == 8);
	CHECK(counted::destroyed == 3);

	/* A function-pointer deleter, and an array. */
	d.retire(new int[4], std::default_delete<int[]>());
	d.retire(new counted(4), +[](counted *p) { delete p; });
	d.barrier();
	CHECK(counted::destroyed == 4);
}

/* The destructor runs what retire() left queued. */
void test_destructor_runs_retired()
{
	counted::destroyed = 0;
	{
		srcu::domain d;

		for (int i = 0; i < 10; i++)
			d.retire(new counted(i));
	}
	CHECK(counted::destroyed == 10);
}

/*
 * Readers in threads, an updater replacing and retiring the object they
 * read: no reader ever sees a retired object destroyed.
 */
void test_concurrent()
{
	srcu::domain d;
	std::atomic<counted *> cur{ new counted(0) };
	std::atomic<bool> stop{ false };
	std::atomic<long> reads{ 0 }, dead{ 0 };
	std::vector<std::thread> readers;

	auto end = std::chrono::steady_clock::now() + deadline;
	long reads0;
	int i;

	counted::destroyed = 0;
	for (int t = 0; t < 2; t++)
		readers.emplace_back([&] {
			while (!stop) {
				std::scoped_lock lk(d);
				counted *p = cur.load(std::memory_order_acquire);

				std::this_thread::yield();
				if (!p->alive)
					dead++;
				reads++;
			}
		});
	/*
	 * 500 replacements at least, and on until the readers have read 1000
	 * times meanwhile (a loaded machine may not run them at first).
	 */
	reads0 = reads;
	for (i = 1; i <= 500 || (reads - reads0 < 1000 && std::chrono::steady_clock::now() < end);
	     i++) {
		counted *old = cur.exchange(new counted(i), std::memory_order_acq_rel);

		if (i % 2)
			d.retire(old);
		else {
			d.synchronize_expedited();
			delete old;
		}
	}
	CHECK(reads - reads0 >= 1000);
	stop = true;
	for (auto &t : readers)
		t.join();
	delete cur.load();
	d.barrier();
	CHECK(dead == 0);
	CHECK(counted::destroyed == i);		/* i - 1 replaced, and the last one */
}

} /* namespace */

int main()
{
	test_lockable();
	test_nesting_across_flip();
	test_read_guard();
	test_retire();
	test_destructor_runs_retired();
	test_concurrent();
	if (failures) {
		std::fprintf(stderr, "test_srcu_hpp: %d of %d checks failed\n", failures, checks);
		return 1;
	}
	std::printf("test_srcu_hpp: %d checks passed\n", checks);
	return 0;
}
