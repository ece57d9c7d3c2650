/*
 * stats.c: the one-line statistics report both flavours print
 * (srcu_stats_print() fills a struct srcu_stats and calls
 * srcu_stats_write()), in the spirit of the kernel's
 * srcu_torture_stats_print().  Format: the tag, then space-separated
 * key=value fields, always the same keys in the same order, so a script can
 * split on blanks and '='.
 */
#include <stdio.h>

#include "stats.h"

void srcu_stats_write(const struct srcu_stats *st, FILE *out, const char *tag)
{
	fprintf(out,
		"%s flavour=%s gp_seq=%lu needed=%lu needed_exp=%lu size=%s(%d) "
		"cpus=%lu nodes=%lu gps=%lu/%lu promotions=%lu transfers=%lu "
		"cbs=%lu/%lu readers=(%ld,%ld) flavours=0x%x membarrier=%s\n",
		tag, st->flavour ? st->flavour : SRCU_FLAVOUR_STR,
		st->gp_seq, st->gp_seq_needed, st->gp_seq_needed_exp,
		st->size_state_name ? st->size_state_name : "?", st->size_state,
		st->nr_cpus, st->nr_nodes, st->gp_normal, st->gp_expedited,
		st->promotions, st->transfers, st->cbs_queued, st->cbs_invoked,
		st->readers[0], st->readers[1], st->reader_flavours,
		st->membarrier ? "yes" : "no");
}
