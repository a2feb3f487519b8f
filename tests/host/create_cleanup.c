// SPDX-License-Identifier: MIT
/* Description: a failed daxfile_create leaves no file and no temporary behind, unless DAXFILE_KEEP_ON_ERROR */
#include <dirent.h>
#include <sys/stat.h>

#include "test.h"

static int entries(const char *dir)
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

static int cancel_half(uint64_t done, uint64_t total, void *arg)
{
	(void)arg;
	return done * 2 >= total;
}

int main(void)
{
	struct daxfile_opts o = { 0 };
	struct daxfile *df;
	char dir[256], path[300];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/daxfile-cleanup-XXXXXX",
		 t_scratch_dir());
	ASSERT(mkdtemp(dir), "mkdtemp: %m");
	snprintf(path, sizeof(path), "%s/f", dir);

	/* DAXFILE_REQUIRE_STATIC fails late, after the file was filled. */
	o.flags = DAXFILE_REQUIRE_STATIC;
	errno = 0;
	df = daxfile_create(path, 4 << 20, &o);
	if (df) {	/* a kernel with daxctl, on a DAX mount */
		daxfile_close(df);
		unlink(path);
	} else {
		EXPECT(entries(dir) == 0, "%d files left after failure",
		       entries(dir));
		EXPECT(errno != 0, "errno not set");
	}

	/* A progress callback that gives up midway (DAX files only). */
	o.flags = 0;
	o.progress = cancel_half;
	errno = 0;
	df = daxfile_create(path, 16 << 20, &o);
	if (df) {	/* page-cache files are not zero-filled */
		daxfile_close(df);
		unlink(path);
	} else {
		EXPECT(errno == ECANCELED, "errno %d", errno);
		EXPECT(entries(dir) == 0, "%d files left after cancel",
		       entries(dir));
	}

	/* Too big for the filesystem. */
	o.progress = NULL;
	errno = 0;
	EXPECT(!daxfile_create(path, 1ULL << 50, &o), "1 PiB create worked");
	EXPECT(errno == ENOSPC || errno == EFBIG || errno == EINVAL,
	       "errno %d: %s", errno, daxfile_errmsg());
	EXPECT(entries(dir) == 0, "%d files left after ENOSPC", entries(dir));

	/* Keep on error: the failed file stays at its name for `check`. */
	o.flags = DAXFILE_KEEP_ON_ERROR;
	EXPECT(!daxfile_create(path, 1ULL << 50, &o), "1 PiB create worked");
	EXPECT(entries(dir) == 1 && !stat(path, &st),
	       "KEEP_ON_ERROR: %d entries", entries(dir));
	unlink(path);

	/* A directory that does not exist. */
	snprintf(path, sizeof(path), "%s/no/such/f", dir);
	errno = 0;
	EXPECT(!daxfile_create(path, 2 << 20, NULL) && errno == ENOENT,
	       "errno %d", errno);
	rmdir(dir);
	return t_result();
}
