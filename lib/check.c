// SPDX-License-Identifier: MIT
/*
 * The userspace mirror of daxctl(2)'s block-map rules, through FIEMAP:
 * what the kernel would reject, where, and what to do about it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
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
	daxfile_extent_fn	fn;
	void			*arg;
	int			problems;
	bool			stop;
};

static unsigned int problems_of(const struct fiemap_extent *fe,
				unsigned int align)
{
	unsigned int p = 0;

	if (fe->fe_flags & FIEMAP_EXTENT_UNWRITTEN)
		p |= DAXFILE_EXT_UNWRITTEN;
	if (fe->fe_flags & FIEMAP_EXTENT_DELALLOC)
		p |= DAXFILE_EXT_DELALLOC;
	if (fe->fe_flags & FIEMAP_EXTENT_SHARED)
		p |= DAXFILE_EXT_SHARED;
	if (fe->fe_flags & NOT_MAPPED_FLAGS)
		p |= DAXFILE_EXT_NOT_MAPPED;
	/* A huge page needs file offset and device address congruent. */
	else if (!(p & DAXFILE_EXT_DELALLOC) &&
		 ((fe->fe_physical - fe->fe_logical) & (align - 1)))
		p |= DAXFILE_EXT_MISALIGNED;
	return p;
}

/* The first problem becomes the errmsg: one line, with the way out. */
static void describe(const struct daxfile_extent *e, unsigned int align)
{
	char a[32];

	if (e->problems & DAXFILE_EXT_HOLE)
		daxfile__err(EINVAL,
			     "hole at offset 0x%" PRIx64 " (0x%" PRIx64 " bytes); create the file with daxfile_create or run `daxfile create`",
			     e->offset, e->length);
	else if (e->problems & DAXFILE_EXT_UNWRITTEN)
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " is unwritten; create the file with daxfile_create or run `daxfile create`",
			     e->offset);
	else if (e->problems & DAXFILE_EXT_DELALLOC)
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " is not allocated yet (delayed allocation); fsync the file first",
			     e->offset);
	else if (e->problems & DAXFILE_EXT_SHARED)
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " is shared (reflinked or deduplicated); unshare it, e.g. xfs_io -c funshare",
			     e->offset);
	else if (e->problems & DAXFILE_EXT_NOT_MAPPED)
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " is inline, encoded or not on the data device",
			     e->offset);
	else
		daxfile__err(EINVAL,
			     "extent at offset 0x%" PRIx64 " (device offset 0x%" PRIx64 ") is not %s-aligned; make the filesystem with stripe hints (see daxfile(1)) or use a smaller alignment",
			     e->offset, e->physical,
			     daxfile__size_str(align, a, sizeof(a)));
}

static void emit(struct walk *w, const struct daxfile_extent *e)
{
	if (e->problems && !w->problems++)
		describe(e, w->align);
	if (w->fn && !w->stop && w->fn(e, w->arg))
		w->stop = true;
}

static void emit_hole(struct walk *w, uint64_t start, uint64_t end)
{
	struct daxfile_extent e = {
		.offset = start,
		.length = end - start,
		.problems = DAXFILE_EXT_HOLE,
	};

	emit(w, &e);
}

static int walk_fiemap(int fd, uint64_t size, struct walk *w)
{
	size_t bytes = sizeof(struct fiemap) +
		       FIEMAP_BATCH * sizeof(struct fiemap_extent);
	struct fiemap *fm = malloc(bytes);
	uint64_t pos = 0;
	bool last = false;

	if (!fm) {
		daxfile__err(ENOMEM, "out of memory");
		return -1;
	}
	while (!last && pos < size && !w->stop) {
		memset(fm, 0, bytes);
		fm->fm_start = pos;
		fm->fm_length = size - pos;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = FIEMAP_BATCH;
		if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0) {
			daxfile__err(errno == ENOTTY ? EOPNOTSUPP : errno,
				     "the filesystem does not report its block map (FIEMAP): %m");
			free(fm);
			return -1;
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
			if (fe->fe_logical > pos)
				emit_hole(w, pos, fe->fe_logical);
			e.offset = fe->fe_logical;
			e.physical = fe->fe_physical;
			e.length = (end > size ? size : end) - fe->fe_logical;
			e.fiemap_flags = fe->fe_flags;
			e.problems = problems_of(fe, w->align);
			emit(w, &e);
			if (end > pos)
				pos = end;
			if (fe->fe_flags & FIEMAP_EXTENT_LAST)
				last = true;
		}
	}
	free(fm);
	if (pos < size && !w->stop)
		emit_hole(w, pos, size);
	return 0;
}

int daxfile_check(int fd, unsigned int align, daxfile_extent_fn fn,
		  void *arg)
{
	struct walk w = { .align = align, .fn = fn, .arg = arg };
	unsigned int page = (unsigned int)getpagesize();
	struct stat st;

	if (!align)
		w.align = page;
	if (w.align & (w.align - 1) || w.align < page ||
	    w.align > DAXFILE_ALIGN_MAX) {
		daxfile__err(EINVAL,
			     "alignment %u is not a power of two between the page size and 1 GiB",
			     align);
		return -1;
	}
	if (fstat(fd, &st)) {
		daxfile__err(errno, "cannot stat: %m");
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		daxfile__err(EINVAL, "not a regular file");
		return -1;
	}
	if (walk_fiemap(fd, (uint64_t)st.st_size, &w))
		return -1;
	if (w.problems)
		errno = EINVAL;
	return w.problems;
}
