"""End to end: the anomaly-detection use case with scikit-learn, as the README's line trains it on `make demo`'s
federation (tests/e2e/readme.py: 4 SuperNodes by then, TLS + node auth). Each node's synthetic CSV lives in its
own data directory; the run reaches the target F1, bytes per round stay within the model-size bound, and the
opens the README runner watches for use-case lines show that each SuperNode read its own data and nothing else of
the federation opened any."""

import json

import pytest

from tests.e2e import use_cases
from tests.e2e.federation import REPO

pytestmark = pytest.mark.e2e

USE_CASE = "anomaly-detection"
MIN_F1 = 0.8
MEASURED = {}


@pytest.fixture(scope="module")
def trained(readme):
    number, ran = readme.first("flower_train_use_case", USE_CASE)
    assert ran.proc.returncode == 0, "README.md:%d failed:\n%s" % (number, ran.proc.stdout[-4000:])
    fed = ran.fed
    run_id = json.loads(ran.record_after)["run_id"]
    nodes = len(list(fed.root.glob("supernode*/home/data/tabular.csv")))
    yield dict(fed=fed, run_id=run_id, metrics=fed.metrics(run_id), nodes=nodes, opens=ran.opens,
               traffic=use_cases.run_traffic(fed, run_id))
    print("\nmeasured: %s" % use_cases.dumps(MEASURED))


def test_anomaly_detection_reaches_the_target_f1(trained):
    metrics = trained["metrics"]
    assert (metrics["use_case"], metrics["framework"]) == (USE_CASE, "sklearn")
    assert [row["round"] for row in metrics["rounds"]] == list(range(1, metrics["num_rounds"] + 1))
    final = metrics["rounds"][-1]
    MEASURED["final"] = {k: round(final[k], 4) for k in ("precision", "recall", "f1", "eval_loss")}
    MEASURED["rounds_to_target"] = metrics["rounds_to_target"]
    assert final["f1"] >= MIN_F1, metrics["rounds"]
    assert final["tp"] + final["fn"] > 0  # the test splits hold anomalies
    assert metrics["rounds_to_target"] is not None


def test_bytes_per_round_stay_near_the_model_size(trained):
    metrics, traffic, nodes = trained["metrics"], trained["traffic"], trained["nodes"]
    per_round = use_cases.bytes_per_round_per_node(traffic, metrics["num_rounds"], nodes)
    data_bytes = (use_cases.data_dir(trained["fed"], 1) / "tabular.csv").stat().st_size
    MEASURED["traffic"] = use_cases.summary(metrics, traffic, nodes, data_bytes)
    # The model's copies did travel, and nothing as big as the data came with them.
    assert per_round >= use_cases.COPIES_PER_ROUND * metrics["model_bytes"], MEASURED["traffic"]
    assert per_round <= use_cases.traffic_bound(metrics["model_bytes"]), MEASURED["traffic"]
    assert data_bytes > 10 * use_cases.traffic_bound(metrics["model_bytes"])


def test_each_supernode_reads_only_its_own_data_and_the_superlink_none(trained):
    opens = trained["opens"]
    if opens is None:
        pytest.skip("watching who opens the data (fanotify) needs root")
    # Positive control: every SuperNode's ClientApps read their own data while the line ran.
    assert opens.readers() == {"supernode%d" % i for i in range(1, trained["nodes"] + 1)}, opens.opens
    assert not opens.misplaced(), opens.misplaced()


@pytest.mark.parametrize("extra, message", [
    ({"flower_train_use_case": "fraud"}, "flower_train_use_case=fraud is not a use case; allowed: image-classification"),
    ({"flower_train_use_case": "anomaly-detection", "flower_train_framework": "tensorflow"},
     "flower_train_framework=tensorflow is not available for flower_train_use_case=anomaly-detection; allowed: "
     "sklearn, pytorch"),
    ({"flower_train_framework": "pytorch"}, "none (set flower_train_use_case to choose a framework)"),
    ({"flower_train_use_case": "anomaly-detection", "flower_train_strategy": "Krum"},
     "runs FedAvg without DP, strategy options or resume; got flower_train_strategy=Krum"),
])
def test_bad_use_case_input_fails_before_a_run(trained, extra, message, tmp_path):
    federation = trained["fed"]
    before = federation.superlink_home.joinpath("last-run.json").read_text()
    # preflight adds the SuperNodes to the inventory; train.yml then checks before it needs the SuperLink.
    playbook = tmp_path / "check-use-case.yml"
    playbook.write_text("- ansible.builtin.import_playbook: %s/playbooks/preflight.yml\n"
                        "- ansible.builtin.import_playbook: %s/playbooks/train.yml\n" % (REPO, REPO))
    proc = federation.playbook(str(playbook), "-e", json.dumps(extra), check=False)
    assert proc.returncode != 0
    assert message in " ".join(proc.stdout.split()), proc.stdout[-3000:]
    assert federation.superlink_home.joinpath("last-run.json").read_text() == before
