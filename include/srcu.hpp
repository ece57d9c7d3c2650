/*
 * srcu.hpp: libsrcu for C++ (C++17 and later), header-only over the C API
 * of <srcu.h>, in the shape of the C++26 RCU interface (P2545's
 * std::rcu_domain, rcu_synchronize(), rcu_barrier(), rcu_retire()):
 *
 *	srcu::domain d;				an SRCU domain (an srcu_struct)
 *	{ std::scoped_lock lk(d); ... }		a reader (domain is Lockable)
 *	{ srcu::read_guard g(d); ... }		a reader, without the lock stack
 *	d.synchronize(); d.synchronize_expedited(); d.barrier();
 *	d.retire(p); d.retire(p, deleter);	delete p after a grace period
 *
 * The flavour is <srcu.h>'s (Tree, or Tiny with SRCU_TINY): the classes
 * live in the inline namespace srcu::tree or srcu::tiny, so translation
 * units of both flavours link into one program without clashing.
 * doc/api.md ("C++") documents each member.
 */
#ifndef SRCU_HPP
#define SRCU_HPP

#if !defined(__cplusplus) || __cplusplus < 201703L
#error "<srcu.hpp> needs C++17 or later"
#endif

#include <srcu.h>

#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <memory>
#include <new>
#include <utility>
#include <vector>

namespace srcu {
#ifdef SRCU_TINY
inline namespace tiny {
#else
inline namespace tree {
#endif

/*
 * One SRCU domain: owns an srcu_struct, initialised by the constructor
 * (std::bad_alloc if that fails) and cleaned up by the destructor, which
 * first runs every callback retire() queued.  Neither copyable nor
 * movable: readers and callbacks refer to its address.
 *
 * lock()/unlock() enter and leave a reader, so that the domain is Lockable
 * and std::scoped_lock, std::unique_lock and std::lock work on it.  The
 * index srcu_read_lock() returns is kept per thread, on a stack: unlock()
 * ends this thread's most recent lock() of the same domain, so nesting on
 * one domain and readers of several domains in any unlock order work.
 * lock() and unlock() must run in the same thread (a reader released by
 * another thread is srcu_down_read()'s, through native_handle()).
 */
class domain {
public:
	domain()
	{
		if (init_srcu_struct(&ss_))
			throw std::bad_alloc();
	}

	domain(const domain &) = delete;
	domain &operator=(const domain &) = delete;

	/*
	 * Waits for the callbacks retire() queued and for any grace period
	 * still asked for, then frees the domain.  No reader may be inside
	 * (checked: one still there aborts with a message).
	 */
	~domain()
	{
		struct srcu_stats st;

		for (int tries = 0; tries < 3; tries++) {
			if (cleanup_srcu_struct(&ss_) == 0)
				return;
			if (srcu_get_stats(&ss_, &st) == 0 && st.readers[0] + st.readers[1] != 0)
				break;
			synchronize_srcu(&ss_);	/* a grace period still asked for */
			srcu_barrier(&ss_);	/* the callbacks queued until now */
		}
		die("srcu::domain destroyed with readers inside");
	}

	/* Enter a reader of this domain (never blocks). */
	void lock() noexcept
	{
		int idx = srcu_read_lock(&ss_);

		held().push_back(held_reader{ this, idx });
	}

	/* A reader can always be entered: lock(), and true. */
	bool try_lock() noexcept
	{
		lock();
		return true;
	}

	/* Leave this thread's most recent reader of this domain. */
	void unlock() noexcept
	{
		std::vector<held_reader> &h = held();

		for (auto it = h.rbegin(); it != h.rend(); ++it) {
			if (it->dom == this) {
				int idx = it->idx;

				h.erase(std::next(it).base());
				srcu_read_unlock(&ss_, idx);
				return;
			}
		}
		die("srcu::domain::unlock(): this thread holds no lock() of this domain");
	}

	/* Wait for a grace period: every reader inside now has left. */
	void synchronize() noexcept
	{
		synchronize_srcu(&ss_);
	}

	/* The same, at a higher CPU cost and lower latency (Tiny: the same). */
	void synchronize_expedited() noexcept
	{
		synchronize_srcu_expedited(&ss_);
	}

	/* Wait until every callback queued so far (retire()'s) has run. */
	void barrier() noexcept
	{
		srcu_barrier(&ss_);
	}

	/*
	 * Call d(p) after a grace period, on the library's callback thread, in
	 * one allocation that carries the rcu_head, p and d, freed once d has
	 * run.  Throws std::bad_alloc (p is then not retired), or what moving
	 * d throws; d(p) must not throw.
	 */
	template <class T, class D = std::default_delete<T>>
	void retire(T *p, D d = D())
	{
		struct node : rcu_head {
			node(T *ptr_, D &&del_) : rcu_head(), ptr(ptr_), del(std::move(del_)) {}
			T *ptr;
			D del;
		};
		node *n = new node(p, std::move(d));

		call_srcu(&ss_, n, [](rcu_head *rhp) noexcept {
			std::unique_ptr<node> own(static_cast<node *>(rhp));

			own->del(own->ptr);
		});
	}

	/* The srcu_struct, for the rest of the C API (polling, srcu_dereference()). */
	struct srcu_struct *native_handle() noexcept
	{
		return &ss_;
	}

private:
	/* One lock() of this thread not yet unlocked. */
	struct held_reader {
		const domain *dom;
		int idx;
	};

	/* This thread's held readers, most recent last. */
	static std::vector<held_reader> &held() noexcept
	{
		thread_local std::vector<held_reader> readers;

		return readers;
	}

	[[noreturn]] static void die(const char *msg) noexcept
	{
		std::fprintf(stderr, "libsrcu: %s\n", msg);
		std::abort();
	}

	struct srcu_struct ss_;
};

/*
 * A reader of a domain for the guard's lifetime, holding its index itself
 * (no per-thread stack, so cheaper than std::scoped_lock on the domain).
 */
class read_guard {
public:
	explicit read_guard(domain &d) noexcept
		: ssp_(d.native_handle()), idx_(srcu_read_lock(ssp_))
	{
	}

	~read_guard()
	{
		srcu_read_unlock(ssp_, idx_);
	}

	read_guard(const read_guard &) = delete;
	read_guard &operator=(const read_guard &) = delete;

private:
	struct srcu_struct *ssp_;
	int idx_;
};

} /* inline namespace tree / tiny */
} /* namespace srcu */

#endif /* SRCU_HPP */
