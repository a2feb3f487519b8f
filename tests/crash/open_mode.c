// SPDX-License-Identifier: GPL-2.0
/*
 * open_mode [--require-static] PATH: print the mode daxfile_open(PATH)
 * gives this process ("mode static", ...), and why when it is not static.
 * The reboot test runs it as an unprivileged user after a reboot, and on
 * an asynchronous DAX device, where --require-static must fail.
 */
#include <stdio.h>
#include <string.h>

#include "daxfile.h"

int main(int argc, char **argv)
{
	unsigned int flags = 0;
	struct daxfile *df;

	if (argc == 3 && !strcmp(argv[1], "--require-static")) {
		flags = DAXFILE_REQUIRE_STATIC;
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: open_mode [--require-static] PATH\n");
		return 2;
	}
	df = daxfile_open(argv[1], flags);
	if (!df) {
		fprintf(stderr, "open_mode: %s: %s\n", argv[1],
			daxfile_errmsg());
		return 1;
	}
	printf("mode %s\n", daxfile_mode_name(daxfile_mode(df)));
	if (daxfile_mode_reason(df))
		printf("reason %s\n", daxfile_mode_reason(df));
	daxfile_close(df);
	return 0;
}
