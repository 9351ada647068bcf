"""Shared by the benchmarks: cached synthetic data, timed subprocesses, ``fsu run`` output.

Synthetic data lives in ``data/bench/<scale>-seed<seed>`` and is remade only when it is missing
or the generator's source has changed (the same stamp as ``bench_linkage.py``). Measured commands
run as subprocesses under ``/usr/bin/time -v`` so the wall time and peak RSS are the child's own.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
FSU = str(ROOT / ".venv" / "bin" / "fsu") if (ROOT / ".venv" / "bin" / "fsu").exists() else "fsu"
TIME = "/usr/bin/time"


def generator_fingerprint() -> str:
    """A hash of the generator's source: cached data made by another version is redone."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "fsu_dagster" / "synth").glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def window_start(month: str) -> str:
    y, m = map(int, month.split("-"))
    return f"{y - 1 if m < 12 else y}-{(m % 12) + 1:02d}"


def window_months(month: str) -> list[str]:
    y, m = map(int, window_start(month).split("-"))
    out = []
    for _ in range(12):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def ensure_synth(scale: str, seed: int, month: str, data: Path | None = None) -> Path:
    """``data`` when given (used as it is), else the cached ``data/bench/<scale>-seed<seed>``."""
    if data is not None:
        if not (data / "landing").is_dir():
            raise SystemExit(f"{data} has no landing/ folder")
        return data
    out = ROOT / "data" / "bench" / f"{scale}-seed{seed}"
    stamp = out / ".generator"
    fingerprint = generator_fingerprint()
    months = window_months(month)
    complete = all((out / "landing" / m).is_dir() for m in months)
    if complete and stamp.exists() and stamp.read_text() == fingerprint:
        return out
    if out.exists():
        print(f"{out} is missing or was made by another generator: regenerating", flush=True)
        shutil.rmtree(out)
    out.mkdir(parents=True)
    print(f"generating {scale} data (seed {seed}) {months[0]}..{months[-1]} into {out} ...", flush=True)
    started = time.perf_counter()
    code = (
        "import sys; from pathlib import Path; from fsu_dagster.synth import generate; "
        "generate(out=Path(sys.argv[1]), start=sys.argv[2], end=sys.argv[3], scale=sys.argv[4], "
        "seed=int(sys.argv[5]), fmt='csv', progress=False)"
    )
    subprocess.run([PYTHON, "-c", code, str(out), months[0], months[-1], scale, str(seed)], check=True)
    stamp.write_text(fingerprint)
    print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
    return out


@dataclass
class Timed:
    """One measured subprocess."""

    wall: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    returncode: int
    extra: dict = field(default_factory=dict)


_WALL = re.compile(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)")
_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")


def run_timed(cmd: list[str], env: dict[str, str] | None = None, echo: bool = False) -> Timed:
    """Run ``cmd`` under ``/usr/bin/time -v``; wall seconds and peak RSS (MB) of the child."""
    full_env = dict(os.environ, **(env or {}))
    with tempfile.NamedTemporaryFile("r", suffix=".time", delete=False) as tf:
        time_file = tf.name
    started = time.perf_counter()
    proc = subprocess.Popen(
        [TIME, "-v", "-o", time_file, *cmd],
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    lines = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if echo:
            print("    " + line, end="", flush=True)
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    elapsed = time.perf_counter() - started
    report = Path(time_file).read_text()
    os.unlink(time_file)
    wall_match, rss_match = _WALL.search(report), _RSS.search(report)
    wall = elapsed
    if wall_match:
        h, m, s = wall_match.groups()
        wall = int(h or 0) * 3600 + int(m) * 60 + float(s)
    rss = int(rss_match.group(1)) / 1024 if rss_match else float("nan")
    return Timed(wall, rss, "".join(lines), stderr, proc.returncode)


#: ``[ 3/40] sources/avaya_calls      1,500,000 rows    60.1 s`` as ``fsu run`` prints it.
STEP_LINE = re.compile(r"^\[\s*\d+/\d+\]\s+(\S+)(?:\s+\(.*?\))?\s+.*?\s([\d.]+) s\s*$")


def fsu_run_steps(stdout: str) -> list[tuple[str, float]]:
    """(step label, seconds) for every step line of ``fsu run``'s output."""
    steps = []
    for line in stdout.splitlines():
        match = STEP_LINE.match(line.strip())
        if match:
            steps.append((match.group(1), float(match.group(2))))
    return steps


def layer_seconds(steps: list[tuple[str, float]]) -> dict[str, float]:
    """Seconds per layer: sources, identity + stage1, profiles."""
    out = {"sources": 0.0, "identity+stage1": 0.0, "profiles": 0.0}
    for label, seconds in steps:
        layer = label.split("/")[0]
        key = "identity+stage1" if layer in ("identity", "stage1") else layer
        out[key] = out.get(key, 0.0) + seconds
    return {k: round(v, 2) for k, v in out.items()}


def median(values: list[float]) -> float:
    return round(statistics.median(values), 2) if values else float("nan")
