// SPDX-License-Identifier: GPL-2.0
/*
 * Description: guest helper for tests/crash/static_survives.sh.
 *
 *   static_store store FILE   make FILE static-DAX, map it, store 0xcd over
 *                             its first 4 KiB, flush the lines to media
 *                             (clwb, else clflushopt, else clflush) and
 *                             sfence, print DAXFILE-CUT and wait to be cut
 *   static_store check FILE   after the cut: FILE must still be eligible
 *                             (daxctl() enables it) and hold the 0xcd bytes
 *
 * No fsync(), msync() or MAP_SYNC anywhere: durability of the block map
 * comes from daxctl() alone, durability of the data from the cache flush.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uapi/linux/daxctl.h"

#define LEN	4096
#define LINE	64

static void flush_line(volatile char *p, int how)
{
	switch (how) {
	case 2:
		asm volatile("clwb %0" : "+m" (*p));
		break;
	case 1:
		asm volatile("clflushopt %0" : "+m" (*p));
		break;
	default:
		asm volatile("clflush %0" : "+m" (*p));
	}
}

static int flush_kind(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	if (b & (1U << 24))
		return 2;
	if (b & (1U << 23))
		return 1;
	return 0;
}

static long daxctl(int dfd, const char *path, unsigned int flags,
		   unsigned int align)
{
	return syscall(__NR_daxctl, dfd, path, flags, align);
}

int main(int argc, char **argv)
{
	static const char *names[] = { "clflush", "clflushopt", "clwb" };
	unsigned char *p;
	int fd, how, i;

	if (argc != 3 || (strcmp(argv[1], "store") && strcmp(argv[1], "check"))) {
		fprintf(stderr, "usage: static_store store|check FILE\n");
		return 2;
	}
	fd = open(argv[2], O_RDWR);
	if (fd < 0) {
		perror(argv[2]);
		return 1;
	}
	if (daxctl(fd, NULL, DAXCTL_F_STATIC, 0)) {
		fprintf(stderr, "daxctl(%s): %s\n", argv[2], strerror(errno));
		return 1;
	}
	p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}

	if (!strcmp(argv[1], "check")) {
		for (i = 0; i < LEN; i++)
			if (p[i] != 0xcd) {
				printf("byte %d is %#x, expected 0xcd\n", i, p[i]);
				return 1;
			}
		printf("DAXFILE-OK: static again, %d bytes of 0xcd\n", LEN);
		return 0;
	}

	how = flush_kind();
	memset(p, 0xcd, LEN);
	for (i = 0; i < LEN; i += LINE)
		flush_line((volatile char *)p + i, how);
	asm volatile("sfence" ::: "memory");
	printf("stored and flushed with %s + sfence\n", names[how]);
	printf("DAXFILE-CUT\n");
	fflush(stdout);
	sleep(60);
	return 1;
}
