"""Fixtures for the image tests: the host tools (images/host-packages.sh installs them) or a clear skip.

Without packer/qemu these tests skip, unless FLOWER_REQUIRE_IMAGES is set (.ci/run sets it): then they fail."""

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(os.environ.get("VIRTUAL_ENV") or REPO / ".venv") / "bin"


def require(*commands):
    missing = [c for c in commands if shutil.which(c, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin") is None]
    if missing:
        message = "image tests need %s (images/host-packages.sh installs them)" % ", ".join(missing)
        if os.environ.get("FLOWER_REQUIRE_IMAGES"):
            pytest.fail(message + " and FLOWER_REQUIRE_IMAGES is set", pytrace=False)
        pytest.skip(message)


def packer_env():
    """Environment for packer: ansible-playbook on PATH (validate runs it), no checkpoint calls, no colour."""
    return dict(os.environ, PATH="%s:%s" % (VENV_BIN.resolve(), os.environ.get("PATH", "")), CHECKPOINT_DISABLE="1",
                PACKER_NO_COLOR="1", FLWR_TELEMETRY_ENABLED="0", FLWR_DISABLE_UPDATE_CHECK="1")
