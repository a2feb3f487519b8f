#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What vm/run concludes when the console lost the guest's text: the files
# the guest leaves in the run directory decide.  Drives vm/run's console
# reader directly on made-up consoles, so no boot and no luck is needed.
# VMRUN_UNDER_TEST names another vm/run to judge (an older one, say).
set -u

top=$(cd "$(dirname "$0")/../.." && pwd)
exec python3 - "${VMRUN_UNDER_TEST:-$top/vm/run}" <<'PY'
import importlib.machinery
import importlib.util
import os
import sys
import tempfile
import types

loader = importlib.machinery.SourceFileLoader("vmrun", sys.argv[1])
spec = importlib.util.spec_from_loader("vmrun", loader)
vmrun = importlib.util.module_from_spec(spec)
loader.exec_module(vmrun)
args = types.SimpleNamespace(powercut_on=None, quiet=True, timeout=60)
n = 0
failed = 0


def run(console, files):
    """A Run after QEMU exited: console text seen, guest files left."""
    d = tempfile.mkdtemp()
    for name, text in files.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    r = vmrun.Run(args, os.path.join(d, "console.out"),
                  os.path.join(d, "output.out"), d)
    r.watch_console(console + "\n")
    r.read_guest_files()
    return r


def check(desc, ok):
    global n, failed
    n += 1
    print(f"{'ok' if ok else 'not ok'} {n} - {desc}")
    failed |= not ok


print("1..5")
kernel = "[    1.0] Linux version 6.12\n[    2.0] Run /init as init process"
panic = "[    9.0] Kernel panic - not syncing: daxfile harness test"
r = run(kernel + "\n" + panic, {"phase": "run\n"})
check("a console without phase lines, but a phase file: init ran",
      not r.died_before_init() and r.phase == "run")
r = run(kernel, {})
check("neither: the kernel died before init (booted again)",
      r.died_before_init())
r = run(kernel + "\n[    3.0] daxfile-vm: phase mkfs", {"phase": "mount\n"})
check("the console's phase is the one reported when it has one",
      r.phase == "mkfs")
leak = ("unreferenced object 0xffff888004a1b2c0 (size 64):\n"
        "  comm \"daxctl_static\", pid 212, jiffies 4294901234\n")
r = run(kernel + "\n[    3.0] daxfile-vm: phase run", {"kmemleak": leak})
check("a kmemleak report only in the run directory is a kernel problem",
      any("unreferenced object" in s for s in r.splats))
r = run(kernel + "\n[    3.0] daxfile-vm: phase run\nunreferenced object 0xffff888004a1b2c0 (size 64):",
        {"kmemleak": leak})
check("and is reported once when the console had it too",
      sum("unreferenced object" in s for s in r.splats) == 1)
sys.exit(failed)
PY
