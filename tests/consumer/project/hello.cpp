/*
 * hello.cpp: the C++ interface (<srcu.hpp>) of an installed libsrcu, built
 * by the consumer test through find_package(srcu) when the consumer has
 * a C++ compiler.  Prints "hello-cxx: ok" and exits 0 when a reader, a
 * grace period and a retired object did what they should.
 */
#include <atomic>
#include <cstdio>
#include <mutex>

#include <srcu.hpp>

static std::atomic<int> deleted{ 0 };

struct greeting {
	const char *text;
	~greeting() { deleted++; }
};

int main()
{
	srcu::domain d;
	std::atomic<greeting *> cur{ new greeting{ "hello" } };

	{
		std::scoped_lock lk(d);
		if (cur.load()->text[0] != 'h')
			return 1;
	}
	d.retire(cur.exchange(new greeting{ "hi" }));
	d.barrier();
	if (deleted != 1)
		return 1;
	d.synchronize();
	delete cur.load();
	std::printf("hello-cxx: ok\n");
	return 0;
}
