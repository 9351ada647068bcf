"""The web dashboard of method section 6 (FastAPI + Jinja2, no JavaScript). See docs/dashboard.md."""

from fsu_dagster.dashboard.main import create_app

__all__ = ["create_app"]
