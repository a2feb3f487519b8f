// SPDX-License-Identifier: MIT
/*
 * pmcopy: copy a file into persistent memory with no bounce through DRAM.
 *
 *   pmcopy [--chunk SIZE] [--verbose] SRC DST
 *
 * DST is an existing static-dax file (daxfile create DST SIZE) at least as
 * large as SRC.  pmcopy maps it, registers the mapping as io_uring fixed
 * buffers, a long-term pin of the file's own pages, and reads SRC with
 * O_DIRECT and READ_FIXED straight into them: the kernel or the device
 * puts the bytes in persistent memory, and no page cache or user buffer
 * holds them on the way.  Each chunk is persisted with daxfile_persist()
 * as it completes; no fsync is needed, as the file is static.  The last
 * line acknowledges the whole copy.  DST's bytes past SRC's size are left
 * as they were.
 *
 * The kernel allows long-term pins of a static file's shared mapping only
 * (issue 13); on an older kernel the registration fails with EOPNOTSUPP,
 * and pmcopy says so.  While the pin is held, and for about 100 ms after
 * pmcopy exits, disabling static mode on DST fails with EBUSY, and so does
 * unmounting its filesystem.
 *
 * Exit status: 0 success, 1 failure, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

#define CHUNK_DEFAULT	(1ULL << 20)
#define CHUNK_MIN	4096ULL		/* O_DIRECT: whole blocks */
#define CHUNK_MAX	(64ULL << 20)
#define BUF_MAX		(1ULL << 30)	/* io_uring's largest fixed buffer */
#define QUEUE_DEPTH	4

struct pmcopy {
	const char	*src_path;
	const char	*dst_path;
	int		src;		/* O_DIRECT */
	uint64_t	size;		/* of SRC */
	uint64_t	span;		/* size, up to whole blocks */
	uint64_t	chunk;
	unsigned char	*dst;		/* DST's mapping */
	struct io_uring	ring;
	bool		verbose;
};

static int usage(void)
{
	fputs("usage: pmcopy [--chunk SIZE] [--verbose] SRC DST\n"
	      "  copy SRC into the static-dax file DST, read with O_DIRECT\n"
	      "  straight into DST's persistent memory (io_uring fixed\n"
	      "  buffers); SIZE a power of two from 4K to 64M, default 1M\n",
	      stderr);
	return 2;
}

/* Why the kernel refused to pin DST's pages, in words. */
static const char *pin_refusal(int err)
{
	switch (err) {
	case EOPNOTSUPP:
		return "this kernel does not allow long-term pins on static-dax files";
	case ENOMEM:
		return "over the locked-memory limit (ulimit -l), or out of memory";
	case EFAULT:
		return "the kernel could not pin the mapping's pages";
	default:
		return "io_uring refused the buffers";
	}
}

/*
 * Register [dst, dst + span) as fixed buffers of at most BUF_MAX each, so
 * that buffer i starts at i * BUF_MAX.  A chunk divides BUF_MAX, so no
 * chunk straddles two buffers.
 */
static int register_dst(struct pmcopy *c)
{
	unsigned int nr = (c->span + BUF_MAX - 1) / BUF_MAX, i;
	struct iovec *iov = calloc(nr, sizeof(*iov));
	int ret;

	if (!iov)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		uint64_t off = (uint64_t)i * BUF_MAX;

		iov[i].iov_base = c->dst + off;
		iov[i].iov_len = c->span - off < BUF_MAX ? c->span - off :
							    BUF_MAX;
	}
	ret = io_uring_register_buffers(&c->ring, iov, nr);
	free(iov);
	return ret;
}

/* Queue a READ_FIXED of [off, off + len) of SRC into the same place. */
static int queue_read(struct pmcopy *c, uint64_t off, uint64_t len)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&c->ring);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read_fixed(sqe, c->src, c->dst + off, len, off,
				 off / BUF_MAX);
	io_uring_sqe_set_data64(sqe, off);
	return 0;
}

static int uring_failed(const char *what, int ret)
{
	fprintf(stderr, "pmcopy: %s: %s\n", what, strerror(-ret));
	return ret;
}

static int copy(struct pmcopy *c)
{
	uint64_t next = 0, done = 0, chunks = 0;
	unsigned int inflight = 0;
	int ret;

	while (done < c->size) {
		struct io_uring_cqe *cqe;
		uint64_t off, want;

		while (inflight < QUEUE_DEPTH && next < c->span) {
			want = c->span - next < c->chunk ? c->span - next :
							   c->chunk;
			ret = queue_read(c, next, want);
			if (ret)
				return uring_failed("io_uring_get_sqe", ret);
			next += want;
			inflight++;
		}
		ret = io_uring_submit_and_wait(&c->ring, 1);
		if (ret < 0)
			return uring_failed("io_uring_submit", ret);
		ret = io_uring_peek_cqe(&c->ring, &cqe);
		if (ret)
			return uring_failed("io_uring_peek_cqe", ret);
		off = io_uring_cqe_get_data64(cqe);
		ret = cqe->res;
		io_uring_cqe_seen(&c->ring, cqe);
		inflight--;
		if (ret < 0) {
			fprintf(stderr, "pmcopy: %s: read at %" PRIu64 ": %s\n",
				c->src_path, off, strerror(-ret));
			return -EIO;
		}
		/* Short only at EOF: whole blocks of a regular file. */
		want = c->span - off < c->chunk ? c->span - off : c->chunk;
		if ((uint64_t)ret < want && off + ret < c->size) {
			fprintf(stderr, "pmcopy: %s: %d of %" PRIu64
				" bytes read at %" PRIu64 ": did it shrink?\n",
				c->src_path, ret, want, off);
			return -EIO;
		}
		if (daxfile_persist(c->dst + off, ret)) {
			fprintf(stderr, "pmcopy: %s: %s\n", c->dst_path,
				daxfile_errmsg());
			return -EIO;
		}
		done += ret;
		chunks++;
		if (c->verbose)
			printf("persisted %" PRIu64 "+%d\n", off, ret);
	}
	printf("pmcopy: %s: %" PRIu64 " bytes read into %s and persisted (%"
	       PRIu64 " chunk%s)\n", c->src_path, c->size, c->dst_path,
	       chunks, chunks == 1 ? "" : "s");
	return 0;
}

int main(int argc, char **argv)
{
	struct pmcopy c = { .chunk = CHUNK_DEFAULT, .src = -1 };
	struct daxfile *df = NULL;
	struct stat st;
	int i, ret = 1;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			c.verbose = true;
		} else if (!strcmp(argv[i], "--chunk") && i + 1 < argc) {
			if (daxfile_parse_size(argv[++i], &c.chunk) ||
			    c.chunk < CHUNK_MIN || c.chunk > CHUNK_MAX ||
			    (c.chunk & (c.chunk - 1))) {
				fprintf(stderr, "pmcopy: invalid --chunk '%s': a power of two from 4K to 64M\n",
					argv[i]);
				return 2;
			}
		} else {
			return usage();
		}
	}
	if (argc - i != 2)
		return usage();
	c.src_path = argv[i];
	c.dst_path = argv[i + 1];

	c.src = open(c.src_path, O_RDONLY | O_DIRECT);
	if (c.src < 0) {
		fprintf(stderr, "pmcopy: %s: %s%s\n", c.src_path,
			strerror(errno), errno == EINVAL ?
			" (its filesystem cannot read it with O_DIRECT)" : "");
		return 1;
	}
	if (fstat(c.src, &st) || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "pmcopy: %s: not a regular file\n", c.src_path);
		goto out;
	}
	c.size = st.st_size;
	c.span = (c.size + CHUNK_MIN - 1) & ~(CHUNK_MIN - 1);

	df = daxfile_open(c.dst_path, DAXFILE_REQUIRE_STATIC);
	if (!df) {
		fprintf(stderr, "pmcopy: %s: %s\n", c.dst_path,
			daxfile_errmsg());
		goto out;
	}
	if (daxfile_size(df) < c.span) {
		fprintf(stderr, "pmcopy: %s: %" PRIu64 " bytes, too small for the %" PRIu64 " bytes of %s\n",
			c.dst_path, daxfile_size(df), c.size, c.src_path);
		goto out;
	}
	if (!c.size) {
		printf("pmcopy: %s: empty, nothing to copy\n", c.src_path);
		ret = 0;
		goto out;
	}
	c.dst = daxfile_addr(df);

	ret = io_uring_queue_init(QUEUE_DEPTH, &c.ring, 0);
	if (ret) {
		fprintf(stderr, "pmcopy: io_uring_queue_init: %s\n",
			strerror(-ret));
		ret = 1;
		goto out;
	}
	ret = register_dst(&c);
	if (ret) {
		fprintf(stderr, "pmcopy: %s: cannot pin its pages as io_uring fixed buffers: %s (%s)\n",
			c.dst_path, strerror(-ret), pin_refusal(-ret));
		ret = 1;
	} else {
		ret = copy(&c) ? 1 : 0;
	}
	io_uring_queue_exit(&c.ring);	/* unpins */
out:
	if (daxfile_close(df)) {
		fprintf(stderr, "pmcopy: %s: %s\n", c.dst_path,
			daxfile_errmsg());
		ret = 1;
	}
	close(c.src);
	return ret;
}
