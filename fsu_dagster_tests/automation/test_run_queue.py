"""One writer: two runs launched at once go through the run queue one after the other.

The instance is configured from the shipped ``dagster.yaml`` (QueuedRunCoordinator,
``max_concurrent_runs: 1``, a limit of 1 on the ``fsu/warehouse`` tag). Two runs are submitted
together; the daemon's own queue logic (``QueuedRunCoordinatorDaemon.run_iteration``) is ticked
in-process; the run launcher records what the daemon launches, and the test executes it. Each
run writes the same DuckDB file.
"""

from __future__ import annotations

import dagster as dg
import duckdb
import yaml
from dagster._core.execution.api import execute_run
from dagster._core.remote_origin import InProcessCodeLocationOrigin, RemoteJobOrigin, RemoteRepositoryOrigin
from dagster._core.test_utils import MockedRunLauncher
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

from fsu_dagster.defs.automation import WRITER_TAG, WRITER_TAGS
from fsu_dagster_tests.automation.conftest import REPO

QUEUED, STARTING, SUCCESS = dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.SUCCESS


def test_shipped_dagster_yaml_allows_one_writer():
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    queue = config["run_coordinator"]["config"]
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"
    assert queue["max_concurrent_runs"] == 1
    assert {"key": WRITER_TAG, "limit": 1} in queue["tag_concurrency_limits"]


@dg.op(config_schema={"db": str, "n": int})
def write_warehouse(context) -> None:
    with duckdb.connect(context.op_config["db"]) as conn:  # one writing process per DuckDB file
        conn.execute("create table if not exists runs (n int, written_at timestamp default current_timestamp)")
        conn.execute("insert into runs (n) values (?)", [context.op_config["n"]])


# In-process, like the shipped Definitions (``executor=dg.in_process_executor``): the queue, not the
# executor, is what this tests, and a step process per run re-imports everything (most of the test).
@dg.job(tags=WRITER_TAGS, executor_def=dg.in_process_executor)
def writer_job():
    write_warehouse()


#: Where the runs say they come from (the queue needs a code location name; nothing loads it).
ORIGIN = RemoteJobOrigin(
    RemoteRepositoryOrigin(
        InProcessCodeLocationOrigin(LoadableTargetOrigin(python_file=__file__, attribute="writer_job")),
        "__repository__",
    ),
    "writer_job",
)


class _Workspace:
    """What the queue daemon needs of a workspace when the launcher does not use it."""

    def __init__(self, instance):
        self.instance = instance

    def create_request_context(self):
        return None


def _tick(daemon, workspace) -> None:
    list(daemon.run_iteration(workspace))


def test_two_runs_launched_at_once_run_one_after_the_other(tmp_path):
    config = yaml.safe_load((REPO / "dagster.yaml").read_text())
    overrides = {
        "run_coordinator": config["run_coordinator"],
        "run_launcher": {"module": "dagster._core.test_utils", "class": "MockedRunLauncher"},
    }
    db = str(tmp_path / "warehouse.duckdb")
    with dg.instance_for_test(overrides=overrides) as instance:
        launcher = instance.run_launcher
        assert isinstance(launcher, MockedRunLauncher)
        runs = []
        for n in (1, 2):
            run = instance.create_run_for_job(
                job_def=writer_job,
                run_config={"ops": {"write_warehouse": {"config": {"db": db, "n": n}}}},
                remote_job_origin=ORIGIN,
                job_code_origin=dg.reconstructable(writer_job).get_python_origin(),
            )
            instance.submit_run(run.run_id, workspace=None)  # type: ignore[arg-type]  # both at once
            runs.append(run.run_id)
        assert [instance.get_run_by_id(r).status for r in runs] == [QUEUED, QUEUED]

        daemon = QueuedRunCoordinatorDaemon(interval_seconds=1)
        workspace = _Workspace(instance)
        order = []
        for _ in range(4):
            _tick(daemon, workspace)
            launched = [r.run_id for r in launcher.queue() if r.run_id not in order]
            in_flight = [r for r in runs if instance.get_run_by_id(r).status == STARTING]
            assert len(in_flight) <= 1, "the queue started two warehouse writers at once"
            for run_id in launched:
                run = instance.get_run_by_id(run_id)
                result = execute_run(dg.reconstructable(writer_job), run, instance)
                assert result.success
                order.append(run_id)
            if len(order) == 2:
                break
        assert order == runs  # first in, first out
        first, second = (instance.get_run_record_by_id(r) for r in runs)
        assert first.dagster_run.status == second.dagster_run.status == SUCCESS
        assert first.end_time <= second.start_time  # one after the other
    with duckdb.connect(db, read_only=True) as conn:
        assert [r[0] for r in conn.execute("select n from runs order by written_at").fetchall()] == [1, 2]
