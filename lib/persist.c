// SPDX-License-Identifier: MIT
/*
 * The persistence primitives.  The flush and copy variants are picked
 * once, when the library is loaded, from CPUID, the nd regions'
 * persistence domain, and the environment:
 *
 *   DAXFILE_FLUSH=clflush|clflushopt|clwb|none	 force a flush variant
 *   DAXFILE_COPY=sse2|avx2|avx512f			 force a copy variant
 *   DAXFILE_EADR=0|1			 override the sysfs eADR probe
 *   DAXFILE_NT_THRESHOLD=SIZE		 smallest streaming copy ("4K")
 *
 * An empty variable is the same as an unset one.  An unknown value, or
 * a forced variant the CPU lacks (which would trap), is ignored: the
 * default is used and one line on stderr says so, the only thing the
 * library ever prints.  DAXFILE_SYSFS_ROOT (default /sys) is for tests
 * only.
 */
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define NT_THRESHOLD_DEFAULT	256

struct cpu_features {
	bool	clflush;
	bool	clflushopt;
	bool	clwb;
	bool	sse2;
	bool	avx2;
	bool	avx512f;
};

static struct {
	daxfile_flush_fn	flush;
	daxfile_nt_memmove_fn	memmove_nt;
	daxfile_nt_memset_fn	memset_nt;
	size_t			nt_threshold;
	const char		*flush_name;
	const char		*copy_name;
} ops = {
	/* Safe on any x86-64 until init runs (or if it never does). */
	.flush		= daxfile__flush_clflush,
	.memmove_nt	= daxfile__memmove_nt_sse2,
	.memset_nt	= daxfile__memset_nt_sse2,
	.nt_threshold	= NT_THRESHOLD_DEFAULT,
	.flush_name	= "clflush",
	.copy_name	= "sse2",
};

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return ((uint64_t)hi << 32) | lo;
}

static void cpu_probe(struct cpu_features *f)
{
	unsigned int a, b, c, d;
	unsigned int max = __get_cpuid_max(0, NULL);
	uint64_t xcr0 = 0;

	memset(f, 0, sizeof(*f));
	if (max < 1)
		return;
	__cpuid(1, a, b, c, d);
	f->clflush = d & (1U << 19);	/* CLFSH */;
	f->sse2 = d & bit_SSE2;
	/* Wide registers count only if the OS saves them. */
	if (c & bit_OSXSAVE)
		xcr0 = xgetbv0();
	if (max < 7)
		return;
	__cpuid_count(7, 0, a, b, c, d);
	f->clflushopt = b & bit_CLFLUSHOPT;
	f->clwb = b & bit_CLWB;
	f->avx2 = (b & bit_AVX2) && (xcr0 & 0x6) == 0x6;
	f->avx512f = (b & bit_AVX512F) && (xcr0 & 0xe6) == 0xe6;
}

static bool read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

/* eADR only if every nd region puts the CPU caches in its domain. */
static bool sysfs_eadr(void)
{
	const char *root = secure_getenv("DAXFILE_SYSFS_ROOT");
	char dir[256], path[sizeof(dir) + 2UL * NAME_MAX], val[32];
	struct dirent *de;
	int regions = 0, cpu_cache = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/bus/nd/devices", root ? root : "/sys");
	d = opendir(dir);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "region", 6))
			continue;
		regions++;
		snprintf(path, sizeof(path), "%s/%s/persistence_domain", dir,
			 de->d_name);
		if (read_line(path, val, sizeof(val)) &&
		    !strcmp(val, "cpu_cache"))
			cpu_cache++;
	}
	closedir(d);
	return regions && regions == cpu_cache;
}


/* The variable's value, NULL if unset or empty. */
static const char *env(const char *name)
{
	const char *v = secure_getenv(name);

	return v && *v ? v : NULL;
}

__attribute__((format(printf, 1, 2)))
static void warn_env(const char *fmt, ...)
{
	va_list ap;

	fputs("libdaxfile: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void set_flush(const char *name)
{
	static const struct {
		const char		*name;
		daxfile_flush_fn	flush;
	} v[] = {
		{ "clflush", daxfile__flush_clflush },
		{ "clflushopt", daxfile__flush_clflushopt },
		{ "clwb", daxfile__flush_clwb },
		{ "none", daxfile__flush_none },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!strcmp(name, v[i].name)) {
			ops.flush = v[i].flush;
			ops.flush_name = v[i].name;
			return;
		}
	}
}

static void pick_flush(const struct cpu_features *f)
{
	const char *force = env("DAXFILE_FLUSH");
	const char *eadr = env("DAXFILE_EADR");
	const char *best = f->clwb ? "clwb" : f->clflushopt ? "clflushopt" :
			   "clflush";
	bool has;

	if (eadr && strcmp(eadr, "0") && strcmp(eadr, "1")) {
		warn_env("DAXFILE_EADR='%s' is neither 0 nor 1; probing sysfs",
			 eadr);
		eadr = NULL;
	}
	if (force) {
		has = !strcmp(force, "none") || !strcmp(force, "clflush") ||
		      (!strcmp(force, "clflushopt") && f->clflushopt) ||
		      (!strcmp(force, "clwb") && f->clwb);
		if (has) {
			set_flush(force);
			return;
		}
	}
	if (eadr ? !strcmp(eadr, "1") : sysfs_eadr())
		best = "none";
	set_flush(best);
	if (force && (!strcmp(force, "clflushopt") || !strcmp(force, "clwb")))
		warn_env("DAXFILE_FLUSH='%s': this CPU lacks %s; using the default, %s",
			 force, force, best);
	else if (force)
		warn_env("DAXFILE_FLUSH='%s' is not clflush, clflushopt, clwb or none; using the default, %s",
			 force, best);
}

static void set_copy(const char *name)
{
	static const struct {
		const char		*name;
		daxfile_nt_memmove_fn	memmove_nt;
		daxfile_nt_memset_fn	memset_nt;
	} v[] = {
		{ "sse2", daxfile__memmove_nt_sse2, daxfile__memset_nt_sse2 },
		{ "avx2", daxfile__memmove_nt_avx2, daxfile__memset_nt_avx2 },
		{ "avx512f", daxfile__memmove_nt_avx512f,
		  daxfile__memset_nt_avx512f },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!strcmp(name, v[i].name)) {
			ops.memmove_nt = v[i].memmove_nt;
			ops.memset_nt = v[i].memset_nt;
			ops.copy_name = v[i].name;
			return;
		}
	}
}

static void pick_copy(const struct cpu_features *f)
{
	const char *force = env("DAXFILE_COPY");
	const char *best = f->avx512f ? "avx512f" : f->avx2 ? "avx2" : "sse2";

	if (force) {
		if (!strcmp(force, "sse2") ||
		    (!strcmp(force, "avx2") && f->avx2) ||
		    (!strcmp(force, "avx512f") && f->avx512f)) {
			set_copy(force);
			return;
		}
		if (!strcmp(force, "avx2") || !strcmp(force, "avx512f"))
			warn_env("DAXFILE_COPY='%s': this CPU lacks %s; using the default, %s",
				 force, force, best);
		else
			warn_env("DAXFILE_COPY='%s' is not sse2, avx2 or avx512f; using the default, %s",
				 force, best);
	}
	set_copy(best);
}

__attribute__((constructor))
static void daxfile_persist_init(void)
{
	struct cpu_features f;
	const char *thr = env("DAXFILE_NT_THRESHOLD");
	uint64_t v;

	cpu_probe(&f);
	pick_flush(&f);
	pick_copy(&f);
	if (thr) {
		if (!daxfile_parse_size(thr, &v) && v <= SIZE_MAX)
			ops.nt_threshold = (size_t)v;
		else
			warn_env("DAXFILE_NT_THRESHOLD='%s' is not a size; using the default, %d",
				 thr, NT_THRESHOLD_DEFAULT);
	}
}

const char *daxfile_flush_variant(void)
{
	return ops.flush_name;
}

const char *daxfile_copy_variant(void)
{
	return ops.copy_name;
}

void daxfile_drain(void)
{
	__asm__ volatile("sfence" : : : "memory");
}

int daxfile_flush(const void *addr, size_t len)
{
	int ret;

	if (!len)
		return 0;
	ret = daxfile__sync_range(addr, len);
	if (ret)
		return ret < 0 ? -1 : 0;
	ops.flush(addr, len);
	return 0;
}

int daxfile_persist(const void *addr, size_t len)
{
	int ret = daxfile__sync_range(addr, len);

	if (ret < 0)
		return -1;
	if (!ret && len)
		ops.flush(addr, len);
	daxfile_drain();
	return 0;
}

/*
 * Out of line on purpose: bindings need the symbol, and an inline copy
 * saved nothing, since it called daxfile_persist() anyway.  Checked
 * before the store, so a read-only map gets EBADF, not SIGSEGV.
 */
int daxfile_persist_u64(uint64_t *word, uint64_t value)
{
	if (daxfile__check_writable(word, sizeof(*word)))
		return -1;
	__atomic_store_n(word, value, __ATOMIC_RELEASE);
	return daxfile_persist(word, sizeof(*word));
}

/* daxfile_get_persist_fn()'s: no registry, the one fence kept. */
static int persist_cpu(const void *addr, size_t len)
{
	if (len)
		ops.flush(addr, len);
	daxfile_drain();
	return 0;
}

static int persist_msync(const void *addr, size_t len)
{
	if (!len)
		return 0;
	return daxfile__msync(addr, len);
}

daxfile_persist_fn daxfile_get_persist_fn(const struct daxfile *df)
{
	if (!df || !df->addr) {
		daxfile__err(EINVAL, "no map");
		return NULL;
	}
	if (df->rdonly) {
		daxfile__err(EBADF,
			     "the map is read-only; open the file without DAXFILE_RDONLY");
		return NULL;
	}
	return df->mode == DAXFILE_MODE_MSYNC ? persist_msync : persist_cpu;
}

enum daxfile_granularity daxfile_granularity(const struct daxfile *df)
{
	if (!df || !df->addr) {
		daxfile__err(EINVAL, "no map");
		return 0;
	}
	if (df->mode == DAXFILE_MODE_MSYNC)
		return DAXFILE_GRANULARITY_PAGE;
	if (ops.flush == daxfile__flush_none)
		return DAXFILE_GRANULARITY_BYTE;
	return DAXFILE_GRANULARITY_CACHE_LINE;
}

static void flush_skip(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
}

static bool mem_flags_ok(unsigned int flags)
{
	if (flags & ~DAXFILE_MEM_VALID) {
		daxfile__err(EINVAL, "unknown flags 0x%x",
			     flags & ~DAXFILE_MEM_VALID);
		return false;
	}
	if ((flags & DAXFILE_MEM_NONTEMPORAL) &&
	    (flags & DAXFILE_MEM_TEMPORAL)) {
		daxfile__err(EINVAL,
			     "DAXFILE_MEM_NONTEMPORAL and DAXFILE_MEM_TEMPORAL exclude each other");
		return false;
	}
	return true;
}

static bool use_nt(size_t len, unsigned int flags)
{
	if (flags & DAXFILE_MEM_NONTEMPORAL)
		return true;
	if (flags & DAXFILE_MEM_TEMPORAL)
		return false;
	return len >= ops.nt_threshold;
}

/* After the stores: msync page-cache maps, then fence unless told not. */
static void *mem_finish(void *dst, size_t len, unsigned int flags)
{
	if (!(flags & DAXFILE_MEM_NOFLUSH) &&
	    daxfile__sync_range(dst, len) < 0)
		return NULL;
	if (!(flags & DAXFILE_MEM_NODRAIN))
		daxfile_drain();
	return dst;
}

/*
 * A temporal copy (or set) flushes each block just after writing it,
 * while its lines are still in L1.  Writing the whole range first and
 * flushing it after made the flush find a large copy's lines evicted:
 * temporal copies ran 6% (16 KiB) to 20% (1 MiB) slower than libpmem2's,
 * which flushes as it goes (bench/README.md).  The block size is
 * measured, not derived: in primbench, 4 KiB blocks still left copies of
 * 64 KiB to 1 MiB 13-22% behind libpmem2 and 1-2 KiB ones closed that
 * gap, but made copies of 4 MiB and more 1.5-2x slower, where 4 KiB
 * blocks beat libpmem2 by 10-25%; so short copies flush by 1 KiB and
 * long ones by 4 KiB.  Blocks end on the destination's block
 * boundaries, so no line is flushed twice, and go backwards when the
 * destination overlaps the source from above, as memmove does.
 */
#define TEMPORAL_BLOCK_SHORT	1024UL
#define TEMPORAL_BLOCK_LONG	4096UL
#define TEMPORAL_LONG		(2UL << 20)

/* The block a temporal copy or set of len bytes flushes by. */
static size_t temporal_block(size_t len)
{
	return len < TEMPORAL_LONG ? TEMPORAL_BLOCK_SHORT : TEMPORAL_BLOCK_LONG;
}

/* Bytes from p to the end of its block of size bs, at most left. */
static size_t to_block_end(const char *p, size_t left, size_t bs)
{
	size_t n = bs - ((uintptr_t)p & (bs - 1));

	return n < left ? n : left;
}

static void memmove_flush_blocks(char *dst, const char *src, size_t len,
				 daxfile_flush_fn flush)
{
	size_t bs = temporal_block(len), n;

	if (dst <= src || dst >= src + len) {
		for (size_t off = 0; off < len; off += n) {
			n = to_block_end(dst + off, len - off, bs);
			memmove(dst + off, src + off, n);
			flush(dst + off, n);
		}
		return;
	}
	for (size_t end = len; end; end -= n) {
		n = (uintptr_t)(dst + end) & (bs - 1);
		if (!n)
			n = bs;
		if (n > end)
			n = end;
		memmove(dst + end - n, src + end - n, n);
		flush(dst + end - n, n);
	}
}

/* The same for memset: set a block, flush it. */
static void memset_flush_blocks(char *dst, int c, size_t len,
				daxfile_flush_fn flush)
{
	size_t bs = temporal_block(len), n;

	for (size_t off = 0; off < len; off += n) {
		n = to_block_end(dst + off, len - off, bs);
		memset(dst + off, c, n);
		flush(dst + off, n);
	}
}

/* Nothing to flush (NOFLUSH, or eADR): one plain pass is all there is. */
static bool flush_is_noop(daxfile_flush_fn flush)
{
	return flush == flush_skip || flush == daxfile__flush_none;
}

void *daxfile_memmove_persist(void *dst, const void *src, size_t len,
			      unsigned int flags)
{
	daxfile_flush_fn flush = flags & DAXFILE_MEM_NOFLUSH ?
				 flush_skip : ops.flush;

	if (!mem_flags_ok(flags) || daxfile__check_writable(dst, len))
		return NULL;
	if (!len)
		return mem_finish(dst, len, flags);
	if (use_nt(len, flags))
		ops.memmove_nt(dst, src, len, flush);
	else if (flush_is_noop(flush))
		memmove(dst, src, len);
	else
		memmove_flush_blocks(dst, src, len, flush);
	return mem_finish(dst, len, flags);
}

void *daxfile_memcpy_persist(void *dst, const void *src, size_t len,
			     unsigned int flags)
{
	/* memmove costs nothing extra here and forgives overlap. */
	return daxfile_memmove_persist(dst, src, len, flags);
}

void *daxfile_memset_persist(void *dst, int c, size_t len,
			     unsigned int flags)
{
	daxfile_flush_fn flush = flags & DAXFILE_MEM_NOFLUSH ?
				 flush_skip : ops.flush;

	if (!mem_flags_ok(flags) || daxfile__check_writable(dst, len))
		return NULL;
	if (!len)
		return mem_finish(dst, len, flags);
	if (use_nt(len, flags))
		ops.memset_nt(dst, c, len, flush);
	else if (flush_is_noop(flush))
		memset(dst, c, len);
	else
		memset_flush_blocks(dst, c, len, flush);
	return mem_finish(dst, len, flags);
}
