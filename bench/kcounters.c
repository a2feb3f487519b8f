// SPDX-License-Identifier: GPL-2.0
/*
 * kcounters: see kcounters.h.  Tracepoints are counted with
 * perf_event_open(PERF_TYPE_TRACEPOINT) in counting mode, one event per
 * online CPU, so nothing is sampled and nothing can be lost; the rest
 * comes from the statistics jbd2 and xfs keep anyway.
 */
#include <errno.h>
#include <glob.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kcounters.h"

#define MAX_CPUS	64
/* VM_FAULT_FALLBACK (include/linux/mm_types.h): the PMD fault gave up. */
#define TP_FALLBACK_FILTER	"result & 0x800"

struct tp_counter {
	const char	*event;		/* system/name under tracefs events/ */
	const char	*filter;
	enum kc_id	id;
	int		nfd;
	int		fd[MAX_CPUS];
};

/* KC_PMD_FAULTS is all PMD faults less the fallbacks, in kc_read(). */
static struct tp_counter tps[] = {
	{ .id = KC_PMD_FAULTS, .event = "fs_dax/dax_pmd_fault_done" },
	{ .id = KC_PMD_FALLBACKS, .event = "fs_dax/dax_pmd_fault_done",
	  .filter = TP_FALLBACK_FILTER },
	{ .id = KC_PTE_FAULTS, .event = "fs_dax/dax_pte_fault_done" },
	{ .id = KC_JBD2_HANDLES, .event = "jbd2/jbd2_handle_start" },
	{ .id = KC_XFS_TRANS_ALLOC, .event = "xfs/xfs_trans_alloc" },
};
#define NR_TPS	(sizeof(tps) / sizeof(tps[0]))

static const char *const names[NR_KC] = {
	[KC_MINFLT]		= "minflt",
	[KC_PMD_FAULTS]		= "pmd_faults",
	[KC_PMD_FALLBACKS]	= "pmd_fallbacks",
	[KC_PTE_FAULTS]		= "pte_faults",
	[KC_JBD2_HANDLES]	= "jbd2_handles",
	[KC_JBD2_TXNS]		= "jbd2_transactions",
	[KC_XFS_TRANS_ALLOC]	= "xfs_trans_allocs",
	[KC_XFS_TRANS]		= "xfs_trans_commits",
	[KC_XFS_LOG_FORCES]	= "xfs_log_forces",
};

const char *kc_name(enum kc_id id)
{
	return names[id];
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

static long tp_id(const char *dir, const char *event)
{
	char path[512];
	long id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/id", dir, event);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &id) != 1)
		id = -1;
	fclose(f);
	return id;
}

static int tp_open(struct tp_counter *t, long id, int ncpus)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.config = (unsigned long long)id,
	};

	for (int cpu = 0; cpu < ncpus && cpu < MAX_CPUS; cpu++) {
		int fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1,
				      PERF_FLAG_FD_CLOEXEC);

		if (fd < 0)
			goto fail;
		if (t->filter &&
		    ioctl(fd, PERF_EVENT_IOC_SET_FILTER, t->filter)) {
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

int kc_init(void)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	const char *dir = events_dir();
	int opened = 0;

	for (unsigned int i = 0; i < NR_TPS && dir; i++) {
		long id = tp_id(dir, tps[i].event);

		if (id >= 0 && !tp_open(&tps[i], id, (int)ncpus))
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

/* Transactions committed, summed over every jbd2 journal. */
static int64_t jbd2_txns(void)
{
	glob_t g;
	int64_t sum = -1;

	if (glob("/proc/fs/jbd2/*/info", 0, NULL, &g))
		return -1;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		long long v;

		if (!f)
			continue;
		if (fscanf(f, "%lld transactions", &v) == 1)
			sum = (sum < 0 ? 0 : sum) + v;
		fclose(f);
	}
	globfree(&g);
	return sum;
}

/* xfs's global statistics: commits (sync + async + empty), log forces. */
static void xfs_stats(int64_t *trans, int64_t *forces)
{
	FILE *f = fopen("/sys/fs/xfs/stats/stats", "r");
	unsigned long long a, b, c, d, e;
	char line[512];

	*trans = *forces = -1;
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
	for (unsigned int i = 0; i < NR_TPS; i++)
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
