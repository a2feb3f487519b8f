// SPDX-License-Identifier: GPL-2.0
/*
 * kcounters: see kcounters.h.  Tracepoints are counted with
 * perf_event_open(PERF_TYPE_TRACEPOINT) in counting mode, one event per
 * online CPU, so nothing is sampled and nothing can be lost; the rest
 * comes from the statistics jbd2 and xfs keep anyway.
 */
#include <errno.h>
#include <stdbool.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "kcounters.h"

#define MAX_CPUS	256
/* VM_FAULT_FALLBACK (include/linux/mm_types.h): the PMD fault gave up. */
#define FALLBACK	"result & 0x800"
/* EXT4_HT_WRITE_PAGE (fs/ext4/ext4_jbd2.h): the fault's own handle. */
#define FAULT_HANDLE	"type == 2"

struct tp_counter {
	const char	*event;		/* system/name under tracefs events/ */
	const char	*filter;	/* besides the device, if any */
	bool		any_dev;	/* not filtered on the device */
	enum kc_id	id;
	int		nfd;
	int		fd[MAX_CPUS];
};

/* KC_PMD_FAULTS is all PMD faults less the fallbacks, in kc_read(). */
static struct tp_counter tps[KC_TRACEPOINTS] = {
	{ .id = KC_PMD_FAULTS, .event = "fs_dax/dax_pmd_fault_done" },
	{ .id = KC_PMD_FALLBACKS, .event = "fs_dax/dax_pmd_fault_done",
	  .filter = FALLBACK },
	{ .id = KC_PTE_FAULTS, .event = "fs_dax/dax_pte_fault_done" },
	{ .id = KC_JBD2_HANDLES, .event = "jbd2/jbd2_handle_start" },
	{ .id = KC_JBD2_FAULT_HANDLES, .event = "jbd2/jbd2_handle_start",
	  .filter = FAULT_HANDLE },
	{ .id = KC_XFS_TRANS_ALLOC, .event = "xfs/xfs_trans_alloc" },
	{ .id = KC_LOCK_CONTENTION, .event = "lock/contention_begin",
	  .any_dev = true },
};

static const char *const names[NR_KC] = {
	[KC_MINFLT]		= "minflt",
	[KC_PMD_FAULTS]		= "pmd_faults",
	[KC_PMD_FALLBACKS]	= "pmd_fallbacks",
	[KC_PTE_FAULTS]		= "pte_faults",
	[KC_JBD2_HANDLES]	= "jbd2_handles",
	[KC_JBD2_FAULT_HANDLES]	= "jbd2_fault_handles",
	[KC_JBD2_TXNS]		= "jbd2_transactions",
	[KC_XFS_TRANS_ALLOC]	= "xfs_trans_allocs",
	[KC_XFS_TRANS]		= "xfs_trans_commits",
	[KC_XFS_LOG_FORCES]	= "xfs_log_forces",
	[KC_LOCK_CONTENTION]	= "lock_contentions",
};

/* The filesystem's block device: its name and the kernel's dev_t. */
#define NO_DEV	(~0UL)
static char dev_name[64];
static unsigned long kdev = NO_DEV;
static int cpus[MAX_CPUS], ncpus;

void kc_print_names(FILE *f)
{
	for (int i = 0; i < NR_KC; i++)
		fprintf(f, "\t%s", names[i]);
	fputc('\n', f);
}

void kc_print(FILE *f, const struct kc_snap *d)
{
	for (int i = 0; i < NR_KC; i++) {
		if (d->v[i] < 0)
			fputs("\t-", f);
		else
			fprintf(f, "\t%lld", (long long)d->v[i]);
	}
	fputc('\n', f);
	fflush(f);
}

static const char *events_dir(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing/events",
		"/sys/kernel/debug/tracing/events",
	};

	for (unsigned int i = 0; i < 2; i++)
		if (!access(dirs[i], R_OK))
			return dirs[i];
	/* No udev or systemd in the guest: nobody mounted tracefs. */
	if (!mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) &&
	    !access(dirs[0], R_OK))
		return dirs[0];
	return NULL;
}

/* Online CPUs from sysfs ("0-3,5"): a counter per CPU must cover all. */
static int online_cpus(void)
{
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");
	int a, b, n = 0;
	char sep;

	if (!f)
		return -1;
	while (fscanf(f, "%d", &a) == 1) {
		b = a;
		if (fscanf(f, "%c", &sep) == 1 && sep == '-') {
			if (fscanf(f, "%d", &b) != 1)
				break;
			if (fscanf(f, "%c", &sep) != 1)
				sep = 0;
		}
		for (int c = a; c <= b; c++) {
			if (n == MAX_CPUS) {
				fclose(f);
				fprintf(stderr, "kcounters: more than %d CPUs\n",
					MAX_CPUS);
				exit(1);
			}
			cpus[n++] = c;
		}
		if (sep != ',')
			break;
	}
	fclose(f);
	return n;
}

/* Name the device of path's filesystem ("pmem0"), as jbd2 and xfs do. */
static void find_dev(const char *path)
{
	char uevent[128], line[128];
	struct stat st;
	FILE *f;

	dev_name[0] = 0;
	kdev = NO_DEV;
	if (stat(path, &st))
		return;
	/* The kernel's dev_t, as tracepoints record it: MKDEV(). */
	kdev = ((unsigned long)major(st.st_dev) << 20) | minor(st.st_dev);
	snprintf(uevent, sizeof(uevent), "/sys/dev/block/%u:%u/uevent",
		 major(st.st_dev), minor(st.st_dev));
	f = fopen(uevent, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "DEVNAME=%63s", dev_name) == 1)
			break;
	fclose(f);
}

/* The number at the start of the file at path, read with fmt; -1 if none. */
static long long read_number(const char *path, const char *fmt)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (fscanf(f, fmt, &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static long tp_id(const char *dir, const char *event)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s/id", dir, event);
	return (long)read_number(path, "%lld");
}

static int tp_open(struct tp_counter *t, long id)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (unsigned long long)id,
	};
	char filter[128];

	if (!t->any_dev && kdev == NO_DEV)
		return -1;	/* whose counts, then? */
	if (t->any_dev)
		snprintf(filter, sizeof(filter), "%s", t->filter ? t->filter : "");
	else
		snprintf(filter, sizeof(filter), "dev == %lu%s%s", kdev,
			 t->filter ? " && " : "", t->filter ? t->filter : "");
	for (int i = 0; i < ncpus; i++) {
		int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpus[i],
				      -1, PERF_FLAG_FD_CLOEXEC);

		if (fd < 0)
			goto fail;
		if (filter[0] && ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter)) {
			close(fd);
			goto fail;
		}
		t->fd[t->nfd++] = fd;
	}
	return 0;
fail:
	while (t->nfd)
		close(t->fd[--t->nfd]);
	return -1;
}

int kc_init(const char *path)
{
	const char *dir;
	int opened = 0;

	for (int i = 0; i < KC_TRACEPOINTS; i++)
		while (tps[i].nfd)
			close(tps[i].fd[--tps[i].nfd]);
	find_dev(path);
	ncpus = online_cpus();
	dir = ncpus > 0 ? events_dir() : NULL;
	for (int i = 0; i < KC_TRACEPOINTS && dir; i++) {
		long id = tp_id(dir, tps[i].event);

		if (id >= 0 && !tp_open(&tps[i], id))
			opened++;
	}
	return opened;
}

static int64_t tp_sum(const struct tp_counter *t)
{
	int64_t sum = 0;

	if (!t->nfd)
		return -1;
	for (int i = 0; i < t->nfd; i++) {
		uint64_t v;

		if (read(t->fd[i], &v, sizeof(v)) != sizeof(v))
			return -1;
		sum += (int64_t)v;
	}
	return sum;
}

/* Transactions committed by the filesystem's journal (ext4: "pmem0-8"). */
static int64_t jbd2_txns(void)
{
	char path[128];

	if (!dev_name[0])
		return -1;
	snprintf(path, sizeof(path), "/proc/fs/jbd2/%s-8/info", dev_name);
	return read_number(path, "%lld transactions");
}

/* The filesystem's xfs statistics: commits (sync + async + empty), forces. */
static void xfs_stats(int64_t *trans, int64_t *forces)
{
	unsigned long long a, b, c, d, e;
	char path[128], line[512];
	FILE *f;

	*trans = *forces = -1;
	if (!dev_name[0])
		return;
	snprintf(path, sizeof(path), "/sys/fs/xfs/%s/stats/stats", dev_name);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "trans %llu %llu %llu", &a, &b, &c) == 3)
			*trans = (int64_t)(a + b + c);
		else if (sscanf(line, "log %llu %llu %llu %llu %llu",
				&a, &b, &c, &d, &e) == 5)
			*forces = (int64_t)d;
	}
	fclose(f);
}

void kc_read(struct kc_snap *s)
{
	struct rusage ru;

	for (int i = 0; i < NR_KC; i++)
		s->v[i] = -1;
	for (int i = 0; i < KC_TRACEPOINTS; i++)
		s->v[tps[i].id] = tp_sum(&tps[i]);
	if (s->v[KC_PMD_FAULTS] >= 0 && s->v[KC_PMD_FALLBACKS] >= 0)
		s->v[KC_PMD_FAULTS] -= s->v[KC_PMD_FALLBACKS];
	else
		s->v[KC_PMD_FAULTS] = s->v[KC_PMD_FALLBACKS] = -1;
	s->v[KC_JBD2_TXNS] = jbd2_txns();
	xfs_stats(&s->v[KC_XFS_TRANS], &s->v[KC_XFS_LOG_FORCES]);
	getrusage(RUSAGE_SELF, &ru);
	s->v[KC_MINFLT] = ru.ru_minflt;
}

void kc_delta(const struct kc_snap *before, const struct kc_snap *after,
	      struct kc_snap *d)
{
	for (int i = 0; i < NR_KC; i++)
		d->v[i] = before->v[i] < 0 || after->v[i] < 0 ? -1 :
			  after->v[i] - before->v[i];
}
