// SPDX-License-Identifier: GPL-2.0
/*
 * Description: xfs online repair must not rebuild a static file's data fork.
 *
 * Online repair (XFS_IOC_SCRUB_METADATA with XFS_SCRUB_IFLAG_REPAIR) of
 * XFS_SCRUB_TYPE_BMBTD rebuilds an inode's data-fork mappings from the
 * reverse-mapping btree, under the inode's users.  On a static-dax file that
 * is refused with ETXTBSY; checking it (no repair flag) still works.  A
 * forced rebuild (XFS_SCRUB_IFLAG_FORCE_REBUILD) reaches the repair code
 * even on a healthy file, which is how the test gets there.  Repair needs
 * rmapbt, which mkfs.xfs 6.1 leaves off: `make test` runs this on a
 * filesystem made with -m rmapbt=1, where a missing feature fails.
 */
#include <stdlib.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <xfs/xfs.h>

#include "kselftest_harness.h"
#include "daxctl_test.h"

#ifndef XFS_SCRUB_IFLAG_FORCE_REBUILD
#define XFS_SCRUB_IFLAG_FORCE_REBUILD	(1u << 8)
#endif

#define FILE_SIZE	(4UL << 20)


/* -errno of a forced rebuild (@repair) or a check of @fd's data fork. */
static int scrub_data_fork(int fd, bool repair)
{
	struct xfs_scrub_metadata sm = {
		.sm_type	= XFS_SCRUB_TYPE_BMBTD,
		.sm_flags	= repair ? XFS_SCRUB_IFLAG_REPAIR |
					   XFS_SCRUB_IFLAG_FORCE_REBUILD : 0,
	};

	return ERR(ioctl(fd, XFS_IOC_SCRUB_METADATA, &sm));
}

FIXTURE(repair) {
	char path[64];
	int fd;
};

FIXTURE_SETUP(repair)
{
	snprintf(self->path, sizeof(self->path), MNT "/repair.%d", getpid());
	self->fd = -1;
	if (!fs_is_xfs())
		SKIP(return, "online repair is xfs's");
	self->fd = make_written(self->path, FILE_SIZE);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(repair)
{
	if (self->fd >= 0) {
		daxctl(self->fd, NULL, 0, 0);
		close(self->fd);
		unlink(self->path);
	}
}

TEST_F_TIMEOUT(repair, static_data_fork_rebuild_refused, 300)
{
	long long before;
	int ret;

	/* The control: an ordinary file's data fork can be rebuilt here. */
	ret = scrub_data_fork(self->fd, true);
	if (ret == -EOPNOTSUPP || ret == -ENOTTY)
		SKIP_WITHOUT("no online repair here (rmapbt=0, or no CONFIG_XFS_ONLINE_REPAIR)");
	ASSERT_EQ(0, ret);

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	before = first_block(self->fd);
	ASSERT_LE(0, before);
	EXPECT_EQ(-ETXTBSY, scrub_data_fork(self->fd, true));
	EXPECT_EQ(0, scrub_data_fork(self->fd, false));
	EXPECT_EQ(before, first_block(self->fd));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));

	/* An ordinary file again: it can be rebuilt again. */
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(0, scrub_data_fork(self->fd, true));
}

TEST_HARNESS_MAIN
