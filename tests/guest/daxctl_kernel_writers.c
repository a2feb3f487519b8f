// SPDX-License-Identifier: GPL-2.0
/*
 * Description: files the kernel itself writes, or that the filesystem
 * would copy on every write, never become static.
 *  - ext4 quota files: an active old-style quota file (usrquota, quotaon)
 *    is written by the kernel through its own block mapping, so enabling
 *    it is EBUSY, as for an active swapfile; and quotaon of a static file
 *    is ETXTBSY.  Needs CONFIG_QUOTA.  The test writes the empty quota
 *    file itself: quotacheck can't scan ext4 with bigalloc, which is what
 *    vm/run makes.
 *  - xfs's always_cow debug knob (/sys/fs/xfs/debug/always_cow, set before
 *    mount, CONFIG_XFS_DEBUG: the debug kernel) makes every write move
 *    blocks, so enabling any file on such a mount is EINVAL.  A file made
 *    static before keeps its state on disk into such a mount, and is
 *    written in place there: its blocks stay put.
 * Each case remounts /mnt/pmem and puts it back as it was.  On the kernels
 * kernel/build.sh makes (DAXFILE_KERNEL test or debug), whose config has
 * what a case needs, a missing piece fails the case instead of skipping it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/quota.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "daxctl_test.h"

#ifndef QFMT_VFS_V0
#define QFMT_VFS_V0	2
#endif

#define QUOTA_FILE	MNT "/aquota.user"
#define ALWAYS_COW	"/sys/fs/xfs/debug/always_cow"
#define FILE_SIZE	(4UL << 20)


/* Whether DAXFILE_KERNEL names a flavour of kernel/build.sh (or @flavour). */
static bool our_kernel(const char *flavour)
{
	const char *k = getenv("DAXFILE_KERNEL");

	if (!k)
		return false;
	if (flavour)
		return !strcmp(k, flavour);
	return !strcmp(k, "test") || !strcmp(k, "debug");
}

/* What a case needs is missing: skip, unless this setup must have it. */
#define SKIP_WITHOUT_IF(must, reason) do {					\
	ASSERT_FALSE(features_required() || (must))			\
		TH_LOG("required here, but %s", reason);		\
	SKIP(return, reason);						\
} while (0)


/* The options vm/run mounted MNT with. */
static const char *base_options(void)
{
	const char *o = getenv("DAXFILE_MOUNT_OPTIONS");

	return o && *o ? o : "dax";
}

/* Mount MNT again with the base options plus @extra; -errno or 0. */
static int remount(const char *dev, const char *type, const char *extra)
{
	char opts[512];

	snprintf(opts, sizeof(opts), "%s%s%s", base_options(),
		 extra ? "," : "", extra ? extra : "");
	if (umount(MNT))
		return -errno;
	if (mount(dev, MNT, type, 0, opts)) {
		int err = -errno;

		/* Leave MNT mounted as it was for whatever runs next. */
		mount(dev, MNT, type, 0, base_options());
		return err;
	}
	return 0;
}

static int write_sysfs(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/*
 * An empty vfsv0 user quota file, as quotacheck -c would make it: the
 * header (magic, version 0), the info block (grace times, flags, blocks
 * in use, free lists) and an empty tree root at block 1 of 1 KiB blocks,
 * padded with zeros to a whole page.  All values are little-endian.
 */
static int write_quota_file(const char *path)
{
	uint32_t hdr[8] = {
		0xd9c01f11,	/* dqh_magic, USRQUOTA */
		0,		/* dqh_version: vfsv0 */
		7 * 86400,	/* dqi_bgrace */
		7 * 86400,	/* dqi_igrace */
		0,		/* dqi_flags */
		2,		/* dqi_blocks: header and tree root */
		0,		/* dqi_free_blk */
		0,		/* dqi_free_entry */
	};
	static char page[SZ_4K];
	int fd, ret = -1;

	if (*(const char *)&(uint16_t){ 1 } != 1)
		return -1;	/* the layout above is little-endian */
	memcpy(page, hdr, sizeof(hdr));
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	if (fd < 0)
		return -1;
	if (pwrite(fd, page, sizeof(page), 0) == (ssize_t)sizeof(page) &&
	    !fsync(fd))
		ret = 0;
	close(fd);
	return ret;
}

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- ext4 quota files ---- */

FIXTURE(quota) {
	char dev[256];
	char type[64];
	bool remounted;
};

static int quota_on(const char *dev)
{
	return ERR(quotactl(QCMD(Q_QUOTAON, USRQUOTA), dev, QFMT_VFS_V0,
			    (caddr_t)QUOTA_FILE));
}

static int quota_off(const char *dev)
{
	return ERR(quotactl(QCMD(Q_QUOTAOFF, USRQUOTA), dev, 0, NULL));
}

FIXTURE_SETUP(quota)
{
	int fd, ret;

	self->remounted = false;
	if (!mount_source(self->dev, sizeof(self->dev), self->type,
			  sizeof(self->type)))
		SKIP(return, "nothing mounted on " MNT);
	if (strcmp(self->type, "ext4"))
		SKIP(return, "ext4 quota files; this is %s", self->type);
	if (access("/proc/sys/fs/quota", F_OK))
		SKIP_WITHOUT_IF(our_kernel(NULL), "kernel without CONFIG_QUOTA");
	fd = open(MNT, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	ret = daxctl(fd, NULL, DAXCTL_F_GET, 0);
	close(fd);
	if (ret < 0 && errno == ENOSYS)
		SKIP(return, "kernel without daxctl()");

	ret = remount(self->dev, self->type, "usrquota");
	ASSERT_EQ(0, ret) TH_LOG("mount -o %s,usrquota: %s", base_options(),
				 strerror(-ret));
	self->remounted = true;
	/* Old-style, written by us, not the kernel: a page of written blocks. */
	ASSERT_EQ(0, write_quota_file(QUOTA_FILE));
}

FIXTURE_TEARDOWN(quota)
{
	if (!self->remounted)
		return;
	quota_off(self->dev);
	daxctl(AT_FDCWD, QUOTA_FILE, 0, 0);
	unlink(QUOTA_FILE);
	remount(self->dev, self->type, NULL);
}

/*
 * The kernel writes an active quota file itself: EBUSY, like swap.  ext4
 * also marks it immutable while quota is on, so only a descriptor opened
 * for writing before quotaon reaches that check; by path, write
 * permission is refused first (EPERM), which refuses it too.
 */
TEST_F(quota, active_quota_file_is_ebusy)
{
	long ret;
	int fd;

	fd = open(QUOTA_FILE, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, quota_on(self->dev));
	EXPECT_EQ(-EBUSY, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	ret = daxctl_err(AT_FDCWD, QUOTA_FILE, DAXCTL_F_STATIC, 0);
	EXPECT_TRUE(ret == -EBUSY || ret == -EPERM)
		TH_LOG("by path: %ld", ret);
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, quota_off(self->dev));
	/* Quota off, it is an ordinary file of written blocks again. */
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(fd, NULL, 0, 0));
	close(fd);
}

/* A static file can't become the quota file: ETXTBSY. */
TEST_F(quota, quotaon_of_static_file_is_etxtbsy)
{
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, QUOTA_FILE, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-ETXTBSY, quota_on(self->dev));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, QUOTA_FILE, DAXCTL_F_GET, 0));
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, QUOTA_FILE, 0, 0));
	/* The refusal was for being static: the same file works now. */
	EXPECT_EQ(0, quota_on(self->dev));
	EXPECT_EQ(0, quota_off(self->dev));
}

/* ---- xfs always_cow ---- */

FIXTURE(always_cow) {
	char dev[256];
	char type[64];
	char path[96];
	bool remounted;
};

FIXTURE_SETUP(always_cow)
{
	int fd, ret;

	self->remounted = false;
	snprintf(self->path, sizeof(self->path), MNT "/cow.%d", getpid());
	if (!mount_source(self->dev, sizeof(self->dev), self->type,
			  sizeof(self->type)))
		SKIP(return, "nothing mounted on " MNT);
	if (strcmp(self->type, "xfs"))
		SKIP(return, "xfs's always_cow knob; this is %s", self->type);
	if (access(ALWAYS_COW, W_OK))
		SKIP_WITHOUT_IF(our_kernel("debug"), "no " ALWAYS_COW
			     " (CONFIG_XFS_DEBUG: the debug kernel)");
	fd = open(MNT, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, fd);
	ret = daxctl(fd, NULL, DAXCTL_F_GET, 0);
	close(fd);
	if (ret < 0 && errno == ENOSYS)
		SKIP(return, "kernel without daxctl()");
	/* xfs reads the knob at mount time. */
	ASSERT_EQ(0, write_sysfs(ALWAYS_COW, "1"));
	ret = remount(self->dev, self->type, NULL);
	self->remounted = true;
	ASSERT_EQ(0, ret) TH_LOG("remount with always_cow: %s",
				 strerror(-ret));
}

FIXTURE_TEARDOWN(always_cow)
{
	if (!self->remounted)
		return;
	daxctl(AT_FDCWD, self->path, 0, 0);
	unlink(self->path);
	write_sysfs(ALWAYS_COW, "0");
	remount(self->dev, self->type, NULL);
}

/* Written blocks without fallocate, which always_cow refuses. */
static int write_file(const char *path, size_t size)
{
	static char buf[1 << 16];
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	size_t off;

	if (fd < 0)
		return -1;
	for (off = 0; off < size; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			goto fail;
	if (!fsync(fd))
		return fd;
fail:
	close(fd);
	return -1;
}

TEST_F(always_cow, enable_is_einval)
{
	int fd = write_file(self->path, FILE_SIZE);

	ASSERT_LE(0, fd) TH_LOG("writing %s: %s", self->path, strerror(errno));
	/* always_cow needs reflink; without it the knob does nothing. */
	if (run("xfs_info " MNT " | grep -q 'reflink=1'"))
		SKIP(return, "xfs without reflink (-m reflink=0): no always_cow");
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	close(fd);
}

/*
 * The knob is read at mount, but a static state is on disk: a file made
 * static without it is still static with it, and must not be copied.
 */
TEST_F(always_cow, file_made_static_before_is_written_in_place)
{
	static char page[SZ_4K];
	long long before;
	char *p;
	int fd;

	if (run("xfs_info " MNT " | grep -q 'reflink=1'"))
		SKIP(return, "xfs without reflink (-m reflink=0): no always_cow");
	ASSERT_EQ(0, write_sysfs(ALWAYS_COW, "0"));
	ASSERT_EQ(0, remount(self->dev, self->type, NULL));
	fd = write_file(self->path, FILE_SIZE);
	ASSERT_LE(0, fd) TH_LOG("writing %s: %s", self->path, strerror(errno));
	ASSERT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	before = first_block(fd);
	ASSERT_LE(0, before);
	close(fd);
	ASSERT_EQ(0, write_sysfs(ALWAYS_COW, "1"));
	ASSERT_EQ(0, remount(self->dev, self->type, NULL));

	fd = open(self->path, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	memset(page, 0x5a, sizeof(page));
	EXPECT_EQ((ssize_t)sizeof(page), pwrite(fd, page, sizeof(page), 0))
		TH_LOG("pwrite: %s", strerror(errno));
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 0x33;		/* a SIGBUS here fails the case too */
	p[FILE_SIZE / 2] = 0x33;
	munmap(p, FILE_SIZE);
	EXPECT_EQ(before, first_block(fd));
	EXPECT_EQ(2, pread(fd, page, 2, 0));
	EXPECT_TRUE(page[0] == 0x33 && page[1] == 0x5a);
	EXPECT_EQ(1, pread(fd, page, 1, FILE_SIZE / 2));
	EXPECT_EQ(0x33, page[0]);
	/* Enabling it again is still refused on this mount; it stays static. */
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	close(fd);
}

TEST_HARNESS_MAIN
