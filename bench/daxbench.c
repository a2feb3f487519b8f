// SPDX-License-Identifier: GPL-2.0
/*
 * daxbench: the in-VM benchmark.  One program, one code path per way an
 * application can make a small update to persistent memory durable:
 *
 *   static     daxfile static-dax file: store, then daxfile_persist()
 *   map_sync   fsdax file mapped MAP_SHARED_VALIDATE|MAP_SYNC: the same
 *   msync      fsdax file, plain MAP_SHARED: store, msync(MS_SYNC) the page
 *   pwrite     fsdax file: pwrite() + fdatasync()
 *   pagecache  non-DAX file on the same pmem device: store + msync
 *   devdax     /dev/daxX.Y: store + daxfile_persist(), the hardware path
 *
 * Subcommands: "updates" (throughput and latency per mode, size and
 * thread count, repetitions interleaved across modes), "fault" (first
 * touch of a fresh file) and "enable" (daxctl(STATIC) cost against size
 * and extent count).  Output is tab-separated records on stdout; bench/run
 * turns them into tables and plots.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "daxfile.h"

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

#define PMD_SIZE		(2UL << 20)
#define PAGE_SZ			4096UL
#define MAX_THREADS		8
#define MAX_SIZES		16
#define MAX_SAMPLES		(1U << 20)
#define SEED			0x9e3779b97f4a7c15ULL

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2),
						      noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("daxbench: ", stderr);
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

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	}
	if (*end)
		die("bad size '%s'", s);
	return v;
}

static int parse_list(const char *s, uint64_t *out, int max)
{
	char *dup = strdup(s), *tok, *save = NULL;
	int n = 0;

	for (tok = strtok_r(dup, ",", &save); tok && n < max;
	     tok = strtok_r(NULL, ",", &save))
		out[n++] = parse_size(tok);
	free(dup);
	return n;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* ---- files ------------------------------------------------------- */

/* Map len bytes of fd at a 2 MiB-aligned address, so PMD faults can work. */
static void *map_aligned(int fd, size_t len, int flags)
{
	char *base, *addr;
	size_t resv = len + PMD_SIZE;

	base = mmap(NULL, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	addr = (char *)(((uintptr_t)base + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	if (mmap(addr, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd,
		 0) == MAP_FAILED) {
		int err = errno;

		munmap(base, resv);
		errno = err;
		return MAP_FAILED;
	}
	if (addr > base)
		munmap(base, (size_t)(addr - base));
	if (addr + len < base + resv)
		munmap(addr + len, (size_t)(base + resv - (addr + len)));
	return addr;
}

/* Write zeroes over [from, to) of fd: no extent stays unwritten. */
static void write_zeroes(int fd, uint64_t from, uint64_t to)
{
	static char *zero;
	const size_t chunk = 8UL << 20;

	if (!zero) {
		zero = mmap(NULL, chunk, PROT_READ, MAP_PRIVATE |
			    MAP_ANONYMOUS, -1, 0);
		if (zero == MAP_FAILED)
			die("mmap: %m");
	}
	while (from < to) {
		size_t n = to - from < chunk ? to - from : chunk;
		ssize_t w = pwrite(fd, zero, n, (off_t)from);

		if (w <= 0)
			die("pwrite: %m");
		from += (uint64_t)w;
	}
}

/* Allocated, written and synced: what an application sets up first. */
static int make_file(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0)
		die("open %s: %m", path);
	if (fallocate(fd, 0, 0, (off_t)size) && ftruncate(fd, (off_t)size))
		die("size %s: %m", path);
	write_zeroes(fd, 0, size);
	if (fsync(fd))
		die("fsync %s: %m", path);
	return fd;
}

/* Fault the whole map in, so steady state measures no first touch. */
static void prefault(char *addr, size_t len)
{
	/*
	 * Populate, then touch anyway: on device-dax the madvise succeeds
	 * yet the first repetition still took faults (bench/README.md).
	 */
	madvise(addr, len, MADV_POPULATE_WRITE);
	for (size_t off = 0; off < len; off += PAGE_SZ) {
		volatile char *p = addr + off;
		char c = *p;

		*p = c;	/* a write fault, keeping the contents */
	}
}

static uint64_t devdax_size(const char *dev)
{
	char path[PATH_MAX];
	struct stat st;
	unsigned long long v = 0;
	FILE *f;

	if (stat(dev, &st))
		return 0;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/size",
		 major(st.st_rdev), minor(st.st_rdev));
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

/* ---- modes ------------------------------------------------------- */

enum kind { K_STORE_PERSIST, K_STORE_MSYNC, K_PWRITE };

struct target {
	const char	*name;
	enum kind	kind;
	bool		on;
	char		*addr;
	uint64_t	len;
	int		fd;
	struct daxfile	*df;
	char		label[96];
};

enum { M_STATIC, M_MAP_SYNC, M_MSYNC, M_PWRITE, M_PAGECACHE, M_DEVDAX,
       NR_MODES };

static struct target targets[NR_MODES] = {
	[M_STATIC]	= { "static",	 K_STORE_PERSIST },
	[M_MAP_SYNC]	= { "map_sync",	 K_STORE_PERSIST },
	[M_MSYNC]	= { "msync",	 K_STORE_MSYNC },
	[M_PWRITE]	= { "pwrite",	 K_PWRITE },
	[M_PAGECACHE]	= { "pagecache", K_STORE_MSYNC },
	[M_DEVDAX]	= { "devdax",	 K_STORE_PERSIST },
};

static char src_buf[64 << 10] __attribute__((aligned(64)));

static inline int do_update(const struct target *t, uint64_t off, size_t sz)
{
	char *p = t->addr + off;
	uintptr_t pg;

	switch (t->kind) {
	case K_STORE_PERSIST:
		memcpy(p, src_buf, sz);
		return daxfile_persist(p, sz);
	case K_STORE_MSYNC:
		memcpy(p, src_buf, sz);
		pg = (uintptr_t)p & ~(PAGE_SZ - 1);
		return msync((void *)pg, (uintptr_t)p + sz - pg, MS_SYNC);
	case K_PWRITE:
		if (pwrite(t->fd, src_buf, sz, (off_t)off) != (ssize_t)sz)
			return -1;
		return fdatasync(t->fd);
	}
	return -1;
}

struct cell {
	const struct target	*t;
	size_t			sz;
	int			nthreads;
	bool			timed;		/* per-op latency samples */
	uint64_t		min_ops;
	atomic_bool		stop;
	pthread_barrier_t	go;
};

struct worker {
	pthread_t	th;
	struct cell	*c;
	int		id;
	uint64_t	ops;
	uint64_t	t0, t1;
	uint64_t	*lat;
	uint32_t	nlat;
	int		err;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct cell *c = w->c;
	const struct target *t = c->t;
	uint64_t seed = SEED ^ ((uint64_t)w->id << 32) ^ c->sz;
	uint64_t slots = (t->len - c->sz) / 8 + 1;

	pthread_barrier_wait(&c->go);
	w->t0 = now_ns();
	while (!atomic_load_explicit(&c->stop, memory_order_relaxed) ||
	       w->ops < c->min_ops) {
		uint64_t off = (xorshift(&seed) % slots) * 8;
		uint64_t s = c->timed ? now_ns() : 0;

		if (do_update(t, off, c->sz)) {
			w->err = errno;
			break;
		}
		if (c->timed && w->nlat < MAX_SAMPLES)
			w->lat[w->nlat++] = now_ns() - s;
		w->ops++;
	}
	w->t1 = now_ns();
	return NULL;
}

struct result {
	uint64_t	ops;
	double		secs;
	uint64_t	p50, p99;
};

static struct worker workers[MAX_THREADS];

static void run_cell(struct cell *c, unsigned int ms, struct result *r)
{
	struct timespec d = { ms / 1000, (long)(ms % 1000) * 1000000L };
	uint64_t t0 = UINT64_MAX, t1 = 0, n = 0;

	atomic_store(&c->stop, false);
	pthread_barrier_init(&c->go, NULL, (unsigned int)c->nthreads + 1);
	for (int i = 0; i < c->nthreads; i++) {
		struct worker *w = &workers[i];
		uint64_t *lat = w->lat;

		memset(w, 0, sizeof(*w));
		w->lat = lat;
		w->c = c;
		w->id = i;
		if (pthread_create(&w->th, NULL, worker_fn, w))
			die("pthread_create");
	}
	pthread_barrier_wait(&c->go);
	nanosleep(&d, NULL);
	atomic_store(&c->stop, true);
	memset(r, 0, sizeof(*r));
	for (int i = 0; i < c->nthreads; i++) {
		struct worker *w = &workers[i];

		pthread_join(w->th, NULL);
		if (w->err)
			die("%s: update of %zu bytes failed: %s", c->t->name,
			    c->sz, strerror(w->err));
		r->ops += w->ops;
		t0 = w->t0 < t0 ? w->t0 : t0;
		t1 = w->t1 > t1 ? w->t1 : t1;
		if (c->timed) {
			/* Pool the samples of all threads at the front. */
			memmove(workers[0].lat + n, w->lat,
				w->nlat * sizeof(uint64_t));
			n += w->nlat;
		}
	}
	pthread_barrier_destroy(&c->go);
	r->secs = (double)(t1 - t0) / 1e9;
	if (c->timed && n) {
		qsort(workers[0].lat, n, sizeof(uint64_t), cmp_u64);
		r->p50 = workers[0].lat[n / 2];
		r->p99 = workers[0].lat[(n * 99) / 100 < n ? (n * 99) / 100 :
					n - 1];
	}
}

struct upd_opts {
	const char	*dax_dir;
	const char	*pc_dir;
	const char	*devdax;
	uint64_t	file_size;
	uint64_t	sizes[MAX_SIZES];
	int		nsizes;
	uint64_t	threads[MAX_THREADS];
	int		nthreads;
	int		reps;
	unsigned int	ms;
	char		modes[256];
};

static void setup_targets(struct upd_opts *o)
{
	char path[PATH_MAX];
	struct daxfile_opts dopts = { .align = PMD_SIZE,
				      .flags = DAXFILE_REPLACE };
	uint64_t t;

	for (int m = 0; m < NR_MODES; m++) {
		struct target *tg = &targets[m];
		char want[260];

		snprintf(want, sizeof(want), ",%s,", o->modes);
		snprintf(path, sizeof(path), ",%s,", tg->name);
		tg->on = !strcmp(o->modes, "all") || strstr(want, path);
		tg->len = o->file_size;
		tg->fd = -1;
	}
	for (int m = 0; m < NR_MODES; m++) {
		struct target *tg = &targets[m];

		if (!tg->on)
			continue;
		t = now_ns();
		switch (m) {
		case M_STATIC:
			snprintf(path, sizeof(path), "%s/static", o->dax_dir);
			tg->df = daxfile_create(path, o->file_size, &dopts);
			if (!tg->df)
				die("daxfile_create %s: %s", path,
				    daxfile_errmsg());
			tg->addr = daxfile_addr(tg->df);
			snprintf(tg->label, sizeof(tg->label), "%s",
				 daxfile_mode_name(daxfile_mode(tg->df)));
			break;
		case M_MAP_SYNC:
		case M_MSYNC:
		case M_PWRITE:
		case M_PAGECACHE:
			snprintf(path, sizeof(path), "%s/%s",
				 m == M_PAGECACHE ? o->pc_dir : o->dax_dir,
				 tg->name);
			tg->fd = make_file(path, o->file_size);
			if (m == M_PWRITE)
				break;
			tg->addr = map_aligned(tg->fd, o->file_size,
					       m == M_MAP_SYNC ?
					       MAP_SHARED_VALIDATE | MAP_SYNC :
					       MAP_SHARED);
			if (tg->addr == MAP_FAILED)
				die("mmap %s: %m", path);
			break;
		case M_DEVDAX:
			if (!o->devdax)
				die("devdax mode needs --devdax DEV");
			tg->len = devdax_size(o->devdax);
			if (tg->len > o->file_size)
				tg->len = o->file_size;
			tg->len &= ~(PMD_SIZE - 1);
			tg->fd = open(o->devdax, O_RDWR);
			if (tg->fd < 0 || !tg->len)
				die("%s: %m", o->devdax);
			tg->addr = mmap(NULL, tg->len, PROT_READ | PROT_WRITE,
					MAP_SHARED, tg->fd, 0);
			if (tg->addr == MAP_FAILED)
				die("mmap %s: %m", o->devdax);
			break;
		}
		if (tg->addr && tg->addr != MAP_FAILED) {
			prefault(tg->addr, tg->len);
			if (tg->kind == K_STORE_MSYNC &&
			    msync(tg->addr, tg->len, MS_SYNC))
				die("msync: %m");
		}
		printf("I\tsetup\t%s\t%.3f\t%s\n", tg->name,
		       (double)(now_ns() - t) / 1e9,
		       tg->label[0] ? tg->label : "-");
		fflush(stdout);
	}
}

static int cmd_updates(int argc, char **argv)
{
	struct upd_opts o = {
		.dax_dir = "/mnt/pmem", .pc_dir = "/mnt/pmem",
		.file_size = 1ULL << 30, .reps = 5, .ms = 200,
		.modes = "all",
	};
	struct cell c;
	struct result r;

	o.nsizes = parse_list("8,64,256,4096,65536", o.sizes, MAX_SIZES);
	o.nthreads = parse_list("1,2", o.threads, MAX_THREADS);
	o.devdax = getenv("DAXFILE_DEVDAX");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			die("%s needs a value", a);
		i++;
		if (!strcmp(a, "--dax-dir"))
			o.dax_dir = v;
		else if (!strcmp(a, "--pc-dir"))
			o.pc_dir = v;
		else if (!strcmp(a, "--devdax"))
			o.devdax = v;
		else if (!strcmp(a, "--file-size"))
			o.file_size = parse_size(v);
		else if (!strcmp(a, "--sizes"))
			o.nsizes = parse_list(v, o.sizes, MAX_SIZES);
		else if (!strcmp(a, "--threads"))
			o.nthreads = parse_list(v, o.threads, MAX_THREADS);
		else if (!strcmp(a, "--reps"))
			o.reps = atoi(v);
		else if (!strcmp(a, "--ms"))
			o.ms = (unsigned int)atoi(v);
		else if (!strcmp(a, "--modes"))
			snprintf(o.modes, sizeof(o.modes), "%s", v);
		else
			die("unknown option %s", a);
	}
	for (int i = 0; i < o.nthreads; i++)
		if (!o.threads[i] || o.threads[i] > MAX_THREADS)
			die("bad thread count");
	for (int i = 0; i < MAX_THREADS; i++) {
		workers[i].lat = malloc(MAX_SAMPLES * sizeof(uint64_t) *
					(i ? 1 : MAX_THREADS));
		if (!workers[i].lat)
			die("out of memory");
	}
	memset(src_buf, 0xa5, sizeof(src_buf));
	printf("I\tflush\t%s\t%s\n", daxfile_flush_variant(),
	       daxfile_copy_variant());
	setup_targets(&o);

	/* Warm-up: every mode, every size, once, untimed. */
	memset(&c, 0, sizeof(c));
	c.nthreads = 1;
	c.min_ops = 2;
	for (int m = 0; m < NR_MODES; m++) {
		if (!targets[m].on)
			continue;
		c.t = &targets[m];
		for (int s = 0; s < o.nsizes; s++) {
			c.sz = o.sizes[s];
			run_cell(&c, o.ms / 4 + 1, &r);
		}
	}
	/* Repetitions, interleaved: each rep visits every cell once. */
	for (int rep = 0; rep < o.reps; rep++) {
		for (int s = 0; s < o.nsizes; s++) {
			for (int th = 0; th < o.nthreads; th++) {
				for (int k = 0; k < NR_MODES; k++) {
					/* Rotate the mode order per rep. */
					int m = (k + rep) % NR_MODES;
					struct result lr;

					if (!targets[m].on)
						continue;
					c.t = &targets[m];
					c.sz = o.sizes[s];
					c.nthreads = (int)o.threads[th];
					c.min_ops = 4;
					c.timed = false;
					run_cell(&c, o.ms, &r);
					c.timed = true;
					run_cell(&c, o.ms / 2 + 1, &lr);
					printf("U\t%s\t%s\t%zu\t%d\t%d\t%" PRIu64
					       "\t%.6f\t%" PRIu64 "\t%" PRIu64
					       "\n", c.t->name,
					       c.t->label[0] ? c.t->label : "-",
					       c.sz, c.nthreads, rep, r.ops,
					       r.secs, lr.p50, lr.p99);
					fflush(stdout);
				}
			}
		}
	}
	for (int m = 0; m < NR_MODES; m++) {
		struct target *tg = &targets[m];
		char path[PATH_MAX];

		if (!tg->on)
			continue;
		if (tg->df) {
			snprintf(path, sizeof(path), "%s/static", o.dax_dir);
			/*
			 * A static file refuses unlink, and disabling it
			 * while mapped is EBUSY: unmap, disable, unlink.
			 */
			daxfile_close(tg->df);
			daxctl(path, 0, 0);
			unlink(path);
			continue;
		}
		if (tg->addr)
			munmap(tg->addr, tg->len);
		close(tg->fd);
		if (m != M_DEVDAX) {
			snprintf(path, sizeof(path), "%s/%s",
				 m == M_PAGECACHE ? o.pc_dir : o.dax_dir,
				 tg->name);
			unlink(path);
		}
	}
	return 0;
}

/* ---- first touch ------------------------------------------------- */

enum fault_case { F_DAX4K, F_DAX2M, F_SYNC_FALLOC, F_SYNC_SPARSE, F_PLAIN,
		  NR_FAULT };

static const char *const fault_names[NR_FAULT] = {
	"daxfile_align_4k", "daxfile_align_2m", "map_sync_fallocated",
	"map_sync_sparse", "fsdax_plain_sparse",
};

static int cmd_fault(int argc, char **argv)
{
	const char *dir = "/mnt/pmem";
	uint64_t size = 1ULL << 30;
	char path[PATH_MAX];

	for (int i = 0; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--dir"))
			dir = argv[i + 1];
		else if (!strcmp(argv[i], "--file-size"))
			size = parse_size(argv[i + 1]);
		else
			die("unknown option %s", argv[i]);
	}
	for (int fc = 0; fc < NR_FAULT; fc++) {
		struct daxfile *df = NULL;
		const char *mode = "-";
		uint64_t t0, t1, t2;
		char *addr;
		long f0, f1;
		int fd = -1;

		snprintf(path, sizeof(path), "%s/touch", dir);
		unlink(path);
		t0 = now_ns();
		if (fc == F_DAX4K || fc == F_DAX2M) {
			struct daxfile_opts dopts = {
				.align = fc == F_DAX4K ? PAGE_SZ : PMD_SIZE,
			};

			df = daxfile_create(path, size, &dopts);
			if (!df)
				die("daxfile_create: %s", daxfile_errmsg());
			addr = daxfile_addr(df);
			mode = daxfile_mode_name(daxfile_mode(df));
		} else {
			fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				die("open %s: %m", path);
			if (fc == F_SYNC_FALLOC ?
			    fallocate(fd, 0, 0, (off_t)size) :
			    ftruncate(fd, (off_t)size))
				die("size: %m");
			if (fsync(fd))
				die("fsync: %m");
			addr = map_aligned(fd, size, fc == F_PLAIN ? MAP_SHARED :
					   MAP_SHARED_VALIDATE | MAP_SYNC);
			if (addr == MAP_FAILED)
				die("mmap: %m");
		}
		t1 = now_ns();
		f0 = minflt();
		for (uint64_t off = 0; off < size; off += PAGE_SZ)
			*(volatile char *)(addr + off) = 1;
		f1 = minflt();
		t2 = now_ns();
		printf("F\t%s\t%" PRIu64 "\t%ld\t%.6f\t%.6f\t%s\n",
		       fault_names[fc], size, f1 - f0, (double)(t2 - t1) / 1e9,
		       (double)(t1 - t0) / 1e9, mode);
		fflush(stdout);
		if (df) {
			/* Unmap first: disabling a mapped file is EBUSY. */
			daxfile_close(df);
			daxctl(path, 0, 0);
		} else {
			munmap(addr, size);
			close(fd);
		}
		unlink(path);
	}
	return 0;
}

/* ---- enable cost ------------------------------------------------- */

static int count_ext(const struct daxfile_extent *e, void *arg)
{
	(void)e;
	(*(long *)arg)++;
	return 0;
}

static long extents_of(int fd)
{
	long n = 0;

	if (daxfile_check(fd, PAGE_SZ, count_ext, &n) < 0)
		return -1;
	return n;
}

/* Median, min and max ns of reps enable calls (disabling in between). */
static int time_enable(int fd, int reps, uint64_t *med, uint64_t *mn,
		       uint64_t *mx)
{
	uint64_t t[64] = { 0 };

	if (reps < 1)
		reps = 1;
	if (reps > 64)
		reps = 64;
	for (int i = 0; i < reps; i++) {
		uint64_t t0 = now_ns();

		if (daxctl_fd(fd, DAXCTL_F_STATIC, 0))
			return -1;
		t[i] = now_ns() - t0;
		if (daxctl_fd(fd, 0, 0))
			return -1;
	}
	qsort(t, (size_t)reps, sizeof(t[0]), cmp_u64);
	*med = t[reps / 2];
	*mn = t[0];
	*mx = t[reps - 1];
	return 0;
}

/* Fill the free space, so a later allocation can only use our holes. */
static int fill_fs(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	off_t off = 0, chunk = 1L << 30;
	struct statvfs sv;

	if (fd < 0)
		die("open %s: %m", path);
	while (chunk >= (off_t)PAGE_SZ) {
		if (fallocate(fd, 0, off, chunk)) {
			struct stat st;

			if (errno != ENOSPC)
				die("fallocate: %m");
			/* A failed call may still have allocated some. */
			fstat(fd, &st);
			off = st.st_size > off ? st.st_size : off;
			chunk /= 2;
			continue;
		}
		off += chunk;
	}
	/*
	 * A failed fallocate keeps what it allocated past i_size, where
	 * a hole punch would not reach: take it all inside i_size.
	 */
	if (fstatvfs(fd, &sv) ||
	    ftruncate(fd, (off_t)((uint64_t)sv.f_blocks * sv.f_frsize)))
		die("ftruncate: %m");
	return fd;
}

static int cmd_enable(int argc, char **argv)
{
	const char *dir = "/mnt/pmem";
	uint64_t sizes[MAX_SIZES], exts[MAX_SIZES], frag_size = 40960000;
	int nsizes, nexts, reps = 5;
	bool supported, layout = false;
	char path[PATH_MAX], fill[PATH_MAX];
	uint64_t cur = 0, med, mn, mx;
	struct statvfs sv;
	long n;
	int fd;

	nsizes = parse_list("64M,256M,1G,4G,8G", sizes, MAX_SIZES);
	nexts = parse_list("1,10,100,1000,10000", exts, MAX_SIZES);
	for (int i = 0; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];

		if (!strcmp(argv[i], "--dir"))
			dir = v;
		else if (!strcmp(argv[i], "--sizes"))
			nsizes = parse_list(v, sizes, MAX_SIZES);
		else if (!strcmp(argv[i], "--extents"))
			nexts = parse_list(v, exts, MAX_SIZES);
		else if (!strcmp(argv[i], "--frag-size"))
			frag_size = parse_size(v);
		else if (!strcmp(argv[i], "--reps"))
			reps = atoi(v);
		else if (!strcmp(argv[i], "--layout-only"))
			layout = atoi(v);
		else
			die("unknown option %s", argv[i]);
	}
	snprintf(path, sizeof(path), "%s/enable", dir);
	snprintf(fill, sizeof(fill), "%s/filler", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("open %s: %m", path);
	supported = daxctl_fd(fd, DAXCTL_F_GET, 0) >= 0;
	if (!supported) {
		printf("E\tunsupported\t%s\n", strerror(errno));
		if (!layout) {
			close(fd);
			unlink(path);
			return 0;
		}
	}
	/* Size sweep: one file grown in place, contiguous if it can be. */
	for (int i = 0; i < nsizes; i++) {
		if (statvfs(dir, &sv))
			die("statvfs: %m");
		if (sizes[i] - cur + (64ULL << 20) >
		    (uint64_t)sv.f_bavail * sv.f_frsize) {
			printf("I\tenable_skip\t%" PRIu64 "\tno space\n",
			       sizes[i]);
			continue;
		}
		if (fallocate(fd, 0, (off_t)cur, (off_t)(sizes[i] - cur)))
			die("fallocate: %m");
		write_zeroes(fd, cur, sizes[i]);
		if (fsync(fd))
			die("fsync: %m");
		cur = sizes[i];
		n = extents_of(fd);
		med = mn = mx = 0;
		if (supported && time_enable(fd, reps, &med, &mn, &mx))
			die("daxctl(STATIC) on %" PRIu64 " bytes: %s", cur,
			    strerror(errno));
		printf("E\tsize\t%" PRIu64 "\t%ld\t%" PRIu64 "\t%" PRIu64
		       "\t%" PRIu64 "\n", cur, n, med, mn, mx);
		fflush(stdout);
	}
	close(fd);
	unlink(path);
	/* Extent sweep: a fixed size, from 1 to N holes in a full fs. */
	for (int i = 0; i < nexts; i++) {
		uint64_t chunk = frag_size / exts[i], spare;
		int ffd;

		chunk &= ~(PAGE_SZ - 1);
		if (!chunk)
			continue;
		ffd = fill_fs(fill);
		/*
		 * N holes of one chunk each, plus spare ones of the same size:
		 * ext4 keeps a free-space watermark (and tree blocks) out of
		 * reach, so exactly N chunks would end in ENOSPC.
		 */
		spare = ((256ULL << 20) + chunk - 1) / chunk;
		for (uint64_t k = 0; ffd >= 0 && k < exts[i] + spare; k++) {
			if (!fallocate(ffd, FALLOC_FL_PUNCH_HOLE |
				       FALLOC_FL_KEEP_SIZE,
				       (off_t)(2 * k * chunk), (off_t)chunk))
				continue;
			if (errno != ENOSPC)
				die("punch: %m");
			/* A split extent needs a block a full fs lacks. */
			printf("I\tenable_extents_enospc\t%" PRIu64 "\n",
			       exts[i]);
			close(ffd);
			unlink(fill);
			ffd = -1;
		}
		if (ffd < 0)
			continue;
		/* Freed blocks are reusable only once the journal commits. */
		if (fsync(ffd) || syncfs(ffd))
			die("fsync: %m");
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die("open %s: %m", path);
		/* ENOSPC may only mean the freed blocks await a commit. */
		for (int tries = 0; fallocate(fd, 0, 0,
					      (off_t)(chunk * exts[i])); tries++) {
			if (errno != ENOSPC)
				die("fallocate %s: %m", path);
			if (tries < 3) {
				sync();
				usleep(100000);
				continue;
			}
			/* Known gap: see bench/README.md, enable cost. */
			printf("I\tenable_extents_enospc\t%" PRIu64 "\n",
			       exts[i]);
			close(fd);
			close(ffd);
			unlink(path);
			unlink(fill);
			fd = -1;
			break;
		}
		if (fd < 0)
			continue;
		close(ffd);
		unlink(fill);
		write_zeroes(fd, 0, chunk * exts[i]);
		if (fsync(fd))
			die("fsync: %m");
		n = extents_of(fd);
		med = mn = mx = 0;
		if (supported && time_enable(fd, reps, &med, &mn, &mx))
			die("daxctl(STATIC) with %ld extents: %s", n,
			    strerror(errno));
		printf("E\textents\t%" PRIu64 "\t%ld\t%" PRIu64 "\t%" PRIu64
		       "\t%" PRIu64 "\n", chunk * exts[i], n, med, mn, mx);
		fflush(stdout);
		close(fd);
		unlink(path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: daxbench updates|fault|enable [options]");
	if (!strcmp(argv[1], "updates"))
		return cmd_updates(argc - 2, argv + 2);
	if (!strcmp(argv[1], "fault"))
		return cmd_fault(argc - 2, argv + 2);
	if (!strcmp(argv[1], "enable"))
		return cmd_enable(argc - 2, argv + 2);
	die("unknown subcommand %s", argv[1]);
}
