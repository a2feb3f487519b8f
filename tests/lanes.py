# SPDX-License-Identifier: GPL-2.0
"""How many VMs the test runners (tests/run, tests/fstests/run) boot at a
time.

A TCG guest is one host thread per vCPU, and most of what the suites run
keeps a single vCPU busy, so on 2 host cores two VMs at a time take about
half the wall time of one.  More than 4 buys little: the suites are short
next to the longest one.  DAXFILE_JOBS overrides (1 runs one at a time,
with output streamed as it comes).
"""

import argparse
import os


def lanes_arg(text):
    """A lane count from the command line or DAXFILE_JOBS: 1 or more."""
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: not a positive number")
    return int(text)


def default_lanes():
    env = os.environ.get("DAXFILE_JOBS", "")
    if env:
        try:
            return lanes_arg(env)
        except argparse.ArgumentTypeError as e:
            raise SystemExit(f"DAXFILE_JOBS: {e}")
    # The CPUs this process may run on, not the host's: a container or
    # taskset gets what it was given.
    return max(1, min(4, len(os.sched_getaffinity(0))))
