// SPDX-License-Identifier: GPL-2.0
/*
 * Description: daxctl(2) racing what it must lock out.  Each case runs a
 * few threads against one file for a fixed time and checks an invariant
 * that a missing lock would break:
 *  - disable never succeeds while a writable shared mapping exists, and a
 *    concurrent mmap never fails for it; a mapper that sees the file
 *    static after mapping it sees it static until munmap;
 *  - a file daxctl() made static has no hole and keeps its size, while
 *    other threads punch holes, refill them and truncate;
 *  - enable, disable, GET and DAX-flag changes from several threads only
 *    ever give their documented results.
 * On the debug kernel, lockdep and KASAN watch the same races.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "daxctl_test.h"

#define FILE_SIZE	(4UL << 20)
#define RACE_SECONDS	2

/* bad_result codes that are not errnos. */
#define STATE_DROPPED_UNDER_MAPPING	(-1000)
#define GET_OUT_OF_RANGE		(-1001)

FIXTURE(race) {
	char dir[64];
	char path[96];
	int fd;
	atomic_bool stop;
	/* disable_vs_writable_mmap: a mapping is live while mapped is set. */
	atomic_bool mapped;
	atomic_ulong map_gen;
	/* Unexpected results seen by helper threads, as -errno. */
	atomic_int bad_result;
};

FIXTURE_SETUP(race)
{
	snprintf(self->dir, sizeof(self->dir), MNT "/races.%d", getpid());
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
	self->fd = -1;
	atomic_init(&self->stop, false);
	atomic_init(&self->mapped, false);
	atomic_init(&self->map_gen, 0);
	atomic_init(&self->bad_result, 0);
	if (mkdir(self->dir, 0755) && errno == ENOENT)
		SKIP(return, "no " MNT " to test on");
	ASSERT_EQ(0, ERR(access(self->dir, W_OK)));
	self->fd = make_written(self->path, FILE_SIZE);
	ASSERT_LE(0, self->fd);
	if (daxctl(self->fd, NULL, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel without daxctl()");
	if (daxctl(self->fd, NULL, DAXCTL_F_STATIC, 0) < 0 &&
	    errno == EOPNOTSUPP)
		SKIP(return, MNT " is not a DAX mount");
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
}

FIXTURE_TEARDOWN(race)
{
	if (self->fd >= 0)
		close(self->fd);
	daxctl(AT_FDCWD, self->path, 0, 0);
	unlink(self->path);
	rmdir(self->dir);
}

static bool time_left(const struct timespec *end)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec < end->tv_sec ||
	       (now.tv_sec == end->tv_sec && now.tv_nsec < end->tv_nsec);
}

static struct timespec deadline(void)
{
	struct timespec end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += RACE_SECONDS;
	return end;
}

/* Record the first result a thread didn't expect. */
static void unexpected(FIXTURE_DATA(race) *self, int err)
{
	int none = 0;

	atomic_compare_exchange_strong(&self->bad_result, &none, err);
}

static void *mapper(void *arg)
{
	FIXTURE_DATA(race) *self = arg;

	bool seen_static;

	while (!atomic_load(&self->stop)) {
		volatile char *p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE,
					MAP_SHARED, self->fd, 0);

		if (p == MAP_FAILED) {
			unexpected(self, -errno);
			break;
		}
		atomic_fetch_add(&self->map_gen, 1);
		atomic_store(&self->mapped, true);
		/* Mapped, then seen static: static until munmap. */
		seen_static = daxctl(self->fd, NULL, DAXCTL_F_GET, 0) ==
			      DAXCTL_F_STATIC;
		/* Write faults, racing enable and disable. */
		for (unsigned long off = 0; off < FILE_SIZE; off += 256 << 10)
			p[off]++;
		if (seen_static &&
		    daxctl(self->fd, NULL, DAXCTL_F_GET, 0) != DAXCTL_F_STATIC)
			unexpected(self, STATE_DROPPED_UNDER_MAPPING);
		atomic_store(&self->mapped, false);
		munmap((void *)p, FILE_SIZE);
	}
	return NULL;
}

TEST_F(race, disable_vs_writable_mmap)
{
	struct timespec end = deadline();
	unsigned long busy = 0, done = 0;
	pthread_t thread;

	ASSERT_EQ(0, pthread_create(&thread, NULL, mapper, self));
	while (time_left(&end)) {
		unsigned long gen;
		bool spanned;
		long ret;

		/* Enabling under a writable mapping is allowed. */
		ret = daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0);
		EXPECT_EQ(0, ret);
		if (ret)
			break;
		gen = atomic_load(&self->map_gen);
		spanned = atomic_load(&self->mapped);
		ret = daxctl_err(self->fd, NULL, 0, 0);
		/* One mapping was live from before the call to after it. */
		spanned = spanned && atomic_load(&self->mapped) &&
			  gen == atomic_load(&self->map_gen);
		if (ret == -EBUSY) {
			busy++;
			continue;
		}
		EXPECT_EQ(0, ret);
		EXPECT_FALSE(spanned);
		if (ret || spanned)
			break;
		done++;
	}
	atomic_store(&self->stop, true);
	pthread_join(thread, NULL);
	EXPECT_EQ(0, atomic_load(&self->bad_result));
	TH_LOG("%lu disables refused while mapped, %lu allowed", busy, done);
	/* Both outcomes happened, or this raced nothing. */
	EXPECT_LT(0, busy);
	EXPECT_LT(0, done);
	/* Unmapped now: disabling a static file goes through. */
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

/* Punch a hole and fill it again; truncate up and back. */
static void *block_map_changer(void *arg)
{
	FIXTURE_DATA(race) *self = arg;
	static const char zero[64 << 10];
	unsigned long i = 0;

	while (!atomic_load(&self->stop)) {
		off_t off = (off_t)((i++ * 0x9e3779b9UL) % FILE_SIZE) &
			    ~(off_t)(sizeof(zero) - 1);

		if (fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
			      FALLOC_FL_KEEP_SIZE, off, sizeof(zero))) {
			if (errno != ETXTBSY)
				unexpected(self, -errno);
		} else if (pwrite(self->fd, zero, sizeof(zero), off) !=
			   (ssize_t)sizeof(zero)) {
			unexpected(self, -errno);
		}
		if (ftruncate(self->fd, FILE_SIZE + SZ_4K)) {
			if (errno != ETXTBSY)
				unexpected(self, -errno);
		} else if (ftruncate(self->fd, FILE_SIZE)) {
			unexpected(self, -errno);
		}
	}
	return NULL;
}

TEST_F(race, enable_vs_punch_refill_and_truncate)
{
	struct timespec end = deadline();
	unsigned long enabled = 0, refused = 0;
	pthread_t thread;

	ASSERT_EQ(0, pthread_create(&thread, NULL, block_map_changer, self));
	while (time_left(&end)) {
		struct stat st;
		long ret = daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0);

		if (ret == -EINVAL) {	/* it saw a hole, or a size change */
			refused++;
			continue;
		}
		ASSERT_EQ(0, ret);
		enabled++;
		/* Static: the other thread can change nothing now. */
		ASSERT_EQ(0, fstat(self->fd, &st));
		EXPECT_EQ(FILE_SIZE, (unsigned long)st.st_size);
		EXPECT_EQ((off_t)FILE_SIZE, lseek(self->fd, 0, SEEK_HOLE));
		usleep(1000);
		ASSERT_EQ(0, fstat(self->fd, &st));
		EXPECT_EQ(FILE_SIZE, (unsigned long)st.st_size);
		EXPECT_EQ((off_t)FILE_SIZE, lseek(self->fd, 0, SEEK_HOLE));
		ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	}
	atomic_store(&self->stop, true);
	pthread_join(thread, NULL);
	EXPECT_EQ(0, atomic_load(&self->bad_result));
	TH_LOG("%lu enables, %lu refused for a hole or size", enabled, refused);
	EXPECT_LT(0, enabled);
	EXPECT_LT(0, refused);
}

static void *toggler(void *arg)
{
	FIXTURE_DATA(race) *self = arg;

	while (!atomic_load(&self->stop)) {
		long ret = daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0);

		if (ret)
			unexpected(self, (int)ret);
		ret = daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0);
		if (ret != 0 && ret != DAXCTL_F_STATIC)
			unexpected(self, ret < 0 ? (int)ret : GET_OUT_OF_RANGE);
		ret = daxctl_err(self->fd, NULL, 0, 0);
		if (ret)
			unexpected(self, (int)ret);
	}
	return NULL;
}

/* Flip the per-file DAX flag and back: refused only while static. */
static void *dax_flag_flipper(void *arg)
{
	FIXTURE_DATA(race) *self = arg;
	struct fsxattr fa;

	while (!atomic_load(&self->stop)) {
		if (ioctl(self->fd, FS_IOC_FSGETXATTR, &fa)) {
			unexpected(self, -errno);
			break;
		}
		fa.fsx_xflags ^= FS_XFLAG_DAX;
		if (ioctl(self->fd, FS_IOC_FSSETXATTR, &fa)) {
			if (errno != ETXTBSY)
				unexpected(self, -errno);
			continue;
		}
		/* Made static since: flipping back waits for a disable. */
		fa.fsx_xflags ^= FS_XFLAG_DAX;
		while (ioctl(self->fd, FS_IOC_FSSETXATTR, &fa) &&
		       !atomic_load(&self->stop)) {
			if (errno != ETXTBSY) {
				unexpected(self, -errno);
				break;
			}
		}
	}
	return NULL;
}

TEST_F(race, daxctl_from_many_threads_and_dax_flag_changes)
{
	struct timespec end = deadline();
	pthread_t threads[3];
	int i;

	ASSERT_EQ(0, pthread_create(&threads[0], NULL, toggler, self));
	ASSERT_EQ(0, pthread_create(&threads[1], NULL, toggler, self));
	ASSERT_EQ(0, pthread_create(&threads[2], NULL, dax_flag_flipper, self));
	while (time_left(&end))
		usleep(10000);
	atomic_store(&self->stop, true);
	for (i = 0; i < 3; i++)
		pthread_join(threads[i], NULL);
	EXPECT_EQ(0, atomic_load(&self->bad_result));
	/* Whoever ran last, the file still works both ways. */
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
}

TEST_HARNESS_MAIN
