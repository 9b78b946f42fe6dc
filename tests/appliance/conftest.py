"""Fixtures for the appliance tests: docker (made available, or a clear skip), the appliance images built by
Packer's docker source (images/build-image.sh), and systemd containers that are removed even when a test fails.

Without docker, or without Packer (images/host-packages.sh installs it), the tests skip, unless
FLOWER_REQUIRE_DOCKER is set (CI sets it): then they fail.

`make test-appliance` runs the test files on two xdist workers: they share the image builds (one at a time, under
a lock, so the second worker finds the first one's images in the build cache); each file has its own networks."""

import contextlib
import fcntl
import os
import shutil
import subprocess
import time

import pytest

from tests.appliance.containers import REPO, Containers, ensure_docker


def _unavailable(what, problem):
    if os.environ.get("FLOWER_REQUIRE_DOCKER"):
        pytest.fail("FLOWER_REQUIRE_DOCKER is set but %s is not available: %s" % (what, problem), pytrace=False)
    pytest.skip("appliance tests need %s (set FLOWER_REQUIRE_DOCKER=1 to fail instead): %s" % (what, problem))


@contextlib.contextmanager
def _one_worker_at_a_time():
    """Held while docker is started or an image is built."""
    with open("/tmp/opennebula-flower-appliance-tests.lock", "w", encoding="ascii") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture(scope="session", autouse=True)
def docker_available():
    with _one_worker_at_a_time():
        problem = ensure_docker()
    if problem is not None:
        _unavailable("docker", problem)


def _script(*cmd, timeout=1800):
    with _one_worker_at_a_time():
        start = time.monotonic()
        proc = subprocess.run([str(REPO / cmd[0]), *cmd[1:]], capture_output=True, text=True, timeout=timeout,
                              check=False, cwd=REPO)
    if proc.returncode != 0:
        output = proc.stdout[-5000:] + "\n" + proc.stderr[-5000:]
        message = "%s failed (rc=%d)\n%s" % (" ".join(cmd), proc.returncode, output)
        pytest.fail(message, pytrace=False)
    proc.elapsed = time.monotonic() - start
    return proc


@pytest.fixture(scope="session")
def base_image(docker_available):
    """local/debian12-systemd:latest, the docker base of the appliance images (images/base/debian12.sh: cached)."""
    return _script("images/base/debian12.sh", "docker").stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def build_image(docker_available):
    """build_image(role, *args) -> CompletedProcess (with .elapsed and .image) of
    images/build-image.sh ROLE --builder docker --frameworks sklearn ARGS: Packer's docker source, the template the
    QCOW2 files come from (cached by its inputs)."""
    if shutil.which("packer") is None:
        _unavailable("Packer", "no packer in PATH; images/host-packages.sh installs it")

    def build(role, *args):
        proc = _script("images/build-image.sh", role, "--builder", "docker", "--frameworks", "sklearn", *args)
        proc.image = proc.stdout.strip().splitlines()[-1]
        return proc
    return build


@pytest.fixture(scope="session")
def appliance_images(request):
    """{'superlink': image, 'supernode': image} built by Packer's docker source (build_image).
    OFL_APPLIANCE_IMAGES="superlink=IMAGE,supernode=IMAGE" reuses images while iterating (see oneflow_cloud.py)."""
    override = os.environ.get("OFL_APPLIANCE_IMAGES")
    if override:
        return dict(pair.split("=", 1) for pair in override.split(","))
    build_image = request.getfixturevalue("build_image")
    return {role: build_image(role).image for role in ("superlink", "supernode")}


@pytest.fixture
def containers(request):
    """A Containers for one test; everything it created is removed afterwards, whatever the outcome."""
    ctrs = Containers("ofl-t-%d-%s" % (os.getpid(), request.node.name[:40]))
    try:
        yield ctrs
    finally:
        ctrs.cleanup()
