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


if __name__ == "__main__":
    app()
