// SPDX-License-Identifier: GPL-2.0
/*
 * first_enables FILE...: write each FILE (2 MiB, fsynced), then make them
 * all static at once, one process each.  On a new filesystem these are
 * its first enables, which race to set the static_dax feature.  Prints
 * "ok FILE" or "fail FILE: why" per file; exits 0 when every file is ok.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfile.h"

#define FILE_SIZE		(2U << 20)

static int write_file(const char *path)
{
	static char buf[FILE_SIZE];
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (fd < 0)
		return -1;
	memset(buf, 0x5a, sizeof(buf));
	if (pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
	    fsync(fd)) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int enable(const char *path, int go)
{
	char c;

	if (read(go, &c, 1) != 0) {	/* every process starts at once */
		printf("fail %s: barrier\n", path);
		return 1;
	}
	if (daxctl(path, DAXCTL_F_STATIC, 0)) {
		printf("fail %s: daxctl: %s\n", path, strerror(errno));
		return 1;
	}
	printf("ok %s\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	int go[2], i, status, ret = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: first_enables FILE...\n");
		return 1;
	}
	for (i = 1; i < argc; i++) {
		if (write_file(argv[i])) {
			printf("fail %s: write: %s\n", argv[i], strerror(errno));
			return 1;
		}
	}
	if (pipe(go))
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 1; i < argc; i++) {
		pid_t pid = fork();

		if (pid < 0)
			return 1;
		if (!pid) {
			close(go[1]);
			_exit(enable(argv[i], go[0]));
		}
	}
	close(go[0]);
	close(go[1]);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ret = 1;
	return ret;
}
