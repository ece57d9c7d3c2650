/*
 * vmm.c: the seed's story in code (doc/seed.md).  A toy virtual machine
 * monitor keeps two SRCU-protected structures, as KVM does:
 *
 * - the I/O bus, which device answers which port range.  Registering a
 *   device copies the bus with the device added, publishes the copy, and
 *   frees the old bus after a grace period with call_srcu_expedited(), so
 *   that the registration does not wait for readers;
 * - the memory slots, guest frame number to host memory.  An update
 *   publishes new slots, waits with synchronize_srcu_expedited() until no
 *   reader can see the old ones, and frees them.
 *
 * vCPU threads look both up all the time, inside SRCU readers.  Meanwhile
 * the main thread "boots" the VM: it alternates device registrations and
 * memslot updates, which is exactly the pattern that made micro-VM boots
 * slow in the kernel: the expedited wait inherits the one-jiffy sleep of
 * the normal grace period that call_srcu() started (-m kernel shows it).
 *
 * Usage: vmm [-v vcpus] [-d devices] [-m rfc|promote|kernel] [-z hz] [-h]
 *   -m rfc      free old buses with call_srcu_expedited() (default)
 *   -m promote  call_srcu(), and in-flight promotion wakes its grace period
 *   -m kernel   call_srcu() without promotion: the kernel's behaviour
 *   -z hz       jiffies per second, 1..100000 (the library's default: 1000)
 * Exit status 0 when every lookup saw live objects and the shutdown was
 * clean.  Built by examples/CMakeLists.txt; ctest runs it (label examples).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <srcu.h>

#define ALIVE		0x600dUL	/* set when an object is published */
#define FREED		0xdeadUL	/* set by the free path, just before free() */
#define PORT_BASE	0x1000u
#define PORT_STRIDE	0x10u
#define NR_SLOTS	4
#define SLOT_PAGES	16

/* Pointers that readers follow: acquire on load, release on publish. */
#define deref(p)		__atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define publish(p, v)		__atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

struct io_device {
	unsigned int base, len;		/* the ports it answers */
	unsigned long hits;		/* accesses by vCPUs, atomic */
};

struct io_bus {
	unsigned long magic;		/* ALIVE while readers may find it */
	struct rcu_head rh;		/* for call_srcu_expedited() */
	struct vm *vm;			/* for the callback's accounting */
	int nr_devs;
	struct io_device *devs[];	/* sorted by base */
};

struct memslot {
	uint64_t base_gfn, npages;
	unsigned char *host;		/* host memory behind the slot */
};

struct memslots {
	unsigned long magic;		/* ALIVE while readers may find it */
	unsigned long generation;
	struct memslot slot[NR_SLOTS];
};

struct vm {
	struct srcu_struct srcu;	/* protects bus and slots */
	struct io_bus *bus;		/* SRCU-protected */
	struct memslots *slots;		/* SRCU-protected */
	pthread_mutex_t lock;		/* serialises updaters (KVM's slots_lock) */
	unsigned char *memory[NR_SLOTS];/* guest memory, lives as long as the VM */
	int stop;			/* vCPUs: leave, atomic */
	unsigned long buses_freed;	/* by the callback, atomic */
};

struct vcpu {
	pthread_t tid;
	struct vm *vm;
	uint64_t rnd;			/* xorshift state */
	unsigned long lookups, port_hits, mem_hits, dead_seen;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void *xzalloc(size_t size)
{
	void *p = calloc(1, size);

	if (!p) {
		perror("vmm: calloc");
		exit(2);
	}
	return p;
}

/* Readers: what a vCPU does on an I/O exit and on a memory access. */

static struct io_device *bus_find(struct io_bus *bus, unsigned int port)
{
	int lo = 0, hi = bus->nr_devs - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		struct io_device *d = bus->devs[mid];

		if (port < d->base)
			hi = mid - 1;
		else if (port >= d->base + d->len)
			lo = mid + 1;
		else
			return d;
	}
	return NULL;
}

static void *vcpu_run(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;

	while (!__atomic_load_n(&vm->stop, __ATOMIC_RELAXED)) {
		uint64_t r = xorshift(&v->rnd);
		unsigned int port = PORT_BASE + (unsigned int)(r % 1024);
		uint64_t gfn = (r >> 16) % (NR_SLOTS * SLOT_PAGES * 2);
		struct io_device *dev;
		struct memslots *slots;
		struct io_bus *bus;
		int idx, i;

		idx = srcu_read_lock(&vm->srcu);
		bus = deref(vm->bus);
		if (bus->magic != ALIVE)
			v->dead_seen++;
		dev = bus_find(bus, port);
		if (dev) {
			__atomic_fetch_add(&dev->hits, 1, __ATOMIC_RELAXED);
			v->port_hits++;
		}
		slots = deref(vm->slots);
		if (slots->magic != ALIVE)
			v->dead_seen++;
		for (i = 0; i < NR_SLOTS; i++) {
			const struct memslot *s = &slots->slot[i];

			if (gfn >= s->base_gfn && gfn < s->base_gfn + s->npages) {
				/* Each slot's memory is filled with its number. */
				if (s->host[(gfn - s->base_gfn) * 64] != i)
					v->dead_seen++;
				v->mem_hits++;
				break;
			}
		}
		srcu_read_unlock(&vm->srcu, idx);
		v->lookups++;
		usleep(10);	/* the guest runs until its next exit */
	}
	return NULL;
}

/* Updaters. */

static void free_bus(struct rcu_head *rh)
{
	struct io_bus *bus = caa_container_of(rh, struct io_bus, rh);
	struct vm *vm = bus->vm;

	/* No reader can reach bus any more; a reader that did would see this. */
	bus->magic = FREED;
	free(bus);
	__atomic_fetch_add(&vm->buses_freed, 1, __ATOMIC_RELAXED);
}

/* KVM's kvm_io_bus_register_dev(): copy, insert, publish, free the old later. */
static void register_device(struct vm *vm, struct io_device *dev, bool expedited)
{
	struct io_bus *old, *bus;
	int i, j;

	pthread_mutex_lock(&vm->lock);
	old = vm->bus;		/* updaters hold vm->lock: a plain load will do */
	bus = xzalloc(sizeof(*bus) + (old->nr_devs + 1) * sizeof(bus->devs[0]));
	bus->magic = ALIVE;
	bus->vm = vm;
	for (i = 0, j = 0; i < old->nr_devs; i++) {
		if (j == i && dev->base < old->devs[i]->base)
			bus->devs[j++] = dev;
		bus->devs[j++] = old->devs[i];
	}
	if (j == i)
		bus->devs[j++] = dev;
	bus->nr_devs = j;
	publish(vm->bus, bus);
	pthread_mutex_unlock(&vm->lock);

	/* The old bus goes after a grace period; we do not wait for it. */
	if (expedited)
		call_srcu_expedited(&vm->srcu, &old->rh, free_bus);
	else
		call_srcu(&vm->srcu, &old->rh, free_bus);
}

/* KVM's memslot update: publish, wait for readers, free the old slots. */
static double move_memslot(struct vm *vm, int i, uint64_t new_base)
{
	struct memslots *old, *slots = xzalloc(sizeof(*slots));
	double t0;

	pthread_mutex_lock(&vm->lock);
	old = vm->slots;
	*slots = *old;
	slots->generation++;
	slots->slot[i].base_gfn = new_base;
	publish(vm->slots, slots);
	t0 = now_ms();
	synchronize_srcu_expedited(&vm->srcu);
	t0 = now_ms() - t0;
	pthread_mutex_unlock(&vm->lock);

	old->magic = FREED;
	free(old);
	return t0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: vmm [-v vcpus] [-d devices] [-m rfc|promote|kernel] [-z hz] [-h]\n"
		"  -v vcpus    reader threads looking up the bus and the memslots (default 2)\n"
		"  -d devices  device registrations, 1..64, each followed by a memslot update\n"
		"              (default 16)\n"
		"  -m rfc      free old buses with call_srcu_expedited() (default)\n"
		"  -m promote  call_srcu(); in-flight promotion wakes its grace period\n"
		"  -m kernel   call_srcu() without promotion: the kernel's behaviour\n"
		"  -z hz       jiffies per second, 1..100000 (default: the library's, 1000)\n"
		"  -h, --help  this text\n");
}

/* The number optarg of option opt, in [min, max], or a message and exit 2. */
static long number(int opt, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(optarg, &end, 10);
	if (errno || end == optarg || *end || v < min || v > max) {
		fprintf(stderr, "vmm: -%c %s: expected a number from %ld to %ld\n",
			opt, optarg, min, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	int nr_vcpus = 2, nr_devs = 16, opt, i, err;
	const char *mode = "rfc";
	double wait, wait_sum = 0, wait_max = 0;
	unsigned long lookups = 0, port_hits = 0, mem_hits = 0, dead = 0, hits = 0;
	struct io_device *devs;
	struct vcpu *vcpus;
	struct srcu_stats st;
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long hz = 0;		/* 0: leave the library's */
	bool expedited;
	struct vm vm;

	setvbuf(stdout, NULL, _IOLBF, 0);	/* progress shows up in logs as it happens */
	while ((opt = getopt_long(argc, argv, "v:d:m:z:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v': nr_vcpus = (int)number(opt, 1, 1024); break;
		case 'd': nr_devs = (int)number(opt, 1, 64); break;
		case 'm': mode = optarg; break;
		case 'z': hz = number(opt, 1, 100000); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmm: unexpected argument %s\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (!strcmp(mode, "rfc") || !strcmp(mode, "promote")) {
		err = srcu_param_set("promote_inflight", 1);
	} else if (!strcmp(mode, "kernel")) {
		err = srcu_param_set("promote_inflight", 0);
	} else {
		fprintf(stderr, "vmm: -m %s: expected rfc, promote or kernel\n", mode);
		return 2;
	}
	expedited = !strcmp(mode, "rfc");
	if (!err && hz)
		err = srcu_param_set("hz", hz);
	if (err) {
		fprintf(stderr, "vmm: srcu_param_set: %s\n", strerror(-err));
		return 2;
	}

	/* Create the VM: an empty bus, NR_SLOTS memory slots. */
	memset(&vm, 0, sizeof(vm));
	err = init_srcu_struct(&vm.srcu);
	if (err) {
		fprintf(stderr, "vmm: init_srcu_struct: %s\n", strerror(-err));
		return 2;
	}
	pthread_mutex_init(&vm.lock, NULL);
	vm.bus = xzalloc(sizeof(*vm.bus));
	vm.bus->magic = ALIVE;
	vm.bus->vm = &vm;
	vm.slots = xzalloc(sizeof(*vm.slots));
	vm.slots->magic = ALIVE;
	for (i = 0; i < NR_SLOTS; i++) {
		vm.memory[i] = xzalloc(SLOT_PAGES * 64);
		memset(vm.memory[i], i, SLOT_PAGES * 64);
		vm.slots->slot[i] = (struct memslot){ i * SLOT_PAGES, SLOT_PAGES, vm.memory[i] };
	}
	devs = xzalloc(nr_devs * sizeof(*devs));

	printf("vmm: %d vCPUs, %d devices, mode %s, hz %ld, %s SRCU\n", nr_vcpus, nr_devs,
	       mode, srcu_param_get("hz"), srcu_get_stats(&vm.srcu, &st) ? "?" : st.flavour);

	vcpus = xzalloc(nr_vcpus * sizeof(*vcpus));
	for (i = 0; i < nr_vcpus; i++) {
		vcpus[i].vm = &vm;
		vcpus[i].rnd = 0x9e3779b97f4a7c15ULL * (i + 1);
		err = pthread_create(&vcpus[i].tid, NULL, vcpu_run, &vcpus[i]);
		if (err) {
			fprintf(stderr, "vmm: pthread_create: %s\n", strerror(err));
			return 2;
		}
	}

	/* Boot: each device registration is followed by a memslot update. */
	for (i = 0; i < nr_devs; i++) {
		/* Registered out of order, so that insertion is exercised. */
		int n = (i * 7) % nr_devs;

		devs[n].base = PORT_BASE + n * PORT_STRIDE;
		devs[n].len = 8;
		register_device(&vm, &devs[n], expedited);
		wait = move_memslot(&vm, i % NR_SLOTS,
				    (i % NR_SLOTS) * SLOT_PAGES + (i & 1) * NR_SLOTS * SLOT_PAGES);
		wait_sum += wait;
		if (wait > wait_max)
			wait_max = wait;
	}
	usleep(10000);	/* let the vCPUs use the final layout a little */

	/* Tear down: vCPUs first, then what the grace periods still owe. */
	__atomic_store_n(&vm.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nr_vcpus; i++) {
		pthread_join(vcpus[i].tid, NULL);
		lookups += vcpus[i].lookups;
		port_hits += vcpus[i].port_hits;
		mem_hits += vcpus[i].mem_hits;
		dead += vcpus[i].dead_seen;
	}
	srcu_barrier(&vm.srcu);		/* every free_bus() has run */
	for (i = 0; i < nr_devs; i++)
		hits += devs[i].hits;

	printf("vmm: registered %d devices; each replaced the bus, and %s() freed "
	       "the %lu old buses\n", nr_devs, expedited ? "call_srcu_expedited" : "call_srcu",
	       vm.buses_freed);
	printf("vmm: %d memslot updates; synchronize_srcu_expedited() waited %.3f ms on "
	       "average, %.3f ms at most\n", nr_devs, wait_sum / nr_devs, wait_max);
	printf("vmm: vCPUs made %lu lookups meanwhile (%lu port hits, %lu memory hits)\n",
	       lookups, port_hits, mem_hits);
	if (!srcu_get_stats(&vm.srcu, &st))
		printf("vmm: grace periods: %lu normal, %lu expedited; %lu promoted, "
		       "%lu transfers\n", st.gp_normal, st.gp_expedited, st.promotions,
		       st.transfers);

	err = 0;
	if (dead) {
		fprintf(stderr, "vmm: FAILED: readers saw %lu freed objects\n", dead);
		err = 1;
	}
	if (vm.buses_freed != (unsigned long)nr_devs || hits != port_hits) {
		fprintf(stderr, "vmm: FAILED: %lu buses freed (%d expected), %lu/%lu hits\n",
			vm.buses_freed, nr_devs, hits, port_hits);
		err = 1;
	}

	/* No reader is left: the last bus and slots go without a grace period. */
	free(vm.bus);
	free(vm.slots);
	i = cleanup_srcu_struct(&vm.srcu);
	if (i) {
		fprintf(stderr, "vmm: FAILED: cleanup_srcu_struct: %s\n", strerror(-i));
		err = 1;
	}
	for (i = 0; i < NR_SLOTS; i++)
		free(vm.memory[i]);
	free(devs);
	free(vcpus);
	pthread_mutex_destroy(&vm.lock);
	if (!err)
		printf("vmm: shut down cleanly\n");
	return err;
}
