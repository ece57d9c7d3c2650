/*
 * srcu/map.h: the kernel's names, mapped onto the prefixed names of the
 * flavour chosen by <srcu.h> (liburcu's map-header idea).  <srcu.h> defines
 * SRCU_FLAVOUR_NAME(x) and SRCU_FLAVOUR_MACRO(x) before including this.
 *
 * Readers map to the inline fast paths unless SRCU_NO_INLINE is defined,
 * in which case they map to the exported out-of-line twins.  So they do
 * with SRCU_DEBUG, which a debug build of the library adds to its users'
 * compile flags: only the twins carry the debug checks.
 */
#ifndef SRCU_MAP_H
#define SRCU_MAP_H

#if defined(SRCU_NO_INLINE) || defined(SRCU_DEBUG)
#define SRCU_READER_NAME(x)		SRCU_FLAVOUR_NAME(x)
#else
#define SRCU_READER_NAME(x)		SRCU_FLAVOUR_NAME(x##_inl)
#endif

/* Types. */
#define srcu_struct			SRCU_FLAVOUR_NAME(struct)
#define srcu_ctr			SRCU_FLAVOUR_NAME(ctr)

/* Definitions. */
#define DEFINE_SRCU(name)		SRCU_FLAVOUR_MACRO(DEFINE)(name, 0, )
#define DEFINE_STATIC_SRCU(name)	SRCU_FLAVOUR_MACRO(DEFINE)(name, 0, static)
#define DEFINE_SRCU_FAST(name)		SRCU_FLAVOUR_MACRO(DEFINE)(name, SRCU_READ_FLAVOR_FAST, )
#define DEFINE_STATIC_SRCU_FAST(name)	SRCU_FLAVOUR_MACRO(DEFINE)(name, SRCU_READ_FLAVOR_FAST, static)
#define DEFINE_SRCU_FAST_UPDOWN(name)	SRCU_FLAVOUR_MACRO(DEFINE)(name, SRCU_READ_FLAVOR_FAST_UPDOWN, )
#define DEFINE_STATIC_SRCU_FAST_UPDOWN(name) \
	SRCU_FLAVOUR_MACRO(DEFINE)(name, SRCU_READ_FLAVOR_FAST_UPDOWN, static)
/* Ours: extern declaration with a link-time flavour check (srcu/common.h). */
#define DECLARE_SRCU(name)		SRCU_FLAVOUR_MACRO(DECLARE)(name)

/* Set-up and tear-down. */
#define init_srcu_struct		SRCU_FLAVOUR_NAME(init)
#define init_srcu_struct_fast		SRCU_FLAVOUR_NAME(init_fast)
#define init_srcu_struct_fast_updown	SRCU_FLAVOUR_NAME(init_fast_updown)
#define cleanup_srcu_struct		SRCU_FLAVOUR_NAME(cleanup)

/* Readers. */
#define srcu_read_lock			SRCU_READER_NAME(read_lock)
#define srcu_read_unlock		SRCU_READER_NAME(read_unlock)
#define srcu_read_lock_nmisafe		SRCU_READER_NAME(read_lock_nmisafe)
#define srcu_read_unlock_nmisafe	SRCU_READER_NAME(read_unlock_nmisafe)
#define srcu_read_lock_fast		SRCU_READER_NAME(read_lock_fast)
#define srcu_read_unlock_fast		SRCU_READER_NAME(read_unlock_fast)
#define srcu_down_read			SRCU_READER_NAME(down_read)
#define srcu_up_read			SRCU_READER_NAME(up_read)
#define srcu_down_read_fast		SRCU_READER_NAME(down_read_fast)
#define srcu_up_read_fast		SRCU_READER_NAME(up_read_fast)
#define srcu_read_lock_held		SRCU_FLAVOUR_NAME(read_lock_held)

/* Updaters. */
#define synchronize_srcu		SRCU_FLAVOUR_NAME(synchronize)
#define synchronize_srcu_expedited	SRCU_FLAVOUR_NAME(synchronize_expedited)
#define call_srcu			SRCU_FLAVOUR_NAME(call)
#define call_srcu_expedited		SRCU_FLAVOUR_NAME(call_expedited)
#define srcu_barrier			SRCU_FLAVOUR_NAME(barrier)
#define srcu_expedite_current		SRCU_FLAVOUR_NAME(expedite_current)
#define get_state_synchronize_srcu	SRCU_FLAVOUR_NAME(get_state_synchronize)
#define start_poll_synchronize_srcu	SRCU_FLAVOUR_NAME(start_poll_synchronize)
#define poll_state_synchronize_srcu	SRCU_FLAVOUR_NAME(poll_state_synchronize)
#define srcu_batches_completed		SRCU_FLAVOUR_NAME(batches_completed)

/* Library-level calls (ours). */
#define srcu_param_set			SRCU_FLAVOUR_NAME(param_set)
#define srcu_param_get			SRCU_FLAVOUR_NAME(param_get)
#define srcu_get_stats			SRCU_FLAVOUR_NAME(get_stats)
#define srcu_stats_print		SRCU_FLAVOUR_NAME(stats_print)

#endif /* SRCU_MAP_H */
