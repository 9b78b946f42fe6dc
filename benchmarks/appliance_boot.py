"""Appliance boot times: VM (container) start to FL_READY for the SuperLink and the SuperNodes, against a raw baseline.

(a) raw: in a container of the same SuperLink image, `flower-superlink --insecure` started by hand until its
    /health answers (what Flower alone costs, with nothing configured);
(b) ours: the simulator's OneFlow deploys the registered service; each VM boots as a systemd container, configures
    itself from its context (validation, TLS, services, nginx, firewall, OneGate), and the SuperNodes discover,
    enroll and start (a SuperNode publishes FL_READY once the SuperLink listed it in FL_ENROLLED and its service
    runs). Also timed: each SuperNode from publishing FL_NODE_PUBKEY to being listed in the SuperLink's
    FL_ENROLLED (polled every 0.2 s), and from the later of that and the SuperLink's FL_READY, and the service
    from its instantiation (its document appears) to RUNNING, which OneFlow
    reaches when every role's ready gate (READY=YES) released; a real 7.4.0 frontend took 132 s before
    SuperLinks enrolled within seconds.

Prints both and the ratio; the prior system claimed "SuperLink ready in 30-90 s". Needs root and docker, like
`make test-appliance`. Not a test: the numbers depend on the machine's load.

    python benchmarks/appliance_boot.py [--repeats 2] [--json out.json]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.appliance.containers import Containers, ensure_docker  # noqa: E402
from tests.appliance.oneflow_cloud import Cloud  # noqa: E402

SERVICE = "flower-federation-1"
RUNNING = 2


def build_images():
    images = {}
    for role in ("superlink", "supernode"):
        out = subprocess.run([str(REPO / "images/build-image.sh"), role, "--builder", "docker", "--frameworks",
                              "sklearn"], cwd=REPO, capture_output=True, text=True, check=True)
        images[role] = out.stdout.strip().splitlines()[-1]
    return images


def raw_superlink(containers, image):
    ctr = containers.run("ofl-bench-raw", image, network=None, extra_args=["--network", "none"], wait=True)
    ctr.exec("systemctl", "mask", "--now", "opennebula-flower-context.service", check=False)
    started = time.monotonic()
    ctr.exec("systemd-run", "--unit", "raw-superlink", "--setenv=FLWR_TELEMETRY_ENABLED=0",
             "--setenv=FLWR_DISABLE_UPDATE_CHECK=1", "--setenv=PATH=/opt/flower/venv/bin:/usr/bin:/bin",
             "--setenv=FLWR_HOME=/tmp/raw", "/opt/flower/venv/bin/flower-superlink", "--insecure", "--host",
             "127.0.0.1", "--port", "9300", "--database", ":flwr-in-memory:")
    ctr.wait_for("python3", "-c", "import urllib.request;urllib.request.urlopen('http://127.0.0.1:9300/health')",
                 timeout=300, interval=0.2)
    elapsed = time.monotonic() - started
    ctr.remove()
    return elapsed


def ours(containers, images, tmp):
    cloud = Cloud(containers, images, network="ofl-bench", subnet="198.18.14")
    try:
        paths = {}
        for role in ("superlink", "supernode"):
            paths[role] = str(tmp / ("%s.qcow2" % role))
            Path(paths[role]).write_bytes(b"QFI\xfb" + b"\0" * 508)
        reg = cloud.playbook("playbooks/register.yml", "-e", json.dumps({"flower_register_image_paths": paths}))
        assert reg.returncode == 0, reg.stdout[-3000:]
        deploy = cloud.start_playbook("playbooks/deploy.yml", "-e", "flower_deploy_supernodes=2")
        boot, ready, key_published, enrolled = {}, {}, {}, {}
        instantiated = running = None
        started = time.monotonic()
        while deploy.poll() is None or len(ready) < 3 or running is None:
            now = time.monotonic()
            service = cloud.service(SERVICE)
            if service is not None:
                instantiated = instantiated or now
                if running is None and service.get("state") == RUNNING:
                    running = now
            enrolled_now = set()
            for vm_id in list(cloud.booted):
                boot.setdefault(vm_id, now)
                attrs = cloud.user_template(vm_id)
                if vm_id not in ready and attrs.get("FL_READY") == "YES":
                    ready[vm_id] = now
                if "FL_NODE_PUBKEY" in attrs:
                    key_published.setdefault(vm_id, now)
                enrolled_now.update(str(v) for v in attrs.get("FL_ENROLLED") or [])
            for vm_id in key_published:
                if str(vm_id) in enrolled_now:
                    enrolled.setdefault(vm_id, now)
            if now - started > 1200:
                raise RuntimeError("no federation after 20 minutes")
            time.sleep(0.2)
        assert deploy.returncode == 0, deploy.communicate()[0][-3000:]
        service = cloud.service(SERVICE)
        superlink_vm = cloud.vms(service, "superlink")[0]
        supernode_vms = cloud.vms(service, "supernode")
        return {"superlink_boot_to_fl_ready_s": round(ready[superlink_vm] - boot[superlink_vm], 1),
                "supernode_boot_to_fl_ready_s": [round(ready[v] - boot[v], 1) for v in supernode_vms],
                "service_deploy_s": round(max(ready.values()) - min(boot.values()), 1),
                "instantiate_to_running_s": round(running - instantiated, 1),
                "key_published_to_enrolled_s": [round(enrolled[v] - key_published[v], 1) for v in supernode_vms],
                # Both roles boot together: a key published while the SuperLink still boots waits for it.
                "enrolled_after_superlink_ready_s": [
                    round(enrolled[v] - max(key_published[v], ready[superlink_vm]), 1) for v in supernode_vms]}
    finally:
        cloud.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--json")
    args = parser.parse_args()
    os.environ.setdefault("FLWR_TELEMETRY_ENABLED", "0")
    os.environ.setdefault("FLWR_DISABLE_UPDATE_CHECK", "1")
    problem = ensure_docker()
    if problem:
        sys.exit("docker is not available: %s" % problem)
    images = build_images()
    results = []
    for _repeat in range(args.repeats):
        with Containers("ofl-bench") as containers:
            raw = raw_superlink(containers, images["superlink"])
            ours_ = ours(containers, images, Path(tempfile.mkdtemp(prefix="ofl-bench-")))
            ours_["raw_superlink_start_s"] = round(raw, 1)
            results.append(ours_)
            print(json.dumps(ours_), flush=True)
    summary = {
        "raw_superlink_start_s": statistics.median(r["raw_superlink_start_s"] for r in results),
        "superlink_boot_to_fl_ready_s": statistics.median(r["superlink_boot_to_fl_ready_s"] for r in results),
        "supernode_boot_to_fl_ready_s": round(statistics.median(
            x for r in results for x in r["supernode_boot_to_fl_ready_s"]), 1),
        "service_deploy_s": statistics.median(r["service_deploy_s"] for r in results),
        "instantiate_to_running_s": statistics.median(r["instantiate_to_running_s"] for r in results),
        "key_published_to_enrolled_s_max": max(x for r in results for x in r["key_published_to_enrolled_s"]),
        "enrolled_after_superlink_ready_s_max": max(x for r in results for x in r["enrolled_after_superlink_ready_s"]),
    }
    summary["ratio_superlink_ready_vs_raw_start"] = round(
        summary["superlink_boot_to_fl_ready_s"] / summary["raw_superlink_start_s"], 2)
    print("prior system claim: SuperLink ready in 30-90 s")
    print(json.dumps(summary, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps({"runs": results, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
