// SPDX-License-Identifier: GPL-2.0
/*
 * Description: static-dax on an asynchronous DAX device (virtio-pmem).
 * There a CPU cache flush does not make a store durable: the host must be
 * asked to flush, which only fsync/msync do.  Stock Linux refuses MAP_SYNC
 * on such a device with EOPNOTSUPP, and daxctl(STATIC) must refuse the same
 * way, saying why in the kernel log.  libdaxfile must then fall back to
 * MSYNC mode, never MAP_SYNC or STATIC.  An asynchronous device is
 * recognised as stock Linux shows it: a DAX mount that refuses MAP_SYNC.
 * On a synchronous device (an NVDIMM) every case skips; vm/run
 * --virtio-pmem makes the setup.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
/* libdaxfile's path-only daxctl() would clash with the raw one here. */
#define daxctl daxfile_daxctl_path
#include "daxfile.h"
#undef daxctl
#include "daxctl_test.h"

#define FILE_SIZE	(4UL << 20)

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif



static bool file_is_dax(int fd)
{
	struct statx stx;

	return statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) == 0 &&
	       (stx.stx_attributes & STATX_ATTR_DAX);
}

/* -errno of a MAP_SYNC mapping of @fd, or 0 if the kernel allowed one. */
static int map_sync_err(int fd)
{
	void *p = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		       MAP_SHARED_VALIDATE | MAP_SYNC, fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, SZ_4K);
	return 0;
}



FIXTURE(async) {
	char name[32];
	char path[96];
	char path2[96];
	int fd;
};

FIXTURE_SETUP(async)
{
	snprintf(self->name, sizeof(self->name), "async.%d", getpid());
	snprintf(self->path, sizeof(self->path), MNT "/%s", self->name);
	snprintf(self->path2, sizeof(self->path2), MNT "/%s.new", self->name);
	self->fd = make_written(self->path, FILE_SIZE);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no " MNT " to test on");
	ASSERT_LE(0, self->fd);
	if (!file_is_dax(self->fd))
		SKIP_WITHOUT(MNT " is not a DAX mount");
	if (!map_sync_err(self->fd))
		SKIP_WITHOUT("a synchronous DAX device: MAP_SYNC works "
			     "(vm/run --virtio-pmem makes an asynchronous one)");
	/* A DAX file that refuses MAP_SYNC: the device is asynchronous. */
	ASSERT_EQ(-EOPNOTSUPP, map_sync_err(self->fd));
	if (daxctl(self->fd, NULL, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel without daxctl()");
}

FIXTURE_TEARDOWN(async)
{
	if (self->fd >= 0) {
		daxctl(self->fd, NULL, 0, 0);
		close(self->fd);
	}
	unlink(self->path);
	unlink(self->path2);
}

/* Enabling is EOPNOTSUPP, with the reason and the file in the log. */
TEST_F(async, enable_is_eopnotsupp)
{
	unsigned int align[] = { 0, SZ_4K, SZ_2M };
	unsigned int i;
	int kmsg;

	for (i = 0; i < sizeof(align) / sizeof(align[0]); i++) {
		kmsg = kmsg_open();
		EXPECT_EQ(-EOPNOTSUPP, daxctl_err(self->fd, NULL,
						  DAXCTL_F_STATIC, align[i]))
			TH_LOG("align %u", align[i]);
		EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
		if (kmsg >= 0) {
			EXPECT_TRUE(kmsg_says(kmsg, "asynchronous", self->name))
				TH_LOG("no log line naming %s and saying "
				       "'asynchronous'", self->name);
			close(kmsg);
		}
	}
	/* The path form is refused the same way. */
	EXPECT_EQ(-EOPNOTSUPP, daxctl_err(AT_FDCWD, self->path,
					  DAXCTL_F_STATIC, 0));
	/* Disabling a file that is not static still succeeds. */
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
}

/* daxfile_open() falls back to msync(); it never claims more. */
TEST_F(async, library_open_uses_msync)
{
	struct daxfile *df;
	unsigned char *p;

	df = daxfile_open(self->path, 0);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_MSYNC, daxfile_mode(df))
		TH_LOG("mode %s", daxfile_mode_name(daxfile_mode(df)));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	/* And persisting in that mode works. */
	p = daxfile_addr(df);
	ASSERT_NE(NULL, p);
	memset(p, 0x5a, 64);
	EXPECT_EQ(0, daxfile_persist(p, 64));
	EXPECT_EQ(0, daxfile_close(df));
}

/* Requiring STATIC fails with the kernel's errno and says why. */
TEST_F(async, library_require_static_fails)
{
	struct daxfile *df;

	df = daxfile_open(self->path, DAXFILE_REQUIRE_STATIC);
	EXPECT_EQ(NULL, df);
	if (df) {
		TH_LOG("opened in mode %s",
		       daxfile_mode_name(daxfile_mode(df)));
		daxfile_close(df);
		return;
	}
	EXPECT_EQ(EOPNOTSUPP, errno);
	TH_LOG("daxfile_open: %s", daxfile_errmsg());
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

/* daxfile_create() makes the file and settles for msync() too. */
TEST_F(async, library_create_uses_msync)
{
	struct daxfile *df;

	df = daxfile_create(self->path2, FILE_SIZE, NULL);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_MSYNC, daxfile_mode(df))
		TH_LOG("mode %s", daxfile_mode_name(daxfile_mode(df)));
	EXPECT_EQ(0, daxctl_err(daxfile_fd(df), NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxfile_close(df));
}

TEST_HARNESS_MAIN
