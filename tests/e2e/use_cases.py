"""Helpers for the use-case tests (tests/e2e/test_use_case_anomaly.py, tests/frameworks/) and the benchmark
(benchmarks/use_cases.py): node data directories, a system-call trace of the SuperLink side, bytes per round."""

import json
import os
import subprocess
import time
from pathlib import Path

from tests.e2e.federation import REPO

# Per node and round a FedAvg run moves 3 copies of the model over the Fleet API: the train instruction (down),
# the trained model (up) and the evaluate instruction (down); replies to evaluate carry metrics only.
COPIES_PER_ROUND = 3
# What may come on top of those copies per node and round: message metadata, config and metric records, object
# ids, the pull/push requests and the app bundle spread over the rounds. Measured: about 19 KiB (docs/use-cases.md).
OVERHEAD_PER_ROUND = 32 * 1024
COPIES_SLACK = 1.10


def data_dir(fed, index):
    """SuperNode `index`'s data directory as the local inventory lays it out (supernode_data_dir's default)."""
    return fed.root / ("supernode%d" % index) / "home" / "data"


def service_user(fed):
    """(uid, gid) the federation's services run as: 'flower' when the tests run as root, else this user."""
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    import pwd

    entry = pwd.getpwnam("flower")
    return entry.pw_uid, entry.pw_gid


def hand_over(fed, path):
    """Give a file or directory tree written by the test to the services' user, readable by it only."""
    uid, gid = service_user(fed)
    for root, dirs, files in os.walk(path) if Path(path).is_dir() else [(str(Path(path).parent), [], [Path(path).name])]:
        for name in dirs + files:
            os.chown(os.path.join(root, name), uid, gid)
    if Path(path).is_dir():
        os.chown(path, uid, gid)


def app_python(fed, code, *args, app="anomaly_detection"):
    """Run `code` in the federation's virtualenv with the app's package importable; return stdout."""
    proc = subprocess.run([str(fed.venv / "bin/python"), "-c", "import sys; sys.path.insert(0, sys.argv[1]);" + code,
                           str(REPO / "apps" / app)] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def supervisor_pid(fed, program):
    out = subprocess.run([str(fed.venv / "bin/supervisorctl"), "-c", str(fed.root / "supervisor/supervisord.conf"),
                          "pid", program], capture_output=True, text=True, check=False).stdout.strip()
    assert out.isdigit() and out != "0", "no pid for %s: %r" % (program, out)
    return int(out)


def process_tree(pid):
    """`pid` and all its descendants now (the SuperLink's SuperExec and the processes it runs, for instance)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


class FileOpenTrace:
    """strace -f of a running process, its descendants and every process they start: which files they open, while
    the block runs."""

    def __init__(self, pid, out):
        self.pid, self.out, self.proc = pid, Path(out), None

    def __enter__(self):
        attach = [arg for pid in process_tree(self.pid) for arg in ("-p", str(pid))]
        self.proc = subprocess.Popen(["strace", "-f", "--seccomp-bpf", "-qq", "-e", "trace=open,openat,openat2",
                                      "-o", str(self.out)]
                                     + attach, stderr=subprocess.DEVNULL)
        # strace attaches to every thread before the first event; give it that moment.
        deadline = time.time() + 10
        while time.time() < deadline and not (self.out.exists() and self.out.stat().st_size > 0):
            time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=30)

    def opened(self):
        """Paths passed to successful open calls."""
        paths = []
        for line in self.out.read_text(errors="replace").splitlines():
            if '"' in line and "= -1" not in line:
                paths.append(line.split('"')[1])
        return paths


def run_traffic(fed, run_id):
    """The run's Fleet API traffic as the SuperLink counts it (what flower_run returns as network_traffic)."""
    run = fed.flwr("ls", "--run-id", str(run_id))["runs"][0]
    return run["network-traffic"]


def bytes_per_round_per_node(traffic, rounds, nodes):
    return int(traffic["total-bytes"]) / (rounds * nodes)


def traffic_bound(model_bytes):
    """The most bytes per node and round a run may move when only the model travels."""
    return COPIES_PER_ROUND * model_bytes * COPIES_SLACK + OVERHEAD_PER_ROUND


def summary(metrics, traffic, nodes, data_bytes):
    """One report line per run (the benchmark's and the tests' measured numbers)."""
    rounds = metrics["num_rounds"]
    per_round = bytes_per_round_per_node(traffic, rounds, nodes)
    return {"use_case": metrics["use_case"], "framework": metrics["framework"], "rounds": rounds, "nodes": nodes,
            "model_bytes": metrics["model_bytes"], "base_model_bytes": metrics.get("base_model_bytes"),
            "bytes_per_round_per_node": int(per_round),
            "ratio_to_model": round(per_round / metrics["model_bytes"], 2),
            "data_bytes_per_node": data_bytes, "rounds_to_target": metrics["rounds_to_target"],
            "target": metrics["target"], "final": metrics["rounds"][-1] if metrics["rounds"] else {}}


def dumps(obj):
    return json.dumps(obj, indent=1, sort_keys=True)


# What each use case needs on a node and in its run config; `app` is the directory under apps/.
USE_CASES = {
    "image-classification": {"app": "image_classification", "data": "images.npz"},
    "anomaly-detection": {"app": "anomaly_detection", "data": "tabular.csv"},
    "llm-fine-tuning": {"app": "llm_finetune", "data": "corpus.txt"},
}
MAKE_DATA = {
    "image-classification": ("from image_classification import data; "
                             "data.write_demo_shard(sys.argv[2], int(sys.argv[3]) - 1, int(sys.argv[4]))"),
    "anomaly-detection": ("from anomaly_detection import data; "
                          "data.write_synthetic(sys.argv[2] + '/tabular.csv', 4000, seed=int(sys.argv[3]))"),
    "llm-fine-tuning": ("from llm_finetune import tiny_model; "
                        "tiny_model.write_corpus(sys.argv[2] + '/corpus.txt', 600, seed=int(sys.argv[3]))"),
}
MAKE_MODEL = "from llm_finetune import tiny_model; tiny_model.create(sys.argv[2])"


def prepare(fed, use_case, nodes):
    """Write the use case's demo data into every node's data directory, for the services' user only."""
    for index in range(1, nodes + 1):
        target = data_dir(fed, index)
        app_python(fed, MAKE_DATA[use_case], target, index, nodes, app=USE_CASES[use_case]["app"])
        hand_over(fed, target / USE_CASES[use_case]["data"])


def tiny_model_dir(fed):
    """A tiny random GPT-2 with its tokenizer, created here (no model hub), readable by the services."""
    model_dir = fed.root / "models" / "tiny-gpt2"
    if not (model_dir / "config.json").exists():
        app_python(fed, MAKE_MODEL, model_dir, app="llm_finetune")
        hand_over(fed, model_dir.parent)
        for path in model_dir.iterdir():
            path.chmod(0o644)
    return model_dir


def run_use_case(fed, use_case, framework, run_config, nodes, trace_dir):
    """Submit one run with flwr run while the SuperLink side is traced; return its metrics, traffic and opens."""
    config = dict({"framework": framework, "min-nodes": nodes}, **run_config)
    trace = FileOpenTrace(supervisor_pid(fed, "flower-superlink"), Path(trace_dir) / ("%s-%s" % (use_case, framework)))
    started = time.time()
    with trace:
        run_id = fed.submit(config, app=fed.root / "apps" / USE_CASES[use_case]["app"])
        status = fed.wait([run_id], timeout=1800)[run_id]
    elapsed = round(time.time() - started, 1)
    assert status == "finished:completed", (use_case, framework, status, fed.run_log(run_id)[-4000:])
    metrics = fed.metrics(run_id)
    data_bytes = (data_dir(fed, 1) / USE_CASES[use_case]["data"]).stat().st_size
    return {"run_id": run_id, "metrics": metrics, "traffic": run_traffic(fed, run_id), "opened": trace.opened(),
            "elapsed_s": elapsed, "data_bytes": data_bytes}


def data_opens(fed, opened, nodes):
    """The paths in `opened` that are in a node's data directory or are data files."""
    dirs = tuple(str(data_dir(fed, i)) for i in range(1, nodes + 1))
    names = tuple(spec["data"] for spec in USE_CASES.values())
    return [p for p in opened if p.startswith(dirs) or p.endswith(names)]
