"""Run every benchmarks/bench_*.py and collect their Markdown into benchmarks/results.md.

`python benchmarks/run_all.py bench_sandbox bench_router` reruns only those and keeps the other
sections of the previous results.md (each section sits between `<!-- bench_x -->` markers).
"""

from __future__ import annotations

import platform
import re
import subprocess
import sys
import time
from pathlib import Path

from r1_core.files import atomic_write_text

HERE = Path(__file__).resolve().parent


START = "<!-- {} -->"
END = "<!-- /{} -->"


def previous_sections(path: Path) -> dict[str, str]:
    """Sections of an earlier results.md by script name, so a partial run keeps the others."""
    if not path.exists():
        return {}
    text = path.read_text()
    found = {}
    for name in re.findall(r"<!-- (bench_\w+) -->", text):
        start, end = START.format(name), END.format(name)
        if end in text:
            found[name] = text[text.index(start) + len(start):text.index(end)].strip("\n")
    return found


def main() -> int:
    only = set(sys.argv[1:])
    earlier = previous_sections(HERE / "results.md") if only else {}
    sections = [
        "# r1 benchmarks\n",
        f"Machine: {platform.machine()}, {__import__('os').cpu_count()} cores, Python "
        f"{platform.python_version()}; written by `make bench` (each section says when it was measured)."
        " Each section compares a baseline and r1 in one process.\n",
    ]
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        if only and script.stem not in only:
            if script.stem in earlier:
                sections.append(f"{START.format(script.stem)}\n{earlier[script.stem]}\n{END.format(script.stem)}\n")
            continue
        print(f"running {script.name} ...", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
        if proc.returncode != 0:
            failed.append(script.name)
            body = f"## {script.stem}\n\nFAILED (exit {proc.returncode}):\n\n```\n{proc.stderr[-2000:]}\n```"
        else:
            body = proc.stdout.strip()
        body += f"\n\n_{script.stem}: measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}_"
        sections.append(f"{START.format(script.stem)}\n{body}\n{END.format(script.stem)}\n")
    atomic_write_text(HERE / "results.md", "\n".join(sections))
    print(f"wrote {HERE / 'results.md'}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
