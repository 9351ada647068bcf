"""docs/security.md names a test for each threat: every test it names exists (a rename cannot leave it stale)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "fsu_dagster_tests"
_REF = re.compile(r"`(dashboard/[\w/]+\.py)::(test_\w+)`|`::(test_\w+)`")


def named_tests(text: str) -> list[tuple[str, str]]:
    """(file, test) for each reference; ``::name`` after a full reference means the same file."""
    out, current = [], None
    for m in _REF.finditer(text):
        if m.group(1):
            current, name = m.group(1), m.group(2)
        else:
            name = m.group(3)
        out.append((current, name))
    return out


def test_every_test_named_in_security_md_exists():
    refs = named_tests((ROOT / "docs" / "security.md").read_text(encoding="utf-8"))
    assert len(refs) >= 40
    missing = [(f, n) for f, n in refs if f is None or f"def {n}(" not in (TESTS / f).read_text(encoding="utf-8")]
    assert missing == []


def test_references_are_read_with_the_shorthand():
    assert named_tests("`dashboard/x.py::test_a`, `::test_b`") == [
        ("dashboard/x.py", "test_a"),
        ("dashboard/x.py", "test_b"),
    ]
