// SPDX-License-Identifier: MIT
/* Description: MSYNC mode end to end on a page-cache file: create, persist, reopen, read-only, errors */
#include <fcntl.h>
#include <sys/stat.h>

#include "test.h"

static char path[300];

static void create_and_write(void)
{
	struct daxfile *df = daxfile_create(path, 4 << 20, NULL);
	char *p;

	ASSERT(df, "create %s: %s", path, daxfile_errmsg());
	EXPECT(daxfile_mode(df) == DAXFILE_MODE_MSYNC, "mode %s",
	       daxfile_mode_name(daxfile_mode(df)));
	EXPECT(daxfile_size(df) == 4 << 20, "size");
	p = daxfile_addr(df);
	EXPECT(((uintptr_t)p & ((2 << 20) - 1)) == 0, "map %p not 2 MiB aligned",
	       (void *)p);
	EXPECT(p[0] == 0 && p[(4 << 20) - 1] == 0, "not zeroed");
	EXPECT(daxfile_memcpy_persist(p + 100, "hello", 5, 0) == p + 100,
	       "memcpy_persist: %s", daxfile_errmsg());
	EXPECT(daxfile_memset_persist(p + 8192, 'z', 10000,
				      DAXFILE_MEM_NODRAIN) == p + 8192,
	       "memset_persist: %s", daxfile_errmsg());
	memcpy(p + (3 << 20), "tail", 4);
	EXPECT(!daxfile_persist(p + (3 << 20), 4), "persist: %s",
	       daxfile_errmsg());
	EXPECT(!daxfile_close(df), "close: %s", daxfile_errmsg());
}

static void reopen(void)
{
	struct daxfile *df = daxfile_open(path, 0);
	char *p;

	ASSERT(df, "open: %s", daxfile_errmsg());
	p = daxfile_addr(df);
	EXPECT(!memcmp(p + 100, "hello", 5), "data lost");
	EXPECT(p[8192] == 'z' && p[8192 + 9999] == 'z', "memset lost");
	EXPECT(!memcmp(p + (3 << 20), "tail", 4), "tail lost");
	daxfile_close(df);

	df = daxfile_open(path, DAXFILE_RDONLY);
	ASSERT(df, "open rdonly: %s", daxfile_errmsg());
	p = daxfile_addr(df);
	EXPECT(!memcmp(p + 100, "hello", 5), "rdonly data");
	errno = 0;
	EXPECT(daxfile_persist(p, 10) == -1 && errno == EBADF,
	       "persist on read-only map: errno %d", errno);
	EXPECT(strstr(daxfile_errmsg(), "read-only"), "errmsg '%s'",
	       daxfile_errmsg());
	daxfile_close(df);
}

static void errors(void)
{
	struct daxfile_opts o = { 0 };
	char empty[320];
	int fd;

	errno = 0;
	EXPECT(!daxfile_create(path, 4 << 20, NULL) && errno == EEXIST,
	       "create over existing: errno %d", errno);
	o.flags = DAXFILE_REPLACE;
	struct daxfile *df = daxfile_create(path, 2 << 20, &o);
	EXPECT(df && daxfile_size(df) == 2 << 20, "replace: %s",
	       daxfile_errmsg());
	daxfile_close(df);

	o.flags = 1U << 30;
	errno = 0;
	EXPECT(!daxfile_create(path, 2 << 20, &o) && errno == EINVAL,
	       "bad create flags");
	o.flags = DAXFILE_REPLACE;
	o.align = 3 << 20;
	errno = 0;
	EXPECT(!daxfile_create(path, 6 << 20, &o) && errno == EINVAL,
	       "bad align");
	o.align = 0;
	o.resv2[1] = 1;
	errno = 0;
	EXPECT(!daxfile_create(path, 2 << 20, &o) && errno == EINVAL,
	       "reserved field");
	o.resv2[1] = 0;
	errno = 0;
	EXPECT(!daxfile_create(path, 3 << 20, &o) && errno == EINVAL &&
	       strstr(daxfile_errmsg(), "multiple"), "size not multiple: %s",
	       daxfile_errmsg());
	errno = 0;
	EXPECT(!daxfile_create(path, 0, &o) && errno == EINVAL, "size 0");
	errno = 0;
	EXPECT(!daxfile_open(path, 1U << 9) && errno == EINVAL,
	       "bad open flags");
	errno = 0;
	EXPECT(!daxfile_open("/nonexistent/x", 0) && errno == ENOENT,
	       "missing file: errno %d", errno);
	errno = 0;
	EXPECT(!daxfile_open("/", 0) && (errno == EISDIR || errno == EINVAL),
	       "directory: errno %d", errno);
	snprintf(empty, sizeof(empty), "%s.empty", path);
	fd = open(empty, O_CREAT | O_RDWR | O_TRUNC, 0600);
	ASSERT(fd >= 0, "create empty: %m");
	close(fd);
	errno = 0;
	EXPECT(!daxfile_open(empty, 0) && errno == EINVAL &&
	       strstr(daxfile_errmsg(), "empty"), "empty: %s",
	       daxfile_errmsg());
	unlink(empty);
	errno = 0;
	EXPECT(!daxfile_open(path, DAXFILE_REQUIRE_STATIC) &&
	       (errno == ENOSYS || errno == EOPNOTSUPP),
	       "REQUIRE_STATIC on page cache: errno %d", errno);
	EXPECT(strstr(daxfile_errmsg(), "required"), "errmsg '%s'",
	       daxfile_errmsg());
}

int main(void)
{
	snprintf(path, sizeof(path), "%s/daxfile-msync-%d", t_scratch_dir(),
		 getpid());
	create_and_write();
	reopen();
	errors();
	unlink(path);
	return t_result();
}
