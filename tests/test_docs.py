"""The docs' links to code point at lines that exist and hold the code the link names."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINK = re.compile(r'\[([\w.]+):(\d+)\]\(\.\./(src/[\w/]+\.py)#L(\d+) "([^"]+)"\)')


def test_derivation_links_point_at_the_right_lines():
    text = (ROOT / "docs" / "derivation.md").read_text()
    links = LINK.findall(text)
    assert len(links) >= 14
    assert text.count("](../src/") == len(links)  # every link to code has the checked form
    for name, shown, path, line, snippet in links:
        lines = (ROOT / path).read_text().splitlines()
        assert name == pathlib.Path(path).name and shown == line
        assert int(line) <= len(lines), f"{path}#L{line} is past the end of the file"
        assert snippet in lines[int(line) - 1], (
            f"line {line} of {path} no longer holds {snippet!r}: run python3 tools/relink.py"
        )
