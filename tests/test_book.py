"""The book and the package point at each other: every term names a section the book has."""

import glob
import json
import re
from pathlib import Path

from everybyte import _generated

ROOT = Path(__file__).resolve().parents[1]


def _labels() -> set[str]:
    labels = set()
    for path in glob.glob(str(ROOT / "notebooks" / "*.ipynb")) + glob.glob(str(ROOT / "book" / "*.ipynb")):
        for cell in json.loads(Path(path).read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "markdown":
                labels |= set(re.findall(r"^\(([A-Za-z0-9_-]+)\)=\s*$", "".join(cell["source"]), re.M))
    for path in glob.glob(str(ROOT / "book" / "*.md")):
        labels |= set(re.findall(r"^\(([A-Za-z0-9_-]+)\)=\s*$", Path(path).read_text(encoding="utf-8"), re.M))
    return labels


def test_every_term_names_a_section_of_the_book():
    labels = _labels()
    sections = {meta[4] for terms in _generated.TERMS.values() for meta in terms}
    assert "" not in sections
    missing = sorted(sections - labels)
    assert not missing, f"terms point at sections the book does not label: {missing}"
