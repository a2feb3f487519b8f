// SPDX-License-Identifier: MIT
/*
 * Which parts of a file lie on bad media: the block device's badblocks
 * list (sysfs, "SECTOR COUNT" lines in 512-byte sectors of the whole
 * disk) mapped through the file's FIEMAP extents.  A partition's own
 * directory has no list; its disk's does, and the partition's "start"
 * turns disk sectors into the filesystem's offsets.
 *
 * DAXFILE_SYSFS_ROOT (default /sys) lets tests supply a made-up list.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

#define SECTOR		512ULL
#define MAX_RANGES	1024	/* the kernel keeps at most 512 */

struct bad_range {
	uint64_t	start;		/* bytes, from the filesystem's start */
	uint64_t	len;
	uint64_t	sector;		/* of the disk, as sysfs lists it */
};

struct bb_walk {
	struct bad_range	*r;
	unsigned int		n;
	daxfile_badblock_fn	fn;
	void			*arg;
	int			found;
	bool			stopped;
};

/* The whole of a small sysfs file, NUL-terminated; -1 with errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = 0, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1 &&
	       (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	if (n < 0 && !got) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

static bool read_u64(const char *path, uint64_t *v)
{
	char buf[64], *end;

	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	errno = 0;
	*v = strtoull(buf, &end, 10);
	return !errno && end != buf && (*end == '\n' || !*end);
}

/* Parse "SECTOR COUNT\n" lines, keeping what lies in [first, first+size). */
static int parse_list(const char *text, const char *path, uint64_t first,
		      uint64_t size, struct bad_range *r, unsigned int *n)
{
	const char *p = text;

	*n = 0;
	while (*p) {
		unsigned long long sec, cnt;
		uint64_t s, e;
		int used;

		if (sscanf(p, "%llu %llu%n", &sec, &cnt, &used) != 2) {
			daxfile__err(EIO, "%s: cannot read '%.40s'", path, p);
			return -1;
		}
		p += used;
		p += strcspn(p, "\n");
		if (*p)
			p++;
		/* Bytes of the disk, then clipped to the partition. */
		if (!cnt || sec > UINT64_MAX / SECTOR ||
		    cnt > (UINT64_MAX - sec * SECTOR) / SECTOR)
			continue;
		s = sec * SECTOR;
		e = s + cnt * SECTOR;
		if (e <= first || s >= first + size)
			continue;
		if (s < first)
			s = first;
		if (e > first + size)
			e = first + size;
		if (*n == MAX_RANGES) {
			daxfile__err(E2BIG, "%s: more than %d ranges", path,
				     MAX_RANGES);
			return -1;
		}
		r[*n].start = s - first;
		r[*n].len = e - s;
		r[*n].sector = s / SECTOR;
		(*n)++;
	}
	return 0;
}

static int on_extent(const struct daxfile_extent *ext, void *arg)
{
	struct bb_walk *w = arg;
	uint64_t p = ext->physical, pe = p + ext->length;

	if (ext->problems & (DAXFILE_EXT_HOLE | DAXFILE_EXT_DELALLOC |
			     DAXFILE_EXT_NOT_MAPPED))
		return 0;
	for (unsigned int i = 0; i < w->n; i++) {
		uint64_t s = w->r[i].start, e = s + w->r[i].len;
		struct daxfile_badblock bb;

		if (e <= p || s >= pe)
			continue;
		if (s < p)
			s = p;
		if (e > pe)
			e = pe;
		bb.offset = ext->offset + (s - p);
		bb.length = e - s;
		bb.sector = w->r[i].sector + (s - w->r[i].start) / SECTOR;
		w->found++;
		if (w->fn && w->fn(&bb, w->arg)) {
			w->stopped = true;
			return 1;
		}
	}
	return 0;
}

int daxfile_badblocks(int fd, daxfile_badblock_fn fn, void *arg)
{
	const char *root = secure_getenv("DAXFILE_SYSFS_ROOT");
	char dir[PATH_MAX], list[PATH_MAX + 32], *text = NULL;
	struct bb_walk w = { .fn = fn, .arg = arg };
	uint64_t first = 0, size = UINT64_MAX / 2;
	struct fsxattr fsx;
	struct stat st;
	int ret = -1;

	if (fstat(fd, &st)) {
		daxfile__err(errno, "fstat: %m");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		daxfile__err(EINVAL, "not a regular file");
		return -1;
	}
	/* A realtime file's blocks are on another device than st_dev. */
	if (!ioctl(fd, FS_IOC_FSGETXATTR, &fsx) &&
	    (fsx.fsx_xflags & FS_XFLAG_REALTIME)) {
		daxfile__err(EOPNOTSUPP,
			     "an xfs realtime file: its blocks are on the realtime device, whose list this does not read");
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/dev/block/%u:%u", root ? root : "/sys",
		 major(st.st_dev), minor(st.st_dev));
	if (access(dir, F_OK)) {
		daxfile__err(ENODEV,
			     "the filesystem is not on a block device (device %u:%u), so it has no bad blocks list",
			     major(st.st_dev), minor(st.st_dev));
		return -1;
	}
	snprintf(list, sizeof(list), "%s/partition", dir);
	if (!access(list, F_OK)) {
		snprintf(list, sizeof(list), "%s/start", dir);
		if (!read_u64(list, &first)) {
			daxfile__err(EIO, "cannot read %s", list);
			return -1;
		}
		snprintf(list, sizeof(list), "%s/size", dir);
		if (!read_u64(list, &size)) {
			daxfile__err(EIO, "cannot read %s", list);
			return -1;
		}
		first *= SECTOR;
		size *= SECTOR;
		snprintf(list, sizeof(list), "%s/../badblocks", dir);
	} else {
		snprintf(list, sizeof(list), "%s/badblocks", dir);
	}
	text = malloc(1 << 16);
	w.r = calloc(MAX_RANGES, sizeof(*w.r));
	if (!text || !w.r) {
		daxfile__err(ENOMEM, "out of memory");
		goto out;
	}
	if (read_small(list, text, 1 << 16) < 0) {
		if (errno == ENOENT)
			daxfile__err(EOPNOTSUPP,
				     "the device %u:%u keeps no bad blocks list (not pmem?)",
				     major(st.st_dev), minor(st.st_dev));
		else
			daxfile__err(errno, "%s: %m", list);
		goto out;
	}
	if (parse_list(text, list, first, size, w.r, &w.n))
		goto out;
	if (!w.n) {
		ret = 0;
		goto out;
	}
	/* The extents, holes and all; a FIEMAP error ends the walk. */
	if (daxfile_check(fd, 0, on_extent, &w) < 0 && !w.stopped)
		goto out;
	ret = w.found;
out:
	free(text);
	free(w.r);
	return ret;
}
