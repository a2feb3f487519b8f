// SPDX-License-Identifier: MIT
/* Description: daxfile_create never destroys an existing file, leaves no temporary behind on failure or a signal, and takes 255-byte names */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#include "test.h"

static char dir[256];

/* Entries of dir other than . and ..; the first one's name in *name. */
static int entries(char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	ASSERT(d, "opendir %s: %m", dir);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!n && name)
			snprintf(name, len, "%s", de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ASSERT(fd >= 0, "create %s: %m", path);
	ASSERT(write(fd, text, strlen(text)) == (ssize_t)strlen(text),
	       "write: %m");
	close(fd);
}

static bool holds(const char *path, const char *text)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n == (ssize_t)strlen(text) && !memcmp(buf, text, (size_t)n);
}

static void clear_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[600];

	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	if (d)
		closedir(d);
}

/* The repro: a late failure must leave the original as it was. */
static void replace_failure_keeps_original(void)
{
	struct daxfile_opts o = {
		.flags = DAXFILE_REPLACE | DAXFILE_REQUIRE_STATIC,
	};
	char path[300], name[300];
	struct daxfile *df;

	snprintf(path, sizeof(path), "%s/db", dir);
	put(path, "precious\n");
	errno = 0;
	df = daxfile_create(path, 4 << 20, &o);
	if (df) {
		/* Static-dax worked here: the replacement is legitimate. */
		daxfile_close(df);
		unlink(path);
		return;
	}
	EXPECT(errno != 0, "errno not set");
	EXPECT(holds(path, "precious\n"),
	       "the original is gone or changed after a failed --force: %s",
	       daxfile_errmsg());
	EXPECT(entries(name, sizeof(name)) == 1,
	       "%d entries after a failed replace (first: %s)",
	       entries(name, sizeof(name)), name);

	/* KEEP_ON_ERROR must not keep the failed file over the original. */
	o.flags |= DAXFILE_KEEP_ON_ERROR;
	EXPECT(!daxfile_create(path, 4 << 20, &o), "create worked");
	EXPECT(holds(path, "precious\n"),
	       "KEEP_ON_ERROR replaced the original");
	EXPECT(entries(NULL, 0) == 1, "%d entries", entries(NULL, 0));
	unlink(path);
}

/* A successful replace: one file, the new one. */
static void replace_success(void)
{
	struct daxfile_opts o = { .flags = DAXFILE_REPLACE };
	char path[300], name[300];
	struct daxfile *df;
	struct stat st;

	snprintf(path, sizeof(path), "%s/db", dir);
	put(path, "old\n");
	df = daxfile_create(path, 4 << 20, &o);
	ASSERT(df, "replace failed: %s", daxfile_errmsg());
	EXPECT(!stat(path, &st) && st.st_size == 4 << 20, "size %lld",
	       (long long)st.st_size);
	EXPECT(((char *)daxfile_addr(df))[0] == 0, "not zero-filled");
	EXPECT(entries(name, sizeof(name)) == 1 && !strcmp(name, "db"),
	       "%d entries (first: %s)", entries(name, sizeof(name)), name);
	daxfile_close(df);

	/* Replacing a name that does not exist is plain creation. */
	unlink(path);
	df = daxfile_create(path, 2 << 20, &o);
	EXPECT(df, "replace of a missing file failed: %s", daxfile_errmsg());
	daxfile_close(df);
	unlink(path);
}

/* A directory is EISDIR, with or without DAXFILE_REPLACE. */
static void directory(void)
{
	struct daxfile_opts o = { 0 };
	char path[300], slash[310];

	snprintf(path, sizeof(path), "%s/sub", dir);
	ASSERT(!mkdir(path, 0755), "mkdir: %m");
	errno = 0;
	EXPECT(!daxfile_create(path, 2 << 20, &o) && errno == EISDIR,
	       "errno %d (%s)", errno, daxfile_errmsg());
	o.flags = DAXFILE_REPLACE;
	errno = 0;
	EXPECT(!daxfile_create(path, 2 << 20, &o) && errno == EISDIR,
	       "REPLACE: errno %d (%s)", errno, daxfile_errmsg());
	snprintf(slash, sizeof(slash), "%s/", path);
	errno = 0;
	EXPECT(!daxfile_create(slash, 2 << 20, &o) && errno == EISDIR,
	       "trailing slash: errno %d (%s)", errno, daxfile_errmsg());
	EXPECT(!rmdir(path), "the directory was changed: %m");
	EXPECT(entries(NULL, 0) == 0, "%d entries", entries(NULL, 0));
}

/* NAME_MAX-long names need a temporary name that is not longer. */
static void long_names(void)
{
	static const int lens[] = { 248, 250, 255 };
	struct daxfile_opts o = { .flags = DAXFILE_REPLACE };
	char path[600];

	for (unsigned int i = 0; i < 3; i++) {
		struct daxfile *df;
		int n = snprintf(path, sizeof(path), "%s/", dir);

		memset(path + n, 'n', (size_t)lens[i]);
		path[n + lens[i]] = '\0';
		df = daxfile_create(path, 2 << 20, NULL);
		EXPECT(df, "%d-byte name: %s", lens[i], daxfile_errmsg());
		daxfile_close(df);
		df = daxfile_create(path, 2 << 20, &o);
		EXPECT(df, "%d-byte name, replace: %s", lens[i],
		       daxfile_errmsg());
		daxfile_close(df);
		unlink(path);
		EXPECT(entries(NULL, 0) == 0, "%d entries", entries(NULL, 0));
	}
}

/* The progress callback raises SIGINT: the process dies mid-create. */
static int interrupt(uint64_t done, uint64_t total, void *arg)
{
	(void)arg;
	if (done * 2 >= total)
		raise(SIGINT);
	return 0;
}

static void sigint_mid_fill(void)
{
	char path[300], name[300];
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/big", dir);
	pid = fork();
	ASSERT(pid >= 0, "fork: %m");
	if (!pid) {
		struct daxfile_opts o = {
			.progress = interrupt,
			.flags = DAXFILE_REPLACE,
		};

		signal(SIGINT, SIG_DFL);
		daxfile_create(path, 16 << 20, &o);
		_exit(3);
	}
	ASSERT(waitpid(pid, &status, 0) == pid, "waitpid: %m");
	EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT,
	       "status 0x%x", status);
	EXPECT(entries(name, sizeof(name)) == 0,
	       "%d entries after SIGINT (first: %s)",
	       entries(name, sizeof(name)), name);
}

/*
 * SIGINT at random moments of many creates (and replaces): afterwards the
 * directory holds the target, complete, or nothing, never a temporary.
 */
static void sigint_anywhere(void)
{
	char path[300], name[300];
	unsigned int leftovers = 0, killed = 0;
	struct timespec t0, t1;
	long span_ns;

	snprintf(path, sizeof(path), "%s/r", dir);
	/* How long does one create take here? */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	daxfile_close(daxfile_create(path, 4 << 20, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	span_ns = (t1.tv_sec - t0.tv_sec) * 1000000000L +
		  (t1.tv_nsec - t0.tv_nsec);
	span_ns = span_ns < 100000 ? 100000 :
		  span_ns > 400000000 ? 400000000 : span_ns;
	for (int i = 0; i < 150; i++) {
		/* Spread the signal over the whole create: a cheap LCG. */
		uint32_t r = (uint32_t)(getpid() + i) * 1103515245U + 12345U;
		struct timespec d = { 0, (long)(r % (uint32_t)(span_ns * 2)) };
		int status;
		pid_t pid = fork();

		ASSERT(pid >= 0, "fork: %m");
		if (!pid) {
			struct daxfile_opts o = { .flags = DAXFILE_REPLACE };

			signal(SIGINT, SIG_DFL);
			for (;;)
				daxfile_close(daxfile_create(path, 4 << 20,
							     &o));
		}
		nanosleep(&d, NULL);
		kill(pid, SIGINT);
		waitpid(pid, &status, 0);
		killed += WIFSIGNALED(status);
		for (int n = entries(name, sizeof(name)); n; n = 0) {
			struct stat st;

			if (n == 1 && !strcmp(name, "r") && !stat(path, &st) &&
			    st.st_size == 4 << 20)
				break;
			if (leftovers++ < 5)
				fprintf(stderr, "# round %d: %d entries, first %s\n",
					i, n, name);
			clear_dir();	/* start the next round clean */
		}
	}
	EXPECT(!leftovers, "%u of 150 interrupted creates left files behind",
	       leftovers);
	EXPECT(killed > 100, "only %u of 150 children died by SIGINT", killed);
	unlink(path);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/daxfile-replace-XXXXXX",
		 t_scratch_dir());
	ASSERT(mkdtemp(dir), "mkdtemp: %m");
	replace_failure_keeps_original();
	replace_success();
	directory();
	long_names();
	sigint_mid_fill();
	sigint_anywhere();
	EXPECT(!rmdir(dir), "rmdir %s: %m", dir);
	return t_result();
}
