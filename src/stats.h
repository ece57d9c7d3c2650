/*
 * stats.h: the statistics printer both flavours share (srcu_stats_print()
 * fills a struct srcu_stats and hands it here).
 */
#ifndef SRCU_STATS_INTERNAL_H
#define SRCU_STATS_INTERNAL_H

#include <stdio.h>

#include <srcu/common.h>
#include "internal.h"

#define srcu_stats_write	SRCU_PRIV(stats_write)

/* One line in the spirit of the kernel's srcu_torture_stats_print(). */
void srcu_stats_write(const struct srcu_stats *st, FILE *out, const char *tag);

#endif /* SRCU_STATS_INTERNAL_H */
