# SPDX-License-Identifier: GPL-2.0
"""bench/counts.py: the `daxbench counts` records, as tables and a plot.

bench/run boots each kernel flavour it counts with (the debug flavour,
whose tracepoints count journal handles and DAX faults; with a full run
also the test flavour, for the thread sweep's times) once per filesystem,
and leaves counts-FS-FLAVOUR.tsv in the output directory.  This module
reads them back.  Every figure is a count, exact under TCG, except the
thread sweep's time ratios, which are labelled as such.
"""

import os
from collections import defaultdict

MODES = ["static", "map_sync_written", "map_sync_fallocated",
         "map_sync_sparse", "fsdax_written", "devdax"]
TITLE = {
    "static": "static-dax (daxfile_create: written)",
    "map_sync_written": "MAP_SYNC, written file (zeroed + fsynced)",
    "map_sync_fallocated": "MAP_SYNC, fallocated (unwritten; what pmempool makes)",
    "map_sync_sparse": "MAP_SYNC, sparse file",
    "fsdax_written": "plain fsdax MAP_SHARED, written file",
    "devdax": "device-dax",
}
FSS = ["ext4", "xfs"]
TRACEPOINTS = 7		# KC_TRACEPOINTS in kcounters.h
FLAVOURS = ["debug", "test"]
PHASES = ["first_touch", "refault"]
PHASE_TITLE = {
    "first_touch": "first touch (one store per 4 KiB page of a fresh mapping)",
    "refault": "after writeback (syncfs, then one store per page again)",
}
# (column, title, filesystems it applies to)
PER_FAULT = [
    ("jbd2_fault_handles", "jbd2 handles: the fault's own", {"ext4"}),
    ("jbd2_handles", "jbd2 handles: all", {"ext4"}),
    ("jbd2_transactions", "jbd2 commits", {"ext4"}),
    ("xfs_trans_allocs", "xfs transactions", {"xfs"}),
    ("xfs_trans_commits", "xfs commits", {"xfs"}),
    ("xfs_log_forces", "xfs log forces", {"xfs"}),
]


def tsv_name(fs, flavour):
    return f"counts-{fs}-{flavour}.tsv"


def parse(recs):
    """(info, rows) of one counts tsv; a count it could not take is None."""
    info, cols, rows = defaultdict(list), None, []
    for r in recs:
        if r[0] == "I":
            info[r[1]].append(r[2:])
            if r[1] == "counts_columns":
                cols = r[2:]
        elif r[0] == "K" and cols and len(r) == len(cols) + 1:
            # (a record cut short by a timeout is skipped)
            d = dict(zip(cols, r[1:]))
            row = dict(mode=d["mode"], map=d["map"], phase=d["phase"],
                       threads=int(d["threads"]), bytes=int(d["bytes"]),
                       secs=float(d["secs"]))
            for c in cols[6:]:
                row[c] = None if d.get(c, "-") == "-" else int(d[c])
            rows.append(row)
    return info, rows


def load(outdir):
    """{(fs, flavour): (info, rows)} for the counts tsvs present."""
    out = {}
    for fs in FSS:
        for fl in FLAVOURS:
            path = os.path.join(outdir, tsv_name(fs, fl))
            if os.path.exists(path):
                with open(path) as f:
                    recs = [ln.rstrip("\n").split("\t") for ln in f if ln.strip()]
                out[(fs, fl)] = parse(recs)
    return out


def faults(row):
    """Write faults of a phase: the DAX fault tracepoints where they
    count (fsdax), else minflt (device-dax, or a kernel without them)."""
    pmd, pte = row.get("pmd_faults"), row.get("pte_faults")
    if row["mode"] != "devdax" and pmd is not None and pte is not None:
        return pmd + pte
    return row.get("minflt") or 0


def per_k(row, col):
    n = faults(row)
    v = row.get(col)
    if v is None or not n:
        return None
    return 1000.0 * v / n


def fmt(x):
    if x is None:
        return "-"
    if x == int(x):
        return f"{int(x)}"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def cell(row, col):
    """Per 1,000 faults, with the raw count: "1500 (12)"."""
    v = row.get(col)
    if v is None:
        return "-"
    if not faults(row):
        return f"({v})"
    return f"{fmt(per_k(row, col))} ({v})"


def xfs_trans_col(row):
    """Transactions started where counted (debug), else commits."""
    return "xfs_trans_allocs" if row and row.get("xfs_trans_allocs") is not None \
        else "xfs_trans_commits"


def fault_kind(row):
    """'PMD' / 'PTE' / mixed, and bytes per fault."""
    n = faults(row)
    pmd, pte = row.get("pmd_faults"), row.get("pte_faults")
    if row["mode"] == "devdax" or pmd is None:
        kind = "minflt"
    elif pmd and not pte:
        kind = "PMD"
    elif pte and not pmd:
        kind = "PTE"
    else:
        kind = f"{pmd} PMD + {pte} PTE"
    size = row["bytes"] // n if n else 0
    return kind, size


def pick(data, fs, flavour, mapping="pmd", threads=1):
    info, rows = data.get((fs, flavour), ({}, []))
    return {(r["mode"], r["phase"]): r for r in rows
            if r["map"] == mapping and r["threads"] == threads}


def label(info, fs, flavour):
    kern = (info.get("kernel") or [["?"]])[0][0]
    mnt = (info.get("fs") or [["?", "?"]])[0]
    cpus = (info.get("cpus") or [["?"]])[0][0]
    build = (info.get("build") or [["?", "?", "?"]])[0]
    return (f"{fs}, mounted `{mnt[1] if len(mnt) > 1 else '?'}`, kernel `{kern}` "
            f"({flavour} flavour, series `{build[1]}`, {build[2]} patches), "
            f"{cpus} vCPUs")


def counts_flavour(data, fs):
    """The flavour whose records to use for fs: one whose tracepoints
    counted, else whichever ran."""
    for fl in FLAVOURS:
        info, _ = data.get((fs, fl), ({}, []))
        if info and int((info.get("counts_tracepoints") or [["0"]])[0][0]) > 0:
            return fl
    return next((fl for fl in FLAVOURS if (fs, fl) in data), None)


def table(data, mapping, fmt_size):
    lines = []
    for phase in PHASES:
        lines += [f"**{PHASE_TITLE[phase]}**, {mapping.upper()} mapping, 1 thread, "
                  "per 1,000 write faults:", "",
                  "| fs | file | faults | bytes per fault | "
                  + " | ".join(t for _, t, _ in PER_FAULT) + " |",
                  "|---|---|---:|---:|" + "---:|" * len(PER_FAULT)]
        for fs in FSS:
            got = pick(data, fs, counts_flavour(data, fs), mapping)
            for m in MODES:
                r = got.get((m, phase))
                if not r:
                    continue
                kind, size = fault_kind(r)
                cells = [cell(r, c) if fs in fss else "n/a"
                         for c, _, fss in PER_FAULT]
                nf = (f"{faults(r)} ({kind})" if faults(r) else
                      "0 (no fault: not written back)")
                lines.append(f"| {fs} ({counts_flavour(data, fs)}) | {TITLE[m]} | {nf} | "
                             f"{fmt_size(size) if size else '-'} | "
                             + " | ".join(cells) + " |")
        lines.append("")
    return lines


def steady_line(data):
    nonzero = []
    n = 0
    for fs in FSS:
        _, rows = data.get((fs, counts_flavour(data, fs)), ({}, []))
        for r in rows:
            if r["phase"] != "steady":
                continue
            n += 1
            for c in ("minflt", "pmd_faults", "pte_faults", "jbd2_handles",
                      "jbd2_transactions", "xfs_trans_allocs",
                      "xfs_trans_commits", "xfs_log_forces"):
                if r.get(c):
                    nonzero.append(f"{fs} {r['mode']} {r['map']} {r['threads']} "
                                   f"thr: {c} {r[c]}")
    if not n:
        return []
    if not nonzero:
        return [f"**Steady state** (random 64 B stores + `daxfile_persist`, no "
                f"kernel entry): in all {n} runs (every mode, mapping and thread "
                "count) zero faults, journal handles, commits, xfs transactions "
                "and log forces. Here static-dax and MAP_SYNC are the same.", ""]
    return ["**Steady state** (random 64 B stores + `daxfile_persist`): counts "
            "that were not zero: " + "; ".join(nonzero) + ".", ""]


def sweep(data):
    """Thread sweep: per-fault counts from the counting flavour, time
    ratios against 1 thread from the test flavour when it ran."""
    lines = ["Thread sweep, PMD mappings: counts per 1,000 write faults from the "
             "flavour named in the first column; first-touch time and "
             "steady-state throughput (random 64 B stores + persist, the same "
             "number per thread) against 1 "
             "thread from the test flavour where it ran (else the same), **TCG "
             "figures** (guest vCPUs on a shared two-core host: only a count "
             "that grows with threads is a finding).", "",
             "| fs | file | threads | faults | handles / commits (ext4) or "
             "transactions / log forces (xfs) per 1,000 faults, first touch | "
             "same, after writeback | lock contentions, first touch "
             "(system-wide) | first-touch time vs 1 thread | steady-state "
             "updates/s vs 1 thread |",
             "|---|---|---:|---:|---|---|---:|---:|---:|"]
    rows_out = []
    for fs in FSS:
        cf = counts_flavour(data, fs)
        tf = "test" if (fs, "test") in data else cf
        _, crow = data.get((fs, cf), ({}, []))
        _, trow = data.get((fs, tf), ({}, []))
        thr = sorted({r["threads"] for r in crow if r["map"] == "pmd"})
        def rate(m, t):
            """Steady-state bytes per second at t threads (test flavour)."""
            r = next((r for r in trow if r["mode"] == m and r["map"] == "pmd"
                      and r["phase"] == "steady" and r["threads"] == t), None)
            return r["bytes"] / r["secs"] if r and r.get("bytes") and r["secs"] \
                else None

        for m in MODES:
            t1 = next((r["secs"] for r in trow if r["mode"] == m and r["map"] == "pmd"
                       and r["phase"] == "first_touch" and r["threads"] == 1), None)
            for t in thr:
                ph = {r["phase"]: r for r in crow if r["mode"] == m and
                      r["map"] == "pmd" and r["threads"] == t}
                if "first_touch" not in ph:
                    continue
                tt = next((r["secs"] for r in trow if r["mode"] == m and r["map"] == "pmd"
                           and r["phase"] == "first_touch" and r["threads"] == t), None)
                cols = (("jbd2_handles", "jbd2_transactions") if fs == "ext4"
                        else (xfs_trans_col(ph["first_touch"]), "xfs_log_forces"))

                def pair(r):
                    return " / ".join(fmt(per_k(r, c)) for c in cols) if r else "-"
                rel = f"{tt / t1:.2f}" if tt and t1 else "-"
                s1, st = rate(m, 1), rate(m, t)
                srel = f"{st / s1:.2f}" if s1 and st else "-"
                lc = ph["first_touch"].get("lock_contentions")
                lines.append(f"| {fs} ({cf}) | {m} | {t} | {faults(ph['first_touch'])} | "
                             f"{pair(ph['first_touch'])} | {pair(ph.get('refault'))} | "
                             f"{'-' if lc is None else lc} | {rel} | {srel} |")
                rows_out.append((fs, m, t, tt / t1 if tt and t1 else None,
                                 [per_k(ph["first_touch"], c) for c in cols]))
    return lines + [""], rows_out


def markdown(data, fmt_size):
    """The counts section of results.md, and what the plots need."""
    if not data:
        return [], None
    md = ["## Kernel work per write fault, counted", "",
          "From `daxbench counts` (method: bench/README.md). Each count is "
          "the benchmark filesystem's own over the phase, whoever does the "
          "work: a journal commit or log force a kernel thread does for the "
          "benchmark counts too, and a commit deferred past a phase counts in "
          "the next. Per 1,000 write faults, the raw count in brackets. "
          "\"-\" is a count this kernel could not take; \"n/a\" one that "
          "does not apply to the filesystem. Ran on:", ""]
    for (fs, fl), (info, _) in sorted(data.items()):
        md.append(f"- {label(info, fs, fl)}; tracepoint counters: "
                  f"{(info.get('counts_tracepoints') or [['0']])[0][0]} of "
                  f"{TRACEPOINTS}")
    md.append("")
    md += table(data, "pmd", fmt_size)
    if any(r["map"] == "pte" for _, rows in data.values() for r in rows):
        md += ["The same with PTE mappings (each mapping placed 4 KiB past a "
               "2 MiB boundary, so no PMD fault can be taken; a smaller file):", ""]
        md += table(data, "pte", fmt_size)
    md += steady_line(data)
    sweep_md, sweep_rows = sweep(data)
    md += sweep_md
    return md, sweep_rows


def headline(data):
    """One line each: static-dax against the fair baseline, by count."""
    out = []
    for fs in FSS:
        cf = counts_flavour(data, fs)
        got = pick(data, fs, cf)
        if not got:
            continue
        any_row = next(iter(got.values()))
        cols = (("jbd2_fault_handles", "handles started by the fault"),
                ("jbd2_handles", "handles in all"),
                ("jbd2_transactions", "commits")) \
            if fs == "ext4" else ((xfs_trans_col(any_row),
                                   "transactions" if xfs_trans_col(any_row) ==
                                   "xfs_trans_allocs" else "transaction commits"),
                                  ("xfs_log_forces", "log forces"))
        parts = []
        for m in ("static", "map_sync_written", "map_sync_fallocated"):
            ft, rf = got.get((m, "first_touch")), got.get((m, "refault"))
            if not ft:
                continue
            parts.append(f"{m}: " + ", ".join(
                f"{fmt(per_k(ft, c))} {t}" for c, t in cols)
                + ((f" (after writeback: {fmt(per_k(rf, cols[0][0]))} {cols[0][1]})"
                    if faults(rf) else " (after writeback: no fault, not written "
                    "back)") if rf else ""))
        out.append(f"- **{fs}**, per 1,000 write faults ({cf} flavour, PMD, "
                   "1 thread): " + "; ".join(parts) + ".")
    return out


def expectations(data):
    """(text, verdict) rows for results.md's expectations."""
    rows = []
    for fs in FSS:
        got = pick(data, fs, counts_flavour(data, fs))
        if not got:
            continue
        cols = ("jbd2_handles", "jbd2_transactions") if fs == "ext4" else \
            ("xfs_trans_allocs", "xfs_trans_commits", "xfs_log_forces")
        vals = []
        for ph in PHASES:
            r = got.get(("static", ph))
            if r:
                vals += [(ph, c, r.get(c)) for c in cols]
        if not vals:
            continue
        known = [v for v in vals if v[2] is not None]
        ok = known and all(v[2] == 0 for v in known)
        desc = ", ".join(f"{p} {c} {v if v is not None else '-'}" for p, c, v in vals)
        rows.append((f"a static-dax write fault does no journal or log work ({fs}, "
                     f"{'handles' if fs == 'ext4' else 'transactions'} per fault = 0)",
                     ("held" if ok else ("MISSED" if known else "not counted"))
                     + f" ({desc})"))
    return rows


def plot(outdir, data, sweep_rows, gnuplot):
    """counts.svg: first touch per 1,000 faults, by mode, one panel per fs;
    threads.svg: first-touch time against 1 thread."""
    panels = []
    with open(os.path.join(outdir, "counts.dat"), "w") as f:
        for fs in FSS:
            cf = counts_flavour(data, fs)
            got = pick(data, fs, cf)
            if not got:
                continue
            cols = ("jbd2_handles", "jbd2_transactions") if fs == "ext4" else \
                (xfs_trans_col(next(iter(got.values()))), "xfs_log_forces")
            f.write(f"# {fs}: mode {' '.join(cols)}\n")
            for i, m in enumerate(MODES):
                r = got.get((m, "first_touch"))
                if r:
                    vals = [per_k(r, c) or 0 for c in cols]
                    f.write(f"{i} \"{m}\" " + " ".join(f"{v:.3f}" for v in vals) + "\n")
            f.write("\n\n")
            panels.append((f"{fs} ({cf} flavour)", cols))
    if panels:
        script = ("set terminal svg size 1000,450 dynamic font 'sans,11'\n"
                  "set termoption noenhanced\nset output 'counts.svg'\n"
                  f"set multiplot layout 1,{len(panels)} title 'First touch: kernel "
                  "work per 1,000 write faults (counted, exact)'\n"
                  "set style data histograms\nset style histogram clustered gap 1\n"
                  "set style fill solid 0.7\nset xtics rotate by -30\nset grid ytics\n"
                  "set yrange [0:*]\nset key top left\n")
        for i, (fs, cols) in enumerate(panels):
            script += (f"set title '{fs}'\nplot 'counts.dat' index {i} using 3:xtic(2) "
                       f"title '{cols[0]}', '' index {i} using 4 title '{cols[1]}'\n")
        gnuplot(outdir, "counts", script + "unset multiplot\n")
    pts = [r for r in sweep_rows if r[3] is not None]
    if pts:
        series = defaultdict(list)
        for fs, m, t, rel, _ in pts:
            series[f"{fs} {m}"].append((t, rel))
        names = sorted(series)
        with open(os.path.join(outdir, "threads.dat"), "w") as f:
            for n in names:
                f.write(f"# {n}\n")
                for t, rel in sorted(series[n]):
                    f.write(f"{t} {rel:.4f}\n")
                f.write("\n\n")
        plot_s = ", ".join(f"'threads.dat' index {i} using 1:2 with linespoints "
                           f"title '{n}'" for i, n in enumerate(names))
        gnuplot(outdir, "threads", "set terminal svg size 800,500 dynamic font 'sans,11'\n"
                "set termoption noenhanced\nset output 'threads.svg'\n"
                "set grid\nset xlabel 'threads (one 2 MiB-aligned share each)'\n"
                "set ylabel 'first-touch time / 1 thread (TCG)'\nset xtics 1\n"
                "set title 'Thread sweep: first touch of the whole file'\n"
                "set key outside right\n"
                f"plot 1 with lines dt 2 lc rgb 'black' notitle, {plot_s}\n")


def checks(data, outdir, boots):
    """TAP checks for --check: tables produced, not thresholds.  boots:
    the (fs, flavour) pairs that ran."""
    out = []
    for fs, fl in boots:
        _, rows = data.get((fs, fl), ({}, []))
        modes = {r["mode"] for r in rows}
        want = set(MODES) - ({"devdax"} if fs == "xfs" else set())
        out.append((f"counts on {fs} ({fl} flavour) have every mode", want <= modes))
        phases = {(r["mode"], r["phase"]) for r in rows}
        out.append((f"counts on {fs} ({fl} flavour) have every phase",
                    all((m, p) in phases for m in want
                        for p in PHASES + ["steady"] +
                        ([] if m == "devdax" else ["writeback"]))))
    tp = [int((info.get("counts_tracepoints") or [["0"]])[0][0])
          for (fs, fl), (info, _) in data.items() if fl == "debug"]
    out.append(("counts include the tracepoint counters (handles, PMD/PTE)",
                bool(tp) and all(n == TRACEPOINTS for n in tp)))
    out.append(("counts plot written", os.path.exists(os.path.join(outdir, "counts.svg"))))
    return out
