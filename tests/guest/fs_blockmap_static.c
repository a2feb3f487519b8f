// SPDX-License-Identifier: GPL-2.0
/*
 * Description: each filesystem's own ways of moving or rewriting a block
 * map leave a static-DAX file's blocks where they are: xfs's
 * XFS_IOC_SWAPEXT and XFS_IOC_EXCHANGE_RANGE; ext4's EXT4_IOC_MOVE_EXT
 * (online defrag), extent-format migration both ways and
 * EXT4_IOC_SWAP_BOOT.  And xfs realtime files, which DAX can map but whose
 * blocks aren't on the data device, are never made static.
 *
 * Each case first does the same to ordinary files, so a refusal can only
 * come from the static file.  When the filesystem under test can't do it at
 * all, the case skips and names the vm/run setup that can:
 *   XFS_IOC_EXCHANGE_RANGE  vm/run --fs xfs --xfs-exchange-range
 *   realtime files          vm/run --fs xfs --xfs-rtdev 256M
 *   EXT4_IOC_MOVE_EXT,      vm/run --fs ext4 --mkfs-options "-b 4096"
 *   extents -> indirect            --mount-options dax=inode
 * (ext4 refuses both on bigalloc, and online defrag of a DAX original, so
 * only a page-cache original with a static-DAX donor reaches that check.)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xfs/xfs.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "daxctl_test.h"

#define FILE_SIZE	(32UL << 10)	/* under 12 blocks: ext4 can go indirect */

/* Linux 6.10 uapi; xfsprogs 6.1's headers predate it. */
#ifndef XFS_IOC_EXCHANGE_RANGE
struct xfs_exchange_range {
	int32_t file1_fd;
	uint32_t pad;
	uint64_t file1_offset;
	uint64_t file2_offset;
	uint64_t length;
	uint64_t flags;
};
#define XFS_IOC_EXCHANGE_RANGE	_IOW('X', 129, struct xfs_exchange_range)
#endif

/* ext4's uapi is not exported to userspace; this is its ABI. */
struct move_extent {
	uint32_t reserved;
	uint32_t donor_fd;
	uint64_t orig_start;
	uint64_t donor_start;
	uint64_t len;
	uint64_t moved_len;
};
#define EXT4_IOC_MOVE_EXT	_IOWR('f', 15, struct move_extent)
#define EXT4_IOC_MIGRATE	_IO('f', 9)
#define EXT4_IOC_SWAP_BOOT	_IO('f', 17)

enum { STATIC, OTHER, SPARE, PLAIN, PLAIN_SPARE, NFILES };

/* Which byte each file is filled with, so a data swap shows. */
static const int fill_byte[NFILES] = { 0x5a, 0xa5, 0x3c, 0xc3, 0x69 };



FIXTURE(blockmap) {
	char dir[64];
	char path[NFILES][96];
	int fd[NFILES];
};

static int set_dax_flag(const char *dir, bool on)
{
	struct fsxattr fa;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, FS_IOC_FSGETXATTR, &fa);
	if (!ret) {
		fa.fsx_xflags = on ? fa.fsx_xflags | FS_XFLAG_DAX :
				     fa.fsx_xflags & ~FS_XFLAG_DAX;
		ret = ioctl(fd, FS_IOC_FSSETXATTR, &fa);
	}
	close(fd);
	return ret;
}

static bool is_dax(int fd)
{
	struct statx stx;

	return !statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) &&
	       (stx.stx_attributes & STATX_ATTR_DAX);
}

/* The byte at offset 0 of @fd, or -1. */
static int first_byte(int fd)
{
	unsigned char c;

	return pread(fd, &c, 1, 0) == 1 ? c : -1;
}

/* Make @fd static; return where its first block is, which must stay put. */
static long long make_static(struct __test_metadata *_metadata, int fd)
{
	long long where;

	ASSERT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	where = first_block(fd);
	ASSERT_LE(0, where);
	return where;
}

/*
 * dax/ holds DAX files on any DAX mount; plain/ holds page-cache files
 * where the mount is dax=inode and DAX files where it is dax=always.
 */
FIXTURE_SETUP(blockmap)
{
	char sub[2][96];
	int i;

	snprintf(self->dir, sizeof(self->dir), MNT "/blockmap.%d",
		 getpid());
	snprintf(sub[0], sizeof(sub[0]), "%s/dax", self->dir);
	snprintf(sub[1], sizeof(sub[1]), "%s/plain", self->dir);
	for (i = 0; i < NFILES; i++) {
		snprintf(self->path[i], sizeof(self->path[i]), "%s/%c",
			 sub[i >= PLAIN], 'a' + i);
		self->fd[i] = -1;
	}
	if (mkdir(self->dir, 0755) && errno == ENOENT)
		SKIP(return, "no " MNT " to test on");
	ASSERT_EQ(0, ERR(access(self->dir, W_OK)));
	ASSERT_EQ(0, ERR(mkdir(sub[0], 0755)));
	ASSERT_EQ(0, ERR(mkdir(sub[1], 0755)));
	/* dax=always ignores the flag; dax=inode needs it. */
	set_dax_flag(sub[0], true);
	set_dax_flag(sub[1], false);
	for (i = 0; i < NFILES; i++) {
		self->fd[i] = open(self->path[i], O_CREAT | O_RDWR, 0644);
		ASSERT_LE(0, self->fd[i]);
		ASSERT_EQ(0, fill_written(self->fd[i], FILE_SIZE,
					  fill_byte[i]));
	}
	if (!is_dax(self->fd[STATIC]))
		SKIP(return, MNT " is not a DAX mount");
	if (daxctl(self->fd[STATIC], NULL, DAXCTL_F_GET, 0) < 0 &&
	    errno == ENOSYS)
		SKIP(return, "kernel without daxctl()");
}

FIXTURE_TEARDOWN(blockmap)
{
	char sub[96];
	int i;

	for (i = 0; i < NFILES; i++) {
		if (self->fd[i] >= 0)
			close(self->fd[i]);
		daxctl(AT_FDCWD, self->path[i], 0, 0);
		unlink(self->path[i]);
	}
	snprintf(sub, sizeof(sub), "%s/rt", self->dir);
	unlink(sub);
	snprintf(sub, sizeof(sub), "%s/dax", self->dir);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/plain", self->dir);
	rmdir(sub);
	rmdir(self->dir);
}

static int swapext(int target, int tmp)
{
	struct xfs_swapext sx = {
		.sx_version = XFS_SX_VERSION,
		.sx_fdtarget = target,
		.sx_fdtmp = tmp,
		.sx_length = FILE_SIZE,
	};
	struct stat st;

	/* The kernel refuses if the target changed since this "bulkstat". */
	if (fstat(target, &st))
		return -1;
	sx.sx_stat.bs_ctime.tv_sec = st.st_ctim.tv_sec;
	sx.sx_stat.bs_ctime.tv_nsec = st.st_ctim.tv_nsec;
	sx.sx_stat.bs_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.sx_stat.bs_mtime.tv_nsec = st.st_mtim.tv_nsec;
	return ioctl(target, XFS_IOC_SWAPEXT, &sx);
}

/* xfs returns EINVAL for swapfiles here; static files share that errno. */
TEST_F(blockmap, xfs_swapext_refused)
{
	long long spare = first_block(self->fd[SPARE]), where;

	if (!fs_is_xfs())
		SKIP(return, "XFS_IOC_SWAPEXT is xfs's");
	ASSERT_EQ(0, ERR(swapext(self->fd[OTHER], self->fd[SPARE])));
	EXPECT_EQ(spare, first_block(self->fd[OTHER]));
	EXPECT_EQ(fill_byte[SPARE], first_byte(self->fd[OTHER]));

	where = make_static(_metadata, self->fd[STATIC]);
	EXPECT_EQ(-EINVAL, ERR(swapext(self->fd[STATIC], self->fd[OTHER])));
	EXPECT_EQ(-EINVAL, ERR(swapext(self->fd[OTHER], self->fd[STATIC])));
	EXPECT_EQ(where, first_block(self->fd[STATIC]));
	EXPECT_EQ(fill_byte[STATIC], first_byte(self->fd[STATIC]));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(self->fd[STATIC], NULL, DAXCTL_F_GET, 0));

	/* The same call on the same pair works once the file is ordinary. */
	ASSERT_EQ(0, daxctl_err(self->fd[STATIC], NULL, 0, 0));
	EXPECT_EQ(0, ERR(swapext(self->fd[STATIC], self->fd[OTHER])));
	EXPECT_NE(where, first_block(self->fd[STATIC]));
}

/* Make @path a realtime file: only possible while it has no blocks. */
static int make_realtime(const char *path)
{
	struct fsxattr fa;
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa))
		goto fail;
	fa.fsx_xflags |= FS_XFLAG_REALTIME;
	if (ioctl(fd, FS_IOC_FSSETXATTR, &fa))
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

/* DAX maps only xfs's data device: realtime extents are ineligible. */
TEST_F(blockmap, xfs_realtime_file_refused)
{
	char path[128];
	int rt;

	if (!fs_is_xfs())
		SKIP(return, "realtime files are xfs's");
	snprintf(path, sizeof(path), "%s/rt", self->dir);
	rt = make_realtime(path);
	if (rt < 0 && errno == EINVAL)
		SKIP_WITHOUT("no realtime device (vm/run --xfs-rtdev SIZE)");
	ASSERT_LE(0, rt);
	ASSERT_EQ(0, fill_written(rt, FILE_SIZE, 0));
	if (!is_dax(rt)) {
		close(rt);
		SKIP_WITHOUT("the realtime device is not DAX");
	}
	EXPECT_EQ(-EINVAL, daxctl_err(rt, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(rt, NULL, DAXCTL_F_GET, 0));
	/* A data-device file in the same state is accepted. */
	EXPECT_EQ(0, daxctl_err(self->fd[OTHER], NULL, DAXCTL_F_STATIC, 0));
	close(rt);
}

static int exchange_range(int file2, int file1)
{
	struct xfs_exchange_range xr = {
		.file1_fd = file1,
		.length = FILE_SIZE,
	};

	return ioctl(file2, XFS_IOC_EXCHANGE_RANGE, &xr);
}

TEST_F(blockmap, xfs_exchange_range_refused)
{
	long long spare = first_block(self->fd[SPARE]), where;
	int ret;

	if (!fs_is_xfs())
		SKIP(return, "XFS_IOC_EXCHANGE_RANGE is xfs's");
	ret = ERR(exchange_range(self->fd[OTHER], self->fd[SPARE]));
	if (ret == -EOPNOTSUPP)
		SKIP_WITHOUT("no exchange-range feature (vm/run --xfs-exchange-range)");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(spare, first_block(self->fd[OTHER]));
	EXPECT_EQ(fill_byte[SPARE], first_byte(self->fd[OTHER]));

	where = make_static(_metadata, self->fd[STATIC]);
	EXPECT_EQ(-ETXTBSY, ERR(exchange_range(self->fd[STATIC],
					       self->fd[OTHER])));
	EXPECT_EQ(-ETXTBSY, ERR(exchange_range(self->fd[OTHER],
					       self->fd[STATIC])));
	EXPECT_EQ(where, first_block(self->fd[STATIC]));
	EXPECT_EQ(fill_byte[STATIC], first_byte(self->fd[STATIC]));
}

static int move_ext(int orig, int donor)
{
	struct move_extent me = {
		.donor_fd = donor,
		.len = FILE_SIZE / SZ_4K,
	};

	return ioctl(orig, EXT4_IOC_MOVE_EXT, &me);
}

TEST_F(blockmap, ext4_move_ext_refused)
{
	long long spare = first_block(self->fd[PLAIN_SPARE]), where;
	int ret;

	if (fs_is_xfs())
		SKIP(return, "EXT4_IOC_MOVE_EXT is ext4's");
	if (is_dax(self->fd[PLAIN]))
		SKIP_WITHOUT("no page-cache file for an original (mount -o dax=inode)");
	/* Defrag keeps the original's data and gives it the donor's blocks. */
	ret = ERR(move_ext(self->fd[PLAIN], self->fd[PLAIN_SPARE]));
	if (ret == -EOPNOTSUPP)
		SKIP_WITHOUT("no online defrag (bigalloc?)");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(spare, first_block(self->fd[PLAIN]));
	EXPECT_EQ(fill_byte[PLAIN], first_byte(self->fd[PLAIN]));

	where = make_static(_metadata, self->fd[STATIC]);
	/* The check under the inode locks, as for a swapfile donor. */
	EXPECT_EQ(-ETXTBSY, ERR(move_ext(self->fd[PLAIN], self->fd[STATIC])));
	/* ext4 never defragments a DAX original: its own errno. */
	EXPECT_EQ(-EOPNOTSUPP,
		  ERR(move_ext(self->fd[STATIC], self->fd[PLAIN])));
	EXPECT_EQ(where, first_block(self->fd[STATIC]));
}

static int set_extents_flag(int fd, bool on)
{
	int flags;

	if (ioctl(fd, FS_IOC_GETFLAGS, &flags))
		return -1;
	flags = on ? flags | FS_EXTENT_FL : flags & ~FS_EXTENT_FL;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

/* A static file keeps its block map format, extents or indirect. */
TEST_F(blockmap, ext4_extent_format_change_refused)
{
	long long where;
	int ret;

	if (fs_is_xfs())
		SKIP(return, "extent-format migration is ext4's");
	/* Already extents: EXT4_IOC_MIGRATE has nothing to do. */
	EXPECT_EQ(-EINVAL, ERR(ioctl(self->fd[OTHER], EXT4_IOC_MIGRATE)));
	ret = ERR(set_extents_flag(self->fd[OTHER], false));
	if (ret == -EOPNOTSUPP)
		SKIP_WITHOUT("no migration to indirect blocks (bigalloc?)");
	ASSERT_EQ(0, ret);
	EXPECT_EQ(0, ERR(ioctl(self->fd[OTHER], EXT4_IOC_MIGRATE)));

	/* An indirect-mapped static file stays indirect... */
	ASSERT_EQ(0, ERR(set_extents_flag(self->fd[STATIC], false)));
	where = make_static(_metadata, self->fd[STATIC]);
	EXPECT_EQ(-ETXTBSY, ERR(ioctl(self->fd[STATIC], EXT4_IOC_MIGRATE)));
	EXPECT_EQ(-ETXTBSY, ERR(set_extents_flag(self->fd[STATIC], true)));
	EXPECT_EQ(where, first_block(self->fd[STATIC]));
	EXPECT_EQ(fill_byte[STATIC], first_byte(self->fd[STATIC]));

	/* ... and an extent-mapped one keeps its extents. */
	ASSERT_EQ(0, daxctl_err(self->fd[OTHER], NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-ETXTBSY, ERR(set_extents_flag(self->fd[OTHER], false)));
	EXPECT_EQ(-ETXTBSY, ERR(ioctl(self->fd[OTHER], EXT4_IOC_MIGRATE)));
}

/* ext4 returns EINVAL for swapfiles here; static files share that errno. */
TEST_F(blockmap, ext4_swap_boot_refused)
{
	long long where;

	if (fs_is_xfs())
		SKIP(return, "EXT4_IOC_SWAP_BOOT is ext4's");
	/* Twice: the boot loader inode gets its own blocks back. */
	ASSERT_EQ(0, ERR(ioctl(self->fd[OTHER], EXT4_IOC_SWAP_BOOT)));
	ASSERT_EQ(0, ERR(ioctl(self->fd[OTHER], EXT4_IOC_SWAP_BOOT)));

	where = make_static(_metadata, self->fd[STATIC]);
	EXPECT_EQ(-EINVAL, ERR(ioctl(self->fd[STATIC], EXT4_IOC_SWAP_BOOT)));
	EXPECT_EQ(where, first_block(self->fd[STATIC]));
	EXPECT_EQ(fill_byte[STATIC], first_byte(self->fd[STATIC]));

	/* The same call on the same file works once it is ordinary. */
	ASSERT_EQ(0, daxctl_err(self->fd[STATIC], NULL, 0, 0));
	EXPECT_EQ(0, ERR(ioctl(self->fd[STATIC], EXT4_IOC_SWAP_BOOT)));
	EXPECT_EQ(0, ERR(ioctl(self->fd[STATIC], EXT4_IOC_SWAP_BOOT)));
	EXPECT_EQ(where, first_block(self->fd[STATIC]));
}

TEST_HARNESS_MAIN
