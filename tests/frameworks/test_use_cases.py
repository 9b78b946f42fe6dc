"""The use cases on their heavy frameworks (make test-frameworks): PyTorch and TensorFlow/Keras CNNs, a PyTorch
autoencoder, LoRA fine-tuning of a tiny random GPT-2 created here. One real local federation (2 SuperNodes, TLS +
node auth) whose virtualenv the roles build with requirements-frameworks.txt; each node's demo data lives in its
own data directory. Every run: reaches its target, moves per node and round no more than the model's (or the
adapters') copies plus a bounded overhead, and each SuperNode reads only its own data, the SuperLink none
(use_cases.DataOpens)."""

import json
import time
from pathlib import Path

import numpy as np
import pytest

from tests.e2e import use_cases
from tests.e2e.federation import REPO, LocalFederation

pytestmark = pytest.mark.e2e

PORT_BASE = 20100
NODES = 2
PACKAGES = [line.strip() for line in (REPO / "requirements-frameworks.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
RUNS = {
    ("image-classification", "pytorch"): {"num-server-rounds": 3},
    ("image-classification", "tensorflow"): {"num-server-rounds": 3},
    ("anomaly-detection", "pytorch"): {"num-server-rounds": 3},
    ("llm-fine-tuning", "pytorch"): {"num-server-rounds": 3},
}
# After the last round, at least (image accuracy, anomaly F1) or at most (LLM eval loss, from ~3.8 untrained).
TARGETS = {"image-classification": ("eval_accuracy", 0.85), "anomaly-detection": ("f1", 0.8),
           "llm-fine-tuning": ("eval_loss", 3.4)}
MEASURED = {}


@pytest.fixture(scope="module")
def federation():
    packages = json.dumps({"superlink_app_pip_packages": PACKAGES, "supernode_app_pip_packages": PACKAGES})
    fed = LocalFederation("1.42.0", PORT_BASE, supernodes=NODES, extra_vars=["-e", packages], prefix="uc-frameworks-")
    started = time.time()
    fed.playbook("site.yml", "--skip-tags", "train")
    MEASURED["deploy_with_frameworks_s"] = round(time.time() - started, 1)
    for use_case in use_cases.USE_CASES:
        use_cases.prepare(fed, use_case, NODES)
    fed.model_dir = use_cases.tiny_model_dir(fed)
    yield fed
    print("\nmeasured: %s" % use_cases.dumps(MEASURED))
    fed.destroy()


@pytest.mark.parametrize("use_case, framework", sorted(RUNS), ids=["-".join(k) for k in sorted(RUNS)])
def test_use_case(federation, use_case, framework):
    config = dict(RUNS[use_case, framework])
    if use_case == "llm-fine-tuning":
        config["model-dir"] = str(federation.model_dir)
    run = use_cases.run_use_case(federation, use_case, framework, config, NODES)
    metrics = run["metrics"]
    report = use_cases.summary(metrics, run["traffic"], NODES, run["data_bytes"])
    MEASURED["%s/%s" % (use_case, framework)] = dict(report, elapsed_s=run["elapsed_s"])
    assert (metrics["use_case"], metrics["framework"]) == (use_case, framework)

    metric, target = TARGETS[use_case]
    final = metrics["rounds"][-1][metric]
    assert (final >= target if metric != "eval_loss" else final <= target), metrics["rounds"]

    per_round = report["bytes_per_round_per_node"]
    assert per_round >= use_cases.COPIES_PER_ROUND * metrics["model_bytes"], report
    assert per_round <= use_cases.traffic_bound(metrics["model_bytes"]), report
    if use_case == "llm-fine-tuning":
        # Only the adapters travel: a round moves less than a tenth of the frozen base model.
        assert per_round < metrics["base_model_bytes"] / 10, report

    assert run["opens"].readers() == {"supernode%d" % i for i in range(1, NODES + 1)}, run["opens"].opens
    assert not run["opens"].misplaced(), run["opens"].misplaced()


def test_the_final_adapters_are_only_lora_weights(federation):
    """The LLM run's saved global model holds the adapter tensors only (LoRA A and B per targeted module)."""
    run_dirs = sorted(Path(federation.superlink_home / "runs").glob("*/metrics.json"))
    llm = [json.loads(p.read_text()) for p in run_dirs]
    llm = [m for m in llm if m.get("use_case") == "llm-fine-tuning"]
    assert llm, "the llm-fine-tuning run did not run before this test"
    with np.load(llm[-1]["model"]) as arrays:
        total = sum(arrays[name].nbytes for name in arrays.files)
    assert total == llm[-1]["model_bytes"] < llm[-1]["base_model_bytes"] / 20
