/*
 * usage.c: every macro and kernel name of <srcu.h> used once, compiled
 * (not run) by the header-hygiene test (check.cmake) as C and as C++, for
 * each flavour: the macros must expand to valid code in both languages,
 * not only the headers parse.
 */
#include <srcu.h>
#include <srcu/notifier.h>

DEFINE_SRCU(hygiene_srcu);
DEFINE_STATIC_SRCU(hygiene_static_srcu);
DEFINE_SRCU_FAST(hygiene_fast_srcu);
DEFINE_STATIC_SRCU_FAST(hygiene_static_fast_srcu);
DEFINE_SRCU_FAST_UPDOWN(hygiene_updown_srcu);
DEFINE_STATIC_SRCU_FAST_UPDOWN(hygiene_static_updown_srcu);

static void hygiene_cb(struct rcu_head *rhp)
{
	(void)rhp;
}

struct hygiene_obj {
	int a;
};

static struct hygiene_obj __rcu *hygiene_gp;

/* <srcu/kernel.h>: pointers, the _notrace readers, the helpers. */
static int hygiene_kernel(struct srcu_struct *ssp, struct hygiene_obj *o)
{
	struct srcu_ctr *scp;
	int idx, ret = 0;

	RCU_INIT_POINTER(hygiene_gp, NULL);
	rcu_assign_pointer(hygiene_gp, o);
	idx = srcu_read_lock_notrace(ssp);
	ret += srcu_dereference(hygiene_gp, ssp)->a;
	ret += rcu_dereference(hygiene_gp)->a;
	srcu_read_unlock_notrace(ssp, idx);
	smp_mb__after_srcu_read_unlock();
	smp_mb__after_srcu_read_lock();
	ret += srcu_dereference_check(hygiene_gp, ssp, ret > 0)->a;
	ret += srcu_dereference_notrace(hygiene_gp, ssp)->a;
	scp = srcu_read_lock_fast_notrace(&hygiene_fast_srcu);
	srcu_read_unlock_fast_notrace(&hygiene_fast_srcu, scp);
	scp = srcu_read_lock_fast_updown(&hygiene_updown_srcu);
	srcu_read_unlock_fast_updown(&hygiene_updown_srcu, scp);
	ret += same_state_synchronize_srcu(get_completed_synchronize_srcu(),
					   get_state_synchronize_srcu(ssp));
	return ret + NUM_ACTIVE_SRCU_POLL_OLDSTATE;
}

/* <srcu/notifier.h>. */
SRCU_NOTIFIER_HEAD(hygiene_chain);
SRCU_NOTIFIER_HEAD_STATIC(hygiene_static_chain);

static int hygiene_notifier_fn(struct notifier_block *nb, unsigned long action, void *data)
{
	(void)nb;
	(void)data;
	return action ? NOTIFY_OK : notifier_from_errno(-1);
}

static int hygiene_notifier(void)
{
	struct notifier_block nb = { hygiene_notifier_fn, NULL, 1 };
	struct srcu_notifier_head nh;
	int ret = 0;

	ret |= srcu_init_notifier_head(&nh);
	ret |= srcu_notifier_chain_register(&nh, &nb);
	ret |= srcu_notifier_call_chain(&nh, 1, NULL) & NOTIFY_STOP_MASK;
	ret |= notifier_to_errno(srcu_notifier_call_chain(&hygiene_chain, 0, &nh));
	ret |= srcu_notifier_chain_unregister(&nh, &nb);
	ret |= srcu_cleanup_notifier_head(&nh);
	ret |= srcu_cleanup_notifier_head(&hygiene_static_chain);
	return ret + (NOTIFY_DONE | NOTIFY_BAD | NOTIFY_STOP);
}

#ifndef __cplusplus
/* <srcu/guard.h> (C only). */
static int hygiene_guards(struct srcu_struct *ssp)
{
	int ret = 0;

	scoped_guard(srcu, ssp)
		ret++;
	scoped_guard(srcu_fast, &hygiene_fast_srcu) {
		ret++;
	}
	scoped_guard(srcu_fast_notrace, &hygiene_fast_srcu)
		ret++;
	scoped_guard(srcu_fast_updown, &hygiene_updown_srcu)
		ret++;
	{
		guard(srcu_fast)(&hygiene_static_fast_srcu);
		guard(srcu)(ssp);
		ret++;
	}
	return ret;
}
#endif

#ifdef __cplusplus
extern "C"
#endif
int hygiene_use(struct srcu_struct *ssp, struct rcu_head *rhp);

int hygiene_use(struct srcu_struct *ssp, struct rcu_head *rhp)
{
	struct srcu_ctr *scp;
	struct srcu_stats st;
	unsigned long cookie;
	int idx, ret = 0;

	ret |= init_srcu_struct(ssp);
	ret |= init_srcu_struct_fast(ssp);
	ret |= init_srcu_struct_fast_updown(ssp);

	idx = srcu_read_lock(ssp);
	ret |= srcu_read_lock_held(ssp);
	srcu_read_unlock(ssp, idx);
	idx = srcu_read_lock_nmisafe(ssp);
	srcu_read_unlock_nmisafe(ssp, idx);
	scp = srcu_read_lock_fast(&hygiene_fast_srcu);
	srcu_read_unlock_fast(&hygiene_fast_srcu, scp);
	idx = srcu_down_read(ssp);
	srcu_up_read(ssp, idx);
	scp = srcu_down_read_fast(&hygiene_updown_srcu);
	srcu_up_read_fast(&hygiene_updown_srcu, scp);

	synchronize_srcu(ssp);
	synchronize_srcu_expedited(&hygiene_srcu);
	call_srcu(&hygiene_static_srcu, rhp, hygiene_cb);
	call_srcu_expedited(&hygiene_static_fast_srcu, rhp, hygiene_cb);
	srcu_barrier(&hygiene_static_updown_srcu);
	srcu_expedite_current(ssp);
	cookie = get_state_synchronize_srcu(ssp);
	cookie = start_poll_synchronize_srcu(ssp) + cookie;
	ret |= poll_state_synchronize_srcu(ssp, cookie);
	ret |= poll_state_synchronize_srcu(ssp, SRCU_GET_STATE_COMPLETED);
	cookie = srcu_batches_completed(ssp);

	ret |= srcu_param_set("hz", srcu_param_get("hz"));
	ret |= srcu_version()[0] == SRCU_VERSION_STRING[0];
	ret |= SRCU_VERSION_MAJOR + SRCU_VERSION_MINOR + SRCU_VERSION_PATCH;
	ret |= srcu_get_stats(ssp, &st);
	srcu_stats_print(ssp, stderr, "hygiene");
	ret |= (int)(st.reader_flavours & (SRCU_READ_FLAVOR_NORMAL | SRCU_READ_FLAVOR_NMI |
					   SRCU_READ_FLAVOR_FAST |
					   SRCU_READ_FLAVOR_FAST_UPDOWN));
	ret |= hygiene_kernel(ssp, NULL);
	ret |= hygiene_notifier();
#ifndef __cplusplus
	ret |= hygiene_guards(ssp);
#endif
	ret |= cleanup_srcu_struct(ssp);
	return ret + (int)(cookie & 1);
}
