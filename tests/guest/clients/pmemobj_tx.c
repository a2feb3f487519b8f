// SPDX-License-Identifier: GPL-2.0
/*
 * Description: a libpmemobj client for tests/guest/real_clients.sh.
 *
 *   pmemobj_tx POOL LAYOUT
 *
 * Opens the pool, bumps a counter and rewrites a message in the root
 * object inside one transaction, closes the pool, opens it again and checks
 * that the transaction's effects are there.  Prints "count N" and exits 0,
 * or says which step failed (with PMDK's own message) and exits 1.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <libpmemobj.h>

struct root {
	uint64_t count;
	char msg[56];
};

static int fail(const char *step)
{
	fprintf(stderr, "pmemobj_tx: %s: %s\n", step, pmemobj_errormsg());
	return 1;
}

int main(int argc, char **argv)
{
	struct root *r;
	PMEMobjpool *pop;
	PMEMoid oid;
	uint64_t before;
	volatile int err = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: pmemobj_tx POOL LAYOUT\n");
		return 2;
	}
	pop = pmemobj_open(argv[1], argv[2]);
	if (!pop)
		return fail("pmemobj_open");
	oid = pmemobj_root(pop, sizeof(*r));
	if (OID_IS_NULL(oid)) {
		pmemobj_close(pop);
		return fail("pmemobj_root");
	}
	r = pmemobj_direct(oid);
	before = r->count;
	TX_BEGIN(pop) {
		pmemobj_tx_add_range(oid, 0, sizeof(*r));
		r->count++;
		snprintf(r->msg, sizeof(r->msg), "transaction %llu",
			 (unsigned long long)r->count);
	} TX_ONABORT {
		err = errno ? errno : EIO;
	} TX_END
	pmemobj_close(pop);
	if (err) {
		fprintf(stderr, "pmemobj_tx: transaction aborted: %s\n",
			strerror(err));
		return 1;
	}

	pop = pmemobj_open(argv[1], argv[2]);
	if (!pop)
		return fail("pmemobj_open again");
	r = pmemobj_direct(pmemobj_root(pop, sizeof(*r)));
	if (!r || r->count != before + 1 ||
	    strncmp(r->msg, "transaction ", 12)) {
		fprintf(stderr, "pmemobj_tx: the transaction did not stick\n");
		pmemobj_close(pop);
		return 1;
	}
	printf("count %llu\n", (unsigned long long)r->count);
	pmemobj_close(pop);
	return 0;
}
