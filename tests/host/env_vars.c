// SPDX-License-Identifier: MIT
/*
 * Description: an empty DAXFILE_FLUSH/COPY/EADR/NT_THRESHOLD means unset;
 * an unknown value gives the default variant and one line on stderr
 */
#include <stdbool.h>

#include "test.h"

static char errfile[300];
static char self[64];

/*
 * Run this binary with VAR=VAL (or VAR unset if val is NULL); return its
 * "flush copy" line, and leave its stderr in errfile.
 */
static const char *report(const char *var, const char *val)
{
	static char out[128];
	char cmd[800], set[200] = "";
	FILE *p;

	if (val)
		snprintf(set, sizeof(set), "%s='%s'", var, val);
	snprintf(cmd, sizeof(cmd),
		 "env -u DAXFILE_FLUSH -u DAXFILE_COPY -u DAXFILE_EADR "
		 "-u DAXFILE_NT_THRESHOLD %s %s --report 2>%s", set, self,
		 errfile);
	p = popen(cmd, "r");	/* NOLINT(cert-env33-c): test-only */
	ASSERT(p, "popen: %m");
	out[0] = '\0';
	if (!fgets(out, sizeof(out), p))
		out[0] = '\0';
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* Lines in errfile, and whether every one names var. */
static int err_lines(const char *var, bool *named)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(errfile, "r");

	*named = true;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (!strstr(line, var) || !strstr(line, "libdaxfile: "))
			*named = false;
	}
	fclose(f);
	return n;
}

static void show_err(void)
{
	char line[512];
	FILE *f = fopen(errfile, "r");

	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "#   %s", line);
	if (f)
		fclose(f);
}

static void expect_default(const char *var, const char *val, int lines,
			   const char *def)
{
	const char *got = report(var, val);
	bool named;
	int n = err_lines(var, &named);

	EXPECT(!strcmp(got, def), "%s='%s': variants '%s', default '%s'",
	       var, val, got, def);
	EXPECT(n == lines && named,
	       "%s='%s': %d line(s) on stderr, want %d naming %s", var, val,
	       n, lines, var);
	if (n != lines)
		show_err();
}

int main(int argc, char **argv)
{
	static const char *const flush_bad[] = {
		"bogus", "CLWB", " clwb", "clwb ", "none,", "-",
	};
	static const char *const copy_bad[] = {
		"bogus", "AVX2", "sse", "avx512", " sse2",
	};
	char def[128], forced[128];

	if (argc > 1 && !strcmp(argv[1], "--report")) {
		printf("%s %s\n", daxfile_flush_variant(),
		       daxfile_copy_variant());
		return 0;
	}
	snprintf(self, sizeof(self), "/proc/%d/exe", getpid());
	snprintf(errfile, sizeof(errfile), "%s/daxfile-env-%d",
		 t_scratch_dir(), getpid());

	snprintf(def, sizeof(def), "%s", report("X", NULL));
	ASSERT(strchr(def, ' '), "no report: '%s'", def);
	expect_default("X", NULL, 0, def);

	/* Empty is unset, silently. */
	expect_default("DAXFILE_FLUSH", "", 0, def);
	expect_default("DAXFILE_COPY", "", 0, def);
	expect_default("DAXFILE_EADR", "", 0, def);
	expect_default("DAXFILE_NT_THRESHOLD", "", 0, def);

	/* Unknown: the default, and one line that names the variable. */
	for (size_t i = 0; i < sizeof(flush_bad) / sizeof(flush_bad[0]); i++)
		expect_default("DAXFILE_FLUSH", flush_bad[i], 1, def);
	for (size_t i = 0; i < sizeof(copy_bad) / sizeof(copy_bad[0]); i++)
		expect_default("DAXFILE_COPY", copy_bad[i], 1, def);
	expect_default("DAXFILE_EADR", "yes", 1, def);
	expect_default("DAXFILE_EADR", "2", 1, def);
	expect_default("DAXFILE_NT_THRESHOLD", "-1", 1, def);
	expect_default("DAXFILE_NT_THRESHOLD", "4Q", 1, def);

	/* Known values still force, quietly when the CPU has them. */
	snprintf(forced, sizeof(forced), "clflush %s", strchr(def, ' ') + 1);
	expect_default("DAXFILE_FLUSH", "clflush", 0, forced);
	snprintf(forced, sizeof(forced), "%.*s sse2",
		 (int)(strchr(def, ' ') - def), def);
	expect_default("DAXFILE_COPY", "sse2", 0, forced);
	expect_default("DAXFILE_NT_THRESHOLD", "4K", 0, def);

	unlink(errfile);
	return t_result();
}
