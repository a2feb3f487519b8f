# SPDX-License-Identifier: GPL-2.0
"""How many VMs the test runners boot at a time.

A TCG guest is one host thread per vCPU, and most of what the suites run
keeps a single vCPU busy, so on 2 host cores two VMs at a time take about
half the wall time of one.  More than 4 buys little: the suites are short
next to the longest one.  DAXFILE_JOBS overrides (1 runs one at a time,
with output streamed as it comes).
"""

import os


def default_lanes():
    env = os.environ.get("DAXFILE_JOBS", "")
    if env:
        if not env.isdigit() or int(env) < 1:
            raise SystemExit(f"DAXFILE_JOBS={env}: not a positive number")
        return int(env)
    return max(1, min(4, os.cpu_count() or 1))
