/*
 * define.c: defines the srcu_struct that use.c declares, in whichever
 * flavour the flavour-choice test compiles it as (tests/flavours).
 */
#include <srcu.h>

DEFINE_SRCU(shared_srcu);
