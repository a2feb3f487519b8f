// SPDX-License-Identifier: MIT
/* The public daxctl() wrappers: thin, errno-setting, like libc's. */
#include <fcntl.h>

#include "daxfile.h"
#include "internal.h"
#include "syscall.h"

static int daxctl_result(long ret, unsigned int flags)
{
	if (ret < 0) {
		daxfile__err(errno, "daxctl(%s): %s",
			     daxfile__flags_name(flags),
			     daxfile__daxctl_reason(errno, flags));
		return -1;
	}
	return (int)ret;
}

int daxctl(const char *path, unsigned int flags, unsigned int align)
{
	return daxctl_result(sys_daxctl(AT_FDCWD, path, flags, align),
			     flags);
}

int daxctl_fd(int fd, unsigned int flags, unsigned int align)
{
	return daxctl_result(sys_daxctl(fd, NULL, flags, align), flags);
}

const char *daxfile__flags_name(unsigned int flags)
{
	switch (flags) {
	case DAXCTL_F_GET:
		return "GET";
	case DAXCTL_F_STATIC:
		return "STATIC";
	case 0:
		return "disable";
	default:
		return "bad flags";
	}
}

/* What each errno of daxctl(2) means, in the words of its man page. */
const char *daxfile__daxctl_reason(int err, unsigned int flags)
{
	switch (err) {
	case ENOSYS:
		return "the kernel has no daxctl(2); static-dax needs a kernel with the daxctl patches";
	case EOPNOTSUPP:
		return "the file is not DAX (mount the filesystem with -o dax) or the filesystem does not support static-dax";
	case EPERM:
		return "changing static-dax needs CAP_LINUX_IMMUTABLE, and the file must not be immutable or append-only";
	case EACCES:
	case EBADF:
	case EROFS:
		return "static-dax needs write access to the file";
	case EBUSY:
		return flags ? "the file is an active swapfile" :
			"the file is mapped shared and writable, or a page of it is pinned (io_uring fixed buffers, RDMA, VFIO); unmap it and drop the pins first";
	case EINVAL:
		return "the file is not eligible (run `daxfile check` for the reason)";
	default:
		return strerror(err);
	}
}
