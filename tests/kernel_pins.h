/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every long-term pin test needs, io_uring's and RDMA's alike:
 * whether the running kernel allows the pins on static-dax files (to tell
 * a kernel without the feature, where they skip, from one that refuses by
 * mistake), the control cases' plain fsdax file and pin attempt, and a
 * bounded wait for the kernel to notice an unpin.
 */
#ifndef DAXFILE_TESTS_KERNEL_PINS_H
#define DAXFILE_TESTS_KERNEL_PINS_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "daxfile.h"

/*
 * A kernel that refuses a static file's registration with EOPNOTSUPP
 * lacks the feature if it has no daxfile_longterm_pin() either; with the
 * function there, the refusal is a bug.
 */
static inline bool kernel_has_longterm_pins(void)
{
	char line[1024], name[512];
	bool found = false;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, " daxfile_longterm_pin") &&
			sscanf(line, "%*s %*s %511s", name) == 1 &&
			!strcmp(name, "daxfile_longterm_pin");
	fclose(f);
	return found;
}

/*
 * The kernel does not hear of an unpin: it looks for a file's pinned
 * pages every POLL_MS, and drops its record, with the inode and mount
 * references, once there are none.  So a disable or umount after the
 * last unpin is retried, every STEP_MS, for up to UNPIN_WAIT_MS: a bound
 * for correctness, not a speed check, generous because io_uring drops a
 * killed process's pins from a work item of its own (ib_uverbs when the
 * device file is released), and a TCG guest on a loaded host may not run
 * it for a while.
 */
#define POLL_MS		100
#define STEP_MS		50
#define UNPIN_WAIT_MS	30000

static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

static inline int disable(const char *path)
{
	return daxctl(path, 0, 0);
}

static inline int unmount(const char *dir)
{
	return umount(dir);
}

/*
 * Call @op(@arg) until it stops failing with EBUSY, for UNPIN_WAIT_MS at
 * most.  0 and the time it took in *@ms, or -errno.
 */
static inline int retry_while_busy(int (*op)(const char *),
				   const char *arg, long *ms)
{
	long start = now_ms();

	for (;;) {
		*ms = now_ms() - start;
		if (!op(arg))
			return 0;
		if (errno != EBUSY || *ms >= UNPIN_WAIT_MS)
			return -errno;
		usleep(STEP_MS * 1000);
	}
}

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

/*
 * Make the static file @path ordinary, and check that it is still a DAX
 * file: the control, which differs from a static file in that state
 * alone.  0, -errno, or -ENOTTY when the file is not DAX.
 */
static inline int make_plain_dax(const char *path)
{
	struct statx stx;

	if (daxctl(path, 0, 0) ||
	    statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx))
		return -errno;
	return stx.stx_attributes & STATX_ATTR_DAX ? 0 : -ENOTTY;
}

/* A way to pin a range and to let it go again: io_uring's or RDMA's. */
struct pinner {
	int	(*pin)(void *ctx, void *addr, size_t len);	/* 0 or -errno */
	void	(*unpin)(void *ctx);
	void	*ctx;
	const char *call;					/* for the log */
};

/*
 * Map @len bytes of @path with @flags (MAP_SHARED or MAP_PRIVATE), try
 * to pin the mapping, and say what the kernel answered: 0 or -errno.
 * Unpins and unmaps again either way.
 */
static inline int try_pin(const struct pinner *pn, const char *path,
			  size_t len, int flags, const char *what)
{
	void *p;
	int fd, ret;

	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (p == MAP_FAILED) {
		ret = -errno;
		close(fd);
		return ret;
	}
	ret = pn->pin(pn->ctx, p, len);
	printf("# %s on %s: %d (%s)\n", pn->call, what, ret, strerror(-ret));
	if (!ret)
		pn->unpin(pn->ctx);
	munmap(p, len);
	close(fd);
	return ret;
}

#endif
