// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the hardening of static-DAX (issue 10).  On xfs, a file
 * that was once reflinked (copy-on-write leftovers, REFLINK flag) becomes
 * static with no CoW state left, and its write faults neither move a block
 * nor run a transaction (counted with xfs's own statistics).  Files with
 * no links can't become static (ENOENT); setting and clearing need what
 * chattr +i needs (CAP_LINUX_IMMUTABLE, and ownership or CAP_FOWNER);
 * DAXCTL_F_NOFOLLOW refuses a final symlink with ELOOP.  Calls that change
 * neither the block map nor the size (fallocate mode 0 or KEEP_SIZE inside
 * i_size, truncate to the current size) succeed on a static file; every
 * other fallocate and truncate keeps failing with ETXTBSY.
 *
 * Each refusal is first shown not to happen to an ordinary file, or to a
 * caller that may do it, so it can only come from what the case is about.
 * Runs on /mnt/pmem.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xfs/xfs.h>

/* kselftest_harness.h itself trips these under -Wextra. */
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wclobbered"
#include "kselftest_harness.h"
#include "daxctl_test.h"

#define FILE_SIZE	(4UL << 20)
#define COW_SIZE	(16UL << 20)	/* the reproducer's file */
#define STORE_AT	(64UL << 10)	/* where the reproducer stores */
#define NFAULTS		256		/* write faults per measurement */
#define STRANGER	4242		/* a uid that owns nothing */

/* ---- block maps ---- */

#define MAX_EXTENTS	128

struct extmap {
	unsigned int n;
	struct fiemap_extent ext[MAX_EXTENTS];
};

/* The data fork's extents, as FIEMAP reports them; -1 if more than fit. */
static int get_extmap(int fd, struct extmap *m)
{
	struct {
		struct fiemap f;
		struct fiemap_extent e[MAX_EXTENTS];
	} buf;

	memset(&buf, 0, sizeof(buf));
	buf.f.fm_length = FIEMAP_MAX_OFFSET;
	buf.f.fm_extent_count = MAX_EXTENTS;
	if (ioctl(fd, FS_IOC_FIEMAP, &buf.f))
		return -1;
	if (buf.f.fm_mapped_extents == MAX_EXTENTS &&
	    !(buf.e[MAX_EXTENTS - 1].fe_flags & FIEMAP_EXTENT_LAST))
		return -1;
	m->n = buf.f.fm_mapped_extents;
	memcpy(m->ext, buf.e, m->n * sizeof(m->ext[0]));
	return 0;
}

/* Print every difference between two maps as a "# " line; count them. */
static int extmap_diff(const char *what, const struct extmap *a,
		       const struct extmap *b)
{
	unsigned int i, n = a->n > b->n ? a->n : b->n;
	int diffs = 0;

	for (i = 0; i < n; i++) {
		const struct fiemap_extent *x = i < a->n ? &a->ext[i] : NULL;
		const struct fiemap_extent *y = i < b->n ? &b->ext[i] : NULL;

		if (x && y && x->fe_logical == y->fe_logical &&
		    x->fe_physical == y->fe_physical &&
		    x->fe_length == y->fe_length && x->fe_flags == y->fe_flags)
			continue;
		diffs++;
		printf("# %s: extent %u was", what, i);
		if (x)
			printf(" [%llu +%llu] at %llu flags %#x",
			       (unsigned long long)x->fe_logical,
			       (unsigned long long)x->fe_length,
			       (unsigned long long)x->fe_physical, x->fe_flags);
		else
			printf(" (none)");
		printf(", is");
		if (y)
			printf(" [%llu +%llu] at %llu flags %#x\n",
			       (unsigned long long)y->fe_logical,
			       (unsigned long long)y->fe_length,
			       (unsigned long long)y->fe_physical, y->fe_flags);
		else
			printf(" (none)\n");
	}
	fflush(stdout);
	return diffs;
}

/*
 * Extents in xfs's copy-on-write fork of @fd (0: none), or -1.  Only an
 * XFS_DEBUG kernel (the debug flavour) shows the CoW fork: elsewhere
 * this is -1 with errno EINVAL, and the block maps and counts are what
 * show CoW state.
 */
#define COW_HIDDEN	(-1)
static int cow_extents(int fd)
{
	struct getbmapx map[64];

	memset(map, 0, sizeof(map));
	map[0].bmv_length = -1;
	map[0].bmv_count = 64;
	map[0].bmv_iflags = BMV_IF_COWFORK | BMV_IF_NO_HOLES | BMV_IF_PREALLOC;
	if (ioctl(fd, XFS_IOC_GETBMAPX, map))
		return -1;
	return map[0].bmv_entries;
}

static int set_cowextsize(int fd, unsigned int bytes)
{
	struct fsxattr fa;

	if (ioctl(fd, FS_IOC_FSGETXATTR, &fa))
		return -1;
	fa.fsx_xflags |= FS_XFLAG_COWEXTSIZE;
	fa.fsx_cowextsize = bytes;
	return ioctl(fd, FS_IOC_FSSETXATTR, &fa);
}

/*
 * The reproducer of issue 10 up to the enable: @path gets @size written
 * bytes and an fsync; a reflinked copy is made; 4 KiB at 0 of @path is
 * rewritten (copy-on-write: the new block comes from the CoW fork, and
 * the rest of the cowextsize preallocation stays there) and fsynced.
 * With @cowextsize, that hint is set first, so the leftover preallocation
 * covers that much of the file.  Unless @keep_copy, the copy is deleted,
 * so nothing is shared any more.  *@cowed says whether the rewrite did
 * copy on write (block 0 moved).  Returns an O_RDWR fd of @path, or -1
 * with errno set (EOPNOTSUPP/EXDEV/EINVAL: no reflink here).
 */
static int make_once_reflinked(const char *path, const char *copy,
			       size_t size, unsigned int cowextsize,
			       bool keep_copy, bool *cowed)
{
	struct extmap before, after;
	char buf[SZ_4K];
	int fd, cfd, err;

	fd = make_written(path, size);
	if (fd < 0)
		return -1;
	memset(buf, 0xab, sizeof(buf));
	cfd = open(copy, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (cfd < 0 ||
	    (cowextsize && set_cowextsize(fd, cowextsize)) ||
	    ioctl(cfd, FICLONE, fd) ||
	    get_extmap(fd, &before) ||
	    pwrite(fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf) ||
	    fsync(fd) ||
	    get_extmap(fd, &after))
		goto fail;
	close(cfd);
	/* The rewrite of block 0 was copy-on-write: it has a new home. */
	*cowed = before.n && after.n &&
		 before.ext[0].fe_physical != after.ext[0].fe_physical;
	if (!keep_copy && unlink(copy))
		goto fail_fd;
	return fd;
fail:
	err = errno;
	if (cfd >= 0)
		close(cfd);
	errno = err;
fail_fd:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* ---- journal statistics ---- */

/*
 * The counters that move when the filesystem commits metadata.  On xfs:
 * committed transactions, block-map writes, unmaps and extent-list
 * insertions and removals, and log-space reservations.  (Reads of the
 * block map count in "blk_map" too; every fault does those, so they are
 * not here.)  On ext4: the journal transactions jbd2 committed.
 */
struct journal_counts {
	unsigned long long trans;	/* xfs trans: sync + async + empty;
					 * ext4: jbd2 transactions */
	unsigned long long map_writes;	/* blk_map: mapw + unmap */
	unsigned long long ext_changes;	/* blk_map: add_exlist + del_exlist */
	unsigned long long log_reserve;	/* push_ail: try_logspace */
};

static char stats_path[128];

/*
 * Find /mnt/pmem's statistics: xfs's own stats file (else the global one),
 * or the info file of ext4's jbd2 journal; false if there is none.
 */
static bool find_journal_stats(void)
{
	char src[256], type[64], *dev = "";

	if (mount_source(src, sizeof(src), type, sizeof(type)) &&
	    strrchr(src, '/'))
		dev = strrchr(src, '/') + 1;
	if (fs_is_xfs()) {
		snprintf(stats_path, sizeof(stats_path),
			 "/sys/fs/xfs/%s/stats/stats", dev);
		if (*dev && !access(stats_path, R_OK))
			return true;
		snprintf(stats_path, sizeof(stats_path),
			 "/sys/fs/xfs/stats/stats");
	} else {
		/* jbd2 names the journal after the device and its inode. */
		snprintf(stats_path, sizeof(stats_path),
			 "/proc/fs/jbd2/%s-8/info", dev);
	}
	return !access(stats_path, R_OK);
}

static int read_journal_counts(struct journal_counts *c)
{
	unsigned long long v[7];
	char line[1024];
	int found = 0, want = fs_is_xfs() ? 7 : 1;
	FILE *f = fopen(stats_path, "r");

	if (!f)
		return -1;
	memset(c, 0, sizeof(*c));
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "trans %llu %llu %llu", &v[0], &v[1],
			   &v[2]) == 3) {
			c->trans = v[0] + v[1] + v[2];
			found |= 1;
		} else if (sscanf(line, "%llu transactions (%llu requested)",
				  &v[0], &v[1]) == 2) {
			c->trans = v[0];
			found |= 1;
		} else if (sscanf(line, "blk_map %llu %llu %llu %llu %llu",
				  &v[0], &v[1], &v[2], &v[3], &v[4]) == 5) {
			c->map_writes = v[1] + v[2];
			c->ext_changes = v[3] + v[4];
			found |= 2;
		} else if (sscanf(line, "push_ail %llu", &v[0]) == 1) {
			c->log_reserve = v[0];
			found |= 4;
		}
	}
	fclose(f);
	return found == want ? 0 : -1;
}

/* The jbd2 commit interval in seconds: ext4's "commit=" option, else 5. */
static unsigned int journal_commit_seconds(void)
{
	char opts[512], *p;
	unsigned int secs = 0;

	if (mount_entry(NULL, 0, NULL, 0, opts, sizeof(opts))) {
		p = strstr(opts, "commit=");
		if (p)
			secs = strtoul(p + 7, NULL, 10);
	}
	return secs ? secs : 5;		/* commit=0 means the default too */
}

static bool mount_has_option(const char *opt)
{
	char opts[512], *p;

	if (!mount_entry(NULL, 0, NULL, 0, opts, sizeof(opts)))
		return false;
	for (p = strtok(opts, ","); p; p = strtok(NULL, ","))
		if (!strcmp(p, opt))
			return true;
	return false;
}

/* Remount /mnt/pmem with or without lazytime, keeping its other flags. */
static int remount_lazytime(bool on)
{
	static const struct { unsigned long st, ms; } keep[] = {
		{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC }, { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	unsigned long flags = MS_REMOUNT | (on ? MS_LAZYTIME : 0);
	struct statvfs sv;
	unsigned int i;

	if (statvfs(MNT, &sv))
		return -1;
	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	if (mount(NULL, MNT, NULL, flags, NULL))
		return -1;
	return mount_has_option("lazytime") == on ? 0 : -1;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

struct fault_run {
	long faults;			/* minor faults seen */
	struct journal_counts d;	/* what the counters moved by */
};

/*
 * Write-fault NFAULTS distinct 4 KiB pages of @fd from @off, each once,
 * through a fresh MAP_SHARED mapping placed 4 KiB off a 2 MiB boundary,
 * so every fault is a PTE fault; count the faults and the journal.
 *
 * Every 16 faults, sleep past a clock tick, so that mtime is due for an
 * update at least NFAULTS / 16 times: a fault path that logs timestamps
 * shows it in every run.  jbd2 commits in the background, so on ext4 wait
 * a commit interval before reading the counters again.
 */
static int count_write_faults(int fd, size_t size, size_t off,
			      struct fault_run *r)
{
	struct journal_counts before, after;
	unsigned char *area, *p;
	size_t i, len = size + 2 * SZ_2M;
	long f0;

	area = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return -1;
	p = (unsigned char *)((((uintptr_t)area + SZ_2M - 1) & ~(SZ_2M - 1)) +
			      SZ_4K);
	p = mmap(p, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		 fd, 0);
	if (p == MAP_FAILED) {
		munmap(area, len);
		return -1;
	}
	if (read_journal_counts(&before)) {
		munmap(area, len);
		return -1;
	}
	f0 = minflt();
	for (i = 0; i < NFAULTS; i++) {
		if (!(i % 16))
			usleep(20000);
		p[off + i * SZ_4K + 8] = 0xcd;
	}
	r->faults = minflt() - f0;
	if (!fs_is_xfs())
		sleep(journal_commit_seconds() + 1);
	if (read_journal_counts(&after)) {
		munmap(area, len);
		return -1;
	}
	munmap(area, len);
	r->d.trans = after.trans - before.trans;
	r->d.map_writes = after.map_writes - before.map_writes;
	r->d.ext_changes = after.ext_changes - before.ext_changes;
	r->d.log_reserve = after.log_reserve - before.log_reserve;
	return 0;
}

/* Nothing committed: no transaction, no log reservation, no map change. */
static bool run_is_quiet(const struct fault_run *r)
{
	return !r->d.map_writes && !r->d.ext_changes && !r->d.trans &&
	       !r->d.log_reserve;
}

/* ---- credentials ---- */

/*
 * In a child: become @uid with exactly the capabilities in @caps (a
 * -1-terminated list), then run @fn.  Returns @fn's exit status, 0 when
 * every expectation held; 100+ when the identity could not be assumed.
 */
static int as_user(uid_t uid, const int *caps, int (*fn)(void *), void *arg)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	pid_t pid = fork();
	int status, i;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
			_exit(100);
		if (setresuid(uid, uid, uid))
			_exit(101);
		memset(data, 0, sizeof(data));
		for (i = 0; caps[i] >= 0; i++) {
			data[caps[i] / 32].effective |= 1U << (caps[i] % 32);
			data[caps[i] / 32].permitted |= 1U << (caps[i] % 32);
		}
		if (syscall(SYS_capset, &hdr, data))
			_exit(102);
		_exit(fn(arg));
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* What a child must see: each call's result, in order. */
struct expect_calls {
	const char *path;	/* path form */
	long enable;		/* daxctl(STATIC) on @path */
	long disable;		/* daxctl(0) on @path, after the enable */
	const char *other;	/* a file the parent made static */
	long disable_other;	/* daxctl(0) on @other */
};

static int check_calls(void *arg)
{
	struct expect_calls *e = arg;
	long got;
	int fd;

	got = daxctl_err(AT_FDCWD, e->path, DAXCTL_F_STATIC, 0);
	if (got != e->enable) {
		printf("# uid %d: enable %s: got %ld, want %ld\n", getuid(),
		       e->path, got, e->enable);
		return 1;
	}
	/* The fd form asks the same question. */
	fd = open(e->path, O_RDWR);
	if (fd < 0)
		return 2;
	got = daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0);
	close(fd);
	if (got != e->enable) {
		printf("# uid %d: enable by fd: got %ld, want %ld\n", getuid(),
		       got, e->enable);
		return 3;
	}
	got = daxctl_err(AT_FDCWD, e->path, 0, 0);
	if (got != e->disable) {
		printf("# uid %d: disable %s: got %ld, want %ld\n", getuid(),
		       e->path, got, e->disable);
		return 4;
	}
	got = daxctl_err(AT_FDCWD, e->other, 0, 0);
	if (got != e->disable_other) {
		printf("# uid %d: disable %s: got %ld, want %ld\n", getuid(),
		       e->other, got, e->disable_other);
		return 5;
	}
	/* GET needs nothing. */
	got = daxctl_err(AT_FDCWD, e->other, DAXCTL_F_GET, 0);
	if (got < 0) {
		printf("# uid %d: GET %s: %ld\n", getuid(), e->other, got);
		return 6;
	}
	return 0;
}

/* ---- the fixture ---- */

enum { F, G, H, LINK, DLINK, NFILES };
static const char *const names[NFILES] = { "f", "g", "h", "link", "dlink" };

FIXTURE(hard) {
	char dir[64];
	char path[NFILES][96];
	int fd;			/* O_RDWR fd of path[F], FILE_SIZE written */
	int unlinked;		/* an fd whose file may have no name */
	bool lazytime;		/* remounted lazytime: undo it */
};

FIXTURE_SETUP(hard)
{
	struct statx stx;
	int i;

	snprintf(self->dir, sizeof(self->dir), MNT "/hard.%d", getpid());
	for (i = 0; i < NFILES; i++)
		snprintf(self->path[i], sizeof(self->path[i]), "%s/%s",
			 self->dir, names[i]);
	self->fd = -1;
	self->unlinked = -1;
	self->lazytime = false;

	if (statx(AT_FDCWD, MNT, 0, STATX_BASIC_STATS, &stx) ||
	    mkdir(self->dir, 0755))
		SKIP(return, "no " MNT " to test on");
	self->fd = make_written(self->path[F], FILE_SIZE);
	ASSERT_LE(0, self->fd);
	if (statx(self->fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes & STATX_ATTR_DAX))
		SKIP(return, MNT " is not a DAX mount");
	if (daxctl(self->fd, NULL, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS)
		SKIP(return, "kernel without daxctl()");
}

FIXTURE_TEARDOWN(hard)
{
	int i;

	if (self->lazytime && remount_lazytime(false))
		printf("# could not remount " MNT " without lazytime\n");
	if (self->unlinked >= 0) {
		/* Never leave a nameless file pinned until umount. */
		daxctl(self->unlinked, NULL, 0, 0);
		close(self->unlinked);
	}
	if (self->fd >= 0)
		close(self->fd);
	for (i = 0; i < NFILES; i++) {
		if (i < LINK)
			daxctl(AT_FDCWD, self->path[i], 0, 0);
		unlink(self->path[i]);
	}
	rmdir(self->dir);
}

/* ---- 1. xfs: no copy-on-write state on a static file ---- */

/*
 * Issue 10's reproducer: once reflinked, the copy deleted, enable
 * succeeds, and a store through a shared mapping leaves every extent
 * where it was.  Today the fault takes the copy-on-write path: it remaps
 * the block at 64 KiB, and a power cut then loses the store.
 */
TEST_F_TIMEOUT(hard, once_reflinked_enable_then_store_moves_no_block, 300)
{
	struct extmap before, after;
	unsigned char *p, buf[SZ_4K];
	bool cowed;
	int fd, cow;

	if (!fs_is_xfs())
		SKIP(return, "reflink and CoW forks are xfs's");
	fd = make_once_reflinked(self->path[G], self->path[H], COW_SIZE, 0,
				 false, &cowed);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EXDEV ||
		       errno == EINVAL))
		SKIP(return, "no reflink here: %s", strerror(errno));
	ASSERT_LE(0, fd);
	/* The reproducer reproduces: the rewrite was copy-on-write... */
	ASSERT_TRUE(cowed);
	/* ... and left CoW extents (seen where the kernel shows them). */
	cow = cow_extents(fd);
	if (cow == COW_HIDDEN)
		TH_LOG("the CoW fork is visible on XFS_DEBUG kernels only");
	else
		ASSERT_LT(0, cow);

	ASSERT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	if (cow != COW_HIDDEN)
		EXPECT_EQ(0, cow_extents(fd))
			TH_LOG("enable left copy-on-write extents behind");

	ASSERT_EQ(0, get_extmap(fd, &before));
	p = mmap(NULL, COW_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p + STORE_AT, 0xcd, SZ_4K);
	munmap(p, COW_SIZE);
	ASSERT_EQ(0, get_extmap(fd, &after));
	EXPECT_EQ(0, extmap_diff("store at 64 KiB", &before, &after));
	if (cow != COW_HIDDEN)
		EXPECT_EQ(0, cow_extents(fd));
	ASSERT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), STORE_AT));
	EXPECT_EQ(0xcd, buf[0]);
	EXPECT_EQ(0xcd, buf[SZ_4K - 1]);
	ASSERT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0xab, buf[0]);
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	close(fd);
}

/* Still shared with the copy: that can't be made static. */
TEST_F_TIMEOUT(hard, reflinked_copy_kept_enable_einval, 300)
{
	bool cowed;
	int fd;

	if (!fs_is_xfs())
		SKIP(return, "reflink is xfs's");
	fd = make_once_reflinked(self->path[G], self->path[H], COW_SIZE, 0,
				 true, &cowed);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EXDEV ||
		       errno == EINVAL))
		SKIP(return, "no reflink here: %s", strerror(errno));
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(AT_FDCWD, self->path[H],
				      DAXCTL_F_STATIC, 0));
	/* Once the copy is gone, it can. */
	ASSERT_EQ(0, unlink(self->path[H]));
	EXPECT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	close(fd);
}

/*
 * Count what NFAULTS write faults on a static file make the filesystem
 * commit; up to three disjoint runs, so a background transaction (the log
 * worker's, inode inactivation of an earlier case's files) that lands in
 * one run can't fail the case, while a fault path that does work fails
 * every run.  Nothing may be committed: not the block map, which is
 * frozen, and not the timestamps, which a static file keeps in memory
 * until fsync (see daxfile.rst).
 */
static void measure(struct __test_metadata *_metadata, const char *what,
		    int fd, size_t size)
{
	struct fault_run r;
	bool quiet = false;
	int run;

	/* Commit what making the file left behind before counting. */
	ASSERT_EQ(0, syncfs(fd));
	for (run = 0; run < 3 && !quiet; run++) {
		ASSERT_EQ(0, count_write_faults(fd, size,
						SZ_2M + run * (NFAULTS * SZ_4K),
						&r));
		printf("# %s, run %d: %ld write faults on %d pages: %llu "
		       "transactions, %llu log reservations, %llu block-map "
		       "writes, %llu extent-list changes\n",
		       what, run + 1, r.faults, NFAULTS, r.d.trans,
		       r.d.log_reserve, r.d.map_writes, r.d.ext_changes);
		fflush(stdout);
		/* The faults happened: each page took one. */
		ASSERT_LE(NFAULTS, r.faults);
		quiet = run_is_quiet(&r);
	}
	EXPECT_TRUE(quiet);
}

/*
 * A once-reflinked static file whose CoW fork preallocation (a 16 MiB
 * cowextsize hint) covered every page faulted: before enable dropped the
 * CoW state, each of those faults converted and remapped a CoW block, at
 * least one transaction each.
 */
TEST_F_TIMEOUT(hard, once_reflinked_static_write_faults_do_no_transactions, 300)
{
	bool cowed;
	int fd, cow;

	if (!fs_is_xfs())
		SKIP(return, "reflink and CoW forks are xfs's here");
	if (!find_journal_stats())
		SKIP(return, "no xfs statistics in /sys/fs/xfs");
	fd = make_once_reflinked(self->path[G], self->path[H], COW_SIZE,
				 COW_SIZE, false, &cowed);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EXDEV ||
		       errno == EINVAL))
		SKIP(return, "no reflink here: %s", strerror(errno));
	ASSERT_LE(0, fd);
	ASSERT_TRUE(cowed);
	cow = cow_extents(fd);
	if (cow != COW_HIDDEN)
		ASSERT_LT(0, cow);
	ASSERT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, SZ_4K));
	measure(_metadata, "once-reflinked static file", fd, COW_SIZE);
	close(fd);
}

/* Make @path a written static file and measure its write faults. */
static void measure_new_static_file(struct __test_metadata *_metadata,
				    const char *what, const char *path)
{
	int fd = make_written(path, COW_SIZE);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, SZ_4K));
	measure(_metadata, what, fd, COW_SIZE);
	close(fd);
}

/* A file that was never reflinked does no work either, on both fs. */
TEST_F_TIMEOUT(hard, static_write_faults_do_no_transactions, 300)
{
	if (!find_journal_stats())
		SKIP(return, "no journal statistics for " MNT);
	measure_new_static_file(_metadata, "never-reflinked static file",
				self->path[G]);
}

/* The same with lazytime, which must not bring transactions back. */
TEST_F_TIMEOUT(hard, static_write_faults_do_no_transactions_lazytime, 300)
{
	if (!find_journal_stats())
		SKIP(return, "no journal statistics for " MNT);
	if (!mount_has_option("lazytime")) {
		ASSERT_EQ(0, remount_lazytime(true))
			TH_LOG("remount lazytime: %s", strerror(errno));
		self->lazytime = true;
	}
	measure_new_static_file(_metadata, "static file, lazytime",
				self->path[G]);
}

/*
 * The control for the two above: the same faults on an ordinary DAX file
 * commit its timestamp updates, so the counters and the clock ticks that
 * count_write_faults() waits for do show a fault path that logs.
 */
TEST_F_TIMEOUT(hard, ordinary_write_faults_commit_timestamps, 300)
{
	struct fault_run r;
	int fd;

	if (!find_journal_stats())
		SKIP(return, "no journal statistics for " MNT);
	fd = make_written(self->path[G], COW_SIZE);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, count_write_faults(fd, COW_SIZE, SZ_2M, &r));
	printf("# ordinary file: %ld write faults, %llu transactions\n",
	       r.faults, r.d.trans);
	EXPECT_LE(NFAULTS, r.faults);
	EXPECT_LT(0, r.d.trans);
	close(fd);
}

/*
 * Make @fd static and durable, note its stat in @before, then, past a
 * clock tick, store @byte at @off through a shared mapping and note the
 * stat in @after.  0, or -1 with errno.
 */
static int static_store_after_a_tick(int fd, size_t off, unsigned char byte,
				     struct stat *before, struct stat *after)
{
	unsigned char *p;

	if (daxctl(fd, NULL, DAXCTL_F_STATIC, 0) || fsync(fd) ||
	    fstat(fd, before))
		return -1;
	p = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -1;
	usleep(20000);
	p[off] = byte;
	munmap(p, FILE_SIZE);
	return fstat(fd, after);
}

/*
 * A static file's write fault updates mtime in memory only; fsync must
 * then commit it, on mounts with and without lazytime alike.
 */
TEST_F_TIMEOUT(hard, static_write_fault_mtime_is_committed_by_fsync, 120)
{
	struct journal_counts before, after;
	struct stat st0, st1;
	int i;

	if (!find_journal_stats())
		SKIP(return, "no journal statistics for " MNT);
	ASSERT_EQ(0, static_store_after_a_tick(self->fd, SZ_4K, 0x5a, &st0,
					       &st1));
	EXPECT_TRUE(st1.st_mtim.tv_sec != st0.st_mtim.tv_sec ||
		    st1.st_mtim.tv_nsec != st0.st_mtim.tv_nsec)
		TH_LOG("the write fault did not update mtime");
	ASSERT_EQ(0, read_journal_counts(&before));
	ASSERT_EQ(0, fsync(self->fd));
	/* jbd2 wakes fsync before it counts the commit: give it a second. */
	for (i = 0; i < 100; i++) {
		ASSERT_EQ(0, read_journal_counts(&after));
		if (after.trans != before.trans)
			break;
		usleep(10000);
	}
	printf("# fsync after the store: %llu transactions\n",
	       after.trans - before.trans);
	EXPECT_LT(0, after.trans - before.trans)
		TH_LOG("fsync committed no timestamp");
}

/* The byte at @off of @path, or -1. */
static int byte_at(const char *path, off_t off)
{
	unsigned char c;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, &c, 1, off);
	close(fd);
	return n == 1 ? c : -1;
}

/* ext4's EXT4_IOC_SHUTDOWN and xfs's XFS_IOC_GOINGDOWN, and their flag. */
#define IOC_SHUTDOWN		_IOR('X', 125, __u32)
#define SHUTDOWN_NOLOGFLUSH	0x2

/*
 * The mtime a write fault set in memory survives a crash once fsync has
 * returned: store, fsync, shut the filesystem down without flushing
 * anything more (what a power cut leaves), mount it again and compare.
 */
TEST_F_TIMEOUT(hard, static_write_fault_mtime_survives_a_crash_after_fsync, 120)
{
	char src[256], type[64];
	__u32 how = SHUTDOWN_NOLOGFLUSH;
	struct stat st0, st1, st2;

	ASSERT_TRUE(mount_source(src, sizeof(src), type, sizeof(type)));
	ASSERT_EQ(0, static_store_after_a_tick(self->fd, 2 * SZ_4K, 0xa5,
					       &st0, &st1));
	ASSERT_TRUE(st1.st_mtim.tv_sec != st0.st_mtim.tv_sec ||
		    st1.st_mtim.tv_nsec != st0.st_mtim.tv_nsec);
	ASSERT_EQ(0, fsync(self->fd));
	if (ioctl(self->fd, IOC_SHUTDOWN, &how))
		SKIP(return, "no shutdown ioctl here: %s", strerror(errno));
	close(self->fd);
	self->fd = -1;
	ASSERT_EQ(0, umount(MNT)) TH_LOG("umount: %s", strerror(errno));
	ASSERT_EQ(0, mount(src, MNT, type, 0, "dax"))
		TH_LOG("mount %s: %s", src, strerror(errno));
	ASSERT_EQ(0, stat(self->path[F], &st2));
	EXPECT_EQ(st1.st_mtim.tv_sec, st2.st_mtim.tv_sec);
	EXPECT_EQ(st1.st_mtim.tv_nsec, st2.st_mtim.tv_nsec);
	EXPECT_EQ(0xa5, byte_at(self->path[F], 2 * SZ_4K));
}

/* ---- 5. lifetime and permissions ---- */

TEST_F(hard, unlinked_file_enoent)
{
	/* Linked, it can. */
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	self->unlinked = make_written(self->path[G], FILE_SIZE);
	ASSERT_LE(0, self->unlinked);
	ASSERT_EQ(0, unlink(self->path[G]));
	EXPECT_EQ(-ENOENT, daxctl_err(self->unlinked, NULL, DAXCTL_F_STATIC,
				      0));
	EXPECT_EQ(0, daxctl_err(self->unlinked, NULL, DAXCTL_F_GET, 0));
}

TEST_F(hard, o_tmpfile_enoent_until_linked)
{
	char proc[64];

	self->unlinked = open(self->dir, O_TMPFILE | O_RDWR, 0644);
	if (self->unlinked < 0)
		SKIP(return, "O_TMPFILE: %s", strerror(errno));
	ASSERT_EQ(0, fill_written(self->unlinked, FILE_SIZE, 0));
	EXPECT_EQ(-ENOENT, daxctl_err(self->unlinked, NULL, DAXCTL_F_STATIC,
				      0));
	EXPECT_EQ(0, daxctl_err(self->unlinked, NULL, DAXCTL_F_GET, 0));
	/* Make it disable-able again before linking, if that went wrong. */
	daxctl(self->unlinked, NULL, 0, 0);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", self->unlinked);
	ASSERT_EQ(0, linkat(AT_FDCWD, proc, AT_FDCWD, self->path[G],
			    AT_SYMLINK_FOLLOW));
	EXPECT_EQ(0, daxctl_err(self->unlinked, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[G], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[G], 0, 0));
}

static const int only_immutable[] = { CAP_LINUX_IMMUTABLE, -1 };
static const int immutable_fowner[] = { CAP_LINUX_IMMUTABLE, CAP_FOWNER, -1 };
static const int no_caps[] = { -1 };

/*
 * Files f (not static) and g (static), mode 0666: writable by anyone, so
 * only the ownership rule can refuse.  Root's, or @owner's.
 */
static void two_files(struct __test_metadata *_metadata,
		      FIXTURE_DATA(hard) *self, uid_t owner,
		      struct expect_calls *e)
{
	int fd = make_written(self->path[G], FILE_SIZE);

	ASSERT_LE(0, fd);
	close(fd);
	ASSERT_EQ(0, chmod(self->path[F], 0666));
	ASSERT_EQ(0, chmod(self->path[G], 0666));
	ASSERT_EQ(0, chown(self->path[F], owner, owner));
	ASSERT_EQ(0, chown(self->path[G], owner, owner));
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path[G], DAXCTL_F_STATIC, 0));
	e->path = self->path[F];
	e->other = self->path[G];
}

/* CAP_FOWNER stands in for ownership, as for chattr +i. */
TEST_F(hard, not_owner_with_cap_fowner_may)
{
	struct expect_calls e = { .enable = 0, .disable = 0,
				  .disable_other = 0 };

	two_files(_metadata, self, 0, &e);
	EXPECT_EQ(0, as_user(STRANGER, immutable_fowner, check_calls, &e));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[F], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[G], DAXCTL_F_GET, 0));
}

/* Today CAP_LINUX_IMMUTABLE alone pins anyone's writable file. */
TEST_F(hard, not_owner_without_cap_fowner_eperm)
{
	struct expect_calls e = { .enable = -EPERM, .disable = -EPERM,
				  .disable_other = -EPERM };

	two_files(_metadata, self, 0, &e);
	EXPECT_EQ(0, as_user(STRANGER, only_immutable, check_calls, &e));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[F], DAXCTL_F_GET, 0));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[G], DAXCTL_F_GET, 0));
}

/* The owner with CAP_LINUX_IMMUTABLE may; without it, still may not. */
TEST_F(hard, owner_with_cap_linux_immutable_may)
{
	struct expect_calls yes = { .enable = 0, .disable = 0,
				    .disable_other = 0 };
	struct expect_calls no = { .enable = -EPERM, .disable = -EPERM,
				   .disable_other = -EPERM };

	two_files(_metadata, self, STRANGER, &yes);
	no.path = yes.path;
	no.other = yes.other;
	EXPECT_EQ(0, as_user(STRANGER, no_caps, check_calls, &no));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[G], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, as_user(STRANGER, only_immutable, check_calls, &yes));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[F], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[G], DAXCTL_F_GET, 0));
}

/* A final symlink, with and without DAXCTL_F_NOFOLLOW. */
TEST_F(hard, nofollow_on_a_regular_file_works)
{
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path[F],
				DAXCTL_F_GET | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[F],
				DAXCTL_F_STATIC | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[F],
			     DAXCTL_F_GET | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[F], DAXCTL_F_NOFOLLOW,
				0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

TEST_F(hard, nofollow_final_symlink_eloop)
{
	int dfd = open(self->dir, O_RDONLY | O_DIRECTORY);

	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, symlink(self->path[F], self->path[LINK]));
	EXPECT_EQ(-ELOOP, daxctl_err(AT_FDCWD, self->path[LINK],
				     DAXCTL_F_GET | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(-ELOOP, daxctl_err(AT_FDCWD, self->path[LINK],
				     DAXCTL_F_STATIC | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(-ELOOP, daxctl_err(dfd, names[LINK],
				     DAXCTL_F_STATIC | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	/* Static through its real name; the link still can't clear it. */
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-ELOOP, daxctl_err(AT_FDCWD, self->path[LINK],
				     DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(-ELOOP, daxctl_err(dfd, names[LINK], DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(-ELOOP, daxctl_err(AT_FDCWD, self->path[LINK],
				     DAXCTL_F_GET | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	close(dfd);
}

TEST_F(hard, symlink_followed_without_nofollow)
{
	ASSERT_EQ(0, symlink(self->path[F], self->path[LINK]));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[LINK], DAXCTL_F_GET, 0));
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path[LINK], DAXCTL_F_STATIC,
				0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(AT_FDCWD, self->path[LINK], DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, self->path[LINK], 0, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

/* Only the final component: a symlinked directory on the way is fine. */
TEST_F(hard, nofollow_follows_symlinked_directories)
{
	char via[160];

	ASSERT_EQ(0, symlink(self->dir, self->path[DLINK]));
	snprintf(via, sizeof(via), "%s/%s", self->path[DLINK], names[F]);
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, via,
				DAXCTL_F_STATIC | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	EXPECT_EQ(0, daxctl_err(AT_FDCWD, via, DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

/* The fd form has no path to not follow. */
TEST_F(hard, nofollow_without_path_einval)
{
	/* The flag is known: with a path it is accepted. */
	ASSERT_EQ(0, daxctl_err(AT_FDCWD, self->path[F],
				DAXCTL_F_GET | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL,
				      DAXCTL_F_GET | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL,
				      DAXCTL_F_STATIC | DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, DAXCTL_F_STATIC, 0));
	EXPECT_EQ(-EINVAL, daxctl_err(self->fd, NULL, DAXCTL_F_NOFOLLOW, 0));
	EXPECT_EQ(DAXCTL_F_STATIC, daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

/* ---- 9. calls that change nothing succeed ---- */

struct file_state {
	struct extmap map;
	struct stat st;
	unsigned char head, tail;	/* first and last bytes */
};

static int get_state(int fd, struct file_state *s)
{
	if (get_extmap(fd, &s->map) || fstat(fd, &s->st) ||
	    pread(fd, &s->head, 1, 0) != 1 ||
	    pread(fd, &s->tail, 1, s->st.st_size - 1) != 1)
		return -1;
	return 0;
}

static int state_diff(const char *what, const struct file_state *a,
		      const struct file_state *b)
{
	int diffs = extmap_diff(what, &a->map, &b->map);

	if (a->st.st_size != b->st.st_size ||
	    a->st.st_blocks != b->st.st_blocks ||
	    a->head != b->head || a->tail != b->tail) {
		printf("# %s: size %lld -> %lld, blocks %lld -> %lld, "
		       "bytes %#x..%#x -> %#x..%#x\n", what,
		       (long long)a->st.st_size, (long long)b->st.st_size,
		       (long long)a->st.st_blocks, (long long)b->st.st_blocks,
		       a->head, a->tail, b->head, b->tail);
		diffs++;
	}
	return diffs;
}

/* Marks at both ends, then static. */
static void make_static(struct __test_metadata *_metadata, int fd,
			struct file_state *s)
{
	ASSERT_EQ(1, pwrite(fd, "\x5a", 1, 0));
	ASSERT_EQ(1, pwrite(fd, "\xa5", 1, FILE_SIZE - 1));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, daxctl_err(fd, NULL, DAXCTL_F_STATIC, 0));
	ASSERT_EQ(0, get_state(fd, s));
}

TEST_F(hard, noop_fallocate_inside_size_succeeds)
{
	struct file_state before, after;

	make_static(_metadata, self->fd, &before);
	EXPECT_EQ(0, ERR(fallocate(self->fd, 0, 0, FILE_SIZE)));
	EXPECT_EQ(0, ERR(fallocate(self->fd, FALLOC_FL_KEEP_SIZE, SZ_4K,
				   2 * SZ_4K)));
	EXPECT_EQ(0, ERR(fallocate(self->fd, FALLOC_FL_KEEP_SIZE, 0,
				   FILE_SIZE)));
	/* Ending exactly at i_size is still inside. */
	EXPECT_EQ(0, ERR(fallocate(self->fd, 0, FILE_SIZE - SZ_4K, SZ_4K)));
	EXPECT_EQ(0, ERR(fallocate(self->fd, 0, 100, 5000)));
	/* What PMDK does: over the file's own size. */
	EXPECT_EQ(0, posix_fallocate(self->fd, 0, FILE_SIZE));
	ASSERT_EQ(0, get_state(self->fd, &after));
	EXPECT_EQ(0, state_diff("no-op fallocate", &before, &after));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

TEST_F(hard, truncate_to_same_size_succeeds)
{
	struct file_state before, after;

	make_static(_metadata, self->fd, &before);
	EXPECT_EQ(0, ERR(ftruncate(self->fd, FILE_SIZE)));
	EXPECT_EQ(0, ERR(truncate(self->path[F], FILE_SIZE)));
	ASSERT_EQ(0, get_state(self->fd, &after));
	EXPECT_EQ(0, state_diff("truncate to the same size", &before, &after));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

struct size_op {
	const char *name;
	int mode;		/* fallocate mode, or -1: ftruncate */
	off_t off, len;		/* fallocate range; ftruncate: len */
};

#define FA(m, o, l)	{ #m " " #o " " #l, m, o, l }
#define TR(l)		{ "ftruncate " #l, -1, 0, l }

static const struct size_op changing_ops[] = {
	FA(0, FILE_SIZE - SZ_4K, 2 * SZ_4K),
	FA(0, FILE_SIZE, SZ_4K),
	FA(FALLOC_FL_KEEP_SIZE, FILE_SIZE - SZ_4K, 2 * SZ_4K),
	FA(FALLOC_FL_KEEP_SIZE, FILE_SIZE, SZ_4K),
	FA(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, SZ_4K, SZ_4K),
	FA(FALLOC_FL_ZERO_RANGE, SZ_4K, SZ_4K),
	FA(FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, SZ_4K, SZ_4K),
	/* Whole 2 MiB: ext4's bigalloc clusters are that large here. */
	FA(FALLOC_FL_COLLAPSE_RANGE, 0, SZ_2M),
	FA(FALLOC_FL_INSERT_RANGE, SZ_2M, SZ_2M),
	FA(FALLOC_FL_UNSHARE_RANGE, 0, SZ_4K),
	FA(FALLOC_FL_UNSHARE_RANGE | FALLOC_FL_KEEP_SIZE, 0, SZ_4K),
	TR(FILE_SIZE - SZ_4K),
	TR(FILE_SIZE + SZ_4K),
	TR(0),
};

static int do_op(int fd, const struct size_op *op)
{
	if (op->mode < 0)
		return ERR(ftruncate(fd, op->len));
	return ERR(fallocate(fd, op->mode, op->off, op->len));
}

/*
 * Everything that would change the map or the size: ETXTBSY.  Each is
 * first done to an ordinary file of the same shape, where it succeeds
 * (or the filesystem doesn't do it at all: then EOPNOTSUPP is as good).
 */
TEST_F_TIMEOUT(hard, changing_fallocate_and_truncate_etxtbsy, 300)
{
	struct file_state before, after;
	unsigned int i;
	int plain, want, got;

	make_static(_metadata, self->fd, &before);
	for (i = 0; i < sizeof(changing_ops) / sizeof(changing_ops[0]); i++) {
		const struct size_op *op = &changing_ops[i];

		plain = make_written(self->path[G], FILE_SIZE);
		ASSERT_LE(0, plain);
		want = do_op(plain, op);
		close(plain);
		if (want && want != -EOPNOTSUPP) {
			printf("# %s: %s on an ordinary file\n", op->name,
			       strerror(-want));
			EXPECT_EQ(0, want);
			continue;
		}
		if (want)
			printf("# %s: the filesystem doesn't do it at all\n",
			       op->name);
		got = do_op(self->fd, op);
		if (got != -ETXTBSY && !(want && got == want)) {
			printf("# %s on the static file: %s (ordinary: %s)\n",
			       op->name, strerror(-got), strerror(-want));
			EXPECT_EQ(-ETXTBSY, got);
		}
	}
	EXPECT_EQ(-ETXTBSY, ERR(truncate(self->path[F], FILE_SIZE - SZ_4K)));
	EXPECT_EQ(-ETXTBSY, ERR(truncate(self->path[F], 0)));
	ASSERT_EQ(0, get_state(self->fd, &after));
	EXPECT_EQ(0, state_diff("refused calls", &before, &after));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
}

/* No-ops and refusals mixed: the file stays static and unchanged. */
TEST_F(hard, static_after_noops_and_refusals)
{
	struct file_state before, after;

	make_static(_metadata, self->fd, &before);
	EXPECT_EQ(0, ERR(fallocate(self->fd, 0, 0, FILE_SIZE)));
	EXPECT_EQ(-ETXTBSY, ERR(fallocate(self->fd, 0, 0, FILE_SIZE + 1)));
	EXPECT_EQ(0, ERR(ftruncate(self->fd, FILE_SIZE)));
	EXPECT_EQ(-ETXTBSY, ERR(ftruncate(self->fd, FILE_SIZE - 1)));
	EXPECT_EQ(0, posix_fallocate(self->fd, 0, FILE_SIZE));
	EXPECT_EQ(ETXTBSY, posix_fallocate(self->fd, 0, FILE_SIZE + SZ_4K));
	ASSERT_EQ(0, get_state(self->fd, &after));
	EXPECT_EQ(0, state_diff("mixed", &before, &after));
	EXPECT_EQ(DAXCTL_F_STATIC,
		  daxctl_err(self->fd, NULL, DAXCTL_F_GET, 0));
	/* And it is still an ordinary file once disabled. */
	ASSERT_EQ(0, daxctl_err(self->fd, NULL, 0, 0));
	EXPECT_EQ(0, ERR(fallocate(self->fd, 0, 0, FILE_SIZE + SZ_4K)));
	EXPECT_EQ(0, ERR(ftruncate(self->fd, FILE_SIZE)));
}

TEST_HARNESS_MAIN
