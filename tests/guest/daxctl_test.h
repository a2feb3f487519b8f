/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the daxctl(2) kselftests share: the raw syscall, errno-returning
 * wrappers that are compact to assert on, and files with written blocks,
 * the only kind daxctl(STATIC) accepts.
 */
#ifndef DAXCTL_TEST_H
#define DAXCTL_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uapi/linux/daxctl.h"
#include "mounts.h"

#define SZ_4K		4096UL
#define SZ_2M		(2UL << 20)

/* -errno of a failed call returning < 0, or 0. */
#define ERR(expr)	((expr) < 0 ? -errno : 0)

static inline long daxctl(int dfd, const char *path, unsigned int flags,
			  unsigned int align)
{
	return syscall(__NR_daxctl, dfd, path, flags, align);
}

/* -errno, or the non-negative result. */
static inline long daxctl_err(int dfd, const char *path, unsigned int flags,
			      unsigned int align)
{
	long ret = daxctl(dfd, path, flags, align);

	return ret < 0 ? -errno : ret;
}

/* Fill [0, @size) of @fd with @byte, through write(2), and fsync. */
static inline int fill_written(int fd, size_t size, int byte)
{
	char buf[1 << 16];
	size_t off, n;

	memset(buf, byte, sizeof(buf));
	if (fallocate(fd, 0, 0, size))
		return -1;
	for (off = 0; off < size; off += n) {
		n = size - off < sizeof(buf) ? size - off : sizeof(buf);
		if (pwrite(fd, buf, n, off) != (ssize_t)n)
			return -1;
	}
	return fsync(fd);
}

/* Create @path with @size bytes of written (zeroed) blocks; an O_RDWR fd. */
static inline int make_written(const char *path, size_t size)
{
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);

	if (fd >= 0 && fill_written(fd, size, 0)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* make test sets DAXFILE_REQUIRE_FEATURES=1 for the setups it makes. */
static inline bool features_required(void)
{
	const char *v = getenv("DAXFILE_REQUIRE_FEATURES");

	return v && *v && strcmp(v, "0");
}

/*
 * The setup lacks what a case needs: skip, unless the setup exists for it.
 * Expands inside a kselftest_harness.h test.
 */
#define SKIP_WITHOUT(reason) do {					\
	ASSERT_FALSE(features_required())				\
		TH_LOG("required here, but %s", reason);		\
	SKIP(return, reason);						\
} while (0)

static inline bool fs_is_xfs(void)
{
	struct statfs sfs;

	return statfs(MNT, &sfs) == 0 && sfs.f_type == XFS_SUPER_MAGIC;
}

/* /dev/kmsg, positioned after everything logged so far. */
static inline int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether a record logged since kmsg_open() contains @a and @b. */
static inline bool kmsg_says(int fd, const char *a, const char *b)
{
	char rec[2048];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten: go on */
			continue;
		if (n <= 0)
			return false;
		rec[n] = '\0';
		if (strstr(rec, a) && strstr(rec, b))
			return true;
	}
}

#ifndef FS_IOC_FIEMAP		/* linux/fs.h has it; sys/mount.h clashes */
#define FS_IOC_FIEMAP	_IOWR('f', 11, struct fiemap)
#endif

/* Where @fd's first extent starts on the device (FIEMAP, synced), or -1. */
static inline long long first_block(int fd)
{
	struct {
		struct fiemap map;
		struct fiemap_extent ext;
	} fm = { .map = { .fm_length = FIEMAP_MAX_OFFSET,
			  .fm_extent_count = 1,
			  .fm_flags = FIEMAP_FLAG_SYNC } };

	if (ioctl(fd, FS_IOC_FIEMAP, &fm) || fm.map.fm_mapped_extents < 1)
		return -1;
	return fm.map.fm_extents[0].fe_physical;
}

#endif /* DAXCTL_TEST_H */
