// SPDX-License-Identifier: MIT
/*
 * daxfile_create(), daxfile_open(), daxfile_close() and the accessors.
 *
 * Creating a file safely is: allocate an unnamed file, write every block
 * (so no extent is left unwritten), fsync, check the block map, link it
 * under a short temporary name, daxctl(STATIC), map, and only then give
 * it its name (see put_in_place()).  A failure or a signal at any step
 * leaves the directory as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "mode.h"
#include "syscall.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif

#define ZERO_CHUNK		(8UL << 20)

enum dax_state { DAX_NO, DAX_YES, DAX_UNKNOWN };

static enum dax_state file_dax_state(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) ||
	    !(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return DAX_UNKNOWN;
	return stx.stx_attributes & STATX_ATTR_DAX ? DAX_YES : DAX_NO;
}

/*
 * A process that has a file open for its own use holds an flock(2) on it,
 * as PMDK does on a pool and pmlog on a log: whatever it writes while we
 * copy or fill the file would be lost, or overwritten with zeroes.  Take
 * that lock ourselves, through @fd's own file description, and keep it
 * until @fd is closed.  0, or -1 with EBUSY if someone holds it.
 */
static int lock_in_use(int fd)
{
	int err;

	if (!flock(fd, LOCK_EX | LOCK_NB))
		return 0;
	err = errno;
	if (err == EWOULDBLOCK)
		daxfile__err(EBUSY,
			     "the file is in use: another process holds its lock (flock), as PMDK and pmlog do while it is open");
	else
		daxfile__err(err, "cannot lock the file: %s", strerror(err));
	return -1;
}

static bool align_ok(unsigned int align)
{
	return !(align & (align - 1)) && align >= (unsigned int)getpagesize()
		&& align <= DAXFILE_ALIGN_MAX;
}

/* Turn daxctl's bare EINVAL into the first reason we can find. */
static void diagnose_einval(int fd, uint64_t size, unsigned int align)
{
	char a[32];

	if (!align)
		align = (unsigned int)getpagesize();
	if (!size) {
		daxfile__err(EINVAL,
			     "the file is empty; create it with daxfile_create or run `daxfile create`");
		return;
	}
	if (size % align) {
		daxfile__err(EINVAL,
			     "size %" PRIu64 " is not a multiple of the alignment %s",
			     size, daxfile__size_str(align, a, sizeof(a)));
		return;
	}
	if (daxfile_check(fd, align, NULL, NULL) > 0)
		return;
	daxfile__err(EINVAL,
		     "the kernel refused static-dax although the block map looks eligible; see the kernel log");
}

/* Why STATIC cannot be had, for DAXFILE_REQUIRE_STATIC. */
static void *require_static_fail(int err, const char *why)
{
	daxfile__err(err, "static-dax is required but unavailable: %s", why);
	return NULL;
}

__attribute__((format(printf, 2, 3)))
static void set_reason(struct daxfile *df, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(df->reason, sizeof(df->reason), fmt, ap);
	va_end(ap);
}

/*
 * A one-page read-only probe asks the kernel.  It fails closed: a probe
 * that could not be made (ENOMEM, say) proves nothing about the device.
 */
bool daxfile__map_sync_refused(int fd)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC,
		       fd, 0);

	if (p == MAP_FAILED)
		return true;
	munmap(p, pg);
	return false;
}

/* daxctl(STATIC)'s refusals that leave MAP_SYNC or MSYNC mode safe. */
static const char *degrade_reason(int err, char *buf, size_t len)
{
	switch (err) {
	case 0:
		return "the file is not static-dax; make it static once with `daxfile enable` (or open it with DAXFILE_ENABLE)";
	case ENOENT:
		return "the file has no name (it was unlinked); only linked files can be static-dax";
	case EOPNOTSUPP:
		return "the kernel refuses static-dax for this file: it is not DAX, the filesystem does not support it, or the DAX device is asynchronous (virtio-pmem)";
	case EBUSY:
		return "the file is an active swap or quota file";
	case ENOSYS:
	case EPERM:
	case EACCES:
	case EBADF:
	case EROFS:
		snprintf(buf, len, "%s",
			 daxfile__daxctl_reason(err, DAXCTL_F_STATIC));
		return buf;
	}
	return NULL;
}

/*
 * Settle df->mode: STATIC if the file is static-dax (or DAXFILE_ENABLE
 * asks to make it so and it can be), otherwise MAP_SYNC for DAX files and
 * MSYNC for the rest, with the reason in df->reason.  The state is the
 * file's own, kept on disk by the kernel: opening a file must not change
 * it behind the user's back (it makes the file undeletable, for one).  An ineligible file (holes, unwritten or shared
 * extents, misaligned) degrades too: MAP_SYNC makes the filesystem
 * commit the block map on each write fault, so it is safe for any
 * layout.  Only DAXFILE_REQUIRE_STATIC turns these into failures.  The
 * map itself downgrades MAP_SYNC to MSYNC if the kernel refuses it.
 */
static int settle_mode(struct daxfile *df, unsigned int flags,
		       unsigned int align)
{
	long ret = sys_daxctl(df->fd, NULL, DAXCTL_F_GET, 0);
	const char *why;
	char buf[256];
	int err = 0;

	if (ret < 0) {
		err = errno;
		goto not_static;
	}
	if (ret & DAXCTL_F_STATIC) {
		/*
		 * The state is kept on disk, so the file can be met where
		 * flushes alone do not make a store durable: on a mount
		 * without DAX (dax=never), where stores go to the page
		 * cache, or on an asynchronous DAX device (virtio-pmem),
		 * where the host must be asked to flush.  Its map is still
		 * frozen, but only msync makes its stores durable.
		 */
		if (file_dax_state(df->fd) != DAX_YES)
			why = DAXFILE_WHY_STATIC_NOT_DAX;
		else if (daxfile__map_sync_refused(df->fd))
			why = DAXFILE_WHY_STATIC_ASYNC;
		else {
			df->mode = DAXFILE_MODE_STATIC;
			return 0;
		}
		if (flags & DAXFILE_REQUIRE_STATIC) {
			require_static_fail(EOPNOTSUPP, why);
			return -1;
		}
		set_reason(df, "%s", why);
		df->mode = DAXFILE_MODE_MSYNC;
		return 0;
	}
	if (!(flags & DAXFILE_ENABLE))
		goto not_static;
	if (!sys_daxctl(df->fd, NULL, DAXCTL_F_STATIC, align)) {
		/* Verify: trust the kernel's word, not our call. */
		ret = sys_daxctl(df->fd, NULL, DAXCTL_F_GET, 0);
		if (ret != DAXCTL_F_STATIC) {
			daxfile__err(EIO,
				     "daxctl enabled static-dax but GET then reported %ld",
				     ret);
			return -1;
		}
		df->mode = DAXFILE_MODE_STATIC;
		return 0;
	}
	err = errno;
	if (err == EINVAL) {
		diagnose_einval(df->fd, df->size, align);
		if (flags & DAXFILE_REQUIRE_STATIC)
			return -1;
		set_reason(df, "not eligible for static-dax: %s",
			   daxfile_errmsg());
		goto degrade;
	}
not_static:
	why = degrade_reason(err, buf, sizeof(buf));
	if (!why) {
		daxfile__err(err, "daxctl: %s",
			     daxfile__daxctl_reason(err, DAXCTL_F_STATIC));
		return -1;
	}
	if (flags & DAXFILE_REQUIRE_STATIC) {
		/* Not static, and not asked to enable: say if it never can be. */
		if (!err && daxfile__map_sync_refused(df->fd))
			require_static_fail(EOPNOTSUPP,
					    "the kernel refuses MAP_SYNC and static-dax for this file: it is not DAX, or its DAX device is asynchronous (virtio-pmem)");
		else
			require_static_fail(err ? err : EPERM, why);
		return -1;
	}
	set_reason(df, "%s", why);
degrade:
	df->mode = file_dax_state(df->fd) == DAX_NO ? DAXFILE_MODE_MSYNC :
		   DAXFILE_MODE_MAP_SYNC;
	return 0;
}

static int map_file(struct daxfile *df, unsigned int flags)
{
	enum daxfile_mode want = df->mode;

	if (daxfile__map(df))
		return -1;
	if (df->mode == want)
		goto out;
	if (want == DAXFILE_MODE_STATIC)
		set_reason(df, "static-dax was disabled while the file was being mapped");
	else if (file_dax_state(df->fd) == DAX_YES)
		set_reason(df, "%s", DAXFILE_WHY_ASYNC);
	else
		set_reason(df, "the file is not DAX: it lives in the page cache, so persist calls msync");
	if ((flags & DAXFILE_REQUIRE_STATIC) &&
	    df->mode != DAXFILE_MODE_STATIC) {
		daxfile__unmap(df);
		if (want == DAXFILE_MODE_STATIC)
			daxfile__err(EBUSY, "%s", df->reason);
		else
			daxfile__err(EOPNOTSUPP,
				     "static-dax is required but unavailable: %s",
				     df->reason);
		return -1;
	}
out:
	if (df->mode == DAXFILE_MODE_MSYNC && !df->reason[0])
		set_reason(df, "the file is not DAX: it lives in the page cache, so persist calls msync");
	return 0;
}

struct daxfile *daxfile_open(const char *path, unsigned int flags)
{
	struct daxfile *df;
	struct stat st;

	if (flags & ~DAXFILE_OPEN_VALID) {
		daxfile__err(EINVAL, "unknown flags 0x%x",
			     flags & ~DAXFILE_OPEN_VALID);
		return NULL;
	}
	if ((flags & DAXFILE_RDONLY) && (flags & DAXFILE_ENABLE)) {
		daxfile__err(EINVAL,
			     "DAXFILE_ENABLE changes the file: it needs a writable open, not DAXFILE_RDONLY");
		return NULL;
	}
	df = calloc(1, sizeof(*df));
	if (!df) {
		daxfile__err(ENOMEM, "out of memory");
		return NULL;
	}
	df->rdonly = flags & DAXFILE_RDONLY;
	df->fd = open(path, (df->rdonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (df->fd < 0) {
		daxfile__err(errno, "cannot open%s: %m",
			     df->rdonly ? "" : " for writing");
		goto free_df;
	}
	if (fstat(df->fd, &st)) {
		daxfile__err(errno, "cannot stat: %m");
		goto close_fd;
	}
	if (!S_ISREG(st.st_mode)) {
		daxfile__err(EINVAL, "not a regular file");
		goto close_fd;
	}
	if (!st.st_size) {
		daxfile__err(EINVAL,
			     "the file is empty; create it with daxfile_create or run `daxfile create`");
		goto close_fd;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		daxfile__err(EFBIG, "the file is too large to map");
		goto close_fd;
	}
	df->size = (uint64_t)st.st_size;
	if (settle_mode(df, flags, 0) || map_file(df, flags))
		goto close_fd;
	return df;
close_fd:
	{
		struct daxfile__saved_err s;

		daxfile__save_err(&s);
		close(df->fd);
		daxfile__restore_err(&s);
	}
free_df:
	free(df);
	return NULL;
}

int daxfile_close(struct daxfile *df)
{
	int ret;

	if (!df)
		return 0;
	daxfile__unmap(df);
	ret = close(df->fd);
	if (ret)
		daxfile__err(errno, "close failed: %m");
	free(df);
	return ret ? -1 : 0;
}

void *daxfile_addr(const struct daxfile *df)
{
	return df->addr;
}

uint64_t daxfile_size(const struct daxfile *df)
{
	return df->size;
}

enum daxfile_mode daxfile_mode(const struct daxfile *df)
{
	return df->mode;
}

int daxfile_fd(const struct daxfile *df)
{
	return df->fd;
}

const char *daxfile_mode_reason(const struct daxfile *df)
{
	if (df->mode == DAXFILE_MODE_STATIC)
		return NULL;
	return df->reason[0] ? df->reason : "static-dax is not available";
}

const char *daxfile_mode_name(enum daxfile_mode mode)
{
	switch (mode) {
	case DAXFILE_MODE_STATIC:
		return "static";
	case DAXFILE_MODE_MAP_SYNC:
		return "map_sync";
	case DAXFILE_MODE_MSYNC:
		return "msync";
	}
	return "unknown";
}

/* ---- creation ---------------------------------------------------- */

/*
 * The catchable signals whose default action ends the process.  They are
 * blocked only while the new file has its temporary name, so that Ctrl-C
 * can never leave a full-size hidden file behind; a signal that arrives
 * meanwhile is delivered as soon as the name is gone.
 */
static const int fatal_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGTERM, SIGUSR1, SIGUSR2,
	SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF,
};

struct create_ctx {
	const char		*path;
	const char		*base;		/* last component of path */
	int			dirfd;		/* path's directory */
	char			tmp[32];	/* temporary name, "" if none */
	struct daxfile_opts	o;
	struct daxfile		*df;
	bool			made_static;
	bool			masked;		/* fatal_signals are blocked */
	sigset_t		oldmask;
	int			src_fd;		/* convert: the original */
	struct stat		src_st;		/* ... as it was at the start */
};

static int check_opts(const struct daxfile_opts *o, uint64_t size)
{
	char a[32];

	if (o->flags & ~DAXFILE_CREATE_VALID) {
		daxfile__err(EINVAL, "unknown flags 0x%x",
			     o->flags & ~DAXFILE_CREATE_VALID);
		return -1;
	}
	if (o->resv1 || o->resv2[0] || o->resv2[1] || o->resv2[2] ||
	    o->resv2[3]) {
		daxfile__err(EINVAL, "reserved fields of daxfile_opts must be zero");
		return -1;
	}
	if (!align_ok(o->align)) {
		daxfile__err(EINVAL,
			     "alignment %u is not a power of two between the page size and 2 MiB",
			     o->align);
		return -1;
	}
	if (!size || size > (uint64_t)SSIZE_MAX) {
		daxfile__err(EINVAL, "size %" PRIu64 " is out of range", size);
		return -1;
	}
	if (size % o->align) {
		daxfile__err(EINVAL,
			     "size %" PRIu64 " is not a multiple of the alignment %s",
			     size, daxfile__size_str(o->align, a, sizeof(a)));
		return -1;
	}
	return 0;
}

static void block_signals(struct create_ctx *c)
{
	sigset_t set;

	if (c->masked)
		return;
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(int); i++)
		sigaddset(&set, fatal_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, &c->oldmask);
	c->masked = true;
}

static void unblock_signals(struct create_ctx *c)
{
	if (c->masked)
		pthread_sigmask(SIG_SETMASK, &c->oldmask, NULL);
	c->masked = false;
}

/* A blocked fatal signal is waiting: give up, and let it be delivered. */
static bool signal_pending(const struct create_ctx *c)
{
	sigset_t set;

	if (!c->masked || sigpending(&set))
		return false;
	for (size_t i = 0; i < sizeof(fatal_signals) / sizeof(int); i++)
		if (sigismember(&set, fatal_signals[i]) &&
		    !sigismember(&c->oldmask, fatal_signals[i]))
			return true;
	return false;
}

/* Split path into an open directory and a last component. */
static int open_dir(struct create_ctx *c)
{
	const char *slash = strrchr(c->path, '/');
	char dir[PATH_MAX];
	struct stat st;

	c->base = slash ? slash + 1 : c->path;
	if (!*c->base || !strcmp(c->base, ".") || !strcmp(c->base, "..")) {
		daxfile__err(EISDIR, "the path names a directory");
		return -1;
	}
	if (!slash)
		strcpy(dir, ".");
	else if (slash == c->path)
		strcpy(dir, "/");
	else if ((size_t)(slash - c->path) >= sizeof(dir)) {
		daxfile__err(ENAMETOOLONG, "the path is too long");
		return -1;
	} else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - c->path),
			 c->path);
	c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->dirfd < 0) {
		daxfile__err(errno, "cannot open the directory: %m");
		return -1;
	}
	if (fstatat(c->dirfd, c->base, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno == ENOENT)
			return 0;
		daxfile__err(errno, "cannot look up the file: %m");
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		daxfile__err(EISDIR, "the path names a directory");
		return -1;
	}
	if (!(c->o.flags & DAXFILE_REPLACE)) {
		daxfile__err(EEXIST,
			     "the file exists; use daxfile_open, or DAXFILE_REPLACE (daxfile create --force)");
		return -1;
	}
	/* A FIFO, a device node or a symlink is not ours to replace. */
	if (!S_ISREG(st.st_mode)) {
		daxfile__err(EEXIST,
			     "the name exists and is not a regular file (a symlink, device or FIFO); only regular files are replaced");
		return -1;
	}
	return 0;
}

/* ".daxfile-XXXXXXXX": short, so that a 255-byte path name still works. */
static void temp_name(struct create_ctx *c, unsigned int i)
{
	struct timespec ts;
	uint32_t r;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	r = (uint32_t)((unsigned long)ts.tv_nsec * 2654435761UL +
		       (unsigned long)getpid() * 40503UL + i * 977UL);
	snprintf(c->tmp, sizeof(c->tmp), ".daxfile-%08x", r);
}

/*
 * The new file starts without a name (O_TMPFILE): whatever happens while
 * it is filled, even SIGKILL or a power cut, nothing is left in the
 * directory.  Filesystems without O_TMPFILE get a short temporary name
 * at once, with the fatal signals blocked for the whole creation.
 */
static int open_new(struct create_ctx *c)
{
	int fd = openat(c->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
			c->o.mode);

	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR &&
			errno != EINVAL)) {
		if (fd < 0)
			daxfile__err(errno,
				     "cannot create a file in the directory: %m");
		return fd;
	}
	block_signals(c);
	for (unsigned int i = 0; i < 100; i++) {
		temp_name(c, i);
		fd = openat(c->dirfd, c->tmp,
			    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, c->o.mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		c->tmp[0] = '\0';
		daxfile__err(errno, "cannot create a file in the directory: %m");
	}
	return fd;
}

/* Give the unnamed file a name in dirfd; EEXIST if it is taken. */
static int link_unnamed(struct create_ctx *c, const char *name)
{
	char proc[64];

	if (!linkat(c->df->fd, "", c->dirfd, name, AT_EMPTY_PATH))
		return 0;
	/* AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; /proc does not. */
	if (errno != ENOENT && errno != EPERM)
		return -1;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", c->df->fd);
	return linkat(AT_FDCWD, proc, c->dirfd, name, AT_SYMLINK_FOLLOW);
}

/*
 * Link the filled file under a temporary name: the kernel makes only
 * linked files static (an unlinked one fails with ENOENT).  From here
 * until the name is gone the fatal signals wait.
 */
static int link_temp(struct create_ctx *c)
{
	if (c->tmp[0])
		return 0;	/* named since open_new() */
	block_signals(c);
	for (unsigned int i = 0; i < 100; i++) {
		temp_name(c, i);
		if (!link_unnamed(c, c->tmp))
			return 0;
		if (errno != EEXIST)
			break;
	}
	c->tmp[0] = '\0';
	daxfile__err(errno, "cannot link the new file into the directory: %m");
	return -1;
}

/*
 * Write every byte of the new file: zeroes, or for daxfile_convert() the
 * original's data.  Holes in the original read as zeroes, so the copy
 * has none.
 */
static int write_all(struct create_ctx *c)
{
	uint64_t size = c->df->size, done = 0;
	void *buf;
	int prot = c->src_fd >= 0 ? PROT_READ | PROT_WRITE : PROT_READ;

	/* Untouched anonymous memory reads as the shared zero page. */
	buf = mmap(NULL, ZERO_CHUNK, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		   0);
	if (buf == MAP_FAILED) {
		daxfile__err(errno, "mmap of the zero buffer failed: %m");
		return -1;
	}
	while (done < size) {
		size_t n = size - done < ZERO_CHUNK ? size - done : ZERO_CHUNK;
		ssize_t w;

		if (c->src_fd >= 0) {
			ssize_t r = pread(c->src_fd, buf, n, (off_t)done);

			if (r < 0 && errno == EINTR)
				continue;
			if (r != (ssize_t)n) {
				daxfile__err(r < 0 ? errno : EIO,
					     "reading the original at offset 0x%" PRIx64 " failed%s",
					     done, r < 0 ? ": %m" :
					     " (it shrank)");
				goto fail;
			}
		}
		w = pwrite(c->df->fd, buf, n, (off_t)done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			daxfile__err(w ? errno : EIO,
				     "writing at offset 0x%" PRIx64 " failed: %m",
				     done);
			goto fail;
		}
		done += (uint64_t)w;
		if (c->o.progress && c->o.progress(done, size,
						   c->o.progress_arg)) {
			daxfile__err(ECANCELED,
				     "cancelled by the progress callback");
			goto fail;
		}
		if (signal_pending(c)) {
			daxfile__err(EINTR, "interrupted by a signal");
			goto fail;
		}
	}
	munmap(buf, ZERO_CHUNK);
	return 0;
fail:
	munmap(buf, ZERO_CHUNK);
	return -1;
}

/* Allocate every block and leave none unwritten, durably. */
static int fill(struct create_ctx *c)
{
	enum dax_state dax = file_dax_state(c->df->fd);
	uint64_t size = c->df->size;
	char s[32];

	if (fallocate(c->df->fd, 0, 0, (off_t)size)) {
		if (errno != EOPNOTSUPP) {
			daxfile__err(errno, "cannot allocate %s: %m",
				     daxfile__size_str(size, s, sizeof(s)));
			return -1;
		}
		if (ftruncate(c->df->fd, (off_t)size)) {
			daxfile__err(errno, "cannot size the file: %m");
			return -1;
		}
		dax = DAX_UNKNOWN;	/* a sparse file must be written */
	}
	/*
	 * Page-cache files need no writing: writeback (msync) converts
	 * unwritten extents itself.  DAX files (or unknown) must not keep
	 * any, and pwrite through the DAX path is near write bandwidth.
	 */
	if ((dax != DAX_NO || c->src_fd >= 0) && write_all(c))
		return -1;
	else if (dax == DAX_NO && c->src_fd < 0 && c->o.progress &&
		 c->o.progress(size, size, c->o.progress_arg)) {
		daxfile__err(ECANCELED, "cancelled by the progress callback");
		return -1;
	}
	if (fsync(c->df->fd)) {
		daxfile__err(errno, "fsync failed: %m");
		return -1;
	}
	/* Say "misaligned" before daxctl gives a bare EINVAL. */
	if (dax == DAX_YES && daxfile_check(c->df->fd, c->o.align, NULL,
					    NULL) > 0)
		return -1;
	return 0;
}

/* Is name in dirfd still the inode behind fd? */
static bool is_ours(struct create_ctx *c, const char *name)
{
	struct stat a, b;

	return !fstat(c->df->fd, &a) &&
	       !fstatat(c->dirfd, name, &b, AT_SYMLINK_NOFOLLOW) &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Drop the file that the exchange moved to our temporary name: a static
 * file cannot be unlinked, so disable it first.  0, or -1 with the
 * message set and the file as it was.
 */
static int dispose_old(struct create_ctx *c, bool *was_static)
{
	struct stat st;
	int fd;

	*was_static = false;
	if (fstatat(c->dirfd, c->tmp, &st, AT_SYMLINK_NOFOLLOW)) {
		daxfile__err(errno, "the replaced file vanished: %m");
		return -1;
	}
	/* Replaced by something else since open_dir(): put it back. */
	if (!S_ISREG(st.st_mode)) {
		daxfile__err(EEXIST,
			     "the name became something other than a regular file; it was left alone");
		return -1;
	}
	fd = openat(c->dirfd, c->tmp, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd >= 0 && sys_daxctl(fd, NULL, DAXCTL_F_GET, 0) ==
		       DAXCTL_F_STATIC) {
		if (sys_daxctl(fd, NULL, 0, 0)) {
			daxfile__err(errno, errno == EBUSY ?
				     "cannot replace the file: it is static-dax, and mapped or pinned" :
				     "cannot replace the static-dax file: %m");
			close(fd);
			return -1;
		}
		*was_static = true;
	}
	if (fd >= 0)
		close(fd);
	if (unlinkat(c->dirfd, c->tmp, 0)) {
		daxfile__err(errno, "cannot remove the replaced file: %m");
		return -1;
	}
	c->tmp[0] = '\0';
	return 0;
}

/*
 * Put the finished file (static and mapped, at c->tmp) at its name.
 *
 * Without DAXFILE_REPLACE: rename with RENAME_NOREPLACE, which fails if
 * the name was taken meanwhile.
 *
 * With it, the old file must stay whole until the new one is in place,
 * and the kernel forbids the obvious ways: rename() over a static file
 * fails with EPERM, unlink() of one too, and a file that is not linked
 * cannot be made static (ENOENT), so the new file cannot be made static
 * unnamed and linked over the old one at the end.  RENAME_EXCHANGE is
 * allowed on static files and is atomic, so:
 *   1. exchange: path names the new file, the old one moves to c->tmp;
 *   2. if the old file is static, disable it (EBUSY if it is mapped
 *      writable somewhere), then unlink it;
 *   3. if step 2 fails, re-enable it if we disabled it and exchange
 *      back, so path names the old file, unchanged, once more.
 * At every instant path names a complete file: the old or the new one.
 */
static int put_in_place(struct create_ctx *c)
{
	bool replace = c->o.flags & DAXFILE_REPLACE, was_static;

	for (unsigned int i = 0; i < 3; i++) {
		if (replace && !renameat2(c->dirfd, c->tmp, c->dirfd, c->base,
					  RENAME_EXCHANGE))
			goto exchanged;
		if (replace && errno != ENOENT)
			break;
		if (!renameat2(c->dirfd, c->tmp, c->dirfd, c->base,
			       RENAME_NOREPLACE)) {
			c->tmp[0] = '\0';
			return 0;
		}
		if (!replace || errno != EEXIST)
			break;
	}
	daxfile__err(errno, errno == EEXIST ?
		     "the file exists (it appeared while this one was made)" :
		     "cannot name the file: %m");
	return -1;
exchanged:
	if (!dispose_old(c, &was_static))
		return 0;
	{
		struct daxfile__saved_err s;

		daxfile__save_err(&s);
		if (was_static)
			sys_daxctl(c->dirfd, c->tmp, DAXCTL_F_STATIC, 0);
		if (renameat2(c->dirfd, c->tmp, c->dirfd, c->base,
			      RENAME_EXCHANGE))
			daxfile__err(errno,
				     "%s; and putting the old file back failed (%m): it is at %s",
				     s.msg, c->tmp);
		else
			daxfile__restore_err(&s);
	}
	return -1;
}

static void create_cleanup(struct create_ctx *c)
{
	bool keep = c->o.flags & DAXFILE_KEEP_ON_ERROR;
	struct daxfile__saved_err s;

	daxfile__save_err(&s);
	daxfile__unmap(c->df);
	/* Keep the failed file for `check` only if its name is free. */
	if (keep && c->df->fd >= 0) {
		if (c->tmp[0] && is_ours(c, c->tmp)) {
			if (!renameat2(c->dirfd, c->tmp, c->dirfd, c->base,
				       RENAME_NOREPLACE)) {
				c->tmp[0] = '\0';
				c->made_static = false;
			}
		} else if (!c->tmp[0] && !link_unnamed(c, c->base)) {
			c->made_static = false;
		}
	}
	/* A static file cannot be unlinked; drop the state first. */
	if (c->made_static && c->df->fd >= 0)
		sys_daxctl(c->df->fd, NULL, 0, 0);
	/* Remove only what we made: the name must still be our inode. */
	if (c->tmp[0] && c->df->fd >= 0 && is_ours(c, c->tmp))
		unlinkat(c->dirfd, c->tmp, 0);
	if (c->df->fd >= 0)
		close(c->df->fd);
	if (c->dirfd >= 0)
		close(c->dirfd);
	unblock_signals(c);
	free(c->df);
	daxfile__restore_err(&s);
}

/* Has the original changed since the copy began? */
static int check_src(struct create_ctx *c)
{
	struct stat now, named;

	if (c->src_fd < 0)
		return 0;
	if (fstat(c->src_fd, &now) ||
	    fstatat(c->dirfd, c->base, &named, AT_SYMLINK_NOFOLLOW) ||
	    named.st_ino != now.st_ino || named.st_dev != now.st_dev ||
	    now.st_size != c->src_st.st_size ||
	    now.st_mtim.tv_sec != c->src_st.st_mtim.tv_sec ||
	    now.st_mtim.tv_nsec != c->src_st.st_mtim.tv_nsec) {
		daxfile__err(EBUSY,
			     "the file was changed, renamed or written while it was copied; nothing was replaced");
		return -1;
	}
	return 0;
}

/* The steps daxfile_create() and daxfile_convert() share. */
static struct daxfile *create_common(struct create_ctx *c)
{
	if (open_dir(c))
		goto fail;
	c->df->fd = open_new(c);
	if (c->df->fd < 0)
		goto fail;
	/* A copy keeps the original's permissions and owner. */
	if (c->src_fd >= 0 &&
	    (fchmod(c->df->fd, c->src_st.st_mode & 07777) ||
	     fchown(c->df->fd, c->src_st.st_uid, c->src_st.st_gid))) {
		daxfile__err(errno, "cannot give the copy the original's owner and mode: %m");
		goto fail;
	}
	if (fill(c) || check_src(c) || link_temp(c))
		goto fail;
	/* Making the new file static is what create and convert are for. */
	if (settle_mode(c->df, c->o.flags | DAXFILE_ENABLE, c->o.align))
		goto fail;
	c->made_static = c->df->mode == DAXFILE_MODE_STATIC;
	if (map_file(c->df, c->o.flags) || check_src(c) || put_in_place(c))
		goto fail;
	fsync(c->dirfd);
	close(c->dirfd);
	unblock_signals(c);
	return c->df;
fail:
	create_cleanup(c);
	return NULL;
}

struct daxfile *daxfile_create(const char *path, uint64_t size,
			       const struct daxfile_opts *opts)
{
	struct create_ctx c = { .path = path, .dirfd = -1, .src_fd = -1 };

	if (opts)
		c.o = *opts;
	if (!c.o.align)
		c.o.align = DAXFILE_ALIGN_DEFAULT;
	if (!c.o.mode)
		c.o.mode = 0644;
	if (check_opts(&c.o, size))
		return NULL;
	c.df = calloc(1, sizeof(*c.df));
	if (!c.df) {
		daxfile__err(ENOMEM, "out of memory");
		return NULL;
	}
	c.df->size = size;
	c.df->fd = -1;
	return create_common(&c);
}

/*
 * A copy, made like daxfile_create() makes a file, then swapped in with
 * the same exchange: until the exchange path names the original, and
 * after it the complete copy.
 */
int daxfile_convert(const char *path, const struct daxfile_opts *opts)
{
	struct create_ctx c = { .path = path, .dirfd = -1, .src_fd = -1 };
	unsigned int page = (unsigned int)getpagesize();
	struct daxfile__saved_err s;
	struct daxfile *df;

	if (opts)
		c.o = *opts;
	if (c.o.flags & ~DAXFILE_REQUIRE_STATIC) {
		daxfile__err(EINVAL, "unknown flags 0x%x for convert",
			     c.o.flags & ~DAXFILE_REQUIRE_STATIC);
		return -1;
	}
	c.o.flags |= DAXFILE_REPLACE;
	c.src_fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (c.src_fd < 0) {
		daxfile__err(errno, "cannot open: %m");
		return -1;
	}
	if (fstat(c.src_fd, &c.src_st)) {
		daxfile__err(errno, "cannot stat: %m");
		goto fail;
	}
	if (S_ISDIR(c.src_st.st_mode) || !S_ISREG(c.src_st.st_mode)) {
		daxfile__err(S_ISDIR(c.src_st.st_mode) ? EISDIR : EINVAL,
			     "not a regular file");
		goto fail;
	}
	/* Held until src_fd is closed, after the exchange. */
	if (lock_in_use(c.src_fd))
		goto fail;
	if (!c.o.align) {
		/* The largest alignment the size allows, up to 2 MiB. */
		c.o.align = DAXFILE_ALIGN_DEFAULT;
		while (c.o.align > page &&
		       (uint64_t)c.src_st.st_size % c.o.align)
			c.o.align >>= 1;
	}
	c.o.mode = c.src_st.st_mode & 07777;
	if (check_opts(&c.o, (uint64_t)c.src_st.st_size))
		goto fail;
	c.df = calloc(1, sizeof(*c.df));
	if (!c.df) {
		daxfile__err(ENOMEM, "out of memory");
		goto fail;
	}
	c.df->size = (uint64_t)c.src_st.st_size;
	c.df->fd = -1;
	df = create_common(&c);
	daxfile__save_err(&s);
	close(c.src_fd);
	daxfile__restore_err(&s);
	if (!df)
		return -1;
	return daxfile_close(df);
fail:
	daxfile__save_err(&s);
	close(c.src_fd);
	daxfile__restore_err(&s);
	return -1;
}

/* ---- filling holes and unwritten extents in place ---------------- */

struct fill_ranges {
	struct daxfile_extent	*v;
	size_t			n, cap;
	unsigned int		other;	/* problems filling cannot fix */
	uint64_t		other_off;
	bool			oom;
};

static int collect(const struct daxfile_extent *e, void *arg)
{
	struct fill_ranges *r = arg;

	if (e->problems & ~(DAXFILE_EXT_HOLE | DAXFILE_EXT_UNWRITTEN |
			    DAXFILE_EXT_MISALIGNED)) {
		if (!r->other)
			r->other_off = e->offset;
		r->other |= e->problems;
		return 0;
	}
	if (!(e->problems & (DAXFILE_EXT_HOLE | DAXFILE_EXT_UNWRITTEN)))
		return 0;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		void *p = realloc(r->v, cap * sizeof(*r->v));

		if (!p) {
			r->oom = true;
			return 1;
		}
		r->v = p;
		r->cap = cap;
	}
	r->v[r->n++] = *e;
	return 0;
}

static int write_zeroes(int fd, uint64_t off, uint64_t len, void *zero)
{
	while (len) {
		size_t n = len < ZERO_CHUNK ? len : ZERO_CHUNK;
		ssize_t w = pwrite(fd, zero, n, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			daxfile__err(w ? errno : EIO,
				     "writing zeroes at offset 0x%" PRIx64 " failed: %m",
				     off);
			return -1;
		}
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

/*
 * Holes and unwritten extents read as zeroes, so writing zeroes over
 * exactly them changes no byte of the file, and leaves every extent
 * written.  Everything that filling cannot fix is refused first, so a
 * refusal changes nothing at all.
 */
int daxfile_fill(int fd, unsigned int align)
{
	struct fill_ranges r = { 0 };
	unsigned int al = align ? align : (unsigned int)getpagesize();
	int ret = -1, lockfd = -1;
	char a[32], proc[40];
	struct stat st;
	void *zero;

	if (fstat(fd, &st)) {
		daxfile__err(errno, "cannot stat: %m");
		return -1;
	}
	if (S_ISREG(st.st_mode) && !(fcntl(fd, F_GETFL) & (O_WRONLY | O_RDWR))) {
		daxfile__err(EBADF, "the file is not open for writing");
		return -1;
	}
	/*
	 * Our own file description, so that the lock goes with it and never
	 * touches one the caller holds through @fd.
	 */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	lockfd = open(proc, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (lockfd < 0) {
		daxfile__err(errno, "cannot reopen the file to lock it: %m");
		return -1;
	}
	if (lock_in_use(lockfd))
		goto out;
	/* What enabling would refuse anyway, refuse before writing a byte. */
	if (sys_daxctl(fd, NULL, DAXCTL_F_GET, 0) < 0 && errno == ENOSYS) {
		daxfile__err(ENOSYS, "daxctl: %s",
			     daxfile__daxctl_reason(ENOSYS, DAXCTL_F_STATIC));
		goto out;
	}
	if (file_dax_state(fd) == DAX_NO) {
		daxfile__err(EOPNOTSUPP,
			     "not a DAX file, so it cannot be made static; nothing was written");
		goto out;
	}
	if (daxfile_check(fd, al, collect, &r) < 0)
		goto out;
	if (r.oom) {
		daxfile__err(ENOMEM, "out of memory");
		goto out;
	}
	if (S_ISREG(st.st_mode) && (!st.st_size || st.st_size % al)) {
		if (!st.st_size)
			daxfile__err(EINVAL, "the file is empty; there is nothing to fill");
		else
			daxfile__err(EINVAL,
				     "size %lld is not a multiple of the alignment %s; filling cannot change the size (try `daxfile convert`)",
				     (long long)st.st_size,
				     daxfile__size_str(al, a, sizeof(a)));
		goto out;
	}
	if (r.other) {
		daxfile__err(EINVAL,
			     "the extent at offset 0x%" PRIx64 " is %s; filling cannot fix that, `daxfile convert` can",
			     r.other_off, r.other & DAXFILE_EXT_SHARED ?
			     "shared" : r.other & DAXFILE_EXT_DELALLOC ?
			     "delayed" : "not mapped");
		goto out;
	}
	zero = mmap(NULL, ZERO_CHUNK, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (zero == MAP_FAILED) {
		daxfile__err(errno, "mmap of the zero buffer failed: %m");
		goto out;
	}
	for (size_t i = 0; i < r.n; i++) {
		if (write_zeroes(fd, r.v[i].offset, r.v[i].length, zero)) {
			munmap(zero, ZERO_CHUNK);
			goto out;
		}
	}
	munmap(zero, ZERO_CHUNK);
	if (fsync(fd)) {
		daxfile__err(errno, "fsync failed: %m");
		goto out;
	}
	if (sys_daxctl(fd, NULL, DAXCTL_F_STATIC, align)) {
		if (errno == EINVAL)
			diagnose_einval(fd, (uint64_t)st.st_size, al);
		else
			daxfile__err(errno, "daxctl: %s",
				     daxfile__daxctl_reason(errno,
							    DAXCTL_F_STATIC));
		goto out;
	}
	ret = 0;
out:
	if (lockfd >= 0) {
		struct daxfile__saved_err e;

		daxfile__save_err(&e);
		close(lockfd);
		daxfile__restore_err(&e);
	}
	free(r.v);
	return ret;
}
