# SPDX-License-Identifier: GPL-2.0
"""bench/apps.py: the application comparisons, as tables, expectations
and plots for bench/run: `daxbench applog` ("L" records in vm.tsv and
vm-xfs.tsv) and `daxbench kv` ("V" records, same files).  The times come
from those test-flavour runs; the kernel's work per record comes from
apps-FS-debug.tsv when the debug flavour's counts boot ran them too (its
tracepoints count journal handles and xfs transactions, which the test
flavour can't), and from the timed runs otherwise.

applog: every mode appends the same records, one durable record at a
time; the ratios are records per second against PMDK's libpmemlog, taken
per repetition (the modes interleaved) before the median.  kv: one
libpmemobj program on a static pool and on a fallocated one; ratios are
operations per second, static against fallocated, per phase.
"""

import os
import statistics
from collections import defaultdict

MODES = ["pmlog", "libpmemlog", "libpmemlog_static", "libpmemlog_written",
         "write_fdatasync", "pwrite_prealloc"]
BASE = "libpmemlog"
TITLE = {
    "pmlog": "examples/pmlog on a static file: store + flush, then the tail",
    "libpmemlog": "PMDK libpmemlog: pmemlog_append on its pool (fallocated, "
                  "MAP_SYNC)",
    "libpmemlog_static": "the same libpmemlog pool made over a static file "
                         "(daxfile_create, then pmemlog_create with size 0)",
    "libpmemlog_written": "the same libpmemlog pool made over a zeroed, "
                          "fsynced file (MAP_SYNC on written blocks)",
    "write_fdatasync": "a plain file: write() at its end + fdatasync()",
    "pwrite_prealloc": "a preallocated, written file: pwrite() + fdatasync()",
}
# (counter, title, filesystems it applies to), as counts.PER_FAULT
PER_RECORD = [
    ("minflt", "minor faults", {"ext4", "xfs"}),
    ("pmd_faults", "PMD faults", {"ext4", "xfs"}),
    ("pte_faults", "PTE faults", {"ext4", "xfs"}),
    ("jbd2_handles", "jbd2 handles", {"ext4"}),
    ("jbd2_fault_handles", "jbd2 handles of page faults", {"ext4"}),
    ("jbd2_transactions", "jbd2 commits", {"ext4"}),
    ("xfs_trans_allocs", "xfs transactions", {"xfs"}),
    ("xfs_trans_commits", "xfs commits", {"xfs"}),
    ("xfs_log_forces", "xfs log forces", {"xfs"}),
]


def parse(recs):
    """{(mode, size): [{rep, rate, counters...}]}, and modes not built."""
    cols, out, missing = None, defaultdict(list), set()
    for r in recs:
        if r[0] == "I" and r[1] == "applog_columns":
            cols = r[2:]
        elif r[0] == "I" and r[1] == "applog_not_built":
            missing.add(r[2])
        elif r[0] == "L" and cols and len(r) == len(cols) + 1:
            d = dict(zip(cols, r[1:]))
            n, secs = int(d["records"]), float(d["secs"])
            row = dict(rep=int(d["rep"]), records=n,
                       rate=n / secs if secs else 0.0,
                       setup=float(d.get("setup_secs", "nan")))
            for c in cols[6:]:
                row[c] = None if d.get(c, "-") == "-" else int(d[c])
            out[(d["mode"], int(d["size"]))].append(row)
    return out, missing


def pair_ratio(data, mode, base, key):
    """mode's rate against base's at key (a record size, or a kv phase),
    per repetition: (median, min, max)."""
    b = {x["rep"]: x["rate"] for x in data.get((base, key), [])}
    rs = [x["rate"] / b[x["rep"]] for x in data.get((mode, key), [])
          if b.get(x["rep"])]
    return (statistics.median(rs), min(rs), max(rs)) if rs else None


def ratios(data, mode, size):
    return pair_ratio(data, mode, BASE, size)


def per_record(rows, col):
    vals = [x[col] / x["records"] for x in rows if x.get(col) is not None
            and x["records"]]
    return statistics.median(vals) if vals else None


def apps_tsv_name(fs, flavour):
    """Where a counts boot leaves its applog and kv records."""
    return f"apps-{fs}-{flavour}.tsv"


def counted_source(data, cdata, what):
    """(rows by key, sentence) for the per-record counts: the debug
    flavour's run when there is one, else the timed run's."""
    if cdata:
        n = next((v[0]["records"] for v in cdata.values() if v), 0)
        return cdata, ("Counted in the debug flavour's counts boot "
                       "(tracepoints: handles and transactions), "
                       + (f"{n} {what}, " if what else "")
                       + "one repetition; the ratios are the test flavour's.")
    return data, ("Counted in the timed run (test flavour: no tracepoints, so "
                  "no handle or transaction counts, shown \"-\").")


def fmt_count(x):
    if x is None:
        return "-"
    return "0" if x == 0 else (f"{x:.3f}" if x < 10 else f"{x:.1f}")


def markdown(by_fs, fmt_size, counted=()):
    """by_fs: [(fs, recs)] of the timed runs, counted: [(fs, recs)] of the
    debug flavour's.  Returns (lines, parsed), parsed a list of (fs, data,
    missing, counted data or None)."""
    cby = {fs: parse(recs)[0] for fs, recs in counted}
    parsed = [(fs,) + parse(recs) + (cby.get(fs) or None,) for fs, recs in by_fs]
    parsed = [p for p in parsed if p[1]]
    if not parsed:
        return [], []
    lines = ["## An append log, six ways", "",
             "`daxbench applog`: the same records appended one durable "
             "record at a time (method: bench/README.md). Records per second "
             "relative to libpmemlog (= 1), median [min, max] over "
             "interleaved repetitions, one VM run each (test flavour, TCG); "
             "then the kernel's journal and log work per record, median over "
             "repetitions (\"-\": not counted on that kernel), and the "
             "setup time of a log (creating the file and the pool: "
             "`daxfile_create` writes every block, which is where static-dax "
             "pays for its faults).", ""]
    for fs, data, missing, cdata in parsed:
        sizes = sorted({k[1] for k in data})
        reps = max((len(v) for v in data.values()), default=0)
        recs_n = next((v[0]["records"] for v in data.values() if v), 0)
        lines += [f"**{fs}**, {recs_n} records per log, {reps} repetitions:", "",
                  "| record | " + " | ".join(MODES) + " |",
                  "|---:|" + "---:|" * len(MODES)]
        for size in sizes:
            cells = []
            for m in MODES:
                if m in missing:
                    cells.append("not built")
                    continue
                r = ratios(data, m, size)
                cells.append("n/a" if r is None else
                             f"{r[0]:.2f} [{r[1]:.2f}, {r[2]:.2f}]")
            lines.append(f"| {fmt_size(size)} | " + " | ".join(cells) + " |")
        cols = [c for c in PER_RECORD if fs in c[2]]
        src, said = counted_source(data, cdata, "records per log")
        lines += ["", said, "",
                  "| record | mode | " + " | ".join(t for _, t, _ in cols)
                  + " per record | setup of a log |",
                  "|---:|---|" + "---:|" * (len(cols) + 1)]
        for size in sizes:
            for m in MODES:
                rows = data.get((m, size))
                if rows:
                    setup = statistics.median(x["setup"] for x in rows)
                    lines.append(f"| {fmt_size(size)} | {m} | " + " | ".join(
                        fmt_count(per_record(src.get((m, size), []), c))
                        for c, _, _ in cols) + f" | {setup:.2f} s |")
        lines.append("")
    lines += ["| mode | what an append does |", "|---|---|"] + \
        [f"| `{m}` | {TITLE[m]} |" for m in MODES] + [""]
    return lines, parsed


def zero_work(src, mode, keys, col):
    """'held', 'MISSED' or 'not counted', and the per-record values."""
    vals = [per_record(src.get((mode, k), []), col) for k in keys]
    known = [v for v in vals if v is not None]
    return ("held" if known and all(v == 0 for v in known) else
            "MISSED" if known else "not counted"), vals


def expectations(parsed):
    rows = []
    for fs, data, missing, cdata in parsed:
        sizes = sorted({k[1] for k in data})
        if not sizes:
            continue

        def versus(mode, base, floor, what):
            """An expectation that mode's rate, per repetition against
            base's, is at least floor at every size."""
            if {mode, base} & missing:
                rows.append((what, "not measured (PMDK's libpmemlog not built)"))
                return
            rs = [(s, pair_ratio(data, mode, base, s)) for s in sizes]
            desc = ", ".join(f"{s} B: {r[0]:.2f}x [{r[1]:.2f}, {r[2]:.2f}]" if r
                             else f"{s} B: n/a" for s, r in rs)
            ok = all(r and r[0] >= floor for _, r in rs)
            rows.append((what, ("held" if ok else "MISSED") + f" ({desc})"))

        versus("pmlog", BASE, 1.0,
               f"pmlog on static-dax appends no slower than libpmemlog ({fs})")
        # The stronger baseline: fdatasync on a written file commits nothing.
        versus("pmlog", "pwrite_prealloc", 1.0,
               f"pmlog on static-dax appends no slower than pwrite + fdatasync "
               f"into a preallocated, written file ({fs})")
        # The fair one: one library on written blocks, static against MAP_SYNC.
        versus("libpmemlog_static", "libpmemlog_written", 0.95,
               f"libpmemlog over a static file no slower than over a written "
               f"MAP_SYNC one ({fs}, within 5%: only the mapping differs)")
        src = cdata or data
        for col, what in (("jbd2_transactions" if fs == "ext4" else "xfs_log_forces",
                           "journal commit or log force"),
                          ("jbd2_handles" if fs == "ext4" else "xfs_trans_allocs",
                           "journal handle or transaction")):
            verdict, vals = zero_work(src, "pmlog", sizes, col)
            rows.append((f"pmlog on static-dax: no {what} per record ({fs}, {col})",
                         verdict + " (" + ", ".join(fmt_count(v) for v in vals)
                         + " per record)"))
    return rows


def plot(outdir, parsed, gnuplot):
    if not parsed:
        return
    with open(os.path.join(outdir, "applog.dat"), "w") as f:
        for fs, data, _, _ in parsed:
            f.write(f"# {fs}: size " + " ".join(MODES) + "\n")
            for size in sorted({k[1] for k in data}):
                vals = [ratios(data, m, size) for m in MODES]
                f.write(f"\"{size} B\" " + " ".join(
                    f"{v[0]:.4f}" if v else "0" for v in vals) + "\n")
            f.write("\n\n")
    script = ("set terminal svg size 1000,450 dynamic font 'sans,11'\n"
              "set termoption noenhanced\nset output 'applog.svg'\n"
              f"set multiplot layout 1,{len(parsed)} title 'Append log: records/s "
              "relative to libpmemlog, one VM run each (TCG)'\n"
              "set style data histograms\nset style histogram clustered gap 1\n"
              "set style fill solid 0.7\nset logscale y\nset grid ytics\n"
              "set key top right\nset xlabel 'record size'\n")
    for i, (fs, _, _, _) in enumerate(parsed):
        script += (f"set title '{fs}'\nplot " + ", ".join(
            (f"'applog.dat' index {i} using {j + 2}:xtic(1)" if j == 0 else
             f"'' index {i} using {j + 2}") + f" title '{m}'"
            for j, m in enumerate(MODES)) + "\n")
    gnuplot(outdir, "applog", script + "unset multiplot\n")


def checks(parsed, want_fs, counted_fs=()):
    """counted_fs: the filesystems a debug counts boot ran the log on."""
    out = []
    for fs in want_fs:
        p = next((x for x in parsed if x[0] == fs), None)
        modes = {k[0] for k in p[1]} | p[2] if p else set()
        out.append((f"append-log table on {fs} has every mode (or says not built)",
                    bool(p) and set(MODES) <= modes))
    for fs in counted_fs:
        p = next((x for x in parsed if x[0] == fs), None)
        col = "jbd2_handles" if fs == "ext4" else "xfs_trans_allocs"
        sizes = {k[1] for k in p[1]} if p else set()
        out.append((f"append-log {col} and PMD/PTE faults counted per record on "
                    f"{fs} (debug flavour)",
                    bool(p and p[3]) and all(
                        per_record(p[3].get((m, size), []), c) is not None
                        for m in MODES if m not in p[2] for size in sizes
                        for c in (col, "pmd_faults", "pte_faults"))))
    return out


# ---- kv: libpmemobj on a static pool against a fallocated one ----------

KV_MODES = ["static", "fallocated"]
KV_PHASES = {"load": "load: insert keys until about three quarters of the "
                     "heap is used, a transaction each (the allocator "
                     "touches the pool's fresh pages: first touch)",
             "update": "update: rewrite random values in place, a "
                       "transaction each (steady state)"}


def kv_parse(recs):
    cols, out, missing = None, defaultdict(list), False
    for r in recs:
        if r[0] == "I" and r[1] == "kv_columns":
            cols = r[2:]
        elif r[0] == "I" and r[1] == "kv_not_built":
            missing = True
        elif r[0] == "V" and cols and len(r) == len(cols) + 1:
            d = dict(zip(cols, r[1:]))
            n, secs = int(d["ops"]), float(d["secs"])
            row = dict(rep=int(d["rep"]), records=n, rate=n / secs if secs else 0.0)
            for c in cols[5:]:
                row[c] = None if d.get(c, "-") == "-" else int(d[c])
            out[(d["mode"], d["phase"])].append(row)
    return out, missing


def kv_ratio(data, phase):
    return pair_ratio(data, "static", "fallocated", phase)


def kv_markdown(by_fs, counted=()):
    """As markdown(): parsed is a list of (fs, data, missing, counted data
    or None)."""
    cby = {fs: kv_parse(recs)[0] for fs, recs in counted}
    parsed = [(fs,) + kv_parse(recs) + (cby.get(fs) or None,) for fs, recs in by_fs]
    parsed = [p for p in parsed if p[1] or p[2]]
    if not parsed:
        return [], []
    lines = ["## A key-value store on PMDK: static pool against fallocated", "",
             "`daxbench kv`: one libpmemobj program (a chained hash table, 1 KiB "
             "values) on two pools of the same size: a static file "
             "(`daxfile_create`, then `pmemobj_create` over it) and an ordinary "
             "file that `pmemobj_create` fallocates. Operations per second, "
             "static against fallocated (= 1), median [min, max] over "
             "interleaved repetitions, and per operation: minor faults "
             "(getrusage, DRAM ones included) and the journal or log counts "
             "(ratios: test flavour, TCG).", ""]
    for fs, data, missing, cdata in parsed:
        if missing:
            lines += [f"**{fs}**: not built (no libpmemobj).", ""]
            continue
        cols = [c for c in PER_RECORD if fs in c[2] and c[0] != "minflt"]
        src, said = counted_source(data, cdata, None)
        lines += [f"**{fs}**: {said}", "",
                  "| phase | ops | static vs fallocated | mode | minor faults per op | "
                  + " | ".join(t for _, t, _ in cols) + " per op |",
                  "|---|---:|---:|---|---:|" + "---:|" * len(cols)]
        for ph in KV_PHASES:
            r = kv_ratio(data, ph)
            for m in KV_MODES:
                rows = data.get((m, ph))
                if not rows:
                    continue
                rel = (f"{r[0]:.2f} [{r[1]:.2f}, {r[2]:.2f}]" if r else "n/a") \
                    if m == "static" else "1"
                crows = src.get((m, ph), [])
                lines.append(f"| {ph} | {rows[0]['records']} | {rel} | {m} | "
                             f"{fmt_count(per_record(crows, 'minflt'))} | "
                             + " | ".join(fmt_count(per_record(crows, c))
                                          for c, _, _ in cols) + " |")
        lines.append("")
    lines += [f"- {t}" for t in KV_PHASES.values()] + [""]
    return lines, parsed


def kv_expectations(parsed):
    rows = []
    for fs, data, missing, cdata in parsed:
        if missing:
            continue
        for col, what in (("jbd2_transactions" if fs == "ext4" else "xfs_log_forces",
                           "journal commit or log force"),
                          ("jbd2_handles" if fs == "ext4" else "xfs_trans_allocs",
                           "journal handle or transaction")):
            verdict, vals = zero_work(cdata or data, "static", list(KV_PHASES), col)
            rows.append((f"libpmemobj on a static pool: no {what} per operation "
                         f"({fs}, {col})", verdict + " (" + ", ".join(
                             f"{ph} {fmt_count(v)}" for ph, v in zip(KV_PHASES, vals))
                         + ")"))
        r = kv_ratio(data, "update")
        rows.append((f"libpmemobj steady state on a static pool no slower than on a "
                     f"fallocated one ({fs}, within 5%)",
                     ("held" if r and r[0] >= 0.95 else "MISSED")
                     + (f" ({r[0]:.2f}x [{r[1]:.2f}, {r[2]:.2f}])" if r else " (n/a)")))
    return rows


def kv_checks(parsed, want_fs, counted_fs=()):
    out = []
    for fs in want_fs:
        p = next((x for x in parsed if x[0] == fs), None)
        ok = bool(p) and (p[2] or all((m, ph) in p[1] for m in KV_MODES
                                      for ph in KV_PHASES))
        out.append((f"kv table on {fs} has both pools and phases (or says not built)",
                    ok))
    for fs in counted_fs:
        p = next((x for x in parsed if x[0] == fs), None)
        col = "jbd2_handles" if fs == "ext4" else "xfs_trans_allocs"
        out.append((f"kv {col} counted per operation on {fs} (debug flavour, "
                    "or says not built)",
                    bool(p) and (p[2] or bool(p[3]) and all(
                        per_record(p[3].get((m, ph), []), col) is not None
                        for m in KV_MODES for ph in KV_PHASES))))
    return out
