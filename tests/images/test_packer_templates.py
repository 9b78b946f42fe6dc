"""The Packer templates validate with the Packer Debian ships (1.6.6), for both roles and both builders, and
refuse bad variables with a message naming them (a Flower release the collection does not support: the build
script, from the collection's table, before anything is built); the plugin requirements for newer Packer stay in
their own file; QEMU's user-mode network stays inside the project's test range."""

import ipaddress
import os
import re
import subprocess

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils import _flower_layouts as layouts
from tests.images.conftest import REPO, packer_env, require

PACKER = REPO / "packer"
TEMPLATE = PACKER / "appliance.pkr.hcl"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    require("packer", "ssh-keygen", "qemu-img")
    tmp = tmp_path_factory.mktemp("packer-inputs")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "key")], check=True)
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(tmp / "base.qcow2"), "1G"], check=True)
    for name in ("wheels.tar", "collection.tar"):
        (tmp / name).write_bytes(b"")
    return ["-var", "wheelhouse_archive=%s" % (tmp / "wheels.tar"), "-var", "collection_archive=%s" % (tmp / "collection.tar"),
            "-var", "base_disk=file://%s" % (tmp / "base.qcow2"), "-var", "ssh_private_key_file=%s" % (tmp / "key"),
            "-var", "flower_version=%s" % layouts.default_release()]


def validate(*args, target=TEMPLATE):
    return subprocess.run(["packer", "validate", *args, str(target)], cwd=REPO, env=packer_env(), capture_output=True,
                          text=True, check=False, timeout=120)


@pytest.mark.parametrize("role", ["superlink", "supernode"])
def test_each_role_validates_for_both_builders(inputs, role):
    for builder in ("qemu.appliance", "docker.appliance"):
        proc = validate("-only=%s" % builder, "-var-file=packer/%s.pkrvars.hcl" % role, *inputs)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_production_variables_validate(inputs):
    # The checksum URL would be fetched at build time; validation must not need the network.
    proc = validate("-var-file=packer/supernode.pkrvars.hcl", "-var-file=packer/production.pkrvars.hcl", *inputs,
                    "-var", "base_disk_checksum=none")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("variable, value, message", [
    ("appliance_role", "edge", "appliance_role variable must be superlink or supernode"),
    ("frameworks", '["sklearn", "jax"]', "frameworks variable must list one or more of pytorch, tensorflow"),
    ("flower_version", "1.42", "flower_version variable must be a release number major.minor.patch"),
    ("accelerator", "hvf", "accelerator variable must be kvm or tcg"),
])
def test_bad_variables_are_refused_naming_the_variable(inputs, variable, value, message):
    proc = validate("-var-file=packer/supernode.pkrvars.hcl", *inputs, "-var", "%s=%s" % (variable, value))
    assert proc.returncode != 0
    assert message in " ".join((proc.stdout + proc.stderr).split())


def build_image(tmp_path, *args):
    """images/build-image.sh superlink with ``args``; a wheelhouse it would start building fails at once."""
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"), WHEELHOUSE_PYTHON="/bin/false")
    return subprocess.run([str(REPO / "images" / "build-image.sh"), "superlink", "--out", str(tmp_path / "out"), *args],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False, timeout=60)


@pytest.mark.parametrize("release, given_by", [("9.9.9", "option"), ("1.42", "option"), ("1.40.0", "var file")])
def test_build_image_refuses_an_unsupported_flower_release_before_building(tmp_path, release, given_by):
    var_file = tmp_path / "flower.pkrvars.hcl"
    var_file.write_text('flower_version = "%s"\n' % release)
    proc = build_image(tmp_path, *(["--flower-version", release] if given_by == "option" else ["--var-file", str(var_file)]))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.strip() == "build-image[superlink]: flower_version=%s %s" % (release, layouts.problem(release))
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


def test_build_image_takes_the_newest_supported_release_by_default(tmp_path):
    proc = build_image(tmp_path)  # accepted, it goes on to the wheelhouse, which fails at once here
    assert "build-image[superlink]: Flower %s\n" % layouts.default_release() in proc.stderr
    assert proc.returncode == 1 and not (tmp_path / "out").exists()


def test_required_plugins_live_alone_for_newer_packer():
    plugins = (PACKER / "plugins.pkr.hcl").read_text()
    for name in ("qemu", "docker", "ansible"):
        assert re.search(r'%s = \{\s*version = "[^"]+"\s*source  = "github.com/hashicorp/%s"' % (name, name), plugins)
    others = [p.name for p in PACKER.glob("*.pkr.hcl") if p.name != "plugins.pkr.hcl"]
    assert others == ["appliance.pkr.hcl"]
    assert "required_plugins" not in TEMPLATE.read_text()


def test_packer_1_6_rejects_the_directory_but_not_the_build_file(inputs):
    version = subprocess.run(["packer", "version"], capture_output=True, text=True, check=True).stdout
    if not version.startswith("Packer v1.6."):
        pytest.skip("only Packer 1.6 rejects required_plugins: %s" % version.strip())
    proc = validate("-var-file=packer/superlink.pkrvars.hcl", *inputs, target=PACKER)
    assert proc.returncode != 0 and "required_plugins" in proc.stdout + proc.stderr


def test_qemu_user_networking_stays_in_the_test_range():
    text = TEMPLATE.read_text()
    netdev = re.search(r'"-netdev", "user,([^"]+)"', text).group(1)
    options = dict(item.split("=", 1) for item in netdev.split(",") if "=" in item)
    allowed = ipaddress.ip_network("198.18.10.0/23")
    assert ipaddress.ip_network(options["net"]).subnet_of(allowed)
    for key in ("host", "dns"):
        assert ipaddress.ip_address(options[key]) in allowed
    assert options["hostfwd"].startswith("tcp:127.0.0.1:")
