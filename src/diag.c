/*
 * diag.c: fatal errors and warnings of the library (srcu_die(),
 * srcu_warn_once() in internal.h), used by every source file.  Each
 * message is formatted first and written with one write(2), so messages
 * from several threads do not interleave.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <srcu/common.h>
#include "internal.h"

#define DIAG_PREFIX	"libsrcu-" SRCU_FLAVOUR_STR ": "

static void diag_write(char *buf, size_t size, int len)
{
	if (len < 0)
		return;
	if ((size_t)len >= size - 1)
		len = (int)size - 2;	/* truncated: keep room for the newline */
	buf[len++] = '\n';
	while (len > 0) {
		ssize_t n = write(STDERR_FILENO, buf, (size_t)len);

		if (n <= 0)
			break;
		buf += n;
		len -= (int)n;
	}
}

void SRCU_PRIV(die)(const char *file, int line, const char *func, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int len;

	len = snprintf(buf, sizeof(buf), DIAG_PREFIX "%s:%d: %s: ", file, line, func);
	if (len >= 0 && (size_t)len < sizeof(buf)) {
		va_start(ap, fmt);
		int more = vsnprintf(buf + len, sizeof(buf) - (size_t)len, fmt, ap);
		va_end(ap);
		len = more < 0 ? len : len + more;
	}
	diag_write(buf, sizeof(buf), len);
	abort();
}

void SRCU_PRIV(die_unusable)(const char *file, int line, const char *func,
			     const void *ssp, unsigned int state, const char *name,
			     const char *call)
{
	if (state == SRCU_STATE_DEAD)
		SRCU_PRIV(die)(file, line, func, "%s: srcu_struct %p%s%s%s used after "
			       "cleanup_srcu_struct() (initialise it again first)", call, ssp,
			       name ? " (" : "", name ? name : "", name ? ")" : "");
	SRCU_PRIV(die)(file, line, func, "%s: srcu_struct %p is not initialised "
		       "(init_srcu_struct() not called, or its memory overwritten)", call, ssp);
}

void SRCU_PRIV(warn)(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int len;

	len = snprintf(buf, sizeof(buf), DIAG_PREFIX "warning: ");
	va_start(ap, fmt);
	int more = vsnprintf(buf + len, sizeof(buf) - (size_t)len, fmt, ap);
	va_end(ap);
	len = more < 0 ? len : len + more;
	diag_write(buf, sizeof(buf), len);
}
