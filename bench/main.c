/*
 * main.c: srcu-bench's entry: options, each scenario's defaults, dispatch.
 * The scenarios are seed.c (the default: the LKML thread's micro-VM
 * boot), gp.c, cb.c and read.c; report.c writes what they measure.
 * scripts/demo.sh and the bench-smoke ctest run this program.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#ifndef SRCU_BENCH_VERSION
#define SRCU_BENCH_VERSION "unknown"
#endif

struct bench_opts bench_opts;

struct scenario {
	const char *name;
	void (*run)(void);
	const char *help;
};

static const struct scenario scenarios[] = {
	{ "seed", bench_seed, "call_srcu() then synchronize_srcu_expedited(): kernel, rfc, promote (default)" },
	{ "gp", bench_gp, "grace-period latency, Tree and Tiny vs liburcu-memb" },
	{ "cb", bench_cb, "callback latency and throughput vs liburcu call_rcu()" },
	{ "read", bench_read, "read-side lock/unlock cost for 1..2x nproc threads" },
};
#define NR_SCENARIOS	(int)(sizeof(scenarios) / sizeof(scenarios[0]))

static void usage(FILE *out)
{
	fprintf(out,
"usage: srcu-bench [SCENARIO] [OPTIONS]\n"
"\n"
"Scenarios:\n");
	for (int i = 0; i < NR_SCENARIOS; i++)
		fprintf(out, "  %-6s %s\n", scenarios[i].name, scenarios[i].help);
	fprintf(out,
"  all    every scenario above, in one report\n"
"\n"
"Options:\n"
"  --hz LIST         jiffy rates to run at (default 100,1000)\n"
"  --updates N       seed: device registrations per boot (default 25)\n"
"  --readers LIST    reader threads per row, spinning in short sections\n"
"                    (seed 0,nproc; gp 0,1,2; read 1..2x nproc)\n"
"  --threads LIST    cb: queueing threads for throughput (default 1,2)\n"
"  --gap-us N        busy work before each timed call, us (seed 0, others 50)\n"
"  --idle-us N       seed: sleep before each registration, so that each one\n"
"                    starts from an idle srcu_struct, us (default 40000)\n"
"  --repeat N        seed: boots per row, each on a fresh srcu_struct; the\n"
"                    table shows all of them and the worst one (default 3)\n"
"  --iterations N    gp, cb: samples per row (default 200)\n"
"  --callbacks N     cb: callbacks per thread for throughput (default 100000)\n"
"  --duration SEC    read: seconds per row (default 1)\n"
"  --quick           small sizes for CI smoke runs\n"
"  --csv, --json     machine-readable output (default: aligned tables)\n"
"  --raw FILE        seed: every update's latency as CSV, for plot.sh\n"
"  --quiet           no progress on stderr\n"
"  --version, --help\n"
"\n"
"Tunables: SRCU_PARAMS=name=value,... in the environment (see doc/); the\n"
"scenarios set hz, and seed sets promote_inflight, per row.\n");
}

static void usage_error(const char *fmt, const char *arg)
{
	fputs("srcu-bench: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (try --help)\n", stderr);
	exit(BENCH_EXIT_USAGE);
}

static long parse_long(const char *s, const char *opt, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min) {
		char what[128];

		snprintf(what, sizeof(what), "%s %s: expected a whole number, at least %ld",
			 opt, s, min);
		usage_error("%s", what);
	}
	return v;
}

static void parse_list(struct bench_list *l, const char *s, const char *opt, long min)
{
	char buf[256], *tok, *save;

	snprintf(buf, sizeof(buf), "%s", s);
	l->n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (l->n == BENCH_MAX_LIST)
			usage_error("too many values for %s", opt);
		l->v[l->n++] = parse_long(tok, opt, min);
	}
	if (!l->n)
		usage_error("empty list for %s", opt);
}

static void set_list(struct bench_list *l, int n, const long *v)
{
	l->n = n;
	memcpy(l->v, v, n * sizeof(*v));
}

/* Fill what the user left unset with the scenario's defaults. */
static struct bench_opts scenario_opts(const struct bench_opts *user, const char *name)
{
	struct bench_opts o = *user;
	bool quick = o.quick;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);

	o.scenario = user->scenario;
	if (!o.hz.n)
		set_list(&o.hz, 2, (const long[]){ 100, 1000 });
	if (!o.threads.n)
		set_list(&o.threads, 2, (const long[]){ 1, 2 });
	if (!o.readers.n) {
		if (!strcmp(name, "seed")) {
			set_list(&o.readers, 2, (const long[]){ 0, nproc });
		} else if (!strcmp(name, "gp")) {
			set_list(&o.readers, 3, (const long[]){ 0, 1, 2 });
		} else {
			for (long i = 1; i <= 2 * nproc && i <= BENCH_MAX_LIST; i++)
				o.readers.v[o.readers.n++] = i;
		}
	}
	if (o.updates < 0)
		o.updates = quick ? 5 : 25;
	if (o.idle_us < 0)
		o.idle_us = quick ? 20000 : 40000;
	if (o.repeat < 0)
		o.repeat = quick ? 1 : 3;
	if (o.iterations < 0)
		o.iterations = quick ? 20 : 200;
	if (o.callbacks < 0)
		o.callbacks = quick ? 5000 : 100000;
	if (o.duration < 0)
		o.duration = quick ? 0.1 : 1.0;
	if (o.gap_us < 0)
		o.gap_us = strcmp(name, "seed") ? 50 : 0;
	return o;
}

int main(int argc, char **argv)
{
	enum { OPT_HZ = 256, OPT_UPDATES, OPT_READERS, OPT_THREADS, OPT_GAP, OPT_IDLE, OPT_REPEAT,
	       OPT_ITER, OPT_CBS, OPT_DURATION, OPT_RAW, OPT_VERSION };
	static const struct option longopts[] = {
		{ "hz", required_argument, NULL, OPT_HZ },
		{ "updates", required_argument, NULL, OPT_UPDATES },
		{ "readers", required_argument, NULL, OPT_READERS },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "gap-us", required_argument, NULL, OPT_GAP },
		{ "idle-us", required_argument, NULL, OPT_IDLE },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "iterations", required_argument, NULL, OPT_ITER },
		{ "callbacks", required_argument, NULL, OPT_CBS },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "raw", required_argument, NULL, OPT_RAW },
		{ "quick", no_argument, NULL, 'q' },
		{ "quiet", no_argument, NULL, 'Q' },
		{ "csv", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_opts user = {
		.scenario = "seed", .updates = -1, .gap_us = -1, .idle_us = -1, .repeat = -1,
		.iterations = -1,
		.callbacks = -1, .duration = -1, .format = BENCH_TEXT,
	};
	long hz0, promote0;
	char *end;
	int c, first = 0, last = 0;
	bool found = false;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_HZ:
			parse_list(&user.hz, optarg, "--hz", 1);
			break;
		case OPT_UPDATES:
			user.updates = parse_long(optarg, "--updates", 1);
			break;
		case OPT_READERS:
			parse_list(&user.readers, optarg, "--readers", 0);
			break;
		case OPT_THREADS:
			parse_list(&user.threads, optarg, "--threads", 1);
			break;
		case OPT_GAP:
			user.gap_us = parse_long(optarg, "--gap-us", 0);
			break;
		case OPT_IDLE:
			user.idle_us = parse_long(optarg, "--idle-us", 0);
			break;
		case OPT_REPEAT:
			user.repeat = parse_long(optarg, "--repeat", 1);
			if (user.repeat > BENCH_MAX_REPEAT)
				usage_error("--repeat: at most %s", BENCH_STR(BENCH_MAX_REPEAT));
			break;
		case OPT_ITER:
			user.iterations = parse_long(optarg, "--iterations", 1);
			break;
		case OPT_CBS:
			user.callbacks = parse_long(optarg, "--callbacks", 1);
			break;
		case OPT_DURATION:
			user.duration = strtod(optarg, &end);
			if (*end || end == optarg || !(user.duration > 0))
				usage_error("bad number for %s", "--duration");
			break;
		case OPT_RAW:
			user.raw_path = optarg;
			break;
		case 'q':
			user.quick = true;
			break;
		case 'Q':
			user.quiet = true;
			break;
		case 'c':
			user.format = BENCH_CSV;
			break;
		case 'j':
			user.format = BENCH_JSON;
			break;
		case OPT_VERSION:
			printf("srcu-bench (libsrcu) %s\n", SRCU_BENCH_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return BENCH_EXIT_USAGE;
		}
	}
	if (optind < argc)
		user.scenario = argv[optind++];
	if (optind < argc)
		usage_error("unexpected argument %s", argv[optind]);
	for (int i = 0; i < NR_SCENARIOS; i++) {
		if (!strcmp(user.scenario, "all") || !strcmp(user.scenario, scenarios[i].name)) {
			if (!found)
				first = i;
			last = i;
			found = true;
		}
	}
	if (!found)
		usage_error("unknown scenario %s", user.scenario);

	/* Every scenario leaves the tunables as it found them. */
	hz0 = srcu_tree_param_get("hz");
	promote0 = srcu_tree_param_get("promote_inflight");
	bench_opts = scenario_opts(&user, scenarios[first].name);
	bench_report_begin();
	for (int i = first; i <= last; i++) {
		bench_opts = scenario_opts(&user, scenarios[i].name);
		scenarios[i].run();
		bench_param_set("hz", hz0);
		bench_param_set("promote_inflight", promote0);
	}
	bench_progress_done();
	bench_report_end();
	return bench_failed;
}
