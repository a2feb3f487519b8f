/* SPDX-License-Identifier: MIT */
/*
 * Raw daxctl(2).  The number comes from the project's uapi copy; the
 * wrapper keeps the kernel's calling convention (dirfd, path, ...).
 */
#ifndef LIBDAXFILE_SYSCALL_H
#define LIBDAXFILE_SYSCALL_H

#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "uapi/linux/daxctl.h"

static inline long sys_daxctl(int dirfd, const char *path,
				unsigned int flags, unsigned int align)
{
#ifdef __NR_daxctl
	return syscall(__NR_daxctl, dirfd, path, flags, align);
#else
	(void)dirfd;
	(void)path;
	(void)flags;
	(void)align;
	errno = ENOSYS;
	return -1;
#endif
}

#endif /* LIBDAXFILE_SYSCALL_H */
