// SPDX-License-Identifier: GPL-2.0
/*
 * Description: guest helper for tests/crash/pinned_read_survives.sh and
 * rdma_write_survives.sh: copies into a static-DAX file through a
 * long-term pin of the file's own pages, an io_uring fixed buffer or an
 * RDMA memory region, and acknowledges each chunk once it is persistent.
 *
 *   pinned_read prepare DST SRC SIZE SEED
 *	SRC: a plain file of SIZE pseudo-random bytes from SEED, written
 *	and fsync'ed; DST: a static file of SIZE zeroes (daxfile_create,
 *	4 KiB alignment).  Prints "@READY".
 *   pinned_read copy DST SRC SEED [CUT]
 *	Maps DST, registers the map as fixed buffer 0 and opens SRC with
 *	O_DIRECT; then, chunk by chunk in an order shuffled by SEED, a
 *	READ_FIXED of the chunk into its place in DST, daxfile_persist() of
 *	it, and "@ACK N" (N: the chunk's index).  After the CUT-th ack it
 *	prints "@POWERCUT", the host's cut string, and goes on copying
 *	without a word, so that the string stays the last thing in the
 *	stream (vm/run looks only at the end) while reads are in flight.
 *	Without CUT, it prints "@DONE" at the end.  Either way it then
 *	waits, the pin held, for the power cut.  Where the kernel refuses
 *	the pin as stock 6.12 does and lacks the feature, it prints
 *	"@SKIP reason" and exits 77.
 *   pinned_read rdma DST SRC SEED [CUT]
 *	The same with DST's map registered as an RDMA memory region on the
 *	soft-RoCE device (tests/rdma_loop.h): each chunk is read from SRC
 *	into DRAM and RDMA-written into its place by a second queue pair,
 *	so rxe's responder stores it into the pinned pages.  Skips, too,
 *	on a kernel built without RDMA.
 *   pinned_read check DST SRC SEED OUTPUT...
 *	After the cut: every chunk an OUTPUT acknowledges must hold SRC's
 *	bytes in DST, and SRC must hold SEED's.  The last line is
 *	"@RPINNED acks=N checked=N lost=N torn=N inflight=N partial=N
 *	corrupt=0|1": lost is an acknowledged chunk that reads as zeroes,
 *	torn one that is neither; inflight counts unacknowledged chunks
 *	already complete, partial those begun (neither is a failure).
 *
 * No fsync, msync or MAP_SYNC after prepare: the block map is durable
 * because the file is static, the bytes because they were flushed.
 *
 * Exit: 0 success (check: every acknowledged chunk intact); 1 failure;
 * 2 usage; 77 skip.
 */
#include <errno.h>
#include <fcntl.h>
#include <infiniband/verbs.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "daxfile.h"
#include "../fixed_buffers.h"
#include "../rdma_loop.h"

#define CHUNK		(64U << 10)
#define MAX_CHUNKS	(1U << 16)

static void die(const char *what, const char *why)
{
	fprintf(stderr, "pinned_read: %s: %s\n", what, why);
	exit(1);
}

static uint64_t parse_u64(const char *s)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "pinned_read: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static int prepare(const char *dst, const char *src, uint64_t size,
		   uint64_t seed)
{
	struct daxfile_opts o = {
		.align	= 4096,
		.flags	= DAXFILE_REQUIRE_STATIC,
	};
	struct daxfile *df;
	unsigned char *buf;
	int fd;

	if (!size || size % CHUNK || size / CHUNK > MAX_CHUNKS)
		die("prepare", "SIZE must be a multiple of 64 KiB, up to 4 GiB");
	buf = malloc(size);
	if (!buf)
		die("prepare", strerror(errno));
	fill_pattern(buf, size, seed);
	fd = open(src, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0 || pwrite(fd, buf, size, 0) != (ssize_t)size || fsync(fd))
		die(src, strerror(errno));
	close(fd);
	free(buf);
	df = daxfile_create(dst, size, &o);
	if (!df)
		die(dst, daxfile_errmsg());
	daxfile_close(df);
	printf("@READY\n");
	return 0;
}

/* How a chunk gets into the pinned file. */
struct pin {
	bool			rdma;
	int			src;		/* SRC, O_DIRECT */
	unsigned char		*base;		/* DST's map */
	struct io_uring		ring;		/* io_uring: buffer 0 is the map */
	struct rdma_loop	l;		/* rdma: the queue pairs, */
	struct ibv_mr		*mr;		/* the map's region */
	struct ibv_mr		*bounce_mr;	/* and a DRAM chunk's */
	unsigned char		*bounce;
};

static int skip_unpinnable(void)
{
	printf("@SKIP this kernel does not allow long-term pins on static-dax files (EOPNOTSUPP, and no daxfile_longterm_pin in /proc/kallsyms)\n");
	return 77;
}

/* Register [base, base + len): 0, 77 to skip, or exits. */
static int pin_map(struct pin *pn, size_t len)
{
	struct iovec iov = { .iov_base = pn->base, .iov_len = len };
	int ret;

	if (!pn->rdma) {
		ret = io_uring_queue_init(4, &pn->ring, 0);
		if (ret)
			die("io_uring_queue_init", strerror(-ret));
		ret = io_uring_register_buffers(&pn->ring, &iov, 1);
		if (ret == -EOPNOTSUPP && !kernel_has_longterm_pins())
			return skip_unpinnable();
		if (ret)
			die("io_uring_register_buffers", strerror(-ret));
		return 0;
	}
	if (rdma_loop_open(&pn->l)) {
		if (!pn->l.no_rdma)
			die("soft-RoCE", pn->l.why);
		printf("@SKIP kernel without RDMA: %s\n", pn->l.why);
		return 77;
	}
	pn->mr = ibv_reg_mr(pn->l.pd, pn->base, len, IBV_ACCESS_LOCAL_WRITE |
			    IBV_ACCESS_REMOTE_WRITE);
	if (!pn->mr && errno == EOPNOTSUPP && !kernel_has_longterm_pins())
		return skip_unpinnable();
	if (!pn->mr)
		die("ibv_reg_mr", strerror(errno));
	pn->bounce = aligned_alloc(4096, CHUNK);
	if (!pn->bounce)
		die("aligned_alloc", strerror(errno));
	pn->bounce_mr = ibv_reg_mr(pn->l.pd, pn->bounce, CHUNK, 0);
	if (!pn->bounce_mr)
		die("ibv_reg_mr of DRAM", strerror(errno));
	return 0;
}

/* SRC's chunk at @off into the same offset of the pinned map. */
static void copy_chunk(struct pin *pn, uint64_t off)
{
	int ret;

	if (!pn->rdma) {
		ret = read_fixed(&pn->ring, pn->src, pn->base + off, CHUNK, off);
		if (ret != (int)CHUNK)
			die("READ_FIXED", ret < 0 ? strerror(-ret) : "short read");
		return;
	}
	ret = pread(pn->src, pn->bounce, CHUNK, off);
	if (ret != (int)CHUNK)
		die("pread", ret < 0 ? strerror(errno) : "short read");
	if (rdma_loop_write(&pn->l, pn->bounce_mr, pn->bounce, CHUNK,
			    (uintptr_t)(pn->base + off), pn->mr->rkey))
		die("rdma", pn->l.why);
}

static int copy(const char *dst, const char *src, uint64_t seed,
		uint64_t cut, bool rdma)
{
	static uint32_t order[MAX_CHUNKS];
	struct daxfile *df = daxfile_open(dst, DAXFILE_REQUIRE_STATIC);
	struct pin pn = { .rdma = rdma };
	uint64_t n, i, j, x = seed | 1;
	uint32_t t;
	int ret;

	if (!df)
		die(dst, daxfile_errmsg());
	pn.base = daxfile_addr(df);
	n = daxfile_size(df) / CHUNK;
	if (!n || n > MAX_CHUNKS || daxfile_size(df) % CHUNK)
		die(dst, "not a file prepare made");
	if (cut > n)
		die("copy", "CUT is past the last chunk");
	pn.src = open(src, O_RDONLY | O_DIRECT);
	if (pn.src < 0)
		die(src, strerror(errno));
	ret = pin_map(&pn, n * CHUNK);
	if (ret)
		return ret;

	/* Fisher-Yates, from the seed: the check does not need the order. */
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		t = order[i];
		order[i] = order[j];
		order[j] = t;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++) {
		uint64_t off = (uint64_t)order[i] * CHUNK;

		copy_chunk(&pn, off);
		if (daxfile_persist(pn.base + off, CHUNK))
			die("daxfile_persist", daxfile_errmsg());
		if (!cut || i < cut)
			printf("@ACK %u\n", order[i]);
		if (cut && i + 1 == cut)
			printf("@POWERCUT\n");
	}
	if (!cut)
		printf("@DONE\n");
	for (;;)
		pause();
}

/* Mark the chunks "@ACK N" lines of @path acknowledge; their count. */
static long read_acks(const char *path, bool *acked, uint64_t n)
{
	char line[256];
	unsigned long c;
	long acks = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "pinned_read: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	/* A line cut in half by the power cut has no newline: not counted. */
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "@ACK %lu", &c) == 1 && strchr(line, '\n') &&
		    c < n) {
			acked[c] = true;
			acks++;
		}
	fclose(f);
	return acks;
}

static bool all_zero(const unsigned char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static int check(const char *dst, const char *src, uint64_t seed,
		 char **outs, int nouts)
{
	unsigned long checked = 0, lost = 0, torn = 0, inflight = 0;
	unsigned long partial = 0, reported = 0;
	unsigned char *want, *have, *srcb;
	int corrupt = 0, dfd, sfd, i;
	struct stat st;
	uint64_t n, c;
	long acks = 0;
	bool *acked;

	dfd = open(dst, O_RDONLY);
	sfd = open(src, O_RDONLY);
	if (dfd < 0 || sfd < 0 || fstat(dfd, &st) || !st.st_size ||
	    st.st_size % CHUNK || (uint64_t)st.st_size / CHUNK > MAX_CHUNKS) {
		printf("# %s or %s is missing or has the wrong size\n", dst, src);
		printf("@RPINNED acks=0 checked=0 lost=0 torn=0 inflight=0 partial=0 corrupt=1\n");
		return 1;
	}
	n = st.st_size / CHUNK;
	acked = calloc(n, sizeof(*acked));
	want = malloc(st.st_size);
	have = malloc(CHUNK);
	srcb = malloc(CHUNK);
	if (!acked || !want || !have || !srcb)
		die("check", strerror(errno));
	for (i = 0; i < nouts; i++)
		acks += read_acks(outs[i], acked, n);
	fill_pattern(want, st.st_size, seed);

	for (c = 0; c < n; c++) {
		const unsigned char *w = want + c * CHUNK;

		/* pread, not mmap: a broken file is a verdict, not a SIGBUS. */
		if (pread(sfd, srcb, CHUNK, c * CHUNK) != CHUNK ||
		    memcmp(srcb, w, CHUNK)) {
			if (reported++ < 10)
				printf("# the source's chunk %lu is not what prepare wrote\n",
				       (unsigned long)c);
			corrupt = 1;
		}
		if (pread(dfd, have, CHUNK, c * CHUNK) != CHUNK) {
			corrupt = 1;
			continue;
		}
		if (!acked[c]) {
			if (!memcmp(have, w, CHUNK))
				inflight++;
			else if (!all_zero(have, CHUNK))
				partial++;
			continue;
		}
		checked++;
		if (!memcmp(have, w, CHUNK))
			continue;
		if (all_zero(have, CHUNK))
			lost++;
		else
			torn++;
		if (reported++ < 10)
			printf("# acknowledged chunk %lu (offset %llu) is %s\n",
			       (unsigned long)c,
			       (unsigned long long)c * CHUNK,
			       all_zero(have, CHUNK) ? "zeroes: lost" : "torn");
	}
	printf("@RPINNED acks=%ld checked=%lu lost=%lu torn=%lu inflight=%lu partial=%lu corrupt=%d\n",
	       acks, checked, lost, torn, inflight, partial, corrupt);
	free(acked);
	free(want);
	free(have);
	free(srcb);
	close(dfd);
	close(sfd);
	return lost || torn || corrupt;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "prepare"))
		return prepare(argv[2], argv[3], parse_u64(argv[4]),
			       parse_u64(argv[5]));
	if ((argc == 5 || argc == 6) &&
	    (!strcmp(argv[1], "copy") || !strcmp(argv[1], "rdma")))
		return copy(argv[2], argv[3], parse_u64(argv[4]),
			    argc == 6 ? parse_u64(argv[5]) : 0,
			    !strcmp(argv[1], "rdma"));
	if (argc >= 6 && !strcmp(argv[1], "check"))
		return check(argv[2], argv[3], parse_u64(argv[4]), argv + 5,
			     argc - 5);
	fprintf(stderr,
		"usage: pinned_read prepare DST SRC SIZE SEED\n"
		"       pinned_read copy|rdma DST SRC SEED [CUT]\n"
		"       pinned_read check DST SRC SEED OUTPUT...\n");
	return 2;
}
