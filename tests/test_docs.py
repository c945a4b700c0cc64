"""The docs' links to code point at lines that exist and say what the link claims."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[([^\]]*?) \(([^)]+)\)\]\(\.\./(src/[\w/]+\.py)#L(\d+)\)")


def test_derivation_links_point_at_the_right_lines():
    text = (ROOT / "docs" / "derivation.md").read_text()
    links = LINK.findall(text)
    assert len(links) >= 12
    for label, marker, path, line in links:
        lines = (ROOT / path).read_text().splitlines()
        assert int(line) <= len(lines), f"{path}#L{line} is past the end of the file"
        assert marker in lines[int(line) - 1], f"{label}: line {line} of {path} does not contain {marker!r}"
        assert label.split(":")[0] == pathlib.Path(path).name and label.split(":")[1] == line
