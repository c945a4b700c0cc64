"""Re-point docs/derivation.md's links to code lines after the code moved.

Each link reads [FILE:LINE](../src/.../FILE#LLINE "SNIPPET"): SNIPPET is text of the line it points
at. This finds the one line of FILE that holds SNIPPET and rewrites both numbers; a snippet found on
no line, or on several, must be edited by hand. tests/test_docs.py checks the result.
Run: python3 tools/relink.py
"""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "derivation.md"
LINK = re.compile(r'\[([\w.]+):(\d+)\]\(\.\./(src/[\w/]+\.py)#L(\d+) "([^"]+)"\)')


def relink(match):
    name, path, snippet = match.group(1), match.group(3), match.group(5)
    hits = [i + 1 for i, line in enumerate((ROOT / path).read_text().splitlines()) if snippet in line]
    if len(hits) != 1:
        raise SystemExit(f"{path}: {len(hits)} lines hold {snippet!r}; edit that link by hand")
    return f'[{name}:{hits[0]}](../{path}#L{hits[0]} "{snippet}")'


if __name__ == "__main__":
    DOC.write_text(LINK.sub(relink, DOC.read_text()))
