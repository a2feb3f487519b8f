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
 * touch of a fresh file), "enable" (daxctl(STATIC) cost against size
 * and extent count), "copyin" (a file copied into a static file:
 * O_DIRECT READ_FIXED into its long-term pinned pages, against read()
 * into DRAM and daxfile_memcpy_persist()) and "counts" (the kernel's
 * journal, log and fault work per write fault, counted: kcounters.c),
 * "applog" (an append log: examples/pmlog's on a static file against
 * PMDK's libpmemlog and write/pwrite + fdatasync) and "kv" (a libpmemobj
 * hash table on a static pool against a fallocated one).
 * Output is tab-separated records on stdout; bench/run turns them into
 * tables and plots.
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>
#include <sys/uio.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#ifndef DAXBENCH_NO_URING
#include <liburing.h>
#endif

#ifndef DAXBENCH_NO_PMEMLOG
#include <libpmemlog.h>
#endif
#ifndef DAXBENCH_NO_PMEMOBJ
#include <libpmemobj.h>
#endif

#include "daxfile.h"
#include "kcounters.h"
#include "pmlog_core.h"

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE	0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE	0x02
#endif

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
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
	uint64_t v;

	if (daxfile_parse_size(s, &v))
		die("%s", daxfile_errmsg());
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

/*
 * Map len bytes of fd at skew bytes past a 2 MiB boundary: 0 lets PMD
 * faults work, PAGE_SZ makes every fault a PTE fault.
 */
static void *map_skewed(int fd, size_t len, int flags, size_t skew)
{
	char *base, *addr;
	size_t resv = len + 2 * PMD_SIZE;

	base = mmap(NULL, resv, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		    MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return MAP_FAILED;
	addr = (char *)(((uintptr_t)base + PMD_SIZE - 1) & ~(PMD_SIZE - 1));
	addr += skew;
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

/* Map len bytes of fd at a 2 MiB-aligned address, so PMD faults can work. */
static void *map_aligned(int fd, size_t len, int flags)
{
	return map_skewed(fd, len, flags, 0);
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

/*
 * Map up to *len bytes of device-dax dev (its size, rounded down to 2 MiB,
 * if smaller); *len and *fd say what was mapped.
 */
static char *map_devdax(const char *dev, uint64_t *len, int *fd)
{
	uint64_t size = devdax_size(dev);
	char *addr;

	if (size < *len)
		*len = size;
	*len &= ~(PMD_SIZE - 1);
	*fd = open(dev, O_RDWR);
	if (*fd < 0 || !*len)
		die("%s: %m", dev);
	addr = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (addr == MAP_FAILED)
		die("mmap %s: %m", dev);
	return addr;
}

/*
 * A static file made for a measurement (align 2 MiB); a record
 * "I <what>_mode <name> <mode>" says so if libdaxfile could not make it
 * static.
 */
static struct daxfile *create_static(const char *path, uint64_t size,
				     const char *what, const char *name)
{
	struct daxfile_opts o = { .align = PMD_SIZE };
	struct daxfile *df = daxfile_create(path, size, &o);

	if (!df)
		die("daxfile_create %s: %s", path, daxfile_errmsg());
	if (daxfile_mode(df) != DAXFILE_MODE_STATIC)
		printf("I\t%s_mode\t%s\t%s\n", what, name,
		       daxfile_mode_name(daxfile_mode(df)));
	return df;
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

/* Payload bytes that are not all zeroes (a store of zeroes to zeroes). */
static void fill_src_buf(void)
{
	for (size_t i = 0; i < sizeof(src_buf); i++)
		src_buf[i] = (char)(i * 131 + 7);
}

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
			tg->addr = map_devdax(o->devdax, &tg->len, &tg->fd);
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

enum fault_case { F_DAX4K, F_DAX2M, F_SYNC_WRITTEN, F_SYNC_FALLOC,
		  F_SYNC_SPARSE, F_PLAIN, NR_FAULT };

static const char *const fault_names[NR_FAULT] = {
	"daxfile_align_4k", "daxfile_align_2m", "map_sync_written",
	"map_sync_fallocated", "map_sync_sparse", "fsdax_plain_sparse",
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
		} else if (fc == F_SYNC_WRITTEN) {
			/* The fair baseline: allocated, zeroed and synced. */
			fd = make_file(path, size);
			addr = map_aligned(fd, size,
					   MAP_SHARED_VALIDATE | MAP_SYNC);
			if (addr == MAP_FAILED)
				die("mmap: %m");
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

struct ext_count {
	long	extents;
	long	problems;
};

static int count_ext(const struct daxfile_extent *e, void *arg)
{
	struct ext_count *c = arg;

	if (e->problems & DAXFILE_EXT_HOLE)
		return 0;
	c->extents++;
	if (e->problems)
		c->problems++;
	return 0;
}

/* FIEMAP's extent count; *problems counts what daxctl would refuse. */
static long extents_of(int fd, long *problems)
{
	struct ext_count c = { 0, 0 };

	if (daxfile_check(fd, PAGE_SZ, count_ext, &c) < 0)
		return -1;
	*problems = c.problems;
	return c.extents;
}

/*
 * ns of the first enable call on fd (t[0]), then median, min and max of
 * reps more (t[1..3]), disabling in between.  The first call of a new
 * file also pays one-off costs (a log force, cold metadata), so it is
 * kept apart from the ones the median is taken over.
 */
static int time_enable(int fd, int reps, uint64_t t[4])
{
	uint64_t s[64] = { 0 };

	if (reps < 1)
		reps = 1;
	if (reps > 64)
		reps = 64;
	for (int i = 0; i <= reps; i++) {
		uint64_t t0 = now_ns(), dt;

		if (daxctl_fd(fd, DAXCTL_F_STATIC, 0))
			return -1;
		dt = now_ns() - t0;
		if (i)
			s[i - 1] = dt;
		else
			t[0] = dt;
		if (daxctl_fd(fd, 0, 0))
			return -1;
	}
	qsort(s, (size_t)reps, sizeof(s[0]), cmp_u64);
	t[1] = s[reps / 2];
	t[2] = s[0];
	t[3] = s[reps - 1];
	return 0;
}

/*
 * A small static-capable file, enabled and disabled before each timed
 * file: xfs's enable waits for the background inactivation of unlinked
 * files, and those the sweep just deleted (a 10,000-extent one takes
 * a while) belong to no first call.
 */
static int settle_fd = -1;

static void settle(void)
{
	sync();
	if (settle_fd >= 0 && !daxctl_fd(settle_fd, DAXCTL_F_STATIC, 0))
		daxctl_fd(settle_fd, 0, 0);
}

/*
 * Time enable on fd and print its record: "E kind size extents median
 * min max wanted first" (wanted is 0 in the size sweep).  A refusal is
 * a record too ("I enable_fail ..."), not the end of the sweep.
 */
static void enable_point(int fd, bool supported, int reps, const char *kind,
			 uint64_t size, uint64_t wanted)
{
	uint64_t t[4] = { 0 };
	long problems = 0, n = extents_of(fd, &problems);

	settle();
	if (supported && time_enable(fd, reps, t)) {
		printf("I\tenable_fail\t%s\t%" PRIu64 "\t%ld\t%ld\t%s\n", kind,
		       size, n, problems, strerror(errno));
		daxctl_fd(fd, 0, 0);
		fflush(stdout);
		return;
	}
	printf("E\t%s\t%" PRIu64 "\t%ld\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
	       "\t%" PRIu64 "\t%" PRIu64 "\n", kind, size, n, t[1], t[2], t[3],
	       wanted, t[0]);
	fflush(stdout);
}

/*
 * The settle file, one page long, which also gives the filesystem's
 * allocation unit: what allocating that page charged (a whole cluster on
 * bigalloc ext4, a block on xfs).  One file for both, kept to the end:
 * a probe file freed again would leave a hole for the sweep to split on.
 */
static uint64_t make_settle_file(const char *path, bool supported)
{
	struct stat st;
	uint64_t unit = PAGE_SZ;

	settle_fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (settle_fd < 0)
		die("open %s: %m", path);
	if (fallocate(settle_fd, 0, 0, (off_t)PAGE_SZ))
		die("fallocate %s: %m", path);
	if (!fstat(settle_fd, &st) && (uint64_t)st.st_blocks * 512 > unit)
		unit = (uint64_t)st.st_blocks * 512;
	write_zeroes(settle_fd, 0, PAGE_SZ);
	if (fsync(settle_fd))
		die("fsync %s: %m", path);
	if (!supported) {
		close(settle_fd);
		settle_fd = -1;
		unlink(path);
	}
	return unit;
}

/* Device offset of byte off of fd, or -1 if no block backs it. */
static int64_t phys_of(int fd, uint64_t off)
{
	uint64_t buf[(sizeof(struct fiemap) + sizeof(struct fiemap_extent)) /
		     sizeof(uint64_t) + 1] = { 0 };
	struct fiemap *fm = (struct fiemap *)buf;
	const struct fiemap_extent *fe = fm->fm_extents;

	fm->fm_start = off;
	fm->fm_length = 1;
	fm->fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, fm) < 0)
		die("FIEMAP: %m");
	if (!fm->fm_mapped_extents || off < fe->fe_logical ||
	    off >= fe->fe_logical + fe->fe_length)
		return -1;
	return (int64_t)(fe->fe_physical + (off - fe->fe_logical));
}

/* How make_fragmented() got its extents, for the record. */
struct frag_stats {
	uint64_t	misses;		/* spacer units not right behind */
	uint64_t	redone;		/* chunks reallocated after a merge */
};

/* Allocate chunk k of fd; 0 or errno. */
static int alloc_chunk(int fd, uint64_t k, uint64_t chunk, int mode)
{
	return fallocate(fd, mode, (off_t)(k * chunk), (off_t)chunk) ?
	       errno : 0;
}

/*
 * A file of n extents, made deliberately.  Its n chunks are allocated in
 * turn, and after each one a unit of a spacer file is placed on the
 * device right behind it, so the next chunk cannot extend it and the
 * filesystem cannot merge them.  Both ext4 and xfs aim an allocation at
 * "the end of the file's previous extent, plus the gap in file offsets",
 * so the spacer is steered there by the file offset it is allocated at:
 * its previous unit's offset plus the device distance to the chunk's end.
 * (An anchor unit, allocated first, gives the spacer a previous extent.)
 *
 * That cannot steer backwards: when a chunk lands before the spacer's
 * last unit (in a hole left by earlier files), its end stays free, and
 * the next chunk, aimed there, would extend it.  Such a chunk is punched
 * out and allocated again; the blocks just freed are not reused before
 * the journal commits, on either filesystem, so it lands elsewhere.
 *
 * Then every byte is written (static-dax refuses unwritten extents) and
 * synced, and the caller counts the extents with FIEMAP: the count is
 * what the file has, whatever the steering did.  Returns the fd, or -1
 * with errno set (ENOSPC).  The spacer stays until the caller unlinks
 * it: on xfs, enable waits for the inactivation of unlinked files, and
 * freeing the spacer would land in the first call.
 */
static int make_fragmented(const char *path, const char *spacer, uint64_t n,
			   uint64_t chunk, uint64_t unit,
			   struct frag_stats *st)
{
	uint64_t s_off = 0;
	int64_t s_end = -1, t_end = -1;
	int fd, sfd, err = 0;

	memset(st, 0, sizeof(*st));
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	sfd = open(spacer, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || sfd < 0)
		die("open %s: %m", fd < 0 ? path : spacer);
	if (n > 1) {
		if (fallocate(sfd, 0, 0, (off_t)unit))
			err = errno;
		s_off = unit;
		s_end = phys_of(sfd, unit - 1) + 1;
	}
	for (uint64_t k = 0; !err && k < n; k++) {
		err = alloc_chunk(fd, k, chunk, 0);
		/* Merged with chunk k - 1: punch it out, try again. */
		for (int tries = 0; !err && k && tries < 4 &&
		     phys_of(fd, k * chunk) == t_end; tries++) {
			err = alloc_chunk(fd, k, chunk, FALLOC_FL_PUNCH_HOLE |
					  FALLOC_FL_KEEP_SIZE);
			if (!err)
				err = alloc_chunk(fd, k, chunk, 0);
			st->redone++;
		}
		if (err || k + 1 == n)
			break;
		t_end = phys_of(fd, (k + 1) * chunk - 1) + 1;
		if (s_end > 0 && t_end >= s_end)
			s_off += (uint64_t)(t_end - s_end);
		if (fallocate(sfd, 0, (off_t)s_off, (off_t)unit)) {
			err = errno;
			break;
		}
		if (phys_of(sfd, s_off) != t_end)
			st->misses++;
		s_off += unit;
		s_end = phys_of(sfd, s_off - 1) + 1;
	}
	if (!err) {
		write_zeroes(fd, 0, n * chunk);
		if (fsync(fd))
			err = errno;
	}
	close(sfd);
	if (err) {
		unlink(spacer);
		close(fd);
		unlink(path);
		errno = err;
		return -1;
	}
	return fd;
}

static int cmd_enable(int argc, char **argv)
{
	const char *dir = "/mnt/pmem";
	uint64_t sizes[MAX_SIZES], exts[MAX_SIZES], frag_size = 40960000;
	uint64_t cur = 0, unit = 0;
	int nsizes, nexts, reps = 5;
	bool supported, layout = false;
	char path[PATH_MAX], spacer[PATH_MAX], settle_path[PATH_MAX];
	struct statvfs sv;
	int fd;

	nsizes = parse_list("64M,256M,1G,4G,8G", sizes, MAX_SIZES);
	nexts = parse_list("1,10,100,1000,10000", exts, MAX_SIZES);
	for (int i = 0; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];

		if (!strcmp(argv[i], "--dir"))
			dir = v;
		else if (!strcmp(argv[i], "--sizes"))
			nsizes = strcmp(v, "none") ?
				 parse_list(v, sizes, MAX_SIZES) : 0;
		else if (!strcmp(argv[i], "--extents"))
			nexts = strcmp(v, "none") ?
				parse_list(v, exts, MAX_SIZES) : 0;
		else if (!strcmp(argv[i], "--frag-size"))
			frag_size = parse_size(v);
		else if (!strcmp(argv[i], "--unit"))
			unit = parse_size(v);
		else if (!strcmp(argv[i], "--reps"))
			reps = atoi(v);
		else if (!strcmp(argv[i], "--layout-only"))
			layout = atoi(v);
		else
			die("unknown option %s", argv[i]);
	}
	snprintf(path, sizeof(path), "%s/enable", dir);
	snprintf(spacer, sizeof(spacer), "%s/enable-spacer", dir);
	snprintf(settle_path, sizeof(settle_path), "%s/enable-settle", dir);
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
		enable_point(fd, supported, reps, "size", cur, 0);
	}
	close(fd);
	unlink(path);
	/*
	 * Extent sweep: about frag_size bytes in n chunks, each its own
	 * extent.  A chunk is at least one allocation unit, so where the
	 * unit is large (2 MiB ext4 clusters) the file grows with n, and
	 * the largest counts may not fit: those are reported, not faked.
	 */
	/* Made only now, so that it cannot split the size sweep's file. */
	if (nexts) {
		uint64_t u = make_settle_file(settle_path, supported);

		if (!unit)
			unit = u;
		printf("I\tenable_unit\t%" PRIu64 "\n", unit);
	}
	for (int i = 0; i < nexts; i++) {
		uint64_t n = exts[i] ? exts[i] : 1;
		uint64_t chunk = frag_size / n / unit * unit, need;
		struct frag_stats st;

		if (chunk < unit)
			chunk = unit;
		/* The target, the spacer and 64 MiB of slack. */
		need = n * chunk + (n - 1) * unit + (64ULL << 20);
		if (statvfs(dir, &sv))
			die("statvfs: %m");
		if (need > (uint64_t)sv.f_bavail * sv.f_frsize) {
			printf("I\tenable_extents_skip\t%" PRIu64 "\t%" PRIu64
			       "\t%" PRIu64 "\n", n, need,
			       (uint64_t)sv.f_bavail * sv.f_frsize);
			continue;
		}
		/*
		 * Commit the previous point's frees: xfs will not reuse
		 * blocks freed in a transaction still in flight, and a
		 * spacer aimed at one would land elsewhere.
		 */
		sync();
		fd = make_fragmented(path, spacer, n, chunk, unit, &st);
		if (fd < 0) {
			if (errno != ENOSPC)
				die("making %" PRIu64 " extents: %m", n);
			printf("I\tenable_extents_enospc\t%" PRIu64 "\n", n);
			continue;
		}
		printf("I\tenable_extents_steer\t%" PRIu64 "\t%" PRIu64
		       "\t%" PRIu64 "\n", n, st.misses, st.redone);
		enable_point(fd, supported, reps, "extents", n * chunk, n);
		close(fd);
		unlink(path);
		unlink(spacer);
	}
	if (settle_fd >= 0) {
		close(settle_fd);
		unlink(settle_path);
	}
	return 0;
}

/* ---- copy-in ----------------------------------------------------- */

/*
 * Copying a file into persistent memory, three ways, into one static
 * destination file from one O_DIRECT source, one read in flight in each,
 * so that what differs is where the bytes go on their way, and a control:
 *
 *   pinned_read_fixed    the destination's mapping is io_uring fixed
 *                        buffers (a long-term pin of the file's own
 *                        pages); READ_FIXED of the chunk into its place,
 *                        then daxfile_persist()
 *   read_memcpy_persist  pread() into an aligned DRAM buffer, then
 *                        daxfile_memcpy_persist() into the mapping
 *   read_into_mapping    pread() with the mapping itself as the buffer
 *                        (a short-term pin, as any O_DIRECT read takes),
 *                        then daxfile_persist()
 *   read_into_dram_span  a control, not a copy into persistent memory:
 *                        pread() into a DRAM buffer as large as the
 *                        destination, no persist.  Against
 *                        read_memcpy_persist's small reused buffer, it
 *                        shows what the kernel's copy costs when it lands
 *                        on as many distinct pages as in the first and
 *                        third modes, but in DRAM
 *
 * Every pass copies the whole source, chunk by chunk, to the same offsets
 * of the destination.  A kernel that refuses the registration (no
 * long-term pins of static files, or a destination that is not static)
 * gets a record saying so, and the other modes still run.
 */
enum { C_PINNED, C_READ_MEMCPY, C_READ_INTO_MAP, C_DRAM_SPAN, NR_COPY };

static const char *const copy_names[NR_COPY] = {
	"pinned_read_fixed", "read_memcpy_persist", "read_into_mapping",
	"read_into_dram_span",
};

#define COPY_BUF_MAX	(1ULL << 30)	/* io_uring's largest buffer */
#define COPY_SEED	0x13c0b1e5ULL
#define UNPIN_WAIT_MS	30000

struct copyin {
	int		src;		/* O_DIRECT */
	uint64_t	total;
	char		*dst;		/* the destination's mapping */
	char		*bounce;	/* DRAM, read_memcpy_persist's */
	char		*span;		/* DRAM, total bytes: control */
	bool		on[NR_COPY];
#ifndef DAXBENCH_NO_URING
	struct io_uring	ring;
	bool		ring_ok;
#endif
};

/* The source's bytes: one xorshift64 stream, checked after a pass. */
static void fill_words(char *buf, size_t len, uint64_t *x)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v = xorshift(x);

		memcpy(buf + i, &v, 8);
	}
}

/* Offset of the first word of [dst, dst + len) that is not the source's. */
static int64_t first_mismatch(const char *dst, uint64_t len)
{
	uint64_t x = COPY_SEED;

	for (uint64_t i = 0; i + 8 <= len; i += 8) {
		uint64_t v = xorshift(&x), got;

		memcpy(&got, dst + i, 8);
		if (got != v)
			return (int64_t)i;
	}
	return -1;
}

/* The source: written with O_DIRECT from buf (DRAM), synced. */
static int make_source(const char *path, uint64_t total, char *buf,
		       size_t buflen)
{
	uint64_t x = COPY_SEED;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0644);

	if (fd < 0)
		die("open %s with O_DIRECT: %m", path);
	for (uint64_t off = 0; off < total; off += buflen) {
		size_t n = total - off < buflen ? total - off : buflen;

		fill_words(buf, n, &x);
		if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
			die("write %s: %m", path);
	}
	if (fsync(fd))
		die("fsync %s: %m", path);
	return fd;
}

#ifndef DAXBENCH_NO_URING
static const char *errname(int err)
{
	const char *s = strerrorname_np(err);

	return s ? s : "unknown";
}

/*
 * Register [dst, dst + total) as fixed buffers of at most COPY_BUF_MAX,
 * buffer i at i * COPY_BUF_MAX: a chunk divides that, so none straddles
 * two.  0 or -errno.
 */
static int register_dst(struct copyin *c)
{
	unsigned int nr = (unsigned int)((c->total + COPY_BUF_MAX - 1) /
					 COPY_BUF_MAX);
	struct iovec iov[16];

	if (nr > 16)
		return -E2BIG;
	for (unsigned int i = 0; i < nr; i++) {
		uint64_t off = (uint64_t)i * COPY_BUF_MAX;

		iov[i].iov_base = c->dst + off;
		iov[i].iov_len = c->total - off < COPY_BUF_MAX ?
				 c->total - off : COPY_BUF_MAX;
	}
	return io_uring_register_buffers(&c->ring, iov, nr);
}

/* One READ_FIXED of len bytes at off into the same offset; -errno. */
static ssize_t read_fixed(struct copyin *c, uint64_t off, size_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read_fixed(sqe, c->src, c->dst + off, (unsigned int)len,
				 off, (int)(off / COPY_BUF_MAX));
	ret = io_uring_submit_and_wait(&c->ring, 1);
	if (ret < 0)
		return ret;
	ret = io_uring_peek_cqe(&c->ring, &cqe);
	if (ret)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&c->ring, cqe);
	return ret;
}
#endif

/* Where mode puts the copy. */
static char *copy_dst(const struct copyin *c, int mode)
{
	return mode == C_DRAM_SPAN ? c->span : c->dst;
}

/* One pass: the whole source into the destination, chunk by chunk. */
static void copy_pass(struct copyin *c, int mode, size_t chunk)
{
	for (uint64_t off = 0; off < c->total; off += chunk) {
		char *to = copy_dst(c, mode) + off;
		ssize_t got = -EINVAL;

		switch (mode) {
#ifndef DAXBENCH_NO_URING
		case C_PINNED:
			got = read_fixed(c, off, chunk);
			break;
#endif
		case C_READ_MEMCPY:
			got = pread(c->src, c->bounce, chunk, (off_t)off);
			if (got == (ssize_t)chunk &&
			    !daxfile_memcpy_persist(to, c->bounce, chunk, 0))
				die("daxfile_memcpy_persist: %s",
				    daxfile_errmsg());
			break;
		case C_READ_INTO_MAP:
		case C_DRAM_SPAN:
			got = pread(c->src, to, chunk, (off_t)off);
			break;
		}
		if (got < 0 && mode != C_PINNED)
			got = -errno;
		if (got != (ssize_t)chunk)
			die("%s: %zu bytes at %" PRIu64 ": %s",
			    copy_names[mode], chunk, off,
			    got < 0 ? strerror((int)-got) : "short read");
		if ((mode == C_PINNED || mode == C_READ_INTO_MAP) &&
		    daxfile_persist(to, chunk))
			die("daxfile_persist: %s", daxfile_errmsg());
	}
}

static double tv_secs(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/*
 * Time one pass: "C mode label chunk rep bytes secs minflt utime stime",
 * user and system CPU from getrusage(), which counts io_uring's worker
 * threads too (they belong to the process).
 */
static void timed_pass(struct copyin *c, int mode, size_t chunk, int rep,
		       const char *label)
{
	struct rusage r0, r1;
	uint64_t t0, t1;

	getrusage(RUSAGE_SELF, &r0);
	t0 = now_ns();
	copy_pass(c, mode, chunk);
	t1 = now_ns();
	getrusage(RUSAGE_SELF, &r1);
	printf("C\t%s\t%s\t%zu\t%d\t%" PRIu64 "\t%.6f\t%ld\t%.6f\t%.6f\n",
	       copy_names[mode], label, chunk, rep, c->total,
	       (double)(t1 - t0) / 1e9, r1.ru_minflt - r0.ru_minflt,
	       tv_secs(&r1.ru_utime) - tv_secs(&r0.ru_utime),
	       tv_secs(&r1.ru_stime) - tv_secs(&r0.ru_stime));
	fflush(stdout);
}

/*
 * Disable path, retried while EBUSY: the kernel notices an unpin within
 * about 100 ms, so the pin just dropped may still hold the file.
 */
static int disable_when_unpinned(const char *path)
{
	uint64_t t0 = now_ns();

	while (daxctl(path, 0, 0)) {
		if (errno != EBUSY ||
		    now_ns() - t0 > (uint64_t)UNPIN_WAIT_MS * 1000000)
			return -1;
		usleep(50000);
	}
	return 0;
}

static int cmd_copyin(int argc, char **argv)
{
	const char *src_dir = "/mnt/pmem", *dax_dir = "/mnt/pmem";
	const char *dst_kind = "static";
	uint64_t chunks[MAX_SIZES], maxchunk = 0;
	struct copyin c = { .src = -1, .total = 256ULL << 20 };
	char src_path[PATH_MAX], dst_path[PATH_MAX], label[32], modes[256];
	struct daxfile *df = NULL;
	int nchunks, reps = 5, dst_fd = -1;
	struct statx stx;

	snprintf(modes, sizeof(modes), "all");
	nchunks = parse_list("64K,1M", chunks, MAX_SIZES);
	for (int i = 0; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];

		if (!strcmp(argv[i], "--src-dir"))
			src_dir = v;
		else if (!strcmp(argv[i], "--dax-dir"))
			dax_dir = v;
		else if (!strcmp(argv[i], "--total"))
			c.total = parse_size(v);
		else if (!strcmp(argv[i], "--chunks"))
			nchunks = parse_list(v, chunks, MAX_SIZES);
		else if (!strcmp(argv[i], "--reps"))
			reps = atoi(v);
		else if (!strcmp(argv[i], "--modes"))
			snprintf(modes, sizeof(modes), "%s", v);
		else if (!strcmp(argv[i], "--dst"))
			dst_kind = v;
		else
			die("unknown option %s", argv[i]);
	}
	if (strcmp(dst_kind, "static") && strcmp(dst_kind, "map_sync"))
		die("--dst static|map_sync");
	for (int i = 0; i < nchunks; i++) {
		if (chunks[i] < PAGE_SZ || chunks[i] > COPY_BUF_MAX ||
		    (chunks[i] & (chunks[i] - 1)) || c.total % chunks[i])
			die("a chunk is a power of two from 4K to 1G that divides --total");
		if (chunks[i] > maxchunk)
			maxchunk = chunks[i];
	}
	for (int m = 0; m < NR_COPY; m++) {
		char want[260], name[64];

		snprintf(want, sizeof(want), ",%s,", modes);
		snprintf(name, sizeof(name), ",%s,", copy_names[m]);
		c.on[m] = !strcmp(modes, "all") || strstr(want, name);
	}

	/* DRAM for the bounce buffer, and to write the source from. */
	c.bounce = mmap(NULL, maxchunk, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c.bounce == MAP_FAILED)
		die("mmap: %m");
	prefault(c.bounce, maxchunk);
	c.span = MAP_FAILED;
	if (c.on[C_DRAM_SPAN]) {
		c.span = mmap(NULL, c.total, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (c.span == MAP_FAILED)
			die("mmap %" PRIu64 " bytes of DRAM: %m", c.total);
		prefault(c.span, c.total);
	}

	snprintf(src_path, sizeof(src_path), "%s/copyin-src", src_dir);
	c.src = make_source(src_path, c.total, c.bounce, maxchunk);
	if (statx(c.src, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx))
		die("statx %s: %m", src_path);
	printf("I\tcopyin_src\t%s\t%s\t%" PRIu64 "\n", src_path,
	       stx.stx_attributes & STATX_ATTR_DAX ? "dax" : "nodax", c.total);

	snprintf(dst_path, sizeof(dst_path), "%s/copyin-dst", dax_dir);
	if (!strcmp(dst_kind, "static")) {
		struct daxfile_opts o = { .align = PMD_SIZE,
					  .flags = DAXFILE_REPLACE };

		df = daxfile_create(dst_path, c.total, &o);
		if (!df)
			die("daxfile_create %s: %s", dst_path,
			    daxfile_errmsg());
		c.dst = daxfile_addr(df);
		snprintf(label, sizeof(label), "%s",
			 daxfile_mode_name(daxfile_mode(df)));
	} else {
		/* An ordinary fsdax file: the kernel refuses its pins. */
		dst_fd = make_file(dst_path, c.total);
		c.dst = map_aligned(dst_fd, c.total,
				    MAP_SHARED_VALIDATE | MAP_SYNC);
		if (c.dst == MAP_FAILED)
			die("mmap %s: %m", dst_path);
		snprintf(label, sizeof(label), "map_sync");
	}
	prefault(c.dst, c.total);
	printf("I\tcopyin_dst\t%s\t%s\t%" PRIu64 "\n", dst_path, label,
	       c.total);
	printf("I\tflush\t%s\t%s\n", daxfile_flush_variant(),
	       daxfile_copy_variant());

	if (c.on[C_PINNED]) {
#ifdef DAXBENCH_NO_URING
		printf("I\tcopyin_refused\t%s\tnot_built\tdaxbench was built without liburing\n",
		       copy_names[C_PINNED]);
		c.on[C_PINNED] = false;
#else
		int ret = io_uring_queue_init(4, &c.ring, 0);
		uint64_t t0;

		if (ret)
			die("io_uring_queue_init: %s", strerror(-ret));
		c.ring_ok = true;
		t0 = now_ns();
		ret = register_dst(&c);
		if (ret) {
			printf("I\tcopyin_refused\t%s\t%s\t%s\n",
			       copy_names[C_PINNED], errname(-ret),
			       strerror(-ret));
			c.on[C_PINNED] = false;
		} else {
			printf("I\tcopyin_register\t%" PRIu64 "\t%.6f\n",
			       c.total, (double)(now_ns() - t0) / 1e9);
		}
#endif
	}
	fflush(stdout);

	/*
	 * Warm-up, and the check that the bytes land: every mode at every
	 * chunk size once, untimed, into a zeroed destination, compared
	 * with the source's stream afterwards.
	 */
	for (int m = 0; m < NR_COPY; m++) {
		if (!c.on[m])
			continue;
		for (int k = 0; k < nchunks; k++) {
			int64_t bad;

			if (m == C_DRAM_SPAN)
				memset(c.span, 0, c.total);
			else
				daxfile_memset_persist(c.dst, 0, c.total, 0);
			copy_pass(&c, m, chunks[k]);
			bad = first_mismatch(copy_dst(&c, m), c.total);
			printf("I\tcopyin_verify\t%s\t%" PRIu64 "\t%s\t%" PRId64
			       "\n", copy_names[m], chunks[k],
			       bad < 0 ? "ok" : "MISMATCH", bad);
			fflush(stdout);
			if (bad >= 0)
				die("%s, %" PRIu64 "-byte chunks: the destination differs from the source at %" PRId64,
				    copy_names[m], chunks[k], bad);
		}
	}
	/* Repetitions, interleaved: each visits every (chunk, mode) once. */
	for (int rep = 0; rep < reps; rep++) {
		for (int k = 0; k < nchunks; k++) {
			for (int i = 0; i < NR_COPY; i++) {
				int m = (i + rep) % NR_COPY;

				if (c.on[m])
					timed_pass(&c, m, chunks[k], rep,
						   m == C_DRAM_SPAN ? "dram" :
						   label);
			}
		}
	}

#ifndef DAXBENCH_NO_URING
	if (c.ring_ok)
		io_uring_queue_exit(&c.ring);	/* unpins */
#endif
	close(c.src);
	unlink(src_path);
	if (df) {
		bool is_static = daxfile_mode(df) == DAXFILE_MODE_STATIC;

		/* Unmapped, then disabled once the kernel sees no pin. */
		daxfile_close(df);
		if (is_static && disable_when_unpinned(dst_path))
			printf("I\tcopyin_left\t%s\t%s\n", dst_path,
			       strerror(errno));
	} else {
		munmap(c.dst, c.total);
		close(dst_fd);
	}
	unlink(dst_path);
	munmap(c.bounce, maxchunk);
	if (c.span != MAP_FAILED)
		munmap(c.span, c.total);
	return 0;
}

/* ---- counts ------------------------------------------------------ */

/*
 * The kernel work behind write faults, counted (kcounters.h), for each
 * way a file can be mapped for stores.  Each (threads, mode) gets a fresh
 * file, and four phases, counted apart:
 *
 *   first_touch  one store per 4 KiB page of the file: the first faults
 *   writeback    syncfs(): what the flusher does to a dirty DAX file
 *                after dirty_expire_centisecs, forced here so the next
 *                phase does not depend on timing
 *   refault      one store per page again: writeback write-protected
 *                every entry it cleaned, so this is the steady state's
 *                write fault
 *   steady       random 64 B stores + daxfile_persist(): no faults
 *
 * The threads split the file into 2 MiB-aligned shares.
 */
enum count_mode { CM_STATIC, CM_SYNC_WRITTEN, CM_SYNC_FALLOC,
		  CM_SYNC_SPARSE, CM_FSDAX_WRITTEN, CM_DEVDAX, NR_CM };

static const char *const count_names[NR_CM] = {
	"static", "map_sync_written", "map_sync_fallocated",
	"map_sync_sparse", "fsdax_written", "devdax",
};

struct count_job {
	const char		*map;		/* "pmd" or "pte" */
	char			*addr;
	uint64_t		len;
	int			nthreads;
	uint64_t		updates;	/* per thread, steady phase */
	bool			steady;
	pthread_barrier_t	ready;		/* threads started */
	pthread_barrier_t	go;		/* counters read */
};

struct count_worker {
	pthread_t		th;
	struct count_job	*j;
	int			id;
	int			err;
};

static void *count_fn(void *arg)
{
	struct count_worker *w = arg;
	struct count_job *j = w->j;
	uint64_t share = (j->len / PMD_SIZE + (uint64_t)j->nthreads - 1) /
			 (uint64_t)j->nthreads * PMD_SIZE;
	uint64_t from = share * (uint64_t)w->id;
	uint64_t to = from + share < j->len ? from + share : j->len;
	uint64_t seed = SEED ^ ((uint64_t)w->id << 32);

	/* A new thread's own faults (stack, TLS) come before the counters. */
	pthread_barrier_wait(&j->ready);
	pthread_barrier_wait(&j->go);
	if (!j->steady) {
		for (uint64_t off = from; off < to; off += PAGE_SZ)
			*(volatile char *)(j->addr + off) = 1;
		return NULL;
	}
	for (uint64_t i = 0; i < j->updates; i++) {
		uint64_t off = (xorshift(&seed) % ((j->len - 64) / 8)) * 8;

		memcpy(j->addr + off, src_buf, 64);
		if (daxfile_persist(j->addr + off, 64)) {
			w->err = errno;
			break;
		}
	}
	return NULL;
}

static void count_print(const char *mode, const char *map, const char *phase,
			int nthreads, uint64_t bytes, double secs,
			const struct kc_snap *d)
{
	printf("K\t%s\t%s\t%s\t%d\t%" PRIu64 "\t%.6f", mode, map, phase,
	       nthreads, bytes, secs);
	kc_print(stdout, d);
}

static void count_phase(struct count_job *j, const char *mode,
			const char *phase, bool steady)
{
	struct count_worker w[MAX_THREADS] = { 0 };
	struct kc_snap a, b, d;
	uint64_t t0, t1;

	if (j->nthreads < 1 || j->nthreads > MAX_THREADS)
		die("%d threads: 1 to %d", j->nthreads, MAX_THREADS);
	j->steady = steady;
	pthread_barrier_init(&j->ready, NULL, (unsigned int)j->nthreads + 1);
	pthread_barrier_init(&j->go, NULL, (unsigned int)j->nthreads + 1);
	for (int i = 0; i < j->nthreads; i++) {
		w[i] = (struct count_worker){ .j = j, .id = i };
		if (pthread_create(&w[i].th, NULL, count_fn, &w[i]))
			die("pthread_create failed");
	}
	pthread_barrier_wait(&j->ready);
	kc_read(&a);
	t0 = now_ns();
	pthread_barrier_wait(&j->go);
	for (int i = 0; i < j->nthreads; i++)
		pthread_join(w[i].th, NULL);
	t1 = now_ns();
	kc_read(&b);
	pthread_barrier_destroy(&j->ready);
	pthread_barrier_destroy(&j->go);
	for (int i = 0; i < j->nthreads; i++)
		if (w[i].err)
			die("%s %s: persist: %s", mode, phase,
			    strerror(w[i].err));
	kc_delta(&a, &b, &d);
	count_print(mode, j->map, phase, j->nthreads,
		    steady ? j->updates * (uint64_t)j->nthreads * 64 : j->len,
		    (double)(t1 - t0) / 1e9, &d);
}

/*
 * The file (or device) of one count mode, mapped at skew past a 2 MiB
 * boundary; NULL if not made.  A static file skewed is mapped again, as
 * libdaxfile maps it (plain MAP_SHARED), and that mapping is the one used.
 */
static char *count_setup(int m, const char *path, const char *devdax,
			 size_t skew, uint64_t *len, int *fd,
			 struct daxfile **df)
{
	char *addr;

	*fd = -1;
	*df = NULL;
	switch (m) {
	case CM_STATIC:
		*df = create_static(path, *len, "counts", "static");
		if (!skew)
			return daxfile_addr(*df);
		addr = map_skewed(daxfile_fd(*df), *len, MAP_SHARED, skew);
		if (addr == MAP_FAILED)
			die("mmap %s: %m", path);
		return addr;
	case CM_DEVDAX:
		/* device-dax maps only at its own alignment. */
		if (!devdax || skew)
			return NULL;
		return map_devdax(devdax, len, fd);
	case CM_SYNC_WRITTEN:
	case CM_FSDAX_WRITTEN:
		*fd = make_file(path, *len);
		break;
	default:
		*fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (*fd < 0)
			die("open %s: %m", path);
		if (m == CM_SYNC_FALLOC ? fallocate(*fd, 0, 0, (off_t)*len) :
		    ftruncate(*fd, (off_t)*len))
			die("size %s: %m", path);
		if (fsync(*fd))
			die("fsync %s: %m", path);
		break;
	}
	addr = map_skewed(*fd, *len, m == CM_FSDAX_WRITTEN ? MAP_SHARED :
			  MAP_SHARED_VALIDATE | MAP_SYNC, skew);
	if (addr == MAP_FAILED)
		die("mmap %s: %m", path);
	return addr;
}

static void count_mode(int m, const char *path, const char *devdax,
		       const char *map, int nthreads, uint64_t size,
		       uint64_t updates)
{
	size_t skew = strcmp(map, "pte") ? 0 : PAGE_SZ;
	struct count_job j = {
		.map = map, .len = size, .updates = updates,
		.nthreads = nthreads,
	};
	struct daxfile *df;
	int fd;

	unlink(path);
	j.addr = count_setup(m, path, devdax, skew, &j.len, &fd, &df);
	if (!j.addr)
		return;
	/* Let setup's own journal work finish first. */
	sync();
	usleep(200000);
	count_phase(&j, count_names[m], "first_touch", false);
	if (m != CM_DEVDAX) {
		struct kc_snap a, b, d;
		uint64_t t0 = now_ns();

		kc_read(&a);
		if (syncfs(df ? daxfile_fd(df) : fd))
			die("syncfs: %m");
		kc_read(&b);
		kc_delta(&a, &b, &d);
		count_print(count_names[m], map, "writeback", nthreads, j.len,
			    (double)(now_ns() - t0) / 1e9, &d);
	}
	count_phase(&j, count_names[m], "refault", false);
	count_phase(&j, count_names[m], "steady", true);
	if (df) {
		if (skew)
			munmap(j.addr, j.len);
		/* Unmap first: disabling a mapped file is EBUSY. */
		daxfile_close(df);
		daxctl(path, 0, 0);
	} else {
		munmap(j.addr, j.len);
		close(fd);
	}
	unlink(path);
}

static int cmd_counts(int argc, char **argv)
{
	const char *dir = "/mnt/pmem", *devdax = getenv("DAXFILE_DEVDAX");
	const char *maps = "pmd";
	uint64_t size = 256ULL << 20, pte_size = 16ULL << 20;
	uint64_t updates = 10000, threads[MAX_THREADS];
	int nthreads = parse_list("1", threads, MAX_THREADS);
	char path[PATH_MAX];

	for (int i = 0; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--dir"))
			dir = v;
		else if (!strcmp(a, "--devdax"))
			devdax = v;
		else if (!strcmp(a, "--file-size"))
			size = parse_size(v);
		else if (!strcmp(a, "--updates"))
			updates = parse_size(v);
		else if (!strcmp(a, "--threads"))
			nthreads = parse_list(v, threads, MAX_THREADS);
		else if (!strcmp(a, "--maps"))
			maps = v;
		else if (!strcmp(a, "--pte-file-size"))
			pte_size = parse_size(v);
		else
			die("unknown option %s", a);
	}
	if (size < PMD_SIZE || size % PMD_SIZE ||
	    pte_size < PMD_SIZE || pte_size % PMD_SIZE)
		die("file sizes must be multiples of 2 MiB");
	for (int t = 0; t < nthreads; t++)
		if (threads[t] < 1 || threads[t] > MAX_THREADS)
			die("--threads: 1 to %d", MAX_THREADS);
	printf("I\tcounts_tracepoints\t%d\n", kc_init(dir));
	printf("I\tcounts_columns\tmode\tmap\tphase\tthreads\tbytes\tsecs");
	kc_print_names(stdout);
	snprintf(path, sizeof(path), "%s/counts", dir);
	/*
	 * PMD mappings at every thread count; PTE ones (--maps pmd,pte) at
	 * one thread, on a smaller file: 512 times the faults.
	 */
	for (int t = 0; t < nthreads; t++)
		for (int m = 0; m < NR_CM; m++)
			count_mode(m, path, devdax, "pmd", (int)threads[t],
				   size, updates);
	if (strstr(maps, "pte"))
		for (int m = 0; m < NR_CM; m++)
			count_mode(m, path, devdax, "pte", 1, pte_size,
				   updates);
	return 0;
}

/* ---- an application: an append log ---------------------------------- */

/*
 * The same records appended, one durable record at a time, six ways:
 *
 *   pmlog            examples/pmlog's log on a static file: store the
 *                    record, flush, then store and flush the tail
 *   libpmemlog       PMDK's log pool (pmemlog_create: a fallocated file,
 *                    mapped MAP_SYNC on fsdax), pmemlog_append()
 *   libpmemlog_static  the same pool made over a static file
 *                    (daxfile_create, then pmemlog_create with size 0):
 *                    the library held still, the file changed
 *   libpmemlog_written  the same pool over a zeroed, fsynced file: MAP_SYNC
 *                    on written blocks, the fair baseline for the static
 *                    one (no extent conversion left for a fault to do)
 *   write_fdatasync  a plain file, write() at its end + fdatasync()
 *   pwrite_prealloc  a preallocated, written file, pwrite() + fdatasync()
 *
 * Each (repetition, size, mode) appends to a new log, counted with
 * kcounters; the mode order rotates with the repetition.
 */
enum {
	A_PMLOG, A_PMEMLOG, A_PMEMLOG_STATIC, A_PMEMLOG_WRITTEN, A_WRITE,
	A_PWRITE, NR_APP
};

static const char *const app_names[NR_APP] = {
	"pmlog", "libpmemlog", "libpmemlog_static", "libpmemlog_written",
	"write_fdatasync", "pwrite_prealloc",
};

struct app_log {
	int		mode;
	int		fd;
	uint64_t	off;
	struct pmlog	log;
#ifndef DAXBENCH_NO_PMEMLOG
	PMEMlogpool	*plp;
#endif
};

/* Open a new, empty log of capacity cap; false if this mode is not built. */
static bool app_open(struct app_log *a, int mode, const char *path,
		     uint64_t cap)
{
	memset(a, 0, sizeof(*a));
	a->mode = mode;
	a->fd = -1;
	unlink(path);
	switch (mode) {
	case A_PMLOG: {
		enum daxfile_mode dm;

		if (pmlog_create(path, cap, &dm) ||
		    pmlog_open(&a->log, path, true))
			die("pmlog %s failed", path);
		if (dm != DAXFILE_MODE_STATIC)
			printf("I\tapplog_mode\tpmlog\t%s\n",
			       daxfile_mode_name(dm));
		return true;
	}
	case A_PMEMLOG:
	case A_PMEMLOG_STATIC:
	case A_PMEMLOG_WRITTEN:
#ifndef DAXBENCH_NO_PMEMLOG
		if (mode == A_PMEMLOG_STATIC)
			daxfile_close(create_static(path, cap, "applog",
						    app_names[mode]));
		if (mode == A_PMEMLOG_WRITTEN)
			close(make_file(path, cap));
		a->plp = pmemlog_create(path, mode == A_PMEMLOG ? cap : 0,
					0644);
		if (!a->plp)
			die("pmemlog_create %s: %s", path, pmemlog_errormsg());
		return true;
#else
		return false;
#endif
	case A_WRITE:
		a->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND,
			     0644);
		if (a->fd < 0)
			die("open %s: %m", path);
		return true;
	case A_PWRITE:
		a->fd = make_file(path, cap);
		return true;
	}
	return false;
}

static void app_append(struct app_log *a, const void *buf, uint32_t len)
{
	int ret = 0;

	switch (a->mode) {
	case A_PMLOG:
		ret = pmlog_append(&a->log, buf, len);
		if (ret)
			errno = -ret;
		break;
#ifndef DAXBENCH_NO_PMEMLOG
	case A_PMEMLOG:
	case A_PMEMLOG_STATIC:
	case A_PMEMLOG_WRITTEN:
		ret = pmemlog_append(a->plp, buf, len);
		break;
#endif
	case A_WRITE:
		ret = write(a->fd, buf, len) != (ssize_t)len || fdatasync(a->fd);
		break;
	case A_PWRITE:
		ret = pwrite(a->fd, buf, len, (off_t)a->off) != (ssize_t)len ||
		      fdatasync(a->fd);
		a->off += len;
		break;
	}
	if (ret)
		die("%s: append: %m", app_names[a->mode]);
}

static void app_close(struct app_log *a, const char *path)
{
	if (a->mode == A_PMLOG)
		daxfile_close(a->log.df);
#ifndef DAXBENCH_NO_PMEMLOG
	if (a->plp)
		pmemlog_close(a->plp);
#endif
	/* A static file is unlinked only once it is not static. */
	if (a->mode == A_PMLOG || a->mode == A_PMEMLOG_STATIC)
		daxctl(path, 0, 0);
	if (a->fd >= 0)
		close(a->fd);
	unlink(path);
}

static int cmd_applog(int argc, char **argv)
{
	const char *dir = "/mnt/pmem";
	uint64_t sizes[MAX_SIZES], records = 2000;
	int nsizes = parse_list("64,256,4096", sizes, MAX_SIZES), reps = 3;
	char path[PATH_MAX];

	for (int i = 0; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--dir"))
			dir = v;
		else if (!strcmp(a, "--sizes"))
			nsizes = parse_list(v, sizes, MAX_SIZES);
		else if (!strcmp(a, "--records"))
			records = parse_size(v);
		else if (!strcmp(a, "--reps"))
			reps = atoi(v);
		else
			die("unknown option %s", a);
	}
	for (int k = 0; k < nsizes; k++)
		if (!sizes[k] || sizes[k] > sizeof(src_buf))
			die("record sizes: 1 to %zu bytes", sizeof(src_buf));
	printf("I\tapplog_tracepoints\t%d\n", kc_init(dir));
	printf("I\tapplog_columns\tmode\tsize\trep\trecords\tsecs\tsetup_secs");
	kc_print_names(stdout);
	fill_src_buf();
	snprintf(path, sizeof(path), "%s/applog", dir);
	for (int rep = 0; rep < reps; rep++) {
		for (int k = 0; k < nsizes; k++) {
			uint64_t cap = records * (pmlog_rec_size((uint32_t)sizes[k]) +
						  64) + (4ULL << 20);

			cap = (cap + PMD_SIZE - 1) & ~(PMD_SIZE - 1);
			for (int n = 0; n < NR_APP; n++) {
				int m = (n + rep) % NR_APP;
				struct kc_snap a0, a1, d;
				struct app_log a;
				uint64_t t0 = now_ns(), t1, ts;

				if (!app_open(&a, m, path, cap)) {
					printf("I\tapplog_not_built\t%s\n",
					       app_names[m]);
					continue;
				}
				ts = now_ns() - t0;
				sync();
				usleep(100000);
				kc_read(&a0);
				t0 = now_ns();
				for (uint64_t r = 0; r < records; r++)
					app_append(&a, src_buf,
						   (uint32_t)sizes[k]);
				t1 = now_ns();
				kc_read(&a1);
				kc_delta(&a0, &a1, &d);
				printf("L\t%s\t%" PRIu64 "\t%d\t%" PRIu64
				       "\t%.6f\t%.6f", app_names[m], sizes[k],
				       rep, records, (double)(t1 - t0) / 1e9,
				       (double)ts / 1e9);
				kc_print(stdout, &d);
				app_close(&a, path);
			}
		}
	}
	return 0;
}

/* ---- an application: a key-value store on PMDK ----------------------- */

/*
 * libpmemobj, one program, two pools: a static file (daxfile_create,
 * then pmemobj_create over the existing file, as `pmempool create` does)
 * and an ordinary file that pmemobj_create fallocates (unwritten
 * extents).  A chained hash table of 1 KiB values; "load" inserts keys
 * until the pool is about three quarters full, a transaction each, so
 * the allocator touches most of the pool's fresh pages (the first
 * touch); "update" rewrites random values in place, a transaction each
 * (the steady state).
 */
#ifndef DAXBENCH_NO_PMEMOBJ
#define KV_VAL		1024	/* items fill a pool in thousands */
#define KV_BUCKETS	4096
#define KV_LAYOUT	"daxbench_kv"

struct kv_item {
	PMEMoid		next;
	uint64_t	key;
	char		val[KV_VAL];
};

struct kv_root {
	PMEMoid		buckets[KV_BUCKETS];
};

static PMEMoid *kv_head(struct kv_root *root, uint64_t key)
{
	return &root->buckets[(key * 0x9e3779b97f4a7c15ULL) >> 52];
}

/*
 * The function form of a transaction, without TX_BEGIN's setjmp: a call
 * that fails inside it aborts it, and pmemobj_tx_end() returns the error.
 */
static int kv_tx_end(void)
{
	if (pmemobj_tx_stage() == TX_STAGE_WORK)
		pmemobj_tx_commit();
	return pmemobj_tx_end() ? -1 : 0;
}

static int kv_insert(PMEMobjpool *pop, struct kv_root *root, uint64_t key)
{
	PMEMoid *head = kv_head(root, key), oid;

	if (pmemobj_tx_begin(pop, NULL, TX_PARAM_NONE))
		return -1;
	oid = pmemobj_tx_alloc(sizeof(struct kv_item), 1);
	if (!OID_IS_NULL(oid) &&
	    !pmemobj_tx_add_range_direct(head, sizeof(*head))) {
		struct kv_item *it = pmemobj_direct(oid);

		it->next = *head;
		it->key = key;
		memcpy(it->val, src_buf, KV_VAL);	/* not all zeroes */
		*head = oid;
	}
	return kv_tx_end();
}

static int kv_update(PMEMobjpool *pop, struct kv_root *root, uint64_t key,
		     uint64_t v)
{
	struct kv_item *it = pmemobj_direct(*kv_head(root, key));

	while (it && it->key != key)
		it = pmemobj_direct(it->next);
	if (!it || pmemobj_tx_begin(pop, NULL, TX_PARAM_NONE))
		return -1;
	if (!pmemobj_tx_add_range_direct(it->val, KV_VAL))
		memcpy(it->val, &v, sizeof(v));
	return kv_tx_end();
}

static const char *const kv_names[2] = { "static", "fallocated" };

static PMEMobjpool *kv_pool(int mode, const char *path, uint64_t size)
{
	PMEMobjpool *pop;

	unlink(path);
	if (mode == 0) {
		daxfile_close(create_static(path, size, "kv", "static"));
		pop = pmemobj_create(path, KV_LAYOUT, 0, 0644);
		/* PMDK chmods and maps it MAP_SYNC: still static? */
		if (pop && daxctl(path, DAXCTL_F_GET, 0) != DAXCTL_F_STATIC)
			printf("I\tkv_mode\tstatic\tnot static after "
			       "pmemobj_create\n");
	} else {
		pop = pmemobj_create(path, KV_LAYOUT, size, 0644);
	}
	if (!pop)
		die("pmemobj_create %s: %s", path, pmemobj_errormsg());
	return pop;
}

static void kv_print(int mode, const char *phase, int rep, uint64_t ops,
		     uint64_t t0, uint64_t t1, const struct kc_snap *a,
		     const struct kc_snap *b)
{
	struct kc_snap d;

	kc_delta(a, b, &d);
	printf("V\t%s\t%s\t%d\t%" PRIu64 "\t%.6f", kv_names[mode], phase, rep,
	       ops, (double)(t1 - t0) / 1e9);
	kc_print(stdout, &d);
}

static int cmd_kv(int argc, char **argv)
{
	const char *dir = "/mnt/pmem";
	uint64_t keys = 0, ops = 20000, size = 32ULL << 20;
	int reps = 3;
	char path[PATH_MAX];

	for (int i = 0; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];

		if (!strcmp(a, "--dir"))
			dir = v;
		else if (!strcmp(a, "--keys"))
			keys = parse_size(v);
		else if (!strcmp(a, "--ops"))
			ops = parse_size(v);
		else if (!strcmp(a, "--pool-size"))
			size = parse_size(v);
		else if (!strcmp(a, "--reps"))
			reps = atoi(v);
		else
			die("unknown option %s", a);
	}
	/*
	 * About 3/4 of the heap: an item takes a 1,088-byte allocation, and
	 * libpmemobj keeps nearly 8 MiB of a pool for itself (an 8 MiB pool
	 * held 240 items, a 16 MiB one 7,920, a 32 MiB one 23,280).
	 */
	if (size < (16ULL << 20))
		die("--pool-size: at least 16 MiB");
	if (!keys)
		keys = (size - (8ULL << 20)) / 1088 * 3 / 4;
	fill_src_buf();
	printf("I\tkv_tracepoints\t%d\n", kc_init(dir));
	printf("I\tkv_keys\t%" PRIu64 "\t%" PRIu64 "\n", keys, size);
	printf("I\tkv_columns\tmode\tphase\trep\tops\tsecs");
	kc_print_names(stdout);
	snprintf(path, sizeof(path), "%s/kv.pool", dir);
	for (int rep = 0; rep < reps; rep++) {
		for (int n = 0; n < 2; n++) {
			int mode = (n + rep) % 2;
			PMEMobjpool *pop = kv_pool(mode, path, size);
			PMEMoid root = pmemobj_root(pop, sizeof(struct kv_root));
			struct kv_root *r = pmemobj_direct(root);
			uint64_t seed = SEED, t0, t1;
			struct kc_snap a, b;

			if (!r)
				die("pmemobj_root: %s", pmemobj_errormsg());
			sync();
			usleep(100000);
			kc_read(&a);
			t0 = now_ns();
			for (uint64_t k = 1; k <= keys; k++)
				if (kv_insert(pop, r, k))
					die("kv insert %" PRIu64 ": %s", k,
					    pmemobj_errormsg());
			t1 = now_ns();
			kc_read(&b);
			kv_print(mode, "load", rep, keys, t0, t1, &a, &b);
			kc_read(&a);
			t0 = now_ns();
			for (uint64_t i = 0; i < ops; i++)
				if (kv_update(pop, r,
					      xorshift(&seed) % keys + 1, i))
					die("kv update: %s",
					    pmemobj_errormsg());
			t1 = now_ns();
			kc_read(&b);
			kv_print(mode, "update", rep, ops, t0, t1, &a, &b);
			pmemobj_close(pop);
			if (mode == 0) {
				if (daxctl(path, DAXCTL_F_GET, 0) !=
				    DAXCTL_F_STATIC)
					printf("I\tkv_mode\tstatic\tnot static "
					       "after the run\n");
				daxctl(path, 0, 0);
			}
			unlink(path);
		}
	}
	return 0;
}
#else
static int cmd_kv(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("I\tkv_not_built\tlibpmemobj\n");
	return 0;
}
#endif

int main(int argc, char **argv)
{
	if (argc < 2)
		die("usage: daxbench updates|fault|enable|copyin|counts|applog|kv\n"
		    "       [options]");
	if (!strcmp(argv[1], "updates"))
		return cmd_updates(argc - 2, argv + 2);
	if (!strcmp(argv[1], "fault"))
		return cmd_fault(argc - 2, argv + 2);
	if (!strcmp(argv[1], "enable"))
		return cmd_enable(argc - 2, argv + 2);
	if (!strcmp(argv[1], "copyin"))
		return cmd_copyin(argc - 2, argv + 2);
	if (!strcmp(argv[1], "counts"))
		return cmd_counts(argc - 2, argv + 2);
	if (!strcmp(argv[1], "applog"))
		return cmd_applog(argc - 2, argv + 2);
	if (!strcmp(argv[1], "kv"))
		return cmd_kv(argc - 2, argv + 2);
	die("unknown subcommand %s", argv[1]);
}
