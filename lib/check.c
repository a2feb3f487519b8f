// SPDX-License-Identifier: MIT
/*
 * The userspace mirror of daxctl(2)'s block-map rules, through FIEMAP:
 * what the kernel would reject, where, and what to do about it.  This is
 * the one implementation: daxfile_check(), daxfile_layout_align(),
 * daxfile(1)'s check and status, and the library's own diagnosis of a
 * refused daxctl() all come here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fiemap.h>
#include <linux/fs.h>

#include "internal.h"

#define FIEMAP_BATCH	128

/* Extent flags that mean "no plain device address to map". */
#define NOT_MAPPED_FLAGS (FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DATA_INLINE | \
			  FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_NOT_ALIGNED | \
			  FIEMAP_EXTENT_DATA_ENCRYPTED | \
			  FIEMAP_EXTENT_DATA_TAIL)

struct walk {
	unsigned int		align;
	uint64_t		dev_start;	/* partition offset, bytes */
	bool			realtime;	/* xfs realtime file */
	daxfile_extent_fn	fn;
	void			*arg;
	int			problems;	/* extents with problems */
	bool			stop;
	bool			bad;		/* not eligible at any align */
	uint64_t		gran;		/* OR of run starts and ends */
	/* The current physically contiguous run of good extents. */
	struct daxfile_extent	*run;
	size_t			run_n, run_cap;
	uint64_t		run_pos, run_addr, run_len;
};

static unsigned int problems_of(const struct walk *w,
				const struct fiemap_extent *fe)
{
	unsigned int p = 0;

	if (fe->fe_flags & FIEMAP_EXTENT_UNWRITTEN)
		p |= DAXFILE_EXT_UNWRITTEN;
	if (fe->fe_flags & FIEMAP_EXTENT_DELALLOC)
		p |= DAXFILE_EXT_DELALLOC;
	if (fe->fe_flags & FIEMAP_EXTENT_SHARED)
		p |= DAXFILE_EXT_SHARED;
	if ((fe->fe_flags & NOT_MAPPED_FLAGS) || w->realtime)
		p |= DAXFILE_EXT_NOT_MAPPED;
	return p;
}

/* The first problem becomes the errmsg: one line, with the way out. */
static void describe(const struct walk *w, const struct daxfile_extent *e)
{
	char a[32];

	if (e->problems & DAXFILE_EXT_HOLE)
		daxfile__err(EINVAL,
			     "hole at offset 0x%" PRIx64 " (0x%" PRIx64 " bytes); fill it with `daxfile enable --fill`, or copy the file with `daxfile convert`",
			     e->offset, e->length);
	else if (e->problems & DAXFILE_EXT_UNWRITTEN)
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " is unwritten; write it with `daxfile enable --fill` (keeps the data)",
			     e->offset);
	else if (e->problems & DAXFILE_EXT_DELALLOC)
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " is not allocated yet (delayed allocation); fsync the file first",
			     e->offset);
	else if (e->problems & DAXFILE_EXT_SHARED)
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " is shared (reflinked or deduplicated); unshare it (xfs_io -c funshare) or run `daxfile convert`",
			     e->offset);
	else if (e->problems & DAXFILE_EXT_NOT_MAPPED)
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " is inline, encoded or not on the data device",
			     e->offset);
	else
		daxfile__err(EINVAL,
			     "the contiguous run at offset 0x%" PRIx64 " (0x%" PRIx64 " bytes at device address 0x%" PRIx64 ") is not %s-aligned; run `daxfile convert`, make the filesystem with stripe hints (see daxfile(1)), or use a smaller alignment",
			     w->run_pos, w->run_len, w->run_addr,
			     daxfile__size_str(w->align, a, sizeof(a)));
}

static void emit(struct walk *w, const struct daxfile_extent *e)
{
	if (e->problems && !w->problems++)
		describe(w, e);
	if (w->fn && !w->stop && w->fn(e, w->arg))
		w->stop = true;
}

/*
 * The kernel's rule (fs/iomap/daxfile.c): each physically contiguous run
 * must start at a file offset and a device address that are multiples
 * of align, and its length must be one too.  The device address is the
 * one DAX maps, so it includes the partition's offset on the disk.
 */
static void end_run(struct walk *w)
{
	bool misaligned;

	if (!w->run_n)
		return;
	w->gran |= w->run_pos | w->run_addr | w->run_len;
	misaligned = (w->run_pos | w->run_addr | w->run_len) &
		     (w->align - 1);
	for (size_t i = 0; i < w->run_n; i++) {
		if (misaligned)
			w->run[i].problems |= DAXFILE_EXT_MISALIGNED;
		emit(w, &w->run[i]);
	}
	w->run_n = 0;
}

static int add_good(struct walk *w, const struct daxfile_extent *e)
{
	uint64_t addr = e->physical + w->dev_start;

	if (!w->run_n || w->run_addr + w->run_len != addr ||
	    w->run_pos + w->run_len != e->offset) {
		end_run(w);
		w->run_pos = e->offset;
		w->run_addr = addr;
		w->run_len = 0;
	}
	if (w->run_n == w->run_cap) {
		size_t cap = w->run_cap ? 2 * w->run_cap : 16;
		void *p = realloc(w->run, cap * sizeof(*w->run));

		if (!p) {
			daxfile__err(ENOMEM, "out of memory");
			return -1;
		}
		w->run = p;
		w->run_cap = cap;
	}
	w->run[w->run_n++] = *e;
	w->run_len += e->length;
	return 0;
}

static int add_extent(struct walk *w, const struct daxfile_extent *e)
{
	if (!e->problems)
		return add_good(w, e);
	end_run(w);
	w->bad = true;
	emit(w, e);
	return 0;
}

static int add_hole(struct walk *w, uint64_t start, uint64_t end)
{
	struct daxfile_extent e = {
		.offset = start,
		.length = end - start,
		.problems = DAXFILE_EXT_HOLE,
	};

	return add_extent(w, &e);
}

static int walk_fiemap(int fd, uint64_t size, struct walk *w)
{
	size_t bytes = sizeof(struct fiemap) +
		       FIEMAP_BATCH * sizeof(struct fiemap_extent);
	struct fiemap *fm = malloc(bytes);
	uint64_t pos = 0;
	bool last = false;
	int ret = -1;

	if (!fm) {
		daxfile__err(ENOMEM, "out of memory");
		return -1;
	}
	while (!last && pos < size) {
		memset(fm, 0, bytes);
		fm->fm_start = pos;
		fm->fm_length = size - pos;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = FIEMAP_BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
			daxfile__err(errno == ENOTTY ? EOPNOTSUPP : errno,
				     "the filesystem does not report its block map (FIEMAP): %m");
			goto out;
		}
		if (!fm->fm_mapped_extents)
			break;
		for (unsigned int i = 0; i < fm->fm_mapped_extents; i++) {
			const struct fiemap_extent *fe = &fm->fm_extents[i];
			uint64_t end = fe->fe_logical + fe->fe_length;
			struct daxfile_extent e;

			if (fe->fe_logical >= size) {
				last = true;
				break;
			}
			if (end <= pos)
				continue;
			if (fe->fe_logical > pos && add_hole(w, pos,
							     fe->fe_logical))
				goto out;
			e.offset = fe->fe_logical;
			e.physical = fe->fe_physical;
			e.length = (end > size ? size : end) - fe->fe_logical;
			e.fiemap_flags = fe->fe_flags;
			e.problems = problems_of(w, fe);
			if (add_extent(w, &e))
				goto out;
			pos = end;
			if (fe->fe_flags & FIEMAP_EXTENT_LAST)
				last = true;
		}
	}
	if (pos < size && add_hole(w, pos, size))
		goto out;
	end_run(w);
	ret = 0;
out:
	free(fm);
	free(w->run);
	w->run = NULL;
	return ret;
}

/* Where the filesystem's block device starts on its disk, in bytes. */
static uint64_t partition_start(dev_t dev)
{
	char path[64], buf[32];
	uint64_t sectors;
	ssize_t n;
	int fd;

	if (!major(dev))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/start",
		 major(dev), minor(dev));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;	/* a whole disk, or no sysfs */
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	sectors = strtoull(buf, NULL, 10);
	return sectors * 512;
}

static bool is_realtime(int fd)
{
	struct fsxattr fsx;

	return !ioctl(fd, FS_IOC_FSGETXATTR, &fsx) &&
	       (fsx.fsx_xflags & FS_XFLAG_REALTIME);
}

static bool align_valid(unsigned int align)
{
	return !(align & (align - 1)) && align >= (unsigned int)getpagesize()
		&& align <= DAXFILE_ALIGN_MAX;
}

/* The walk both public calls share; w->problems counts size problems. */
static int check_layout(int fd, struct walk *w, uint64_t *size)
{
	struct stat st;
	char a[32];

	if (fstat(fd, &st)) {
		daxfile__err(errno, "cannot stat: %m");
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		daxfile__err(EISDIR, "a directory, not a regular file");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		daxfile__err(EINVAL, "not a regular file");
		return -1;
	}
	*size = (uint64_t)st.st_size;
	w->dev_start = partition_start(st.st_dev);
	w->realtime = is_realtime(fd);
	if (walk_fiemap(fd, *size, w))
		return -1;
	/* The size rules come last so that the errmsg names an extent. */
	if (!*size) {
		w->bad = true;
		if (!w->problems++)
			daxfile__err(EINVAL,
				     "the file is empty; create it with `daxfile create`");
	} else if (*size % w->align) {
		if (!w->problems++)
			daxfile__err(EINVAL,
				     "size %" PRIu64 " is not a multiple of the alignment %s",
				     *size,
				     daxfile__size_str(w->align, a, sizeof(a)));
	}
	return 0;
}

int daxfile_check(int fd, unsigned int align, daxfile_extent_fn fn,
		  void *arg)
{
	struct walk w = { .align = align, .fn = fn, .arg = arg };
	uint64_t size;

	if (!align)
		w.align = (unsigned int)getpagesize();
	if (!align_valid(w.align)) {
		daxfile__err(EINVAL,
			     "alignment %u is not a power of two between the page size and 2 MiB",
			     align);
		return -1;
	}
	if (check_layout(fd, &w, &size))
		return -1;
	if (w.problems)
		errno = EINVAL;
	return w.problems;
}

int daxfile_layout_align(int fd, unsigned int *align)
{
	struct walk w = { .align = (unsigned int)getpagesize() };
	uint64_t size, gran;

	if (!align) {
		daxfile__err(EINVAL, "align is NULL");
		return -1;
	}
	if (check_layout(fd, &w, &size))
		return -1;
	gran = w.gran | size | DAXFILE_ALIGN_MAX;
	gran &= -gran;		/* the lowest bit: the largest power dividing all */
	*align = w.bad || gran < (uint64_t)getpagesize() ? 0 :
		 (unsigned int)gran;
	return 0;
}
