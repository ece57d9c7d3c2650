/*
 * cpu.h: CPU facts for Tree SRCU: how many CPUs to size for, which CPU a
 * thread runs on (the readers' slow path, and virtual CPUs for tests), and
 * membarrier, which fast readers rely on.  Used by srcutree.c.
 */
#ifndef SRCU_CPU_H
#define SRCU_CPU_H

#include <stdbool.h>

#include "internal.h"

#define srcu_nr_cpus_default	SRCU_PRIV(nr_cpus_default)
#define srcu_membarrier		SRCU_PRIV(membarrier)
#define srcu_membarrier_ok	SRCU_PRIV(membarrier_ok)

/* The machine's CPU count (configured, not just online). */
unsigned int srcu_nr_cpus_default(void);

/*
 * Force a full memory barrier on every thread of this process that is
 * running now (MEMBARRIER_CMD_PRIVATE_EXPEDITED), or, when membarrier is
 * unavailable, a local full barrier (fast readers then fence themselves:
 * srcu_tree_fast_fence is set).
 */
void srcu_membarrier(void);

/* Is membarrier in use (false: fast readers use fences)? */
bool srcu_membarrier_ok(void);

#endif /* SRCU_CPU_H */
