"""Run every benchmarks/bench_*.py and collect their Markdown into benchmarks/results.md."""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

from r1_core.files import atomic_write_text

HERE = Path(__file__).resolve().parent


def main() -> int:
    only = set(sys.argv[1:])
    sections = [
        "# r1 benchmarks\n",
        f"Machine: {platform.machine()}, {__import__('os').cpu_count()} cores, Python "
        f"{platform.python_version()}; generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
        " by `make bench`. Each section compares a baseline and r1 in one process.\n",
    ]
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if only and script.stem not in only:
            continue
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        if proc.returncode != 0:
            failed.append(script.name)
            sections.append(f"## {script.stem}\n\nFAILED (exit {proc.returncode}):\n\n```\n"
                            f"{proc.stderr[-2000:]}\n```\n")
        else:
            sections.append(proc.stdout.strip() + "\n")
    atomic_write_text(HERE / "results.md", "\n".join(sections))
    print(f"wrote {HERE / 'results.md'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
