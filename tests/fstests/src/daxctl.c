// SPDX-License-Identifier: GPL-2.0
/*
 * daxctl: a thin command-line front end to the daxctl(2) system call, for
 * the static-dax fstests (tests/daxfile).  It prints nothing on success
 * except the state for "get", and "daxctl: <strerror>" on failure, so the
 * tests' golden output is the errno and nothing else.
 *
 *   daxctl get PATH               print "static" or "not static"
 *   daxctl static [-a ALIGN] PATH make PATH static
 *   daxctl clear PATH             make PATH an ordinary file again
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_daxctl
#define __NR_daxctl		500
#endif
#define DAXCTL_F_GET		(1U << 0)
#define DAXCTL_F_STATIC		(1U << 2)

static void usage(void)
{
	fprintf(stderr,
		"usage: daxctl get PATH | static [-a ALIGN] PATH | clear PATH\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int flags, align = 0;
	const char *cmd, *path;
	long ret;
	int i = 2;

	if (argc < 3)
		usage();
	cmd = argv[1];
	if (!strcmp(cmd, "static") && !strcmp(argv[2], "-a")) {
		if (argc < 5)
			usage();
		align = strtoul(argv[3], NULL, 0);
		i = 4;
	}
	if (i != argc - 1)
		usage();
	path = argv[i];

	if (!strcmp(cmd, "get"))
		flags = DAXCTL_F_GET;
	else if (!strcmp(cmd, "static"))
		flags = DAXCTL_F_STATIC;
	else if (!strcmp(cmd, "clear"))
		flags = 0;
	else
		usage();

	ret = syscall(__NR_daxctl, AT_FDCWD, path, flags, align);
	if (ret < 0) {
		fprintf(stderr, "daxctl: %s\n", strerror(errno));
		return 1;
	}
	if (flags == DAXCTL_F_GET)
		printf("%s\n", (ret & DAXCTL_F_STATIC) ? "static" : "not static");
	return 0;
}
