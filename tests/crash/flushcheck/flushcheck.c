// SPDX-License-Identifier: GPL-2.0
/*
 * flushcheck: does every acknowledged update reach the persistence
 * domain through the library's own flushes and fences?
 *
 * The emulated power cut keeps every store the CPU made, so it cannot
 * see a missing clwb.  This does, natively on the host.  It keeps a
 * model of the persistence domain for each registered mapping, P, and
 * moves bytes into it only the way the hardware would:
 *
 *   a flush of a line (the library's clflush/clflushopt/clwb variant,
 *   reached through --wrap) snapshots the line as it is at that moment:
 *   the line is "pending" for the calling thread;
 *   a streaming copy (the library's NT movers, also wrapped) makes its
 *   whole destination lines pending the same way;
 *   a fence (daxfile_drain's sfence, instrumented in a copy of persist.c)
 *   commits the calling thread's pending snapshots into P.
 *
 * At an acknowledgement, every byte of the acknowledged range must equal
 * P: a store after the line's last flush, a flush with no fence after
 * it, or no flush at all leaves a difference, and the program stops with
 * a one-line diagnosis and exit status 86.
 *
 * The library's MSYNC-mode shortcut (daxfile__sync_range) is wrapped to
 * report "caller must flush", so a file in /tmp or /dev/shm takes the
 * exact code path of a static or MAP_SYNC mapping.
 *
 * Fault injection, to prove the check bites (FLUSHCHECK_BREAK):
 *   drop-flush:N   during update N, the first flush that covers a changed
 *                  line is dropped, and so is every later flush of those
 *                  lines in that update: the library "forgets" them
 *   fence-first:N  during update N, each flush (and streaming copy) takes
 *                  effect only after the next fence: the fence comes
 *                  before the flush it should order
 * Update N is the one acknowledged N-th; an injection that does not fire
 * is reported, so a test cannot pass vacuously.
 *
 * For programs that do not call flushcheck_ack() themselves (pmlog), the
 * link also wraps daxfile_create/daxfile_open (to register the map) and
 * fflush (an ack line reaches the world at fflush(stdout): check every
 * registered mapping first).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daxfile.h"
#include "flushcheck.h"

#define LINE		64
#define MAX_REGIONS	8
#define MAX_DEFER	256

typedef void (*flush_fn)(const void *, size_t);
typedef void (*nt_move_fn)(void *, const void *, size_t, flush_fn);
typedef void (*nt_set_fn)(void *, int, size_t, flush_fn);

struct region {
	char		*base;
	uint64_t	len;
	char		*persisted;	/* P: what a power failure keeps */
	char		*snap;		/* a pending line's flushed content */
	int		*owner;		/* thread of a pending line, 0: none */
};

static struct region regions[MAX_REGIONS];
static int nregions;
/* Pending lines, for the fence to commit: (region, line) pairs. */
static struct pend { struct region *r; uint64_t line; } *pend;
static size_t npend, cap_pend;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t acks;			/* acknowledgements checked */
static uint64_t flushes, fences;
static int next_tid = 1;
static __thread int tid;

enum inject { INJ_NONE, INJ_DROP, INJ_FENCE_FIRST };
static enum inject inject;
static uint64_t inject_at;
static bool injected;
static uint64_t drop_lo, drop_hi;	/* dropped lines: [lo, hi) addresses */
static struct { const void *a; size_t n; } deferred[MAX_DEFER];
static int ndeferred;

static int my_tid(void)
{
	if (!tid)
		tid = __atomic_fetch_add(&next_tid, 1, __ATOMIC_RELAXED);
	return tid;
}

static struct region *find(uintptr_t p)
{
	for (int i = 0; i < nregions; i++)
		if (p >= (uintptr_t)regions[i].base &&
		    p < (uintptr_t)regions[i].base + regions[i].len)
			return &regions[i];
	return NULL;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flushcheck: FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	_exit(86);
}

void flushcheck_register(void *addr, uint64_t len)
{
	struct region *r;
	uint64_t lines = (len + LINE - 1) / LINE;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < nregions; i++)
		if (regions[i].base == addr) {	/* the wrapped open did it */
			pthread_mutex_unlock(&lock);
			return;
		}
	if (nregions == MAX_REGIONS)
		fail("more than %d mappings", MAX_REGIONS);
	r = &regions[nregions++];
	r->base = addr;
	r->len = len;
	r->persisted = malloc(len);
	r->snap = malloc(lines * LINE);
	r->owner = calloc(lines, sizeof(*r->owner));
	if (!r->persisted || !r->snap || !r->owner)
		fail("out of memory for a %llu-byte shadow",
		     (unsigned long long)len);
	memcpy(r->persisted, addr, len);
	pthread_mutex_unlock(&lock);
	if (getenv("FLUSHCHECK_VERBOSE"))
		fprintf(stderr, "flushcheck: tracking %llu bytes at %p\n",
			(unsigned long long)len, addr);
}

static bool line_changed(struct region *r, uint64_t off)
{
	uint64_t n = r->len - off < LINE ? r->len - off : LINE;

	return memcmp(r->base + off, r->persisted + off, n) != 0;
}

/* A line write-back (or streaming store) has been issued: snapshot it. */
static void make_pending(const void *addr, size_t len, bool whole_only)
{
	uintptr_t p = (uintptr_t)addr & ~(uintptr_t)(LINE - 1);
	uintptr_t end = (uintptr_t)addr + len;

	if (whole_only) {
		p = ((uintptr_t)addr + LINE - 1) & ~(uintptr_t)(LINE - 1);
		end &= ~(uintptr_t)(LINE - 1);
	}
	for (; p < end; p += LINE) {
		struct region *r = find(p);
		uint64_t off, n;

		if (!r)
			continue;
		off = p - (uintptr_t)r->base;
		if (inject == INJ_DROP && acks + 1 == inject_at) {
			if (!injected && line_changed(r, off)) {
				injected = true;
				drop_lo = p;
				drop_hi = end;
				fprintf(stderr, "flushcheck: injected: update %llu:"
					" dropped the flush of %llu bytes at file"
					" offset %llu\n",
					(unsigned long long)inject_at,
					(unsigned long long)(end - p),
					(unsigned long long)off);
			}
			if (injected && p >= drop_lo && p < drop_hi)
				continue;
		}
		n = r->len - off < LINE ? r->len - off : LINE;
		memcpy(r->snap + off, r->base + off, n);
		if (!r->owner[off / LINE]) {
			if (npend == cap_pend) {
				cap_pend = cap_pend ? 2 * cap_pend : 1024;
				pend = realloc(pend, cap_pend * sizeof(*pend));
				if (!pend)
					fail("out of memory");
			}
			pend[npend].r = r;
			pend[npend].line = off / LINE;
			npend++;
		}
		r->owner[off / LINE] = my_tid();
	}
}

static bool defer(const void *addr, size_t len, bool whole_only)
{
	if (inject != INJ_FENCE_FIRST || acks + 1 != inject_at ||
	    !find((uintptr_t)addr))
		return false;
	if (ndeferred == MAX_DEFER)
		fail("too many deferred flushes");
	/* A streaming copy's partial lines were flushed (and deferred). */
	if (whole_only) {
		uintptr_t s = ((uintptr_t)addr + LINE - 1) & ~(uintptr_t)(LINE - 1);
		uintptr_t e = ((uintptr_t)addr + len) & ~(uintptr_t)(LINE - 1);

		if (e <= s)
			return true;
		addr = (const void *)s;
		len = e - s;
	}
	deferred[ndeferred].a = addr;
	deferred[ndeferred].n = len;
	ndeferred++;
	return true;
}

static void flushed(const void *addr, size_t len, bool whole_only)
{
	pthread_mutex_lock(&lock);
	flushes++;
	if (!defer(addr, len, whole_only))
		make_pending(addr, len, whole_only);
	pthread_mutex_unlock(&lock);
}

void flushcheck__fence(void)
{
	int me = my_tid();

	pthread_mutex_lock(&lock);
	fences++;
	for (size_t i = 0; i < npend;) {
		struct region *r = pend[i].r;
		uint64_t l = pend[i].line, off = l * LINE;
		uint64_t n = r->len - off < LINE ? r->len - off : LINE;

		if (r->owner[l] != me) {
			i++;	/* another thread's: its own fence commits it */
			continue;
		}
		memcpy(r->persisted + off, r->snap + off, n);
		r->owner[l] = 0;
		pend[i] = pend[--npend];
	}
	/* fence-first: the flushes this fence should have ordered come now. */
	if (ndeferred) {
		/* It fires only if a late flush covers a changed line. */
		for (int i = 0; i < ndeferred && !injected; i++) {
			uintptr_t p = (uintptr_t)deferred[i].a & ~(uintptr_t)(LINE - 1);

			for (; p < (uintptr_t)deferred[i].a + deferred[i].n; p += LINE) {
				struct region *r = find(p);

				if (r && line_changed(r, p - (uintptr_t)r->base)) {
					injected = true;
					fprintf(stderr, "flushcheck: injected: update"
						" %llu: the fence comes before its"
						" flushes\n",
						(unsigned long long)inject_at);
					break;
				}
			}
		}
		for (int i = 0; i < ndeferred; i++)
			make_pending(deferred[i].a, deferred[i].n, false);
		ndeferred = 0;
	}
	pthread_mutex_unlock(&lock);
}

static const char *why(struct region *r, uint64_t off)
{
	uint64_t l = off / LINE;

	if (r->owner[l])
		return r->snap[off] == r->base[off] ?
			"flushed, but no fence followed the flush" :
			"stored again after its last flush";
	return "no flush was issued after its last store";
}

void flushcheck_ack(const void *addr, uint64_t len)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < nregions; i++) {
		struct region *r = &regions[i];
		uint64_t s = 0, e = r->len;

		if (len) {
			if ((uintptr_t)addr + len <= (uintptr_t)r->base ||
			    (uintptr_t)addr >= (uintptr_t)r->base + r->len)
				continue;
			if ((uintptr_t)addr > (uintptr_t)r->base)
				s = (uintptr_t)addr - (uintptr_t)r->base;
			if ((uintptr_t)addr + len < (uintptr_t)r->base + r->len)
				e = (uintptr_t)addr + len - (uintptr_t)r->base;
		}
		if (!memcmp(r->base + s, r->persisted + s, e - s))
			continue;
		for (uint64_t o = s; o < e; o++)
			if (r->base[o] != r->persisted[o])
				fail("acknowledgement %llu: byte at offset %llu "
				     "(of %llu acknowledged from %llu) is not "
				     "persistent: %s",
				     (unsigned long long)acks + 1,
				     (unsigned long long)o,
				     (unsigned long long)(e - s),
				     (unsigned long long)s, why(r, o));
	}
	acks++;
	pthread_mutex_unlock(&lock);
}

__attribute__((destructor))
static void report(void)
{
	if (!nregions)
		return;
	fprintf(stderr, "flushcheck: %llu acknowledgements checked, %llu "
		"flushes, %llu fences, flush %s, copy %s\n",
		(unsigned long long)acks, (unsigned long long)flushes,
		(unsigned long long)fences, daxfile_flush_variant(),
		daxfile_copy_variant());
	if (inject != INJ_NONE && !injected) {
		fprintf(stderr, "flushcheck: FAIL: the injected fault never "
			"fired (update %llu)\n", (unsigned long long)inject_at);
		fflush(stderr);
		_exit(87);
	}
}

__attribute__((constructor))
static void setup(void)
{
	const char *b = getenv("FLUSHCHECK_BREAK");
	const char *colon = b ? strchr(b, ':') : NULL;

	if (!b || !*b)
		return;
	inject_at = colon ? strtoull(colon + 1, NULL, 0) : 1;
	if (!strncmp(b, "drop-flush", 10))
		inject = INJ_DROP;
	else if (!strncmp(b, "fence-first", 11))
		inject = INJ_FENCE_FIRST;
	else
		fail("unknown FLUSHCHECK_BREAK '%s'", b);
	if (!inject_at)
		fail("FLUSHCHECK_BREAK counts updates from 1");
}

/* ---- the wrapped library internals -------------------------------- */

#define WRAP_FLUSH(name)						\
	void __real_daxfile__flush_##name(const void *a, size_t n);	\
	void __wrap_daxfile__flush_##name(const void *a, size_t n);	\
	void __wrap_daxfile__flush_##name(const void *a, size_t n)	\
	{								\
		flushed(a, n, false);					\
		__real_daxfile__flush_##name(a, n);			\
	}
WRAP_FLUSH(clflush)
WRAP_FLUSH(clflushopt)
WRAP_FLUSH(clwb)
WRAP_FLUSH(none)

#define WRAP_NT(isa)							\
	void __real_daxfile__memmove_nt_##isa(void *d, const void *s,	\
					      size_t n, flush_fn f);	\
	void __wrap_daxfile__memmove_nt_##isa(void *d, const void *s,	\
					      size_t n, flush_fn f);	\
	void __wrap_daxfile__memmove_nt_##isa(void *d, const void *s,	\
					      size_t n, flush_fn f)	\
	{								\
		__real_daxfile__memmove_nt_##isa(d, s, n, f);		\
		flushed(d, n, true);					\
	}								\
	void __real_daxfile__memset_nt_##isa(void *d, int c, size_t n,	\
					     flush_fn f);		\
	void __wrap_daxfile__memset_nt_##isa(void *d, int c, size_t n,	\
					     flush_fn f);		\
	void __wrap_daxfile__memset_nt_##isa(void *d, int c, size_t n,	\
					     flush_fn f)		\
	{								\
		__real_daxfile__memset_nt_##isa(d, c, n, f);		\
		flushed(d, n, true);					\
	}
WRAP_NT(sse2)
WRAP_NT(avx2)
WRAP_NT(avx512f)

/* Take the flush path for any mapping (see the comment at the top). */
int __wrap_daxfile__sync_range(const void *addr, size_t len);
int __wrap_daxfile__sync_range(const void *addr, size_t len)
{
	(void)addr;
	(void)len;
	return 0;
}

/* ---- for programs that do not call flushcheck_ack() (pmlog) ---------- */

struct daxfile *__real_daxfile_open(const char *path, unsigned int flags);
struct daxfile *__wrap_daxfile_open(const char *path, unsigned int flags);
struct daxfile *__wrap_daxfile_open(const char *path, unsigned int flags)
{
	struct daxfile *df = __real_daxfile_open(path, flags);

	if (df && !(flags & DAXFILE_RDONLY))
		flushcheck_register(daxfile_addr(df), daxfile_size(df));
	return df;
}

int __real_fflush(FILE *f);
int __wrap_fflush(FILE *f);
int __wrap_fflush(FILE *f)
{
	if (f == stdout && nregions)
		flushcheck_ack(NULL, 0);
	return __real_fflush(f);
}
