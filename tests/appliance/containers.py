"""systemd containers on private docker networks, for the appliance tests (and the OpenNebula simulator).

Every call goes to /usr/bin/docker (Debian's docker.io client; another client may come first in PATH). Containers
run systemd as PID 1 with the flags measured in test-infra.md §2.2: a private cgroup namespace, SYS_ADMIN, tmpfs on
/sys/fs/cgroup, /run, /run/lock and /tmp, and SIGRTMIN+3 to stop. Never --privileged, never the host's
/sys/fs/cgroup. Networks are limited to 198.18.0.0/15.

    with Containers("ofl-t1") as ctrs:                      # removes all it created on exit, even on error
        gw = ctrs.create_network("ofl-t1-net", "198.18.5.0/24")   # -> "198.18.5.1"
        a = ctrs.run("ofl-t1-a", "local/flower-superlink", network="ofl-t1-net", ip="198.18.5.10",
                     mounts=[Mount("/tmp/ctx", "/media/context")], caps=["NET_ADMIN"])
        a.wait_running()
        print(a.exec("systemctl", "is-active", "flower-superlink").stdout)

Everything created is labelled org.opennebula.flower.test=<owner>, so `remove_labelled(owner)` also clears what
a killed test run left behind.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DOCKER = "/usr/bin/docker"
REPO = Path(__file__).resolve().parents[2]
DOCKER_HOST_SCRIPT = REPO / "images" / "docker-host.sh"
LABEL = "org.opennebula.flower.test"
ALLOWED_NET = ipaddress.ip_network("198.18.0.0/15")
SYSTEMD_RUN_FLAGS = (
    "--cgroupns=private", "--cap-add", "SYS_ADMIN",
    "--tmpfs", "/sys/fs/cgroup", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
    "--stop-signal", "SIGRTMIN+3",
)


class DockerError(RuntimeError):
    """A docker command failed."""


@dataclass(frozen=True)
class Result:
    rc: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.rc == 0

    def check(self, what: str = "command") -> "Result":
        if self.rc != 0:
            raise DockerError("%s failed (rc=%d)\nstdout:\n%s\nstderr:\n%s" % (what, self.rc, self.stdout, self.stderr))
        return self


@dataclass(frozen=True)
class Mount:
    """A bind mount; read-only by default (e.g. the CONTEXT "CD-ROM" contents)."""
    source: str | os.PathLike
    target: str
    read_only: bool = True

    def args(self) -> list[str]:
        spec = "type=bind,source=%s,target=%s" % (Path(self.source).resolve(), self.target)
        return ["--mount", spec + (",readonly" if self.read_only else "")]


def docker(*args: str, check: bool = True, input: str | bytes | None = None, timeout: float | None = 300,
           text: bool = True) -> Result:
    """Run /usr/bin/docker ARGS; raise DockerError when check and it fails."""
    try:
        proc = subprocess.run([DOCKER, *args], input=input, capture_output=True, text=text, timeout=timeout,
                              check=False)
    except FileNotFoundError as exc:
        raise DockerError("%s is missing (images/docker-host.sh installs docker.io)" % DOCKER) from exc
    except subprocess.TimeoutExpired as exc:
        raise DockerError("docker %s timed out after %ss" % (shlex.join(args), timeout)) from exc
    res = Result(proc.returncode, proc.stdout, proc.stderr)
    if check:
        res.check("docker " + shlex.join(args))
    return res


def docker_problem() -> str | None:
    """None when the docker daemon answers through /usr/bin/docker, else why not."""
    if not os.path.exists(DOCKER):
        return "%s is not installed" % DOCKER
    try:
        res = docker("info", "--format", "{{.ServerVersion}}", check=False, timeout=30)
    except DockerError as exc:
        return str(exc)
    if res.rc != 0 or not res.stdout.strip():
        return "the docker daemon does not answer: %s" % (res.stderr.strip().splitlines() or ["?"])[-1]
    return None


def ensure_docker() -> str | None:
    """Make docker available (images/docker-host.sh when running as root); None on success, else the reason."""
    problem = docker_problem()
    if problem is None:
        return None
    if os.geteuid() != 0:
        return problem + "; images/docker-host.sh needs root"
    proc = subprocess.run([str(DOCKER_HOST_SCRIPT)], capture_output=True, text=True, check=False, timeout=900)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()[-2000:]
        return "%s; images/docker-host.sh failed (rc=%d): %s" % (problem, proc.returncode, output)
    return docker_problem()


def remove_labelled(owner: str | None = None) -> None:
    """Remove the containers, then the networks, labelled by this module (for one owner, or all)."""
    label = LABEL if owner is None else "%s=%s" % (LABEL, owner)
    ids = docker("ps", "-aq", "--filter", "label=" + label, check=False).stdout.split()
    if ids:
        docker("rm", "-f", "-v", *ids, check=False)
    nets = docker("network", "ls", "-q", "--filter", "label=" + label, check=False).stdout.split()
    if nets:
        docker("network", "rm", *nets, check=False)


@dataclass
class Container:
    name: str
    owner: "Containers | None" = field(default=None, repr=False)

    # -- commands ------------------------------------------------------------------------------------------------
    def exec(self, *cmd: str, user: str | None = None, env: dict[str, str] | None = None, workdir: str | None = None,
             input: str | None = None, check: bool = False, timeout: float | None = 300) -> Result:
        """Run CMD in the container; Result(rc, stdout, stderr)."""
        args = ["exec"] + (["-i"] if input is not None else [])
        if user:
            args += ["--user", user]
        if workdir:
            args += ["--workdir", workdir]
        for key, value in (env or {}).items():
            args += ["--env", "%s=%s" % (key, value)]
        res = docker(*args, self.name, *cmd, input=input, check=False, timeout=timeout)
        if check:
            res.check("%s: %s" % (self.name, shlex.join(cmd)))
        return res

    def sh(self, script: str, **kwargs) -> Result:
        """Run a shell script (sh -c) in the container."""
        return self.exec("sh", "-c", script, **kwargs)

    # -- state ---------------------------------------------------------------------------------------------------
    def inspect(self, fmt: str) -> str:
        return docker("inspect", "--format", fmt, self.name).stdout.strip()

    def is_running(self) -> bool:
        res = docker("inspect", "--format", "{{.State.Running}}", self.name, check=False)
        return res.stdout.strip() == "true"

    def ip(self, network: str | None = None) -> str:
        if network:
            return self.inspect("{{ (index .NetworkSettings.Networks %s).IPAddress }}" % _quote_go(network))
        return self.inspect("{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}").split()[0]

    def system_state(self) -> str:
        return self.exec("systemctl", "is-system-running", timeout=30).stdout.strip()

    def wait_running(self, timeout: float = 90, allow_degraded: bool = True) -> str:
        """Wait until systemd says running (or degraded); return the state, raise with diagnostics otherwise."""
        ok = {"running", "degraded"} if allow_degraded else {"running"}
        deadline = time.monotonic() + timeout
        state = ""
        while time.monotonic() < deadline:
            if not self.is_running():
                raise DockerError("container %s exited before systemd came up:\n%s" % (self.name, self.logs()))
            state = self.system_state()
            if state in ok:
                return state
            time.sleep(0.2)
        failed = self.exec("systemctl", "--failed", "--no-legend", "--plain").stdout
        raise DockerError("systemd in %s is %r after %ss; failed units:\n%s\njobs:\n%s" % (
            self.name, state, timeout, failed, self.exec("systemctl", "list-jobs", "--no-legend").stdout))

    def wait_for(self, *cmd: str, timeout: float = 60, interval: float = 0.5) -> Result:
        """Run CMD until it succeeds; return its last Result, raise DockerError on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            res = self.exec(*cmd)
            if res.ok:
                return res
            if time.monotonic() >= deadline:
                raise DockerError("%s: %s did not succeed within %ss:\n%s%s" % (
                    self.name, shlex.join(cmd), timeout, res.stdout, res.stderr))
            time.sleep(interval)

    def unit_active(self, unit: str) -> str:
        return self.exec("systemctl", "is-active", unit).stdout.strip()

    def journal(self, unit: str | None = None, lines: int | None = None, since_boot: bool = True) -> str:
        """The journal of UNIT (all of it when None), as plain text."""
        cmd = ["journalctl", "--no-pager", "-o", "short-precise"]
        if since_boot:
            cmd.append("-b")
        if unit:
            cmd += ["-u", unit]
        if lines:
            cmd += ["-n", str(lines)]
        return self.exec(*cmd).stdout

    def logs(self) -> str:
        res = docker("logs", "--tail", "200", self.name, check=False)
        return res.stdout + res.stderr

    # -- files ---------------------------------------------------------------------------------------------------
    def copy_in(self, src: str | os.PathLike, dest: str) -> None:
        """docker cp SRC (host file or directory) to DEST in the container."""
        docker("cp", str(src), "%s:%s" % (self.name, dest))

    def copy_out(self, src: str, dest: str | os.PathLike) -> None:
        """docker cp SRC in the container to DEST on the host."""
        docker("cp", "%s:%s" % (self.name, src), str(dest))

    def read_file(self, path: str) -> str:
        return self.exec("cat", path, check=True).stdout

    def write_file(self, path: str, content: str, mode: str = "0644") -> None:
        self.exec("sh", "-c", 'mkdir -p "$(dirname "$1")" && cat >"$1" && chmod "$2" "$1"', "sh", path, mode,
                  input=content, check=True)

    # -- lifecycle -----------------------------------------------------------------------------------------------
    def stop(self, timeout: int = 30) -> None:
        docker("stop", "-t", str(timeout), self.name, timeout=timeout + 60)

    def start(self) -> None:
        docker("start", self.name)

    def restart(self, timeout: int = 30, wait: bool = True) -> None:
        docker("restart", "-t", str(timeout), self.name, timeout=timeout + 60)
        if wait:
            self.wait_running()

    def remove(self) -> None:
        docker("rm", "-f", "-v", self.name, check=False)
        if self.owner is not None and self.name in self.owner.containers:
            self.owner.containers.remove(self.name)


class Containers:
    """Creates networks and systemd containers and removes all of them on cleanup() (or leaving a with block)."""

    def __init__(self, owner: str = "ofl-test"):
        self.owner = owner
        self.containers: list[str] = []
        self.networks: list[str] = []

    def __enter__(self) -> "Containers":
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()

    def _labels(self) -> list[str]:
        return ["--label", "%s=%s" % (LABEL, self.owner)]

    # -- networks ------------------------------------------------------------------------------------------------
    def create_network(self, name: str, subnet: str = "198.18.5.0/24", gateway: str | None = None,
                       replace: bool = True) -> str:
        """Create a bridge network on SUBNET (inside 198.18.0.0/15); return its gateway IP (the host's address on
        it, where the host's services such as the simulated OneGate listen). replace removes a leftover network of
        the same name (and its containers) first."""
        net = ipaddress.ip_network(subnet)
        if not net.subnet_of(ALLOWED_NET):
            raise ValueError("%s is outside %s" % (subnet, ALLOWED_NET))
        gateway = gateway or str(next(net.hosts()))
        if ipaddress.ip_address(gateway) not in net:
            raise ValueError("gateway %s is outside %s" % (gateway, subnet))
        if replace and docker("network", "inspect", name, check=False).ok:
            attached = docker("network", "inspect", "--format", "{{range .Containers}}{{.Name}} {{end}}", name,
                              check=False).stdout.split()
            if attached:
                docker("rm", "-f", "-v", *attached, check=False)
            docker("network", "rm", name, check=False)
        docker("network", "create", "--driver", "bridge", "--subnet", subnet, "--gateway", gateway,
               *self._labels(), name)
        self.networks.append(name)
        return gateway

    def remove_network(self, name: str) -> None:
        docker("network", "rm", name, check=False)
        if name in self.networks:
            self.networks.remove(name)

    # -- containers ----------------------------------------------------------------------------------------------
    def run(self, name: str, image: str, *, network: str | None = None, ip: str | None = None,
            hostname: str | None = None, mounts: list[Mount] | tuple[Mount, ...] = (),
            caps: list[str] | tuple[str, ...] = (), env: dict[str, str] | None = None,
            extra_args: list[str] | tuple[str, ...] = (), wait: bool = False, replace: bool = True) -> Container:
        """Start a systemd container (detached) and return it; wait=True waits for systemd to come up.
        caps: extra capabilities such as NET_ADMIN (nftables); SYS_ADMIN is always there."""
        if replace:
            docker("rm", "-f", "-v", name, check=False)
        args = ["run", "-d", "--name", name, "--hostname", hostname or name, *SYSTEMD_RUN_FLAGS, *self._labels()]
        if network:
            args += ["--network", network]
        if ip:
            if not network:
                raise ValueError("a fixed IP needs a network")
            args += ["--ip", ip]
        for mount in mounts:
            args += mount.args()
        for cap in caps:
            args += ["--cap-add", cap]
        for key, value in (env or {}).items():
            args += ["--env", "%s=%s" % (key, value)]
        args += [*extra_args, image, "/lib/systemd/systemd"]
        self.containers.append(name)
        docker(*args)
        ctr = Container(name, self)
        if wait:
            ctr.wait_running()
        return ctr

    def get(self, name: str) -> Container:
        return Container(name, self)

    def cleanup(self) -> None:
        """Remove every container and network this object created (and anything else labelled with its owner)."""
        if self.containers:
            docker("rm", "-f", "-v", *self.containers, check=False)
        for net in reversed(self.networks):
            docker("network", "rm", net, check=False)
        self.containers.clear()
        self.networks.clear()
        remove_labelled(self.owner)


def host_dir(prefix: str = "ofl-ctx-") -> Path:
    """A host temporary directory that docker can bind-mount (the caller removes it, e.g. with shutil.rmtree)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def _quote_go(value: str) -> str:
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


__all__ = ["ALLOWED_NET", "DOCKER", "LABEL", "SYSTEMD_RUN_FLAGS", "Container", "Containers", "DockerError", "Mount",
           "Result", "docker", "docker_problem", "ensure_docker", "host_dir", "remove_labelled"]
