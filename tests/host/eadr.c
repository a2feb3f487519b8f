// SPDX-License-Identifier: MIT
/* Description: eADR detection from a fake sysfs: flushes are skipped only if every nd region's persistence_domain is cpu_cache */
#include <sys/stat.h>

#include "test.h"

static char root[256];

static void region(const char *name, const char *domain)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/bus/nd/devices/%s", root, name);
	ASSERT(!mkdir(p, 0755) || errno == EEXIST, "mkdir %s: %m", p);
	if (!domain)
		return;
	snprintf(p, sizeof(p), "%s/bus/nd/devices/%s/persistence_domain",
		 root, name);
	f = fopen(p, "w");
	ASSERT(f, "create %s: %m", p);
	fprintf(f, "%s\n", domain);
	fclose(f);
}

/* Run this binary in "report" mode and return its flush variant. */
static const char *probe(const char *eadr_env)
{
	static char out[64];
	char cmd[600];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "DAXFILE_SYSFS_ROOT=%s %s%s /proc/%d/exe --report", root,
		 eadr_env ? "DAXFILE_EADR=" : "", eadr_env ? eadr_env : "",
		 getpid());
	p = popen(cmd, "r");	/* NOLINT(cert-env33-c): test-only */
	ASSERT(p, "popen: %m");
	out[0] = '\0';
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

int main(int argc, char **argv)
{
	char cmd[300];

	if (argc > 1 && !strcmp(argv[1], "--report")) {
		printf("%s\n", daxfile_flush_variant());
		return 0;
	}
	if (getenv("DAXFILE_FLUSH"))
		unsetenv("DAXFILE_FLUSH");
	snprintf(root, sizeof(root), "%s/daxfile-eadr-XXXXXX", t_scratch_dir());
	ASSERT(mkdtemp(root), "mkdtemp: %m");
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/bus/nd/devices", root);
	ASSERT(!system(cmd), "%s", cmd);	/* NOLINT(cert-env33-c) */

	EXPECT(strcmp(probe(NULL), "none"), "no regions must not mean eADR");
	region("region0", "cpu_cache");
	EXPECT(!strcmp(probe(NULL), "none"), "one cpu_cache region: got %s",
	       probe(NULL));
	region("region1", "memory_controller");
	EXPECT(strcmp(probe(NULL), "none"), "mixed domains must flush");
	EXPECT(!strcmp(probe("1"), "none"), "DAXFILE_EADR=1 must force");
	region("region1", "cpu_cache");
	EXPECT(!strcmp(probe(NULL), "none"), "two cpu_cache regions");
	EXPECT(strcmp(probe("0"), "none"), "DAXFILE_EADR=0 must veto");
	region("region2", NULL);	/* no persistence_domain file */
	EXPECT(strcmp(probe(NULL), "none"), "region without a domain");
	region("ndbus0", NULL);		/* not a region: ignored */

	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	EXPECT(!system(cmd), "cleanup");	/* NOLINT(cert-env33-c) */
	return t_result();
}
