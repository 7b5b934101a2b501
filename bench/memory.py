"""Peak memory of this process, for the benches that run a job alone in a child process.

`VmHWM` from /proc/self/status is the peak resident size of this process's own memory since
it started (exec). `getrusage(...).ru_maxrss` is not: Linux carries the parent's peak over
fork and exec, so a child of a large parent would report the parent's size.
"""

from pathlib import Path


def peak_mb() -> float:
    """This process's peak resident memory, in MB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (not Linux?)")
