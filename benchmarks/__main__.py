"""Run every benchmark and write one markdown table of the headline figures.

Usage::

    python -m benchmarks [--quick] [--only NAME ...] [--merge] [--output FILE]

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


_HEADER = ["| benchmark | measure | value | target | met |", "|---|---|---|---|---|"]


def _row(r):
    met = {True: "yes", False: "**no**", None: ""}[r["met"]]
    value = f"{r['value']:.3g}{r['unit']}"
    return f"| {r['benchmark']} | {r['measure']} | {value} | {r['target']} | {met} |"


def _table(rows):
    return "\n".join(_HEADER + [_row(r) for r in rows])


def _merge(old_text, rows, names, note):
    """The table of ``old_text`` with the rows of the benchmarks ``names``
    replaced by ``rows`` (in place of their old rows, else at the end), and
    ``note`` added to the text above the table."""
    lines = old_text.splitlines()
    start = next(
        (i for i, line in enumerate(lines) if line.startswith(_HEADER[0])), len(lines)
    )
    intro = "\n".join(lines[:start]).rstrip()
    fresh = {name: [_row(r) for r in rows if r["benchmark"] == name] for name in names}
    out, placed = [], set()
    for line in lines[start + 2 :]:
        if not line.startswith("| "):
            continue
        bench = line.split("|")[1].strip()
        if bench not in fresh:
            out.append(line)
        elif bench not in placed:
            out.extend(fresh[bench])
            placed.add(bench)
    for name in names:
        if name not in placed:
            out.extend(fresh[name])
    return f"{intro} {note}\n\n" + "\n".join(_HEADER + out) + "\n"


def main(argv=None):
    scripts = _scripts()
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small problem sizes")
    parser.add_argument("--only", nargs="+", choices=sorted(scripts), metavar="NAME")
    parser.add_argument(
        "--output", default=str(HERE / "RESULTS.md"), help="markdown file to write"
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the other benchmarks' rows of the output file and replace "
        "only those of the benchmarks run",
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
    sizes = "quick" if args.quick else "full"
    output = Path(args.output)
    if args.merge and output.exists():
        note = (
            f"The {', '.join(names)} rows were measured again on "
            f"{time.strftime('%Y-%m-%d')} ({sizes} sizes, "
            f"`python -m benchmarks --only {' '.join(names)} --merge`)."
        )
        text = _merge(output.read_text(encoding="utf-8"), rows, names, note)
    else:
        header = (
            f"Benchmarks of skspectra ({sizes} sizes), "
            f"{time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}.\n\n"
        )
        text = header + _table(rows) + "\n"
    output.write_text(text, encoding="utf-8")
    print("\n" + text)
    if failed:
        print(f"benchmarks that failed: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
