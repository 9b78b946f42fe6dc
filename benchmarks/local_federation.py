"""Benchmark: a local Flower federation deployed by our playbooks against the same federation started by hand.

Both sides run the same 3-round `apps/digits` app (num-server-rounds=3, min-nodes=2) on one SuperLink and two
SuperNodes on 127.0.0.1, with the same security: TLS from a private CA, SuperNode authentication with registered
EC P-384 keys, and a SQLite state database.

  (a) raw:      flower-superlink / flower-supernode / flwr started with subprocess, as §3 of the Flower runtime
                notes does it by hand.
  (b) playbook: ansible-playbook -i inventories/local/hosts.yml site.yml on a fresh FLOWER_LOCAL_ROOT.

Both sides use the same Flower virtualenv, made once by a warm-up playbook run, so installation time is left
out of both. Each side is timed from its first step to the run reported as finished:completed. The script then
times a no-op re-run of the playbook on the deployed federation, which must report changed=0.

Usage (from the repository root, with the Ansible virtualenv's Python):
    python benchmarks/local_federation.py [--version 1.42.0] [--repeats 2] [--port-base 19700] [--json FILE]
"""

import argparse
import hashlib
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parents[1]
ANSIBLE_BIN = Path(sys.executable).parent
VERSIONS = ("1.42.0", "1.31.0")
TARGET_RATIO = 1.25
TARGET_NOOP_S = 15.0
PORT_RANGE = (19700, 19899)
PLAYBOOK_PORT_OFFSET = 100  # the playbook federation uses port_base + 100 ..., the raw one port_base ...
SUPERNODES = 2
RUN_CONFIG = {"num-server-rounds": 3, "min-nodes": SUPERNODES}
RUN_TIMEOUT_S = 1800
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
TASK_HEADER = re.compile(r"^(TASK|PLAY|RUNNING HANDLER) \[(.*)\]|^PLAY RECAP")
CHANGED_LINE = re.compile(r"^changed: \[([^\]]+)\]")


def log(message):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), message), flush=True)


def is_new_layout(version):
    """1.42 serves one HTTP port; 1.31 has the gRPC layout (ServerAppIo, Fleet, Control)."""
    return version.startswith("1.42")


def flower_env(venv, flwr_home=None):
    env = dict(os.environ, FLWR_TELEMETRY_ENABLED="0", FLWR_DISABLE_UPDATE_CHECK="1",
               PATH="%s:%s" % (venv / "bin", os.environ.get("PATH", "")))
    if flwr_home is not None:
        env["FLWR_HOME"] = str(flwr_home)
    return env


def json_document(stdout):
    """The JSON document a `flwr ... --format json` call printed (notices may come before it)."""
    return json.JSONDecoder().raw_decode(stdout[stdout.index("{"):])[0]


def port_is_free(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_until(predicate, timeout_s, what, interval_s=0.5):
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out after %s s waiting for %s" % (timeout_s, what))
        time.sleep(interval_s)


def app_digest(app_dir=REPO / "apps/digits"):
    """A digest of the app's source: an edit between two playbook runs makes the second one retrain."""
    digest = hashlib.sha256()
    for path in sorted(app_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(app_dir)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def final_eval_accuracy(metrics_file):
    return json.loads(Path(metrics_file).read_text())["rounds"][-1].get("eval_accuracy")


# ---------------------------------------------------------------------------------------------------------------
# (a) Raw baseline


def write_pem(path, data, mode=0o644):
    path.write_bytes(data)
    path.chmod(mode)


def make_tls(tls_dir):
    """A CA and a server certificate for localhost / 127.0.0.1 (EC P-384), as the collection makes them."""
    tls_dir.mkdir(parents=True)
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP384R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "benchmark CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                            key_encipherment=False, data_encipherment=False, key_agreement=False,
                                            key_cert_sign=True, crl_sign=True, encipher_only=False,
                                            decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA384()))
    server_key = ec.generate_private_key(ec.SECP384R1())
    server_cert = (x509.CertificateBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                   .issuer_name(ca_name).public_key(server_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([
                       x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA384()))
    write_pem(tls_dir / "ca.crt", ca_cert.public_bytes(serialization.Encoding.PEM))
    write_pem(tls_dir / "server.pem", server_cert.public_bytes(serialization.Encoding.PEM))
    write_pem(tls_dir / "server.key", server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()), 0o600)
    return tls_dir / "ca.crt", tls_dir / "server.pem", tls_dir / "server.key"


def make_node_key(key_dir):
    """An EC P-384 SuperNode key pair in OpenSSH format; returns (private key file, public key file)."""
    key_dir.mkdir(parents=True)
    key = ec.generate_private_key(ec.SECP384R1())
    private_file, public_file = key_dir / "node.key", key_dir / "node.pub"
    write_pem(private_file, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                              serialization.NoEncryption()), 0o600)
    write_pem(public_file, key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                         serialization.PublicFormat.OpenSSH) + b"\n")
    return private_file, public_file


class RawFederation:
    """One SuperLink and two SuperNodes started with plain Flower commands in `run_dir`."""

    CONNECTION = "bench"

    def __init__(self, run_dir, venv, version, port_base):
        self.run_dir = run_dir
        self.venv = venv
        self.version = version
        self.superlink_port = port_base + 2          # 1.42: the one HTTP port; 1.31: Fleet
        self.serverappio_port = port_base + 1        # 1.31 only
        self.control_port = port_base + 2 if is_new_layout(version) else port_base + 3
        self.supernode_ports = [port_base + 10 + index for index in range(1, SUPERNODES + 1)]
        self.cli_home = run_dir / "cli"
        self.processes = []
        self.phases = {}

    # Processes

    def start(self, name, argv, flwr_home):
        flwr_home.mkdir(parents=True, exist_ok=True)
        log_file = open(self.run_dir / ("%s.log" % name), "w")
        process = subprocess.Popen(argv, env=flower_env(self.venv, flwr_home), stdout=log_file,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        log_file.close()
        self.processes.append(process)
        return process

    def stop(self):
        """Terminate each process group (the SuperLink's and SuperNodes' SuperExecs and apps are in them)."""
        for process in self.processes:
            signal_group(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            signal_group(process.pid, signal.SIGKILL)
            process.wait()
        self.processes = []

    def check_alive(self):
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError("%s exited with rc=%s; see the logs in %s"
                                   % (process.args[0], process.returncode, self.run_dir))

    # flwr CLI

    def write_cli_config(self, ca_file):
        self.cli_home.mkdir(parents=True)
        (self.cli_home / "config.toml").write_text(
            '[superlink]\ndefault = "%s"\n\n[superlink.%s]\naddress = "127.0.0.1:%d"\nroot-certificates = "%s"\n'
            % (self.CONNECTION, self.CONNECTION, self.control_port, ca_file))

    def flwr(self, *args):
        argv = [str(self.venv / "bin/flwr")] + list(args) + ["--format", "json"]
        proc = subprocess.run(argv, env=flower_env(self.venv, self.cli_home), capture_output=True, text=True,
                              timeout=300, check=False)
        try:
            return json_document(proc.stdout)
        except ValueError:
            raise RuntimeError("flwr %s printed no JSON (rc=%d): %s"
                               % (" ".join(args), proc.returncode, (proc.stdout + proc.stderr)[-2000:]))

    # Steps

    def superlink_argv(self, ca_file, cert_file, key_file):
        argv = [str(self.venv / "bin/flower-superlink")]
        if is_new_layout(self.version):
            argv += ["--host", "127.0.0.1", "--port", str(self.superlink_port),
                     "--disable-runtime-dependency-installation"]
        else:
            argv += ["--fleet-api-address", "127.0.0.1:%d" % self.superlink_port,
                     "--control-api-address", "127.0.0.1:%d" % self.control_port,
                     "--serverappio-api-address", "127.0.0.1:%d" % self.serverappio_port]
        return argv + ["--database", str(self.run_dir / "superlink/state.db"),
                       "--ssl-ca-certfile", str(ca_file), "--ssl-certfile", str(cert_file),
                       "--ssl-keyfile", str(key_file), "--enable-supernode-auth"]

    def supernode_argv(self, index, ca_file, private_key):
        argv = [str(self.venv / "bin/flower-supernode"), "--superlink", "127.0.0.1:%d" % self.superlink_port]
        port = self.supernode_ports[index]
        if is_new_layout(self.version):
            argv += ["--host", "127.0.0.1", "--port", str(port)]
        else:
            argv += ["--clientappio-api-address", "127.0.0.1:%d" % port]
        return argv + ["--root-certificates", str(ca_file), "--auth-supernode-private-key", str(private_key),
                       "--node-config", "partition-id=%d num-partitions=%d" % (index, SUPERNODES)]

    def superlink_answers(self, ca_file):
        self.check_alive()
        if not is_new_layout(self.version):
            return not port_is_free(self.control_port)
        context = ssl.create_default_context(cafile=str(ca_file))
        try:
            with urllib.request.urlopen("https://127.0.0.1:%d/health" % self.superlink_port, context=context,
                                        timeout=5) as answer:
                return answer.status == 200
        except OSError:
            return False

    def register(self, public_key):
        document = self.flwr("supernode", "register", str(public_key), self.CONNECTION)
        if not document.get("success"):
            raise RuntimeError("registering %s failed: %s" % (public_key, document))
        return document["node-id"]

    def online_nodes(self):
        self.check_alive()
        nodes = self.flwr("supernode", "list", self.CONNECTION).get("nodes", [])
        return sum(1 for node in nodes if node.get("status") == "online")

    def submit(self, app_dir):
        run_config = " ".join("%s=%s" % item for item in sorted(RUN_CONFIG.items()))
        document = self.flwr("run", str(app_dir), self.CONNECTION, "--run-config", run_config)
        if not document.get("success"):
            raise RuntimeError("flwr run failed: %s" % document)
        return int(document["run-id"])

    def run_status(self, run_id):
        self.check_alive()
        runs = self.flwr("list", self.CONNECTION, "--run-id", str(run_id)).get("runs", [])
        return next((run["status"] for run in runs if str(run.get("run-id")) == str(run_id)), "unknown")

    def mark(self, phase, started):
        self.phases[phase] = round(time.monotonic() - started, 1)

    def deploy_and_train(self):
        """Everything from nothing to the run finished; returns (wall seconds, final eval accuracy)."""
        started = time.monotonic()
        ca_file, cert_file, key_file = make_tls(self.run_dir / "superlink/tls")
        node_keys = [make_node_key(self.run_dir / ("supernode%d/key" % index)) for index in range(1, SUPERNODES + 1)]
        app_dir = self.run_dir / "apps/digits"
        shutil.copytree(REPO / "apps/digits", app_dir, ignore=shutil.ignore_patterns("__pycache__"))
        self.write_cli_config(ca_file)
        self.mark("certificates, keys, app", started)

        self.start("superlink", self.superlink_argv(ca_file, cert_file, key_file), self.run_dir / "superlink")
        wait_until(lambda: self.superlink_answers(ca_file), 120, "the SuperLink", interval_s=0.2)
        self.mark("superlink ready", started)

        for node_key in node_keys:
            self.register(node_key[1])
        self.mark("keys registered", started)

        for index, node_key in enumerate(node_keys):
            self.start("supernode%d" % (index + 1), self.supernode_argv(index, ca_file, node_key[0]),
                       self.run_dir / ("supernode%d" % (index + 1)))
        wait_until(lambda: self.online_nodes() == SUPERNODES, 180, "both SuperNodes online")
        self.mark("supernodes online", started)

        run_id = self.submit(app_dir)
        self.mark("run submitted", started)
        status = {"value": "unknown"}

        def finished():
            status["value"] = self.run_status(run_id)
            return status["value"].startswith("finished:")

        wait_until(finished, RUN_TIMEOUT_S, "run %d" % run_id, interval_s=1.0)
        wall_s = time.monotonic() - started
        self.mark("run finished", started)
        if status["value"] != "finished:completed":
            raise RuntimeError("raw run %d ended %s; logs in %s" % (run_id, status["value"], self.run_dir))
        metrics_file = self.run_dir / ("superlink/runs/%d/metrics.json" % run_id)
        return wall_s, final_eval_accuracy(metrics_file)


def signal_group(pid, signum):
    try:
        os.killpg(pid, signum)
    except ProcessLookupError:
        pass


def run_raw(work_dir, venv, version, port_base, repeat):
    run_dir = work_dir / ("raw-%d" % repeat)
    run_dir.mkdir(mode=0o755)
    federation = RawFederation(run_dir, venv, version, port_base)
    try:
        wall_s, accuracy = federation.deploy_and_train()
    finally:
        federation.stop()
    return {"wall_s": round(wall_s, 1), "eval_accuracy": accuracy, "phases": federation.phases}


# ---------------------------------------------------------------------------------------------------------------
# (b) Our path


class Playbooks:
    """ansible-playbook on the local inventory, with one FLOWER_LOCAL_ROOT, timed line by line."""

    def __init__(self, local_root, version, port_base, log_dir):
        self.local_root = local_root
        self.version = version
        self.port_base = port_base
        self.log_dir = log_dir
        self.runs = 0

    @property
    def venv(self):
        return self.local_root / ("venv-flwr-%s" % self.version)

    def env(self):
        env = dict(os.environ, FLOWER_LOCAL_ROOT=str(self.local_root), ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", FLWR_TELEMETRY_ENABLED="0",
                   FLWR_DISABLE_UPDATE_CHECK="1", PATH="%s:%s" % (ANSIBLE_BIN, os.environ.get("PATH", "")))
        return env

    def run(self, playbook, *extra):
        """Run a playbook; return its wall time, rc, recap, task times and changed tasks; keep its output in log_dir."""
        self.runs += 1
        argv = [str(ANSIBLE_BIN / "ansible-playbook"), "-i", str(REPO / "inventories/local/hosts.yml"), playbook,
                "-e", "flower_version=%s" % self.version, "-e", "flower_local_port_base=%d" % self.port_base,
                "-e", "flower_local_supernodes=%d" % SUPERNODES] + list(extra)
        log_file = self.log_dir / ("%02d-%s.log" % (self.runs, Path(playbook).stem))
        timed_lines = []
        app_digest_at_start = app_digest()
        started = time.monotonic()
        with subprocess.Popen(argv, cwd=REPO, env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, text=True, bufsize=1) as process, \
                open(log_file, "w") as log_stream:
            for line in process.stdout:
                at = time.monotonic() - started
                timed_lines.append((at, line))
                log_stream.write("%7.1f %s" % (at, line))
                log_stream.flush()
        wall_s = time.monotonic() - started
        output = "".join(timed_line[1] for timed_line in timed_lines)
        return {"wall_s": round(wall_s, 1), "rc": process.returncode, "recap": recap(output),
                "task_s": task_durations(timed_lines, wall_s), "changed_tasks": changed_tasks(timed_lines),
                "app_digest": app_digest_at_start, "log": str(log_file)}

    def run_checked(self, playbook, *extra):
        result = self.run(playbook, *extra)
        if result["rc"] != 0:
            raise RuntimeError("%s failed (rc=%d); output in %s" % (playbook, result["rc"], result["log"]))
        return result

    def teardown(self):
        return self.run("playbooks/teardown.yml", "-e", "flower_teardown_purge=false")

    def clear_except_venv(self):
        for entry in self.local_root.iterdir():
            if entry == self.venv:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def final_eval_accuracy(self):
        home = self.local_root / "superlink/home"
        run_id = json.loads((home / "last-run.json").read_text())["run_id"]
        return final_eval_accuracy(home / ("runs/%s/metrics.json" % run_id))


def recap(output):
    return {host: dict(ok=int(ok), changed=int(changed), unreachable=int(unr), failed=int(failed))
            for host, ok, changed, unr, failed in RECAP.findall(output)}


def task_durations(timed_lines, wall_s):
    """{task name: seconds} from the time between one TASK header and the next (summed over repeats)."""
    headers = [(at, match.group(2) if match.group(1) else "PLAY RECAP", match.group(1))
               for at, line in timed_lines for match in [TASK_HEADER.match(line)] if match]
    durations = {}
    for (at, name, kind), next_header in zip(headers, headers[1:] + [(wall_s, None, None)]):
        if kind in ("TASK", "RUNNING HANDLER"):
            durations[name] = round(durations.get(name, 0.0) + next_header[0] - at, 1)
    return durations


def changed_tasks(timed_lines):
    """['task name [host]', ...] for every result the default callback printed as changed."""
    current, changed = None, []
    for _at, line in timed_lines:
        header = TASK_HEADER.match(line)
        if header:
            current = header.group(2)
            continue
        result = CHANGED_LINE.match(line)
        if result and current:
            changed.append("%s [%s]" % (current, result.group(1)))
    return changed


def run_playbook_fresh(playbooks):
    """A fresh deploy + train that reuses the virtualenv; the federation is left running."""
    result = playbooks.run_checked("site.yml")
    result["eval_accuracy"] = playbooks.final_eval_accuracy()
    return result


def warm_up(playbooks):
    """Create the virtualenv with a full deploy, then stop the federation and keep only the virtualenv."""
    log("warm-up: deploying once to create %s (not measured)" % playbooks.venv)
    result = playbooks.run_checked("site.yml")
    log("warm-up took %.1f s; tearing down" % result["wall_s"])
    reset_playbook_federation(playbooks)
    return result


def reset_playbook_federation(playbooks):
    """Teardown without purge, wait for the ports to close, then delete everything but the virtualenv."""
    playbooks.teardown()
    ports = federation_ports(playbooks.port_base)
    wait_until(lambda: all(port_is_free(port) for port in ports), 60, "ports %s to close" % ports)
    playbooks.clear_except_venv()


# ---------------------------------------------------------------------------------------------------------------
# Report


def slowest_tasks(task_s, count=8):
    return sorted(task_s.items(), key=lambda item: -item[1])[:count]


def print_report(results):
    print()
    print("Local federation benchmark: flwr %s, digits app, %d rounds, %d SuperNodes, TLS + node auth"
          % (results["version"], RUN_CONFIG["num-server-rounds"], SUPERNODES))
    print("%-8s %12s %14s %8s %10s %10s" % ("repeat", "raw (a) s", "playbook (b) s", "b/a", "acc (a)", "acc (b)"))
    for row in results["repeats"]:
        print("%-8d %12.1f %14.1f %8.2f %10.4f %10.4f" % (
            row["repeat"], row["raw"]["wall_s"], row["playbook"]["wall_s"],
            row["playbook"]["wall_s"] / row["raw"]["wall_s"], row["raw"]["eval_accuracy"],
            row["playbook"]["eval_accuracy"]))
    summary = results["summary"]
    print("median   %12.1f %14.1f" % (summary["raw_median_s"], summary["playbook_median_s"]))
    print("ratio b/a (median): %.2f   target <= %.2f   %s"
          % (summary["ratio"], TARGET_RATIO, "OK" if summary["ratio_ok"] else "MISSED"))
    noop = results["noop"]
    changed_by_host = ", ".join("%s changed=%d" % (host, counts["changed"])
                                for host, counts in sorted(noop["recap"].items()))
    print("no-op re-run: %.1f s, changed=%d (%s)   target < %.0f s and changed=0   %s"
          % (noop["wall_s"], noop["changed"], changed_by_host, TARGET_NOOP_S, "OK" if noop["ok"] else "MISSED"))
    for task in noop["changed_tasks"]:
        print("  no-op re-run changed: %s" % task)
    if noop["app_changed_since_deploy"]:
        print("  WARNING: apps/digits changed on disk between the deploy and the no-op re-run (a concurrent edit?),"
              " so the re-run retrained as it should; run the benchmark again")
    print("raw phases (s from start, last repeat): %s" % results["repeats"][-1]["raw"]["phases"])
    print("slowest playbook tasks (last fresh deploy):")
    for name, seconds in slowest_tasks(results["repeats"][-1]["playbook"]["task_s"]):
        print("  %6.1f s  %s" % (seconds, name))
    print("slowest tasks of the no-op re-run:")
    for name, seconds in slowest_tasks(noop["task_s"]):
        print("  %6.1f s  %s" % (seconds, name))


def summarize(repeats, noop):
    raw_median = statistics.median(row["raw"]["wall_s"] for row in repeats)
    playbook_median = statistics.median(row["playbook"]["wall_s"] for row in repeats)
    ratio = playbook_median / raw_median
    noop_changed = sum(counts["changed"] for counts in noop["recap"].values())
    noop_failed = sum(counts["failed"] + counts["unreachable"] for counts in noop["recap"].values())
    noop.update(changed=noop_changed, ok=noop["rc"] == 0 and noop_changed == 0 and noop_failed == 0
                and noop["wall_s"] < TARGET_NOOP_S)
    return {"raw_median_s": raw_median, "playbook_median_s": playbook_median, "ratio": round(ratio, 3),
            "ratio_target": TARGET_RATIO, "ratio_ok": ratio <= TARGET_RATIO, "noop_target_s": TARGET_NOOP_S}


# ---------------------------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--version", default="1.42.0", choices=VERSIONS, help="Flower release (default 1.42.0)")
    parser.add_argument("--repeats", type=int, default=2, help="measured (a)/(b) pairs (default 2)")
    parser.add_argument("--port-base", type=int, default=PORT_RANGE[0],
                        help="raw federation ports base+1..base+12, playbook ones base+101..base+112 "
                             "(default %d)" % PORT_RANGE[0])
    parser.add_argument("--json", type=Path, help="write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, virtualenv)")
    args = parser.parse_args(argv)
    highest_port = args.port_base + PLAYBOOK_PORT_OFFSET + 10 + SUPERNODES
    if args.port_base < PORT_RANGE[0] or highest_port > PORT_RANGE[1]:
        parser.error("--port-base must keep every port in %d-%d (%d..%d)"
                     % (PORT_RANGE + (PORT_RANGE[0], PORT_RANGE[1] - PLAYBOOK_PORT_OFFSET - 10 - SUPERNODES)))
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def federation_ports(port_base):
    return [port_base + offset for offset in [1, 2, 3] + [10 + index for index in range(1, SUPERNODES + 1)]]


def busy_ports(port_base):
    ports = federation_ports(port_base) + federation_ports(port_base + PLAYBOOK_PORT_OFFSET)
    return [port for port in ports if not port_is_free(port)]


def benchmark(args, work_dir, playbooks):
    results = {"version": args.version, "nproc": os.cpu_count(), "loadavg_start": os.getloadavg(),
               "work_dir": str(work_dir), "repeats": []}
    results["warm_up"] = {"wall_s": warm_up(playbooks)["wall_s"]}
    noop = None
    for repeat in range(1, args.repeats + 1):
        log("repeat %d/%d: (a) raw Flower commands" % (repeat, args.repeats))
        raw = run_raw(work_dir, playbooks.venv, args.version, args.port_base, repeat)
        log("repeat %d: raw %.1f s; (b) ansible-playbook site.yml" % (repeat, raw["wall_s"]))
        playbook = run_playbook_fresh(playbooks)
        log("repeat %d: playbook %.1f s" % (repeat, playbook["wall_s"]))
        if repeat == args.repeats:
            log("no-op re-run of site.yml on the deployed federation")
            noop = playbooks.run("site.yml")
            noop["app_changed_since_deploy"] = noop["app_digest"] != playbook["app_digest"]
            log("no-op re-run %.1f s, recap %s" % (noop["wall_s"], noop["recap"]))
        reset_playbook_federation(playbooks)
        results["repeats"].append({"repeat": repeat, "raw": raw, "playbook": playbook,
                                   "loadavg": os.getloadavg()})
    results["noop"] = noop
    results["summary"] = summarize(results["repeats"], noop)
    return results


def main(argv=None):
    args = parse_args(argv)
    busy = busy_ports(args.port_base)
    if busy:
        sys.exit("ports already in use on 127.0.0.1: %s; pick another --port-base" % busy)
    work_dir = Path(tempfile.mkdtemp(prefix="flower-bench-"))
    work_dir.chmod(0o755)  # the services may run as the unprivileged user 'flower'
    (work_dir / "local").mkdir(mode=0o755)
    (work_dir / "playbook-logs").mkdir()
    playbooks = Playbooks(work_dir / "local", args.version, args.port_base + PLAYBOOK_PORT_OFFSET,
                          work_dir / "playbook-logs")
    log("work directory %s" % work_dir)
    try:
        results = benchmark(args, work_dir, playbooks)
    finally:
        cleanup(work_dir, playbooks, keep=args.keep)
    print_report(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, sort_keys=True, default=str))
        log("results written to %s" % args.json)
    return 0 if results["summary"]["ratio_ok"] and results["noop"]["ok"] else 1


def cleanup(work_dir, playbooks, keep):
    """Stop whatever the playbooks left running; delete the work directory unless asked to keep it."""
    if (playbooks.local_root / "supervisor").exists():
        playbooks.teardown()
    if keep:
        log("kept %s" % work_dir)
    else:
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
