"""End to end: every training line of README.md, run as written in README order (tests/e2e/readme.py), must train;
a line whose framework the federation lacks must stop before submitting a run, naming what is missing (that
framework trains in tests/frameworks). Then the failure Flower used to report as a completed run with no rounds:
a SuperNode without its data fails the run and the play with that node's FileNotFoundError."""

import json

import pytest

from tests.e2e.readme import LINES, framework

pytestmark = pytest.mark.e2e


def test_the_readme_has_its_training_lines():
    commands = [command for _number, command in LINES]
    assert len(commands) >= 8, commands
    assert any("flower_train_use_case=anomaly-detection" in c for c in commands)
    assert any(c.startswith("make train") for c in commands)


@pytest.mark.parametrize("number, command", LINES, ids=["README:%d" % n for n, _c in LINES])
def test_readme_line(readme, number, command):
    ran = readme.line(number)
    fed, proc = ran.fed, ran.proc
    output = " ".join(proc.stdout.split())
    if ran.missing:
        # Stops before a run with the modules and where they go; tests/frameworks trains this framework.
        assert proc.returncode != 0, proc.stdout[-3000:]
        assert ("flower_train_framework=%s needs the Python modules %s" % (framework(command), ", ".join(ran.missing))
                ) in output, proc.stdout[-3000:]
        assert "nothing was submitted" in output and "requirements-frameworks.txt" in output
        assert ran.record_after == ran.record_before
        return
    assert proc.returncode == 0, "README.md:%d %s failed:\n%s\n%s" % (number, command, proc.stdout[-6000:],
                                                                      proc.stderr[-3000:])
    run_id = json.loads(ran.record_after)["run_id"]  # this line's run (later lines train on the same federation)
    metrics = fed.metrics(run_id)
    assert "Run %s finished:completed" % run_id in proc.stdout
    assert metrics["rounds"], metrics
    assert [row["round"] for row in metrics["rounds"]] == list(range(metrics["rounds"][0]["round"],
                                                                     metrics["num_rounds"] + 1))
    assert all(step["results"] >= step["minimum"] for step in metrics["replies"]), metrics["replies"]


def test_nodes_without_their_data_fail_the_run_with_their_errors(readme):
    """What used to print `finished:completed` and an empty table: every node's ClientApp raises, Flower logs
    `Received 0 results and N failures`, and now the run, flower_run and the play fail with the nodes' errors."""
    readme.line(LINES[-1][0])  # every README line has run
    fed = readme.fed
    data_files = sorted(fed.root.glob("supernode*/home/data/tabular.csv"))
    assert len(data_files) >= 2, "the local federation wrote no demo data"
    for path in data_files:
        path.rename(path.with_name("tabular.csv.away"))
    try:
        proc = fed.playbook("playbooks/train.yml", "-e", "flower_train_use_case=anomaly-detection",
                            "-e", "flower_train_force=true", check=False)
    finally:
        for path in data_files:
            path.with_name("tabular.csv.away").rename(path)
    output = " ".join(proc.stdout.split())
    assert proc.returncode != 0, proc.stdout[-3000:]
    assert fed.recap(proc.stdout)["superlink"]["failed"] == 1
    nodes = len(data_files)  # every SuperNode the README's lines started is online
    assert ("ended finished:failed" in output
            and "round 1 train: 0 results and %d failures from %d nodes, fewer than the minimum of 2" % (nodes, nodes)
            in output), proc.stdout[-4000:]
    for path in data_files:
        assert ("FileNotFoundError: anomaly detection: no tabular.csv in this node's data directory %s"
                % path.parent) in output, proc.stdout[-4000:]
    # The failed run is not recorded as the last one; the ServerApp's metrics.json says which nodes failed and why.
    recorded = json.loads((fed.superlink_home / "last-run.json").read_text())["run_id"]
    failed = max((p for p in (fed.superlink_home / "runs").iterdir() if p.name != str(recorded)),
                 key=lambda p: p.stat().st_mtime)
    metrics = json.loads((failed / "metrics.json").read_text())
    assert metrics["status"] == "failed" and metrics["rounds"] == []
    assert (metrics["failed_step"]["results"], metrics["failed_step"]["failures"]) == (0, nodes)
