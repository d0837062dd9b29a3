"""Run every benchmark and write one markdown table of the headline figures.

Usage::

    python -m benchmarks [--quick] [--only NAME ...] [--output FILE]

Each ``benchmarks/bench_<name>.py`` runs in its own process (so that peak
memory and thread pools do not leak between them); their headline figures are
gathered through :mod:`benchmarks._record` into one table.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _scripts():
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def _table(rows):
    lines = [
        "| benchmark | measure | value | target | met |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        met = {True: "yes", False: "**no**", None: ""}[r["met"]]
        value = f"{r['value']:.3g}{r['unit']}"
        lines.append(
            f"| {r['benchmark']} | {r['measure']} | {value} | {r['target']} | {met} |"
        )
    return "\n".join(lines)


def main(argv=None):
    scripts = _scripts()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small problem sizes")
    parser.add_argument("--only", nargs="+", choices=sorted(scripts), metavar="NAME")
    parser.add_argument(
        "--output", default=str(HERE / "RESULTS.md"), help="markdown file to write"
    )
    args = parser.parse_args(argv)
    names = args.only or sorted(scripts)
    with tempfile.TemporaryDirectory() as tmp:
        record_file = Path(tmp) / "record.jsonl"
        env = {**os.environ, "SKSPECTRA_BENCH_RECORD": str(record_file)}
        failed = []
        for name in names:
            cmd = [sys.executable, str(scripts[name])] + (
                ["--quick"] if args.quick else []
            )
            print(f"\n===== {name}: {' '.join(cmd[1:])}", flush=True)
            start = time.perf_counter()
            rc = subprocess.call(cmd, env=env, cwd=HERE.parent)
            print(f"===== {name}: exit {rc}, {time.perf_counter() - start:.0f} s")
            if rc:
                failed.append(name)
        rows = []
        if record_file.exists():
            rows = [json.loads(line) for line in record_file.read_text().splitlines()]
    header = (
        f"Benchmarks of skspectra ({'quick' if args.quick else 'full'} sizes), "
        f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}.\n\n"
    )
    text = header + _table(rows) + "\n"
    Path(args.output).write_text(text, encoding="utf-8")
    print("\n" + text)
    if failed:
        print(f"benchmarks that failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
