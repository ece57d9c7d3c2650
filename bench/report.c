/*
 * report.c: every byte srcu-bench writes to stdout.  The scenarios hand
 * over tables (named columns, one row at a time) and notes; this file
 * writes them as aligned text for people, CSV for gnuplot and
 * spreadsheets, or one JSON document for tools.  The header (machine,
 * versions, tunables) comes first in all three.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define CELL_LEN	48
#define MAX_KV		32

struct cell {
	char s[CELL_LEN];
	bool null;			/* a missing value: "-", empty, null */
};

struct bench_table {
	const char *name;
	const char *title;
	const struct bench_col *cols;
	int ncols;
	struct cell *cells;		/* nrows * ncols */
	size_t nrows, cap;
};

/* JSON: notes wait for the end of the document; tables need commas. */
static char **json_notes;
static size_t json_nr_notes;
static bool json_tables_open;

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_object(const char *name, const struct bench_kv *kv, int n,
			bool numeric)
{
	printf("  \"%s\": {", name);
	for (int i = 0; i < n; i++) {
		printf("%s\n    ", i ? "," : "");
		json_string(kv[i].key);
		fputs(": ", stdout);
		if (numeric)
			fputs(kv[i].val, stdout);
		else
			json_string(kv[i].val);
	}
	fputs("\n  },\n", stdout);
}

void bench_report_begin(void)
{
	struct bench_kv machine[MAX_KV], tun[MAX_KV];
	int nm = bench_machine_info(machine, MAX_KV);
	int nt = bench_tunables(tun, MAX_KV);

	switch (bench_opts.format) {
	case BENCH_TEXT:
		printf("srcu-bench: scenario %s%s\n", bench_opts.scenario,
		       bench_opts.quick ? " (--quick)" : "");
		for (int i = 0; i < nm; i++)
			printf("  %-10s %s\n", machine[i].key, machine[i].val);
		fputs("  tunables  ", stdout);
		for (int i = 0; i < nt; i++)
			printf("%s=%s%s", tun[i].key, tun[i].val,
			       i == nt - 1 ? "\n" : (i % 5 == 4 ? "\n            " : " "));
		break;
	case BENCH_CSV:
		printf("# srcu-bench scenario=%s quick=%d\n", bench_opts.scenario,
		       bench_opts.quick);
		for (int i = 0; i < nm; i++)
			printf("# machine %s=%s\n", machine[i].key, machine[i].val);
		for (int i = 0; i < nt; i++)
			printf("# tunable %s=%s\n", tun[i].key, tun[i].val);
		break;
	case BENCH_JSON:
		fputs("{\n  \"tool\": \"srcu-bench\",\n  \"scenario\": ", stdout);
		json_string(bench_opts.scenario);
		printf(",\n  \"quick\": %s,\n", bench_opts.quick ? "true" : "false");
		json_object("machine", machine, nm, false);
		json_object("tunables", tun, nt, true);
		fputs("  \"tables\": [", stdout);
		break;
	}
	fflush(stdout);
}

void bench_report_end(void)
{
	if (bench_opts.format != BENCH_JSON)
		return;
	fputs("\n  ],\n  \"notes\": [", stdout);
	for (size_t i = 0; i < json_nr_notes; i++) {
		fputs(i ? ",\n    " : "\n    ", stdout);
		json_string(json_notes[i]);
		free(json_notes[i]);
	}
	free(json_notes);
	json_notes = NULL;
	json_nr_notes = 0;
	printf("\n  ],\n  \"failed\": %s\n}\n", bench_failed ? "true" : "false");
	fflush(stdout);
}

void bench_note(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	bench_progress_done();
	switch (bench_opts.format) {
	case BENCH_TEXT:
		printf("%s\n", buf);
		break;
	case BENCH_CSV:
		printf("# %s\n", buf);
		break;
	case BENCH_JSON:
		json_notes = realloc(json_notes, (json_nr_notes + 1) * sizeof(*json_notes));
		if (!json_notes || !(json_notes[json_nr_notes++] = strdup(buf)))
			bench_die("out of memory");
		break;
	}
	fflush(stdout);
}

struct bench_table *bench_table_begin(const char *name, const char *title,
				      const struct bench_col *cols, int ncols)
{
	struct bench_table *t = calloc(1, sizeof(*t));

	if (!t)
		bench_die("out of memory");
	t->name = name;
	t->title = title;
	t->cols = cols;
	t->ncols = ncols;
	return t;
}

void bench_table_row(struct bench_table *t, ...)
{
	struct cell *row;
	va_list ap;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = realloc(t->cells, t->cap * t->ncols * sizeof(*t->cells));
		if (!t->cells)
			bench_die("out of memory");
	}
	row = &t->cells[t->nrows++ * t->ncols];
	va_start(ap, t);
	for (int i = 0; i < t->ncols; i++) {
		const char *s;
		double d;
		long l;

		row[i].null = false;
		switch (t->cols[i].kind) {
		case BENCH_COL_STR:
			s = va_arg(ap, const char *);
			row[i].null = !s;
			snprintf(row[i].s, CELL_LEN, "%s", s ? s : "");
			break;
		case BENCH_COL_INT:
			l = va_arg(ap, long);
			row[i].null = l == BENCH_NONE;
			snprintf(row[i].s, CELL_LEN, "%ld", l);
			break;
		case BENCH_COL_REAL:
			d = va_arg(ap, double);
			row[i].null = isnan(d);
			snprintf(row[i].s, CELL_LEN, "%.*f", t->cols[i].decimals, d);
			break;
		}
	}
	va_end(ap);
}

static void table_text(const struct bench_table *t)
{
	int width[t->ncols];
	bool any_help = false;

	for (int c = 0; c < t->ncols; c++) {
		width[c] = strlen(t->cols[c].name);
		for (size_t r = 0; r < t->nrows; r++) {
			const struct cell *cl = &t->cells[r * t->ncols + c];
			int w = cl->null ? 1 : (int)strlen(cl->s);

			if (w > width[c])
				width[c] = w;
		}
		any_help |= t->cols[c].help != NULL;
	}
	printf("\n%s: %s\n", t->name, t->title);
	for (int c = 0; c < t->ncols; c++)
		printf(t->cols[c].kind == BENCH_COL_STR ? "%s%-*s" : "%s%*s",
		       c ? "  " : "", width[c], t->cols[c].name);
	putchar('\n');
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const struct cell *cl = &t->cells[r * t->ncols + c];

			printf(t->cols[c].kind == BENCH_COL_STR ? "%s%-*s" : "%s%*s",
			       c ? "  " : "", width[c], cl->null ? "-" : cl->s);
		}
		putchar('\n');
	}
	if (!any_help)
		return;
	for (int c = 0; c < t->ncols; c++)
		if (t->cols[c].help)
			printf("  %-9s %s\n", t->cols[c].name, t->cols[c].help);
}

static void table_csv(const struct bench_table *t)
{
	printf("# table %s: %s\n", t->name, t->title);
	for (int c = 0; c < t->ncols; c++)
		printf("%s%s", c ? "," : "", t->cols[c].name);
	putchar('\n');
	for (size_t r = 0; r < t->nrows; r++) {
		for (int c = 0; c < t->ncols; c++) {
			const struct cell *cl = &t->cells[r * t->ncols + c];

			printf("%s%s", c ? "," : "", cl->null ? "" : cl->s);
		}
		putchar('\n');
	}
	putchar('\n');
}

static void table_json(const struct bench_table *t)
{
	fputs(json_tables_open ? ",\n    {" : "\n    {", stdout);
	json_tables_open = true;
	fputs("\"name\": ", stdout);
	json_string(t->name);
	fputs(", \"title\": ", stdout);
	json_string(t->title);
	fputs(",\n     \"rows\": [", stdout);
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(r ? ",\n       {" : "\n       {", stdout);
		for (int c = 0; c < t->ncols; c++) {
			const struct cell *cl = &t->cells[r * t->ncols + c];

			if (c)
				fputs(", ", stdout);
			json_string(t->cols[c].name);
			fputs(": ", stdout);
			if (cl->null)
				fputs("null", stdout);
			else if (t->cols[c].kind == BENCH_COL_STR)
				json_string(cl->s);
			else
				fputs(cl->s, stdout);
		}
		putchar('}');
	}
	fputs("]}", stdout);
}

void bench_table_end(struct bench_table *t)
{
	bench_progress_done();
	switch (bench_opts.format) {
	case BENCH_TEXT:
		table_text(t);
		break;
	case BENCH_CSV:
		table_csv(t);
		break;
	case BENCH_JSON:
		table_json(t);
		break;
	}
	fflush(stdout);
	free(t->cells);
	free(t);
}
