// SPDX-License-Identifier: MIT
/* Description: daxfile_convert and daxfile_fill keep every byte, and a failed convert leaves the original untouched */
#include <dirent.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "test.h"

#define SIZE	(6U << 20)

static char dir[256];

static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ASSERT(d, "opendir %s: %m", dir);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* A file with data, a hole and an unwritten (fallocated) range. */
static void make_file(const char *path, unsigned char *want)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);

	ASSERT(fd >= 0, "create: %m");
	memset(want, 0, SIZE);
	for (unsigned int i = 0; i < (1U << 20); i++)
		want[i] = (unsigned char)(i * 7 + 1);
	for (unsigned int i = 5U << 20; i < SIZE; i++)
		want[i] = (unsigned char)(i * 3 + 2);
	ASSERT(pwrite(fd, want, 1U << 20, 0) == 1 << 20, "write: %m");
	/* [1M, 3M) a hole, [3M, 5M) unwritten where fallocate works */
	fallocate(fd, 0, 3U << 20, 2U << 20);
	ASSERT(pwrite(fd, want + (5U << 20), 1U << 20, 5U << 20) == 1 << 20,
	       "write: %m");
	close(fd);
}

static bool same(const char *path, const unsigned char *want)
{
	static unsigned char got[SIZE];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = pread(fd, got, SIZE, 0);
	close(fd);
	return n == SIZE && !memcmp(got, want, SIZE);
}

static int count_holes(const struct daxfile_extent *e, void *arg)
{
	if (e->problems & (DAXFILE_EXT_HOLE | DAXFILE_EXT_UNWRITTEN))
		++*(int *)arg;
	return 0;
}

int main(void)
{
	static unsigned char want[SIZE];
	struct daxfile_opts o = { 0 };
	char path[300], sub[300];
	struct stat before, after;
	struct daxfile *df;
	int fd, holes = 0;

	snprintf(dir, sizeof(dir), "%s/daxfile-convert-XXXXXX",
		 t_scratch_dir());
	ASSERT(mkdtemp(dir), "mkdtemp: %m");
	snprintf(path, sizeof(path), "%s/pool", dir);

	/* A convert that must fail late leaves the very same inode. */
	make_file(path, want);
	ASSERT(!stat(path, &before), "stat: %m");
	o.flags = DAXFILE_REQUIRE_STATIC;
	errno = 0;
	if (daxfile_convert(path, &o)) {
		EXPECT(errno != 0, "errno not set");
		EXPECT(!stat(path, &after) && after.st_ino == before.st_ino,
		       "the original was replaced by a failed convert");
		EXPECT(same(path, want), "the original's data changed");
		EXPECT(entries() == 1, "%d entries", entries());
	}

	/* Unknown flags and a directory. */
	o.flags = DAXFILE_REPLACE;
	errno = 0;
	EXPECT(daxfile_convert(path, &o) && errno == EINVAL, "errno %d",
	       errno);
	snprintf(sub, sizeof(sub), "%s/d", dir);
	ASSERT(!mkdir(sub, 0700), "mkdir: %m");
	errno = 0;
	EXPECT(daxfile_convert(sub, NULL) && errno == EISDIR, "errno %d",
	       errno);
	rmdir(sub);

	/* Convert: same bytes, same mode, a new inode, nothing else. */
	EXPECT(!daxfile_convert(path, NULL), "convert: %s", daxfile_errmsg());
	EXPECT(same(path, want), "convert changed the data");
	EXPECT(!stat(path, &after) && (after.st_mode & 07777) == 0640 &&
	       after.st_size == SIZE, "mode %o size %lld",
	       after.st_mode & 07777, (long long)after.st_size);
	EXPECT(entries() == 1, "%d entries after convert", entries());
	df = daxfile_open(path, 0);
	EXPECT(df, "open: %s", daxfile_errmsg());
	if (df && daxfile_mode(df) != DAXFILE_MODE_STATIC)
		EXPECT(daxfile_mode_reason(df) &&
		       *daxfile_mode_reason(df), "no reason for mode %s",
		       daxfile_mode_name(daxfile_mode(df)));
	daxfile_close(df);
	fd = open(path, O_RDONLY);
	if (daxfile_check(fd, 0, count_holes, &holes) >= 0)
		EXPECT(!holes, "%d holes or unwritten extents after convert",
		       holes);
	close(fd);

	/* Fill: the holes go, the bytes stay (enabling may fail here). */
	make_file(path, want);
	fd = open(path, O_RDONLY);
	errno = 0;
	EXPECT(daxfile_fill(fd, 0) && errno == EBADF, "read-only fd: %d",
	       errno);
	close(fd);
	fd = open(path, O_RDWR);
	holes = 0;
	if (daxfile_check(fd, 0, count_holes, &holes) >= 0) {
		int ret = daxfile_fill(fd, 0);

		EXPECT(ret == 0 || errno == ENOSYS || errno == EOPNOTSUPP ||
		       errno == EPERM, "fill: %s", daxfile_errmsg());
		holes = 0;
		EXPECT(daxfile_check(fd, 0, count_holes, &holes) >= 0 &&
		       !holes, "%d holes left after fill", holes);
		if (!ret)
			daxctl_fd(fd, 0, 0);
	} else {
		fprintf(stderr, "# no FIEMAP here: %s\n", daxfile_errmsg());
	}
	close(fd);
	EXPECT(same(path, want), "fill changed the data");
	unlink(path);
	EXPECT(!rmdir(dir), "rmdir: %m");
	return t_result();
}
