// SPDX-License-Identifier: GPL-2.0
/*
 * Description: daxctl(2) racing what it must lock out.  Each racing case
 * runs a few threads against one file for a fixed number of rounds (not a
 * time, so a slow or busy machine runs the same test) and checks an
 * invariant that a missing lock would break:
 *  - disable never succeeds while a writable shared mapping exists, and a
 *    concurrent mmap never fails for it; a mapper that sees the file
 *    static after mapping it sees it static until munmap;
 *  - a file daxctl() made static has no hole and keeps its size, while
 *    other threads punch holes, refill them and truncate;
 *  - enable, disable, GET and DAX-flag changes from several threads only
 *    ever give their documented results.
 * Whether both outcomes of a race happen is up to the scheduler, so no
 * case counts on it: each outcome is also forced, in lockstep with the
 * other thread, and checked.  The lock the invariants rest on is checked
 * directly too: a write stalled by userfaultfd holds i_rwsem, and GET,
 * enable and disable must wait for it.
 * On the debug kernel, lockdep and KASAN watch the same races.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "daxctl_test.h"

#define FILE_SIZE	(4UL << 20)

#ifndef FS_XFLAG_STATIC_DAX
#define FS_XFLAG_STATIC_DAX	0x40000000
#endif
/* Rounds of each race: about 2 s of the old timed runs on an idle guest. */
#define RACE_ROUNDS	300

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
	unsigned long busy = 0, done = 0, round;
	pthread_t thread;
	void *p;

	/* Both outcomes, forced: refused while mapped, allowed after. */
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EBUSY, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	munmap(p, FILE_SIZE);
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));

	/* Then racing, for the invariants. */
	ASSERT_EQ(0, pthread_create(&thread, NULL, mapper, self));
	for (round = 0; round < RACE_ROUNDS; round++) {
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
	TH_LOG("racing: %lu disables refused while mapped, %lu allowed",
	       busy, done);
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

/* Static: no hole, the original size, now and a moment later. */
static void check_static_file(struct __test_metadata *_metadata,
			      FIXTURE_DATA(race) *self)
{
	struct stat st;
	int i;

	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, fstat(self->fd, &st));
		EXPECT_EQ(FILE_SIZE, (unsigned long)st.st_size);
		EXPECT_EQ((off_t)FILE_SIZE, lseek(self->fd, 0, SEEK_HOLE));
		if (i == 0)
			usleep(1000);
	}
}

TEST_F(race, enable_vs_punch_refill_and_truncate)
{
	unsigned long enabled = 0, refused = 0, round;
	static const char zero[64 << 10];
	pthread_t thread;

	/* Both outcomes, forced: a hole or a size change refuses enable. */
	ASSERT_EQ(0, ERR(fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
				   FALLOC_FL_KEEP_SIZE, 0, sizeof(zero))));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	ASSERT_EQ((ssize_t)sizeof(zero), pwrite(self->fd, zero, sizeof(zero), 0));
	ASSERT_EQ(0, ERR(ftruncate(self->fd, FILE_SIZE + SZ_4K)));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, SZ_2M));
	ASSERT_EQ(0, ERR(ftruncate(self->fd, FILE_SIZE)));
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	check_static_file(_metadata, self);
	/* And the changer's calls fail while it is static. */
	EXPECT_EQ(-ETXTBSY, ERR(fallocate(self->fd, FALLOC_FL_PUNCH_HOLE |
					  FALLOC_FL_KEEP_SIZE, 0,
					  sizeof(zero))));
	EXPECT_EQ(-ETXTBSY, ERR(ftruncate(self->fd, FILE_SIZE + SZ_4K)));
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));

	/* Then racing, for the invariant. */
	ASSERT_EQ(0, pthread_create(&thread, NULL, block_map_changer, self));
	for (round = 0; round < RACE_ROUNDS; round++) {
		long ret = daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0);

		if (ret == -EINVAL) {	/* it saw a hole, or a size change */
			refused++;
			continue;
		}
		ASSERT_EQ(0, ret);
		enabled++;
		/* Static: the other thread can change nothing now. */
		check_static_file(_metadata, self);
		ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	}
	atomic_store(&self->stop, true);
	pthread_join(thread, NULL);
	EXPECT_EQ(0, atomic_load(&self->bad_result));
	TH_LOG("racing: %lu enables, %lu refused for a hole or size",
	       enabled, refused);
}

static void *toggler(void *arg)
{
	FIXTURE_DATA(race) *self = arg;
	int round;

	for (round = 0; round < RACE_ROUNDS; round++) {
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

/*
 * FS_IOC_FSSETXATTR refuses, with EINVAL, to change FS_XFLAG_STATIC_DAX: a
 * daxctl() between our GET and our SET makes the flag we pass back stale,
 * and the togglers may have flipped it back before we can look.  Nothing
 * else here can fail with EINVAL, so take it as that race: return true,
 * with the current flags in @fa, and the caller tries again.
 */
static bool static_flag_raced(int fd, struct fsxattr *fa)
{
	struct fsxattr now;

	if (errno != EINVAL || ioctl(fd, FS_IOC_FSGETXATTR, &now))
		return false;
	fa->fsx_xflags = (fa->fsx_xflags & ~FS_XFLAG_STATIC_DAX) |
			 (now.fsx_xflags & FS_XFLAG_STATIC_DAX);
	return true;
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
			if (errno != ETXTBSY && !static_flag_raced(self->fd, &fa))
				unexpected(self, -errno);
			continue;
		}
		/* Made static since: flipping back waits for a disable. */
		fa.fsx_xflags ^= FS_XFLAG_DAX;
		while (ioctl(self->fd, FS_IOC_FSSETXATTR, &fa) &&
		       !atomic_load(&self->stop)) {
			if (errno != ETXTBSY && !static_flag_raced(self->fd, &fa)) {
				unexpected(self, -errno);
				break;
			}
		}
	}
	return NULL;
}

TEST_F(race, daxctl_from_many_threads_and_dax_flag_changes)
{
	pthread_t threads[3];

	ASSERT_EQ(0, pthread_create(&threads[0], NULL, toggler, self));
	ASSERT_EQ(0, pthread_create(&threads[1], NULL, toggler, self));
	ASSERT_EQ(0, pthread_create(&threads[2], NULL, dax_flag_flipper, self));
	/* The togglers stop after RACE_ROUNDS rounds each, then the flipper. */
	pthread_join(threads[0], NULL);
	pthread_join(threads[1], NULL);
	atomic_store(&self->stop, true);
	pthread_join(threads[2], NULL);
	EXPECT_EQ(0, atomic_load(&self->bad_result));
	/* Whoever ran last, the file still works both ways. */
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
}

/* ---- the lock itself: i_rwsem, held by a write userfaultfd stalls ---- */

struct stalled_write {
	int fd;
	void *buf;		/* one page registered with userfaultfd */
	atomic_bool done;
	ssize_t ret;
};

static void *stalled_writer(void *arg)
{
	struct stalled_write *w = arg;

	/* The copy from buf faults under i_rwsem and waits for us. */
	w->ret = pwrite(w->fd, w->buf, SZ_4K, 0);
	atomic_store(&w->done, true);
	return NULL;
}

struct locked_call {
	int fd;
	unsigned int flags;
	atomic_int tid;
	atomic_bool done;
	long ret;
};

static void *daxctl_caller(void *arg)
{
	struct locked_call *c = arg;

	atomic_store(&c->tid, gettid());
	c->ret = daxctl_err(c->fd, NULL, c->flags, 0);
	atomic_store(&c->done, true);
	return NULL;
}

/* The scheduler state of thread @tid of this process: 'R', 'S', 'D'... */
static char thread_state(int tid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * A userfaultfd over one anonymous page, so that a copy from it stalls
 * until we fill it; -errno when the kernel has no userfaultfd.
 */
static int stall_page(void **page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC);

	if (uffd < 0)
		return -errno;
	*page = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)*page;
	reg.range.len = SZ_4K;
	if (*page == MAP_FAILED || ioctl(uffd, UFFDIO_API, &api) ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		int err = -errno;

		close(uffd);
		return err;
	}
	return uffd;
}

/*
 * daxctl(@flags) must wait while a write holds i_rwsem, and complete with
 * @expect once the write does.  The write is stalled in its copy from
 * user memory, so the wait lasts exactly as long as we choose.
 */
static void waits_for_write(struct __test_metadata *_metadata,
			    FIXTURE_DATA(race) *self, unsigned int flags,
			    long expect)
{
	static char data[SZ_4K];
	struct stalled_write w = { .fd = self->fd };
	struct locked_call c = { .fd = self->fd, .flags = flags };
	struct uffd_msg msg;
	struct uffdio_copy copy;
	pthread_t writer, caller;
	int uffd;

	uffd = stall_page(&w.buf);
	ASSERT_LE(0, uffd) TH_LOG("userfaultfd: %s", strerror(-uffd));
	atomic_init(&w.done, false);
	atomic_init(&c.done, false);
	atomic_init(&c.tid, 0);
	ASSERT_EQ(0, pthread_create(&writer, NULL, stalled_writer, &w));
	/* The fault message: the writer now holds i_rwsem and waits. */
	ASSERT_EQ((ssize_t)sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_FALSE(atomic_load(&w.done));

	ASSERT_EQ(0, pthread_create(&caller, NULL, daxctl_caller, &c));
	/* Until it sleeps on the lock, or (wrongly) returns. */
	while (!atomic_load(&c.done)) {
		int tid = atomic_load(&c.tid);

		if (tid && thread_state(tid) == 'D')
			break;
		usleep(1000);
	}
	EXPECT_FALSE(atomic_load(&c.done))
		TH_LOG("daxctl(0x%x) returned %ld while a write held i_rwsem",
		       flags, c.ret);
	/* Asleep on it, it stays asleep while the write is stalled. */
	usleep(50000);
	EXPECT_FALSE(atomic_load(&c.done));
	EXPECT_FALSE(atomic_load(&w.done));

	/* Let the write finish: the call can go on, and does. */
	copy.dst = (unsigned long)w.buf;
	copy.src = (unsigned long)data;
	copy.len = SZ_4K;
	copy.mode = 0;
	copy.copy = 0;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_COPY, &copy));
	pthread_join(writer, NULL);
	pthread_join(caller, NULL);
	EXPECT_EQ((ssize_t)SZ_4K, w.ret);
	EXPECT_EQ(expect, c.ret);
	close(uffd);
	munmap(w.buf, SZ_4K);
}

/* GET, enable and disable all take i_rwsem, which a write holds. */
TEST_F(race, get_enable_disable_wait_for_a_write)
{
	int uffd = syscall(__NR_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);

	if (uffd < 0 && errno == ENOSYS)
		SKIP(return, "kernel without userfaultfd (CONFIG_USERFAULTFD)");
	if (uffd >= 0)
		close(uffd);
	waits_for_write(_metadata, self, DAXCTL_F_STATIC, 0);
	waits_for_write(_metadata, self, DAXCTL_F_GET, DAXCTL_F_STATIC);
	/* In-place writes go on on a static file; disabling waits for one. */
	waits_for_write(_metadata, self, 0, 0);
	waits_for_write(_metadata, self, DAXCTL_F_GET, 0);
}

TEST_HARNESS_MAIN
