"""The ``fsu`` command line: ``fsu synth``, ``fsu run``."""

from __future__ import annotations

import enum
from pathlib import Path

import typer

app = typer.Typer(help="Frequent service users: synthetic data, pipeline runs.", no_args_is_help=True)


class Scale(str, enum.Enum):
    tiny = "tiny"
    small = "small"
    force = "force"
    met = "met"


class Format(str, enum.Enum):
    csv = "csv"
    parquet = "parquet"


@app.command()
def synth(
    out: Path = typer.Option(Path("data"), "--out", help="Folder to write landing/ and truth/ into."),
    start: str = typer.Option(..., "--start", help="First landing month, YYYY-MM."),
    end: str = typer.Option(..., "--end", help="Last landing month, YYYY-MM."),
    scale: Scale = typer.Option(Scale.small, "--scale", help="tiny (tests), small (demo), force (West Midlands volume), met (3x force)."),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same files."),
    fmt: Format = typer.Option(Format.csv, "--format", help="Landing file format."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Write seeded synthetic landing extracts (and their ground truth) per the data contract."""
    from fsu_dagster.synth import generate

    summary = generate(out=out, start=start, end=end, scale=scale.value, seed=seed, fmt=fmt.value, progress=progress)
    typer.echo(summary)


class LinkMode(str, enum.Enum):
    exact = "exact"
    fuzzy = "fuzzy"


@app.command()
def run(
    month: str = typer.Option(..., "--month", help="Window month M (YYYY-MM): the twelve months ending M."),
    link_mode: LinkMode | None = typer.Option(
        None, "--link-mode", help="How ControlWorks people are linked (default: the config's link_mode)."
    ),
) -> None:
    """Load the window's twelve landing months and materialise every rolling hop for month M.

    Reads FSU_DATA_DIR (landing area) and FSU_WAREHOUSE (DuckDB file); prints progress per
    asset; exits 1 naming the failing asset and reason.
    """
    from fsu_dagster.runner import PipelineFailed, run_month
    from fsu_dagster.settings import load_settings

    overrides = {"link_mode": link_mode.value} if link_mode is not None else {}
    settings = load_settings(**overrides)
    typer.echo(f"Landing area: {settings.landing_dir}   warehouse: {settings.warehouse}   link mode: {settings.link_mode}")
    try:
        run_month(month, echo=typer.echo, settings=settings)
    except PipelineFailed as exc:
        typer.echo(f"FAILED at {exc.asset}: {exc.reason}", err=True)
        raise typer.Exit(1)
    from fsu_dagster.runner import cohort_summary

    typer.echo(cohort_summary(settings.warehouse, month))
    typer.echo(f"Warehouse: {settings.warehouse} (DuckDB, schema fsu)")


@app.command("accept-volume")
def accept_volume(
    extract: str = typer.Option(..., "--extract", help="Extract name, e.g. connect_custody."),
    month: str = typer.Option(..., "--month", help="Landing month (YYYY-MM) whose volume is accepted."),
    reason: str = typer.Option(..., "--reason", help="Why this month's row count is right (recorded)."),
) -> None:
    """Accept a landing month whose row count the volume guard refused (recorded in fsu.volume_acceptances).

    Rerun `fsu run` afterwards: the volume check then passes for that month, with a note.
    """
    from fsu_dagster.settings import load_settings
    from fsu_dagster.volume import record_acceptance

    settings = load_settings()
    try:
        text = record_acceptance(settings.warehouse, extract, month, reason)
    except ValueError as exc:
        typer.echo(f"not accepted: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(text)


# --- dashboard: publish, users, web app (helper "dashboard") ---------------------------------


@app.command()
def publish(
    month: str = typer.Option(..., "--month", help="Window month M (YYYY-MM) to publish."),
    snapshots: Path | None = typer.Option(
        None, "--snapshots", help="Snapshot folder (default: $FSU_SNAPSHOT_DIR, else $FSU_DATA_DIR/snapshots)."
    ),
) -> None:
    """Copy month M's dashboard tables from the warehouse into a read-only snapshot file (atomic)."""
    import os

    from fsu_dagster.publish import SnapshotError, publish_snapshot
    from fsu_dagster.settings import load_settings

    settings = load_settings()
    folder = snapshots or Path(os.environ.get("FSU_SNAPSHOT_DIR") or settings.data_dir / "snapshots")
    try:
        path = publish_snapshot(settings.warehouse, folder, month)
    except (SnapshotError, ValueError) as exc:
        typer.echo(f"publish failed: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Published {path} (latest -> {path.name})")


user_app = typer.Typer(help="Dashboard users (the users file: $FSU_USERS_FILE, default $FSU_DATA_DIR/users.json).")
app.add_typer(user_app, name="user")


class Role(str, enum.Enum):
    viewer = "viewer"
    admin = "admin"


def _users_file() -> Path:
    import os

    from fsu_dagster.settings import load_settings

    return Path(os.environ.get("FSU_USERS_FILE") or load_settings().data_dir / "users.json")


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name (letters, digits, . _ -)."),
    role: Role = typer.Option(Role.viewer, "--role", help="viewer: the pages; admin: also the audit log."),
    password: str = typer.Option(
        ..., prompt=True, hide_input=True, confirmation_prompt=True, help="Prompted for; at least 12 characters."
    ),
) -> None:
    """Add a dashboard user (or reset their password and role); stores an argon2 hash only."""
    from fsu_dagster.dashboard.users import add_user

    path = _users_file()
    try:
        add_user(path, name, password, role.value)
    except ValueError as exc:
        typer.echo(f"not added: {exc}", err=True)
        raise typer.Exit(1)
    typer.echo(f"User {name} ({role.value}) saved in {path}")


@user_app.command("remove")
def user_remove(name: str = typer.Argument(..., help="User name.")) -> None:
    """Remove a dashboard user (their open sessions stop working at once)."""
    from fsu_dagster.dashboard.users import remove_user

    path = _users_file()
    if not remove_user(path, name):
        typer.echo(f"no user {name} in {path}", err=True)
        raise typer.Exit(1)
    typer.echo(f"User {name} removed from {path}")


@app.command()
def dashboard(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port."),
    snapshots: Path | None = typer.Option(
        None, "--snapshots", help="Snapshot folder (default: $FSU_SNAPSHOT_DIR, else $FSU_DATA_DIR/snapshots)."
    ),
) -> None:
    """Serve the dashboard (needs FSU_SESSION_SECRET, or FSU_ENV=local for a throwaway one)."""
    import uvicorn

    from fsu_dagster.dashboard.config import InsecureConfig
    from fsu_dagster.dashboard.main import create_app

    try:
        web = create_app(snapshot_dir=snapshots)
    except InsecureConfig as exc:
        typer.echo(f"refusing to start: {exc}", err=True)
        raise typer.Exit(2)
    typer.echo(f"Dashboard on http://{host}:{port}  snapshots: {web.state.config.snapshot_dir}  users: {web.state.config.users_file}")
    uvicorn.run(web, host=host, port=port, proxy_headers=True, server_header=False)


if __name__ == "__main__":
    app()
