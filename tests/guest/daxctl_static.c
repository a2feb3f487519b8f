// SPDX-License-Identifier: GPL-2.0
/*
 * Description: daxctl(2) and static-DAX files: every errno of enabling,
 * every operation on a static file, disabling, idempotence, the fd and path
 * forms, unprivileged callers, read-only access, umount with static files
 * present (static again after mount), and PMD mappings with align = 2 MiB.
 * Runs on /mnt/pmem.
 * The filesystems' extent-swapping ioctls are in fs_blockmap_static.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "daxctl_test.h"

#define FILE_SIZE	(4UL << 20)

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif

/* Drop capabilities from the effective and permitted sets. */
static int drop_caps(const int *caps, int n)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	int i;

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	for (i = 0; i < n; i++) {
		data[caps[i] / 32].effective &= ~(1U << (caps[i] % 32));
		data[caps[i] / 32].permitted &= ~(1U << (caps[i] % 32));
	}
	return syscall(SYS_capset, &hdr, data);
}

static int set_iflag(const char *path, int flag, bool on)
{
	int fd = open(path, O_RDONLY);
	int flags, ret;

	if (fd < 0)
		return -1;
	ret = ioctl(fd, FS_IOC_GETFLAGS, &flags);
	if (!ret) {
		flags = on ? flags | flag : flags & ~flag;
		ret = ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
	return ret;
}

#define NFILES 6

FIXTURE(daxctl) {
	char dir[64];
	char path[NFILES][96];	/* f, g, h, ... inside dir */
	int fd;			/* O_RDWR fd of path[0], 4 MiB written */
};

FIXTURE_SETUP(daxctl)
{
	struct statx stx;
	int i;

	snprintf(self->dir, sizeof(self->dir), MNT "/daxctl.%d", getpid());
	for (i = 0; i < NFILES; i++)
		snprintf(self->path[i], sizeof(self->path[i]), "%s/%c",
			 self->dir, 'f' + i);
	self->fd = -1;

	if (statx(AT_FDCWD, MNT, 0, STATX_BASIC_STATS, &stx) ||
	    mkdir(self->dir, 0755))
		SKIP(return, "no " MNT " to test on");
	self->fd = make_written(self->path[0], FILE_SIZE);
	ASSERT_LE(0, self->fd);
	if (statx(self->fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes & STATX_ATTR_DAX))
		SKIP(return, MNT " is not a DAX mount");
	if (daxctl(self->fd, NULL, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel without daxctl()");
}

FIXTURE_TEARDOWN(daxctl)
{
	int i;

	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < NFILES; i++) {
		set_iflag(self->path[i], FS_IMMUTABLE_FL | FS_APPEND_FL, false);
		daxctl(AT_FDCWD, self->path[i], 0, 0);
		unlink(self->path[i]);
	}
	rmdir(self->dir);
}

/* ---- the ABI: flags, align, forms ---- */

TEST_F(daxctl, get_on_new_file_is_zero)
{
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
}

TEST_F(daxctl, path_form_enable_idempotent_disable_idempotent)
{
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_STATIC,
				SZ_4K));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], 0, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], 0, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
}

TEST_F(daxctl, fd_form_and_dirfd_relative_path)
{
	int dfd = open(self->dir, O_RDONLY | O_DIRECTORY);

	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(dfd, "f", DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(dfd, "f", 0, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(dfd, "f", DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	close(dfd);
}

TEST_F(daxctl, get_on_read_only_and_o_path_fds)
{
	int ro, opath;

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	ro = open(self->path[0], O_RDONLY);
	ASSERT_LE(0, ro);
	opath = open(self->path[0], O_PATH);
	ASSERT_LE(0, opath);
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(ro, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(opath, NULL, DAXCTL_F_GET, 0));
	/* ... but they cannot change the state. */
	EXPECT_EQ(-EBADF, daxctl_err(ro, NULL, 0, 0));
	EXPECT_EQ(-EBADF, daxctl_err(opath, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(ro, NULL, DAXCTL_F_GET, 0));
	close(opath);
	close(ro);
}

TEST_F(daxctl, einval_flags_and_align)
{
	/* Above DAXCTL_ALIGN_MAX: fsdax maps nothing larger than a PMD. */
	unsigned int bad_align[] = { 1, 3, 2048, SZ_4K * 3, SZ_4K + 1,
				     2 * DAXCTL_ALIGN_MAX, 1U << 30,
				     1U << 31, 0xffffffffU };
	unsigned int i;

	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_DAX, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL,
				      DAXCTL_F_DAX | DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, 1U << 5, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, 1U << 31, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL,
				      DAXCTL_F_GET | DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_GET, SZ_4K));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, 0, SZ_4K));
	for (i = 0; i < sizeof(bad_align) / sizeof(bad_align[0]); i++) {
		long ret = daxctl_err(self->fd, NULL, DAXCTL_F_STATIC,
				      bad_align[i]);

		if (ret != -EINVAL)
			TH_LOG("align %u", bad_align[i]);
		EXPECT_EQ(-EINVAL, ret);
	}
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

TEST_F(daxctl, einval_not_regular)
{
	char fifo[128];

	snprintf(fifo, sizeof(fifo), "%s/fifo", self->dir);
	EXPECT_EQ(-EINVAL, daxctl_err(AT_FDCWD, self->dir, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, mkfifo(fifo, 0644));
	/* Must not open (and block on) the FIFO. */
	EXPECT_EQ(-EINVAL, daxctl_err(AT_FDCWD, fifo, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(AT_FDCWD, "/dev/null",
				      DAXCTL_F_STATIC, 0));
	unlink(fifo);
}

TEST_F(daxctl, einval_size)
{
	int fd;

	/* Empty. */
	fd = open(self->path[1], O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	close(fd);
	/* Not a multiple of PAGE_SIZE. */
	fd = make_written(self->path[2], 6000);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	close(fd);
	/* Not a multiple of align. */
	fd = make_written(self->path[3], SZ_2M + SZ_4K);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, SZ_2M));
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	close(fd);
}

TEST_F(daxctl, einval_holes)
{
	char buf[SZ_4K] = { 0 };
	int fd;

	fd = open(self->path[1], O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, FILE_SIZE));
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	/* Written at the start only: the hole is further in. */
	ASSERT_EQ((ssize_t)sizeof(buf), pwrite(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	close(fd);
}

TEST_F(daxctl, einval_unwritten)
{
	int fd = open(self->path[1], O_CREAT | O_RDWR, 0644);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fallocate(fd, 0, 0, FILE_SIZE));
	ASSERT_EQ(0, fsync(fd));
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	close(fd);
}

TEST_F(daxctl, einval_shared_extents)
{
	int fd;

	fd = open(self->path[1], O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	if (ioctl(fd, FICLONE, self->fd)) {
		close(fd);
		SKIP(return, "no reflink here: %s", strerror(errno));
	}
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	close(fd);
}

/*
 * Collapsing the first 4 KiB out of an aligned file leaves every extent
 * written but shifted 4 KiB against its file offset: fine for align 0,
 * not for align 2 MiB, including as an "idempotent" re-enable.
 */
TEST_F(daxctl, einval_misaligned_extents)
{
	if (fallocate(self->fd, FALLOC_FL_COLLAPSE_RANGE, 0, SZ_4K))
		SKIP(return, "collapse range: %s", strerror(errno));
	ASSERT_EQ(0, ftruncate(self->fd, SZ_2M));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, SZ_2M));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, SZ_2M));
	/* The failed re-enable left the state as it was. */
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

TEST_F(daxctl, eopnotsupp_not_dax)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/daxctl.%d", getpid());
	fd = make_written(path, FILE_SIZE);
	if (fd < 0)
		SKIP(return, "cannot create %s", path);
	EXPECT_EQ(-EOPNOTSUPP, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(fd, NULL, 0, 0));
	close(fd);
	unlink(path);
}

TEST_F(daxctl, eperm_immutable_and_append_only)
{
	ASSERT_EQ(0, set_iflag(self->path[0], FS_IMMUTABLE_FL, true));
	EXPECT_EQ(-EPERM, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, set_iflag(self->path[0], FS_IMMUTABLE_FL, false));
	ASSERT_EQ(0, set_iflag(self->path[0], FS_APPEND_FL, true));
	EXPECT_EQ(-EPERM, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, set_iflag(self->path[0], FS_APPEND_FL, false));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

/* Run @fn in a child; return its exit status (0: all expectations met). */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

struct unpriv_arg {
	const char *path;
	long state;		/* what DAXCTL_F_GET must report */
};

static int unprivileged(void *arg)
{
	struct unpriv_arg *ua = arg;
	const char *path = ua->path;
	int cap = CAP_LINUX_IMMUTABLE;

	if (drop_caps(&cap, 1))
		return 10;
	if (daxctl_err(AT_FDCWD, path, DAXCTL_F_GET, 0) != ua->state)
		return 11;
	if (daxctl_err(AT_FDCWD, path, 0, 0) != -EPERM)
		return 12;
	if (daxctl_err(AT_FDCWD, path, DAXCTL_F_STATIC, 0) != -EPERM)
		return 13;
	return 0;
}

TEST_F(daxctl, eperm_without_cap_linux_immutable)
{
	struct unpriv_arg on = { self->path[0], DAXCTL_F_STATIC };
	struct unpriv_arg off = { self->path[1], 0 };
	int fd;

	fd = make_written(self->path[1], FILE_SIZE);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_STATIC, 0));
	/* Neither clear nor set; GET still works. */
	EXPECT_EQ(0, in_child(unprivileged, &on));
	EXPECT_EQ(0, in_child(unprivileged, &off));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[1], DAXCTL_F_GET, 0));
}

static int no_dac_override(void *arg)
{
	const char *path = arg;
	int caps[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER };

	if (drop_caps(caps, 3))
		return 10;
	if (daxctl_err(AT_FDCWD, path, DAXCTL_F_STATIC, 0) != -EACCES)
		return 11;
	if (daxctl_err(AT_FDCWD, path, DAXCTL_F_GET, 0) != 0)
		return 12;
	return 0;
}

TEST_F(daxctl, eacces_without_write_permission)
{
	ASSERT_EQ(0, chmod(self->path[0], 0444));
	EXPECT_EQ(0, in_child(no_dac_override, self->path[0]));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
}

TEST_F(daxctl, ebadf)
{
	int ro = open(self->path[0], O_RDONLY);

	ASSERT_LE(0, ro);
	EXPECT_EQ(-EBADF, daxctl_err(-1, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EBADF, daxctl_err(-1, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(-EBADF, daxctl_err(ro, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-ENOENT, daxctl_err(AT_FDCWD, "/mnt/pmem/no/such/file",
				      DAXCTL_F_STATIC, 0));
	close(ro);
}

TEST_F(daxctl, erofs_and_get_on_read_only_mount)
{
	int fd;

	fd = open(self->path[1], O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	close(fd);
	if (mount(self->path[0], self->path[1], NULL, MS_BIND, NULL))
		SKIP(return, "bind mount: %s", strerror(errno));
	ASSERT_EQ(0, mount(NULL, self->path[1], NULL,
			   MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	EXPECT_EQ(-EROFS, daxctl_err(AT_FDCWD, self->path[1],
				     DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[1], DAXCTL_F_GET, 0));
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[1], DAXCTL_F_GET, 0));
	fd = open(self->path[1], O_RDONLY);
	EXPECT_LE(0, fd);
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(-EROFS, daxctl_err(AT_FDCWD, self->path[1], 0, 0));
	close(fd);
	EXPECT_EQ(0, umount2(self->path[1], 0));
}

/*
 * DAX files cannot be swapfiles (swapon needs ->read_folio), so make one on
 * a small loop-mounted ext4 in /tmp: an active swapfile is EBUSY, checked
 * before whether the file is DAX at all.
 */
TEST_F_TIMEOUT(daxctl, ebusy_active_swapfile, 300)
{
	char dir[40], cmd[1024], swapfile[64];
	int ret;

	snprintf(dir, sizeof(dir), "/tmp/daxctl-swap.%d", getpid());
	snprintf(swapfile, sizeof(swapfile), "%s/mnt/swap", dir);
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; mkdir -p mnt; truncate -s 64M img;"
		 "mkfs.ext4 -q -F img; mount -o loop img mnt;"
		 "fallocate -l 16M mnt/swap; chmod 600 mnt/swap;"
		 "mkswap -q mnt/swap",
		 dir);
	if (mkdir(dir, 0700))
		SKIP(return, "cannot create %s", dir);
	if (system(cmd) != 0)
		SKIP(return, "cannot set up a loop-mounted ext4 with a swapfile");
	ret = ERR(swapon(swapfile, 0));
	if (ret == 0) {
		EXPECT_EQ(-EBUSY, daxctl_err(AT_FDCWD, swapfile,
					     DAXCTL_F_STATIC, 0));
		EXPECT_EQ(0, daxctl_err(AT_FDCWD, swapfile, DAXCTL_F_GET, 0));
		EXPECT_EQ(0, ERR(swapoff(swapfile)));
	}
	snprintf(cmd, sizeof(cmd), "umount %s/mnt; rm -rf %s", dir, dir);
	EXPECT_EQ(0, system(cmd));
	if (ret)
		SKIP(return, "swapon: %s", strerror(-ret));
}

/* ---- while a file is static ---- */

TEST_F(daxctl, static_truncate_etxtbsy)
{
	struct stat st;
	int fd, ret;

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-ETXTBSY, ERR(ftruncate(self->fd, FILE_SIZE - SZ_4K)));
	EXPECT_EQ(-ETXTBSY, ERR(ftruncate(self->fd, FILE_SIZE + SZ_4K)));
	EXPECT_EQ(-ETXTBSY, ERR(ftruncate(self->fd, 0)));
	EXPECT_EQ(-ETXTBSY, ERR(truncate(self->path[0], SZ_4K)));
	EXPECT_EQ(-ETXTBSY, ERR(truncate(self->path[0], 2 * FILE_SIZE)));
	fd = open(self->path[0], O_WRONLY | O_TRUNC);
	EXPECT_EQ(-1, fd);
	EXPECT_EQ(ETXTBSY, errno);
	if (fd >= 0)
		close(fd);
	/* The same size changes nothing, so it succeeds (fio, PMDK). */
	ret = ERR(ftruncate(self->fd, FILE_SIZE));
	EXPECT_EQ(0, ret);
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ((off_t)FILE_SIZE, st.st_size);
}

/*
 * Every mode that would change the map or the size is refused; allocating
 * inside i_size, which changes nothing, is not (see daxctl_hardening).
 */
TEST_F(daxctl, static_fallocate_every_mode_etxtbsy)
{
	static const int modes[] = {
		FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_COLLAPSE_RANGE,
		FALLOC_FL_ZERO_RANGE,
		FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_INSERT_RANGE,
		FALLOC_FL_UNSHARE_RANGE,
	};
	unsigned int i;

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-ETXTBSY, ERR(fallocate(self->fd, 0, FILE_SIZE, SZ_2M)));
	EXPECT_EQ(-ETXTBSY, ERR(fallocate(self->fd, FALLOC_FL_KEEP_SIZE,
					  FILE_SIZE - SZ_4K, SZ_2M)));
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		EXPECT_EQ(-ETXTBSY, ERR(fallocate(self->fd, modes[i], 0, SZ_2M)))
			TH_LOG("mode %#x", modes[i]);
		EXPECT_EQ(-ETXTBSY, ERR(fallocate(self->fd, modes[i],
						  FILE_SIZE, SZ_2M)))
			TH_LOG("mode %#x beyond EOF", modes[i]);
	}
}

TEST_F(daxctl, static_reflink_dedupe_copy_etxtbsy)
{
	struct file_clone_range fcr = { .src_length = SZ_4K };
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info;
	} dd = { .r = { .src_length = SZ_4K, .dest_count = 1 } };
	int other, clone_errno;
	loff_t in = 0, out = 0;

	other = make_written(self->path[1], FILE_SIZE);
	ASSERT_LE(0, other);
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));

	/* xfs reflinks and refuses; ext4 cannot reflink at all. */
	clone_errno = fs_is_xfs() ? ETXTBSY : EOPNOTSUPP;
	EXPECT_EQ(-clone_errno, ERR(ioctl(self->fd, FICLONE, other)));
	EXPECT_EQ(-clone_errno, ERR(ioctl(other, FICLONE, self->fd)));
	fcr.src_fd = other;
	EXPECT_EQ(-clone_errno, ERR(ioctl(self->fd, FICLONERANGE, &fcr)));
	fcr.src_fd = self->fd;
	EXPECT_EQ(-clone_errno, ERR(ioctl(other, FICLONERANGE, &fcr)));

	/* Dedupe reports per destination. */
	dd.info.dest_fd = other;
	if (fs_is_xfs()) {
		EXPECT_EQ(0, ERR(ioctl(self->fd, FIDEDUPERANGE, &dd)));
		EXPECT_EQ(-ETXTBSY, dd.info.status);
		dd.info.dest_fd = self->fd;
		dd.info.status = 0;
		EXPECT_EQ(0, ERR(ioctl(other, FIDEDUPERANGE, &dd)));
		EXPECT_EQ(-ETXTBSY, dd.info.status);
	} else {
		int ret = ERR(ioctl(self->fd, FIDEDUPERANGE, &dd));

		EXPECT_NE(0, ret ? ret : dd.info.status);
	}

	EXPECT_EQ(-ETXTBSY, ERR(copy_file_range(self->fd, &in, other, &out,
					       SZ_4K, 0)));
	in = out = 0;
	EXPECT_EQ(-ETXTBSY, ERR(copy_file_range(other, &in, self->fd, &out,
					       SZ_4K, 0)));
	close(other);
}

TEST_F(daxctl, static_dax_flag_toggle_refused)
{
	struct fsxattr fa;

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, ioctl(self->fd, FS_IOC_FSGETXATTR, &fa));
	fa.fsx_xflags ^= FS_XFLAG_DAX;
	EXPECT_EQ(-ETXTBSY, ERR(ioctl(self->fd, FS_IOC_FSSETXATTR, &fa)));
	/* Setting it to what it is changes nothing and is allowed. */
	fa.fsx_xflags ^= FS_XFLAG_DAX;
	EXPECT_EQ(0, ERR(ioctl(self->fd, FS_IOC_FSSETXATTR, &fa)));
}

TEST_F(daxctl, static_swapon_ebusy)
{
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EBUSY, ERR(swapon(self->path[0], 0)));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

TEST_F(daxctl, static_unlink_and_rename_onto_eperm_rename_allowed)
{
	char moved[128];
	int fd;

	snprintf(moved, sizeof(moved), "%s/moved", self->dir);
	fd = make_written(self->path[1], SZ_4K);
	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EPERM, ERR(unlink(self->path[0])));
	EXPECT_EQ(-EPERM, ERR(rename(self->path[1], self->path[0])));
	/* Renaming the static file itself is fine, and keeps the state. */
	ASSERT_EQ(0, ERR(rename(self->path[0], moved)));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(AT_FDCWD, moved, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, ERR(rename(moved, self->path[0])));
	/* Exchanging names unlinks nothing. */
	EXPECT_EQ(0, ERR(renameat2(AT_FDCWD, self->path[1], AT_FDCWD,
				   self->path[0], RENAME_EXCHANGE)));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[1], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(0, ERR(unlink(self->path[1])));
}

TEST_F(daxctl, static_read_and_in_place_write_allowed_extend_etxtbsy)
{
	char buf[SZ_4K], out[SZ_4K];
	int afd;

	memset(buf, 0x5a, sizeof(buf));
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ((ssize_t)sizeof(buf), pwrite(self->fd, buf, sizeof(buf),
					       SZ_2M));
	EXPECT_EQ((ssize_t)sizeof(buf), pwrite(self->fd, buf, sizeof(buf),
					       FILE_SIZE - SZ_4K));
	EXPECT_EQ((ssize_t)sizeof(out), pread(self->fd, out, sizeof(out),
					      SZ_2M));
	EXPECT_EQ(0, memcmp(buf, out, sizeof(buf)));
	/* Past EOF, across EOF, and appending. */
	EXPECT_EQ(-ETXTBSY, ERR(pwrite(self->fd, buf, sizeof(buf), FILE_SIZE)));
	EXPECT_EQ(-ETXTBSY, ERR(pwrite(self->fd, buf, sizeof(buf),
				       FILE_SIZE - 100)));
	afd = open(self->path[0], O_WRONLY | O_APPEND);
	ASSERT_LE(0, afd);
	EXPECT_EQ(-ETXTBSY, ERR(write(afd, buf, 1)));
	close(afd);
	{
		struct stat st;

		ASSERT_EQ(0, fstat(self->fd, &st));
		EXPECT_EQ((off_t)FILE_SIZE, st.st_size);
	}
}

TEST_F(daxctl, static_shared_writable_mmap_and_map_sync)
{
	unsigned char *p, *q;

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	q = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED_VALIDATE | MAP_SYNC, self->fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	memset(p, 0xab, SZ_4K);
	memset(q + SZ_2M, 0xcd, SZ_4K);
	EXPECT_EQ(0xcd, p[SZ_2M]);
	EXPECT_EQ(0xab, q[0]);
	EXPECT_EQ(0, msync(p, FILE_SIZE, MS_SYNC));
	munmap(q, FILE_SIZE);
	munmap(p, FILE_SIZE);
}

/* ---- disabling ---- */

TEST_F(daxctl, disable_ebusy_while_mapped_writable)
{
	unsigned char *p;

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 1;
	EXPECT_EQ(-EBUSY, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	/* A read-only private mapping does not count. */
	munmap(p, FILE_SIZE);
	p = mmap(NULL, FILE_SIZE, PROT_READ, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	munmap(p, FILE_SIZE);
	/* Mapping works again afterwards: the deny was undone. */
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, FILE_SIZE);
}

TEST_F(daxctl, disabled_file_is_ordinary_again)
{
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(0, ERR(fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
				   FALLOC_FL_KEEP_SIZE, 0, SZ_4K)));
	EXPECT_EQ(0, ERR(ftruncate(self->fd, FILE_SIZE + SZ_4K)));
	EXPECT_EQ(0, ERR(ftruncate(self->fd, SZ_4K)));
	/* The hole now makes it ineligible. */
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, ERR(unlink(self->path[0])));
}

/* ---- huge pages ---- */

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Map @len of @fd at an address that is 2 MiB aligned plus @skew. */
static unsigned char *map_at(int fd, size_t len, size_t skew)
{
	unsigned char *area, *p;

	area = mmap(NULL, len + 2 * SZ_2M, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	p = (unsigned char *)(((uintptr_t)area + SZ_2M - 1) & ~(SZ_2M - 1));
	return mmap(p + skew, len, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED, fd, 0);
}

static long touch_pages(unsigned char *p, size_t len)
{
	long before = minflt();
	size_t off;

	for (off = 0; off < len; off += SZ_4K)
		p[off] = 1;
	return minflt() - before;
}

TEST_F(daxctl, align_2m_maps_with_pmd)
{
	unsigned char *p;
	long faults;

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, SZ_2M))
		TH_LOG("extents not 2 MiB aligned: mkfs without stripe hints?");

	/* Aligned: one fault per 2 MiB. */
	p = map_at(self->fd, FILE_SIZE, 0);
	ASSERT_NE(MAP_FAILED, p);
	faults = touch_pages(p, FILE_SIZE);
	TH_LOG("aligned mapping: %ld faults for %lu pages", faults,
	       FILE_SIZE / SZ_4K);
	EXPECT_GE(2 * (long)(FILE_SIZE / SZ_2M), faults);
	munmap(p, FILE_SIZE);

	/* Control: skewed by 4 KiB, PMDs are impossible: one per page. */
	p = map_at(self->fd, FILE_SIZE, SZ_4K);
	ASSERT_NE(MAP_FAILED, p);
	faults = touch_pages(p, FILE_SIZE);
	TH_LOG("skewed mapping: %ld faults", faults);
	EXPECT_LE((long)(FILE_SIZE / SZ_4K), faults);
	munmap(p, FILE_SIZE);
}

/* ---- lifetime ---- */


static int eviction_pressure(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	int ret;

	if (fd < 0)
		return -1;
	ret = write(fd, "3", 1) == 1 ? 0 : -1;
	close(fd);
	return ret;
}

TEST_F(daxctl, state_survives_inode_cache_pressure)
{
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	close(self->fd);
	self->fd = -1;
	if (eviction_pressure())
		SKIP(return, "cannot drop caches");
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
	EXPECT_EQ(-ETXTBSY, ERR(truncate(self->path[0], 0)));
}

TEST_F(daxctl, umount_with_static_files)
{
	char dev[256], type[64];
	int fd, ret;

	if (!mount_source(dev, sizeof(dev), type, sizeof(type)))
		SKIP(return, MNT " is not a mount point");
	fd = make_written(self->path[1], FILE_SIZE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	close(fd);
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	close(self->fd);
	self->fd = -1;

	ret = ERR(umount(MNT));
	/* Whatever happened, leave /mnt/pmem mounted for the next tests. */
	if (ret == 0)
		ASSERT_EQ(0, mount(dev, MNT, type, 0, "dax"));
	ASSERT_EQ(0, ret);

	/* The state is on disk: both files come back static. */
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[0], DAXCTL_F_GET, 0));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[1], DAXCTL_F_GET, 0));
	self->fd = open(self->path[0], O_RDWR);
	ASSERT_LE(0, self->fd);
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[1], 0, 0));
}

TEST_HARNESS_MAIN
