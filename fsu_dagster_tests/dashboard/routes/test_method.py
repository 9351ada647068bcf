"""The method page and the static assets: explained ranking, local assets only, no scripts."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest


def test_method_page_explains_the_ranking_and_limits(viewer):
    """Users must have clear information on how the list is made and what it is not (method section 4)."""
    text = viewer.get("/method").text
    for phrase in [
        "Nine totals",
        "Four metrics",
        "top 100",
        "does not predict",
        "No special category data",
        "How to use it",
    ]:
        assert phrase in text


def test_static_css_is_served_without_sign_in(client):
    """The stylesheet comes from the package (no CDN) and is public, like the sign-in page it styles."""
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".w-100 { width: 100%; }" in response.text
    assert "@import" not in response.text and "url(http" not in response.text


@pytest.mark.parametrize("path", ["/", "/method", "/people/none", "/audit"])
def test_pages_load_nothing_from_elsewhere_and_run_no_script(admin, path):
    """Every asset is local and there is no JavaScript: the CSP forbids scripts and other origins."""
    response = admin.get(path)
    html = response.text
    assert "<script" not in html.lower()
    for ref in re.findall(r'<link[^>]+href="([^"]+)"', html):
        assert ref.startswith("/static/")
    assert "script-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_templates_and_static_ship_with_the_package():
    """The package data (templates, stylesheet) is found where the app looks for it."""
    root = files("fsu_dagster.dashboard")
    for name in [
        "templates/base.html",
        "templates/pages/main.html",
        "templates/pages/details.html",
        "templates/pages/login.html",
        "templates/pages/method.html",
        "templates/pages/error.html",
        "static/app.css",
    ]:
        assert root.joinpath(name).is_file(), name
