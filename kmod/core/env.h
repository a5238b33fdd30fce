/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few primitives the counting core needs, from the kernel or, for the
 * host unit tests, from libc.  Nothing else in core/ knows where it runs.
 */
#ifndef _CVMSTAT_CORE_ENV_H
#define _CVMSTAT_CORE_ENV_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/compiler.h>
#include <linux/string.h>
#include <linux/stddef.h>
#include <asm/barrier.h>
#include <linux/build_bug.h>
#define cvm_wmb()	smp_wmb()
#define cvm_rmb()	smp_rmb()
#define BUILD_BUG_ON_CORE(cond)	BUILD_BUG_ON(cond)
#define cvm_always_inline	__always_inline
#else
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#ifndef likely
#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)
#endif
#define READ_ONCE(x)	(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define cvm_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#define cvm_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define BUILD_BUG_ON_CORE(cond)	_Static_assert(!(cond), #cond)
#define cvm_always_inline	inline __attribute__((__always_inline__))
#endif

#endif /* _CVMSTAT_CORE_ENV_H */
