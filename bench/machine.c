/*
 * machine.c: what a run ran on and with, printed at the top of every
 * report (report.c): CPUs, CPU model, kernel, library and liburcu
 * versions, build type, and each tunable in force.  A number without the
 * machine it came from is not a result.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench.h"

#ifndef SRCU_BENCH_VERSION
#define SRCU_BENCH_VERSION "unknown"
#endif
#ifndef SRCU_BENCH_URCU_VERSION
#define SRCU_BENCH_URCU_VERSION "unknown"
#endif
#ifndef SRCU_BENCH_BUILD_TYPE
#define SRCU_BENCH_BUILD_TYPE "unknown"
#endif

/* Every tunable the library documents (doc/design.md, params.c). */
static const char *const tunable_names[] = {
	"hz", "exp_holdoff", "srcu_retry_check_delay", "srcu_max_nodelay_phase",
	"srcu_max_nodelay", "convert_to_big", "big_cpu_lim",
	"small_contention_lim", "counter_wrap_check", "promote_inflight",
	"nr_cpus",
};

static int kv_add(struct bench_kv *kv, int n, int max, const char *key,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int kv_add(struct bench_kv *kv, int n, int max, const char *key,
		  const char *fmt, ...)
{
	va_list ap;

	if (n >= max)
		return n;
	snprintf(kv[n].key, sizeof(kv[n].key), "%s", key);
	va_start(ap, fmt);
	vsnprintf(kv[n].val, sizeof(kv[n].val), fmt, ap);
	va_end(ap);
	return n + 1;
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256], *colon;

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) || !(colon = strchr(line, ':')))
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(buf, len, "%s", colon);
		break;
	}
	fclose(f);
}

/* Other work on the machine skews every timing: say how much there was. */
static void load_average(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l1, l5, l15;

	snprintf(buf, len, "unknown");
	if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
		snprintf(buf, len, "%.2f %.2f %.2f (at start)", l1, l5, l15);
	if (f)
		fclose(f);
}

int bench_machine_info(struct bench_kv *kv, int max)
{
	struct utsname u;
	char model[160], load[64];
	int n = 0;

	cpu_model(model, sizeof(model));
	load_average(load, sizeof(load));
	n = kv_add(kv, n, max, "nproc", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	n = kv_add(kv, n, max, "cpu", "%s", model);
	if (!uname(&u))
		n = kv_add(kv, n, max, "kernel", "%s %s %s", u.sysname, u.release,
			   u.machine);
	n = kv_add(kv, n, max, "loadavg", "%s", load);
	n = kv_add(kv, n, max, "libsrcu", "%s", SRCU_BENCH_VERSION);
	n = kv_add(kv, n, max, "liburcu", "%s", SRCU_BENCH_URCU_VERSION);
	n = kv_add(kv, n, max, "flavours", "tree%s urcu-memb",
		   BENCH_HAVE_TINY ? " tiny" : " (tiny not built)");
	n = kv_add(kv, n, max, "build", "%s, %s", SRCU_BENCH_BUILD_TYPE,
#if defined(__clang__)
		   "clang " __clang_version__
#elif defined(__GNUC__)
		   "gcc " __VERSION__
#else
		   "unknown compiler"
#endif
		   );
	n = kv_add(kv, n, max, "SRCU_PARAMS", "%s",
		   getenv("SRCU_PARAMS") ? getenv("SRCU_PARAMS") : "(unset)");
	return n;
}

/* Tree's values; the scenarios set hz and promote_inflight per row. */
int bench_tunables(struct bench_kv *kv, int max)
{
	int n = 0;

	for (size_t i = 0; i < sizeof(tunable_names) / sizeof(tunable_names[0]); i++)
		n = kv_add(kv, n, max, tunable_names[i], "%ld",
			   srcu_tree_param_get(tunable_names[i]));
	return n;
}
