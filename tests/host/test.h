/* SPDX-License-Identifier: MIT */
/*
 * Tiny helpers for the host tests.  Exit codes follow the project's
 * convention: 0 pass, 1 fail, 77 skip.
 */
#ifndef DAXFILE_TEST_H
#define DAXFILE_TEST_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfile.h"

#define T_PASS	0
#define T_FAIL	1
#define T_SKIP	77

static int t_failures;

/* Report and count a failed expectation, then go on. */
#define EXPECT(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, \
			#cond);						\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		t_failures++;						\
	}								\
} while (0)

/* A failed expectation that makes the rest of the test pointless. */
#define ASSERT(cond, ...) do {						\
	int t_before_ = t_failures;					\
	EXPECT(cond, __VA_ARGS__);					\
	if (t_failures != t_before_)					\
		exit(T_FAIL);						\
} while (0)

static inline int t_result(void)
{
	return t_failures ? T_FAIL : T_PASS;
}

/*
 * Variants are chosen at load time, so reach each one by running this
 * binary again with the environment variable set.  Returns the worst
 * result: any failure fails; all skipped skips.
 */
static inline int t_each_variant(char **argv, const char *var,
				 const char *const *values, unsigned int n)
{
	int passed = 0, failed = 0;

	for (unsigned int i = 0; i < n; i++) {
		pid_t pid = fork();
		int status;

		if (pid < 0)
			return T_FAIL;
		if (!pid) {
			setenv(var, values[i], 1);
			execv("/proc/self/exe", argv);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) < 0)
			return T_FAIL;
		if (WIFEXITED(status) && WEXITSTATUS(status) == T_PASS) {
			passed++;
		} else if (WIFEXITED(status) &&
			   WEXITSTATUS(status) == T_SKIP) {
			fprintf(stderr, "# %s=%s: skipped\n", var, values[i]);
		} else {
			fprintf(stderr, "FAIL: %s=%s: status 0x%x\n", var,
				values[i], status);
			failed++;
		}
	}
	if (failed)
		return T_FAIL;
	return passed ? T_PASS : T_SKIP;
}

/* A scratch directory for files: $DAXFILE_TEST_DIR, /dev/shm or /tmp. */
static inline const char *t_scratch_dir(void)
{
	const char *d = getenv("DAXFILE_TEST_DIR");

	if (d)
		return d;
	return access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
}

#endif /* DAXFILE_TEST_H */
