"""WCAG 2.2 AA colour contrast of the dashboard's stylesheet (success criteria 1.4.3 and 1.4.11).

The stylesheet is parsed here (rules, ``var()`` from ``:root``, ``#hex`` and ``rgba()``); each text
colour is checked against the background it is drawn on: its own rule's background when it has
one, otherwise the backgrounds listed in ``TEXT_ON`` (every colour-only rule must be listed, so a
new one cannot go unchecked). Text needs 4.5:1 (all text here is normal size); bars, as graphics
that carry the numbers, 3:1 against their track.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import fsu_dagster.dashboard

CSS = Path(fsu_dagster.dashboard.__file__).parent / "static" / "app.css"

RGBA = tuple[float, float, float, float]


def parse_rules(css: str) -> list[tuple[str | None, str, dict[str, str]]]:
    """``(media or None, selector, declarations)`` for every rule, ``@media`` blocks opened."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    out: list[tuple[str | None, str, dict[str, str]]] = []

    def walk(text: str, media: str | None) -> None:
        i = 0
        while (j := text.find("{", i)) >= 0:
            head, depth, k = text[i:j].strip(), 1, j + 1
            while depth:
                depth += {"{": 1, "}": -1}.get(text[k], 0)
                k += 1
            body = text[j + 1 : k - 1]
            if head.startswith("@media"):
                walk(body, head)
            else:
                decls = dict(
                    (name.strip(), value.strip())
                    for name, value in (d.split(":", 1) for d in body.split(";") if ":" in d)
                )
                out.append((media, head, decls))
            i = k

    walk(css, None)
    return out


RULES = [(sel, decls) for media, sel, decls in parse_rules(CSS.read_text(encoding="utf-8")) if media != "@media print"]
BY_SELECTOR = {sel: decls for sel, decls in RULES}
VARIABLES = {k: v for k, v in BY_SELECTOR[":root"].items() if k.startswith("--")}


def colour(value: str) -> RGBA | None:
    """The first colour in a declaration value (``var()`` resolved), or None (``transparent``, none)."""
    value = re.sub(r"var\((--[\w-]+)\)", lambda m: VARIABLES[m.group(1)], value)
    if m := re.search(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", value):
        h = m.group(1) if len(m.group(1)) == 6 else "".join(c * 2 for c in m.group(1))
        return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), 1.0)
    if m := re.search(r"rgba?\(([^)]+)\)", value):
        parts = [float(p) for p in m.group(1).split(",")]
        return (parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else 1.0)
    return None


def over(top: RGBA, bottom: RGBA) -> RGBA:
    a = top[3]
    return (*(a * t + (1 - a) * b for t, b in zip(top[:3], bottom[:3], strict=True)), 1.0)


def luminance(c: RGBA) -> float:
    def channel(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in c[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: RGBA, b: RGBA) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def background(selector: str) -> RGBA:
    """A rule's background, composited over the page when translucent."""
    decls = BY_SELECTOR[selector]
    c = colour(decls.get("background-color") or decls.get("background", ""))
    assert c is not None, f"{selector} has no background colour"
    return c if c[3] == 1 else over(c, background(BACKDROP[selector]))


#: Translucent backgrounds -> the rule whose background shows through.
BACKDROP = {'.mainnav a[aria-current="page"], .mainnav a:hover': ".topbar"}

_ROWS = [".card", "table.data tbody tr:hover", "table.data tbody tr.selected"]
#: Text colour rules with no background of their own -> every rule whose background they appear on.
TEXT_ON = {
    "a": [":root", *_ROWS, ".toc a", ".kpi", ".metric-card.in-top"],
    ".muted, .sub": [":root", *_ROWS, ".kpi", ".metric-card.in-top", "table.data thead th", ".filters"],
    ".brand": [".topbar"],
    ".mainnav a": [".topbar", '.mainnav a[aria-current="page"], .mainnav a:hover'],
    ".btn-quiet": [".topbar"],
    ".footer": [":root"],
    ".error .status": [":root", ".card"],
    ".filter-label": [".filters", ":root"],
    ".count": [":root"],
    ".count strong": [":root"],
    ".top-mark .rank, span.top-mark": [":root", *_ROWS],
    ".kpi-label": [".kpi"],
    "table.trend thead th": [".card"],
    "td.spark .col-value": [".card"],
    "table.data thead th a.sort": ["table.data thead th"],
    "table.data thead th a.sort.active": ["table.data thead th"],
    ".variants .n": [".card"],
}
#: Rules that only dim inherited text: (rule, the rule whose colour they inherit) on TEXT_ON-style backgrounds.
DIMMED = {".brand .force": (".brand", [".topbar"]), ".signout .who": (".topbar", [".topbar"])}


def _text_colour(selector: str) -> RGBA:
    c = colour(BY_SELECTOR[selector]["color"])
    assert c is not None
    return c


def _pairs() -> list[tuple[str, str, RGBA, RGBA]]:
    pairs = []
    for sel, decls in RULES:
        if "color" not in decls:
            continue
        fg = _text_colour(sel)
        own = colour(decls.get("background-color") or decls.get("background", ""))
        if own is not None and own[3] == 1:
            pairs.append((sel, sel, fg, own))
        else:
            for bg_sel in TEXT_ON.get(sel, []):
                pairs.append((sel, bg_sel, fg, background(bg_sel)))
    for sel, (source, backs) in DIMMED.items():
        opacity = float(BY_SELECTOR[sel]["opacity"])
        for bg_sel in backs:
            bg = background(bg_sel)
            pairs.append((sel, bg_sel, over((*_text_colour(source)[:3], opacity), bg), bg))
    return pairs


def test_every_text_colour_without_a_background_is_placed():
    """Each colour-only rule says which backgrounds it sits on (otherwise it would go unchecked)."""
    unplaced = [
        sel
        for sel, decls in RULES
        if "color" in decls
        and not ((c := colour(decls.get("background-color") or decls.get("background", ""))) and c[3] == 1)
        and sel not in TEXT_ON
    ]
    assert unplaced == []
    assert set(TEXT_ON) <= set(BY_SELECTOR) and set(DIMMED) <= set(BY_SELECTOR)
    assert all(sel in BY_SELECTOR and "opacity" in BY_SELECTOR[sel] for sel in DIMMED)


@pytest.mark.parametrize(("text", "on", "fg", "bg"), _pairs(), ids=lambda v: v if isinstance(v, str) else "")
def test_text_contrast_is_at_least_4_5(text, on, fg, bg):
    """WCAG 1.4.3 (AA): 4.5:1 for normal-size text."""
    assert ratio(fg, bg) >= 4.5, f"{text} on {on}: {ratio(fg, bg):.2f}:1"


@pytest.mark.parametrize(("graphic", "on"), [(".bar", ".bar-track"), ("td.spark .col", ".card")])
def test_bars_contrast_is_at_least_3(graphic, on):
    """WCAG 1.4.11 (AA): graphics needed to read the chart, 3:1 against what is next to them."""
    assert ratio(background(graphic), background(on)) >= 3


def test_the_checker_catches_a_low_contrast_pair():
    """The arithmetic itself: WCAG's reference values (black/white 21:1; #777 on white just under 4.5:1)."""
    white, black, grey = colour("#fff"), colour("#000000"), colour("#777777")
    assert white and black and grey
    assert round(ratio(white, black), 2) == 21.0
    assert 4.4 < ratio(grey, white) < 4.5
    assert ratio(colour("#2a6fbb") or white, colour("#e3eefa") or white) < 4.5  # the old count badge (issue 13)
