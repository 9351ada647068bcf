"""Every profile table matches its Pandera model, starts ``month, person_id`` and holds
cohort members only: the contract between these steps, the assets and the dashboard."""

import datetime as dt

import pandera.errors
import polars as pl
import pytest

import fsu_dagster.profiles as P
from fsu_dagster.defs.profiles.schemas import SCHEMAS
from fsu_dagster.profiles.score_breakdown import TOTALS
from fsu_dagster.settings import PriorityCrimeType, Theme
from fsu_dagster_tests.profiles.frames import CAP_HOURS, M, cohort, cw_logs, extract, links, ts


@pytest.fixture(scope="module")
def tables():
    coh = cohort("P", "V", "CW:C")
    inv = extract(
        "connect_investigations",
        [
            dict(
                investigation_id="I1",
                recorded_at=ts(1),
                offence_code="8N",
                offence_description="Assault",
                main_group="VIOLENCE AGAINST THE PERSON",
                is_crime=True,
                outcome_code=1,
                location_address="3 Elm Road",
                location_postcode="B2 2BB",
                location_lpa="BIRMINGHAM",
                flags="DA",
            ),
            dict(
                investigation_id="I2",
                recorded_at=ts(2),
                offence_code="NC",
                offence_description="Concern",
                main_group="NON-CRIME",
                is_crime=False,
                summary="mental health",
            ),
        ],
    )
    roles = extract(
        "connect_person_roles",
        [
            dict(
                investigation_id="I1",
                person_id="P",
                role="SUSPECT",
                home_address="12 High St",
                home_postcode="B1 1AA",
                home_lpa="BIRMINGHAM",
            ),
            dict(
                investigation_id="I1", person_id="V", role="VICTIM", home_address="3 Elm Road", home_postcode="B2 2BB"
            ),
            dict(investigation_id="I2", person_id="P", role="OTHER"),
        ],
    )
    rel = extract(
        "connect_relationships", [dict(investigation_id="I1", victim_id="V", suspect_id="P", relationship="PARENT")]
    )
    cus = extract(
        "connect_custody",
        [
            dict(
                custody_id="C1",
                person_id="P",
                arrival_at=ts(3),
                released_at=ts(3, 6),
                custody_outcome="NFA",
                arrested_at=ts(3),
                arrest_reason="THEFT",
            )
        ],
    )
    persons = extract(
        "connect_persons",
        [
            dict(person_id="P", forename="Pat", surname="Smith", dob=dt.date(1980, 1, 1), phone_number="0121 496 0000"),
            dict(person_id="V", forename="Val", surname="Smith", dob=dt.date(2005, 1, 1)),
        ],
    )
    logs = cw_logs(
        [
            dict(
                incident_id="L1",
                call_id="A1",
                hours=1.0,
                n_resources=1,
                response_grade="P1",
                originator_forename="Val",
                originator_surname="Smith",
                originator_dob=dt.date(2005, 1, 1),
            ),
            dict(
                incident_id="L2",
                log_type="ROC",
                originator_forename="Cy",
                originator_surname="Cole",
                originator_dob=dt.date(2000, 1, 1),
            ),
        ]
    )
    lk = links([("L1", "subject", "P"), ("L2", "originator", "CW:C")])
    res = extract(
        "cw_resources",
        [
            dict(
                incident_id="L1",
                resource_id="R1",
                resource_group="RESPONSE",
                assigned_at=ts(1),
                arrived_at=ts(1, 1),
                released_at=ts(1, 1),
            )
        ],
    )
    avaya = extract("avaya_calls", [dict(call_id="A1", started_at=ts(1), duration_seconds=120, line="999")])
    missing = extract(
        "compact_missing",
        [dict(report_id="M1", person_id="V", reported_at=ts(4), found_at=ts(4, 6), risk_level="HIGH")],
    )
    totals = pl.DataFrame(
        {"month": [M] * 4, "person_id": ["P", "V", "CW:C", "Z"]} | {t: [1, 2, 3, 0] for t in TOTALS}
    ).with_columns([pl.col(t).cast(pl.Float64) for t in TOTALS if t.endswith("hours")])
    metrics = pl.DataFrame(
        {"month": [M] * 3, "person_id": ["P", "V", "CW:C"]}
        | {c: [1, 2, 3] for c in ("rank_investigations_custody", "rank_originator", "rank_subject", "rank_overall")}
    )

    rels = P.person_relationships(coh, rel, inv)
    callers = P.caller_relationships(coh, lk, logs, persons, rels)
    episodes = P.missing_episodes(coh, missing, persons)
    msum = P.missing_summary(coh, episodes)
    home = P.home_addresses(coh, inv, roles)
    return {
        "custody_records": P.custody_records(coh, cus, cap_hours=CAP_HOURS),
        "custody_summary": P.custody_summary(coh, cus, cap_hours=CAP_HOURS),
        "custody_outcomes": P.custody_outcomes(coh, cus, cap_hours=CAP_HOURS),
        "custody_file_types": P.custody_file_types(coh, cus, cap_hours=CAP_HOURS),
        "custody_arrest_reasons": P.custody_arrest_reasons(coh, cus),
        "investigation_list": P.investigation_list(coh, inv, roles),
        "investigation_roles": P.investigation_roles(coh, inv, roles),
        "investigation_outcomes": P.investigation_outcomes(coh, inv, roles),
        "investigation_relationships": P.investigation_relationships(coh, rel, inv),
        "person_relationships": rels,
        "outcomes_by_related_person": P.outcomes_by_related_person(coh, rel, inv),
        "investigation_locations": P.investigation_locations(coh, inv, roles, rel),
        "investigation_lpas": P.investigation_lpas(coh, inv, roles),
        "cw_log_list": P.cw_log_list(coh, lk, logs),
        "cw_summary": P.cw_summary(coh, lk, logs, res, avaya),
        "caller_relationships": callers,
        "cw_caller_relationship_counts": P.cw_caller_relationship_counts(callers),
        "cw_log_types": P.cw_log_types(coh, lk, logs),
        "cw_incident_types": P.cw_incident_types(coh, lk, logs),
        "cw_response_grades": P.cw_response_grades(coh, lk, logs),
        "cw_locations": P.cw_locations(coh, lk, logs),
        "cw_resource_groups": P.cw_resource_groups(coh, lk, logs, res),
        "missing_episodes": episodes,
        "missing_summary": msum,
        "missing_risk_levels": P.missing_risk_levels(episodes),
        "person_themes": P.person_themes(
            coh,
            inv,
            roles,
            {"DA": Theme(label="DA", flags=["DA"]), "MH": Theme(label="MH", keywords=["mental health"])},
            missing_summary=msum,
        ),
        "person_priority_crimes": P.person_priority_crimes(
            coh, inv, roles, {"v": PriorityCrimeType(label="Violence", main_groups=["VIOLENCE AGAINST THE PERSON"])}
        ),
        "score_breakdown": P.score_breakdown(coh, totals),
        "monthly_trend": P.monthly_trend(
            coh,
            connect_investigations=inv,
            connect_person_roles=roles,
            connect_custody=cus,
            links=lk,
            cw_logs=logs,
            missing_episodes=episodes,
            cap_hours=CAP_HOURS,
        ),
        "cohort_changes": P.cohort_changes(coh, metrics, cohort("P", "Z", month=dt.date(2026, 2, 1)), metrics),
        "home_addresses": home,
        "households": P.households(home, totals),
    }


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_table_matches_schema(tables, name):
    """Each table validates, is non-empty on this world and leads with month then person."""
    df = tables[name]
    assert df.height > 0, name
    SCHEMAS[name].validate(df)
    assert df.columns[0] == "month"
    assert df.columns[1] == ("household_id" if name == "households" else "person_id")
    assert df.get_column("month").unique().to_list() == [M]
    if "person_id" in df.columns and name != "cohort_changes":
        assert set(df.get_column("person_id")) <= {"P", "V", "CW:C"}


def test_schema_is_strict(tables):
    """An unexpected column fails validation (the warehouse table's shape is fixed)."""
    with pytest.raises(pandera.errors.SchemaError):
        SCHEMAS["custody_summary"].validate(tables["custody_summary"].with_columns(pl.lit(1).alias("extra")))


def test_every_public_function_has_a_table(tables):
    """Nothing in the package's public API lacks a schema-checked table."""
    functions = {n for n in P.__all__ if n.islower() and n != "invert_relationship"}
    assert functions == set(tables)
