"""Benchmark: bytes per round per node against the model size, and rounds to the target metric, per use case and
framework (issue 6 part 5). Not a test: it prints a report.

It deploys one local federation (1 SuperLink, N SuperNodes, TLS + node auth) with the roles, writes each node's
demo data into its own data directory (synthetic CSV, a shard of scikit-learn's bundled digits as arrays, a
synthetic corpus; a tiny random GPT-2 made here for the LLM), runs every chosen use case with `flwr run`, and reads
the SuperLink's per-run Fleet traffic (`flwr ls --run-id`, what the flower_run module returns as network_traffic).

  bytes/round/node = total run traffic / (rounds x nodes)      (train down + trained model up + evaluate down,
  ratio            = bytes/round/node / model bytes              so about 3 plus Flower's per-message overhead)

Usage (from the repository root, with the Ansible virtualenv's Python):
    python benchmarks/use_cases.py                              # every use case; the frameworks get installed
    python benchmarks/use_cases.py --only anomaly-detection/sklearn --rounds 5 --json /tmp/uc.json
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e import use_cases  # noqa: E402
from tests.e2e.federation import REPO, LocalFederation  # noqa: E402

COMBINATIONS = ["anomaly-detection/sklearn", "anomaly-detection/pytorch", "image-classification/pytorch",
                "image-classification/tensorflow", "llm-fine-tuning/pytorch"]
HEAVY = {"pytorch", "tensorflow"}
ROUNDS_MAX = 20


def arguments():
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n", 1)[0].split()))
    parser.add_argument("--only", action="append", choices=COMBINATIONS, help="use-case/framework (repeatable)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per run (1-%d)" % ROUNDS_MAX)
    parser.add_argument("--nodes", type=int, default=2, help="SuperNodes (2-4)")
    parser.add_argument("--port-base", type=int, default=20200, help="ports base+1.. (20000-20900)")
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args()
    if not 1 <= args.rounds <= ROUNDS_MAX or not 2 <= args.nodes <= 4 or not 20000 <= args.port_base <= 20900:
        parser.error("--rounds=%d (1-%d), --nodes=%d (2-4), --port-base=%d (20000-20900)"
                     % (args.rounds, ROUNDS_MAX, args.nodes, args.port_base))
    return args


def packages(combinations):
    if not any(c.split("/")[1] in HEAVY for c in combinations):
        return []
    lines = (REPO / "requirements-frameworks.txt").read_text().splitlines()
    pins = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    return ["-e", json.dumps({"superlink_app_pip_packages": pins, "supernode_app_pip_packages": pins})]


def main():
    args = arguments()
    combinations = args.only or COMBINATIONS
    fed = LocalFederation("1.42.0", args.port_base, supernodes=args.nodes, extra_vars=packages(combinations),
                          prefix="uc-bench-")
    report = {"nodes": args.nodes, "rounds": args.rounds, "runs": []}
    try:
        started = time.time()
        fed.playbook("site.yml", "--skip-tags", "train")
        report["deploy_s"] = round(time.time() - started, 1)
        for combination in combinations:
            use_case, framework = combination.split("/")
            use_cases.prepare(fed, use_case, args.nodes)
            config = {"num-server-rounds": args.rounds}
            if use_case == "llm-fine-tuning":
                config["model-dir"] = str(use_cases.tiny_model_dir(fed))
            run = use_cases.run_use_case(fed, use_case, framework, config, args.nodes)
            line = use_cases.summary(run["metrics"], run["traffic"], args.nodes, run["data_bytes"])
            line.update(elapsed_s=run["elapsed_s"], misplaced_data_opens=len(run["opens"].misplaced()))
            report["runs"].append(line)
            print_line(line)
    finally:
        fed.destroy()
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return 0


def print_line(line):
    target = line["target"]
    final = line["final"].get(target["metric"])
    print("%-21s %-10s model %9d B  bytes/round/node %9d B  x%-6.2f data/node %9d B  %s %s %.4f, target %s "
          "reached in round %s  (%.0f s, data opens outside their node: %d)"
          % (line["use_case"], line["framework"], line["model_bytes"], line["bytes_per_round_per_node"],
             line["ratio_to_model"], line["data_bytes_per_node"], target["metric"], "final", final or 0.0,
             target["value"], line["rounds_to_target"], line["elapsed_s"], line["misplaced_data_opens"]),
          flush=True)


if __name__ == "__main__":
    sys.exit(main())
