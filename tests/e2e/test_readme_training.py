"""End to end: every training line of README.md (`make demo ...`, `make train ...` in its code blocks), read from the
README itself and run as written, in README order, against one local federation (2 SuperNodes, TLS + node auth)
that the README's first `make demo` deploys. Only the harness's isolation is added: FLOWER_LOCAL_ROOT (a temporary
directory; a line's own FLOWER_LOCAL_ROOT=$PWD/... lands under it) and a port base of its own unless the line sets
one. A line whose framework the federation lacks must stop before submitting a run, naming what is missing (that
framework trains in tests/frameworks). Then the failure Flower used to report as a completed run with no rounds:
a SuperNode without its data fails the run and the play with that node's FileNotFoundError."""

import json
import re
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e import use_cases
from tests.e2e.federation import BIN, REPO, LocalFederation

pytestmark = pytest.mark.e2e

PORT_BASE = 20300
COMMAND = re.compile(r"^make (demo|train)\b")
# Python modules of a framework (playbooks/train.yml flower_train_framework_modules).
FRAMEWORK_MODULES = {"tensorflow": ["tensorflow"], "pytorch": ["torch"], "sklearn": ["sklearn"]}
MEASURED = {}


def readme_lines():
    """(line number, command) of each `make demo`/`make train` line in README.md's code blocks, in order."""
    lines, in_block = [], False
    for number, text in enumerate((REPO / "README.md").read_text().splitlines(), start=1):
        if text.startswith("```"):
            in_block = not in_block
        elif in_block and COMMAND.match(text):
            lines.append((number, text))
    return lines


LINES = readme_lines()


def parse(command):
    """(make target, ARGS as written, other VAR=value assignments) of a README line; comments dropped."""
    words = shlex.split(command, comments=True)
    assert words[:1] == ["make"] and len(words) >= 2, command
    assignments = dict(word.split("=", 1) for word in words[2:])
    unknown = set(assignments) - {"ARGS", "FLOWER_LOCAL_ROOT", "PURGE"}
    assert not unknown, "%s: no idea how to run %s" % (command, sorted(unknown))
    return words[1], assignments.pop("ARGS", ""), assignments


def extra_vars(args):
    """{name: value} of the -e name=value pairs in ARGS."""
    words = shlex.split(args)
    return dict(words[i + 1].split("=", 1) for i, word in enumerate(words[:-1]) if word == "-e" and "=" in words[i + 1])


class Readme:
    """Runs README lines with make against temporary federations; remembers the roots to tear down."""

    def __init__(self):
        self.fed = LocalFederation("1.42.0", PORT_BASE, supernodes=2, prefix="readme-")
        self.roots = {}  # FLOWER_LOCAL_ROOT -> LocalFederation (for the checks and the tear-down)

    def run(self, command):
        target, args, assignments = parse(command)
        variables = extra_vars(args)
        root = assignments.get("FLOWER_LOCAL_ROOT", "")
        root = Path(root.replace("$PWD", str(self.fed.root))) if root else self.fed.root
        if root not in self.roots:
            fed = self.fed if root == self.fed.root else LocalFederation(
                variables.get("flower_version", "1.42.0"), int(variables.get("flower_local_port_base", PORT_BASE)))
            if root != self.fed.root:
                fed.root.rmdir()
                fed.root = root
            self.roots[root] = fed
        fed = self.roots[root]
        # Isolation first: the line's own -e come after it and win.
        isolation = "" if "flower_local_port_base" in variables else "-e flower_local_port_base=%d " % PORT_BASE
        argv = ["make", "-C", str(REPO), target, "VENV=%s" % BIN.parent, "ARGS=%s%s" % (isolation, args),
                "FLOWER_LOCAL_ROOT=%s" % root] + ["%s=%s" % kv for kv in assignments.items() if kv[0] != "FLOWER_LOCAL_ROOT"]
        started = time.time()
        proc = subprocess.run(argv, cwd=REPO, env=dict(fed.env, FLOWER_LOCAL_ROOT=str(root)), capture_output=True,
                              text=True, timeout=1800, check=False)
        MEASURED[command] = round(time.time() - started, 1)
        return fed, variables, proc

    def destroy(self):
        for fed in reversed(list(self.roots.values())):  # a line's own root may lie under the first one
            fed.destroy()


@pytest.fixture(scope="module")
def readme():
    runner = Readme()
    yield runner
    print("\nmeasured (s per README line): %s" % use_cases.dumps(MEASURED))
    runner.destroy()


def missing_modules(fed, framework):
    code = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"
    out = subprocess.run([str(fed.venv / "bin/python"), "-c", code] + FRAMEWORK_MODULES.get(framework, []),
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def last_record(fed):
    path = fed.superlink_home / "last-run.json"
    return path.read_text() if path.exists() else None


def test_the_readme_has_its_training_lines():
    commands = [command for _number, command in LINES]
    assert len(commands) >= 8, commands
    assert any("flower_train_use_case=anomaly-detection" in c for c in commands)
    assert any(c.startswith("make train") for c in commands)


@pytest.mark.parametrize("number, command", LINES, ids=["README:%d" % n for n, _c in LINES])
def test_readme_line(readme, number, command):
    framework = extra_vars(parse(command)[1]).get("flower_train_framework")
    fed = readme.roots.get(readme.fed.root)
    missing = missing_modules(fed, framework) if fed is not None and framework else []
    before = last_record(fed) if missing else None
    fed, _variables, proc = readme.run(command)
    output = " ".join(proc.stdout.split())
    if missing:
        # Stops before a run with the modules and where they go; tests/frameworks trains this framework.
        assert proc.returncode != 0, proc.stdout[-3000:]
        assert ("flower_train_framework=%s needs the Python modules %s" % (framework, ", ".join(missing))) in output, \
            proc.stdout[-3000:]
        assert "nothing was submitted" in output and "requirements-frameworks.txt" in output
        assert last_record(fed) == before
        return
    assert proc.returncode == 0, "README.md:%d %s failed:\n%s\n%s" % (number, command, proc.stdout[-6000:],
                                                                      proc.stderr[-3000:])
    run_id, metrics, _run_dir = fed.last_run()
    assert "Run %s finished:completed" % run_id in proc.stdout
    assert metrics["rounds"], metrics
    assert [row["round"] for row in metrics["rounds"]] == list(range(metrics["rounds"][0]["round"],
                                                                     metrics["num_rounds"] + 1))
    assert all(step["results"] >= step["minimum"] for step in metrics["replies"]), metrics["replies"]


def test_nodes_without_their_data_fail_the_run_with_their_errors(readme):
    """What used to print `finished:completed` and an empty table: every node's ClientApp raises, Flower logs
    `Received 0 results and N failures`, and now the run, flower_run and the play fail with the nodes' errors."""
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
