"""The READMEs and the staff guides: every relative link and image resolves to a file of the repository
(and a ``#section`` to one of its headings), and every screen and slip in tests/ui/golden/ is shown in
the guide of its language, so a new screen without a guide entry fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "ui" / "golden"
DOCS = ("README.md", "README.ja.md", "STAFF_GUIDE.md", "STAFF_GUIDE.ja.md")
GUIDE_OF_LANGUAGE = {"ja": "STAFF_GUIDE.ja.md", "en": "STAFF_GUIDE.md"}

CODE = re.compile(r"^```.*?^```|`[^`\n]*`", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def targets(doc: Path) -> list[str]:
    """The targets of the document's Markdown links and images, outside code."""
    return LINK.findall(CODE.sub("", doc.read_text(encoding="utf-8")))


def anchors(doc: Path) -> set[str]:
    """The document's headings as GitHub names their anchors: lower case, punctuation dropped,
    spaces as hyphens, a repeated name numbered."""
    seen: dict[str, int] = {}
    for heading in HEADING.findall(CODE.sub("", doc.read_text(encoding="utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def resolve(doc: Path, target: str) -> tuple[Path, str]:
    """The file a relative link names (the document itself for a bare ``#section``), and its section."""
    path, _, section = unquote(target).partition("#")
    return (doc.parent / path).resolve() if path else doc, section


def linked_files(doc: Path) -> set[Path]:
    return {resolve(doc, target)[0] for target in targets(doc) if not EXTERNAL.match(target)}


@pytest.mark.parametrize("name", DOCS)
def test_every_relative_link_resolves(name: str) -> None:
    doc = ROOT / name
    assert doc.is_file(), f"{name} is missing"
    broken = []
    for target in targets(doc):
        if EXTERNAL.match(target):
            continue
        path, section = resolve(doc, target)
        if not path.is_relative_to(ROOT) or not path.is_file():
            broken.append(f"{target}: no such file in the repository")
        elif section and path.suffix == ".md" and section.lower() not in anchors(path):
            broken.append(f"{target}: {path.name} has no heading #{section}")
    assert not broken, f"{name}: " + "; ".join(broken)


@pytest.mark.parametrize("language", sorted(GUIDE_OF_LANGUAGE))
def test_every_golden_image_is_in_the_guide_of_its_language(language: str) -> None:
    guide = ROOT / GUIDE_OF_LANGUAGE[language]
    linked = {path for path in linked_files(guide) if path.parent == GOLDEN}
    ours = {path for path in GOLDEN.glob("*.png") if path.name.split("-", 1)[0] == language}
    assert ours, f"no {language} golden images in {GOLDEN}"
    missing = sorted(path.name for path in ours - linked)
    assert not missing, f"{guide.name} shows no entry for: {', '.join(missing)}"
    foreign = sorted(path.name for path in linked - ours)
    assert not foreign, f"{guide.name} shows another language's images: {', '.join(foreign)}"


def test_the_link_reader_sees_links_and_images_but_not_code(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text(
        "![a](img/a.png) and [b](b.md#part) and [c](https://example.org)\n"
        "`[d](d.md)`\n```\n[e](e.md)\n```\n## A part\n",
        encoding="utf-8",
    )
    assert targets(doc) == ["img/a.png", "b.md#part", "https://example.org"]
    assert anchors(doc) == {"a-part"}
