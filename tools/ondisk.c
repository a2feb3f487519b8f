// SPDX-License-Identifier: MIT
/*
 * Read the static-dax feature bit from the superblock of the device a
 * file lives on.  Only the superblock's read-only-compatible feature word
 * is read; the kernel keeps it current on disk (the bit is set in the
 * same transaction as the first static file's flag).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ondisk.h"

/* The bits, offsets and byte orders of daxfile.rst's format section. */
#define EXT4_SB_OFFSET		1024
#define EXT4_RO_COMPAT_OFFSET	0x64		/* s_feature_ro_compat, le32 */
#define EXT4_RO_COMPAT_STATIC_DAX	0x80000000U
#define XFS_RO_COMPAT_OFFSET	0xd4		/* sb_features_ro_compat, be32 */
#define XFS_RO_COMPAT_STATIC_DAX	0x80000000U

/* The mount source of dev, from /proc/self/mountinfo; -1 if none. */
static int mount_source(dev_t dev, char *src, size_t len)
{
	char line[4096], source[4096], *sep;
	unsigned int maj, min;
	int found = -1;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	if (!f)
		return -1;
	while (found && fgets(line, sizeof(line), f)) {
		/* "id parent maj:min root mnt opts [tags] - type source ..." */
		if (sscanf(line, "%*u %*u %u:%u", &maj, &min) != 2 ||
		    makedev(maj, min) != dev)
			continue;
		sep = strstr(line, " - ");
		if (sep && sscanf(sep, " - %*s %4095s", source) == 1 &&
		    strlen(source) < len) {
			snprintf(src, len, "%s", source);
			found = 0;
		}
	}
	fclose(f);
	return found;
}

static int read_u32(const char *dev, off_t off, uint8_t b[4], char *why,
		    size_t len)
{
	int fd = open(dev, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(why, len, "cannot read the superblock of %s: %s",
			 dev, strerror(errno));
		return -1;
	}
	n = pread(fd, b, 4, off);
	close(fd);
	if (n != 4) {
		snprintf(why, len, "cannot read the superblock of %s: %s", dev,
			 n < 0 ? strerror(errno) : "short read");
		return -1;
	}
	return 0;
}

int ondisk_feature(dev_t dev, const char *fs, char *why, size_t len)
{
	char src[4096];
	uint8_t b[4];
	uint32_t v;

	why[0] = '\0';
	if (strcmp(fs, "ext4") && strcmp(fs, "xfs")) {
		snprintf(why, len, "%s has no static-dax feature bit", fs);
		return -1;
	}
	if (mount_source(dev, src, sizeof(src)) || src[0] != '/') {
		snprintf(why, len, "cannot find the device the file lives on");
		return -1;
	}
	if (!strcmp(fs, "ext4")) {
		if (read_u32(src, EXT4_SB_OFFSET + EXT4_RO_COMPAT_OFFSET, b,
			     why, len))
			return -1;
		v = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
		return !!(v & EXT4_RO_COMPAT_STATIC_DAX);
	}
	if (read_u32(src, XFS_RO_COMPAT_OFFSET, b, why, len))
		return -1;
	v = (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
	return !!(v & XFS_RO_COMPAT_STATIC_DAX);
}
