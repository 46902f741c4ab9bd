"""Writing one benchmark script's section of docs/benchmarks.md in place."""

from __future__ import annotations

import re
from pathlib import Path


def write_section(doc: Path, lines: list[str]) -> None:
    """Replace the section of ``doc`` that ``lines`` starts with (its ``## <title>`` heading, up to the next
    ``## `` heading), or append it, so each script rewrites its own section and leaves the others."""
    heading = lines[0]
    text = doc.read_text() if doc.exists() else "# Benchmarks\n"
    section = "\n".join(lines).rstrip() + "\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip() + "\n"
    else:
        text = text.rstrip() + "\n\n" + section
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text(text)
