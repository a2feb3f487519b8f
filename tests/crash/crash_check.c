// SPDX-License-Identifier: GPL-2.0
/*
 * Description: the power-cut suite's checker.  After a cut and a reboot
 * on the same image, it compares what the workloads acknowledged (the
 * host's captured output of every run on this file) with what the file
 * holds.
 *
 *   crash_check inplace FILE TAG OUTPUT...
 *   crash_check log FILE OUTPUT...
 *
 * It reads the file with pread(), never mmap, so a truncated or corrupt
 * file is reported, not a SIGBUS.  The last line is the verdict:
 *
 *   @R<kind> acks=N checked=N lost=N torn=N inflight=N inflight_torn=N corrupt=0|1
 *
 * inplace: per slot, the last acknowledged version must be there
 *   ("new"); the next, unacknowledged version of a run may be there
 *   instead, whole, or for 64-byte and 4 KiB slots mixed word by word
 *   with the acknowledged one (the update in flight at the cut: "old or
 *   new", counted as inflight / inflight_torn, not a failure).  An older
 *   version or zeroes is "lost"; anything else is "torn".  An 8-byte slot
 *   can only be whole.
 * log: every acknowledged record (seq, len, crc) must be inside the
 *   committed tail with its crc; records past the tail are ignored.
 *
 * Exit: 0 all acknowledged updates intact; 1 lost, torn or corrupt;
 * 2 usage or an unreadable acknowledgement file.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crash_common.h"

#define MAX_REPORT	10

struct ack {
	uint64_t	slot;		/* log: seq */
	uint64_t	ver;		/* log: len << 32 | crc */
	uint64_t	order;		/* position among all acks */
};

static struct ack *acks;
static size_t nacks, cap_acks;
static uint64_t epochs[4096];
static size_t nepochs;
static uint64_t run_size;
static unsigned long lost, torn, inflight, inflight_torn, checked;
static int corrupt, reported;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	if (reported++ >= MAX_REPORT)
		return;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

static void add_ack(uint64_t slot, uint64_t ver)
{
	if (nacks == cap_acks) {
		cap_acks = cap_acks ? 2 * cap_acks : 4096;
		acks = realloc(acks, cap_acks * sizeof(*acks));
		if (!acks) {
			perror("crash_check");
			exit(2);
		}
	}
	acks[nacks] = (struct ack){ slot, ver, nacks };
	nacks++;
}

/* Complete lines only: a line the cut interrupted is not an ack. */
static int read_acks(const char *path, const char *kind, const char *tag)
{
	char line[512], mtag[16], atag[16];
	bool started = strcmp(kind, "inplace") != 0;
	unsigned long bad = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "crash_check: %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(mtag, sizeof(mtag), "@M%s ", tag);
	snprintf(atag, sizeof(atag), "@A%s ", tag);
	while (fgets(line, sizeof(line), f)) {
		uint64_t a, b, c, d;
		char *p;
		size_t len = strlen(line);

		if (!len || line[len - 1] != '\n')
			continue;
		if (!strcmp(kind, "log")) {
			p = strstr(line, "ack ");
			if (p && sscanf(p, "ack %" SCNu64 " %" SCNu64 " %" SCNx64,
					&a, &b, &c) == 3)
				add_ack(a, b << 32 | c);
			continue;
		}
		if ((p = strstr(line, mtag))) {
			p = strstr(p, "epoch=");
			if (!p || sscanf(p, "epoch=%" SCNu64, &a) != 1 ||
			    nepochs == sizeof(epochs) / sizeof(epochs[0]))
				continue;
			epochs[nepochs++] = a;
			p = strstr(p, "size=");
			if (p && sscanf(p, "size=%" SCNu64, &b) == 1)
				run_size = b;
			started = true;
			continue;
		}
		p = strstr(line, atag);
		if (!p)
			continue;
		if (!started || sscanf(p + strlen(atag), "%" SCNu64 " %" SCNu64
				       " %" SCNx64 " %" SCNx64, &a, &b, &c,
				       &d) != 4 || b >= (1ULL << 40)) {
			bad++;
			continue;
		}
		/* The ack's own checksum must agree with its version. */
		{
			uint64_t n = slot_len(b) / 8, w[512];

			for (uint64_t k = 0; k < n; k++)
				w[k] = slot_word(b, c, k);
			if (slot_sum(w, n) != d) {
				bad++;
				continue;
			}
		}
		add_ack(b, c);
	}
	fclose(f);
	if (bad)
		note("%s: %lu malformed acknowledgement lines ignored", path,
		     bad);
	return 0;
}

static int cmp_ack(const void *a, const void *b)
{
	const struct ack *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->ver != y->ver)
		return x->ver < y->ver ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void check_slot(int fd, uint64_t fsize, uint64_t slot,
		       const struct ack *a, size_t na)
{
	uint64_t off = slot_off(slot), len = slot_len(slot), n = len / 8;
	uint64_t last = na ? a[na - 1].ver : 0, w[512];
	uint64_t vmin = UINT64_MAX, vmax = 0, zero = 0, bad = 0, nver = 0;
	ssize_t got;

	if (na)
		checked++;
	if (off + len > fsize) {
		if (na) {
			lost++;
			note("slot %" PRIu64 ": beyond the end of the file",
			     slot);
		}
		return;
	}
	got = pread(fd, w, len, (off_t)off);
	if (got != (ssize_t)len) {
		corrupt = 1;
		note("slot %" PRIu64 ": read at %" PRIu64 " failed: %s", slot,
		     off, got < 0 ? strerror(errno) : "short read");
		if (na)
			lost++;
		return;
	}
	for (uint64_t k = 0; k < n; k++) {
		uint64_t v = w[k] ? word_ver(slot, w[k], k) : 0;

		if (!w[k]) {
			zero++;
		} else if (!v) {
			bad++;
		} else {
			if (v != vmin && v != vmax)
				nver++;
			vmin = v < vmin ? v : vmin;
			vmax = v > vmax ? v : vmax;
		}
	}
	if (bad) {
		torn++;
		note("slot %" PRIu64 " (%" PRIu64 " B at %" PRIu64 "): torn: %"
		     PRIu64 " of %" PRIu64 " words belong to no version%s",
		     slot, len, off, bad, n, na ? "" : " (never acknowledged)");
		return;
	}
	if (na && (zero || vmin < last)) {
		lost++;
		note("slot %" PRIu64 " (%" PRIu64 " B at %" PRIu64 "): lost: "
		     "acked version %" PRIx64 ", %" PRIu64 " of %" PRIu64
		     " words are zero or older (oldest %" PRIx64 ")", slot, len,
		     off, last, zero + 0, n, vmin == UINT64_MAX ? 0 : vmin);
		return;
	}
	if (zero == n || (!zero && vmin == vmax && vmax == last))
		return;				/* untouched, or new */
	if (!zero && vmin == vmax)
		inflight++;			/* a later version, whole */
	else
		inflight_torn++;		/* later versions, mixed */
}

static void check_inplace(int fd, uint64_t fsize)
{
	uint64_t nslots = (run_size ? run_size : fsize) / CELL_SIZE;
	size_t i = 0;

	if (run_size && fsize != run_size) {
		corrupt = 1;
		note("the file is %" PRIu64 " bytes; the workload had %" PRIu64,
		     fsize, run_size);
	}
	qsort(acks, nacks, sizeof(*acks), cmp_ack);
	for (uint64_t slot = 0; slot < nslots; slot++) {
		size_t j = i;

		while (j < nacks && acks[j].slot == slot)
			j++;
		check_slot(fd, fsize, slot, acks + i, j - i);
		i = j;
	}
	if (i < nacks) {
		corrupt = 1;
		note("%zu acks name slots beyond the file", nacks - i);
	}
}

/* ---- the pmlog layout (examples/pmlog.c) ---------------------------- */

#define PMLOG_MAGIC	0x31474f4c4d50ULL
#define DATA_OFF	4096

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

static int cmp_order(const void *a, const void *b)
{
	const struct ack *x = a, *y = b;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void check_log(int fd, uint64_t fsize)
{
	uint64_t hdr[9] = { 0 }, tail, off = 0, seq = 1, nrec;
	uint64_t *rlen = NULL, *rcrc = NULL;
	char *data;
	size_t i;

	if (fsize < DATA_OFF + 8 || pread(fd, hdr, sizeof(hdr), 0) !=
	    (ssize_t)sizeof(hdr)) {
		corrupt = 1;
		note("the log is %" PRIu64 " bytes: no header", fsize);
		tail = 0;
	} else {
		tail = hdr[8];
	}
	if (hdr[0] != PMLOG_MAGIC && (hdr[0] || tail)) {
		corrupt = 1;
		note("bad magic %016" PRIx64, hdr[0]);
		tail = 0;
	}
	if (tail > fsize - DATA_OFF || tail > (1ULL << 34)) {
		corrupt = 1;
		note("tail %" PRIu64 " beyond the log (%" PRIu64 " bytes)",
		     tail, fsize);
		tail = 0;
	}
	data = malloc(tail + 1);
	if (!data || pread(fd, data, tail, DATA_OFF) != (ssize_t)tail) {
		corrupt = 1;
		note("cannot read %" PRIu64 " bytes of records", tail);
		tail = 0;
	}
	/* Walk the committed records; the first bad one ends the walk. */
	nrec = tail / 16 + 1;
	rlen = calloc(nrec + 1, sizeof(*rlen));
	rcrc = calloc(nrec + 1, sizeof(*rcrc));
	if (!rlen || !rcrc) {
		perror("crash_check");
		exit(2);
	}
	while (off < tail) {
		uint64_t rseq, size;
		uint32_t len, crc, c;

		if (tail - off < 16) {
			corrupt = 1;
			note("record %" PRIu64 " at %" PRIu64 ": truncated header",
			     seq, off);
			break;
		}
		memcpy(&rseq, data + off, 8);
		memcpy(&len, data + off + 8, 4);
		memcpy(&crc, data + off + 12, 4);
		size = (16 + (uint64_t)len + 7) & ~7ULL;
		if (rseq != seq || size > tail - off) {
			corrupt = 1;
			note("record %" PRIu64 " at %" PRIu64 ": bad header "
			     "(seq %" PRIu64 ", len %" PRIu32 ")", seq, off,
			     rseq, len);
			break;
		}
		c = crc32_update(0, data + off, 8);
		c = crc32_update(c, data + off + 8, 4);
		c = crc32_update(c, data + off + 16, len);
		if (c != crc) {
			corrupt = 1;
			note("record %" PRIu64 " at %" PRIu64 ": bad crc", seq,
			     off);
			break;
		}
		rlen[seq] = len;
		rcrc[seq] = crc;
		off += size;
		seq++;
	}
	nrec = seq - 1;
	/* The latest ack of a seq wins (a run after a loss reuses seqs). */
	qsort(acks, nacks, sizeof(*acks), cmp_order);
	for (i = 0; i < nacks; i++) {
		const struct ack *a = &acks[i];

		if (i + 1 < nacks && acks[i + 1].slot == a->slot)
			continue;
		checked++;
		if (a->slot > nrec || a->slot == 0) {
			lost++;
			note("record %" PRIu64 " acked, not in the log (%"
			     PRIu64 " records)", a->slot, nrec);
		} else if (rlen[a->slot] != a->ver >> 32 ||
			   rcrc[a->slot] != (a->ver & 0xffffffff)) {
			torn++;
			note("record %" PRIu64 ": acked len %" PRIu64 " crc %08"
			     PRIx64 ", log has len %" PRIu64 " crc %08" PRIx64,
			     a->slot, a->ver >> 32, a->ver & 0xffffffff,
			     rlen[a->slot], rcrc[a->slot]);
		}
	}
	/* Unacked committed records past the last ack: the one in flight. */
	inflight = nrec > checked ? nrec - checked : 0;
	free(rlen);
	free(rcrc);
	free(data);
}

static int usage(void)
{
	fputs("usage: crash_check inplace FILE TAG OUTPUT...\n"
	      "       crash_check log FILE OUTPUT...\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	const char *kind, *file, *tag = "";
	struct stat st;
	int first, fd;

	if (argc < 3)
		return usage();
	kind = argv[1];
	file = argv[2];
	if (!strcmp(kind, "inplace")) {
		if (argc < 4)
			return usage();
		tag = argv[3];
		first = 4;
	} else if (!strcmp(kind, "log")) {
		first = 3;
	} else {
		return usage();
	}
	for (int i = first; i < argc; i++)
		if (read_acks(argv[i], kind, tag))
			return 2;
	fd = open(file, O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		/* No file at all: every ack is lost. */
		note("%s: %s", file, strerror(errno));
		corrupt = 1;
		st.st_size = 0;
	}
	if (!strcmp(kind, "inplace"))
		check_inplace(fd, (uint64_t)st.st_size);
	else
		check_log(fd, (uint64_t)st.st_size);
	if (fd >= 0)
		close(fd);
	printf("@R%s%s acks=%zu checked=%lu lost=%lu torn=%lu inflight=%lu "
	       "inflight_torn=%lu corrupt=%d\n", kind, tag, nacks, checked,
	       lost, torn, inflight, inflight_torn, corrupt);
	return lost || torn || corrupt ? 1 : 0;
}
