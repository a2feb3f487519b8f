// SPDX-License-Identifier: GPL-2.0
/*
 * Description: RDMA memory registration of static-DAX files (issue 13).
 * ibv_reg_mr() pins a region's pages with FOLL_LONGTERM, through
 * ib_umem_get(), as io_uring fixed buffers and VFIO do.  On the kernel's
 * software RoCE driver (rxe, over a dummy netdev: tests/rdma_loop.h) a
 * static file's MAP_SHARED mapping registers, and an RDMA WRITE from a
 * second queue pair lands in the file; a plain fsdax mapping and a private
 * one are refused with EOPNOTSUPP, as on stock 6.12.  Disabling fails with
 * EBUSY while the region is registered, also once the mapping is gone,
 * and works again after ibv_dereg_mr() or when the registrant dies;
 * umount fails with EBUSY while it lives, and works after.  Skips where
 * the kernel lacks the feature (the registration fails with EOPNOTSUPP
 * and there is no daxfile_longterm_pin in /proc/kallsyms) or was built
 * without RDMA; a soft-RoCE device that can't be set up is a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daxfile.h"
#include "../rdma_loop.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "mounts.h"

#define FILE_SIZE	(4UL << 20)
#define CHUNK		(64UL << 10)
#define MR_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE)

/*
 * @mr, ibv_reg_mr() of a static file's shared mapping, must not be NULL.
 * A kernel that refuses it as stock 6.12 does (EOPNOTSUPP) and has no
 * daxfile_longterm_pin() lacks the feature: skip, saying so.
 */
#define ASSERT_REGISTERED(mr) do {					\
	if (!(mr) && errno == EOPNOTSUPP && !kernel_has_longterm_pins()) \
		SKIP(return, "this kernel does not allow long-term pins "	\
		     "on static-dax files (EOPNOTSUPP, and no "		\
		     "daxfile_longterm_pin in /proc/kallsyms)");		\
	ASSERT_NE(NULL, (mr))						\
		TH_LOG("ibv_reg_mr: %s", strerror(errno));		\
} while (0)

struct reg {
	struct ibv_pd	*pd;
	struct ibv_mr	*mr;
};

static int pin_mr(void *ctx, void *addr, size_t len)
{
	struct reg *r = ctx;

	r->mr = ibv_reg_mr(r->pd, addr, len, MR_ACCESS);
	return r->mr ? 0 : -errno;
}

static void unpin_mr(void *ctx)
{
	ibv_dereg_mr(((struct reg *)ctx)->mr);
}

/* ibv_reg_mr() of a whole new mapping, for remote writes: 0 or -errno. */
static int try_reg_mr(struct ibv_pd *pd, const char *path, int flags,
		      const char *what)
{
	struct reg r = { .pd = pd };
	struct pinner pn = {
		.pin	= pin_mr,
		.unpin	= unpin_mr,
		.ctx	= &r,
		.call	= "ibv_reg_mr",
	};

	return try_pin(&pn, path, FILE_SIZE, flags, what);
}

FIXTURE(rdma) {
	char			path[128];	/* the static file */
	char			path2[160];	/* another, if a case made one */
	struct daxfile		*df;		/* path, mapped shared */
	struct rdma_loop	l;
	bool			open;
};

FIXTURE_SETUP(rdma)
{
	struct daxfile_opts o = {
		.align	= 4096,
		.flags	= DAXFILE_REQUIRE_STATIC,
	};

	snprintf(self->path, sizeof(self->path), MNT "/rdma-%d", getpid());
	if (!mount_source(NULL, 0, NULL, 0))
		SKIP(return, MNT " is not a mount point");
	if (daxctl(MNT, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel has no daxctl");
	if (rdma_loop_open(&self->l)) {
		if (self->l.no_rdma)
			SKIP(return, "kernel without RDMA (no /sys/class/"
			     "infiniband): %s", self->l.why);
		ASSERT_TRUE(false) TH_LOG("soft-RoCE: %s", self->l.why);
	}
	self->open = true;
	self->df = daxfile_create(self->path, FILE_SIZE, &o);
	ASSERT_NE(NULL, self->df) TH_LOG("%s", daxfile_errmsg());
}

FIXTURE_TEARDOWN(rdma)
{
	long ms;

	/* Closing the device deregisters whatever a failed case left. */
	if (self->open)
		rdma_loop_close(&self->l);
	daxfile_close(self->df);
	if (retry_while_busy(disable, self->path, &ms))
		TH_LOG("teardown: %s stays static: %s", self->path,
		       strerror(errno));
	unlink(self->path);
	if (self->path2[0] && !retry_while_busy(disable, self->path2, &ms))
		unlink(self->path2);
}

/* The control: what stock 6.12 does, and what must not change. */
TEST_F(rdma, plain_fsdax_shared_mapping_is_refused)
{
	int ret;

	/* The same file, made ordinary: only the static state differs. */
	daxfile_close(self->df);
	self->df = NULL;
	ret = make_plain_dax(self->path);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->path, strerror(-ret));
	EXPECT_EQ(-EOPNOTSUPP, try_reg_mr(self->l.pd, self->path, MAP_SHARED,
					  "a plain fsdax MAP_SHARED mapping"));
}

/* A private mapping's pages may be copied on write: no pin, as before. */
TEST_F(rdma, static_private_mapping_is_refused)
{
	EXPECT_EQ(-EOPNOTSUPP, try_reg_mr(self->l.pd, self->path, MAP_PRIVATE,
					  "a static file's MAP_PRIVATE mapping"));
}

/*
 * The region is the file: chunks RDMA-written from DRAM, last first,
 * land at their places in the mapping and, read back with pread(2), in
 * the file.
 */
TEST_F_TIMEOUT(rdma, rdma_write_lands_in_the_file, 120)
{
	unsigned char *p = daxfile_addr(self->df), *src, *got;
	struct ibv_mr *mr, *smr;
	size_t off;

	src = malloc(FILE_SIZE);
	got = malloc(CHUNK);
	ASSERT_NE(NULL, src);
	ASSERT_NE(NULL, got);
	for (off = 0; off < FILE_SIZE; off++)
		src[off] = (unsigned char)(off * 131 + off / CHUNK + 1);
	mr = ibv_reg_mr(self->l.pd, p, FILE_SIZE, MR_ACCESS);
	ASSERT_REGISTERED(mr);
	smr = ibv_reg_mr(self->l.pd, src, FILE_SIZE, 0);
	ASSERT_NE(NULL, smr) TH_LOG("ibv_reg_mr of DRAM: %s", strerror(errno));
	for (off = FILE_SIZE; off > 0; off -= CHUNK) {
		ASSERT_EQ(0, rdma_loop_write(&self->l, smr, src + off - CHUNK,
					     CHUNK,
					     (uintptr_t)(p + off - CHUNK),
					     mr->rkey))
			TH_LOG("%s", self->l.why);
		ASSERT_EQ(0, daxfile_persist(p + off - CHUNK, CHUNK));
	}
	EXPECT_EQ(0, memcmp(p, src, FILE_SIZE));
	for (off = 0; off < FILE_SIZE; off += CHUNK) {
		int fd = open(self->path, O_RDONLY);

		ASSERT_LE(0, fd);
		EXPECT_EQ((ssize_t)CHUNK, pread(fd, got, CHUNK, off));
		EXPECT_EQ(0, memcmp(got, src + off, CHUNK))
			TH_LOG("chunk at %zu of the file", off);
		close(fd);
	}
	EXPECT_EQ(0, ibv_dereg_mr(smr));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
	free(src);
	free(got);
}

/*
 * A region registered for local reads only is a pin without FOLL_WRITE:
 * it must hold the file as a writable one does.
 */
TEST_F_TIMEOUT(rdma, read_only_registration_pins_too, 120)
{
	struct ibv_mr *mr;
	long ms;

	mr = ibv_reg_mr(self->l.pd, daxfile_addr(self->df), FILE_SIZE, 0);
	ASSERT_REGISTERED(mr);
	daxfile_close(self->df);
	self->df = NULL;
	EXPECT_EQ(-1, daxctl(self->path, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_EQ(0, retry_while_busy(disable, self->path, &ms))
		TH_LOG("disable still fails %ld ms after ibv_dereg_mr: %s",
		       ms, strerror(errno));
}

/*
 * A file enabled with 2 MiB alignment is mapped with PMD entries, so the
 * pin takes its pages from a huge mapping: the same rules, and the
 * writes land.
 */
TEST_F_TIMEOUT(rdma, pmd_mapped_file_registers_and_takes_writes, 120)
{
	struct daxfile_opts o = {
		.align	= 2UL << 20,
		.flags	= DAXFILE_REQUIRE_STATIC,
	};
	const char *path = self->path2;
	struct daxfile *df;
	struct ibv_mr *mr, *smr;
	unsigned char *p, *src;
	size_t off;
	long ms;

	/* The teardown disables and removes it, whatever happens here. */
	snprintf(self->path2, sizeof(self->path2), "%s-2m", self->path);
	df = daxfile_create(path, FILE_SIZE, &o);
	if (!df && errno == EINVAL)
		SKIP(return, "no 2 MiB alignment on this device: %s",
		     daxfile_errmsg());
	ASSERT_NE(NULL, df) TH_LOG("%s", daxfile_errmsg());
	p = daxfile_addr(df);
	src = malloc(FILE_SIZE);
	ASSERT_NE(NULL, src);
	memset(src, 0x5a, FILE_SIZE);
	mr = ibv_reg_mr(self->l.pd, p, FILE_SIZE, MR_ACCESS);
	if (!mr) {
		int err = errno;	/* for ASSERT_REGISTERED */

		daxfile_close(df);
		errno = err;
	}
	ASSERT_REGISTERED(mr);
	smr = ibv_reg_mr(self->l.pd, src, FILE_SIZE, 0);
	ASSERT_NE(NULL, smr) TH_LOG("ibv_reg_mr of DRAM: %s", strerror(errno));
	for (off = 0; off < FILE_SIZE; off += CHUNK) {
		ASSERT_EQ(0, rdma_loop_write(&self->l, smr, src + off, CHUNK,
					     (uintptr_t)(p + off), mr->rkey))
			TH_LOG("%s", self->l.why);
	}
	ASSERT_EQ(0, daxfile_persist(p, FILE_SIZE));
	EXPECT_EQ(0, memcmp(p, src, FILE_SIZE));
	daxfile_close(df);
	EXPECT_EQ(-1, daxctl(path, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(0, ibv_dereg_mr(smr));
	EXPECT_EQ(0, ibv_dereg_mr(mr));
	EXPECT_EQ(0, retry_while_busy(disable, path, &ms))
		TH_LOG("disable still fails %ld ms after ibv_dereg_mr: %s",
		       ms, strerror(errno));
	free(src);
}

TEST_F_TIMEOUT(rdma, disable_and_umount_are_refused_while_registered, 120)
{
	char dev[256], type[64];
	const char *opts = getenv("DAXFILE_MOUNT_OPTIONS");
	struct ibv_mr *mr;
	int ret, err;
	long ms;

	ASSERT_TRUE(mount_source(dev, sizeof(dev), type, sizeof(type)));
	mr = ibv_reg_mr(self->l.pd, daxfile_addr(self->df), FILE_SIZE,
			MR_ACCESS);
	ASSERT_REGISTERED(mr);
	/* With the mapping gone, the registration alone refuses it... */
	daxfile_close(self->df);
	self->df = NULL;
	EXPECT_EQ(-1, daxctl(self->path, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl(self->path, DAXCTL_F_GET, 0));
	/* ...and holds the mount, as io_uring's pin does. */
	ret = umount(MNT);
	err = errno;
	if (!ret)
		ASSERT_EQ(0, mount(dev, MNT, type, 0, opts && *opts ? opts : "dax"));
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, err);

	ASSERT_EQ(0, ibv_dereg_mr(mr));
	ASSERT_EQ(0, retry_while_busy(disable, self->path, &ms))
		TH_LOG("disable still fails %ld ms after ibv_dereg_mr: %s",
		       ms, strerror(errno));
	TH_LOG("disable worked %ld ms after ibv_dereg_mr", ms);
	/* The pin was what held the mount: it goes now (the file stays). */
	ret = retry_while_busy(unmount, MNT, &ms);
	EXPECT_EQ(0, ret) TH_LOG("umount still fails %ld ms after ibv_dereg_mr: %s",
				 ms, strerror(-ret));
	if (!ret)
		ASSERT_EQ(0, mount(dev, MNT, type, 0, opts && *opts ? opts : "dax"))
			TH_LOG("mounting %s again: %s", dev, strerror(errno));
}

/* A registrant killed with its region registered leaves no pin behind. */
TEST_F_TIMEOUT(rdma, killed_registrant_releases_the_file, 120)
{
	int ready[2], status;
	char c = 0;
	long ms;
	pid_t pid;

	/* The child opens its own device context: the parent's is not fork-safe. */
	rdma_loop_close(&self->l);
	self->open = false;
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct rdma_loop l;
		struct ibv_mr *mr;

		close(ready[0]);
		if (rdma_loop_open(&l))
			_exit(2);
		mr = ibv_reg_mr(l.pd, daxfile_addr(self->df), FILE_SIZE,
				MR_ACCESS);
		c = mr ? 'R' : (errno == EOPNOTSUPP ? 'N' : 'E');
		/*
		 * The mapping inherited from the parent would refuse the
		 * disable by itself: only the registration may hold it.
		 */
		daxfile_close(self->df);
		if (write(ready[1], &c, 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		c = 0;
	close(ready[0]);
	if (c != 'R') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (c == 'N' && !kernel_has_longterm_pins())
		SKIP(return, "this kernel does not allow long-term pins on "
		     "static-dax files");
	ASSERT_EQ('R', c) TH_LOG("the child could not register the mapping");
	daxfile_close(self->df);
	self->df = NULL;
	EXPECT_EQ(-1, daxctl(self->path, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_EQ(0, retry_while_busy(disable, self->path, &ms))
		TH_LOG("disable still fails %ld ms after the kill: %s", ms,
		       strerror(errno));
	TH_LOG("disable worked %ld ms after the kill", ms);
}

TEST_HARNESS_MAIN
