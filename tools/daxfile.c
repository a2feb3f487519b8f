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
#include "ondisk.h"
#include "mode.h"

/* Until the uapi headers here have them (see daxctl(2)). */
#ifndef DAXCTL_F_GET_ALIGN
#define DAXCTL_F_GET_ALIGN	(1U << 4)
#endif
#ifndef STATX_ATTR_STATIC_DAX
#define STATX_ATTR_STATIC_DAX	0x80000000ULL
#endif

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX		0x00200000
#endif
#ifndef XFS_SUPER_MAGIC
#define XFS_SUPER_MAGIC		0x58465342
#endif
#define CAP_FOWNER_BIT		3	/* CAP_FOWNER */
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
	int		on_disk;	/* kernel keeps the state on disk: 1/0 */
	long		rec_align;	/* alignment recorded, 0, -1 unknown */
	int		feature;	/* fs has the feature bit: 1, 0, -1 */
	char		feature_why[256];	/* when feature < 0 */
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
	/*
	 * A kernel that records the state on disk says so in statx's
	 * attributes mask; an older one keeps it in memory until umount.
	 */
	f->on_disk = !statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx) &&
		     (stx.stx_attributes_mask & STATX_ATTR_STATIC_DAX);
	f->rec_align = f->on_disk ? daxctl_fd(fd, DAXCTL_F_GET_ALIGN, 0) : -1;
	/*
	 * The kernel sets the feature bit in the transaction that records
	 * the first static file, so a static file proves it; otherwise read
	 * the superblock, where it lands only at the journal's checkpoint.
	 */
	if (f->on_disk && f->state == 1)
		f->feature = 1;
	else
		f->feature = ondisk_feature(f->st.st_dev, f->fs,
					    f->feature_why,
					    sizeof(f->feature_why));
	return 0;
}

static bool has_cap(unsigned int bit)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return geteuid() == 0;
	return d[0].effective & (1U << bit);
}

/* Length of the UTF-8 sequence at s, or 0 if it is not valid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;
	unsigned int c;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return n;
}

/*
 * A JSON string.  JSON text is Unicode, and a Linux path is bytes: each
 * byte that is not part of valid UTF-8 becomes U+FFFD, so the output is
 * always valid JSON (the "path_bytes" key then gives the exact bytes).
 */
static bool json_str(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	bool exact = true;

	putchar('"');
	while (*s) {
		size_t n = utf8_len(s);

		if (!n) {
			fputs("\\ufffd", stdout);
			exact = false;
			s++;
		} else if (*s == '"' || *s == '\\') {
			printf("\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			printf("\\u%04x", *s++);
		} else {
			fwrite(s, 1, n, stdout);
			s += n;
		}
	}
	putchar('"');
	return exact;
}

/* "path" and, if it is not UTF-8, "path_bytes": its bytes in hex. */
static void json_path(const char *path)
{
	printf("\"path\":");
	if (json_str(path))
		return;
	printf(",\"path_bytes\":\"");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++)
		printf("%02x", *p);
	putchar('"');
}

/* true, false or null (unknown): every JSON key shares this convention. */
static const char *json_tri(int v)
{
	return v > 0 ? "true" : v == 0 ? "false" : "null";
}

/* ---- create ------------------------------------------------------ */

struct progress {
	const char	*path;
	int		last;
};

/*
 * One line, rewritten in place with \r: it must never wrap, or each
 * update would start a new line.  The path is shortened from the left
 * to fit the terminal's width.
 */
static int show_progress(uint64_t done, uint64_t total, void *arg)
{
	struct progress *p = arg;
	int pct = (int)(done * 100 / total);
	struct winsize ws;
	char tail[64];
	int width = 80, room;
	size_t plen = strlen(p->path);

	if (pct == p->last)
		return 0;
	p->last = pct;
	if (!ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) && ws.ws_col)
		width = ws.ws_col;
	snprintf(tail, sizeof(tail), ": %3d%% (%" PRIu64 "/%" PRIu64 " MiB)",
		 pct, done >> 20, total >> 20);
	/* "daxfile: creating " + path + tail, one column spare. */
	room = width - 1 - (int)strlen(prog) - 11 - (int)strlen(tail);
	fputc('\r', stderr);
	if (room >= 8) {
		if ((int)plen <= room)
			fprintf(stderr, "%s: creating %s%s", prog, p->path,
				tail);
		else
			fprintf(stderr, "%s: creating ...%s%s", prog,
				p->path + plen - (size_t)(room - 3), tail);
	} else {
		fprintf(stderr, "%.*s", width > 6 ? width - 1 : 5,
			tail + 2);
	}
	fputs("\033[K", stderr);	/* clear what a longer line left */
	return 0;
}

static const char create_help[] =
"Usage: daxfile create PATH SIZE [--align A] [--force] [--keep]\n"
"                      [--require-static] [--quiet]\n"
"Create PATH with SIZE bytes (suffixes K, M, G, T), every extent written\n"
"and aligned to A (default 2M), made durable and static-dax.\n"
"  -a, --align A         extent alignment: 4K to 2M (the PMD size), a power of two\n"
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
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail(path, "%s", strerror(errno));
	else if (daxfile_check(fd, align, NULL, NULL) != 0)
		fail(path, "%s", daxfile_errmsg());
	else
		fail(path, "the kernel refused static-dax although the block map looks eligible; see the kernel log");
	if (fd >= 0)
		close(fd);
}

static const char enable_help[] =
"Usage: daxfile enable PATH [--align A] [--fill]\n"
"Make PATH static-dax: its block map becomes immutable and durable.\n"
"Needs CAP_LINUX_IMMUTABLE, ownership (or CAP_FOWNER) and write access.\n"
"  -a, --align A   require extents aligned to A (4K to 2M); default 4K\n"
"  -F, --fill      first write zeroes over holes and unwritten extents\n"
"                  (they read as zeroes: no data changes), then sync\n"
"  -h, --help      this help\n";

static const char disable_help[] =
"Usage: daxfile disable PATH\n"
"Drop static-dax from PATH (fails while it is mapped shared writable).\n"
"  -h, --help      this help\n";

static int cmd_enable(int argc, char **argv, bool enable)
{
	static const struct option opts[] = {
		{ "align", required_argument, NULL, 'a' },
		{ "fill", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = enable ? "enable" : "disable";
	unsigned int align = 0;
	bool fill = false;
	const char *path;
	int c, fd, ret;

	while ((c = getopt_long(argc, argv, enable ? ":a:Fh" : ":h", opts,
				NULL)) != -1) {
		switch (c) {
		case 'F':
			if (!enable)
				return usage_err(cmd,
						 "unknown option '--fill'");
			fill = true;
			break;
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
	if (fill) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return fail(path, "%s", strerror(errno));
		ret = daxfile_fill(fd, align);
		if (ret)
			ret = fail(path, "%s", daxfile_errmsg());
		close(fd);
		return ret;
	}
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

/* ---- status ----------------------------------------------------- */

static const char status_help[] =
"Usage: daxfile status PATH [--json]\n"
"Show whether PATH is static-dax, its alignment, DAX, filesystem, and\n"
"the mode libdaxfile would open it in, and why.\n"
"  guaranteed alignment  what a static file's frozen block map gives\n"
"  layout alignment      what the block map gives now (it may change\n"
"                        until the file is static)\n"
"Exits 0, or 1 if PATH is not a regular file or cannot be read.\n"
"  -j, --json   one JSON object on stdout\n"
"  -h, --help   this help\n";

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

/* Everything about a file that status and check report. */
struct report_file {
	const char	*path;
	struct facts	f;
	bool		map_sync;	/* the kernel does not refuse MAP_SYNC */
	int		layout_ret;	/* daxfile_layout_align() */
	unsigned int	layout;		/* observed layout alignment, or 0 */
	char		layout_why[400];
};

/*
 * The mode daxfile_open(PATH, 0) would end up in, by the library's own
 * rules (see daxfile_open(3)), and why it is not static.
 */
static const char *predict_mode(const struct report_file *r, char *why,
				size_t len)
{
	const struct facts *f = &r->f;

	why[0] = '\0';
	/* As daxfile_open(): a static file is STATIC only where statx says DAX. */
	if (f->dax == 0 || (f->state == 1 && f->dax != 1)) {
		snprintf(why, len, "%s", f->state == 1 ?
			 DAXFILE_WHY_STATIC_NOT_DAX :
			 "the file is not DAX: it lives in the page cache (mount with -o dax)");
		return "msync";
	}
	if (!r->map_sync) {
		snprintf(why, len, "%s", f->state == 1 ?
			 DAXFILE_WHY_STATIC_ASYNC : DAXFILE_WHY_ASYNC);
		return "msync";
	}
	if (f->state == 1)
		return "static";
	if (f->state < 0) {
		snprintf(why, len, "%s", f->state_err == ENOSYS ?
			 "the kernel has no daxctl(2)" :
			 f->state_err == EOPNOTSUPP ?
			 "the filesystem does not support static-dax" :
			 strerror(f->state_err));
		return "map_sync";
	}
	/* Opening a file never enables it: say what `daxfile enable` needs. */
	if (r->layout_ret || !r->layout)
		snprintf(why, len, "not static-dax, and not eligible: %s",
			 r->layout_why);
	else if (f->iflags & (FS_IMMUTABLE_FL | FS_APPEND_FL))
		snprintf(why, len, "not static-dax; the file is immutable or append-only (chattr -ia first)");
	else if (!has_cap(CAP_IMMUTABLE_BIT))
		snprintf(why, len, "not static-dax; `daxfile enable` makes it static once, as a user with CAP_LINUX_IMMUTABLE");
	else if (f->st.st_uid != geteuid() && !has_cap(CAP_FOWNER_BIT))
		snprintf(why, len, "not static-dax; `daxfile enable` needs ownership of the file or CAP_FOWNER");
	else
		snprintf(why, len, "not static-dax; `daxfile enable %s` makes it static%s",
			 r->path, f->on_disk ? " for good" : " until umount");
	return "map_sync";
}

static int gather(const char *path, struct report_file *r)
{
	int fd;

	memset(r, 0, sizeof(*r));
	r->path = path;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(path, "%s", strerror(errno));
	if (get_facts(fd, &r->f)) {
		close(fd);
		return fail(path, "%s", strerror(errno));
	}
	if (!S_ISREG(r->f.st.st_mode)) {
		close(fd);
		return fail(path, "%s", S_ISDIR(r->f.st.st_mode) ?
			    "is a directory, not a regular file" :
			    "not a regular file");
	}
	r->map_sync = !daxfile__map_sync_refused(fd);
	r->layout_ret = daxfile_layout_align(fd, &r->layout);
	if (r->layout_ret || !r->layout)
		snprintf(r->layout_why, sizeof(r->layout_why), "%s",
			 daxfile_errmsg());
	close(fd);
	return 0;
}

/* The keys status and check share, in the same order and convention. */
static void json_common(const struct report_file *r)
{
	putchar('{');
	json_path(r->path);
	printf(",\"size\":%lld,\"filesystem\":", (long long)r->f.st.st_size);
	json_str(r->f.fs);
	printf(",\"dax\":%s,\"static\":%s", json_tri(r->f.dax),
	       json_tri(r->f.state));
}

static int cmd_status(int argc, char **argv)
{
	struct report_file r;
	bool json = false;
	char a[32], why[512];
	const char *mode;
	unsigned int guaranteed;
	int ret;

	ret = parse_json_opt(argc, argv, "status", status_help, &json, NULL);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	ret = gather(argv[optind], &r);
	if (ret)
		return ret;
	mode = predict_mode(&r, why, sizeof(why));
	/* Only a static file's block map is frozen, and its layout with it. */
	guaranteed = r.f.state == 1 && !r.layout_ret ? r.layout : 0;
	if (json) {
		json_common(&r);
		printf(",\"guaranteed_alignment\":");
		guaranteed ? printf("%u", guaranteed) : printf("null");
		printf(",\"layout_alignment\":");
		!r.layout_ret && r.layout ? printf("%u", r.layout) :
			printf("null");
		printf(",\"layout_problem\":");
		r.layout_why[0] ? json_str(r.layout_why) : printf("null");
		printf(",\"on_disk\":%s", r.f.on_disk ? "true" : "false");
		printf(",\"recorded_alignment\":");
		r.f.rec_align > 0 ? printf("%ld", r.f.rec_align) :
			printf("null");
		printf(",\"feature\":%s,\"feature_problem\":",
		       json_tri(r.f.feature));
		r.f.feature < 0 ? json_str(r.f.feature_why) : printf("null");
		printf(",\"mode\":\"%s\",\"mode_reason\":", mode);
		why[0] ? json_str(why) : printf("null");
		printf("}\n");
		return EXIT_OK;
	}
	printf("%s:\n", r.path);
	printf("  static:               %s\n", state_str(&r.f));
	printf("  dax:                  %s\n", r.f.dax == 1 ? "yes" :
	       r.f.dax == 0 ? "no" : "unknown");
	printf("  filesystem:           %s\n", r.f.fs);
	printf("  size:                 %lld\n", (long long)r.f.st.st_size);
	printf("  guaranteed alignment: %s\n", guaranteed ?
	       daxfile_format_size(guaranteed, a, sizeof(a)) :
	       r.f.state == 1 ? "unknown" : "none (not static)");
	if (r.layout_ret)
		printf("  layout alignment:     unknown (%s)\n", r.layout_why);
	else if (r.layout)
		printf("  layout alignment:     %s\n",
		       daxfile_format_size(r.layout, a, sizeof(a)));
	else
		printf("  layout alignment:     none (%s)\n", r.layout_why);
	printf("  kept:                 %s\n", r.f.on_disk ?
	       "on disk (a flag in the inode; every mount and boot sees it)" :
	       "in memory only (this kernel forgets it at umount)");
	if (r.f.rec_align > 0)
		printf("  recorded alignment:   %s\n",
		       daxfile_format_size((uint64_t)r.f.rec_align, a,
					   sizeof(a)));
	if (r.f.feature < 0)
		printf("  fs feature static_dax: unknown (%s)\n",
		       r.f.feature_why);
	else
		printf("  fs feature static_dax: %s\n", r.f.feature ?
		       "set (kernels and fsck without it mount read-only or refuse)" :
		       "not set (no file here was ever made static on disk)");
	printf("  mode:                 %s\n", mode);
	if (why[0])
		printf("  mode reason:          %s\n", why);
	return EXIT_OK;
}

/* ---- check ------------------------------------------------------- */

static const char check_help[] =
"Usage: daxfile check PATH [--align A] [--json]\n"
"Report PATH's extents through FIEMAP (holes, unwritten, shared and\n"
"misaligned runs) and whether `daxfile enable` would succeed.\n"
"Exits 0 if it would, 3 if it would not, 1 if PATH cannot be checked\n"
"(not a regular file, unreadable, or no FIEMAP).\n"
"  -a, --align A   alignment to check for (4K to 2M); default 4K\n"
"  -b, --badblocks instead, list PATH's ranges on bad media (the pmem\n"
"                  device's badblocks list, through FIEMAP); exits 3 if\n"
"                  there are any; see libdaxfile(3) for the repair\n"
"  -j, --json      one JSON object on stdout\n"
"  -h, --help      this help\n";

struct extents {
	struct daxfile_extent	*v;
	size_t			n, cap;
	bool			oom;
};

static int keep_extent(const struct daxfile_extent *e, void *arg)
{
	struct extents *x = arg;

	if (x->n == x->cap) {
		size_t cap = x->cap ? 2 * x->cap : 64;
		void *p = realloc(x->v, cap * sizeof(*x->v));

		if (!p) {
			x->oom = true;
			return 1;
		}
		x->v = p;
		x->cap = cap;
	}
	x->v[x->n++] = *e;
	return 0;
}

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

static void print_extent(const struct daxfile_extent *e, bool json,
			 bool first)
{
	if (json) {
		printf("%s{\"offset\":%" PRIu64 ",\"length\":%" PRIu64
		       ",\"physical\":", first ? "" : ",", e->offset,
		       e->length);
		if (e->problems & DAXFILE_EXT_HOLE)
			printf("null");
		else
			printf("%" PRIu64, e->physical);
		printf(",\"problems\":[");
		problem_names(e->problems, true);
		printf("]}");
		return;
	}
	if (first)
		printf("  %-14s %-14s %-14s %s\n", "OFFSET", "LENGTH",
		       "PHYSICAL", "STATE");
	printf("  0x%-12" PRIx64 " 0x%-12" PRIx64 " ", e->offset, e->length);
	if (e->problems & DAXFILE_EXT_HOLE)
		printf("%-14s ", "-");
	else
		printf("0x%-12" PRIx64 " ", e->physical);
	problem_names(e->problems, false);
	putchar('\n');
}

#define MAX_REASONS	8

struct verdict {
	const char	*reason[MAX_REASONS];
	char		buf[MAX_REASONS][512];
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

/* Everything but the block map and size: daxctl's other conditions. */
static void file_verdict(const struct report_file *r, struct verdict *v)
{
	const struct facts *f = &r->f;

	if (f->dax == 0)
		add_reason(v, "the file is not DAX; mount the filesystem with -o dax");
	else if (!r->map_sync)
		add_reason(v, "the DAX device is asynchronous (e.g. virtio-pmem): the kernel refuses static-dax and MAP_SYNC there");
	if (f->state < 0 && f->state_err == ENOSYS)
		add_reason(v, "the kernel has no daxctl(2)");
	else if (f->state < 0 && f->state_err == EOPNOTSUPP && f->dax != 0)
		add_reason(v, "the filesystem does not support static-dax");
	if (f->iflags & (FS_IMMUTABLE_FL | FS_APPEND_FL))
		add_reason(v, "the file is immutable or append-only (chattr -ia)");
	if (!has_cap(CAP_IMMUTABLE_BIT))
		add_reason(v, "enabling needs CAP_LINUX_IMMUTABLE (run as root)");
	else if (f->st.st_uid != geteuid() && !has_cap(CAP_FOWNER_BIT))
		add_reason(v, "enabling needs ownership of the file or CAP_FOWNER");
	if (access(r->path, W_OK))
		add_reason(v, "enabling needs write access to the file");
}

static int cmd_check(int argc, char **argv)
{
	unsigned int align = 0;
	struct extents x = { 0 };
	struct verdict v = { .n = 0 };
	struct report_file r;
	bool json = false;
	char a[32];
	int ret, fd, problems;

	ret = parse_json_opt(argc, argv, "check", check_help, &json, &align);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!align)
		align = (unsigned int)getpagesize();
	ret = gather(argv[optind], &r);
	if (ret)
		return ret;
	fd = open(r.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(r.path, "%s", strerror(errno));
	/* On problems the message names the first one: what and where. */
	problems = daxfile_check(fd, align, keep_extent, &x);
	close(fd);
	if (problems < 0 || x.oom) {
		free(x.v);
		return fail(r.path, "%s", x.oom ? "out of memory" :
			    daxfile_errmsg());
	}
	if (problems)
		add_reason(&v, "%s", daxfile_errmsg());
	if (r.f.state != 1)
		file_verdict(&r, &v);
	if (json) {
		json_common(&r);
		printf(",\"checked_alignment\":%u,\"extents\":[", align);
		for (size_t i = 0; i < x.n; i++)
			print_extent(&x.v[i], true, !i);
		printf("],\"eligible\":%s,\"reasons\":[",
		       v.n ? "false" : "true");
		for (unsigned int i = 0; i < v.n; i++) {
			if (i)
				putchar(',');
			json_str(v.reason[i]);
		}
		printf("]}\n");
	} else {
		printf("%s: %lld bytes, %s, %s, checking for %s alignment\n",
		       r.path, (long long)r.f.st.st_size, r.f.fs,
		       r.f.dax == 1 ? "DAX" : r.f.dax == 0 ? "not DAX" :
		       "DAX unknown", daxfile_format_size(align, a, sizeof(a)));
		for (size_t i = 0; i < x.n; i++)
			print_extent(&x.v[i], false, !i);
		if (r.f.state == 1 && !v.n)
			printf("verdict: already static-dax\n");
		else if (!v.n)
			printf("verdict: `daxfile enable%s%s` would succeed\n",
			       align > (unsigned int)getpagesize() ?
			       " --align " : "",
			       align > (unsigned int)getpagesize() ?
			       daxfile_format_size(align, a, sizeof(a)) : "");
		else {
			printf("verdict: enable would fail:\n");
			for (unsigned int i = 0; i < v.n; i++)
				printf("  - %s\n", v.reason[i]);
		}
	}
	free(x.v);
	return v.n ? EXIT_INELIGIBLE : EXIT_OK;
}

/* ---- convert ----------------------------------------------------- */

static const char convert_help[] =
"Usage: daxfile convert PATH [--align A] [--require-static] [--quiet]\n"
"Copy PATH into a new file laid out for static-dax (every extent\n"
"written and aligned to A), make it static, and atomically replace PATH\n"
"with it; owner and mode are kept.  A failure at any point leaves PATH\n"
"untouched.  PATH must not be in use: it is refused while another\n"
"process holds its flock (PMDK does on an open pool), and nothing is\n"
"replaced if it is written meanwhile.  Needs free space for a second copy.\n"
"  -a, --align A         4K to 2M; default: the largest power of two up\n"
"                        to 2M that divides PATH's size\n"
"  -s, --require-static  fail unless the copy becomes static-dax\n"
"  -q, --quiet           no progress, no summary\n"
"  -h, --help            this help\n";

static int cmd_convert(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "align", required_argument, NULL, 'a' },
		{ "require-static", no_argument, NULL, 's' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daxfile_opts o = { 0 };
	struct progress p = { .last = -1 };
	struct daxfile *df;
	bool quiet = false;
	struct stat st;
	const char *path;
	int c;

	while ((c = getopt_long(argc, argv, ":a:sqh", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (!parse_align(optarg, &o.align))
				return usage_err("convert",
						 "invalid alignment '%s'",
						 optarg);
			break;
		case 's': o.flags |= DAXFILE_REQUIRE_STATIC; break;
		case 'q': quiet = true; break;
		case 'h': fputs(convert_help, stdout); return EXIT_OK;
		case ':':
			return usage_err("convert", "'%s' needs a value",
					 argv[optind - 1]);
		default:
			return bad_option("convert", argv);
		}
	}
	if (argc - optind != 1)
		return usage_err("convert", "expected PATH");
	path = argv[optind];
	p.path = path;
	if (!quiet && isatty(STDERR_FILENO) && !stat(path, &st) &&
	    st.st_size >= (64LL << 20)) {
		o.progress = show_progress;
		o.progress_arg = &p;
	}
	c = daxfile_convert(path, &o);
	if (p.last >= 0)
		fputc('\n', stderr);
	if (c)
		return fail(path, "%s", daxfile_errmsg());
	if (quiet)
		return EXIT_OK;
	/* Report the mode the converted file opens in, as create does. */
	df = daxfile_open(path, DAXFILE_RDONLY);
	if (!df)
		return fail(path, "converted, but cannot be opened: %s",
			    daxfile_errmsg());
	printf("%s: converted, mode %s\n", path,
	       daxfile_mode_name(daxfile_mode(df)));
	daxfile_close(df);
	return EXIT_OK;
}

/* ---- check --badblocks ------------------------------------------- */

struct bad_report {
	bool		json;
	unsigned int	n;
};

static int report_bad(const struct daxfile_badblock *bb, void *arg)
{
	struct bad_report *r = arg;

	if (r->json)
		printf("%s{\"offset\":%" PRIu64 ",\"length\":%" PRIu64
		       ",\"sector\":%" PRIu64 "}", r->n ? "," : "",
		       bb->offset, bb->length, bb->sector);
	else
		printf("  bad: offset 0x%" PRIx64 ", %" PRIu64
		       " bytes (disk sector %" PRIu64 ")\n", bb->offset,
		       bb->length, bb->sector);
	r->n++;
	return 0;
}

/* Remove the flag from argv's options; true if it was there. */
static bool take_flag(int *argc, char **argv, const char *l, const char *s)
{
	bool found = false, opts = true;
	int j = 1;

	for (int i = 1; i < *argc; i++) {
		if (opts && !strcmp(argv[i], "--"))
			opts = false;
		if (opts && (!strcmp(argv[i], l) || !strcmp(argv[i], s))) {
			found = true;
			continue;
		}
		argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = NULL;
	return found;
}

static int cmd_badblocks(int argc, char **argv)
{
	struct bad_report r = { 0 };
	bool json = false;
	const char *path = NULL;
	int fd, n;

	for (int i = 1, opts = 1; i < argc; i++) {
		if (opts && !strcmp(argv[i], "--"))
			opts = 0;
		else if (opts && (!strcmp(argv[i], "-j") ||
				  !strcmp(argv[i], "--json")))
			json = true;
		else if (opts && (!strcmp(argv[i], "-h") ||
				  !strcmp(argv[i], "--help")))
			return fputs(check_help, stdout), EXIT_OK;
		else if (opts && argv[i][0] == '-' && argv[i][1])
			return usage_err("check",
					 "'%s' does not go with --badblocks",
					 argv[i]);
		else if (path)
			return usage_err("check", "expected PATH");
		else
			path = argv[i];
	}
	if (!path)
		return usage_err("check", "expected PATH");
	r.json = json;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(path, "%s", strerror(errno));
	if (json) {
		printf("{");
		json_path(path);
		printf(",\"badblocks\":[");
	}
	n = daxfile_badblocks(fd, report_bad, &r);
	close(fd);
	if (n < 0) {
		if (json)
			printf("],\"error\":\"%s\"}\n", strerror(errno));
		return fail(path, "%s", daxfile_errmsg());
	}
	if (json)
		printf("],\"count\":%d}\n", n);
	else if (!n)
		printf("%s: no bad blocks\n", path);
	else
		printf("%s: %d range%s on bad media; read them from a copy and rewrite whole pages with pwrite(2), see libdaxfile(3)\n",
		       path, n, n == 1 ? "" : "s");
	return n ? EXIT_INELIGIBLE : EXIT_OK;
}

/* ---- main -------------------------------------------------------- */

static const char main_help[] =
"Usage: daxfile COMMAND [OPTIONS] PATH ...\n"
"Manage static-dax files (see daxfile(1)).\n"
"Commands:\n"
"  create PATH SIZE [--align A]  create a static-dax file\n"
"  enable PATH [--align A] [--fill]  make an existing file static-dax\n"
"  disable PATH                  drop static-dax\n"
"  status PATH [--json]          show state, alignment, DAX, mode\n"
"  check PATH [--align A] [--json]  extent report and verdict\n"
"  convert PATH [--align A]      copy into a static-dax layout, replace\n"
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
	if (!strcmp(cmd, "check")) {
		argc--;
		argv++;
		if (take_flag(&argc, argv, "--badblocks", "-b"))
			return cmd_badblocks(argc, argv);
		return cmd_check(argc, argv);
	}
	if (!strcmp(cmd, "convert"))
		return cmd_convert(argc - 1, argv + 1);
	fprintf(stderr, "%s: unknown command '%s'; see '%s --help'\n", prog,
		cmd, prog);
	return EXIT_USAGE;
}
