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


class Format(str, enum.Enum):
    csv = "csv"
    parquet = "parquet"


@app.command()
def synth(
    out: Path = typer.Option(Path("data"), "--out", help="Folder to write landing/ and truth/ into."),
    start: str = typer.Option(..., "--start", help="First landing month, YYYY-MM."),
    end: str = typer.Option(..., "--end", help="Last landing month, YYYY-MM."),
    scale: Scale = typer.Option(Scale.small, "--scale", help="tiny (tests), small (demo), force (West Midlands volume)."),
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
    import os

    from fsu_dagster.runner import PipelineFailed, run_month
    from fsu_dagster.settings import load_settings

    if link_mode is not None:
        os.environ["FSU_LINK_MODE"] = link_mode.value
    settings = load_settings()
    if settings.link_mode == "fuzzy":
        try:
            from fsu_dagster.identity import link_records  # noqa: F401
        except ImportError:
            typer.echo("fuzzy linking is not available in this build; use --link-mode exact", err=True)
            raise typer.Exit(2)
    typer.echo(f"Landing area: {settings.landing_dir}   warehouse: {settings.warehouse}   link mode: {settings.link_mode}")
    try:
        run_month(month, echo=typer.echo)
    except PipelineFailed as exc:
        typer.echo(f"FAILED at {exc.asset}: {exc.reason}", err=True)
        raise typer.Exit(1)
    typer.echo(f"Done. Warehouse: {settings.warehouse}")


if __name__ == "__main__":
    app()
