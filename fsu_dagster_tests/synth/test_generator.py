"""The synthetic generator keeps the landing contract and tells the truth about itself.

Every downstream test, demo and benchmark runs on this data, so a generator that
drifts from the contract (a column out of order, a record in the wrong month folder,
a local time that cannot exist) would hide parser bugs or invent them; and truth
files that disagree with the landing data would make identity-matching scores
meaningless.
"""

from __future__ import annotations

import filecmp
import json
import re
from pathlib import Path

import polars as pl
import pytest

from fsu_dagster.contract import EXTRACTS
from fsu_dagster.reference import load_cchi
from fsu_dagster.synth import generate

START, END = "2025-11", "2026-10"  # spans the spring-forward (2026-03-29) and fall-back (2026-10-25) days


def _read(root: Path, month: str, name: str) -> pl.DataFrame:
    return pl.read_csv(root / "landing" / month / f"{name}.csv", infer_schema=False)


def _all(root: Path, name: str) -> pl.DataFrame:
    frames = [
        _read(root, d.name, name).with_columns(folder=pl.lit(d.name)) for d in sorted((root / "landing").iterdir())
    ]
    return pl.concat(frames)


def _months(root: Path) -> list[str]:
    return sorted(d.name for d in (root / "landing").iterdir())


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    generate(out=root, start=START, end=END, scale="tiny", seed=7, fmt="csv", progress=False)
    return root


@pytest.fixture(scope="module")
def truth(tiny) -> dict[str, pl.DataFrame]:
    t = tiny / "truth"
    return {
        n: pl.read_csv(t / f"{n}.csv", infer_schema=False)
        for n in ("persons", "cw_mentions", "missing_reports", "relationships")
    }


def test_same_seed_same_bytes_other_seed_differs(tiny, tmp_path):
    """Reproducible demos and regression tests need byte-identical output for a seed."""
    again, other = tmp_path / "again", tmp_path / "other"
    generate(out=again, start=START, end=END, scale="tiny", seed=7, fmt="csv", progress=False)
    generate(out=other, start=START, end=END, scale="tiny", seed=8, fmt="csv", progress=False)
    files = sorted(p.relative_to(tiny) for p in tiny.rglob("*") if p.is_file())
    assert len(files) == 12 * 9 + 5
    assert sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file()) == files
    for rel in files:
        assert filecmp.cmp(tiny / rel, again / rel, shallow=False), rel
    assert not filecmp.cmp(
        tiny / "landing/2026-01/cw_incidents.csv", other / "landing/2026-01/cw_incidents.csv", shallow=False
    )


def test_every_file_has_the_contract_header(tiny):
    """Column names and order are the contract; the parser may rely on both."""
    for month in _months(tiny):
        for name, extract in EXTRACTS.items():
            header = (tiny / "landing" / month / f"{name}.csv").read_text(encoding="utf-8").splitlines()[0]
            assert header.split(",") == list(extract.column_names), (month, name)


def test_values_use_contract_formats(tiny):
    """ISO timestamps without offset, ISO dates, true/false booleans, nothing else."""
    ts = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
    date = re.compile(r"^\d{4}-\d{2}-\d{2}$")
    for name, extract in EXTRACTS.items():
        df = _all(tiny, name)
        for col in extract.columns:
            values = df[col.name].drop_nulls()
            if col.type == "timestamp":
                assert values.str.contains(ts.pattern).all(), (name, col.name)
                assert (values < "2026-11-01T00:00:00").all(), (name, col.name)  # nothing after the extract was taken
            elif col.type == "date":
                assert values.str.contains(date.pattern).all(), (name, col.name)
            elif col.type == "bool":
                assert set(values.unique()) <= {"true", "false"}, (name, col.name)
            elif col.type == "int":
                assert values.str.contains(r"^-?\d+$").all(), (name, col.name)
            if col.allowed is not None:
                assert set(values.unique()) <= col.allowed, (name, col.name)
            if col.required:
                assert df[col.name].null_count() == 0, (name, col.name)
        if extract.primary_key:
            assert df[extract.primary_key].is_unique().all(), name


def test_every_record_sits_in_its_anchor_month(tiny):
    """A record belongs to the month of its anchor timestamp's local time (contract 1)."""
    for name, extract in EXTRACTS.items():
        if extract.anchor is None:
            continue
        df = _all(tiny, name)
        assert df.height > 0, name
        wrong = df.filter(pl.col(extract.anchor).str.slice(0, 7) != pl.col("folder"))
        assert wrong.height == 0, (name, wrong.head(3))


def test_no_local_time_inside_the_spring_forward_hour(tiny):
    """01:00-01:59 on 29 March 2026 does not exist in Europe/London; the contract calls it a data error."""
    for name, extract in EXTRACTS.items():
        df = _all(tiny, name)
        for col in extract.columns:
            if col.type == "timestamp":
                assert df[col.name].drop_nulls().str.starts_with("2026-03-29T01:").sum() == 0, (name, col.name)


def test_children_and_people_are_in_their_parents_folder(tiny):
    """Resources, roles and relationships sit with their parent; every person a month's
    Connect or Compact record names is in that month's connect_persons."""
    for month in _months(tiny):

        def r(n: str, month: str = month) -> pl.DataFrame:
            return _read(tiny, month, n)

        logs, inv, persons = r("cw_incidents"), r("connect_investigations"), r("connect_persons")
        roles, rels, custody, missing = (
            r("connect_person_roles"),
            r("connect_relationships"),
            r("connect_custody"),
            r("compact_missing"),
        )
        assert r("cw_resources")["incident_id"].is_in(logs["incident_id"].implode()).all()
        assert roles["investigation_id"].is_in(inv["investigation_id"].implode()).all()
        assert rels["investigation_id"].is_in(inv["investigation_id"].implode()).all()
        assert custody["investigation_id"].drop_nulls().is_in(inv["investigation_id"].implode()).all()
        ids = persons["person_id"].unique().implode()
        for frame in (roles, custody):
            assert frame["person_id"].is_in(ids).all(), month
        assert missing["person_id"].drop_nulls().is_in(ids).all(), month
        assert rels["victim_id"].is_in(ids).all() and rels["suspect_id"].is_in(ids).all()
        # A relationship's victim and suspect hold those roles on that investigation.
        v = rels.join(
            roles.filter(pl.col("role") == "VICTIM"),
            left_on=["investigation_id", "victim_id"],
            right_on=["investigation_id", "person_id"],
            how="anti",
        )
        s = rels.join(
            roles.filter(pl.col("role").is_in(["SUSPECT", "OFFENDER"])),
            left_on=["investigation_id", "suspect_id"],
            right_on=["investigation_id", "person_id"],
            how="anti",
        )
        assert v.height == 0 and s.height == 0, month
        # Nothing in connect_persons that no record refers to.
        used = pl.concat([roles["person_id"], custody["person_id"], missing["person_id"].drop_nulls()]).unique()
        assert persons["person_id"].is_in(used.implode()).all(), month


def test_call_ids_point_at_avaya_calls_this_or_last_month(tiny):
    """The call that raised a log was offered minutes earlier: same folder, or the previous
    month's when the log was created just after midnight on the 1st."""
    _calls_in_previous_month(tiny)  # asserts, month by month, that every call_id resolves


def _calls_in_previous_month(root: Path) -> int:
    months = _months(root)
    in_prev = 0
    for i, month in enumerate(months):
        calls = _read(root, month, "avaya_calls")["call_id"]
        prev = _read(root, months[i - 1], "avaya_calls")["call_id"] if i else pl.Series([], dtype=pl.String)
        ids = _read(root, month, "cw_incidents")["call_id"].drop_nulls()
        here = ids.is_in(calls.implode())
        before = ids.is_in(prev.implode())
        assert (here | before).all(), month
        in_prev += int((~here & before).sum())
    return in_prev


def test_some_calls_sit_in_the_previous_months_folder(tmp_path):
    """Logs raised just after midnight on the 1st point back a folder; the parser must
    not assume a log's call is in its own month. Small scale, so it happens a few times."""
    generate(out=tmp_path, start=START, end=END, scale="small", seed=5, fmt="csv", progress=False)
    assert _calls_in_previous_month(tmp_path) >= 1


def test_truth_matches_the_landing_data(tiny, truth):
    """Truth is only useful for scoring identity matching if it refers to real records."""
    logs = _all(tiny, "cw_incidents")
    m = truth["cw_mentions"]
    assert set(m["role"].unique()) == {"originator", "subject"}
    assert m["incident_id"].is_in(logs["incident_id"].implode()).all()
    assert m.select("incident_id", "role").is_unique().all()
    persons = truth["persons"]
    assert m["true_id"].is_in(persons["true_id"].implode()).all()
    connect_ids = _all(tiny, "connect_persons")["person_id"].unique().implode()
    assert persons["person_id"].drop_nulls().is_in(connect_ids).all()
    planted = persons.filter(~pl.col("archetype").is_in(["background", "professional"]))
    assert set(planted["archetype"].unique()) == {
        "prolific_caller",
        "repeat_victim",
        "prolific_offender",
        "all_three",
        "missing_young_person",
    }
    assert planted["person_id"].null_count() == 0
    assert planted["person_id"].is_in(connect_ids).all()
    # A mention's person_id is the one truth gives that person.
    j = m.join(persons.select("true_id", pid="person_id"), on="true_id")
    assert (j["person_id"].fill_null("-") == j["pid"].fill_null("-")).all()
    # Some callers have no Connect record at all.
    assert m.filter(pl.col("role") == "originator")["person_id"].null_count() > 0
    # Missing reports: truth covers every report and agrees with any person_id on it.
    rep = _all(tiny, "compact_missing").join(truth["missing_reports"], on="report_id", suffix="_true")
    assert rep.height == _all(tiny, "compact_missing").height
    assert rep.filter(pl.col("person_id").is_not_null() & (pl.col("person_id") != pl.col("person_id_true"))).height == 0
    assert rep["person_id"].null_count() > 0
    rel = truth["relationships"]
    assert rel.height > 0 and rel["person_id_a"].is_in(persons["person_id"].implode()).all()
    summary = json.loads((tiny / "truth" / "summary.json").read_text())
    assert summary["rows"]["cw_incidents"] == logs.height


def test_originator_relationships_are_consistent(truth):
    """SELF exactly when the originator is the subject; no relationship without a subject."""
    m = truth["cw_mentions"]
    o = m.filter(pl.col("role") == "originator").join(
        m.filter(pl.col("role") == "subject").select("incident_id", subj="true_id"), on="incident_id", how="left"
    )
    assert o.filter((pl.col("relationship_to_subject") == "SELF") != (pl.col("subj") == pl.col("true_id"))).height == 0
    assert o.filter(pl.col("subj").is_null() & pl.col("relationship_to_subject").is_not_null()).height == 0
    assert {"SELF", "PROFESSIONAL", "PARENT"} <= set(o["relationship_to_subject"].drop_nulls().unique())


def test_demand_is_heavy_tailed_and_planted_users_dominate(tiny, truth):
    """The method exists because a few people generate a large share of demand."""
    logs = _all(tiny, "cw_incidents").filter(pl.col("is_preplanned") == "false").select("incident_id")
    m = truth["cw_mentions"].join(logs, on="incident_id")
    per = m.group_by("true_id").len().sort("len", descending=True)
    k = per.height // 100
    assert per.head(k)["len"].sum() / per["len"].sum() > 0.15
    arche = per.join(truth["persons"].select("true_id", "archetype"), on="true_id")
    planted = arche.filter(
        pl.col("archetype").is_in(["prolific_caller", "repeat_victim", "all_three", "missing_young_person"])
    )
    background = arche.filter(pl.col("archetype") == "background")
    assert planted["len"].median() > 10 * background["len"].median()


def _norm(e: pl.Expr) -> pl.Expr:
    return e.str.to_uppercase().str.replace_all(r"[^A-Z]", "")


def test_identities_are_messy_but_mostly_linkable(tiny, truth):
    """Exact linking must find most people (the method's rule works) but not all (the
    fuzzy mode has something to do): check the typed name+DOB or PNC against the
    true person's own Connect versions."""
    logs = _all(tiny, "cw_incidents")
    versions = _all(tiny, "connect_persons").unique(["person_id", "forename", "surname", "dob", "pnc_id"])
    m = truth["cw_mentions"].filter(pl.col("person_id").is_not_null())
    rows = []
    for role in ("originator", "subject"):
        typed = logs.select(
            "incident_id",
            f=_norm(pl.col(f"{role}_forename")),
            s=_norm(pl.col(f"{role}_surname")),
            d=pl.col(f"{role}_dob"),
            pnc=pl.col(f"{role}_pnc_id").str.to_uppercase().str.replace_all(" ", ""),
        )
        rows.append(m.filter(pl.col("role") == role).join(typed, on="incident_id"))
    typed = pl.concat(rows)
    v = versions.select("person_id", f=_norm(pl.col("forename")), s=_norm(pl.col("surname")), d="dob", pnc="pnc_id")
    by_name = typed.join(v.drop("pnc").drop_nulls(), on=["person_id", "f", "s", "d"], how="semi").select(
        "incident_id", "role"
    )
    by_pnc = typed.join(v.select("person_id", "pnc").drop_nulls(), on=["person_id", "pnc"], how="semi").select(
        "incident_id", "role"
    )
    linkable = pl.concat([by_name, by_pnc]).unique().height / typed.height
    assert 0.5 < linkable < 0.85
    # The variant label tells the truth: cosmetic mentions always match one of the
    # person's own versions by name and DOB; messy ones mostly do not.
    named = typed.join(by_name.with_columns(hit=pl.lit(True)), on=["incident_id", "role"], how="left")
    cosmetic = named.filter(pl.col("variant").is_in(["exact", "case", "punct"]))
    assert cosmetic.height > 0 and cosmetic["hit"].fill_null(False).all()
    messy = named.filter(~pl.col("variant").is_in(["exact", "case", "punct", "connect_version", "anonymous"]))
    assert messy["hit"].fill_null(False).mean() < 0.3
    variants = set(truth["cw_mentions"]["variant"].unique())
    assert {"exact", "nickname", "swap", "dob_swap", "typo_transpose", "anonymous"} <= variants
    share_pnc = typed["pnc"].is_not_null().mean()
    assert 0.1 < share_pnc < 0.4
    assert versions["pnc_id"].drop_nulls().str.contains(r"^\d{2}/\d{6}[A-Z]$").all()
    # Several versions per person, for some people.
    assert versions.group_by("person_id").len()["len"].max() >= 3
    # Non-ASCII names survive as typed.
    assert (
        logs["subject_surname"].drop_nulls().str.contains(r"[^\x00-\x7F]").any()
        or logs["originator_surname"].drop_nulls().str.contains(r"[^\x00-\x7F]").any()
    )


def test_operational_detail_is_realistic(tiny):
    """Stage 1 rules have edge cases (pre-planned logs, custody over 200 h or negative,
    resource gaps and errors); the data must exercise them."""
    logs = _all(tiny, "cw_incidents")
    pre = (logs["is_preplanned"] == "true").mean()
    assert 0.02 < pre < 0.045
    assert set(logs["response_grade"].drop_nulls().unique()) == {"P1", "P2", "P3", "P4"}
    assert set(logs["location_lpa"].drop_nulls().unique()) == {
        "BIRMINGHAM",
        "COVENTRY",
        "DUDLEY",
        "SANDWELL",
        "SOLIHULL",
        "WALSALL",
        "WOLVERHAMPTON",
    }
    res = _all(tiny, "cw_resources")
    assert res.select("incident_id", "resource_id").is_duplicated().any()
    assert res["deployed_at"].null_count() > 0 and res["released_at"].null_count() > 0
    assert res.filter(pl.col("released_at") < pl.col("assigned_at")).height > 0
    cust = _all(tiny, "connect_custody")

    def ts(c: str) -> pl.Expr:
        return pl.col(c).str.strptime(pl.Datetime, "%Y-%m-%dT%H:%M:%S")

    hours = cust.select(h=(ts("released_at") - ts("arrival_at")).dt.total_hours())["h"]
    assert (hours > 200).any() and (hours < 0).any() and hours.null_count() > 0
    inv = _all(tiny, "connect_investigations")
    assert inv.filter(pl.col("main_group") == "NON-CRIME")["is_crime"].unique().to_list() == ["false"]
    assert inv["outcome_code"].null_count() > 0
    assert inv["flags"].drop_nulls().str.contains("DA").any() and inv["flags"].drop_nulls().str.contains(";").any()
    assert set(_all(tiny, "connect_person_roles")["role"].unique()) == {
        "SUSPECT",
        "OFFENDER",
        "VICTIM",
        "WITNESS",
        "OTHER",
    }
    rel = _all(tiny, "connect_relationships")
    assert {"PARTNER", "EX-PARTNER", "STRANGER"} <= set(rel["relationship"].unique())


def test_offence_codes_have_harm_values_except_the_documented_one(tiny):
    """Every generated offence code has a CCHI value except 99X, kept on purpose so the
    'no harm value counts 0 and is reported' path is exercised at scale."""
    codes = set(_all(tiny, "connect_investigations")["offence_code"].unique())
    missing = codes - set(load_cchi()["offence_code"])
    assert missing <= {"99X"}


def test_parquet_output_is_typed(tmp_path):
    """Parquet landing files carry real types: naive local datetimes, dates, booleans."""
    generate(out=tmp_path, start="2026-03", end="2026-03", scale="tiny", seed=1, fmt="parquet")
    df = pl.read_parquet(tmp_path / "landing/2026-03/cw_incidents.parquet")
    assert df.columns == list(EXTRACTS["cw_incidents"].column_names)
    assert df.schema["created_at"] == pl.Datetime("us") and df.schema["is_preplanned"] == pl.Boolean
    assert df.schema["originator_dob"] == pl.Date
    assert pl.read_parquet(tmp_path / "landing/2026-03/avaya_calls.parquet").schema["duration_seconds"] == pl.Int64


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scale": "huge"}, "unknown scale"),
        ({"start": "2026-13"}, "YYYY-MM"),
        ({"start": "2026-05", "end": "2026-04"}, "before start"),
        ({"fmt": "xlsx"}, "format"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    """The CLI passes user input straight through; mistakes must say what is wrong."""
    args = {"out": tmp_path, "start": "2026-01", "end": "2026-02", "scale": "tiny", "seed": 1, "fmt": "csv"} | kwargs
    with pytest.raises(ValueError, match=message):
        generate(**args)


def test_summary_names_months_and_rows(tmp_path):
    """The CLI prints the summary; it should say what was written."""
    text = generate(out=tmp_path, start="2026-01", end="2026-02", scale="tiny", seed=3)
    assert "2026-01..2026-02" in text and "cw_incidents" in text and " s." in text


def test_met_scale_is_three_forces_with_the_same_planted_users():
    """``met`` (about the Metropolitan Police's volume) is 3x ``force`` in every background volume,
    from the scale objects alone (no met data is generated here); the planted frequent users do not
    scale with the force (the cohort is the top 100 per metric whatever the force's size)."""
    from fsu_dagster.synth.scales import SCALES, get_scale

    met, force = get_scale("met"), SCALES["force"]
    for volume in ("calls", "logs", "investigations", "custody", "missing", "population", "professionals"):
        ratio = getattr(met, volume) / getattr(force, volume)
        assert 2.9 <= ratio <= 3.1, (volume, ratio)
    assert met.planted == force.planted
    assert met.name == "met"
