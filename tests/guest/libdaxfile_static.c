// SPDX-License-Identifier: MIT
/*
 * Description: libdaxfile in STATIC mode on a DAX mount: create, persist,
 * reopen, opening never enabling (DAXFILE_ENABLE does), unprivileged and
 * read-only opens, and the reasons given for files with holes or
 * unwritten extents.  Runs on /mnt/pmem.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfile.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "mounts.h"

#define SZ_2M		(2UL << 20)
#define FILE_SIZE	(8UL << 20)

FIXTURE(lib)
{
	char	path[128];
};

FIXTURE_SETUP(lib)
{
	snprintf(self->path, sizeof(self->path), MNT "/libdaxfile-%d",
		 getpid());
	if (daxctl(MNT, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel has no daxctl");
}

FIXTURE_TEARDOWN(lib)
{
	daxctl(self->path, 0, 0);
	unlink(self->path);
}

/* 4 KiB alignment: works on any mkfs. */
static struct daxfile *create_4k(const char *path, unsigned int flags)
{
	struct daxfile_opts o = { .align = 4096, .flags = flags };

	return daxfile_create(path, FILE_SIZE, &o);
}

TEST_F(lib, create_is_static_and_durable)
{
	struct daxfile *df = create_4k(self->path, DAXFILE_REQUIRE_STATIC);
	char *p;
	int fd;

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_STATIC, daxfile_mode(df));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl(self->path, DAXCTL_F_GET, 0));
	EXPECT_EQ(FILE_SIZE, daxfile_size(df));
	p = daxfile_addr(df);
	EXPECT_EQ(0, (uintptr_t)p & (SZ_2M - 1));
	EXPECT_EQ(p + 4000, daxfile_memcpy_persist(p + 4000, "static", 6, 0));
	EXPECT_EQ(p + 8192, daxfile_memset_persist(p + 8192, 0x5a, 1 << 20,
						   0));
	EXPECT_EQ(0, daxfile_persist(p, 16));
	/* The block map is frozen while static. */
	fd = daxfile_fd(df);
	EXPECT_EQ(-1, ftruncate(fd, FILE_SIZE / 2));
	EXPECT_EQ(ETXTBSY, errno);
	EXPECT_EQ(0, daxfile_close(df));

	df = daxfile_open(self->path, DAXFILE_REQUIRE_STATIC);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	p = daxfile_addr(df);
	EXPECT_EQ(0, memcmp(p + 4000, "static", 6));
	EXPECT_EQ(0x5a, p[8192 + (1 << 20) - 1]);
	EXPECT_EQ(0, daxfile_check(daxfile_fd(df), 4096, NULL, NULL));
	daxfile_close(df);
}

TEST_F(lib, create_2m_aligned)
{
	struct daxfile *df = daxfile_create(self->path, FILE_SIZE, NULL);

	if (!df && errno == EINVAL && strstr(daxfile_errmsg(), "aligned"))
		SKIP(return, "filesystem gave misaligned extents: %s",
		     daxfile_errmsg());
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_STATIC, daxfile_mode(df));
	EXPECT_EQ(0, daxfile_check(daxfile_fd(df), SZ_2M, NULL, NULL));
	daxfile_close(df);
}

/*
 * Opening never changes a file's state: a file made ordinary again opens in
 * MAP_SYNC mode and stays ordinary, saying how to make it static; only
 * DAXFILE_ENABLE makes it static again.
 */
TEST_F(lib, open_never_enables)
{
	struct daxfile *df = create_4k(self->path, 0);

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	/* Disabling while mapped shared-writable is refused. */
	EXPECT_EQ(-1, daxctl(self->path, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	daxfile_close(df);
	ASSERT_EQ(0, daxctl(self->path, 0, 0)) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(0, daxctl(self->path, DAXCTL_F_GET, 0));
	df = daxfile_open(self->path, 0);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_MAP_SYNC, daxfile_mode(df));
	EXPECT_NE(NULL, strstr(daxfile_mode_reason(df) ?: "", "daxfile enable"))
		TH_LOG("%s", daxfile_mode_reason(df));
	EXPECT_EQ(0, daxctl(self->path, DAXCTL_F_GET, 0));
	daxfile_close(df);
	/* Requiring static mode of it fails, and changes nothing either. */
	df = daxfile_open(self->path, DAXFILE_REQUIRE_STATIC);
	EXPECT_EQ(NULL, df);
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, daxctl(self->path, DAXCTL_F_GET, 0));
	daxfile_close(df);
}

TEST_F(lib, enable_flag_makes_it_static)
{
	struct daxfile *df = create_4k(self->path, 0);

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	daxfile_close(df);
	ASSERT_EQ(0, daxctl(self->path, 0, 0)) TH_LOG("%s", daxfile_errmsg());
	df = daxfile_open(self->path, DAXFILE_ENABLE | DAXFILE_REQUIRE_STATIC);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_STATIC, daxfile_mode(df));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl(self->path, DAXCTL_F_GET, 0));
	daxfile_close(df);
	/* Enabling needs a writable open. */
	errno = 0;
	EXPECT_EQ(NULL, daxfile_open(self->path, DAXFILE_ENABLE |
				     DAXFILE_RDONLY));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * A static file is static for whoever opens it: a process with no
 * capability at all gets STATIC mode, without enabling anything.
 */
TEST_F(lib, unprivileged_open_of_static_file_is_static)
{
	struct daxfile *df = create_4k(self->path, DAXFILE_REQUIRE_STATIC);
	int status;
	pid_t pid;

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	daxfile_close(df);
	ASSERT_EQ(0, chown(self->path, 4242, 4242));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* setuid() away from root drops every capability. */
		if (setgid(4242) || setuid(4242))
			_exit(100);
		df = daxfile_open(self->path, DAXFILE_REQUIRE_STATIC);
		if (!df) {
			fprintf(stderr, "# daxfile_open: %s\n", daxfile_errmsg());
			_exit(1);
		}
		memcpy(daxfile_addr(df), "user", 4);
		_exit(daxfile_persist(daxfile_addr(df), 4) ||
		      daxfile_mode(df) != DAXFILE_MODE_STATIC ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Mount MNT's filesystem again, with @opts. */
static bool remount_with(const char *opts)
{
	char dev[256], type[64];

	return mount_source(dev, sizeof(dev), type, sizeof(type)) &&
	       !umount(MNT) && !mount(dev, MNT, type, 0, opts);
}

/*
 * The state is kept on disk, so a static file can be met where it is not
 * DAX (mount -o dax=never).  Its map stays frozen, but its stores go to the
 * page cache and only msync makes them durable: not STATIC mode.
 */
TEST_F(lib, static_file_without_dax_is_msync_mode)
{
	const char *opts = getenv("DAXFILE_MOUNT_OPTIONS");
	struct daxfile *df = create_4k(self->path, 0);
	long state;
	int mode, persisted, require_errno;
	char reason[256] = "";

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	daxfile_close(df);
	if (!opts)
		SKIP(return, "not in a vm/run guest (DAXFILE_MOUNT_OPTIONS)");
	ASSERT_TRUE(remount_with("dax=never"));

	state = daxctl(self->path, DAXCTL_F_GET, 0);
	df = daxfile_open(self->path, 0);
	mode = df ? (int)daxfile_mode(df) : -1;
	if (df && daxfile_mode_reason(df))
		snprintf(reason, sizeof(reason), "%s", daxfile_mode_reason(df));
	/* Writeback to the frozen map must neither fail nor trip a backstop. */
	persisted = df ? daxfile_memset_persist(daxfile_addr(df), 0x5a, 4096, 0) !=
			 NULL : 0;
	daxfile_close(df);
	df = daxfile_open(self->path, DAXFILE_REQUIRE_STATIC);
	require_errno = df ? 0 : errno;
	daxfile_close(df);

	ASSERT_TRUE(remount_with(opts)) TH_LOG("cannot mount " MNT " -o %s again", opts);
	EXPECT_EQ(DAXCTL_F_STATIC, state);
	EXPECT_EQ(DAXFILE_MODE_MSYNC, mode);
	EXPECT_NE(NULL, strstr(reason, "not DAX")) TH_LOG("reason: %s", reason);
	EXPECT_TRUE(persisted);
	EXPECT_EQ(EOPNOTSUPP, require_errno);
}

TEST_F(lib, rdonly_open)
{
	struct daxfile *df = create_4k(self->path, 0);

	ASSERT_NE(NULL, df);
	daxfile_close(df);
	df = daxfile_open(self->path, DAXFILE_RDONLY);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_STATIC, daxfile_mode(df));
	EXPECT_EQ(-1, daxfile_persist(daxfile_addr(df), 8));
	EXPECT_EQ(EBADF, errno);
	daxfile_close(df);
	/* Not static and read-only: cannot be made static. */
	ASSERT_EQ(0, daxctl(self->path, 0, 0));
	df = daxfile_open(self->path, DAXFILE_RDONLY |
			  DAXFILE_REQUIRE_STATIC);
	EXPECT_EQ(NULL, df);
	daxfile_close(df);
}

/* PMDK's terms on a static map, and its own persist function. */
TEST_F(lib, granularity_and_persist_fn)
{
	struct daxfile *df = create_4k(self->path, DAXFILE_REQUIRE_STATIC);
	struct daxfile *ro;
	daxfile_persist_fn fn;
	char *p;

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(strcmp(daxfile_flush_variant(), "none") ?
		  DAXFILE_GRANULARITY_CACHE_LINE : DAXFILE_GRANULARITY_BYTE,
		  daxfile_granularity(df));
	fn = daxfile_get_persist_fn(df);
	ASSERT_NE(NULL, fn) TH_LOG("%s", daxfile_errmsg());
	p = daxfile_addr(df);
	memcpy(p + 4096, "persist_fn", 10);
	EXPECT_EQ(0, fn(p + 4096, 10));
	/* A read-only map of the same file: no function, and no store. */
	ro = daxfile_open(self->path, DAXFILE_RDONLY);
	ASSERT_NE(NULL, ro) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(NULL, daxfile_get_persist_fn(ro));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(NULL, daxfile_memcpy_persist(daxfile_addr(ro), "x", 1, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, memcmp((char *)daxfile_addr(ro) + 4096, "persist_fn", 10));
	/* The writable map's own function ignores the read-only one. */
	EXPECT_EQ(0, fn(p, 64));
	daxfile_close(ro);
	daxfile_close(df);
}

static int make_file(const char *path, bool hole)
{
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	char buf[4096];

	if (fd < 0)
		return -1;
	memset(buf, 1, sizeof(buf));
	if (hole) {
		if (ftruncate(fd, FILE_SIZE) ||
		    pwrite(fd, buf, sizeof(buf), 0) != sizeof(buf))
			return -1;
	} else if (fallocate(fd, 0, 0, FILE_SIZE)) {
		return -1;
	}
	fsync(fd);
	close(fd);
	return 0;
}

/*
 * An ineligible file degrades to MAP_SYNC, as it does on a kernel without
 * daxctl, and says why; only DAXFILE_REQUIRE_STATIC makes it an error.
 */
TEST_F(lib, hole_is_explained)
{
	struct daxfile *df;
	int fd;

	ASSERT_EQ(0, make_file(self->path, true));
	df = daxfile_open(self->path, DAXFILE_ENABLE | DAXFILE_REQUIRE_STATIC);
	EXPECT_EQ(NULL, df);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NE(NULL, strstr(daxfile_errmsg(), "hole at offset 0x1000"))
		TH_LOG("%s", daxfile_errmsg());
	daxfile_close(df);
	df = daxfile_open(self->path, DAXFILE_ENABLE);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_MAP_SYNC, daxfile_mode(df));
	ASSERT_NE(NULL, daxfile_mode_reason(df));
	EXPECT_NE(NULL, strstr(daxfile_mode_reason(df),
			       "hole at offset 0x1000"))
		TH_LOG("%s", daxfile_mode_reason(df));
	daxfile_close(df);
	fd = open(self->path, O_RDONLY);
	EXPECT_LT(0, daxfile_check(fd, 0, NULL, NULL));
	close(fd);
}

TEST_F(lib, unwritten_is_explained)
{
	struct daxfile *df;

	ASSERT_EQ(0, make_file(self->path, false));
	df = daxfile_open(self->path, DAXFILE_ENABLE | DAXFILE_REQUIRE_STATIC);
	EXPECT_EQ(NULL, df);
	EXPECT_EQ(EINVAL, errno);
	EXPECT_NE(NULL, strstr(daxfile_errmsg(), "is unwritten"))
		TH_LOG("%s", daxfile_errmsg());
	daxfile_close(df);
	df = daxfile_open(self->path, DAXFILE_ENABLE);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_MAP_SYNC, daxfile_mode(df));
	EXPECT_NE(NULL, strstr(daxfile_mode_reason(df) ?: "", "is unwritten"))
		TH_LOG("%s", daxfile_mode_reason(df));
	daxfile_close(df);
}

TEST_F(lib, create_refuses_existing)
{
	struct daxfile *df = create_4k(self->path, 0);

	ASSERT_NE(NULL, df);
	daxfile_close(df);
	EXPECT_EQ(NULL, create_4k(self->path, 0));
	EXPECT_EQ(EEXIST, errno);
	df = create_4k(self->path, DAXFILE_REPLACE);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_STATIC, daxfile_mode(df));
	daxfile_close(df);
}

/* Hidden entries in MNT: the old and the new temporary names. */
static int count_temporaries(void)
{
	char prefix[64];
	struct dirent *d;
	DIR *dir = opendir(MNT);
	int n = 0;

	if (!dir)
		return -1;
	snprintf(prefix, sizeof(prefix), ".libdaxfile-%d", getpid());
	while ((d = readdir(dir)))
		n += !strncmp(d->d_name, prefix, strlen(prefix)) ||
		     !strncmp(d->d_name, ".daxfile-", 9);
	closedir(dir);
	return n;
}

/*
 * Once static, no name of a file can be unlinked: create and replace must
 * name the file before they freeze it, or their temporary name stays.
 */
TEST_F(lib, create_leaves_no_temporary_name)
{
	struct daxfile *df = create_4k(self->path, DAXFILE_REQUIRE_STATIC);
	struct stat st;

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	ASSERT_EQ(0, fstat(daxfile_fd(df), &st));
	EXPECT_EQ(1, st.st_nlink);
	EXPECT_EQ(0, count_temporaries());
	daxfile_close(df);

	df = create_4k(self->path, DAXFILE_REQUIRE_STATIC | DAXFILE_REPLACE);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(0, count_temporaries());
	daxfile_close(df);
}

TEST_HARNESS_MAIN
