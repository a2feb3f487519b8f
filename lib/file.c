// SPDX-License-Identifier: MIT
/*
 * daxfile_create(), daxfile_open(), daxfile_close() and the accessors.
 *
 * Creating a file safely is: allocate, write every block (so no extent
 * is left unwritten), fsync, check the block map, daxctl(STATIC), map,
 * and only then give the file its name.  Until the last step the file
 * lives under a temporary name, so a failure leaves nothing behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
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
static void *require_static_fail(int err)
{
	daxfile__err(err, "static-dax is required but unavailable: %s",
		     daxfile__daxctl_reason(err, DAXCTL_F_STATIC));
	return NULL;
}

/*
 * Settle df->mode: STATIC if the file is or can be made static-dax,
 * otherwise MAP_SYNC for DAX files and MSYNC for the rest.  The map
 * itself downgrades MAP_SYNC to MSYNC if the kernel refuses MAP_SYNC.
 */
static int settle_mode(struct daxfile *df, unsigned int flags,
		       unsigned int align)
{
	long ret = sys_daxctl(df->fd, NULL, DAXCTL_F_GET, 0);
	int err = 0;

	if (ret < 0) {
		err = errno;
		goto not_static;
	}
	if (ret & DAXCTL_F_STATIC) {
		df->mode = DAXFILE_MODE_STATIC;
		return 0;
	}
	if (df->rdonly)
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
		return -1;
	}
not_static:
	switch (err) {
	case 0:		/* read-only open of a file that is not static */
	case ENOSYS:
	case EOPNOTSUPP:
	case EPERM:	/* no CAP_LINUX_IMMUTABLE: MAP_SYNC is still safe */
	case EACCES:
	case EBADF:
	case EROFS:
		break;
	default:
		daxfile__err(err, "daxctl: %s",
			     daxfile__daxctl_reason(err, DAXCTL_F_STATIC));
		return -1;
	}
	if (flags & DAXFILE_REQUIRE_STATIC) {
		if (err)
			require_static_fail(err);
		else
			daxfile__err(EPERM,
				     "static-dax is required but the file is not static, and a read-only open cannot enable it");
		return -1;
	}
	df->mode = file_dax_state(df->fd) == DAX_NO ? DAXFILE_MODE_MSYNC :
		   DAXFILE_MODE_MAP_SYNC;
	return 0;
}

static int map_file(struct daxfile *df, unsigned int flags)
{
	bool was_static = df->mode == DAXFILE_MODE_STATIC;

	if (daxfile__map(df))
		return -1;
	if ((flags & DAXFILE_REQUIRE_STATIC) &&
	    df->mode != DAXFILE_MODE_STATIC) {
		daxfile__unmap(df);
		if (was_static)
			daxfile__err(EBUSY,
				     "static-dax was disabled while the file was being mapped");
		else
			daxfile__err(EOPNOTSUPP,
				     "static-dax is required but the file is not DAX");
		return -1;
	}
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

struct create_ctx {
	const char		*path;
	char			tmp[PATH_MAX];
	struct daxfile_opts	o;
	struct daxfile		*df;
	bool			named;		/* the file is at path now */
	bool			made_static;
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
			     "alignment %u is not a power of two between the page size and 1 GiB",
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

/* "dir/.name.XXXXXX" next to path, created exclusively. */
static int open_temp(struct create_ctx *c)
{
	const char *slash = strrchr(c->path, '/');
	int dlen = slash ? (int)(slash - c->path + 1) : 0;
	const char *base = slash ? slash + 1 : c->path;
	struct timespec ts;
	int fd, n;

	if (!*base) {
		daxfile__err(EISDIR, "the path names a directory");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (unsigned int i = 0; i < 100; i++) {
		unsigned long r = (unsigned long)ts.tv_nsec * 2654435761UL +
				  (unsigned long)getpid() * 40503UL + i;

		n = snprintf(c->tmp, sizeof(c->tmp), "%.*s.%s.%06lx", dlen,
			     c->path, base, r & 0xffffff);
		if (n < 0 || (size_t)n >= sizeof(c->tmp)) {
			daxfile__err(ENAMETOOLONG, "the path is too long");
			return -1;
		}
		fd = open(c->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			  c->o.mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		c->tmp[0] = '\0';
		daxfile__err(errno, "cannot create a file in the directory: %m");
	}
	return fd;
}

static int zero_fill(struct create_ctx *c)
{
	uint64_t size = c->df->size, done = 0;
	void *zero;

	/* Untouched anonymous memory reads as the shared zero page. */
	zero = mmap(NULL, ZERO_CHUNK, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	if (zero == MAP_FAILED) {
		daxfile__err(errno, "mmap of the zero buffer failed: %m");
		return -1;
	}
	while (done < size) {
		size_t n = size - done < ZERO_CHUNK ? size - done : ZERO_CHUNK;
		ssize_t w = pwrite(c->df->fd, zero, n, (off_t)done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			daxfile__err(w ? errno : EIO,
				     "writing zeroes at offset 0x%" PRIx64 " failed: %m",
				     done);
			munmap(zero, ZERO_CHUNK);
			return -1;
		}
		done += (uint64_t)w;
		if (c->o.progress && c->o.progress(done, size,
						   c->o.progress_arg)) {
			daxfile__err(ECANCELED,
				     "cancelled by the progress callback");
			munmap(zero, ZERO_CHUNK);
			return -1;
		}
	}
	munmap(zero, ZERO_CHUNK);
	return 0;
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
	if (dax != DAX_NO && zero_fill(c))
		return -1;
	else if (dax == DAX_NO && c->o.progress)
		c->o.progress(size, size, c->o.progress_arg);
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

/*
 * A static file refuses to be renamed over, like a swapfile: to replace
 * one, drop its state first.  This fails with EBUSY while it is mapped.
 */
static int replace_into_place(struct create_ctx *c)
{
	if (!rename(c->tmp, c->path))
		return 0;
	if (errno != EPERM ||
	    sys_daxctl(AT_FDCWD, c->path, DAXCTL_F_GET, 0) != DAXCTL_F_STATIC)
		return -1;
	if (sys_daxctl(AT_FDCWD, c->path, 0, 0))
		return -1;
	return rename(c->tmp, c->path);
}

/*
 * Give the file its name while it is still an ordinary file: once static,
 * no name of it can be unlinked, so the temporary one could not go away.
 */
static int link_into_place(struct create_ctx *c, bool replace)
{
	if (replace) {
		if (replace_into_place(c))
			return -1;
	} else {
		/* link() fails with EEXIST atomically, unlike a checked rename. */
		if (link(c->tmp, c->path))
			return -1;
		unlink(c->tmp);
	}
	c->tmp[0] = '\0';
	c->named = true;
	return 0;
}

static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + 1),
			 path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static void create_cleanup(struct create_ctx *c)
{
	bool keep = c->o.flags & DAXFILE_KEEP_ON_ERROR;
	struct daxfile__saved_err s;

	daxfile__save_err(&s);
	daxfile__unmap(c->df);
	/* A static file cannot be unlinked; drop the state first. */
	if (c->made_static && !keep)
		sys_daxctl(c->df->fd, NULL, 0, 0);
	if (c->df->fd >= 0)
		close(c->df->fd);
	if (keep && c->tmp[0])
		link_into_place(c, false);
	if (!keep && c->named)
		unlink(c->path);
	if (c->tmp[0])
		unlink(c->tmp);
	free(c->df);
	daxfile__restore_err(&s);
}

struct daxfile *daxfile_create(const char *path, uint64_t size,
			       const struct daxfile_opts *opts)
{
	struct create_ctx c = { .path = path };
	struct stat st;

	if (opts)
		c.o = *opts;
	if (!c.o.align)
		c.o.align = DAXFILE_ALIGN_DEFAULT;
	if (!c.o.mode)
		c.o.mode = 0644;
	if (check_opts(&c.o, size))
		return NULL;
	if (!(c.o.flags & DAXFILE_REPLACE) && !lstat(path, &st)) {
		daxfile__err(EEXIST,
			     "the file exists; use daxfile_open, or DAXFILE_REPLACE (daxfile create --force)");
		return NULL;
	}
	c.df = calloc(1, sizeof(*c.df));
	if (!c.df) {
		daxfile__err(ENOMEM, "out of memory");
		return NULL;
	}
	c.df->size = size;
	c.df->fd = open_temp(&c);
	if (c.df->fd < 0 || fill(&c))
		goto fail;
	if (link_into_place(&c, c.o.flags & DAXFILE_REPLACE)) {
		daxfile__err(errno, errno == EBUSY ?
			     "cannot replace the file: it is static-dax and mapped" :
			     "cannot name the file: %m");
		goto fail;
	}
	sync_dir(path);
	if (settle_mode(c.df, c.o.flags, c.o.align))
		goto fail;
	c.made_static = c.df->mode == DAXFILE_MODE_STATIC;
	if (map_file(c.df, c.o.flags))
		goto fail;
	return c.df;
fail:
	create_cleanup(&c);
	return NULL;
}
