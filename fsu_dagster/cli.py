"""The ``fsu`` command line.

``fsu synth``, ``fsu run``, ``fsu backfill``, ``fsu publish``, ``fsu export``, users, the dashboard.
"""

from __future__ import annotations

import enum
from pathlib import Path

import typer

app = typer.Typer(help="Frequent service users: synthetic data, pipeline runs.", no_args_is_help=True)


class Scale(enum.StrEnum):
    tiny = "tiny"
    small = "small"
    force = "force"
    met = "met"


class Format(enum.StrEnum):
    csv = "csv"
    parquet = "parquet"


@app.command()
def synth(
    out: Path = typer.Option(Path("data"), "--out", help="Folder to write landing/ and truth/ into."),
    start: str = typer.Option(..., "--start", help="First landing month, YYYY-MM."),
    end: str = typer.Option(..., "--end", help="Last landing month, YYYY-MM."),
    scale: Scale = typer.Option(
        Scale.small, "--scale", help="tiny (tests), small (demo), force (West Midlands volume), met (3x force)."
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same files."),
    fmt: Format = typer.Option(Format.csv, "--format", help="Landing file format."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show a progress bar."),
) -> None:
    """Write seeded synthetic landing extracts (and their ground truth) per the data contract."""
    from fsu_dagster.synth import generate

    summary = generate(out=out, start=start, end=end, scale=scale.value, seed=seed, fmt=fmt.value, progress=progress)
    typer.echo(summary)


class LinkMode(enum.StrEnum):
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
    typer.echo(
        f"Landing area: {settings.landing_dir}   warehouse: {settings.warehouse}   link mode: {settings.link_mode}"
    )
    try:
        run_month(month, echo=typer.echo, settings=settings)
    except PipelineFailed as exc:
        typer.echo(f"FAILED at {exc.asset}: {exc.reason}", err=True)
        raise typer.Exit(1) from exc
    from fsu_dagster.runner import cohort_summary

    typer.echo(cohort_summary(settings.warehouse, month))
    typer.echo(f"Warehouse: {settings.warehouse} (DuckDB, schema fsu)")


@app.command()
def backfill(
    first: str = typer.Option(..., "--from", help="First window month (YYYY-MM)."),
    last: str = typer.Option(..., "--to", help="Last window month (YYYY-MM)."),
    link_mode: LinkMode | None = typer.Option(
        None, "--link-mode", help="How ControlWorks people are linked (default: the config's link_mode)."
    ),
    force: bool = typer.Option(False, "--force", help="Rebuild and republish months that are already done."),
) -> None:
    """Build and publish window months FROM .. TO, oldest first; run it again to resume.

    Loads every landing month the range needs in one run, then each window month (every rolling
    hop) and its dashboard snapshot. Months already in the warehouse and published are skipped
    unless --force. Exits 1 naming the failing month and asset.
    """
    from fsu_dagster.backfill import PipelineFailed, WriterBusy
    from fsu_dagster.backfill import backfill as run_backfill
    from fsu_dagster.settings import load_settings

    overrides = {"link_mode": link_mode.value} if link_mode is not None else {}
    settings = load_settings(**overrides)
    typer.echo(
        f"Landing area: {settings.landing_dir}   warehouse: {settings.warehouse}   link mode: {settings.link_mode}"
    )
    try:
        report = run_backfill(first, last, echo=typer.echo, settings=settings, force=force)
    except (ValueError, WriterBusy) as exc:
        typer.echo(f"backfill not started: {exc}", err=True)
        raise typer.Exit(2) from None
    except PipelineFailed as exc:
        typer.echo(f"FAILED at {exc.asset}: {exc.reason} (run the same command again to resume)", err=True)
        raise typer.Exit(1) from None
    built = ", ".join(f"{m:%Y-%m}" for m in report.built) or "none"
    published = ", ".join(f"{m:%Y-%m}" for m in report.published_only) or "none"
    typer.echo(f"Built and published: {built}; published only: {published}; skipped: {len(report.skipped)}")
    typer.echo(f"Snapshots: {settings.snapshots_dir}")


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
        raise typer.Exit(1) from None
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
    from fsu_dagster.publish import SnapshotError, publish_snapshot
    from fsu_dagster.settings import load_settings

    settings = load_settings()
    folder = snapshots or settings.snapshots_dir  # FSU_SNAPSHOT_DIR, else FSU_DATA_DIR/snapshots
    try:
        path = publish_snapshot(settings.warehouse, folder, month)
    except (SnapshotError, ValueError) as exc:
        typer.echo(f"publish failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"Published {path} (latest -> {path.name})")


@app.command()
def export(
    month: str = typer.Option(..., "--month", help="Window month M (YYYY-MM), as published."),
    fmt: Format = typer.Option(..., "--format", help="csv or parquet."),
    out: Path = typer.Option(..., "--out", help="Folder to write fsu-YYYY-MM/<table>.<format> into."),
    user: str | None = typer.Option(None, "--user", help="Who exports, for the audit log (default: the OS user)."),
    snapshots: Path | None = typer.Option(
        None, "--snapshots", help="Snapshot folder (default: $FSU_SNAPSHOT_DIR, else $FSU_DATA_DIR/snapshots)."
    ),
) -> None:
    """Write a published month's dashboard tables as CSV or Parquet (mode 0600); logged in the audit log.

    For forces that keep Qlik or Power BI. The audit log is $FSU_AUDIT_LOG (default
    $FSU_DATA_DIR/audit.log), the dashboard's own.
    """
    import getpass
    import os

    from fsu_dagster.export import export_snapshot
    from fsu_dagster.publish import SnapshotError
    from fsu_dagster.settings import load_settings

    settings = load_settings()
    folder = snapshots or settings.snapshots_dir
    audit_file = Path(os.environ.get("FSU_AUDIT_LOG") or settings.data_dir / "audit.log")
    try:
        written = export_snapshot(folder, month, fmt.value, out, user=user or getpass.getuser(), audit_file=audit_file)
    except (SnapshotError, ValueError) as exc:
        typer.echo(f"export failed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Exported {len(written)} tables ({sum(written.values()):,} rows) to {out}; recorded in {audit_file}")


user_app = typer.Typer(help="Dashboard users (the users file: $FSU_USERS_FILE, default $FSU_DATA_DIR/users.json).")
app.add_typer(user_app, name="user")


class Role(enum.StrEnum):
    admin = "admin"
    force = "force"
    lpa = "lpa"
    viewer = "viewer"  # the old name of force: stored as force


_ROLE_HELP = (
    "admin: every LPA, the audit log and the users page; force: every LPA; lpa: only the --lpa LPAs "
    "(viewer: the old name of force)."
)
_LPA_OPTION = typer.Option(
    None, "--lpa", help="An LPA an lpa user may see (repeat for more); must be one of the configured lpas."
)


def _checked_lpas(role: Role, lpas: list[str] | None) -> list[str]:
    """``--lpa`` values, upper-cased and checked against the configured LPAs (exit 1 naming a bad one)."""
    from fsu_dagster.dashboard.users import check_lpas
    from fsu_dagster.settings import load_settings

    if not lpas:
        return []
    try:
        return list(check_lpas(lpas, load_settings().lpas))
    except ValueError as exc:
        typer.echo(f"not saved: {exc}", err=True)
        raise typer.Exit(1) from None


def _users_file() -> Path:
    import os

    from fsu_dagster.settings import load_settings

    return Path(os.environ.get("FSU_USERS_FILE") or load_settings().data_dir / "users.json")


def _stdin_is_terminal() -> bool:
    import sys

    return sys.stdin.isatty()


def _read_password(password_stdin: bool) -> str:
    """From stdin (first line) with ``--password-stdin``, else a hidden prompt (twice); never an argument."""
    import sys

    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not _stdin_is_terminal():
        typer.echo("no terminal to ask for the password on: pipe it in with --password-stdin", err=True)
        raise typer.Exit(2)
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


_PASSWORD_STDIN = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of stdin (for scripts), not a prompt."
)


@user_app.command("add")
def user_add(
    name: str = typer.Argument(..., help="User name (letters, digits, . _ -)."),
    role: Role = typer.Option(Role.force, "--role", help=_ROLE_HELP),
    lpa: list[str] | None = _LPA_OPTION,
    password_stdin: bool = _PASSWORD_STDIN,
) -> None:
    """Add a dashboard user (or replace their password and role, ending their sessions); stores an argon2 hash only.

    The password (12+ characters) is asked for twice with the input hidden, or read from stdin
    with --password-stdin; it is never a command-line argument (shell history, ps).
    """
    from fsu_dagster.dashboard.users import add_user

    path = _users_file()
    lpas = _checked_lpas(role, lpa)
    password = _read_password(password_stdin)
    try:
        user = add_user(path, name, password, role.value, lpas)
    except ValueError as exc:
        typer.echo(f"not added: {exc}", err=True)
        raise typer.Exit(1) from exc
    scope = f": {', '.join(user.lpas)}" if user.lpas else ""
    typer.echo(f"User {name} ({user.role}{scope}) saved in {path}")


def _change_user(name: str, done: str, change) -> None:
    from fsu_dagster.dashboard.users import UnknownUser

    path = _users_file()
    try:
        change(path)
    except UnknownUser:
        typer.echo(f"no user {name} in {path}", err=True)
        raise typer.Exit(1) from None
    except ValueError as exc:
        typer.echo(f"not changed: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"User {name}: {done} ({path})")


@user_app.command("reset-password")
def user_reset_password(
    name: str = typer.Argument(..., help="User name."), password_stdin: bool = _PASSWORD_STDIN
) -> None:
    """Give a user a new password (prompted, or --password-stdin); every session they have ends."""
    from fsu_dagster.dashboard.users import reset_password

    password = _read_password(password_stdin)
    _change_user(name, "password reset, sessions ended", lambda path: reset_password(path, name, password))


@user_app.command("set-role")
def user_set_role(
    name: str = typer.Argument(..., help="User name."),
    role: Role = typer.Argument(..., help=_ROLE_HELP),
    lpa: list[str] | None = _LPA_OPTION,
) -> None:
    """Change a user's role (and LPAs); every session they have ends (they sign in again with the new scope)."""
    from fsu_dagster.dashboard.users import OLD_ROLES, set_role

    lpas = _checked_lpas(role, lpa)
    stored = OLD_ROLES.get(role.value, role.value)
    scope = f" ({', '.join(lpas)})" if lpas else ""
    _change_user(name, f"role {stored}{scope}, sessions ended", lambda path: set_role(path, name, role.value, lpas))


@user_app.command("list")
def user_list() -> None:
    """The users: name, role, LPAs and status (never a password hash)."""
    from rich.console import Console
    from rich.table import Table

    from fsu_dagster.dashboard.users import list_users

    path = _users_file()
    users = list_users(path)
    if not users:
        typer.echo(f"no users in {path}")
        return
    table = Table(title=f"Users ({path})")
    for column in ("user", "role", "LPAs", "status", "changed"):
        table.add_column(column)
    for u in users:
        status = f"cannot sign in: {u.problem}" if u.problem else ("disabled" if u.disabled else "active")
        lpas = ", ".join(u.lpas) if u.role == "lpa" else "all"
        table.add_row(u.name, u.role, lpas, status, u.updated_at or u.created_at or "")
    Console(width=120).print(table)


@user_app.command("disable")
def user_disable(name: str = typer.Argument(..., help="User name.")) -> None:
    """Stop a user signing in and end every session they have (kept in the file; `fsu user enable` undoes it)."""
    from fsu_dagster.dashboard.users import disable_user

    _change_user(name, "disabled, sessions ended", lambda path: disable_user(path, name))


@user_app.command("enable")
def user_enable(name: str = typer.Argument(..., help="User name.")) -> None:
    """Let a disabled user sign in again with their existing password."""
    from fsu_dagster.dashboard.users import enable_user

    _change_user(name, "enabled", lambda path: enable_user(path, name))


@user_app.command("unlock")
def user_unlock(name: str = typer.Argument(..., help="User name.")) -> None:
    """Unlock an account locked after repeated wrong passwords (clears its failure count); audit-logged."""
    import getpass
    import os

    from fsu_dagster.dashboard.audit import AuditLog
    from fsu_dagster.dashboard.users import UnknownUser, unlock_user

    path = _users_file()
    try:
        was_locked = unlock_user(path, name)
    except UnknownUser:
        typer.echo(f"no user {name} in {path}", err=True)
        raise typer.Exit(1) from None
    from fsu_dagster.settings import load_settings

    audit_file = Path(os.environ.get("FSU_AUDIT_LOG") or load_settings().data_dir / "audit.log")
    AuditLog(audit_file).write(user=getpass.getuser(), event="unlock", path="cli:fsu user unlock", account=name)
    typer.echo(f"User {name}: {'unlocked' if was_locked else 'was not locked; failure count cleared'} ({path})")


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
        raise typer.Exit(2) from exc
    typer.echo(
        f"Dashboard on http://{host}:{port}  snapshots: {web.state.config.snapshot_dir}  "
        f"users: {web.state.config.users_file}"
    )
    uvicorn.run(web, host=host, port=port, proxy_headers=True, server_header=False)


if __name__ == "__main__":
    app()
