/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * daxctl(2): make the block map of a DAX file immutable ("static-dax").
 * See Documentation/filesystems/daxfile.rst.
 */
#ifndef _UAPI_LINUX_DAXCTL_H
#define _UAPI_LINUX_DAXCTL_H

/* Flags for daxctl(2); the values are the 2017 RFC's. */
#define DAXCTL_F_GET		(1U << 0)	/* report the state, change nothing */
#define DAXCTL_F_DAX		(1U << 1)	/* reserved: rejected with EINVAL */
#define DAXCTL_F_STATIC		(1U << 2)	/* static-dax: block map immutable */
#define DAXCTL_F_NOFOLLOW	(1U << 3)	/* final symlink: fail with ELOOP */
#define DAXCTL_F_GET_ALIGN	(1U << 4)	/* report the alignment, in bytes */

#define DAXCTL_VALID_FLAGS	(DAXCTL_F_GET | DAXCTL_F_STATIC | \
				 DAXCTL_F_NOFOLLOW | DAXCTL_F_GET_ALIGN)

/*
 * align is 0 (PAGE_SIZE) or a power of two from PAGE_SIZE up to the PMD
 * size: fsdax maps nothing larger, so a larger value would promise a page
 * size no fault can give, and fails with EINVAL.  This is x86_64's PMD size.
 */
#define DAXCTL_ALIGN_MAX	(1U << 21)

/*
 * The syscall number, for userspace built against headers that lack it.
 * x86_64 and the architectures generated from scripts/syscall.tbl share
 * it; it sits well above the numbers upstream has handed out so far.
 */
#ifndef __NR_daxctl
#if (defined(__x86_64__) && !defined(__ILP32__)) || defined(__aarch64__) || \
	defined(__riscv) || defined(__loongarch__)
#define __NR_daxctl		500
#endif
#endif

#endif /* _UAPI_LINUX_DAXCTL_H */
