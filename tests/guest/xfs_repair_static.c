// SPDX-License-Identifier: GPL-2.0
/*
 * Description: xfs online repair must not rebuild a static file's data fork.
 *
 * Online repair (XFS_IOC_SCRUB_METADATA with XFS_SCRUB_IFLAG_REPAIR) of
 * XFS_SCRUB_TYPE_BMBTD rebuilds an inode's data-fork mappings from the
 * reverse-mapping btree, under the inode's users.  On a static-dax file that
 * is refused with ETXTBSY; checking it (no repair flag) still works.  A
 * forced rebuild (XFS_SCRUB_IFLAG_FORCE_REBUILD) reaches the repair code
 * even on a healthy file, which is how the test gets there.  The refusal
 * comes before repair's setup unmaps the file and drops its DAX entries,
 * which record the pages devices hold pinned (long-term pins): a mapped
 * page stays mapped (/proc/self/pagemap), for either fork.  Repair needs
 * rmapbt, which mkfs.xfs 6.1 leaves off: `make test` runs this on a
 * filesystem made with -m rmapbt=1, where a missing feature fails.
 */
#include <stdint.h>
#include <stdlib.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <xfs/xfs.h>

#include "kselftest_harness.h"
#include "daxctl_test.h"

#ifndef XFS_SCRUB_IFLAG_FORCE_REBUILD
#define XFS_SCRUB_IFLAG_FORCE_REBUILD	(1u << 8)
#endif

#define FILE_SIZE	(4UL << 20)


/* -errno of a forced rebuild (@repair) or a check of one of @fd's forks. */
static int scrub_fork(int fd, unsigned int type, bool repair)
{
	struct xfs_scrub_metadata sm = {
		.sm_type	= type,
		.sm_flags	= repair ? XFS_SCRUB_IFLAG_REPAIR |
					   XFS_SCRUB_IFLAG_FORCE_REBUILD : 0,
	};

	return ERR(ioctl(fd, XFS_IOC_SCRUB_METADATA, &sm));
}

static int scrub_data_fork(int fd, bool repair)
{
	return scrub_fork(fd, XFS_SCRUB_TYPE_BMBTD, repair);
}

/* The control: an ordinary file's data fork can be rebuilt here. */
#define ASSERT_REPAIR_WORKS(fd) do {					\
	int __ret = scrub_data_fork((fd), true);			\
									\
	if (__ret == -EOPNOTSUPP || __ret == -ENOTTY)			\
		SKIP_WITHOUT("no online repair here (rmapbt=0, or no "	\
			     "CONFIG_XFS_ONLINE_REPAIR)");		\
	ASSERT_EQ(0, __ret);						\
} while (0)

/* Whether the page at @addr is mapped in this process (pagemap bit 63). */
static int page_present(const void *addr)
{
	uint64_t ent;
	off_t off = (uintptr_t)addr / SZ_4K * sizeof(ent);
	int fd = open("/proc/self/pagemap", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &ent, sizeof(ent), off);
	close(fd);
	if (n != (ssize_t)sizeof(ent))
		return -1;
	return !!(ent >> 63);
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

	ASSERT_REPAIR_WORKS(self->fd);

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

/*
 * A refused repair leaves the file as it was: still mapped, so its DAX
 * entries (and the pins they record) are still there.  Both forks: the
 * CoW fork's repair has nothing to rebuild on a static file, but its
 * setup would drop the entries all the same.
 */
TEST_F_TIMEOUT(repair, refused_repair_keeps_the_file_mapped, 300)
{
	static const unsigned int forks[] = {
		XFS_SCRUB_TYPE_BMBTD, XFS_SCRUB_TYPE_BMBTC,
	};
	volatile char *p;
	unsigned int i;

	ASSERT_REPAIR_WORKS(self->fd);
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);

	for (i = 0; i < sizeof(forks) / sizeof(forks[0]); i++) {
		p[0] = (char)i;		/* a write fault maps the page */
		ASSERT_EQ(1, page_present((const void *)p));
		EXPECT_EQ(-ETXTBSY, scrub_fork(self->fd, forks[i], true))
			TH_LOG("repair of fork type %u", forks[i]);
		EXPECT_EQ(1, page_present((const void *)p))
			TH_LOG("fork type %u: refusing repair unmapped the file",
			       forks[i]);
	}
	/* A check alone may clean the entries, but keeps them. */
	EXPECT_EQ(0, scrub_data_fork(self->fd, false));
	EXPECT_EQ(1, page_present((const void *)p));
	munmap((void *)p, FILE_SIZE);
}

TEST_HARNESS_MAIN
