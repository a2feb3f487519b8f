// SPDX-License-Identifier: MIT
/* The public daxctl() wrappers: thin, errno-setting, like libc's. */
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>

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
	switch (flags & ~DAXCTL_F_NOFOLLOW) {
	case DAXCTL_F_GET:
		return "GET";
	case DAXCTL_F_GET_ALIGN:
		return "GET_ALIGN";
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
	bool enable = flags & DAXCTL_F_STATIC;

	switch (err) {
	case ENOSYS:
		return "the kernel has no daxctl(2); static-dax needs a kernel with the daxctl patches";
	case EOPNOTSUPP:
		return "the file is not DAX (mount the filesystem with -o dax), its filesystem does not support static-dax, or the DAX device is asynchronous (virtio-pmem: cache flushes are not durable there); the kernel log says which";
	case EPERM:
		return enable ? "making a file static needs CAP_LINUX_IMMUTABLE and ownership of the file (or CAP_FOWNER), and the file must not be immutable or append-only" :
			"clearing static-dax needs CAP_LINUX_IMMUTABLE and ownership of the file (or CAP_FOWNER)";
	case EACCES:
	case EBADF:
	case EROFS:
		return "static-dax needs write access to the file";
	case EBUSY:
		return enable ? "the file is an active swapfile or quota file, or (xfs) a pNFS client holds a layout of it" :
			"the file is mapped shared and writable, or a page of it is pinned (io_uring fixed buffers, RDMA); unmap it and drop the pins first";
	case ENOENT:
		return enable ? "the file does not exist, or has no links (unlinked, or O_TMPFILE and not yet linked); link it first" :
			strerror(err);
	case ELOOP:
		return flags & DAXCTL_F_NOFOLLOW ?
			"the path's last component is a symbolic link, which DAXCTL_F_NOFOLLOW refuses to follow" :
			strerror(err);
	case EINVAL:
		return enable ? "the file is not eligible (run `daxfile check` for the reason)" :
			"invalid flags or alignment, or not a regular file";
	default:
		return strerror(err);
	}
}
