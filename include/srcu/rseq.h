/*
 * srcu/rseq.h: a per-CPU counter increment with no locked instruction: a
 * restartable sequence (rseq) on the rseq area that glibc registers for
 * every thread.  Used by the Tree flavour's inline readers (<srcu/tree.h>);
 * ABI, not API.  This is the one file that knows an architecture's rseq
 * encoding: everything else only asks SRCU_HAVE_RSEQ.
 *
 * SRCU_HAVE_RSEQ_CPU is 1 where the rseq area's cpu_id can be read (glibc
 * >= 2.35 headers, x86-64 or aarch64).  SRCU_HAVE_RSEQ is 1 where the
 * increment exists too: x86-64 and little-endian aarch64, and not under
 * ThreadSanitizer, which cannot see inside the assembly, nor when the user
 * defines SRCU_NO_RSEQ; elsewhere callers increment atomically.  The
 * aarch64 sequence has run under qemu-user only (tests/unit/test_read.c,
 * test_rseq_sequence: the commit and the mismatch path, on an area no
 * kernel watches, as qemu-user has no rseq); the kernel's aborts of it
 * have not been seen on arm64 hardware.
 *
 * The sequence (srcu_rseq_inc()): publish the descriptor of the sequence
 * in the area's rseq_cs field, then, inside the sequence, check that the
 * thread still runs on the CPU the caller chose the counter for, and
 * commit with one non-locked store of the incremented count.  If the
 * thread is preempted, migrated or signalled between the start and the
 * commit, the kernel moves it to the abort handler instead, and the caller
 * increments atomically elsewhere.  So every rseq increment of CPU n's
 * counter runs on CPU n, one at a time: a plain add is enough.  Only
 * threads on CPU n may ever add to those counters without a lock prefix;
 * <srcu/tree.h> keeps the atomic increments on separate counters.
 */
#ifndef SRCU_RSEQ_H
#define SRCU_RSEQ_H

#include <stdbool.h>
#include <stdint.h>

#include <srcu/arch.h>

/* glibc >= 2.35 registers an rseq area for every thread and says where. */
#if defined(__linux__) && defined(__GLIBC__) && defined(__has_include) && \
	(defined(__x86_64__) || defined(__aarch64__))
#if __has_include(<sys/rseq.h>)
#include <sys/rseq.h>
#if defined(RSEQ_SIG)
#define SRCU_HAVE_RSEQ_CPU	1
#endif
#endif
#endif
#ifndef SRCU_HAVE_RSEQ_CPU
#define SRCU_HAVE_RSEQ_CPU	0
#endif

#if SRCU_HAVE_RSEQ_CPU && (defined(__x86_64__) || defined(__AARCH64EL__)) && \
	!defined(SRCU_TSAN) && !defined(SRCU_NO_RSEQ)
#define SRCU_HAVE_RSEQ	1
#else
#define SRCU_HAVE_RSEQ	0
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Field offsets in struct rseq (the kernel's ABI, fixed). */
#define SRCU_RSEQ_CPU_ID	4	/* u32 cpu_id: this thread's CPU, or negative */
#define SRCU_RSEQ_CS		8	/* u64 rseq_cs: the active sequence's descriptor */

#if SRCU_HAVE_RSEQ_CPU

/*
 * The CPU this thread runs on, from the rseq area (one TLS load).  A thread
 * whose rseq is not registered reads RSEQ_CPU_ID_UNINITIALIZED or
 * _REGISTRATION_FAILED, which are negative: as unsigned, larger than any
 * CPU count, so callers' range checks send it to the atomic path.
 */
static inline unsigned int srcu_rseq_cpu(void)
{
	const char *area = (const char *)__builtin_thread_pointer() + __rseq_offset;

	return __atomic_load_n((const uint32_t *)(area + SRCU_RSEQ_CPU_ID),
			       __ATOMIC_RELAXED);
}
#endif /* SRCU_HAVE_RSEQ_CPU */

#if SRCU_HAVE_RSEQ

/*
 * The descriptor, in both encodings' asm: label 1 starts the sequence, 2
 * follows the commit, 3 is the descriptor, 4 the abort handler.
 */
#define SRCU_RSEQ_DESCRIPTOR						\
	".pushsection __rseq_cs, \"aw\"\n\t"				\
	".balign 32\n"							\
	"3:\n\t"								\
	".long 0, 0\n\t"							\
	".quad 1f, (2f - 1f), 4f\n\t"					\
	".popsection\n\t"

/* The constants both encodings' asm takes as operands. */
#define SRCU_RSEQ_CONSTANTS						\
	[sig] "i" (RSEQ_SIG), [cs] "i" (SRCU_RSEQ_CS),			\
	[cpu_id] "i" (SRCU_RSEQ_CPU_ID)

/*
 * Add one to *ctr, a counter that only threads running on CPU cpu add to
 * without a lock prefix.  Returns false, having added nothing, when the
 * thread no longer runs on cpu or the sequence was aborted (preemption,
 * migration, signal): the caller then counts atomically on its other
 * counters.  The caller must have checked that cpu is a real CPU (not a
 * negative cpu_id).
 *
 * Both encodings share their shape.  The descriptor (version 0, flags 0,
 * start, length, abort) lives in the __rseq_cs section, 32-byte aligned as
 * the kernel requires.  The abort handler follows the 4-byte signature
 * glibc registered (RSEQ_SIG), which the kernel checks before jumping
 * there.  rseq_cs is stored immediately before the start label, so there
 * is no instruction between the two where a signal handler's own sequence
 * could replace it unnoticed; it is cleared again after the commit and on
 * the mismatch path, so that no thread keeps pointing at a descriptor of
 * an object that dlclose() may unmap.  The "memory" clobber makes the asm
 * a compiler barrier, as the atomic increment it replaces is.
 */
#if defined(__x86_64__)
/*
 * x86-64: the commit is one addq.  The abort handler lives in the
 * __rseq_failure section, out of the straight path; the signature is
 * encoded as the operand of a ud1 so disassemblers stay in step.
 */
static inline bool srcu_rseq_inc(unsigned long *ctr, unsigned int cpu)
{
	__asm__ goto(
		SRCU_RSEQ_DESCRIPTOR
		".pushsection __rseq_failure, \"ax\"\n\t"
		".byte 0x0f, 0xb9, 0x3d\n\t"
		".long %c[sig]\n"
		"4:\n\t"
		"movq $0, %%fs:%c[cs](%[area])\n\t"
		"jmp %l[aborted]\n\t"
		".popsection\n\t"
		"leaq 3b(%%rip), %%rax\n\t"
		"movq %%rax, %%fs:%c[cs](%[area])\n"
		"1:\n\t"
		"cmpl %[cpu], %%fs:%c[cpu_id](%[area])\n\t"
		"jne 4b\n\t"
		"addq $1, (%[ctr])\n"
		"2:\n\t"
		"movq $0, %%fs:%c[cs](%[area])\n\t"
		:
		: [area] "r" (__rseq_offset), [cpu] "r" (cpu), [ctr] "r" (ctr),
		  SRCU_RSEQ_CONSTANTS
		: "rax", "cc", "memory"
		: aborted);
	return true;
aborted:
	return false;
}
#else
/*
 * aarch64 (little-endian): load, add, and the commit, a plain str; the
 * kernel aborts the sequence if it interrupts the thread anywhere from
 * the start label until that store has executed.  The abort handler sits
 * after the sequence, jumped over on the way out: a conditional branch
 * reaches only 1 MiB, too short to trust for another section.  The signature is
 * emitted as an instruction word (RSEQ_SIG is brk #0x45e0 there: a thread
 * that ran into it would trap).  x9 is the scratch register.
 */
static inline bool srcu_rseq_inc(unsigned long *ctr, unsigned int cpu)
{
	char *area = (char *)__builtin_thread_pointer() + __rseq_offset;

	__asm__ goto(
		SRCU_RSEQ_DESCRIPTOR
		"adrp x9, 3b\n\t"
		"add x9, x9, :lo12:3b\n\t"
		"str x9, [%[area], #%c[cs]]\n"
		"1:\n\t"
		"ldr w9, [%[area], #%c[cpu_id]]\n\t"
		"cmp w9, %w[cpu]\n\t"
		"b.ne 4f\n\t"
		"ldr x9, [%[ctr]]\n\t"
		"add x9, x9, #1\n\t"
		"str x9, [%[ctr]]\n"
		"2:\n\t"
		"str xzr, [%[area], #%c[cs]]\n\t"
		"b 5f\n\t"
		".inst %c[sig]\n"
		"4:\n\t"
		"str xzr, [%[area], #%c[cs]]\n\t"
		"b %l[aborted]\n"
		"5:\n\t"
		:
		: [area] "r" (area), [cpu] "r" (cpu), [ctr] "r" (ctr),
		  SRCU_RSEQ_CONSTANTS
		: "x9", "cc", "memory"
		: aborted);
	return true;
aborted:
	return false;
}
#endif
#endif /* SRCU_HAVE_RSEQ */

#ifdef __cplusplus
}
#endif

#endif /* SRCU_RSEQ_H */
