// SPDX-License-Identifier: MIT
/*
 * pmlog: a persistent append-only log on libdaxfile, with no fsync.
 *
 *   pmlog create FILE SIZE
 *   pmlog append FILE [--count N] [--seed S] [--max-len L]
 *   pmlog verify FILE
 *
 * Layout: a header page, then records back to back, each 8-byte aligned:
 *
 *   [seq u64][len u32][crc u32][payload, len bytes][pad to 8]
 *
 * The header's tail word is the commit point: the byte length of the
 * committed records.  An append writes the record past the tail and
 * persists it, and only then stores and persists the new tail.  The
 * tail is one aligned 8-byte store, which the CPU never tears, so after
 * a crash the log holds every record whose "ack" was printed, and
 * anything past the tail is ignored.
 *
 * "create" writes the magic before it returns, and append and verify
 * refuse any file without it: a log is never adopted from a file that
 * merely starts with zeroes.  One appender at a time: append takes an
 * exclusive flock(2), and a second one fails at once (verify only reads
 * the committed tail, so it needs no lock).
 *
 * Exit status: 0 success, 1 failure, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "daxfile.h"

#define PMLOG_MAGIC	0x31474f4c4d50ULL	/* "PMLOG1" */
#define DATA_OFF	4096

struct pmlog_hdr {
	uint64_t	magic;
	uint64_t	pad[7];		/* keep tail in its own cache line */
	uint64_t	tail;		/* commit word: bytes of records */
};

struct rec {
	uint64_t	seq;
	uint32_t	len;
	uint32_t	crc;		/* over seq, len and payload */
};

struct pmlog {
	struct daxfile		*df;
	struct pmlog_hdr	*hdr;
	char			*data;
	uint64_t		cap;		/* bytes for records */
	uint64_t		next_seq;
};

static uint32_t crc32_update(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320U & -(crc & 1));
	}
	return ~crc;
}

static uint32_t rec_crc(const struct rec *r, const void *payload)
{
	uint32_t crc = crc32_update(0, &r->seq, sizeof(r->seq));

	crc = crc32_update(crc, &r->len, sizeof(r->len));
	return crc32_update(crc, payload, r->len);
}

static uint64_t rec_size(uint32_t len)
{
	return (sizeof(struct rec) + len + 7) & ~7ULL;
}

/* Walk the committed records; print them if asked.  -1 if corrupt. */
static int pmlog_walk(struct pmlog *log, bool print)
{
	uint64_t tail = __atomic_load_n(&log->hdr->tail, __ATOMIC_ACQUIRE);
	uint64_t off = 0, seq = 1;

	if (tail > log->cap) {
		fprintf(stderr, "pmlog: tail %" PRIu64 " beyond the log\n",
			tail);
		return -1;
	}
	while (off < tail) {
		const struct rec *r = (const void *)(log->data + off);

		if (tail - off < sizeof(*r) || r->seq != seq ||
		    rec_size(r->len) > tail - off ||
		    rec_crc(r, r + 1) != r->crc) {
			fprintf(stderr, "pmlog: bad record at offset %" PRIu64
				" (seq %" PRIu64 ")\n", off, seq);
			return -1;
		}
		if (print)
			printf("rec %" PRIu64 " %" PRIu32 " %08" PRIx32 "\n",
			       r->seq, r->len, r->crc);
		off += rec_size(r->len);
		seq++;
	}
	log->next_seq = seq;
	if (print)
		printf("verified %" PRIu64 " records, %" PRIu64 " bytes\n", seq - 1,
		       tail);
	return 0;
}

/* Map path and check that it is a log; writers also take the lock. */
static int pmlog_open(struct pmlog *log, const char *path, bool writer)
{
	log->df = daxfile_open(path, writer ? 0 : DAXFILE_RDONLY);
	if (!log->df) {
		fprintf(stderr, "pmlog: %s: %s\n", path, daxfile_errmsg());
		return -1;
	}
	if (writer && flock(daxfile_fd(log->df), LOCK_EX | LOCK_NB)) {
		fprintf(stderr, "pmlog: %s: %s\n", path,
			errno == EWOULDBLOCK ?
			"another process is appending to it" : strerror(errno));
		goto fail;
	}
	if (daxfile_size(log->df) <= DATA_OFF) {
		fprintf(stderr, "pmlog: %s: too small for a log\n", path);
		goto fail;
	}
	log->hdr = daxfile_addr(log->df);
	log->data = (char *)log->hdr + DATA_OFF;
	log->cap = daxfile_size(log->df) - DATA_OFF;
	if (log->hdr->magic != PMLOG_MAGIC) {
		fprintf(stderr, "pmlog: %s: not a pmlog file (no magic%s)\n",
			path, log->hdr->magic ? "" :
			"; an interrupted `pmlog create` leaves zeroes");
		goto fail;
	}
	if (pmlog_walk(log, false))
		goto fail;
	return 0;
fail:
	daxfile_close(log->df);
	log->df = NULL;
	return -1;
}

/* A new file, whose magic is durable before this returns. */
static int pmlog_create(const char *path, uint64_t size)
{
	struct daxfile *df;
	struct pmlog_hdr *hdr;

	if (size <= DATA_OFF) {
		fprintf(stderr, "pmlog: %s: a log needs more than %d bytes\n",
			path, DATA_OFF);
		return -1;
	}
	df = daxfile_create(path, size, NULL);
	if (!df) {
		fprintf(stderr, "pmlog: %s: %s\n", path, daxfile_errmsg());
		return -1;
	}
	hdr = daxfile_addr(df);
	if (daxfile_persist_u64(&hdr->magic, PMLOG_MAGIC)) {
		fprintf(stderr, "pmlog: %s: %s\n", path, daxfile_errmsg());
		daxfile_close(df);
		/* A static file can't be unlinked: say so instead of trying. */
		fprintf(stderr,
			"pmlog: %s: left without a log header; remove it with `daxfile disable` and rm\n",
			path);
		return -1;
	}
	printf("created %s, mode %s\n", path,
	       daxfile_mode_name(daxfile_mode(df)));
	if (daxfile_close(df)) {
		fprintf(stderr, "pmlog: %s: %s\n", path, daxfile_errmsg());
		return -1;
	}
	return 0;
}

/* Make one record durable, then commit it by moving the tail. */
static int pmlog_append(struct pmlog *log, const void *buf, uint32_t len)
{
	uint64_t tail = log->hdr->tail;
	struct rec r = { .seq = log->next_seq, .len = len };
	char *dst = log->data + tail;

	if (rec_size(len) > log->cap - tail)
		return -ENOSPC;
	r.crc = rec_crc(&r, buf);
	if (!daxfile_memcpy_persist(dst, &r, sizeof(r), DAXFILE_MEM_NODRAIN) ||
	    !daxfile_memcpy_persist(dst + sizeof(r), buf, len, 0))
		return -errno;
	if (daxfile_persist_u64(&log->hdr->tail, tail + rec_size(len)))
		return -errno;
	log->next_seq++;
	return 0;
}

/* Deterministic payloads, so the crash suite can recompute them. */
static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int cmd_append(struct pmlog *log, uint64_t count, uint64_t seed,
		      uint32_t max_len)
{
	char *buf = malloc((size_t)max_len + 8);

	if (!buf)
		return 1;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t s = (seed ^ (log->next_seq * 0x9e3779b97f4a7c15ULL)) | 1;
		uint32_t len = (uint32_t)(xorshift(&s) % ((uint64_t)max_len + 1));
		uint64_t seq = log->next_seq;
		int ret;

		for (uint32_t j = 0; j < len; j += 8) {
			uint64_t v = xorshift(&s);

			memcpy(buf + j, &v, sizeof(v));
		}
		ret = pmlog_append(log, buf, len);
		if (ret) {
			fprintf(stderr, "pmlog: append %" PRIu64 ": %s\n", seq,
				ret == -ENOSPC ? "log full" : strerror(-ret));
			free(buf);
			return 1;
		}
		printf("ack %" PRIu64 " %" PRIu32 " %08" PRIx32 "\n", seq, len,
		       ((struct rec *)(log->data + log->hdr->tail -
				       rec_size(len)))->crc);
		fflush(stdout);
	}
	free(buf);
	return 0;
}

static int usage(void)
{
	fputs("usage: pmlog create FILE SIZE\n"
	      "       pmlog append FILE [--count N] [--seed S] [--max-len L]\n"
	      "       pmlog verify FILE\n"
	      "SIZE and L take K, M, G suffixes; N and S are decimal\n",
	      stderr);
	return 2;
}

/* Decimal digits only: strtoull() would take " -1" as 2^64 - 1. */
static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	uint64_t count = 1, seed = 1, max_len = 4096, size;
	struct pmlog log = { 0 };
	int ret;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "create")) {
		if (argc != 4)
			return usage();
		if (daxfile_parse_size(argv[3], &size)) {
			fprintf(stderr, "pmlog: %s\n", daxfile_errmsg());
			return 2;
		}
		return pmlog_create(argv[2], size) ? 1 : 0;
	}
	if ((argc - 3) % 2)
		return usage();
	for (int i = 3; i + 1 < argc; i += 2) {
		const char *v = argv[i + 1];
		bool ok;

		if (!strcmp(argv[i], "--count"))
			ok = parse_u64(v, &count);
		else if (!strcmp(argv[i], "--seed"))
			ok = parse_u64(v, &seed);
		else if (!strcmp(argv[i], "--max-len"))
			ok = !daxfile_parse_size(v, &max_len) &&
			     max_len <= UINT32_MAX - 8;
		else
			return usage();
		if (!ok) {
			fprintf(stderr, "pmlog: invalid %s '%s'\n", argv[i], v);
			return 2;
		}
	}
	if (!strcmp(argv[1], "append")) {
		if (pmlog_open(&log, argv[2], true))
			return 1;
		ret = cmd_append(&log, count, seed, (uint32_t)max_len);
	} else if (!strcmp(argv[1], "verify")) {
		if (pmlog_open(&log, argv[2], false))
			return 1;
		ret = pmlog_walk(&log, true) ? 1 : 0;
	} else {
		return usage();
	}
	if (daxfile_close(log.df)) {
		fprintf(stderr, "pmlog: %s: %s\n", argv[2], daxfile_errmsg());
		ret = 1;
	}
	return ret;
}
