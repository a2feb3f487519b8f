// SPDX-License-Identifier: MIT
/*
 * Description: a libpmemobj client for daxfile_pmdk_convert.sh: "fill"
 * allocates N objects with known contents and records them in the root
 * object; "verify" reopens the pool and reads every object back.
 *
 *   objcheck fill|verify POOL N
 *
 * Exits 0 on success, 1 on any mismatch or libpmemobj error.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpmemobj.h>

#define LAYOUT		"daxfile"
#define MAX_OBJS	1024

struct root {
	uint64_t	n;
	PMEMoid		obj[MAX_OBJS];
};

static size_t obj_size(uint64_t i)
{
	return 64 + (i * 977) % 4032;
}

static unsigned char obj_byte(uint64_t i, size_t off)
{
	return (unsigned char)(i * 131 + off * 7 + 1);
}

static int fill(PMEMobjpool *pop, struct root *r, PMEMoid root,
		uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		size_t sz = obj_size(i);
		unsigned char *p;

		if (pmemobj_zalloc(pop, &r->obj[i], sz, 1)) {
			fprintf(stderr, "objcheck: alloc %" PRIu64 ": %s\n",
				i, pmemobj_errormsg());
			return 1;
		}
		p = pmemobj_direct(r->obj[i]);
		for (size_t off = 0; off < sz; off++)
			p[off] = obj_byte(i, off);
		pmemobj_persist(pop, p, sz);
		r->n = i + 1;
		pmemobj_persist(pop, &r->n, sizeof(r->n));
	}
	(void)root;
	printf("objcheck: filled %" PRIu64 " objects\n", n);
	return 0;
}

static int verify(struct root *r, uint64_t n)
{
	uint64_t bad = 0;

	if (r->n != n) {
		fprintf(stderr, "objcheck: root says %" PRIu64 " objects, want %"
			PRIu64 "\n", r->n, n);
		return 1;
	}
	for (uint64_t i = 0; i < n; i++) {
		const unsigned char *p = pmemobj_direct(r->obj[i]);
		size_t sz = obj_size(i);

		if (!p || pmemobj_alloc_usable_size(r->obj[i]) < sz) {
			bad++;
			continue;
		}
		for (size_t off = 0; off < sz; off++) {
			if (p[off] != obj_byte(i, off)) {
				bad++;
				break;
			}
		}
	}
	if (bad) {
		fprintf(stderr, "objcheck: %" PRIu64 " of %" PRIu64
			" objects differ\n", bad, n);
		return 1;
	}
	printf("objcheck: verified %" PRIu64 " objects\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	PMEMobjpool *pop;
	PMEMoid root;
	uint64_t n;
	int ret;

	if (argc != 4 || (strcmp(argv[1], "fill") && strcmp(argv[1], "verify"))) {
		fprintf(stderr, "usage: objcheck fill|verify POOL N\n");
		return 2;
	}
	n = strtoull(argv[3], NULL, 10);
	if (!n || n > MAX_OBJS) {
		fprintf(stderr, "objcheck: N must be 1 to %d\n", MAX_OBJS);
		return 2;
	}
	pop = pmemobj_open(argv[2], LAYOUT);
	if (!pop) {
		fprintf(stderr, "objcheck: pmemobj_open %s: %s\n", argv[2],
			pmemobj_errormsg());
		return 1;
	}
	root = pmemobj_root(pop, sizeof(struct root));
	if (OID_IS_NULL(root)) {
		fprintf(stderr, "objcheck: no root: %s\n", pmemobj_errormsg());
		pmemobj_close(pop);
		return 1;
	}
	if (!strcmp(argv[1], "fill"))
		ret = fill(pop, pmemobj_direct(root), root, n);
	else
		ret = verify(pmemobj_direct(root), n);
	pmemobj_close(pop);
	return ret;
}
