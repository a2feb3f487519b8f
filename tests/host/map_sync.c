// SPDX-License-Identifier: MIT
/* Description: MAP_SYNC mode on a DAX filesystem of a kernel without daxctl (needs DAXFILE_TEST_DAX_DIR) */
#include "test.h"

int main(void)
{
	const char *dir = getenv("DAXFILE_TEST_DAX_DIR");
	struct daxfile *df;
	char path[300];
	char *p;

	if (!dir) {
		fprintf(stderr, "# set DAXFILE_TEST_DAX_DIR to a DAX mount\n");
		return T_SKIP;
	}
	if (daxctl("/", DAXCTL_F_GET, 0) >= 0 || errno != ENOSYS) {
		fprintf(stderr, "# kernel has daxctl: STATIC, not MAP_SYNC\n");
		return T_SKIP;
	}
	snprintf(path, sizeof(path), "%s/daxfile-mapsync-%d", dir, getpid());
	df = daxfile_create(path, 4 << 20, NULL);
	ASSERT(df, "create: %s", daxfile_errmsg());
	EXPECT(daxfile_mode(df) == DAXFILE_MODE_MAP_SYNC, "mode %s",
	       daxfile_mode_name(daxfile_mode(df)));
	p = daxfile_addr(df);
	EXPECT(daxfile_memcpy_persist(p, "abc", 3, 0) == p, "persist");
	daxfile_close(df);
	df = daxfile_open(path, 0);
	ASSERT(df, "open: %s", daxfile_errmsg());
	EXPECT(!memcmp(daxfile_addr(df), "abc", 3), "data");
	daxfile_close(df);
	unlink(path);
	return t_result();
}
