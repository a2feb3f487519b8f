// SPDX-License-Identifier: GPL-2.0
/*
 * primbench: libdaxfile's persistence primitives against PMDK libpmem2,
 * natively, on one mapping of a file in /dev/shm.
 *
 * libpmem2 would call a tmpfs file page-granular and persist it with
 * msync; PMEM2_FORCE_GRANULARITY=CACHE_LINE makes it pick the same
 * clwb + sfence path it uses on real pmem, which is what we compare.
 *
 * Every case (persist of 8 B..4 KiB, memcpy_persist with default,
 * non-temporal and temporal flags, memset_persist) runs both libraries
 * back to back in each repetition, alternating which goes first, so
 * both see the same machine state.  Output: one tab-separated record
 * per case and repetition with both times; bench/run takes the medians.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libpmem2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "daxfile.h"

#define WINDOW		(4UL << 20)	/* where small ops cycle */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("primbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

enum op { OP_PERSIST, OP_MEMCPY, OP_MEMSET };
enum lib { LIB_DAXFILE, LIB_PMEM2 };

struct bcase {
	enum op		op;
	const char	*fname;		/* flags, as printed */
	unsigned int	dflags;		/* DAXFILE_MEM_* */
	unsigned int	pflags;		/* PMEM2_F_MEM_* */
	size_t		size;
	unsigned long	iters;		/* per batch, calibrated */
};

static char *pm;		/* the mapping */
static size_t pm_len;
static char *src;
static pmem2_persist_fn p2_persist;
static pmem2_memcpy_fn p2_memcpy;
static pmem2_memset_fn p2_memset;

/* Run one batch; returns ns per operation. */
static double batch(const struct bcase *c, enum lib lib)
{
	size_t stride = c->size < 64 ? 64 : c->size;
	size_t span = c->size >= WINDOW ? pm_len : WINDOW;
	size_t nslots = span / stride, slot = 0;
	uint64_t t0 = now_ns();

	if (!nslots)
		nslots = 1;
	for (unsigned long i = 0; i < c->iters; i++) {
		char *d = pm + slot * stride;

		if (++slot == nslots || (slot + 1) * stride > pm_len)
			slot = 0;
		switch (c->op) {
		case OP_PERSIST:
			/* Dirty every line of the range, then persist it. */
			for (size_t o = 0; o < c->size; o += 64)
				*(volatile uint64_t *)(d + o) = i;
			if (lib == LIB_DAXFILE)
				daxfile_persist(d, c->size);
			else
				p2_persist(d, c->size);
			break;
		case OP_MEMCPY:
			if (lib == LIB_DAXFILE)
				daxfile_memcpy_persist(d, src, c->size,
						       c->dflags);
			else
				p2_memcpy(d, src, c->size, c->pflags);
			break;
		case OP_MEMSET:
			if (lib == LIB_DAXFILE)
				daxfile_memset_persist(d, (int)(i & 0xff),
						       c->size, c->dflags);
			else
				p2_memset(d, (int)(i & 0xff), c->size,
					  c->pflags);
			break;
		}
	}
	return (double)(now_ns() - t0) / (double)c->iters;
}

static void map_file(const char *path, size_t len)
{
	struct pmem2_config *cfg;
	struct pmem2_source *s;
	struct pmem2_map *map;
	enum pmem2_granularity g;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, (off_t)len))
		die("%s: %s", path, strerror(errno));
	if (pmem2_config_new(&cfg) || pmem2_source_from_fd(&s, fd) ||
	    pmem2_config_set_required_store_granularity(cfg,
					PMEM2_GRANULARITY_PAGE) ||
	    pmem2_map_new(&map, cfg, s))
		die("libpmem2: %s", pmem2_errormsg());
	pm = pmem2_map_get_address(map);
	pm_len = pmem2_map_get_size(map);
	g = pmem2_map_get_store_granularity(map);
	p2_persist = pmem2_get_persist_fn(map);
	p2_memcpy = pmem2_get_memcpy_fn(map);
	p2_memset = pmem2_get_memset_fn(map);
	printf("I\tgranularity\t%s\n", g == PMEM2_GRANULARITY_CACHE_LINE ?
	       "cache_line" : g == PMEM2_GRANULARITY_BYTE ? "byte" : "page");
	if (g != PMEM2_GRANULARITY_CACHE_LINE)
		die("libpmem2 did not take PMEM2_FORCE_GRANULARITY=CACHE_LINE");
	memset(pm, 0, pm_len);
	unlink(path);
	close(fd);
}

int main(int argc, char **argv)
{
	static const size_t persist_sizes[] = { 8, 64, 256, 1024, 4096 };
	static const struct {
		const char *name;
		unsigned int d, p;
	} fl[] = {
		{ "default", 0, 0 },
		{ "nontemporal", DAXFILE_MEM_NONTEMPORAL,
		  PMEM2_F_MEM_NONTEMPORAL },
		{ "temporal", DAXFILE_MEM_TEMPORAL, PMEM2_F_MEM_TEMPORAL },
	};
	struct bcase cases[128];
	size_t max_size = 64UL << 20;
	int reps = 21, n = 0;
	double batch_ns = 3e6;
	char path[64];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			reps = 5;
			max_size = 4UL << 20;
			batch_ns = 1e6;
		} else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
			reps = atoi(argv[++i]);
		} else {
			die("usage: primbench [--quick] [--reps N]");
		}
	}
	if (reps < 1 || reps > 1000)
		die("bad --reps");
	setenv("PMEM2_FORCE_GRANULARITY", "CACHE_LINE", 1);
	snprintf(path, sizeof(path), "/dev/shm/primbench.%d", (int)getpid());
	map_file(path, 2 * max_size);
	src = aligned_alloc(4096, max_size);
	if (!src)
		die("out of memory");
	memset(src, 0x5a, max_size);
	printf("I\tdaxfile\t%s\t%s\n", daxfile_flush_variant(),
	       daxfile_copy_variant());

	for (size_t i = 0; i < sizeof(persist_sizes) / sizeof(*persist_sizes);
	     i++)
		cases[n++] = (struct bcase){ OP_PERSIST, "-", 0, 0,
					     persist_sizes[i], 0 };
	for (size_t f = 0; f < sizeof(fl) / sizeof(*fl); f++)
		for (size_t sz = 64; sz <= max_size; sz *= 4)
			cases[n++] = (struct bcase){ OP_MEMCPY, fl[f].name,
						     fl[f].d, fl[f].p, sz, 0 };
	for (size_t sz = 64; sz <= max_size; sz *= 4)
		cases[n++] = (struct bcase){ OP_MEMSET, "default", 0, 0, sz,
					     0 };

	/* Warm up and calibrate: a batch should take about batch_ns. */
	for (int i = 0; i < n; i++) {
		struct bcase *c = &cases[i];
		double t;

		c->iters = 1;
		batch(c, LIB_DAXFILE);
		batch(c, LIB_PMEM2);
		t = batch(c, LIB_PMEM2);
		c->iters = (unsigned long)(batch_ns / (t > 1 ? t : 1));
		if (c->iters < 1)
			c->iters = 1;
		if (c->iters > 1000000)
			c->iters = 1000000;
		batch(c, LIB_DAXFILE);
	}
	for (int rep = 0; rep < reps; rep++) {
		for (int i = 0; i < n; i++) {
			struct bcase *c = &cases[i];
			static const char *const opn[] = {
				"persist", "memcpy_persist", "memset_persist",
			};
			double td, tp;

			if ((rep + i) & 1) {
				tp = batch(c, LIB_PMEM2);
				td = batch(c, LIB_DAXFILE);
			} else {
				td = batch(c, LIB_DAXFILE);
				tp = batch(c, LIB_PMEM2);
			}
			printf("P\t%s\t%s\t%zu\t%d\t%.2f\t%.2f\n", opn[c->op],
			       c->fname, c->size, rep, td, tp);
		}
	}
	return 0;
}
