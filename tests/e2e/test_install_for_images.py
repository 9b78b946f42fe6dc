"""The roles' `install` entry points, as an image build runs them: idempotent, systemd units that verify, and
nothing started."""

import os
import shutil
import subprocess

import pytest

from tests.e2e.federation import REPO, LocalFederation

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("systemd-analyze"),
                                reason="creates the system user 'flower'; needs root and systemd-analyze")

PLAYBOOK = str(REPO / "tests/e2e/playbooks/install_only.yml")


@pytest.fixture(scope="module")
def image():
    fed = LocalFederation("1.42.0", 19680)
    units = fed.root / "units"
    units.mkdir()
    args = ("-e", "flower_common_systemd_dir=%s" % units)
    fed.first = fed.playbook(PLAYBOOK, *args)
    fed.second = fed.playbook(PLAYBOOK, *args)
    fed.units = units
    yield fed
    shutil.rmtree(fed.root, ignore_errors=True)


def test_install_is_idempotent(image):
    assert LocalFederation.recap(image.first.stdout)["localhost"]["changed"] > 0
    assert LocalFederation.recap(image.second.stdout)["localhost"]["changed"] == 0


def test_install_starts_nothing(image):
    running = subprocess.run(["pgrep", "-af", str(image.root)], capture_output=True, text=True, check=False).stdout
    assert running == ""


def test_virtualenv_holds_the_pinned_flower_and_the_app(image):
    version = subprocess.run([str(image.root / "venv/bin/python"), "-c", "import flwr, sklearn; print(flwr.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "1.42.0"
    assert (image.root / "apps/digits/pyproject.toml").is_file()


@pytest.mark.parametrize("role", ["superlink", "supernode"])
def test_systemd_unit_verifies_and_always_restarts(image, role):
    unit = image.units / ("flower-%s.service" % role)
    text = unit.read_text()
    assert "Restart=always" in text and "User=flower" in text
    # configure writes the launcher at boot; stand one in so systemd can check the whole unit now.
    launcher = image.root / role / "etc" / ("run-%s.sh" % role)
    launcher.write_text("#!/bin/sh\nexit 0\n")
    launcher.chmod(0o755)
    check = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True,
                           check=False)
    assert check.returncode == 0 and check.stdout + check.stderr == "", check.stdout + check.stderr
