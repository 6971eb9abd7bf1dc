"""What the benchmarks were measured on, shared by bench/run.py and bench/ingest.py."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent


def _first_value(path: str, key: str) -> str | None:
    """The value of the first `key: value` line of a /proc file, if there is one."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    """The `model name` line of /proc/cpuinfo, or the platform's processor string."""
    return _first_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown"


def ram_gib() -> str:
    """Total RAM from /proc/meminfo, in GiB."""
    memory = _first_value("/proc/meminfo", "MemTotal")
    return f"{int(memory.split()[0]) / 2**20:.1f} GiB" if memory else "unknown"


def cores() -> str:
    """Logical CPUs, those this process may use, and the size of Polars' thread pool."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{os.cpu_count()} logical ({usable} usable), Polars pool {pl.thread_pool_size()}"


def revision() -> str:
    """`git describe --always --dirty` of the working tree, if git is there."""
    try:
        found = subprocess.run(
            ["git", "describe", "--always", "--dirty"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return found.stdout.strip()


def machine(extra: dict[str, str] | None = None) -> dict[str, str]:
    """What the figures were measured on; `extra` (versions of what a benchmark uses besides
    Polars) goes before the project's own version."""
    return {
        "CPU": cpu_model(),
        "Cores": cores(),
        "RAM": ram_gib(),
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Polars": pl.__version__,
        **(extra or {}),
        "socialcredit": f"{version('socialcredit')} ({revision()})",
        "Date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
