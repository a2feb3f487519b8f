// SPDX-License-Identifier: GPL-2.0
/*
 * Description: long-term pins of static-DAX files (issue 13).  io_uring
 * fixed buffers, which pin with FOLL_LONGTERM as RDMA memory regions and
 * VFIO do, register on a static file's MAP_SHARED mapping, and a
 * READ_FIXED from an O_DIRECT source lands in the file; a plain fsdax
 * mapping and a private one are refused with EOPNOTSUPP, as on stock 6.12.
 * Disabling fails with EBUSY while a page is pinned, also once the mapping
 * is gone, and works again soon after unregistering, closing the ring or
 * killing the pinner; umount fails with EBUSY while a pin holds the mount,
 * and after umount -l the filesystem lives until the last pin goes.
 * Truncating, punching or cloning a pinned file fails at once with
 * ETXTBSY, as for any static file; it does not wait for the pin to go.
 * Skips where the kernel lacks the feature (the registration fails with
 * EOPNOTSUPP and there is no daxfile_longterm_pin in /proc/kallsyms).
 * Runs on /mnt/pmem, which it unmounts and mounts again.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daxfile.h"
#include "../fixed_buffers.h"

#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "mounts.h"

#define FILE_SIZE	(4UL << 20)
#define CHUNK		(256UL << 10)
#define SEED		0x13daf11eULL


/* The filesystem on MNT, for mounting it again. */
static char dev[256], type[64];

/*
 * @ret, io_uring_register_buffers() on a static file's shared mapping,
 * must be 0.  A kernel that refuses it as stock 6.12 does (EOPNOTSUPP)
 * and has no daxfile_longterm_pin() lacks the feature: skip, saying so.
 */
#define ASSERT_PINNED(ret) do {						\
	int __ret = (ret);						\
									\
	if (__ret == -EOPNOTSUPP && !kernel_has_longterm_pins())	\
		SKIP(return, "this kernel does not allow long-term pins "	\
		     "on static-dax files (EOPNOTSUPP, and no "		\
		     "daxfile_longterm_pin in /proc/kallsyms)");		\
	ASSERT_EQ(0, __ret)						\
		TH_LOG("io_uring_register_buffers: %s", strerror(-__ret)); \
} while (0)

static int mount_again(void)
{
	const char *opts = getenv("DAXFILE_MOUNT_OPTIONS");

	if (!opts || !*opts)
		opts = "dax";
	return mount(dev, MNT, type, 0, opts) ? -errno : 0;
}

/* Register [@addr, @addr + @len) as fixed buffer 0; 0 or -errno. */
static int register_range(struct io_uring *ring, void *addr, size_t len)
{
	struct iovec iov = { .iov_base = addr, .iov_len = len };

	return io_uring_register_buffers(ring, &iov, 1);
}

/*
 * A plain file of FILE_SIZE pattern bytes at @path, opened O_DIRECT (a
 * DAX file takes O_DIRECT, and reads it straight from the media).
 */
static int make_source(const char *path, const unsigned char *bytes)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	bool ok;

	if (fd < 0)
		return -1;
	ok = pwrite(fd, bytes, FILE_SIZE, 0) == FILE_SIZE && !fsync(fd);
	close(fd);
	return ok ? open(path, O_RDONLY | O_DIRECT) : -1;
}

/* Whether [@off, @off + @len) of @path, read with pread(2), is @want. */
static bool file_has(const char *path, off_t off, const void *want,
		     size_t len)
{
	char *buf = malloc(len);
	int fd = open(path, O_RDONLY);
	bool ok;

	ok = buf && fd >= 0 && pread(fd, buf, len, off) == (ssize_t)len &&
	     !memcmp(buf, want, len);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

static int pin_ring(void *ring, void *addr, size_t len)
{
	return register_range(ring, addr, len);
}

static void unpin_ring(void *ring)
{
	io_uring_unregister_buffers(ring);
}

/* io_uring_register_buffers() of a whole new mapping: 0 or -errno. */
static int try_register(struct io_uring *ring, const char *path, int flags,
			const char *what)
{
	struct pinner pn = {
		.pin	= pin_ring,
		.unpin	= unpin_ring,
		.ctx	= ring,
		.call	= "io_uring_register_buffers",
	};

	return try_pin(&pn, path, FILE_SIZE, flags, what);
}

FIXTURE(pins) {
	char			path[128];	/* the static file */
	char			src[128];	/* a plain file to read from */
	struct daxfile		*df;		/* path, mapped shared */
	struct io_uring		ring;
	bool			ring_ok;
};

FIXTURE_SETUP(pins)
{
	struct daxfile_opts o = {
		.align	= 4096,			/* any mkfs gives that */
		.flags	= DAXFILE_REQUIRE_STATIC,
	};
	int ret;

	snprintf(self->path, sizeof(self->path), MNT "/pins-%d", getpid());
	snprintf(self->src, sizeof(self->src), MNT "/pins-src-%d", getpid());
	if (!mount_source(dev, sizeof(dev), type, sizeof(type)))
		SKIP(return, MNT " is not a mount point");
	if (daxctl(MNT, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel has no daxctl");
	ret = io_uring_queue_init(8, &self->ring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no io_uring here: %s", strerror(-ret));
	ASSERT_EQ(0, ret) TH_LOG("io_uring_queue_init: %s", strerror(-ret));
	self->ring_ok = true;
	self->df = daxfile_create(self->path, FILE_SIZE, &o);
	ASSERT_NE(NULL, self->df) TH_LOG("%s", daxfile_errmsg());
}

FIXTURE_TEARDOWN(pins)
{
	long ms;

	/* Closing the ring unpins whatever a failed case left pinned. */
	if (self->ring_ok)
		io_uring_queue_exit(&self->ring);
	daxfile_close(self->df);
	if (!mount_source(NULL, 0, NULL, 0))
		mount_again();
	if (retry_while_busy(disable, self->path, &ms))
		TH_LOG("teardown: %s stays static: %s", self->path,
		       strerror(errno));
	unlink(self->path);
	unlink(self->src);
}

/* The control: what stock 6.12 does, and what must not change. */
TEST_F(pins, plain_fsdax_shared_mapping_is_refused)
{
	int ret;

	/* The same file, made ordinary: only the static state differs. */
	daxfile_close(self->df);
	self->df = NULL;
	ret = make_plain_dax(self->path);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", self->path, strerror(-ret));
	EXPECT_EQ(-EOPNOTSUPP, try_register(&self->ring, self->path, MAP_SHARED,
					    "a plain fsdax MAP_SHARED mapping"));
}

TEST_F(pins, static_shared_mapping_registers)
{
	ASSERT_PINNED(register_range(&self->ring, daxfile_addr(self->df),
				     FILE_SIZE));
	EXPECT_EQ(0, io_uring_unregister_buffers(&self->ring));
}

/* A private mapping's pages may be copied on write: no pin, as before. */
TEST_F(pins, static_private_mapping_is_refused)
{
	EXPECT_EQ(-EOPNOTSUPP,
		  try_register(&self->ring, self->path, MAP_PRIVATE,
			       "a static file's MAP_PRIVATE mapping"));
}

/*
 * The fixed buffer is the file: each source chunk, read with O_DIRECT,
 * lands at its (mirrored) place in the mapping and in the file.
 */
TEST_F(pins, read_fixed_from_o_direct_lands_in_the_file)
{
	unsigned char *want = malloc(FILE_SIZE);
	unsigned char *p = daxfile_addr(self->df);
	size_t off, dst;
	int src;

	ASSERT_NE(NULL, want);
	fill_pattern(want, FILE_SIZE, SEED);
	src = make_source(self->src, want);
	ASSERT_LE(0, src) TH_LOG("%s: %s", self->src, strerror(errno));
	ASSERT_PINNED(register_range(&self->ring, p, FILE_SIZE));
	for (off = 0; off < FILE_SIZE; off += CHUNK) {
		dst = FILE_SIZE - CHUNK - off;
		ASSERT_EQ((int)CHUNK, read_fixed(&self->ring, src, p + dst,
						 CHUNK, off));
		ASSERT_EQ(0, daxfile_persist(p + dst, CHUNK));
	}
	for (off = 0; off < FILE_SIZE; off += CHUNK) {
		dst = FILE_SIZE - CHUNK - off;
		EXPECT_EQ(0, memcmp(p + dst, want + off, CHUNK))
			TH_LOG("chunk at %zu of the mapping", dst);
		EXPECT_TRUE(file_has(self->path, dst, want + off, CHUNK))
			TH_LOG("chunk at %zu of the file", dst);
	}
	EXPECT_EQ(0, io_uring_unregister_buffers(&self->ring));
	close(src);
	free(want);
}

TEST_F_TIMEOUT(pins, disable_is_refused_while_registered, 120)
{
	long ms;

	ASSERT_PINNED(register_range(&self->ring, daxfile_addr(self->df),
				     FILE_SIZE));
	/* The writable shared mapping alone refuses it... */
	EXPECT_EQ(-1, daxctl(self->path, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	/* ...and once it is gone, the pin does. */
	daxfile_close(self->df);
	self->df = NULL;
	EXPECT_EQ(-1, daxctl(self->path, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl(self->path, DAXCTL_F_GET, 0));

	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(0, retry_while_busy(disable, self->path, &ms))
		TH_LOG("disable still fails %ld ms after unregistering: %s",
		       ms, strerror(errno));
	TH_LOG("disable worked %ld ms after unregistering", ms);
	EXPECT_EQ(0, daxctl(self->path, DAXCTL_F_GET, 0));
}

/*
 * The registration outlives the mapping and keeps the pages: long past
 * the kernel's look for pins, disable is still refused, and a READ_FIXED
 * through the unmapped buffer still lands in the file.  Closing the ring
 * is what lets go.
 */
TEST_F_TIMEOUT(pins, unmapped_registration_keeps_the_file_pinned, 120)
{
	unsigned char *want = malloc(FILE_SIZE);
	unsigned char *p = daxfile_addr(self->df);
	long ms;
	int src;

	ASSERT_NE(NULL, want);
	fill_pattern(want, FILE_SIZE, SEED + 1);
	src = make_source(self->src, want);
	ASSERT_LE(0, src) TH_LOG("%s: %s", self->src, strerror(errno));
	ASSERT_PINNED(register_range(&self->ring, p, FILE_SIZE));
	daxfile_close(self->df);
	self->df = NULL;
	usleep(3 * POLL_MS * 1000);
	EXPECT_EQ(-1, daxctl(self->path, 0, 0));
	EXPECT_EQ(EBUSY, errno);

	/* The address is only an offset into the registration now. */
	ASSERT_EQ((int)CHUNK, read_fixed(&self->ring, src, p + CHUNK, CHUNK, 0));
	EXPECT_TRUE(file_has(self->path, CHUNK, want, CHUNK));
	usleep(3 * POLL_MS * 1000);
	EXPECT_EQ(-1, daxctl(self->path, 0, 0));
	EXPECT_EQ(EBUSY, errno);
	close(src);

	io_uring_queue_exit(&self->ring);
	self->ring_ok = false;
	ASSERT_EQ(0, retry_while_busy(disable, self->path, &ms))
		TH_LOG("disable still fails %ld ms after closing the ring: %s",
		       ms, strerror(errno));
	TH_LOG("disable worked %ld ms after closing the ring", ms);
	free(want);
}

/*
 * In a child: map @path, register the mapping, unmap it, write the
 * registration's result (0 or -errno) to @wfd and, if pinned, wait to be
 * killed.
 */
static int pin_and_wait(const char *path, int wfd)
{
	struct daxfile *df = daxfile_open(path, DAXFILE_REQUIRE_STATIC);
	struct io_uring ring;
	int ret = -errno;

	if (df) {
		ret = io_uring_queue_init(4, &ring, 0);
		if (!ret)
			ret = register_range(&ring, daxfile_addr(df),
					     daxfile_size(df));
		daxfile_close(df);
	}
	if (write(wfd, &ret, sizeof(ret)) != sizeof(ret))
		return 1;
	while (!ret)
		pause();
	return 0;
}

TEST_F_TIMEOUT(pins, killed_pinner_releases_the_file, 120)
{
	int fds[2], status, ret = -EIO;
	long ms;
	pid_t pid;

	daxfile_close(self->df);	/* the child's pin is the only one */
	self->df = NULL;
	ASSERT_EQ(0, pipe(fds));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(fds[0]);
		_exit(pin_and_wait(self->path, fds[1]));
	}
	close(fds[1]);
	if (read(fds[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = -EIO;
	close(fds[0]);
	if (!ret) {
		EXPECT_EQ(-1, daxctl(self->path, 0, 0));
		EXPECT_EQ(EBUSY, errno);
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_PINNED(ret);
	ASSERT_EQ(0, retry_while_busy(disable, self->path, &ms))
		TH_LOG("disable still fails %ld ms after SIGKILL: %s", ms,
		       strerror(errno));
	TH_LOG("disable worked %ld ms after the pinner was killed", ms);
}

/*
 * Pins and disables racing: one process pins the file (map, register,
 * unmap, so that only the pin holds it), another keeps disabling and
 * enabling it.  Whenever a registration succeeded, the file must be
 * static for as long as it lives: a disable that got through under a pin
 * would leave a device writing blocks an ordinary file may free.  Which
 * side wins each round is up to the scheduler; only the invariant is
 * checked.
 */
#define RACE_ROUNDS	300

static void toggle_until_killed(const char *path)
{
	for (;;) {
		if (daxctl(path, 0, 0))
			continue;
		while (daxctl(path, DAXCTL_F_STATIC, 4096))
			;
	}
}

TEST_F_TIMEOUT(pins, disable_racing_pins_never_leaves_a_pin_on_an_ordinary_file, 600)
{
	int fd, i, r, pinned = 0, refused = 0, broken = 0, status;
	pid_t pid;
	void *p;

	daxfile_close(self->df);	/* its writable map would hold disable off */
	self->df = NULL;
	fd = open(self->path, O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	r = register_range(&self->ring, p, FILE_SIZE);
	munmap(p, FILE_SIZE);
	ASSERT_PINNED(r);
	io_uring_unregister_buffers(&self->ring);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		toggle_until_killed(self->path);
	for (i = 0; i < RACE_ROUNDS; i++) {
		p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0);
		if (p == MAP_FAILED)
			break;
		r = register_range(&self->ring, p, FILE_SIZE);
		munmap(p, FILE_SIZE);
		if (r) {
			refused++;
			continue;
		}
		pinned++;
		/* GET waits for a disable in progress. */
		if (daxctl(self->path, DAXCTL_F_GET, 0) != DAXCTL_F_STATIC)
			broken++;
		io_uring_unregister_buffers(&self->ring);
	}
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	close(fd);
	TH_LOG("%d rounds: %d pinned, %d refused; %d pins outlived the static state",
	       i, pinned, refused, broken);
	EXPECT_EQ(RACE_ROUNDS, i);
	EXPECT_EQ(0, broken);
	/* The toggler may have been killed between disable and enable. */
	if (daxctl(self->path, DAXCTL_F_GET, 0) != DAXCTL_F_STATIC)
		EXPECT_EQ(0, daxctl(self->path, DAXCTL_F_STATIC, 4096));
}

static void on_alarm(int sig)
{
}

/*
 * 0 or -errno of @call(@fd, @len), given @secs to return: past them an
 * alarm interrupts it, and it fails with EINTR.
 */
static int within(int secs, int call(int fd, off_t len), int fd, off_t len)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	int ret;

	sigaction(SIGALRM, &sa, &old);	/* no SA_RESTART: the call ends */
	alarm(secs);
	ret = call(fd, len) ? -errno : 0;
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return ret;
}

static int grow(int fd, off_t len)
{
	return ftruncate(fd, len);
}

static int punch(int fd, off_t len)
{
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			 len);
}

#ifndef FICLONE			/* linux/fs.h clashes with sys/mount.h */
#define FICLONE		_IOW(0x94, 9, int)
#endif

static int clone_dst = -1;

/* Clone all of @fd into clone_dst: reading @fd is all it takes of it. */
static int clone_from(int fd, off_t len)
{
	return ioctl(clone_dst, FICLONE, fd);
}

/*
 * A static file's size and map never change, pinned or not: refusing a
 * change must not first wait for the pins to go.  xfs breaks a file's DAX
 * layouts, which waits for every pinned page, before it refuses a size
 * change or a clone.
 */
TEST_F_TIMEOUT(pins, changes_are_refused_at_once_while_pinned, 120)
{
	int fd = open(self->path, O_RDWR), plain, ret;

	ASSERT_LE(0, fd);
	ASSERT_PINNED(register_range(&self->ring, daxfile_addr(self->df),
				     FILE_SIZE));
	EXPECT_EQ(-ETXTBSY, within(20, grow, fd, 2 * FILE_SIZE))
		TH_LOG("ftruncate to twice the size (EINTR: still waiting "
		       "for the pin after 20 s)");
	EXPECT_EQ(-ETXTBSY, within(20, grow, fd, FILE_SIZE / 2));
	EXPECT_EQ(-ETXTBSY, within(20, punch, fd, CHUNK));
	EXPECT_EQ(0, within(20, grow, fd, FILE_SIZE));	/* the same size */

	/*
	 * xfs breaks both files' layouts before it refuses a clone.  The
	 * control, a clone of a plain file, says whether this filesystem
	 * clones at all (not ext4, nor xfs with reflink=0: EOPNOTSUPP).
	 */
	clone_dst = open(self->src, O_CREAT | O_TRUNC | O_RDWR, 0644);
	ASSERT_LE(0, clone_dst);
	plain = open(MNT, O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, plain);
	ret = clone_from(plain, 0) ? -errno : 0;
	close(plain);
	EXPECT_EQ(ret ? ret : -ETXTBSY, within(20, clone_from, fd, 0))
		TH_LOG("FICLONE from the pinned file into %s (a plain file: %s)",
		       self->src, ret ? strerror(-ret) : "cloned");
	close(clone_dst);
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl(self->path, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, io_uring_unregister_buffers(&self->ring));
	close(fd);
}

/* A pin holds the mount it was taken through. */
TEST_F_TIMEOUT(pins, umount_is_refused_while_pinned, 120)
{
	long ms;
	int ret;

	ASSERT_PINNED(register_range(&self->ring, daxfile_addr(self->df),
				     FILE_SIZE));
	daxfile_close(self->df);	/* nothing else on MNT is open */
	self->df = NULL;
	ret = umount(MNT);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EBUSY, errno);
	if (!ret)
		ASSERT_EQ(0, mount_again());

	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	ASSERT_EQ(0, retry_while_busy(unmount, MNT, &ms))
		TH_LOG("umount still fails %ld ms after unregistering: %s",
		       ms, strerror(errno));
	TH_LOG("umount worked %ld ms after unregistering", ms);
	ASSERT_EQ(0, mount_again());
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl(self->path, DAXCTL_F_GET, 0));
}

/*
 * umount -l detaches at once, but the filesystem lives on while a page is
 * pinned (its /sys/fs/TYPE/DEV directory stays), and a READ_FIXED through
 * the pin still lands in the file.  After unregistering, the filesystem
 * goes, and mounted again, the file has those bytes.
 */
TEST_F_TIMEOUT(pins, lazy_umount_keeps_the_filesystem_until_unpinned, 120)
{
	unsigned char want[16384];
	unsigned char *p = daxfile_addr(self->df);
	const char *name = strrchr(dev, '/');
	char sysdir[400];
	long start, ms;
	int fds[2];

	snprintf(sysdir, sizeof(sysdir), "/sys/fs/%s/%s", type,
		 name ? name + 1 : dev);
	if (access(sysdir, F_OK))
		SKIP(return, "no %s to see the filesystem by", sysdir);
	fill_pattern(want, sizeof(want), SEED + 2);
	ASSERT_EQ(0, pipe(fds));
	ASSERT_PINNED(register_range(&self->ring, p, FILE_SIZE));
	daxfile_close(self->df);
	self->df = NULL;
	ASSERT_EQ(0, umount2(MNT, MNT_DETACH));
	EXPECT_FALSE(mount_source(NULL, 0, NULL, 0));
	usleep(3 * POLL_MS * 1000);
	EXPECT_EQ(0, access(sysdir, F_OK))
		TH_LOG("%s went away while a page was pinned", sysdir);

	ASSERT_EQ((ssize_t)sizeof(want), write(fds[1], want, sizeof(want)));
	ASSERT_EQ((int)sizeof(want),
		  read_fixed(&self->ring, fds[0], p + 3 * CHUNK, sizeof(want),
			     0));
	close(fds[0]);
	close(fds[1]);

	ASSERT_EQ(0, io_uring_unregister_buffers(&self->ring));
	start = now_ms();
	while (!access(sysdir, F_OK) && now_ms() - start < UNPIN_WAIT_MS)
		usleep(STEP_MS * 1000);
	ms = now_ms() - start;
	EXPECT_NE(0, access(sysdir, F_OK))
		TH_LOG("%s still there %ld ms after unregistering", sysdir, ms);
	TH_LOG("the detached filesystem went %ld ms after unregistering", ms);
	ASSERT_EQ(0, mount_again());
	EXPECT_TRUE(file_has(self->path, 3 * CHUNK, want, sizeof(want)));
}

TEST_HARNESS_MAIN
