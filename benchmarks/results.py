"""Write one generated block of benchmarks/RESULTS.md, keeping everything else in the file.

Each benchmark owns a block between ``<!-- begin NAME -->`` and ``<!-- end NAME -->``; text outside
the blocks (the analysis written by hand) stays as it is. A block not yet in the file goes at the
end. ``python results.py NAME FILE`` puts FILE's markdown into block NAME (for bench_import.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

DEFAULT = Path(__file__).with_name("RESULTS.md")


def replace_block(path: Path, name: str, lines: list[str]) -> None:
    """Make block `name` of the markdown file hold `lines`."""
    begin, end = f"<!-- begin {name} (generated: make bench) -->", f"<!-- end {name} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    block = "\n".join([begin, *lines, end])
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    name, source = sys.argv[1], Path(sys.argv[2])
    out = Path(sys.argv[3]) if len(sys.argv) > 3 else DEFAULT
    replace_block(out, name, source.read_text(encoding="utf-8").rstrip("\n").splitlines())


if __name__ == "__main__":
    main()
