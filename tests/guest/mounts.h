/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The filesystem the in-VM tests run on, as /proc/mounts has it.  Apart
 * from daxctl_test.h so that a test of libdaxfile, whose path-only daxctl()
 * clashes with the raw one there, can use it too.
 */
#ifndef GUEST_MOUNTS_H
#define GUEST_MOUNTS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifndef MNT
#define MNT		"/mnt/pmem"
#endif

/*
 * The device, type and options of the filesystem on MNT, from
 * /proc/mounts (the last mount there); any of them may be NULL.
 */
static inline bool mount_entry(char *dev, size_t devlen, char *type,
			       size_t tlen, char *opts, size_t olen)
{
	char line[1024], d[256], m[256], t[64], o[512];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%255s %255s %63s %511s", d, m, t, o) == 4 &&
		    !strcmp(m, MNT)) {
			if (dev)
				snprintf(dev, devlen, "%s", d);
			if (type)
				snprintf(type, tlen, "%s", t);
			if (opts)
				snprintf(opts, olen, "%s", o);
			found = true;
		}
	fclose(f);
	return found;
}

/* The device and type of the filesystem on MNT. */
static inline bool mount_source(char *dev, size_t devlen, char *type,
				size_t tlen)
{
	return mount_entry(dev, devlen, type, tlen, NULL, 0);
}

#endif /* GUEST_MOUNTS_H */
