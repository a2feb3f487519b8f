// SPDX-License-Identifier: MIT
/*
 * daxfile(1): create, enable, disable, inspect and check static-dax files.
 *
 * Exit status: 0 success; 1 the operation failed; 2 usage error;
 * 3 "check" found the file ineligible for "enable".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "daxfile.h"

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif
#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC		0x58465342
#endif
#define CAP_IMMUTABLE_BIT	9	/* CAP_LINUX_IMMUTABLE */

enum {
	EXIT_OK		= 0,
	EXIT_FAIL	= 1,
	EXIT_USAGE	= 2,
	EXIT_INELIGIBLE	= 3,
};

static const char *prog = "daxfile";


__attribute__((format(printf, 2, 3)))
static int fail(const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s: ", prog, path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

__attribute__((format(printf, 2, 3)))
static int usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s %s: ", prog, cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see '%s %s --help'\n", prog, cmd);
	return EXIT_USAGE;
}

/* getopt_long's view of the option it could not take. */
static int bad_option(const char *cmd, char **argv)
{
	if (optopt)
		return usage_err(cmd, "unknown option '-%c'", optopt);
	return usage_err(cmd, "unknown option '%s'", argv[optind - 1]);
}

/* ---- sizes ------------------------------------------------------- */

static bool parse_align(const char *s, unsigned int *out)
{
	uint64_t v;

	if (daxfile_parse_size(s, &v))
		return false;
	if (v && (v & (v - 1) || v < (uint64_t)getpagesize() ||
		  v > DAXFILE_ALIGN_MAX))
		return false;
	*out = (unsigned int)v;
	return true;
}

/* ---- file facts -------------------------------------------------- */

struct facts {
	struct stat	st;
	int		dax;		/* 1, 0, or -1 unknown */
	const char	*fs;
	char		fsbuf[32];
	int		state;		/* daxctl GET: 1, 0, or -1 */
	int		state_err;	/* errno when state < 0 */
	unsigned int	iflags;		/* FS_IOC_GETFLAGS */
};

static const char *fs_name(long type, char *buf, size_t len)
{
	switch ((unsigned long)type) {
	case EXT4_SUPER_MAGIC:	return "ext4";
	case XFS_SUPER_MAGIC:	return "xfs";
	case TMPFS_MAGIC:	return "tmpfs";
	case BTRFS_SUPER_MAGIC:	return "btrfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	case NFS_SUPER_MAGIC:	return "nfs";
	default:
		snprintf(buf, len, "0x%lx", (unsigned long)type);
		return buf;
	}
}

static int get_facts(int fd, struct facts *f)
{
	struct statx stx;
	struct statfs sfs;
	int fl = 0;

	memset(f, 0, sizeof(*f));
	if (fstat(fd, &f->st))
		return -1;
	f->dax = -1;
	if (!statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) &&
	    (stx.stx_attributes_mask & STATX_ATTR_DAX))
		f->dax = !!(stx.stx_attributes & STATX_ATTR_DAX);
	f->fs = "unknown";
	if (!fstatfs(fd, &sfs))
		f->fs = fs_name((long)sfs.f_type, f->fsbuf, sizeof(f->fsbuf));
	if (S_ISREG(f->st.st_mode) && !ioctl(fd, FS_IOC_GETFLAGS, &fl))
		f->iflags = (unsigned int)fl;
	f->state = daxctl_fd(fd, DAXCTL_F_GET, 0);
	if (f->state < 0)
		f->state_err = errno;
	else
		f->state = !!(f->state & DAXCTL_F_STATIC);
	return 0;
}

static bool has_cap_immutable(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return geteuid() == 0;
	return d[0].effective & (1U << CAP_IMMUTABLE_BIT);
}

/* Largest power of two, up to 1 GiB, that divides every extent. */
struct align_scan {
	uint64_t	best;
};

static int scan_align(const struct daxfile_extent *e, void *arg)
{
	struct align_scan *s = arg;
	uint64_t delta = e->physical - e->offset;

	if (e->problems & ~DAXFILE_EXT_MISALIGNED)
		return 0;
	while (s->best > (uint64_t)getpagesize() && (delta & (s->best - 1)))
		s->best >>= 1;
	return 0;
}

static uint64_t max_align(int fd, uint64_t size)
{
	struct align_scan s = { .best = DAXFILE_ALIGN_MAX };

	if (daxfile_check(fd, 0, scan_align, &s) < 0)
		return 0;
	while (s.best > (uint64_t)getpagesize() && size % s.best)
		s.best >>= 1;
	return s.best;
}

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* ---- create ------------------------------------------------------ */

struct progress {
	const char	*path;
	int		last;
};

static int show_progress(uint64_t done, uint64_t total, void *arg)
{
	struct progress *p = arg;
	int pct = (int)(done * 100 / total);

	if (pct != p->last) {
		fprintf(stderr, "\r%s: creating %s: %3d%% (%" PRIu64 " of %"
			PRIu64 " MiB)", prog, p->path, pct, done >> 20,
			total >> 20);
		p->last = pct;
	}
	return 0;
}

static const char create_help[] =
"Usage: daxfile create PATH SIZE [--align A] [--force] [--keep]\n"
"                      [--require-static] [--quiet]\n"
"Create PATH with SIZE bytes (suffixes K, M, G, T), every extent written\n"
"and aligned to A (default 2M), made durable and static-dax.\n"
"  -a, --align A         extent alignment: 4K to 1G, a power of two\n"
"  -f, --force           replace PATH if it exists\n"
"  -k, --keep            keep a half-made file on failure (for `check`)\n"
"  -s, --require-static  fail unless the file ends up static-dax\n"
"  -q, --quiet           no progress, no summary\n"
"  -h, --help            this help\n";

static int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "align", required_argument, NULL, 'a' },
		{ "force", no_argument, NULL, 'f' },
		{ "keep", no_argument, NULL, 'k' },
		{ "require-static", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daxfile_opts o = { 0 };
	struct progress p = { .last = -1 };
	struct daxfile *df;
	bool quiet = false;
	uint64_t size;
	char a[32], b[32];
	int c;

	while ((c = getopt_long(argc, argv, ":a:fksqh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (!parse_align(optarg, &o.align))
				return usage_err("create",
						 "invalid alignment '%s'",
						 optarg);
			break;
		case 'f': o.flags |= DAXFILE_REPLACE; break;
		case 'k': o.flags |= DAXFILE_KEEP_ON_ERROR; break;
		case 's': o.flags |= DAXFILE_REQUIRE_STATIC; break;
		case 'q': quiet = true; break;
		case 'h': fputs(create_help, stdout); return EXIT_OK;
		case ':':
			return usage_err("create", "'%s' needs a value",
					 argv[optind - 1]);
		default:
			return bad_option("create", argv);
		}
	}
	if (argc - optind != 2)
		return usage_err("create", "expected PATH and SIZE");
	if (daxfile_parse_size(argv[optind + 1], &size) || !size)
		return usage_err("create", "invalid size '%s'",
				 argv[optind + 1]);
	p.path = argv[optind];
	if (!quiet && isatty(STDERR_FILENO) && size >= (64ULL << 20)) {
		o.progress = show_progress;
		o.progress_arg = &p;
	}
	df = daxfile_create(argv[optind], size, &o);
	if (p.last >= 0)
		fputc('\n', stderr);
	if (!df)
		return fail(argv[optind], "%s", daxfile_errmsg());
	if (!quiet)
		printf("%s: %s, align %s, mode %s\n", argv[optind],
		       daxfile_format_size(size, a, sizeof(a)),
		       daxfile_format_size(o.align ? o.align :
					   DAXFILE_ALIGN_DEFAULT, b, sizeof(b)),
		       daxfile_mode_name(daxfile_mode(df)));
	if (daxfile_close(df))
		return fail(argv[optind], "%s", daxfile_errmsg());
	return EXIT_OK;
}

/* ---- enable / disable -------------------------------------------- */

/* After EINVAL from daxctl: find the reason the kernel did not give. */
static void explain_einval(const char *path, unsigned int align)
{
	unsigned int al = align ? align : (unsigned int)getpagesize();
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char a[32];

	if (fd < 0 || fstat(fd, &st)) {
		fail(path, "%s", strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		fail(path, "not a regular file");
	} else if (!st.st_size) {
		fail(path, "the file is empty; create it with `daxfile create`");
	} else if ((uint64_t)st.st_size % al) {
		fail(path, "size %lld is not a multiple of the alignment %s",
		     (long long)st.st_size,
		     daxfile_format_size(al, a, sizeof(a)));
	} else if (daxfile_check(fd, al, NULL, NULL) != 0) {
		fail(path, "%s", daxfile_errmsg());
	} else {
		fail(path, "the kernel refused static-dax although the block map looks eligible; see the kernel log");
	}
	if (fd >= 0)
		close(fd);
}

static const char enable_help[] =
"Usage: daxfile enable PATH [--align A]\n"
"Make PATH static-dax: its block map becomes immutable and durable.\n"
"Needs CAP_LINUX_IMMUTABLE and write access.\n"
"  -a, --align A   require extents aligned to A (4K to 1G); default 4K\n"
"  -h, --help      this help\n";

static const char disable_help[] =
"Usage: daxfile disable PATH\n"
"Drop static-dax from PATH (fails while it is mapped shared writable).\n"
"  -h, --help      this help\n";

static int cmd_enable(int argc, char **argv, bool enable)
{
	static const struct option opts[] = {
		{ "align", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = enable ? "enable" : "disable";
	unsigned int align = 0;
	const char *path;
	int c;

	while ((c = getopt_long(argc, argv, enable ? ":a:h" : ":h", opts,
				NULL)) != -1) {
		switch (c) {
		case 'a':
			if (!enable)
				return usage_err(cmd,
						 "unknown option '--align'");
			if (!parse_align(optarg, &align))
				return usage_err(cmd, "invalid alignment '%s'",
						 optarg);
			break;
		case 'h':
			fputs(enable ? enable_help : disable_help, stdout);
			return EXIT_OK;
		case ':':
			return usage_err(cmd, "'%s' needs a value",
					 argv[optind - 1]);
		default:
			return bad_option(cmd, argv);
		}
	}
	if (argc - optind != 1)
		return usage_err(cmd, "expected PATH");
	path = argv[optind];
	if (!daxctl(path, enable ? DAXCTL_F_STATIC : 0, align))
		return EXIT_OK;
	if (errno == EINVAL && enable) {
		explain_einval(path, align);
		return EXIT_FAIL;
	}
	if (errno == ENOENT || errno == ENOTDIR)
		return fail(path, "%s", strerror(errno));
	return fail(path, "%s", daxfile_errmsg());
}

/* ---- status ------------------------------------------------------ */

static const char status_help[] =
"Usage: daxfile status PATH [--json]\n"
"Show whether PATH is static-dax, its alignment, DAX, filesystem, and\n"
"the mode libdaxfile would use for it.\n"
"  -j, --json   one JSON object on stdout\n"
"  -h, --help   this help\n";

static const char *would_mode(const struct facts *f)
{
	if (f->state == 1)
		return "static";
	if (f->state == 0)
		return f->dax == 0 ? "msync" : "static";
	return f->dax == 1 ? "map_sync" : "msync";
}

static const char *state_str(const struct facts *f)
{
	if (f->state == 1)
		return "yes";
	if (f->state == 0)
		return "no";
	return f->state_err == ENOSYS ? "unknown (kernel has no daxctl)" :
	       f->state_err == EOPNOTSUPP ? "no (not supported here)" :
	       "unknown";
}

static int parse_json_opt(int argc, char **argv, const char *cmd,
			  const char *help, bool *json, unsigned int *align)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "align", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, align ? ":ja:h" : ":jh", opts,
				NULL)) != -1) {
		switch (c) {
		case 'j': *json = true; break;
		case 'a':
			if (!align)
				return usage_err(cmd,
						 "unknown option '--align'");
			if (!parse_align(optarg, align))
				return usage_err(cmd, "invalid alignment '%s'",
						 optarg);
			break;
		case 'h': fputs(help, stdout); return -1;
		case ':':
			return usage_err(cmd, "'%s' needs a value",
					 argv[optind - 1]);
		default:
			return bad_option(cmd, argv);
		}
	}
	if (argc - optind != 1)
		return usage_err(cmd, "expected PATH");
	return 0;
}

static int cmd_status(int argc, char **argv)
{
	bool json = false;
	const char *path;
	struct facts f;
	uint64_t al = 0;
	char a[32];
	int ret, fd;

	ret = parse_json_opt(argc, argv, "status", status_help, &json, NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	path = argv[optind];
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(path, "%s", strerror(errno));
	if (get_facts(fd, &f)) {
		ret = fail(path, "%s", strerror(errno));
		close(fd);
		return ret;
	}
	if (S_ISREG(f.st.st_mode) && f.st.st_size)
		al = max_align(fd, (uint64_t)f.st.st_size);
	close(fd);
	if (json) {
		printf("{\"path\":");
		json_str(path);
		printf(",\"static\":%s,\"dax\":%s,\"filesystem\":",
		       f.state == 1 ? "true" : f.state == 0 ? "false" : "null",
		       f.dax == 1 ? "true" : f.dax == 0 ? "false" : "null");
		json_str(f.fs);
		printf(",\"size\":%lld,\"alignment\":%" PRIu64
		       ",\"mode\":\"%s\"}\n", (long long)f.st.st_size, al,
		       would_mode(&f));
		return EXIT_OK;
	}
	printf("%s:\n", path);
	printf("  static:     %s\n", state_str(&f));
	printf("  alignment:  %s\n",
	       al ? daxfile_format_size(al, a, sizeof(a)) :
	       "unknown (no FIEMAP)");
	printf("  dax:        %s\n", f.dax == 1 ? "yes" : f.dax == 0 ? "no" :
	       "unknown");
	printf("  filesystem: %s\n", f.fs);
	printf("  size:       %lld\n", (long long)f.st.st_size);
	printf("  mode:       %s\n", would_mode(&f));
	return EXIT_OK;
}

/* ---- check ------------------------------------------------------- */

static const char check_help[] =
"Usage: daxfile check PATH [--align A] [--json]\n"
"Report PATH's extents through FIEMAP (holes, unwritten, shared and\n"
"misaligned extents) and whether `daxfile enable` would succeed.\n"
"Exits 0 if it would, 3 if it would not, 1 if PATH cannot be checked.\n"
"  -a, --align A   alignment to check for (4K to 1G); default 4K\n"
"  -j, --json      one JSON object on stdout\n"
"  -h, --help      this help\n";

struct report {
	bool		json;
	unsigned int	n;
};

static void problem_names(unsigned int p, bool json)
{
	static const char *const names[] = {
		"hole", "unwritten", "delalloc", "shared", "not-mapped",
		"misaligned",
	};
	bool first = true;

	for (unsigned int i = 0; i < 6; i++) {
		if (!(p & (1U << i)))
			continue;
		if (json)
			printf("%s\"%s\"", first ? "" : ",", names[i]);
		else
			printf("%s%s", first ? "" : ",", names[i]);
		first = false;
	}
	if (first && !json)
		printf("ok");
}

static int report_extent(const struct daxfile_extent *e, void *arg)
{
	struct report *r = arg;

	if (r->json) {
		printf("%s{\"offset\":%" PRIu64 ",\"length\":%" PRIu64
		       ",\"physical\":%" PRIu64 ",\"problems\":[",
		       r->n ? "," : "", e->offset, e->length, e->physical);
		problem_names(e->problems, true);
		printf("]}");
	} else {
		if (!r->n)
			printf("  %-14s %-14s %-14s %s\n", "OFFSET", "LENGTH",
			       "PHYSICAL", "STATE");
		printf("  0x%-12" PRIx64 " 0x%-12" PRIx64 " ", e->offset,
		       e->length);
		if (e->problems & DAXFILE_EXT_HOLE)
			printf("%-14s ", "-");
		else
			printf("0x%-12" PRIx64 " ", e->physical);
		problem_names(e->problems, false);
		putchar('\n');
	}
	r->n++;
	return 0;
}

#define MAX_REASONS	8

struct verdict {
	const char	*reason[MAX_REASONS];
	char		buf[MAX_REASONS][256];
	unsigned int	n;
};

__attribute__((format(printf, 2, 3)))
static void add_reason(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (v->n == MAX_REASONS)
		return;
	va_start(ap, fmt);
	vsnprintf(v->buf[v->n], sizeof(v->buf[0]), fmt, ap);
	va_end(ap);
	v->reason[v->n] = v->buf[v->n];
	v->n++;
}

/* Everything but the block map: the checks daxctl makes first. */
static void file_verdict(const struct facts *f, unsigned int align,
			 struct verdict *v)
{
	char a[32];

	if (!S_ISREG(f->st.st_mode))
		add_reason(v, "not a regular file");
	else if (!f->st.st_size)
		add_reason(v, "the file is empty");
	else if ((uint64_t)f->st.st_size % align)
		add_reason(v, "size %lld is not a multiple of the alignment %s",
			   (long long)f->st.st_size,
			   daxfile_format_size(align, a, sizeof(a)));
	if (f->dax == 0)
		add_reason(v, "the file is not DAX; mount the filesystem with -o dax");
	if (f->state < 0 && f->state_err == ENOSYS)
		add_reason(v, "the kernel has no daxctl(2)");
	else if (f->state < 0 && f->state_err == EOPNOTSUPP && f->dax != 0)
		add_reason(v, "the filesystem does not support static-dax");
	if (f->iflags & (FS_IMMUTABLE_FL | FS_APPEND_FL))
		add_reason(v, "the file is immutable or append-only (chattr -ia)");
	if (!has_cap_immutable())
		add_reason(v, "enabling needs CAP_LINUX_IMMUTABLE (run as root)");
}

static int cmd_check(int argc, char **argv)
{
	unsigned int align = 0;
	struct report r = { 0 };
	struct verdict v = { .n = 0 };
	const char *path;
	struct facts f;
	char a[32];
	int ret, fd, problems = 0;

	ret = parse_json_opt(argc, argv, "check", check_help, &r.json, &align);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!align)
		align = (unsigned int)getpagesize();
	path = argv[optind];
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(path, "%s", strerror(errno));
	if (get_facts(fd, &f)) {
		ret = fail(path, "%s", strerror(errno));
		close(fd);
		return ret;
	}
	if (r.json) {
		printf("{\"path\":");
		json_str(path);
		printf(",\"size\":%lld,\"align\":%u,\"static\":%s,\"extents\":[",
		       (long long)f.st.st_size, align,
		       f.state == 1 ? "true" : "false");
	} else {
		printf("%s: %lld bytes, %s, %s, checking for %s alignment\n",
		       path, (long long)f.st.st_size, f.fs,
		       f.dax == 1 ? "DAX" : f.dax == 0 ? "not DAX" :
		       "DAX unknown", daxfile_format_size(align, a, sizeof(a)));
	}
	if (S_ISREG(f.st.st_mode)) {
		/* On error or problems, the message says what and where. */
		problems = daxfile_check(fd, align, report_extent, &r);
		if (problems)
			add_reason(&v, "%s", daxfile_errmsg());
	}
	close(fd);
	if (f.state != 1)
		file_verdict(&f, align, &v);
	if (r.json) {
		printf("],\"eligible\":%s,\"reasons\":[",
		       v.n ? "false" : "true");
		for (unsigned int i = 0; i < v.n; i++) {
			if (i)
				putchar(',');
			json_str(v.reason[i]);
		}
		printf("]}\n");
	} else if (f.state == 1 && !v.n) {
		printf("verdict: already static-dax\n");
	} else if (!v.n) {
		printf("verdict: `daxfile enable%s%s` would succeed\n",
		       align > (unsigned int)getpagesize() ? " --align " : "",
		       align > (unsigned int)getpagesize() ?
		       daxfile_format_size(align, a, sizeof(a)) : "");
	} else {
		printf("verdict: enable would fail:\n");
		for (unsigned int i = 0; i < v.n; i++)
			printf("  - %s\n", v.reason[i]);
	}
	return v.n ? EXIT_INELIGIBLE : EXIT_OK;
}

/* ---- main -------------------------------------------------------- */

static const char main_help[] =
"Usage: daxfile COMMAND [OPTIONS] PATH ...\n"
"Manage static-dax files (see daxfile(1)).\n"
"Commands:\n"
"  create PATH SIZE [--align A]  create a static-dax file\n"
"  enable PATH [--align A]       make an existing file static-dax\n"
"  disable PATH                  drop static-dax\n"
"  status PATH [--json]          show state, alignment, DAX, mode\n"
"  check PATH [--align A] [--json]  extent report and verdict\n"
"  help [COMMAND]                this help, or a command's\n"
"Every command takes --help.  Exit status: 0 ok, 1 failed, 2 usage,\n"
"3 check: enable would fail.\n";

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	opterr = 0;
	if (!cmd) {
		fputs(main_help, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
		fputs(main_help, stdout);
		return EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("daxfile %s (flush %s, copy %s)\n",
		       daxfile_version(NULL, NULL, NULL),
		       daxfile_flush_variant(), daxfile_copy_variant());
		return EXIT_OK;
	}
	if (!strcmp(cmd, "help")) {
		if (argc < 3) {
			fputs(main_help, stdout);
			return EXIT_OK;
		}
		argv[1] = argv[2];
		argv[2] = "--help";
		return main(3, argv);
	}
	if (!strcmp(cmd, "create"))
		return cmd_create(argc - 1, argv + 1);
	if (!strcmp(cmd, "enable"))
		return cmd_enable(argc - 1, argv + 1, true);
	if (!strcmp(cmd, "disable"))
		return cmd_enable(argc - 1, argv + 1, false);
	if (!strcmp(cmd, "status"))
		return cmd_status(argc - 1, argv + 1);
	if (!strcmp(cmd, "check"))
		return cmd_check(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'; see '%s --help'\n", prog,
		cmd, prog);
	return EXIT_USAGE;
}
