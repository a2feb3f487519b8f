// SPDX-License-Identifier: GPL-2.0
/*
 * Description: daxctl(2)'s align holds where DAX maps, not where the block
 * layer counts.  A filesystem on a partition sees its blocks relative to
 * the partition, but DAX maps device pages: on pmem partitioned at the
 * usual 1 MiB, extents that are 2 MiB aligned in the filesystem are 1 MiB
 * off on the device, and no fault can map them with a PMD.  So align = 2M
 * must either be refused (EINVAL, "not aligned" in the log) or really give
 * PMD faults, counted here as minor faults: one per 2 MiB, not per page.
 * align above the PMD size is EINVAL everywhere; align = 4K always works.
 * vm/run --partition makes the setup; elsewhere the partition case skips.
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
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "daxctl_test.h"

#define FILE_SIZE	(8UL << 20)



/*
 * The byte offset of the partition MNT is on, from sysfs; -1 when the
 * filesystem is on a whole device.
 */
static long long partition_start(void)
{
	char path[128];
	unsigned long long sectors;
	struct stat st;
	FILE *f;
	int n;

	if (stat(MNT, &st))
		return -1;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/partition",
		 major(st.st_dev), minor(st.st_dev));
	if (access(path, F_OK))
		return -1;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/start",
		 major(st.st_dev), minor(st.st_dev));
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%llu", &sectors);
	fclose(f);
	return n == 1 ? (long long)(sectors * 512) : -1;
}



/*
 * Whether every extent of @fd is 2 MiB aligned as the filesystem sees it:
 * FIEMAP's physical addresses are relative to the filesystem's block
 * device, the partition here, not to what DAX maps.
 */
static bool fs_extents_2m_aligned(int fd)
{
	struct {
		struct fiemap fm;
		struct fiemap_extent fe[64];
	} m;
	unsigned int i;
	uint64_t pos = 0;

	do {
		memset(&m, 0, sizeof(m));
		m.fm.fm_start = pos;
		m.fm.fm_length = FIEMAP_MAX_OFFSET - pos;
		m.fm.fm_flags = FIEMAP_FLAG_SYNC;
		m.fm.fm_extent_count = 64;
		if (ioctl(fd, FS_IOC_FIEMAP, &m.fm) || !m.fm.fm_mapped_extents)
			return false;
		for (i = 0; i < m.fm.fm_mapped_extents; i++) {
			struct fiemap_extent *fe = &m.fe[i];

			if ((fe->fe_physical - fe->fe_logical) % SZ_2M)
				return false;
			pos = fe->fe_logical + fe->fe_length;
			if (fe->fe_flags & FIEMAP_EXTENT_LAST)
				return true;
		}
	} while (pos < FILE_SIZE);
	return true;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Map @len of @fd at a 2 MiB-aligned address. */
static unsigned char *map_aligned(int fd, size_t len)
{
	unsigned char *area, *p;

	area = mmap(NULL, len + SZ_2M, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return MAP_FAILED;
	p = (unsigned char *)(((uintptr_t)area + SZ_2M - 1) & ~(SZ_2M - 1));
	return mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		    fd, 0);
}

/* Minor faults taken by one store into each 4 KiB page of @len at @p. */
static long store_faults(unsigned char *p, size_t len)
{
	long before = minflt();
	size_t off;

	for (off = 0; off < len; off += SZ_4K)
		p[off]++;
	return minflt() - before;
}

FIXTURE(align) {
	char path[96];
	int fd;
};

FIXTURE_SETUP(align)
{
	snprintf(self->path, sizeof(self->path), MNT "/align.%d", getpid());
	self->fd = make_written(self->path, FILE_SIZE);
	if (self->fd < 0 && errno == ENOENT)
		SKIP(return, "no " MNT " to test on");
	ASSERT_LE(0, self->fd);
	if (daxctl(self->fd, NULL, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel without daxctl()");
	if (daxctl(self->fd, NULL, DAXCTL_F_STATIC, 0) < 0 &&
	    errno == EOPNOTSUPP)
		SKIP(return, MNT " is not a DAX mount on a synchronous device");
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
}

FIXTURE_TEARDOWN(align)
{
	if (self->fd >= 0) {
		daxctl(self->fd, NULL, 0, 0);
		close(self->fd);
	}
	unlink(self->path);
}

/* fsdax maps nothing larger than a PMD: a larger align promises nothing. */
TEST_F(align, above_pmd_size_is_einval)
{
	unsigned int big[] = { 2 * SZ_2M, 4 * SZ_2M, 1U << 30, 1U << 31 };
	unsigned int i;

	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC,
					      big[i]))
			TH_LOG("align %u", big[i]);
		EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	}
}

/* Page alignment is always there, partition or not. */
TEST_F(align, align_4k_works)
{
	unsigned char *p;

	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, SZ_4K));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	p = map_aligned(self->fd, FILE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_LE(1, store_faults(p, FILE_SIZE));
	munmap(p, FILE_SIZE);
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
}

/*
 * align = 2M on extents the filesystem placed 2 MiB aligned: either the
 * device addresses are aligned too and every fault maps a PMD, or the
 * kernel refuses with EINVAL and says so.  Succeeding and then faulting
 * in 4 KiB pages is the bug.
 */
TEST_F(align, align_2m_refused_or_pmd_mapped)
{
	long long start = partition_start();
	bool dev_aligned = start <= 0 || start % SZ_2M == 0;
	unsigned char *p;
	long faults, ret;
	int kmsg;

	ASSERT_TRUE(fs_extents_2m_aligned(self->fd))
		TH_LOG("extents not 2 MiB aligned in the filesystem: "
		       "mkfs without stripe hints?");
	TH_LOG("filesystem at byte %lld of its device", start < 0 ? 0 : start);
	kmsg = kmsg_open();
	ret = daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, SZ_2M);
	if (ret == -EINVAL) {
		EXPECT_FALSE(dev_aligned)
			TH_LOG("align=2M refused on an aligned device");
		if (kmsg >= 0)
			EXPECT_TRUE(kmsg_says(kmsg, "daxctl", "not aligned"))
				TH_LOG("EINVAL without 'not aligned' in the log");
		goto out;
	}
	ASSERT_EQ(0, ret);
	p = map_aligned(self->fd, FILE_SIZE);
	ASSERT_NE(MAP_FAILED, p);
	faults = store_faults(p, FILE_SIZE);
	munmap(p, FILE_SIZE);
	TH_LOG("align=2M accepted: %ld faults for %lu pages (%lu PMDs)",
	       faults, FILE_SIZE / SZ_4K, FILE_SIZE / SZ_2M);
	EXPECT_GE(2 * (long)(FILE_SIZE / SZ_2M), faults)
		TH_LOG("align=2M accepted, but faults fall back to 4 KiB pages");
out:
	if (kmsg >= 0)
		close(kmsg);
}

/*
 * vm/run --partition: a partition at 1 MiB, a filesystem whose extents
 * are 2 MiB aligned inside it.  No run of this file is 2 MiB aligned on
 * the device, so align = 2M is EINVAL here, and align = 4K still works.
 */
TEST_F(align, on_1m_partition_2m_is_einval)
{
	long long start = partition_start();
	int kmsg;

	if (start < 0)
		SKIP_WITHOUT(MNT " is not on a partition (vm/run --partition)");
	if (start % SZ_2M == 0)
		SKIP_WITHOUT("the partition is 2 MiB aligned");
	ASSERT_TRUE(fs_extents_2m_aligned(self->fd));
	kmsg = kmsg_open();
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, SZ_2M));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	if (kmsg >= 0) {
		EXPECT_TRUE(kmsg_says(kmsg, "daxctl", "not aligned"));
		close(kmsg);
	}
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, SZ_4K));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
}

TEST_HARNESS_MAIN
