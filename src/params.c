/*
 * params.c: the tunables of src/params.h, the kernel's SRCU module
 * parameters plus ours.  Outside: srcu_param_set() / srcu_param_get() and
 * the SRCU_PARAMS environment variable, parsed once when the library loads.
 * Inside: srcu_param(), a relaxed load, called by srcutree.c, srcutiny.c
 * and workqueue.c on their hot paths.
 *
 * srcu_max_nodelay_phase and srcu_max_nodelay default to values derived
 * from hz, the way the kernel derives them from HZ at build time; until
 * set explicitly they follow hz when it changes.  Setting either to -1
 * makes it follow hz again.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "params.h"

/* Exported (declared for users in <srcu/tree.h> and <srcu/tiny.h>). */
SRCU_EXPORT int SRCU_API(param_set)(const char *name, long value);
SRCU_EXPORT long SRCU_API(param_get)(const char *name);

/*
 * The kernel's derivation: allow about one jiffy of retries without
 * sleeping per grace-period phase (retries are SRCU_RETRY_CHECK_DELAY_US
 * apart, and srcu_get_delay() is asked twice per pass, hence the 2),
 * clamped to [3, 1000]; the per-jiffy budget is at least 100.
 */
#define SRCU_RETRY_CHECK_DELAY_US	5
#define NODELAY_PHASE_OF(hz)						\
	(2L * 1000000L / (hz) / SRCU_RETRY_CHECK_DELAY_US < 3L ? 3L :	\
	 2L * 1000000L / (hz) / SRCU_RETRY_CHECK_DELAY_US > 1000L ? 1000L : \
	 2L * 1000000L / (hz) / SRCU_RETRY_CHECK_DELAY_US)
#define NODELAY_OF(hz)	(NODELAY_PHASE_OF(hz) > 100L ? NODELAY_PHASE_OF(hz) : 100L)

#define DEFAULT_HZ	1000L
#define TEN_SECONDS_NS	(10000000000LL > LONG_MAX ? LONG_MAX : (long)10000000000LL)

struct param_desc {
	const char *name;
	long min, max;
	bool derived;		/* default follows hz until set */
};

static const struct param_desc param_desc[SRCU_PARAM_NR] = {
	[SRCU_PARAM_HZ]			 = { "hz", 1, 100000, false },
	[SRCU_PARAM_EXP_HOLDOFF]	 = { "exp_holdoff", 0, TEN_SECONDS_NS, false },
	[SRCU_PARAM_RETRY_CHECK_DELAY]	 = { "srcu_retry_check_delay", 0, 1000000, false },
	[SRCU_PARAM_MAX_NODELAY_PHASE]	 = { "srcu_max_nodelay_phase", 0, 1000000, true },
	[SRCU_PARAM_MAX_NODELAY]	 = { "srcu_max_nodelay", 0, 1000000, true },
	[SRCU_PARAM_CONVERT_TO_BIG]	 = { "convert_to_big", 0, 0x13, false },
	[SRCU_PARAM_BIG_CPU_LIM]	 = { "big_cpu_lim", 0, 1L << 20, false },
	[SRCU_PARAM_SMALL_CONTENTION_LIM] = { "small_contention_lim", 0, 1L << 30, false },
	[SRCU_PARAM_COUNTER_WRAP_CHECK]	 = { "counter_wrap_check", 0, LONG_MAX, false },
	[SRCU_PARAM_PROMOTE_INFLIGHT]	 = { "promote_inflight", 0, 1, false },
	[SRCU_PARAM_NR_CPUS]		 = { "nr_cpus", 0, 1L << 16, false },
	[SRCU_PARAM_STALL_TIMEOUT]	 = { "stall_timeout", 0, 1000000000L, false },
};

/* Values in force; read with relaxed loads, written under param_lock. */
static long param_val[SRCU_PARAM_NR] = {
	[SRCU_PARAM_HZ]			 = DEFAULT_HZ,
	[SRCU_PARAM_EXP_HOLDOFF]	 = 25000,
	[SRCU_PARAM_RETRY_CHECK_DELAY]	 = SRCU_RETRY_CHECK_DELAY_US,
	[SRCU_PARAM_MAX_NODELAY_PHASE]	 = NODELAY_PHASE_OF(DEFAULT_HZ),
	[SRCU_PARAM_MAX_NODELAY]	 = NODELAY_OF(DEFAULT_HZ),
	[SRCU_PARAM_CONVERT_TO_BIG]	 = 3,	/* auto */
	[SRCU_PARAM_BIG_CPU_LIM]	 = 128,
	[SRCU_PARAM_SMALL_CONTENTION_LIM] = 100,
	[SRCU_PARAM_COUNTER_WRAP_CHECK]	 = (long)(ULONG_MAX >> 2),
	[SRCU_PARAM_PROMOTE_INFLIGHT]	 = 1,
	[SRCU_PARAM_NR_CPUS]		 = 0,	/* the machine's */
	[SRCU_PARAM_STALL_TIMEOUT]	 = 21,	/* the kernel's RCU CPU stall timeout */
};

static bool param_explicit[SRCU_PARAM_NR];	/* derived ones set by the user */
static pthread_mutex_t param_lock = PTHREAD_MUTEX_INITIALIZER;
static long machine_cpus;			/* cached sysconf, 0 = not yet */

long srcu_param(enum srcu_param_id id)
{
	long v;

	SRCU_DEBUG_BUG_ON((unsigned int)id >= SRCU_PARAM_NR);
	v = READ_ONCE(param_val[id]);
	if (id == SRCU_PARAM_NR_CPUS && !v) {
		v = READ_ONCE(machine_cpus);
		if (!v) {
			v = sysconf(_SC_NPROCESSORS_CONF);
			if (v < 1)
				v = 1;
			WRITE_ONCE(machine_cpus, v);
		}
	}
	return v;
}

static int param_lookup(const char *name, size_t len)
{
	for (int i = 0; i < SRCU_PARAM_NR; i++) {
		if (strlen(param_desc[i].name) == len && !memcmp(param_desc[i].name, name, len))
			return i;
	}
	return -ENOENT;
}

static bool param_valid(int id, long value)
{
	const struct param_desc *d = &param_desc[id];

	if (d->derived && value == -1)
		return true;
	if (value < d->min || value > d->max)
		return false;
	/* 0 none, 1 at init, 2 torture, 3 auto, each optionally | 0x10 contend. */
	if (id == SRCU_PARAM_CONVERT_TO_BIG && (value & ~0x13L))
		return false;
	return true;
}

static void param_store(int id, long value)
{
	long hz;

	srcu_fork_handlers();	/* before the first use of param_lock */
	srcu_check_pthread(pthread_mutex_lock(&param_lock));
	if (param_desc[id].derived) {
		param_explicit[id] = value != -1;
		if (value == -1) {
			hz = READ_ONCE(param_val[SRCU_PARAM_HZ]);
			value = id == SRCU_PARAM_MAX_NODELAY ? NODELAY_OF(hz) : NODELAY_PHASE_OF(hz);
		}
	}
	WRITE_ONCE(param_val[id], value);
	if (id == SRCU_PARAM_HZ) {
		if (!param_explicit[SRCU_PARAM_MAX_NODELAY_PHASE])
			WRITE_ONCE(param_val[SRCU_PARAM_MAX_NODELAY_PHASE], NODELAY_PHASE_OF(value));
		if (!param_explicit[SRCU_PARAM_MAX_NODELAY])
			WRITE_ONCE(param_val[SRCU_PARAM_MAX_NODELAY], NODELAY_OF(value));
	}
	srcu_check_pthread(pthread_mutex_unlock(&param_lock));
}

void srcu_params_fork(enum srcu_fork_phase phase)
{
	srcu_fork_mutex(&param_lock, phase);
}

/* The id of the tunable called name, or -ENOENT (also for NULL). */
static int param_id(const char *name)
{
	return name ? param_lookup(name, strlen(name)) : -ENOENT;
}

SRCU_EXPORT int SRCU_API(param_set)(const char *name, long value)
{
	int id = param_id(name);

	if (id < 0)
		return id;
	if (!param_valid(id, value))
		return -EINVAL;
	param_store(id, value);
	return 0;
}

SRCU_EXPORT long SRCU_API(param_get)(const char *name)
{
	int id = param_id(name);

	if (id < 0)
		return id;
	return srcu_param((enum srcu_param_id)id);
}

/* SRCU_PARAMS. */

#define PARSE_ERR(...)	fprintf(stderr, "libsrcu-" SRCU_FLAVOUR_STR ": SRCU_PARAMS: " __VA_ARGS__)

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/* [*s, *e) without surrounding blanks. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_space(**s))
		(*s)++;
	while (*e > *s && is_space((*e)[-1]))
		(*e)--;
}

/* Decimal or 0x hex, optional leading '-'.  False if not a number or too big. */
static bool parse_long(const char *s, const char *e, long *out)
{
	unsigned long long v = 0, limit = LONG_MAX;
	bool neg = false;
	unsigned int base = 10, digit;

	if (s < e && *s == '-') {
		neg = true;
		limit = (unsigned long long)LONG_MAX + 1;
		s++;
	}
	if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (s == e)
		return false;
	for (; s < e; s++) {
		if (*s >= '0' && *s <= '9')
			digit = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			digit = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			digit = (unsigned int)(*s - 'A' + 10);
		else
			return false;
		if (v > (limit - digit) / base)
			return false;
		v = v * base + digit;
	}
	*out = neg ? (long)(0 - v) : (long)v;
	return true;
}

int srcu_params_parse(const char *spec)
{
	const char *s = spec, *end, *eq, *ne, *vs;
	int bad = 0, id, nlen, vlen;
	long value;

	if (!spec)
		return 0;
	for (; *s; s = *end ? end + 1 : end) {
		end = strchr(s, ',');
		if (!end)
			end = s + strlen(s);
		ne = end;
		trim(&s, &ne);
		if (s == ne)
			continue;	/* empty entry, e.g. a trailing comma */
		eq = memchr(s, '=', (size_t)(ne - s));
		if (!eq) {
			PARSE_ERR("missing '=' in '%.*s', skipped\n", (int)(ne - s), s);
			bad++;
			continue;
		}
		vs = eq + 1;
		trim(&s, &eq);
		trim(&vs, &ne);
		nlen = (int)(eq - s);
		vlen = (int)(ne - vs);
		id = param_lookup(s, (size_t)nlen);
		if (id < 0) {
			PARSE_ERR("unknown tunable '%.*s', skipped\n", nlen, s);
			bad++;
		} else if (!parse_long(vs, ne, &value)) {
			PARSE_ERR("bad number '%.*s' for '%s', skipped\n", vlen, vs,
				  param_desc[id].name);
			bad++;
		} else if (!param_valid(id, value)) {
			if (value < param_desc[id].min || value > param_desc[id].max)
				PARSE_ERR("%ld out of range for '%s' [%ld, %ld], skipped\n",
					  value, param_desc[id].name, param_desc[id].min,
					  param_desc[id].max);
			else
				PARSE_ERR("%ld is not a valid value for '%s', skipped\n",
					  value, param_desc[id].name);
			bad++;
		} else {
			param_store(id, value);
		}
	}
	return bad;
}

static void __attribute__((constructor)) srcu_params_from_env(void)
{
	srcu_params_parse(getenv("SRCU_PARAMS"));
}
