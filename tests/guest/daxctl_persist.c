// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the static-DAX state is on disk (issue 12): it survives
 * umount and mount, and a reboot (two boots on one pmem image, see
 * reboot_phase); statx() and FS_IOC_FSGETXATTR report it and
 * FS_IOC_FSSETXATTR cannot change it; DAXCTL_F_GET_ALIGN reports the
 * alignment; the block map is frozen from the first moment after mount;
 * disabling is durable; the superblock's feature bit appears with the first
 * static file.  Runs on /mnt/pmem, which it unmounts and mounts again.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "daxctl_test.h"

#ifndef STATX_ATTR_STATIC_DAX
#define STATX_ATTR_STATIC_DAX	0x80000000
#endif
#ifndef FS_XFLAG_STATIC_DAX
#define FS_XFLAG_STATIC_DAX	0x40000000
#endif

/* The superblocks' read-only-compatible feature bits (SPEC.md). */
#define EXT4_RO_COMPAT_STATIC_DAX	0x80000000U
#define XFS_RO_COMPAT_STATIC_DAX	0x80000000U

#define FILE_SIZE	(4UL << 20)
#define PATTERN		0x5a

/* Kept across boots on the same image: reboot_phase's file and marker. */
#define REBOOT_FILE	MNT "/persist-reboot"
#define REBOOT_MARKER	MNT "/persist-reboot.align"

static char dev[256], type[64];

static int remount(void)
{
	if (umount(MNT))
		return -errno;
	if (mount(dev, MNT, type, 0, "dax"))
		return -errno;
	return 0;
}

/*
 * The superblock's ro_compat features, read from the device with O_DIRECT
 * while it is unmounted, so that what we see is what is on the media.
 */
static int read_ro_compat(uint32_t *ro_compat)
{
	unsigned char *sb;
	int fd, ret = 0;

	if (posix_memalign((void **)&sb, 4096, 4096))
		return -ENOMEM;
	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0 || pread(fd, sb, 4096, 0) != 4096)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	if (!ret && !strcmp(type, "ext4")) {
		/* struct ext4_super_block at 1024, s_feature_ro_compat at 0x64 */
		const unsigned char *p = sb + 1024 + 0x64;

		*ro_compat = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
	} else if (!ret) {
		/* struct xfs_dsb, sb_features_ro_compat at 212, big-endian */
		const unsigned char *p = sb + 212;

		*ro_compat = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
	}
	free(sb);
	return ret;
}

/* Unmount, read the feature bit, mount again. */
static int feature_bit_on_disk(bool *set)
{
	uint32_t ro_compat = 0;
	int ret, ret2;

	if (umount(MNT))
		return -errno;
	ret = read_ro_compat(&ro_compat);
	ret2 = mount(dev, MNT, type, 0, "dax") ? -errno : 0;
	*set = ro_compat & EXT4_RO_COMPAT_STATIC_DAX;	/* same bit on xfs */
	return ret ?: ret2;
}

static bool statx_static(const char *path, bool *in_mask)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx))
		return false;
	*in_mask = stx.stx_attributes_mask & STATX_ATTR_STATIC_DAX;
	return stx.stx_attributes & STATX_ATTR_STATIC_DAX;
}

static int get_xflags(const char *path, struct fsxattr *fsx)
{
	int fd = open(path, O_RDONLY);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, FS_IOC_FSGETXATTR, fsx) ? -errno : 0;
	close(fd);
	return ret;
}

static int set_xflags(const char *path, unsigned int xflags)
{
	struct fsxattr fsx;
	int fd = open(path, O_RDONLY);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, FS_IOC_FSGETXATTR, &fsx) ? -errno : 0;
	if (!ret) {
		fsx.fsx_xflags = xflags;
		ret = ioctl(fd, FS_IOC_FSSETXATTR, &fsx) ? -errno : 0;
	}
	close(fd);
	return ret;
}

/*
 * fail_function: make the next daxfile_record(), the step that commits the
 * record after the map is durable, fail with EIO (on) or never (off).
 * verbose 0: the default dumps a stack, which the harness counts as a splat.
 */
#define FAIL_FUNCTION	"/sys/kernel/debug/fail_function"

static int write_knob(const char *name, const char *value)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), FAIL_FUNCTION "/%s", name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int fail_next_record(bool on)
{
	int ret;

	if (!on)
		return write_knob("inject", "\n");
	ret = write_knob("inject", "daxfile_record\n");
	if (ret)
		return ret;
	if (write_knob("daxfile_record/retval", "0xfffffffffffffffb\n") ||
	    write_knob("verbose", "0\n") || write_knob("probability", "100\n") ||
	    write_knob("interval", "0\n") || write_knob("times", "1\n"))
		return -EIO;
	return 0;
}

/* The largest alignment the file can be made static with: 2 MiB or 4 KiB. */
static long enable_best(const char *path)
{
	if (!daxctl_err(AT_FDCWD, path, DAXCTL_F_STATIC, SZ_2M))
		return SZ_2M;
	if (!daxctl_err(AT_FDCWD, path, DAXCTL_F_STATIC, 0))
		return SZ_4K;
	return -errno;
}

static bool has_pattern(const char *path, int byte)
{
	char buf[4096];
	size_t off, i;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	for (off = 0; off < FILE_SIZE; off += sizeof(buf)) {
		if (pread(fd, buf, sizeof(buf), off) != sizeof(buf))
			break;
		for (i = 0; i < sizeof(buf); i++)
			if (buf[i] != byte)
				goto out;
	}
out:
	close(fd);
	return off == FILE_SIZE;
}

/* In a child without privileges: GET and GET_ALIGN on @path. */
static bool unprivileged_sees(const char *path, long align)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(daxctl(AT_FDCWD, path, DAXCTL_F_GET, 0) ==
		      DAXCTL_F_STATIC &&
		      daxctl(AT_FDCWD, path, DAXCTL_F_GET_ALIGN, 0) == align ?
		      0 : 1);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * Everything that must hold for a static file just loaded from disk.  The
 * refusals come first: the first thing that looks the file up after mount
 * must already find its block map frozen.
 */
static void check_loaded_static(struct __test_metadata *_metadata,
				const char *path, long align)
{
	struct fsxattr fsx;
	char clone[128];
	bool in_mask = false;
	int fd, dst;

	/* Frozen with no re-enable: truncate, fallocate, reflink, unlink. */
	EXPECT_EQ(-ETXTBSY, ERR(truncate(path, FILE_SIZE / 2)));
	EXPECT_EQ(-ETXTBSY, ERR(truncate(path, FILE_SIZE * 2)));
	fd = open(path, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-ETXTBSY, ERR(fallocate(fd, 0, FILE_SIZE, SZ_4K)));
	EXPECT_EQ(-ETXTBSY, ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE |
					  FALLOC_FL_KEEP_SIZE, 0, SZ_4K)));
	snprintf(clone, sizeof(clone), "%s.clone", path);
	dst = open(clone, O_CREAT | O_RDWR | O_TRUNC, 0644);
	ASSERT_LE(0, dst);
	/* ext4 cannot reflink at all. */
	EXPECT_EQ(fs_is_xfs() ? -ETXTBSY : -EOPNOTSUPP,
		  ERR(ioctl(dst, FICLONE, fd)));
	close(dst);
	unlink(clone);
	close(fd);
	EXPECT_EQ(-EPERM, ERR(unlink(path)));

	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(AT_FDCWD, path, DAXCTL_F_GET, 0));
	EXPECT_EQ(align, daxctl_err(AT_FDCWD, path, DAXCTL_F_GET_ALIGN, 0));
	EXPECT_TRUE(statx_static(path, &in_mask));
	EXPECT_TRUE(in_mask);
	ASSERT_EQ(0, get_xflags(path, &fsx));
	EXPECT_TRUE(fsx.fsx_xflags & FS_XFLAG_STATIC_DAX);
	EXPECT_TRUE(unprivileged_sees(path, align));
}

FIXTURE(persist) {
	char path[96];
};

FIXTURE_SETUP(persist)
{
	struct statx stx;
	int fd;

	snprintf(self->path, sizeof(self->path), MNT "/persist.%d", getpid());
	if (!mount_source(dev, sizeof(dev), type, sizeof(type)))
		SKIP(return, MNT " is not a mount point");
	fd = make_written(self->path, FILE_SIZE);
	ASSERT_LE(0, fd);
	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes & STATX_ATTR_DAX)) {
		close(fd);
		SKIP(return, MNT " is not a DAX mount");
	}
	if (daxctl(fd, NULL, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS) {
		close(fd);
		SKIP(return, "kernel without daxctl()");
	}
	close(fd);
}

FIXTURE_TEARDOWN(persist)
{
	if (!access(FAIL_FUNCTION, F_OK))
		fail_next_record(false);	/* a case that stopped while armed */
	daxctl(AT_FDCWD, self->path, 0, 0);
	unlink(self->path);
}

/* First, so that on a fresh filesystem nothing has set the bit yet. */
TEST_F(persist, feature_bit_appears_with_the_first_static_file)
{
	bool set = false;

	ASSERT_EQ(0, feature_bit_on_disk(&set));
	if (set)
		TH_LOG("a static file was made on this filesystem before: "
		       "cannot check that the bit was clear");
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, feature_bit_on_disk(&set));
	EXPECT_TRUE(set);
	/* Disabling the last static file leaves it, as for other bits. */
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, 0, 0));
	ASSERT_EQ(0, feature_bit_on_disk(&set));
	EXPECT_TRUE(set);
}

TEST_F(persist, get_align_is_zero_on_an_ordinary_file)
{
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET_ALIGN, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path,
				DAXCTL_F_GET_ALIGN | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(AT_FDCWD, self->path,
				      DAXCTL_F_GET_ALIGN, SZ_4K));
	EXPECT_EQ(-EINVAL, daxctl_err(AT_FDCWD, self->path,
				      DAXCTL_F_GET_ALIGN | DAXCTL_F_GET, 0));
}

TEST_F(persist, get_align_reports_the_alignment_and_follows_reenable)
{
	long align = enable_best(self->path);

	ASSERT_LT(0, align) TH_LOG("enable: %s", strerror(-align));
	EXPECT_EQ(align, daxctl_err(AT_FDCWD, self->path,
				    DAXCTL_F_GET_ALIGN, 0));
	if (align == SZ_2M) {
		/* Re-enabling with a smaller alignment records that one. */
		EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path,
					DAXCTL_F_STATIC, 0));
		EXPECT_EQ(SZ_4K, daxctl_err(AT_FDCWD, self->path,
					    DAXCTL_F_GET_ALIGN, 0));
		ASSERT_EQ(0, remount());
		EXPECT_EQ(SZ_4K, daxctl_err(AT_FDCWD, self->path,
					    DAXCTL_F_GET_ALIGN, 0));
	}
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, 0, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET_ALIGN, 0));
}

TEST_F(persist, statx_and_xflag_follow_the_state)
{
	struct fsxattr fsx;
	bool in_mask = false;

	EXPECT_FALSE(statx_static(self->path, &in_mask));
	EXPECT_TRUE(in_mask);
	ASSERT_EQ(0, get_xflags(self->path, &fsx));
	EXPECT_FALSE(fsx.fsx_xflags & FS_XFLAG_STATIC_DAX);

	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_STATIC, 0));
	EXPECT_TRUE(statx_static(self->path, &in_mask));
	ASSERT_EQ(0, get_xflags(self->path, &fsx));
	EXPECT_TRUE(fsx.fsx_xflags & FS_XFLAG_STATIC_DAX);

	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, 0, 0));
	EXPECT_FALSE(statx_static(self->path, &in_mask));
	ASSERT_EQ(0, get_xflags(self->path, &fsx));
	EXPECT_FALSE(fsx.fsx_xflags & FS_XFLAG_STATIC_DAX);
}

TEST_F(persist, fssetxattr_cannot_set_or_clear_it)
{
	struct fsxattr fsx;

	ASSERT_EQ(0, get_xflags(self->path, &fsx));
	EXPECT_EQ(-EINVAL, set_xflags(self->path,
				      fsx.fsx_xflags | FS_XFLAG_STATIC_DAX));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));

	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, get_xflags(self->path, &fsx));
	EXPECT_EQ(-EINVAL, set_xflags(self->path,
				      fsx.fsx_xflags & ~FS_XFLAG_STATIC_DAX));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
	/* A read-modify-write of other flags passes it back unchanged. */
	EXPECT_EQ(0, set_xflags(self->path, fsx.fsx_xflags | FS_XFLAG_NODUMP));
	EXPECT_EQ(0, set_xflags(self->path, fsx.fsx_xflags));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
	ASSERT_EQ(0, remount());
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
}

TEST_F(persist, state_and_align_survive_umount)
{
	long align = enable_best(self->path);

	ASSERT_LT(0, align) TH_LOG("enable: %s", strerror(-align));
	ASSERT_EQ(0, remount());
	check_loaded_static(_metadata, self->path, align);
	/* And a second time, after the inode was evicted again. */
	ASSERT_EQ(0, remount());
	EXPECT_EQ(align, daxctl_err(AT_FDCWD, self->path,
				    DAXCTL_F_GET_ALIGN, 0));
}

TEST_F(persist, disable_is_durable)
{
	bool in_mask;

	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, remount());
	ASSERT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, 0, 0));
	ASSERT_EQ(0, remount());
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET_ALIGN, 0));
	EXPECT_FALSE(statx_static(self->path, &in_mask));
	EXPECT_EQ(0, truncate(self->path, FILE_SIZE / 2));
	EXPECT_EQ(0, unlink(self->path));
}

TEST_F(persist, state_survives_inode_eviction_without_umount)
{
	int fd;

	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_STATIC, 0));
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0 || write(fd, "3", 1) != 1)
		SKIP(return, "cannot drop caches");
	close(fd);
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
	EXPECT_EQ(-ETXTBSY, ERR(truncate(self->path, 0)));
}

static bool ctime_of(const char *path, struct timespec *ts)
{
	struct stat st;

	if (stat(path, &st))
		return false;
	*ts = st.st_ctim;
	return true;
}

static bool later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	       (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* Like chattr +i, setting and clearing the state changes ctime. */
TEST_F(persist, enable_and_disable_change_ctime)
{
	struct timespec before, after;

	ASSERT_TRUE(ctime_of(self->path, &before));
	usleep(20000);	/* past a clock tick, whatever the granularity */
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_STATIC, 0));
	ASSERT_TRUE(ctime_of(self->path, &after));
	EXPECT_TRUE(later(&after, &before));
	before = after;
	usleep(20000);
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, 0, 0));
	ASSERT_TRUE(ctime_of(self->path, &after));
	EXPECT_TRUE(later(&after, &before));
}

/*
 * Enable and disable each stop where the record fails, after the map was
 * made durable: the file keeps its old state, in memory and on disk.
 * (tests/crash/static_flag_marker.sh cuts the power at the same place.)
 */
TEST_F(persist, a_failed_record_keeps_the_old_state)
{
	if (access(FAIL_FUNCTION, F_OK))
		SKIP(return, "no " FAIL_FUNCTION " (CONFIG_FAIL_FUNCTION)");
	/*
	 * fail_function decides in its kprobe's int3 handler, with the RNG,
	 * whose lock lockdep then sees taken in NMI context, and reports
	 * (6.12; no daxfile code is involved).  The test kernel runs this.
	 */
	if (!access("/proc/lockdep", F_OK))
		SKIP(return, "fail_function under lockdep: a report on the RNG lock taken in int3");
	ASSERT_EQ(0, fail_next_record(true));
	EXPECT_EQ(-EIO, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_STATIC, 0));
	fail_next_record(false);
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET_ALIGN, 0));
	ASSERT_EQ(0, remount());
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
	EXPECT_TRUE(has_pattern(self->path, 0));

	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, fail_next_record(true));
	EXPECT_EQ(-EIO, daxctl_err(AT_FDCWD, self->path, 0, 0));
	fail_next_record(false);
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
	EXPECT_EQ(-ETXTBSY, ERR(truncate(self->path, 0)));
	ASSERT_EQ(0, remount());
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path, DAXCTL_F_GET, 0));
}

/*
 * Two boots on one image: vm/run --pmem IMG -- ..., then vm/run --reuse
 * --pmem IMG -- ...  The first boot makes REBOOT_FILE static and leaves a
 * marker with the alignment; the second checks the file before anything
 * re-enables it, then cleans up.  A boot without a marker (every ordinary
 * run) does the first half and skips.
 */
TEST_F(persist, reboot_phase)
{
	char buf[32] = "";
	long align;
	FILE *f;
	int fd;

	f = fopen(REBOOT_MARKER, "r");
	if (!f) {
		fd = make_written(REBOOT_FILE, FILE_SIZE);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, fill_written(fd, FILE_SIZE, PATTERN));
		close(fd);
		align = enable_best(REBOOT_FILE);
		ASSERT_LT(0, align);
		f = fopen(REBOOT_MARKER, "w");
		ASSERT_NE(NULL, f);
		fprintf(f, "%ld\n", align);
		ASSERT_EQ(0, fclose(f));
		sync();
		SKIP(return, "first boot: %s is static (align %ld); boot "
		     "again with --reuse to check it", REBOOT_FILE, align);
	}
	ASSERT_NE(NULL, fgets(buf, sizeof(buf), f));
	fclose(f);
	align = strtol(buf, NULL, 10);
	TH_LOG("second boot: %s was made static with align %ld",
	       REBOOT_FILE, align);

	check_loaded_static(_metadata, REBOOT_FILE, align);
	EXPECT_TRUE(has_pattern(REBOOT_FILE, PATTERN));

	EXPECT_EQ(0, daxctl_err(AT_FDCWD, REBOOT_FILE, 0, 0));
	EXPECT_EQ(0, unlink(REBOOT_FILE));
	EXPECT_EQ(0, unlink(REBOOT_MARKER));
}

TEST_HARNESS_MAIN
