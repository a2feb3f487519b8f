// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the power-cut suite's in-place workloads (2 and 3):
 * random 8-byte, 64-byte and 4 KiB updates at random offsets of a file,
 * by one or more threads, each acknowledged once it is persistent.
 *
 *   crash_inplace FILE --mode daxfile|plain|mapsync [--create SIZE]
 *                 [--epoch E] [--seed S] [--threads T] [--count N]
 *                 [--tag TAG] [--bug noflush|nofence|late-store:N]
 *
 * daxfile:  daxfile_create (with --create) or daxfile_open; the library
 *           picks static, MAP_SYNC or msync mode and says which.
 * plain:    the stock control: fallocate a fresh file, mmap(MAP_SHARED),
 *           no daxfile, no MAP_SYNC.  Flushes and fences as usual.
 * mapsync:  the upstream comparison: the same, mapped with MAP_SYNC.
 *
 * Output, one write() per line so concurrent writers do not mix:
 *   @M<TAG> mode=M epoch=E seed=S threads=T size=BYTES
 *   @A<TAG> SEQ SLOT VERSION SUM      (after the update is persistent)
 * Threads 0..T-1 each update their own slots half of the time and a
 * shared region (the first quarter of the slots) the other half; a
 * per-slot lock keeps the versions of one slot in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daxfile.h"
#include "crash_common.h"

#ifdef FLUSHCHECK
#include "flushcheck/flushcheck.h"
#else
static inline void flushcheck_register(void *a, uint64_t l) { (void)a; (void)l; }
static inline void flushcheck_ack(const void *a, uint64_t l) { (void)a; (void)l; }
#endif

#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif

enum bug { BUG_NONE, BUG_NOFLUSH, BUG_NOFENCE, BUG_LATE_STORE };

static char *base;
static uint64_t nslots, epoch = 1, count, seed;
static unsigned int nthreads = 1;
static const char *tag = "2";
static _Atomic uint64_t ack_seq;
static atomic_flag *locks;
static uint32_t *runs;		/* updates of each slot in this epoch */
static enum bug bug;
static uint64_t bug_at;		/* the update (1-based, global) it hits */
static _Atomic uint64_t updates;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) != n)
		exit(3);	/* the host stopped listening */
}

static void die(const char *what)
{
	fprintf(stderr, "crash_inplace: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* The stock ways in: a fresh fallocated file, mapped with or without MAP_SYNC. */
static uint64_t map_plain(const char *path, uint64_t size, bool sync)
{
	int fd, dfd;
	struct stat st;
	char dir[4096], *slash;

	if (size) {
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			die(path);
		if (fallocate(fd, 0, 0, (off_t)size) || fsync(fd))
			die("fallocate");
		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY);
		if (dfd < 0 || fsync(dfd))
			die("fsync of the directory");
		close(dfd);
	} else {
		fd = open(path, O_RDWR);
		if (fd < 0 || fstat(fd, &st))
			die(path);
		size = (uint64_t)st.st_size;
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    sync ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		die("mmap");
	return size;
}

static void persist_or_die(const void *p, size_t len)
{
	if (daxfile_persist(p, len)) {
		fprintf(stderr, "crash_inplace: persist: %s\n", daxfile_errmsg());
		exit(1);
	}
}

static void update(uint64_t slot, uint64_t *buf, uint64_t rng)
{
	uint64_t len = slot_len(slot), n = len / 8, ver, no;
	char *dst = base + slot_off(slot);
	unsigned int flags = 0;

	(void)rng;
	while (atomic_flag_test_and_set_explicit(&locks[slot],
						 memory_order_acquire))
		;
	if (runs[slot] == 0xfffff) {	/* n has 20 bits in a word */
		atomic_flag_clear_explicit(&locks[slot], memory_order_release);
		return;
	}
	ver = epoch << 32 | ++runs[slot];
	for (uint64_t k = 0; k < n; k++)
		buf[k] = slot_word(slot, ver, k);
	no = atomic_fetch_add(&updates, 1) + 1;
	if (no == bug_at && bug == BUG_NOFLUSH)
		flags = DAXFILE_MEM_NOFLUSH;
	else if (no == bug_at && bug == BUG_NOFENCE)
		flags = DAXFILE_MEM_NODRAIN;
	if (n == 1) {
		/* One aligned 8-byte store: the CPU never tears it. */
		__atomic_store_n((uint64_t *)dst, buf[0], __ATOMIC_RELEASE);
		if (flags == DAXFILE_MEM_NOFLUSH)
			daxfile_drain();
		else if (flags == DAXFILE_MEM_NODRAIN)
			daxfile_flush(dst, 8);
		else
			persist_or_die(dst, 8);
	} else if (!daxfile_memcpy_persist(dst, buf, len, flags)) {
		fprintf(stderr, "crash_inplace: copy: %s\n", daxfile_errmsg());
		exit(1);
	}
	if (no == bug_at && bug == BUG_LATE_STORE)
		((volatile char *)dst)[len / 2] ^= 0x40;
	flushcheck_ack(dst, len);
	say("@A%s %" PRIu64 " %" PRIu64 " %" PRIx64 " %" PRIx64 "\n", tag,
	    atomic_fetch_add(&ack_seq, 1) + 1, slot, ver, slot_sum(buf, n));
	atomic_flag_clear_explicit(&locks[slot], memory_order_release);
}

static void *worker(void *arg)
{
	unsigned int t = (unsigned int)(uintptr_t)arg;
	uint64_t rng = mix64(seed ^ (t + 1) * 0x2545f4914f6cdd1dULL) | 1;
	uint64_t shared = nthreads > 1 ? nslots / 4 : 0;
	uint64_t own = (nslots - shared) / nthreads;
	uint64_t *buf = malloc(4096);

	if (!buf || !own)
		exit(2);
	for (uint64_t i = 0; !count || i < count; i++) {
		uint64_t slot, r;

		rng = mix64(rng + i);
		r = rng >> 8;
		if (shared && (rng & 1))
			slot = r % shared;
		else
			slot = shared + t * own + r % own;
		update(slot, buf, rng);
	}
	free(buf);
	return NULL;
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'K': case 'k': return v << 10;
	case 'M': case 'm': return v << 20;
	case 'G': case 'g': return v << 30;
	default: return *end ? 0 : v;
	}
}

static int usage(void)
{
	fputs("usage: crash_inplace FILE --mode daxfile|plain|mapsync "
	      "[--create SIZE] [--epoch E]\n"
	      "       [--seed S] [--threads T] [--count N] [--tag TAG]"
	      " [--bug noflush|nofence|late-store:N]\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *path, *mode = NULL, *mode_name;
	uint64_t create = 0, size;
	pthread_t th[16];
	struct daxfile *df = NULL;

	if (argc < 2 || argv[1][0] == '-')
		return usage();
	path = argv[1];
	for (int i = 2; i < argc; i += 2) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return usage();
		if (!strcmp(o, "--mode"))
			mode = v;
		else if (!strcmp(o, "--create"))
			create = parse_size(v);
		else if (!strcmp(o, "--epoch"))
			epoch = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--seed"))
			seed = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--threads"))
			nthreads = (unsigned int)strtoul(v, NULL, 0);
		else if (!strcmp(o, "--count"))
			count = strtoull(v, NULL, 0);
		else if (!strcmp(o, "--tag"))
			tag = v;
		else if (!strcmp(o, "--bug")) {
			const char *colon = strchr(v, ':');

			bug_at = colon ? strtoull(colon + 1, NULL, 0) : 1;
			if (!strncmp(v, "noflush", 7))
				bug = BUG_NOFLUSH;
			else if (!strncmp(v, "nofence", 7))
				bug = BUG_NOFENCE;
			else if (!strncmp(v, "late-store", 10))
				bug = BUG_LATE_STORE;
			else
				return usage();
		} else
			return usage();
	}
	if (!mode || !nthreads || nthreads > 16 || !epoch || epoch > 0xfff)
		return usage();
	if (!strcmp(mode, "daxfile")) {
		df = create ? daxfile_create(path, create, &(struct daxfile_opts){
						.flags = DAXFILE_REPLACE })
			    : daxfile_open(path, 0);
		if (!df) {
			fprintf(stderr, "crash_inplace: %s: %s\n", path,
				daxfile_errmsg());
			return 1;
		}
		base = daxfile_addr(df);
		size = daxfile_size(df);
		mode_name = daxfile_mode_name(daxfile_mode(df));
	} else if (!strcmp(mode, "plain") || !strcmp(mode, "mapsync")) {
		size = map_plain(path, create, !strcmp(mode, "mapsync"));
		mode_name = mode;
	} else {
		return usage();
	}
	nslots = size / CELL_SIZE;
	if (nslots < 4 * (uint64_t)nthreads + 4) {
		fprintf(stderr, "crash_inplace: %s: too small\n", path);
		return 1;
	}
	locks = calloc(nslots, sizeof(*locks));
	runs = calloc(nslots, sizeof(*runs));
	if (!locks || !runs)
		die("calloc");
	flushcheck_register(base, size);
	say("@M%s mode=%s epoch=%" PRIu64 " seed=%" PRIu64
	    " threads=%u size=%" PRIu64 "\n", tag, mode_name, epoch, seed,
	    nthreads, size);
	for (unsigned int t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], NULL, worker, (void *)(uintptr_t)t))
			die("pthread_create");
	for (unsigned int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	if (df && daxfile_close(df))
		return 1;
	return 0;
}
