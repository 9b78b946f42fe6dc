"""Drives a local federation through the collection's playbooks, as `make demo` does, in its own directory."""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import layout

REPO = Path(__file__).resolve().parents[2]

# Scores a saved digits model on the whole test set, in the federation's virtualenv.
EVALUATE_MODEL = """
import sys, numpy as np
sys.path.insert(0, sys.argv[2])
from digits import task
params = np.load(sys.argv[1])
model = task.new_model()
task.set_params(model, [params["coef"], params["intercept"]])
x_train, y_train, x_test, y_test = task.load_partition(0, 1)
print(task.evaluate(model, x_test, y_test)[1])
"""
BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class LocalFederation:
    def __init__(self, version, port_base, supernodes=2, extra_vars=(), prefix=None):
        """`extra_vars`: ansible-playbook arguments added to every playbook run (e.g. per-node node config);
        `prefix`: the temporary root's name prefix."""
        self.version = version
        self.port_base = port_base
        self.supernodes = supernodes
        self.extra_vars = list(extra_vars)
        # Must be traversable by the unprivileged service user, which pytest's 0700 tmp dirs are not.
        self.root = Path(tempfile.mkdtemp(prefix=prefix or "flower-e2e-%s-" % version))
        self.root.chmod(0o755)

    @property
    def env(self):
        env = dict(os.environ)
        env.update(FLOWER_LOCAL_ROOT=str(self.root), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
                   FLWR_TELEMETRY_ENABLED="0", FLWR_DISABLE_UPDATE_CHECK="1", ANSIBLE_NOCOLOR="1",
                   PATH="%s:%s" % (BIN, env.get("PATH", "")))
        return env

    def playbook(self, playbook, *extra, check=True):
        cmd = [str(BIN / "ansible-playbook"), "-i", str(REPO / "inventories/local/hosts.yml"), playbook,
               "-e", "flower_version=%s" % self.version, "-e", "flower_local_port_base=%d" % self.port_base,
               "-e", "flower_local_supernodes=%d" % self.supernodes] + self.extra_vars + list(extra)
        proc = subprocess.run(cmd, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=1800, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s failed (rc=%d):\n%s\n%s"
                                 % (playbook, proc.returncode, proc.stdout[-6000:], proc.stderr[-3000:]))
        return proc

    @staticmethod
    def recap(output):
        """{host: {'ok': n, 'changed': n, 'failed': n}} from a PLAY RECAP."""
        return {host: dict(ok=int(ok), changed=int(changed), unreachable=int(unr), failed=int(failed))
                for host, ok, changed, unr, failed in RECAP.findall(output)}

    # Paths the local inventory lays out.
    @property
    def venv(self):
        return self.root / ("venv-flwr-%s" % self.version)

    @property
    def superlink_home(self):
        return self.root / "superlink/home"

    @property
    def ca_file(self):
        return self.root / "superlink/etc/tls/ca.crt"

    @property
    def fleet_address(self):
        return "127.0.0.1:%d" % (self.port_base + 2)

    @property
    def control_address(self):
        return "127.0.0.1:%d" % (self.port_base + (2 if layout(self.version)["control_on_fleet_port"] else 3))

    def last_run(self):
        record = json.loads((self.superlink_home / "last-run.json").read_text())
        run_dir = self.superlink_home / "runs" / str(record["run_id"])
        return record["run_id"], json.loads((run_dir / "metrics.json").read_text()), run_dir

    def flwr(self, *args, insecure=False):
        """Run the federation's flwr CLI against its SuperLink with a throw-away config; return the JSON."""
        home = Path(tempfile.mkdtemp(prefix="flwr-cli-"))
        try:
            trust = "insecure = true" if insecure else 'root-certificates = "%s"' % self.ca_file
            (home / "config.toml").write_text('[superlink]\ndefault = "t"\n[superlink.t]\naddress = "%s"\n%s\n'
                                              % (self.control_address, trust))
            env = dict(self.env, FLWR_HOME=str(home))
            proc = subprocess.run([str(self.venv / "bin/flwr")] + list(args) + ["t", "--format", "json"],
                                  env=env, capture_output=True, text=True, timeout=120, check=False)
            return json.loads(proc.stdout[proc.stdout.index("{"):])
        finally:
            shutil.rmtree(home, ignore_errors=True)

    @property
    def app_dir(self):
        """The demo app as the SuperLink role installed it."""
        return self.root / "apps/digits"

    def submit(self, run_config, app=None):
        """Submit a run with `flwr run` (no playbook); return its run id."""
        pairs = " ".join("%s=%s" % (key, json.dumps(value)) for key, value in run_config.items())
        answer = self.flwr("run", str(app or self.app_dir), "--run-config", pairs)
        assert answer.get("success"), answer
        return int(answer["run-id"])

    def run_status(self, run_id):
        runs = self.flwr("ls", "--run-id", str(run_id)).get("runs") or [{}]
        return runs[0].get("status", "")

    def wait(self, run_ids, timeout=600, interval=2.0):
        """Wait until every run is finished:*; return {run id: status}. One `flwr ls` per poll: each CLI call is a
        Python start that would take CPU from the runs."""
        deadline = time.time() + timeout
        pending, done = set(run_ids), {}
        while pending and time.time() < deadline:
            for run in self.flwr("ls").get("runs") or []:
                run_id, status = int(run.get("run-id", -1)), run.get("status", "")
                if run_id in pending and status.startswith("finished"):
                    done[run_id] = status
                    pending.discard(run_id)
            if pending:
                time.sleep(interval)
        done.update({run_id: "timeout" for run_id in pending})
        return done

    def run_log(self, run_id):
        """The run's log as the SuperLink holds it."""
        home = Path(tempfile.mkdtemp(prefix="flwr-cli-"))
        try:
            (home / "config.toml").write_text('[superlink]\ndefault = "t"\n[superlink.t]\naddress = "%s"\n'
                                              'root-certificates = "%s"\n' % (self.control_address, self.ca_file))
            proc = subprocess.run([str(self.venv / "bin/flwr"), "log", str(run_id), "t", "--show"],
                                  env=dict(self.env, FLWR_HOME=str(home)), capture_output=True, text=True,
                                  timeout=120, check=False)
            return proc.stdout + proc.stderr
        finally:
            shutil.rmtree(home, ignore_errors=True)

    def run_dir(self, run_id):
        return self.superlink_home / "runs" / str(run_id)

    def model_accuracy(self, model_path):
        """Accuracy of a saved digits model (model.npz) on the whole test set, independently of the run's metrics."""
        out = subprocess.run([str(self.venv / "bin/python"), "-c", EVALUATE_MODEL, str(model_path),
                              str(REPO / "apps/digits")], capture_output=True, text=True, check=True).stdout
        return float(out)

    def metrics(self, run_id):
        return json.loads((self.run_dir(run_id) / "metrics.json").read_text())

    def destroy(self):
        if self.root.is_dir() and any(self.root.iterdir()):  # a play refused before anything changed left it empty
            self.playbook("playbooks/teardown.yml", "-e", "flower_teardown_purge=true", check=False)
        subprocess.run(["pkill", "-f", str(self.root)], check=False)
        shutil.rmtree(self.root, ignore_errors=True)
