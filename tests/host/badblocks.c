// SPDX-License-Identifier: MIT
/*
 * Description: daxfile_badblocks() maps a made-up sysfs badblocks list
 * (whole disk and partition) through the file's real FIEMAP extents
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "test.h"

#define FILE_SIZE	(256U << 10)

struct first_ext {
	uint64_t	offset, physical, length;
	bool		found;
};

static int first_extent(const struct daxfile_extent *e, void *arg)
{
	struct first_ext *f = arg;

	if (f->found || (e->problems & (DAXFILE_EXT_HOLE |
					DAXFILE_EXT_DELALLOC |
					DAXFILE_EXT_NOT_MAPPED)))
		return 0;
	f->offset = e->offset;
	f->physical = e->physical;
	f->length = e->length;
	f->found = true;
	return 0;
}

#define MAX_GOT	8
struct got {
	struct daxfile_badblock	bb[MAX_GOT];
	int			n, stop_after;
};

static int collect(const struct daxfile_badblock *bb, void *arg)
{
	struct got *g = arg;

	if (g->n < MAX_GOT)
		g->bb[g->n] = *bb;
	g->n++;
	return g->stop_after && g->n >= g->stop_after;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ASSERT(f, "create %s: %m", path);
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	const char *dir = getenv("DAXFILE_TEST_FIEMAP_DIR");
	char path[300], root[300], dev[400], p[500], text[256];
	struct first_ext fe = { 0 };
	struct got g;
	struct stat st;
	uint64_t sec;
	char *buf;
	int fd, n;

	/* FIEMAP needs a real filesystem: not /dev/shm. */
	snprintf(path, sizeof(path), "%s/daxfile-bb-%d", dir ? dir : "/var/tmp",
		 getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		fprintf(stderr, "# cannot create %s: %m\n", path);
		return T_SKIP;
	}
	unlink(path);
	buf = malloc(FILE_SIZE);
	ASSERT(buf, "malloc");
	memset(buf, 'x', FILE_SIZE);
	ASSERT(write(fd, buf, FILE_SIZE) == FILE_SIZE && !fsync(fd),
	       "write: %m");
	ASSERT(!fstat(fd, &st), "fstat");
	if (daxfile_check(fd, 0, first_extent, &fe) < 0 || !fe.found ||
	    !major(st.st_dev)) {
		fprintf(stderr, "# no FIEMAP extents on %s (%s); set DAXFILE_TEST_FIEMAP_DIR\n",
			path, daxfile_errmsg());
		free(buf);
		return T_SKIP;
	}
	if (fe.length < 3 * 4096ULL || fe.physical % 512) {
		fprintf(stderr, "# first extent too short\n");
		free(buf);
		return T_SKIP;
	}

	/* A whole disk: sectors are the filesystem's own. */
	snprintf(root, sizeof(root), "%s/daxfile-bbroot-XXXXXX",
		 t_scratch_dir());
	ASSERT(mkdtemp(root), "mkdtemp: %m");
	ASSERT(setenv("DAXFILE_SYSFS_ROOT", root, 1) == 0, "setenv");
	errno = 0;
	EXPECT(daxfile_badblocks(fd, NULL, NULL) == -1 && errno == ENODEV,
	       "no device directory: errno %d", errno);
	EXPECT(strstr(daxfile_errmsg(), "not on a block device"), "%s",
	       daxfile_errmsg());
	snprintf(p, sizeof(p), "%s/dev", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dev/block", root);
	mkdir(p, 0755);
	snprintf(dev, sizeof(dev), "%s/dev/block/%u:%u", root,
		 major(st.st_dev), minor(st.st_dev));
	ASSERT(!mkdir(dev, 0755), "mkdir %s: %m", dev);
	errno = 0;
	EXPECT(daxfile_badblocks(fd, NULL, NULL) == -1 && errno == EOPNOTSUPP,
	       "no list: errno %d", errno);

	snprintf(p, sizeof(p), "%s/badblocks", dev);
	put(p, "");
	EXPECT(daxfile_badblocks(fd, NULL, NULL) == 0, "empty list: %s",
	       daxfile_errmsg());

	/* File bytes 8192..12287 bad, plus sector 0, never file data. */
	sec = (fe.physical + 8192) / 512;
	snprintf(text, sizeof(text), "0 8\n%" PRIu64 " 8\n", sec);
	put(p, text);
	memset(&g, 0, sizeof(g));
	n = daxfile_badblocks(fd, collect, &g);
	EXPECT(n == 1 && g.n == 1, "whole disk: %d ranges (%s)", n,
	       daxfile_errmsg());
	EXPECT(g.bb[0].offset == fe.offset + 8192 && g.bb[0].length == 4096 &&
	       g.bb[0].sector == sec,
	       "got offset %" PRIu64 " length %" PRIu64 " sector %" PRIu64,
	       g.bb[0].offset, g.bb[0].length, g.bb[0].sector);

	/* A range that starts before the file's extent is clipped to it. */
	snprintf(text, sizeof(text), "%" PRIu64 " %" PRIu64 "\n",
		 fe.physical / 512 - 4, (uint64_t)4 + 2);
	put(p, text);
	memset(&g, 0, sizeof(g));
	n = daxfile_badblocks(fd, collect, &g);
	EXPECT(n == 1 && g.bb[0].offset == fe.offset &&
	       g.bb[0].length == 1024, "clipped: %d, %" PRIu64 "+%" PRIu64, n,
	       g.bb[0].offset, g.bb[0].length);

	/* Two ranges; the callback may stop after the first. */
	snprintf(text, sizeof(text), "%" PRIu64 " 1\n%" PRIu64 " 1\n",
		 (fe.physical + 4096) / 512, (fe.physical + 8192) / 512);
	put(p, text);
	memset(&g, 0, sizeof(g));
	g.stop_after = 1;
	n = daxfile_badblocks(fd, collect, &g);
	EXPECT(g.n == 1 && n == 1, "stop: %d calls, returned %d", g.n, n);
	EXPECT(daxfile_badblocks(fd, NULL, NULL) == 2, "two ranges");

	put(p, "garbage\n");
	errno = 0;
	EXPECT(daxfile_badblocks(fd, NULL, NULL) == -1 && errno == EIO,
	       "garbage list: errno %d", errno);

	/* A partition: the list is its disk's, in the disk's sectors. */
	snprintf(p, sizeof(p), "%s/partition", dev);
	put(p, "1\n");
	snprintf(p, sizeof(p), "%s/start", dev);
	put(p, "2048\n");
	snprintf(p, sizeof(p), "%s/size", dev);
	put(p, "999999999999\n");
	snprintf(p, sizeof(p), "%s/dev/block/badblocks", root);
	snprintf(text, sizeof(text), "%" PRIu64 " 8\n", sec + 2048);
	put(p, text);
	memset(&g, 0, sizeof(g));
	n = daxfile_badblocks(fd, collect, &g);
	EXPECT(n == 1 && g.bb[0].offset == fe.offset + 8192 &&
	       g.bb[0].length == 4096 && g.bb[0].sector == sec + 2048,
	       "partition: %d, %" PRIu64 "+%" PRIu64 " sector %" PRIu64
	       " (%s)", n, g.bb[0].offset, g.bb[0].length, g.bb[0].sector,
	       daxfile_errmsg());
	/* Before the partition's start: another partition's problem. */
	snprintf(text, sizeof(text), "%d 8\n", 1000);
	put(p, text);
	EXPECT(daxfile_badblocks(fd, NULL, NULL) == 0, "outside partition");

	close(fd);
	fd = open(root, O_RDONLY | O_DIRECTORY);
	errno = 0;
	EXPECT(daxfile_badblocks(fd, NULL, NULL) == -1 && errno == EINVAL,
	       "directory: errno %d", errno);
	close(fd);
	errno = 0;
	EXPECT(daxfile_badblocks(-1, NULL, NULL) == -1 && errno == EBADF,
	       "bad fd: errno %d", errno);

	snprintf(p, sizeof(p), "rm -rf %s", root);
	EXPECT(!system(p), "cleanup");	/* NOLINT(cert-env33-c) */
	free(buf);
	return t_result();
}
