// SPDX-License-Identifier: MIT
/*
 * Description: libdaxfile never destroys a user's file on a kernel with
 * daxctl: DAXFILE_REPLACE over static files (free and mapped), failures
 * and signals during create, 255-byte names, and daxfile_fill() and
 * daxfile_convert() keeping every byte.  Runs on /mnt/pmem.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfile.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"

#define MNT		"/mnt/pmem"
#define SIZE		(8UL << 20)

FIXTURE(safety)
{
	char	dir[128];
	char	path[512];
};

FIXTURE_SETUP(safety)
{
	if (daxctl(MNT, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel has no daxctl");
	snprintf(self->dir, sizeof(self->dir), MNT "/safety-%d", getpid());
	ASSERT_EQ(0, mkdir(self->dir, 0755));
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
}

FIXTURE_TEARDOWN(safety)
{
	DIR *d = opendir(self->dir);
	struct dirent *de;
	char p[1024];

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", self->dir, de->d_name);
		daxctl(p, 0, 0);
		unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(self->dir);
}

/* Entries in dir; the first one's name in *first. */
static int entries(const char *dir, char *first, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!n++ && first)
			snprintf(first, len, "%s", de->d_name);
	}
	closedir(d);
	return n;
}

static struct daxfile *create(const char *path, unsigned int flags)
{
	struct daxfile_opts o = { .align = 4096, .flags = flags };

	return daxfile_create(path, SIZE, &o);
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* Replacing a static file: the exchange, then disable and unlink. */
TEST_F(safety, replace_static)
{
	struct daxfile *df = create(self->path, DAXFILE_REQUIRE_STATIC);
	char name[300];
	ino_t old;

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	daxfile_close(df);
	old = ino_of(self->path);
	df = create(self->path, DAXFILE_REQUIRE_STATIC | DAXFILE_REPLACE);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXFILE_MODE_STATIC, daxfile_mode(df));
	EXPECT_NE(old, ino_of(self->path));
	EXPECT_EQ(1, entries(self->dir, name, sizeof(name)))
		TH_LOG("first entry %s", name);
	daxfile_close(df);
}

/*
 * The static original is mapped writable (by this process here): it
 * cannot be disabled, so the replace fails with EBUSY and puts it back,
 * still static, with its data.
 */
TEST_F(safety, replace_mapped_static_keeps_it)
{
	struct daxfile *df = create(self->path, DAXFILE_REQUIRE_STATIC);
	struct daxfile *df2;
	char name[300];
	ino_t old;

	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	memcpy(daxfile_addr(df), "precious", 8);
	ASSERT_EQ(0, daxfile_persist(daxfile_addr(df), 8));
	old = ino_of(self->path);
	df2 = create(self->path, DAXFILE_REPLACE);
	EXPECT_EQ(NULL, df2);
	EXPECT_EQ(EBUSY, errno) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(old, ino_of(self->path));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl(self->path, DAXCTL_F_GET, 0));
	EXPECT_EQ(1, entries(self->dir, name, sizeof(name)))
		TH_LOG("first entry %s", name);
	daxfile_close(df2);
	daxfile_close(df);
	df = daxfile_open(self->path, DAXFILE_RDONLY);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(0, memcmp(daxfile_addr(df), "precious", 8));
	daxfile_close(df);
}

static int cancel_half(uint64_t done, uint64_t total, void *arg)
{
	return done * 2 >= total;
}

/* A failure after the fill began leaves an ordinary original as it was. */
TEST_F(safety, failed_replace_keeps_original)
{
	struct daxfile_opts o = {
		.align = 4096, .flags = DAXFILE_REPLACE,
		.progress = cancel_half,
	};
	char buf[16] = "";
	int fd;

	fd = open(self->path, O_CREAT | O_WRONLY, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(9, write(fd, "precious\n", 9));
	close(fd);
	EXPECT_EQ(NULL, daxfile_create(self->path, SIZE, &o));
	EXPECT_EQ(ECANCELED, errno);
	fd = open(self->path, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(9, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "precious\n", 9));
	close(fd);
	EXPECT_EQ(1, entries(self->dir, NULL, 0));
}

/* NAME_MAX names, made static. */
TEST_F(safety, name_max)
{
	struct daxfile *df;
	int n = snprintf(self->path, sizeof(self->path), "%s/", self->dir);

	memset(self->path + n, 'x', 255);
	self->path[n + 255] = '\0';
	df = create(self->path, DAXFILE_REQUIRE_STATIC);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	daxfile_close(df);
	df = create(self->path, DAXFILE_REQUIRE_STATIC | DAXFILE_REPLACE);
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	daxfile_close(df);
	EXPECT_EQ(1, entries(self->dir, NULL, 0));
}

/* SIGINT while a large file is filled: nothing is left. */
TEST_F(safety, sigint_mid_fill)
{
	char name[300] = "";
	int status, n;
	pid_t pid = fork();

	ASSERT_LE(0, pid);
	if (!pid) {
		struct daxfile_opts o = { .align = 4096 };

		signal(SIGINT, SIG_DFL);
		daxfile_create(self->path, 256UL << 20, &o);
		_exit(0);
	}
	usleep(300 * 1000);
	kill(pid, SIGINT);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	if (WIFEXITED(status))
		TH_LOG("the create finished before the signal");
	else
		EXPECT_EQ(SIGINT, WTERMSIG(status));
	/* Either the whole file or nothing, never a temporary. */
	n = entries(self->dir, name, sizeof(name));
	EXPECT_TRUE(n == 0 || (n == 1 && !strcmp(name, "f")))
		TH_LOG("%d entries, first %s", n, name);
}

static int make_sparse(const char *path, unsigned char *want)
{
	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0640);

	if (fd < 0)
		return -1;
	memset(want, 0, SIZE);
	for (size_t i = 0; i < (1UL << 20); i++)
		want[i] = (unsigned char)(i * 13 + 5);
	for (size_t i = 6UL << 20; i < SIZE; i++)
		want[i] = (unsigned char)(i * 7 + 3);
	if (ftruncate(fd, SIZE) ||
	    pwrite(fd, want, 1UL << 20, 0) != 1L << 20 ||
	    fallocate(fd, 0, 2UL << 20, 2UL << 20) ||
	    pwrite(fd, want + (6UL << 20), 2UL << 20, 6UL << 20) !=
	    2L << 20 || fsync(fd))
		return -1;
	close(fd);
	return 0;
}

static int same(const char *path, const unsigned char *want)
{
	struct daxfile *df = daxfile_open(path, DAXFILE_RDONLY);
	int ret;

	if (!df)
		return -1;
	ret = daxfile_size(df) == SIZE &&
	      !memcmp(daxfile_addr(df), want, SIZE);
	daxfile_close(df);
	return ret;
}

/* fill: holes and unwritten extents become written zeroes; static. */
TEST_F(safety, fill_keeps_data)
{
	unsigned char *want = malloc(SIZE);
	int fd;

	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, make_sparse(self->path, want));
	fd = open(self->path, O_RDWR);
	ASSERT_LE(0, fd);
	EXPECT_LT(0, daxfile_check(fd, 0, NULL, NULL));
	EXPECT_EQ(0, daxfile_fill(fd, 0)) TH_LOG("%s", daxfile_errmsg());
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_fd(fd, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxfile_check(fd, 0, NULL, NULL));
	close(fd);
	EXPECT_EQ(1, same(self->path, want));
	free(want);
}

/* convert: a new inode, static, same bytes, same mode. */
TEST_F(safety, convert_keeps_data)
{
	unsigned char *want = malloc(SIZE);
	struct daxfile_opts o = { .flags = DAXFILE_REQUIRE_STATIC };
	struct stat st;
	ino_t old;

	ASSERT_NE(NULL, want);
	ASSERT_EQ(0, make_sparse(self->path, want));
	old = ino_of(self->path);
	EXPECT_EQ(0, daxfile_convert(self->path, &o))
		TH_LOG("%s", daxfile_errmsg());
	EXPECT_NE(old, ino_of(self->path));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl(self->path, DAXCTL_F_GET, 0));
	ASSERT_EQ(0, stat(self->path, &st));
	EXPECT_EQ(0640, st.st_mode & 07777);
	EXPECT_EQ(1, same(self->path, want));
	EXPECT_EQ(1, entries(self->dir, NULL, 0));
	/* Converting a static file replaces it too. */
	old = ino_of(self->path);
	EXPECT_EQ(0, daxfile_convert(self->path, &o))
		TH_LOG("%s", daxfile_errmsg());
	EXPECT_NE(old, ino_of(self->path));
	EXPECT_EQ(1, same(self->path, want));
	free(want);
}

TEST_HARNESS_MAIN
