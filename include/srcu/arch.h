/*
 * srcu/arch.h: the read-side full barriers the inline readers need.  ABI
 * used by the inline fast paths (<srcu/tree.h>, <srcu/tiny.h>), not API.
 *
 * Atomics are C11 (__atomic builtins), not liburcu's uatomic: ThreadSanitizer
 * understands them, and they compile to the same instructions.  See
 * doc/design.md, "Atomics".
 */
#ifndef SRCU_ARCH_H
#define SRCU_ARCH_H

#include <stdint.h>
#include <urcu/compiler.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SRCU_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define SRCU_TSAN 1
#endif

/*
 * A full barrier after / before an atomic read-modify-write.  x86's locked
 * instructions are already full barriers, so there a compiler barrier
 * suffices (the kernel's smp_mb__after_atomic()).  TSan does not know that,
 * so a TSan build always uses the fence.
 */
#if (defined(__x86_64__) || defined(__i386__)) && !defined(SRCU_TSAN)
#define srcu_smp_mb__after_atomic()	__atomic_signal_fence(__ATOMIC_SEQ_CST)
#else
#define srcu_smp_mb__after_atomic()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif
#define srcu_smp_mb__before_atomic()	srcu_smp_mb__after_atomic()

/*
 * A full barrier that no locked instruction provides: after or before a
 * counter update by restartable sequence (<srcu/rseq.h>), a plain store.
 * On x86-64 a locked add to the stack is the cheapest full barrier (the
 * kernel's choice too; mfence also orders non-temporal accesses, which
 * readers do not need).  The red zone below the stack pointer is ours to
 * touch, and adding zero changes nothing there.
 */
#if defined(__x86_64__) && !defined(SRCU_TSAN)
#define srcu_smp_mb()	__asm__ __volatile__("lock addl $0, -4(%%rsp)" ::: "memory", "cc")
#else
#define srcu_smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

#ifdef __cplusplus
}
#endif

#endif /* SRCU_ARCH_H */
