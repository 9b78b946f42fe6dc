"""Helpers for the use-case tests (tests/e2e/test_use_case_anomaly.py, tests/frameworks/) and the benchmark
(benchmarks/use_cases.py): node data directories, which process opened their files, bytes per round."""

import ctypes
import json
import os
import select
import struct
import subprocess
import threading
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


class DataOpens:
    """Which process opened which file of the nodes' data directories while the block ran, from the kernel's
    fanotify permission events (root only): each open waits until its process is attributed to the SuperLink's
    process tree, to SuperNode i's, or to 'other' (Ansible writing the demo data, say), so a ClientApp that exits
    right after is attributed too. It watches only those directories: tracing the services' system calls instead
    slowed a run threefold."""

    INIT_FLAGS = 0x04 | 0x01  # FAN_CLASS_CONTENT | FAN_CLOEXEC
    MARK = (0x01, 0x00010000 | 0x08000000)  # FAN_MARK_ADD; FAN_OPEN_PERM | FAN_EVENT_ON_CHILD
    EVENT = struct.Struct("=IBBHQii")  # struct fanotify_event_metadata
    RESPONSE = struct.Struct("=iI")  # struct fanotify_response
    ALLOW, OVERFLOW = 0x01, 0x4000

    def __init__(self, fed, nodes):
        self.dirs = {"supernode%d" % i: data_dir(fed, i) for i in range(1, nodes + 1)}
        self.roots = {supervisor_pid(fed, "flower-" + side): side for side in ["superlink"] + list(self.dirs)}
        self.opens = []  # (side, path)
        self.fd, self.reader, self.stop, self.errors = None, None, threading.Event(), []

    def __enter__(self):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.fanotify_mark.argtypes = [ctypes.c_int, ctypes.c_uint, ctypes.c_uint64, ctypes.c_int, ctypes.c_char_p]
        self.fd = libc.fanotify_init(self.INIT_FLAGS, os.O_RDONLY | os.O_LARGEFILE)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "fanotify_init (the data-open trace needs root)")
        for directory in self.dirs.values():
            if libc.fanotify_mark(self.fd, *self.MARK, -100, str(directory).encode()) != 0:
                raise OSError(ctypes.get_errno(), "fanotify_mark", str(directory))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.reader.join(timeout=30)
        os.close(self.fd)  # answers any open still waiting
        assert not self.errors, self.errors

    def _read(self):
        poller = select.poll()
        poller.register(self.fd, select.POLLIN)
        while not self.stop.is_set():
            if not poller.poll(200):
                continue
            buffer = os.read(self.fd, 64 * self.EVENT.size)
            for offset in range(0, len(buffer), self.EVENT.size):
                length, _vers, _res, _meta, mask, fd, pid = self.EVENT.unpack_from(buffer, offset)
                if mask & self.OVERFLOW or length != self.EVENT.size:
                    self.errors.append("fanotify event 0x%x of %d bytes: events were lost" % (mask, length))
                    continue
                try:
                    self.opens.append((self._side(pid), os.readlink("/proc/self/fd/%d" % fd)))
                except OSError as error:
                    self.errors.append("an open by pid %d: %s" % (pid, error))
                finally:
                    os.write(self.fd, self.RESPONSE.pack(fd, self.ALLOW))
                    os.close(fd)

    def _side(self, pid):
        while pid > 1:
            if pid in self.roots:
                return self.roots[pid]
            try:
                pid = int(Path("/proc/%d/stat" % pid).read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                return "gone"
        return "other"

    def misplaced(self):
        """Opens by a federation process outside its own data directory: any by the SuperLink's tree, and by
        SuperNode i's tree any outside data directory i."""
        return [(side, path) for side, path in self.opens
                if side == "superlink" or (side in self.dirs and not path.startswith(str(self.dirs[side]) + "/"))]

    def readers(self):
        """The SuperNodes whose process tree read a file of their own data directory."""
        return {side for side, path in self.opens if side in self.dirs and path.startswith(str(self.dirs[side]) + "/")}


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


def run_use_case(fed, use_case, framework, run_config, nodes):
    """Submit one run with flwr run while the nodes' data directories are watched; return its metrics, traffic and
    the DataOpens."""
    config = dict({"framework": framework, "min-nodes": nodes}, **run_config)
    started = time.time()
    with DataOpens(fed, nodes) as opens:
        run_id = fed.submit(config, app=fed.root / "apps" / USE_CASES[use_case]["app"])
        status = fed.wait([run_id], timeout=1800)[run_id]
    elapsed = round(time.time() - started, 1)
    assert status == "finished:completed", (use_case, framework, status, fed.run_log(run_id)[-4000:])
    metrics = fed.metrics(run_id)
    data_bytes = (data_dir(fed, 1) / USE_CASES[use_case]["data"]).stat().st_size
    return {"run_id": run_id, "metrics": metrics, "traffic": run_traffic(fed, run_id), "opens": opens,
            "elapsed_s": elapsed, "data_bytes": data_bytes}
