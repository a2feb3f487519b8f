/* SPDX-License-Identifier: MIT */
/* Declarations shared by the library's objects; never installed. */
#ifndef LIBDAXFILE_INTERNAL_H
#define LIBDAXFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daxfile.h"

#define DAXFILE_CACHELINE	64
#define DAXFILE_PMD_SIZE	(2UL << 20)

struct daxfile {
	void			*addr;		/* 2 MiB aligned when possible */
	uint64_t		size;		/* i_size at open */
	int			fd;
	enum daxfile_mode	mode;
	bool			rdonly;
	char			reason[256];	/* daxfile_mode_reason() */
	struct daxfile		*next;		/* registry, see map.c */
};

/* errmsg.c: set errno to err and this thread's message. */
void daxfile__err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Keep errno and the message across cleanup calls. */
struct daxfile__saved_err {
	int	err;
	char	msg[512];
};
void daxfile__save_err(struct daxfile__saved_err *s);
void daxfile__restore_err(const struct daxfile__saved_err *s);
/* The library's messages print sizes with the public formatter. */
#define daxfile__size_str(n, buf, len)	daxfile_format_size(n, buf, len)

/* syscall.c */
const char *daxfile__flags_name(unsigned int flags);
const char *daxfile__daxctl_reason(int err, unsigned int flags);

/* map.c */
int daxfile__map(struct daxfile *df);
void daxfile__unmap(struct daxfile *df);
/* 1: range wholly msynced, 0: caller must flush, -1: error set. */
int daxfile__sync_range(const void *addr, size_t len);
/* -1 (EBADF) if [addr, addr + len) overlaps a read-only map. */
int daxfile__check_writable(const void *addr, size_t len);
/* msync(MS_SYNC) the pages under [addr, addr + len); 0 or -1. */
int daxfile__msync(const void *addr, size_t len);

/* persist.c: the dispatch table filled once at load time. */
typedef void (*daxfile_flush_fn)(const void *addr, size_t len);
typedef void (*daxfile_nt_memmove_fn)(void *dst, const void *src,
				      size_t len, daxfile_flush_fn flush);
typedef void (*daxfile_nt_memset_fn)(void *dst, int c, size_t len,
				     daxfile_flush_fn flush);

/* flush.c */
void daxfile__flush_clflush(const void *addr, size_t len);
void daxfile__flush_clflushopt(const void *addr, size_t len);
void daxfile__flush_clwb(const void *addr, size_t len);
void daxfile__flush_none(const void *addr, size_t len);

/* nt_{sse2,avx2,avx512f}.c */
void daxfile__memmove_nt_sse2(void *dst, const void *src, size_t len,
			      daxfile_flush_fn flush);
void daxfile__memset_nt_sse2(void *dst, int c, size_t len,
			     daxfile_flush_fn flush);
void daxfile__memmove_nt_avx2(void *dst, const void *src, size_t len,
			      daxfile_flush_fn flush);
void daxfile__memset_nt_avx2(void *dst, int c, size_t len,
			     daxfile_flush_fn flush);
void daxfile__memmove_nt_avx512f(void *dst, const void *src, size_t len,
				 daxfile_flush_fn flush);
void daxfile__memset_nt_avx512f(void *dst, int c, size_t len,
				daxfile_flush_fn flush);

#endif /* LIBDAXFILE_INTERNAL_H */
