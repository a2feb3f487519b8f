/* SPDX-License-Identifier: MIT */
/*
 * The non-temporal copy and set loops, shared by the per-ISA objects.
 * The includer defines NT_ISA, nt_line() (copy one 64-byte line: all
 * loads before any store, which makes overlapping moves safe), nt_vec,
 * nt_splat() and nt_set_line(), then includes this file.
 *
 * Shape: the unaligned head and the tail use cached stores plus a flush;
 * the body between them is whole 64-byte lines of streaming stores, so
 * the destination of every streaming store is line aligned.
 */
#include <string.h>

#define NT_CAT2(a, b)	a##b
#define NT_CAT(a, b)	NT_CAT2(a, b)
#define NT_FN(name)	NT_CAT(name, NT_ISA)

static void nt_cached(char *d, const char *s, size_t len,
		      daxfile_flush_fn flush)
{
	memmove(d, s, len);
	flush(d, len);
}

static void nt_forward(char *d, const char *s, size_t len,
		       daxfile_flush_fn flush)
{
	size_t head = -(uintptr_t)d & (DAXFILE_CACHELINE - 1);

	if (head > len)
		head = len;
	if (head) {
		nt_cached(d, s, head, flush);
		d += head;
		s += head;
		len -= head;
	}
	for (; len >= 4 * DAXFILE_CACHELINE; len -= 4 * DAXFILE_CACHELINE) {
		nt_line(d, s);
		nt_line(d + 64, s + 64);
		nt_line(d + 128, s + 128);
		nt_line(d + 192, s + 192);
		d += 4 * DAXFILE_CACHELINE;
		s += 4 * DAXFILE_CACHELINE;
	}
	for (; len >= DAXFILE_CACHELINE; len -= DAXFILE_CACHELINE) {
		nt_line(d, s);
		d += DAXFILE_CACHELINE;
		s += DAXFILE_CACHELINE;
	}
	if (len)
		nt_cached(d, s, len, flush);
}

/* For dst above an overlapping src: the same walk from the end. */
static void nt_backward(char *d, const char *s, size_t len,
			daxfile_flush_fn flush)
{
	char *de = d + len;
	const char *se = s + len;
	size_t tail = (uintptr_t)de & (DAXFILE_CACHELINE - 1);

	if (tail > len)
		tail = len;
	if (tail) {
		de -= tail;
		se -= tail;
		nt_cached(de, se, tail, flush);
		len -= tail;
	}
	for (; len >= 4 * DAXFILE_CACHELINE; len -= 4 * DAXFILE_CACHELINE) {
		de -= 4 * DAXFILE_CACHELINE;
		se -= 4 * DAXFILE_CACHELINE;
		nt_line(de + 192, se + 192);
		nt_line(de + 128, se + 128);
		nt_line(de + 64, se + 64);
		nt_line(de, se);
	}
	for (; len >= DAXFILE_CACHELINE; len -= DAXFILE_CACHELINE) {
		de -= DAXFILE_CACHELINE;
		se -= DAXFILE_CACHELINE;
		nt_line(de, se);
	}
	if (len)
		nt_cached(d, s, len, flush);
}

void NT_FN(daxfile__memmove_nt_)(void *dst, const void *src, size_t len,
				 daxfile_flush_fn flush)
{
	/* Forward is safe unless dst starts inside [src, src + len). */
	if ((uintptr_t)dst - (uintptr_t)src >= len)
		nt_forward(dst, src, len, flush);
	else
		nt_backward(dst, src, len, flush);
}

void NT_FN(daxfile__memset_nt_)(void *dst, int c, size_t len,
				daxfile_flush_fn flush)
{
	char *d = dst;
	size_t head = -(uintptr_t)d & (DAXFILE_CACHELINE - 1);
	nt_vec v = nt_splat(c);

	if (head > len)
		head = len;
	if (head) {
		memset(d, c, head);
		flush(d, head);
		d += head;
		len -= head;
	}
	for (; len >= 4 * DAXFILE_CACHELINE; len -= 4 * DAXFILE_CACHELINE) {
		nt_set_line(d, v);
		nt_set_line(d + 64, v);
		nt_set_line(d + 128, v);
		nt_set_line(d + 192, v);
		d += 4 * DAXFILE_CACHELINE;
	}
	for (; len >= DAXFILE_CACHELINE; len -= DAXFILE_CACHELINE) {
		nt_set_line(d, v);
		d += DAXFILE_CACHELINE;
	}
	if (len) {
		memset(d, c, len);
		flush(d, len);
	}
}
