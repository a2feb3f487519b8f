// SPDX-License-Identifier: MIT
/* pmlog_core: see pmlog_core.h, and pmlog.c for the log's layout. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>

#include "pmlog_core.h"

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

static uint32_t rec_crc(const struct pmlog_rec *r, const void *payload)
{
	uint32_t crc = crc32_update(0, &r->seq, sizeof(r->seq));

	crc = crc32_update(crc, &r->len, sizeof(r->len));
	return crc32_update(crc, payload, r->len);
}

uint64_t pmlog_rec_size(uint32_t len)
{
	return (sizeof(struct pmlog_rec) + len + 7) & ~7ULL;
}

/* Walk the committed records; print them if asked.  -1 if corrupt. */
int pmlog_walk(struct pmlog *log, bool print)
{
	uint64_t tail = __atomic_load_n(&log->hdr->tail, __ATOMIC_ACQUIRE);
	uint64_t off = 0, seq = 1;

	if (tail > log->cap) {
		fprintf(stderr, "pmlog: tail %" PRIu64 " beyond the log\n",
			tail);
		return -1;
	}
	while (off < tail) {
		const struct pmlog_rec *r = (const void *)(log->data + off);

		if (tail - off < sizeof(*r) || r->seq != seq ||
		    pmlog_rec_size(r->len) > tail - off ||
		    rec_crc(r, r + 1) != r->crc) {
			fprintf(stderr, "pmlog: bad record at offset %" PRIu64
				" (seq %" PRIu64 ")\n", off, seq);
			return -1;
		}
		if (print)
			printf("rec %" PRIu64 " %" PRIu32 " %08" PRIx32 "\n",
			       r->seq, r->len, r->crc);
		off += pmlog_rec_size(r->len);
		seq++;
	}
	log->next_seq = seq;
	if (print)
		printf("verified %" PRIu64 " records, %" PRIu64 " bytes\n", seq - 1,
		       tail);
	return 0;
}

/* Map path and check that it is a log; writers also take the lock. */
int pmlog_open(struct pmlog *log, const char *path, bool writer)
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
int pmlog_create(const char *path, uint64_t size, enum daxfile_mode *mode)
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
	if (mode)
		*mode = daxfile_mode(df);
	if (daxfile_close(df)) {
		fprintf(stderr, "pmlog: %s: %s\n", path, daxfile_errmsg());
		return -1;
	}
	return 0;
}

/* Make one record durable, then commit it by moving the tail. */
int pmlog_append(struct pmlog *log, const void *buf, uint32_t len)
{
	uint64_t tail = log->hdr->tail;
	struct pmlog_rec r = { .seq = log->next_seq, .len = len };
	char *dst = log->data + tail;

	if (pmlog_rec_size(len) > log->cap - tail)
		return -ENOSPC;
	r.crc = rec_crc(&r, buf);
	if (!daxfile_memcpy_persist(dst, &r, sizeof(r), DAXFILE_MEM_NODRAIN) ||
	    !daxfile_memcpy_persist(dst + sizeof(r), buf, len, 0))
		return -errno;
	if (daxfile_persist_u64(&log->hdr->tail, tail + pmlog_rec_size(len)))
		return -errno;
	log->next_seq++;
	return 0;
}

uint32_t pmlog_last_crc(const struct pmlog *log, uint32_t len)
{
	const struct pmlog_rec *r = (const void *)(log->data + log->hdr->tail -
					      pmlog_rec_size(len));

	return r->crc;
}
