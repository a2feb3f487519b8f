/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kcounters: the kernel's own counts of the work behind a store, read
 * before and after a phase of daxbench.  Counts, unlike times, are exact
 * under TCG.  Every counter but lock contention is taken for the
 * benchmark's filesystem only (tracepoints filtered on its device,
 * jbd2's and xfs's per-device statistics), whoever does the work: a jbd2
 * commit or an xfs log force done by a kernel thread for the benchmark
 * counts too.  Work is counted when it happens: a commit deferred past
 * the end of a phase is counted in the next one.
 */
#ifndef DAXBENCH_KCOUNTERS_H
#define DAXBENCH_KCOUNTERS_H

#include <stdint.h>
#include <stdio.h>

enum kc_id {
	KC_MINFLT,		/* this process's minor faults (getrusage) */
	KC_PMD_FAULTS,		/* fs_dax:dax_pmd_fault_done, not fallen back */
	KC_PMD_FALLBACKS,	/* fs_dax:dax_pmd_fault_done with FALLBACK */
	KC_PTE_FAULTS,		/* fs_dax:dax_pte_fault_done */
	KC_JBD2_HANDLES,	/* jbd2:jbd2_handle_start */
	KC_JBD2_FAULT_HANDLES,	/* ... of type EXT4_HT_WRITE_PAGE (a fault's) */
	KC_JBD2_TXNS,		/* /proc/fs/jbd2/<dev>/info, transactions */
	KC_XFS_TRANS_ALLOC,	/* xfs:xfs_trans_alloc */
	KC_XFS_TRANS,		/* /sys/fs/xfs/stats/stats: trans, committed */
	KC_XFS_LOG_FORCES,	/* /sys/fs/xfs/stats/stats: log, force */
	KC_LOCK_CONTENTION,	/* lock:contention_begin, system-wide */
	NR_KC
};

/* A value of -1 means "this kernel cannot count it". */
struct kc_snap {
	int64_t v[NR_KC];
};

/*
 * Count for the filesystem holding path: open the tracepoint counters
 * (perf_event_open, one per online CPU; needs root and
 * CONFIG_EVENT_TRACING, which the debug flavour has and the test flavour
 * does not) and find its per-device statistics.  Returns how many
 * tracepoint counters opened (of KC_TRACEPOINTS); the others read -1.
 */
#define KC_TRACEPOINTS	7
int kc_init(const char *path);
void kc_read(struct kc_snap *s);
void kc_delta(const struct kc_snap *before, const struct kc_snap *after,
	      struct kc_snap *d);
/* "\tname..." and "\tvalue..." ("-" for -1) to end a record, newline included. */
void kc_print_names(FILE *f);
void kc_print(FILE *f, const struct kc_snap *d);

#endif
