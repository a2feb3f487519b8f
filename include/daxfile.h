/* SPDX-License-Identifier: MIT */
/*
 * libdaxfile: static-dax files and the CPU persistence primitives.
 *
 * Public calls return -1 (or NULL) and set errno on failure;
 * daxfile_errmsg() then says why, in one line.
 */
#ifndef DAXFILE_H
#define DAXFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * The flag and syscall-number constants are the kernel's.  In the source
 * tree they sit in uapi/linux/daxctl.h next to this file; "make install"
 * puts the same header at <daxfile/daxctl.h>.
 */
#if defined(__has_include)
#if __has_include("daxfile/daxctl.h")
#include "daxfile/daxctl.h"
#else
#include "uapi/linux/daxctl.h"
#endif
#else
#include "uapi/linux/daxctl.h"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The one place the version lives: lib/Makefile reads it from here for
 * the soname (libdaxfile.so.MAJOR) and libdaxfile.pc, and daxfile(1)
 * prints the library's daxfile_version().
 */
#define DAXFILE_VERSION_MAJOR	0
#define DAXFILE_VERSION_MINOR	2
#define DAXFILE_VERSION_PATCH	0

/* The running library's version, "0.2.0"; each pointer may be NULL. */
const char *daxfile_version(unsigned int *major, unsigned int *minor,
			    unsigned int *patch);

/* ------------------------------------------------------------------ */
/* The syscall                                                         */
/* ------------------------------------------------------------------ */

/*
 * daxctl(2) on a path (relative paths from the cwd) or an open fd.
 * flags: DAXCTL_F_GET, DAXCTL_F_STATIC or 0; align: 0 or a power of two.
 * Returns the state (DAXCTL_F_STATIC or 0) for GET, 0 otherwise;
 * -1 with errno ENOSYS on kernels without the call.
 */
int daxctl(const char *path, unsigned int flags, unsigned int align);
int daxctl_fd(int fd, unsigned int flags, unsigned int align);

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

struct daxfile;

/* How a file is kept persistent; see daxfile_mode(3). */
enum daxfile_mode {
	DAXFILE_MODE_STATIC	= 1,	/* static-dax: flush + fence suffice */
	DAXFILE_MODE_MAP_SYNC	= 2,	/* DAX without daxctl: MAP_SYNC map */
	DAXFILE_MODE_MSYNC	= 3,	/* page cache: persist calls msync */
};

/* Flags for daxfile_create() (in opts) and daxfile_open(). */
#define DAXFILE_REQUIRE_STATIC	(1U << 0)	/* fail unless MODE_STATIC */
#define DAXFILE_RDONLY		(1U << 1)	/* open: map read-only */
#define DAXFILE_REPLACE		(1U << 2)	/* create: replace existing */
#define DAXFILE_KEEP_ON_ERROR	(1U << 3)	/* create: keep failed file */
#define DAXFILE_ENABLE		(1U << 4)	/* open: make it static first */

#define DAXFILE_OPEN_VALID	(DAXFILE_REQUIRE_STATIC | DAXFILE_RDONLY | \
				 DAXFILE_ENABLE)
#define DAXFILE_CREATE_VALID	(DAXFILE_REQUIRE_STATIC | DAXFILE_REPLACE | \
				 DAXFILE_KEEP_ON_ERROR)

/* Default and upper bound of the extent alignment. */
#define DAXFILE_ALIGN_DEFAULT	(2U << 20)
#define DAXFILE_ALIGN_MAX	DAXCTL_ALIGN_MAX

/* Called by daxfile_create() as it fills the file; return 0 to go on. */
typedef int (*daxfile_progress_fn)(uint64_t done, uint64_t total, void *arg);

/*
 * Options for daxfile_create().  A zeroed struct (or NULL) means the
 * defaults; unused fields must stay zero so they can gain meaning later.
 */
struct daxfile_opts {
	unsigned int		flags;		/* DAXFILE_CREATE_VALID bits */
	unsigned int		align;		/* 0: DAXFILE_ALIGN_DEFAULT */
	mode_t			mode;		/* 0: 0644, less the umask */
	unsigned int		resv1;		/* must be zero */
	daxfile_progress_fn	progress;	/* optional */
	void			*progress_arg;
	uint64_t		resv2[4];	/* must be zero */
};

/* Create, fill, make static and map a new file; NULL on failure. */
struct daxfile *daxfile_create(const char *path, uint64_t size,
			       const struct daxfile_opts *opts);

/*
 * Open and map an existing file in the mode it has: never changes it,
 * unless DAXFILE_ENABLE asks to make it static-dax first.
 */
struct daxfile *daxfile_open(const char *path, unsigned int flags);

/* Unmap and close; the file stays static.  NULL is allowed. */
int daxfile_close(struct daxfile *df);

/* Accessors; valid until daxfile_close(). */
void *daxfile_addr(const struct daxfile *df);
uint64_t daxfile_size(const struct daxfile *df);
enum daxfile_mode daxfile_mode(const struct daxfile *df);
int daxfile_fd(const struct daxfile *df);

/* "static", "map_sync", "msync", or "unknown". */
const char *daxfile_mode_name(enum daxfile_mode mode);

/*
 * Why df is not in DAXFILE_MODE_STATIC (not static-dax, not eligible,
 * no privilege, asynchronous DAX device...), in one line; NULL if it is.
 */
const char *daxfile_mode_reason(const struct daxfile *df);

/* Convert existing files (see daxfile_fill(3), daxfile_convert(3)). */

/*
 * Write zeroes over the holes and unwritten extents of fd (which read as
 * zeroes already, so no data changes), fsync, and make it static-dax
 * with align.  0, or -1 with errno set.
 */
int daxfile_fill(int fd, unsigned int align);

/*
 * Copy path into a new static-dax file laid out for opts->align (0: the
 * largest power of two up to 2 MiB that divides the size) and replace
 * path with it atomically.  opts->flags: DAXFILE_REQUIRE_STATIC only.
 * 0, or -1 with errno set and path untouched.
 */
int daxfile_convert(const char *path, const struct daxfile_opts *opts);

/* ------------------------------------------------------------------ */
/* Extent check (what daxctl(DAXCTL_F_STATIC) would reject, and why)    */
/* ------------------------------------------------------------------ */

#define DAXFILE_EXT_HOLE	(1U << 0)	/* no blocks allocated */
#define DAXFILE_EXT_UNWRITTEN	(1U << 1)	/* allocated, not written */
#define DAXFILE_EXT_DELALLOC	(1U << 2)	/* not yet allocated */
#define DAXFILE_EXT_SHARED	(1U << 3)	/* reflinked or deduped */
#define DAXFILE_EXT_NOT_MAPPED	(1U << 4)	/* inline, encoded, unknown */
#define DAXFILE_EXT_MISALIGNED	(1U << 5)	/* not congruent with align */

struct daxfile_extent {
	uint64_t	offset;		/* in the file */
	uint64_t	physical;	/* on the device; 0 for holes */
	uint64_t	length;
	unsigned int	problems;	/* DAXFILE_EXT_* bits, 0 if fine */
	unsigned int	fiemap_flags;	/* raw FIEMAP_EXTENT_* bits */
};

/* Called once per extent, holes included; return non-zero to stop. */
typedef int (*daxfile_extent_fn)(const struct daxfile_extent *ext,
				 void *arg);

/*
 * Walk the block map of fd over [0, i_size) with FIEMAP.  Returns the
 * number of problem extents (0: the map is eligible for align), or -1.
 * fn may be NULL.  On problems, daxfile_errmsg() names the first one.
 */
int daxfile_check(int fd, unsigned int align, daxfile_extent_fn fn,
		  void *arg);

/*
 * The observed layout alignment: the largest align (page size .. 2 MiB)
 * for which daxfile_check() finds nothing, or 0 if none (then
 * daxfile_errmsg() says why).  0, or -1 with errno set.
 */
int daxfile_layout_align(int fd, unsigned int *align);

/*
 * Bad media under a file: the device's badblocks list (sysfs) mapped
 * through FIEMAP.  See libdaxfile(3) for repairing a range in place.
 */
struct daxfile_badblock {
	uint64_t	offset;		/* in the file */
	uint64_t	length;		/* bytes, whole 512-byte sectors */
	uint64_t	sector;		/* the first, as the disk's list has it */
};

/* Called once per bad range; return non-zero to stop. */
typedef int (*daxfile_badblock_fn)(const struct daxfile_badblock *bb,
				   void *arg);

/* The number of bad ranges in fd (0: none), or -1 with errno set. */
int daxfile_badblocks(int fd, daxfile_badblock_fn fn, void *arg);

/* ------------------------------------------------------------------ */
/* Persistence primitives                                              */
/* ------------------------------------------------------------------ */

/* Flags for the *_persist copies. */
#define DAXFILE_MEM_NODRAIN	(1U << 0)	/* skip the final fence */
#define DAXFILE_MEM_NOFLUSH	(1U << 1)	/* skip flushes: not durable */
#define DAXFILE_MEM_NONTEMPORAL	(1U << 2)	/* force streaming stores */
#define DAXFILE_MEM_TEMPORAL	(1U << 3)	/* force cached stores+flush */

#define DAXFILE_MEM_VALID	(DAXFILE_MEM_NODRAIN | DAXFILE_MEM_NOFLUSH | \
				 DAXFILE_MEM_NONTEMPORAL | DAXFILE_MEM_TEMPORAL)

/* Write back the cache lines of [addr, addr+len); 0 or -1. */
int daxfile_flush(const void *addr, size_t len);

/* Order earlier flushes and streaming stores before later stores. */
void daxfile_drain(void);

/* flush + drain: [addr, addr+len) is durable when this returns 0. */
int daxfile_persist(const void *addr, size_t len);

/* memcpy/memmove/memset that leave dst durable; return dst or NULL. */
void *daxfile_memcpy_persist(void *dst, const void *src, size_t len,
			     unsigned int flags);
void *daxfile_memmove_persist(void *dst, const void *src, size_t len,
			      unsigned int flags);
void *daxfile_memset_persist(void *dst, int c, size_t len,
			     unsigned int flags);

/* Persist a single aligned 8-byte word, e.g. a commit record. */
int daxfile_persist_u64(uint64_t *word, uint64_t value);

/* The variants picked at load time, e.g. "clwb" and "avx512f". */
const char *daxfile_flush_variant(void);
const char *daxfile_copy_variant(void);

/*
 * A map's own persist (flush + fence, or msync in MSYNC mode), which
 * skips the registry lookup daxfile_persist() makes while any read-only
 * or MSYNC map is open.  Only for ranges inside df; NULL for a read-only
 * map (EBADF).
 */
typedef int (*daxfile_persist_fn)(const void *addr, size_t len);
daxfile_persist_fn daxfile_get_persist_fn(const struct daxfile *df);

/* What makes a store in df durable, in PMDK's terms; 0 if df is NULL. */
enum daxfile_granularity {
	DAXFILE_GRANULARITY_BYTE	= 1,	/* eADR: the store itself */
	DAXFILE_GRANULARITY_CACHE_LINE	= 2,	/* flush + fence */
	DAXFILE_GRANULARITY_PAGE	= 3,	/* msync of the page */
};
enum daxfile_granularity daxfile_granularity(const struct daxfile *df);

/* ------------------------------------------------------------------ */
/* Sizes, read and printed the same way by the library and the tool    */
/* ------------------------------------------------------------------ */

/* Room for any daxfile_format_size() text, its NUL included. */
#define DAXFILE_SIZE_STRLEN	32

/*
 * "4096", "64K", "2M", "1GiB", "1 GiB", "3gb", "512B": decimal bytes
 * with an optional binary unit (K = 1024 .. E = 2^60).  No sign, no
 * leading space, nothing after.  0, or -1 with errno EINVAL or ERANGE.
 */
int daxfile_parse_size(const char *s, uint64_t *bytes);

/* "2 MiB", "1536 KiB", "4097 B": exact, so it parses back; buf or NULL. */
char *daxfile_format_size(uint64_t n, char *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

/* Why the last failed call on this thread failed; never NULL. */
const char *daxfile_errmsg(void);

#ifdef __cplusplus
}
#endif

#endif /* DAXFILE_H */
