/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the io_uring pin tests share (tests/guest/longterm_pins.c,
 * tests/crash/pinned_read.c): one waited-for READ_FIXED, and the bytes
 * their source files hold.
 */
#ifndef DAXFILE_TESTS_FIXED_BUFFERS_H
#define DAXFILE_TESTS_FIXED_BUFFERS_H

#include <errno.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kernel_pins.h"

/* One READ_FIXED of fixed buffer 0, waited for: the bytes read, or -errno. */
static inline int read_fixed(struct io_uring *ring, int fd, void *buf,
			     unsigned int len, uint64_t off)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int ret;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read_fixed(sqe, fd, buf, len, off, 0);
	ret = io_uring_submit(ring);
	if (ret < 0)
		return ret;
	ret = io_uring_wait_cqe(ring, &cqe);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return ret;
}

/* xorshift64 from @seed: no two chunks of a source file alike. */
static inline void fill_pattern(unsigned char *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ULL | 1;
	size_t i;

	for (i = 0; i + sizeof(x) <= len; i += sizeof(x)) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(buf + i, &x, sizeof(x));
	}
}

#endif
