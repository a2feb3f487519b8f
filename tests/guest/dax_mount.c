// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the harness gives a real fsdax mount: files on /mnt/pmem
 * report STATX_ATTR_DAX, the mount says dax=always, and the namespace has
 * the 2 MiB alignment that PMD mappings need.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define MNT "/mnt/pmem"

FIXTURE(pmem) {
	char path[64];
};

FIXTURE_SETUP(pmem)
{
	int fd;

	snprintf(self->path, sizeof(self->path), MNT "/dax_mount.%d", getpid());
	fd = open(self->path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4096));
	close(fd);
}

FIXTURE_TEARDOWN(pmem)
{
	unlink(self->path);
}

TEST_F(pmem, file_reports_statx_attr_dax)
{
	struct statx stx;

	ASSERT_EQ(0, statx(AT_FDCWD, self->path, 0, STATX_BASIC_STATS, &stx));
	ASSERT_NE(0, stx.stx_attributes_mask & STATX_ATTR_DAX);
	EXPECT_NE(0, stx.stx_attributes & STATX_ATTR_DAX);
}

static int mount_has(const char *what)
{
	char line[512];
	FILE *f = fopen("/proc/mounts", "r");
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " " MNT " ") && strstr(line, what))
			found = 1;
	fclose(f);
	return found;
}

TEST(mount_is_dax_always)
{
	ASSERT_EQ(1, mount_has(" "));
	EXPECT_EQ(1, mount_has("dax=always"));
}

static long read_long(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtol(buf, NULL, 0);
}

/*
 * The kernel calls ndctl's fsdax mode "memory".  The block device's parent
 * is its pfn device, which holds the namespace alignment, and the pfn
 * device's parent is the region.
 */
TEST(namespace_is_2m_aligned_fsdax)
{
	const char *dev = getenv("DAXFILE_PMEM_DEV");
	char sys[128], ns[64] = "", mode[32] = "";
	FILE *f;

	ASSERT_NE(NULL, dev);
	dev = strrchr(dev, '/') + 1;
	snprintf(sys, sizeof(sys), "/sys/block/%s/device/namespace", dev);
	f = fopen(sys, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(ns, sizeof(ns), f));
	fclose(f);
	ns[strcspn(ns, "\n")] = '\0';
	snprintf(sys, sizeof(sys), "/sys/bus/nd/devices/%s/mode", ns);
	f = fopen(sys, "r");
	ASSERT_NE(NULL, f);
	ASSERT_NE(NULL, fgets(mode, sizeof(mode), f));
	fclose(f);
	EXPECT_STREQ("memory\n", mode);
	snprintf(sys, sizeof(sys), "/sys/block/%s/device/align", dev);
	EXPECT_EQ(2 << 20, read_long(sys));
	snprintf(sys, sizeof(sys), "/sys/block/%s/device/../align", dev);
	EXPECT_EQ(2 << 20, read_long(sys));
}

TEST_HARNESS_MAIN
