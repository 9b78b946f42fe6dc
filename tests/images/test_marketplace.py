"""The marketplace metadata comes from the images themselves and the CONTEXT schema: sizes and checksums are the
files', the user inputs the schema's, and --check reports metadata that no longer matches its image."""

import hashlib
import json
import os
import subprocess
import sys

import pytest
import yaml

from tests.images.conftest import REPO, require

sys.path.insert(0, str(REPO / "packer" / "marketplace"))
import generate  # noqa: E402  pylint: disable=wrong-import-position

from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_schema as schema  # noqa: E402


def make_image(directory, role, size, payload, frameworks=(), flower_version="1.42.0"):
    role_dir = directory / role
    role_dir.mkdir(parents=True, exist_ok=True)
    path = role_dir / ("flower-%s.qcow2" % role)
    raw = role_dir / "payload.raw"
    raw.write_bytes(payload)
    subprocess.run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(path)], check=True)
    subprocess.run(["qemu-img", "resize", "-q", str(path), size], check=True)
    raw.unlink()
    (role_dir / "build.json").write_text(json.dumps({"role": role, "frameworks": list(frameworks),
                                                     "flower_version": flower_version, "build_seconds": 60}))
    (role_dir / "packer-os-release").write_text('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n'
                                                'VERSION_ID="12"\n')
    return path


@pytest.fixture
def images(tmp_path):
    require("qemu-img")
    make_image(tmp_path, "superlink", "4G", os.urandom(1 << 20))
    make_image(tmp_path, "supernode", "10G", os.urandom(2 << 20), frameworks=["sklearn"])
    return tmp_path


def run(images, out, *extra):
    return generate.main(["--images", str(images), "--out", str(out), "--url-base", "https://images.example.org/fl/",
                          *extra])


def load(out, name):
    with open(out / name) as handle:
        return yaml.safe_load(handle)


def digest(path, algorithm):
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


def test_vm_apps_carry_the_images_sizes_checksums_and_the_schema(images, tmp_path):
    out = tmp_path / "market"
    assert run(images, out) == 0
    sizes = {"superlink": 4 << 30, "supernode": 10 << 30}
    for role in ("superlink", "supernode"):
        app = load(out, "flower-%s.yaml" % role)
        qcow2 = images / role / ("flower-%s.qcow2" % role)
        image = app["images"][0]
        assert image["size"] == sizes[role]
        assert image["checksum"] == {"md5": digest(qcow2, "md5"), "sha256": digest(qcow2, "sha256")}
        assert image["url"] == "https://images.example.org/fl/flower-%s-1.42.0.qcow2" % role
        assert app["creation_time"] == int(qcow2.stat().st_mtime)
        template = app["opennebula_template"]
        assert template["user_inputs"] == {k.lower(): v for k, v in schema.user_inputs(role).items()}
        for name in schema.user_inputs(role):
            assert template["context"][name.lower()] == "$" + name
        assert template["context"]["token"] == "YES" and template["context"]["report_ready"] == "YES"
        # The OS the build recorded, not a guess.
        assert (app["os-id"], app["os-release"]) == ("Debian", "12")
    assert "sklearn" in load(out, "flower-supernode.yaml")["tags"]


def test_the_service_names_both_apps_boots_them_together_and_gates_on_ready(images, tmp_path):
    out = tmp_path / "market"
    run(images, out)
    service = load(out, "flower-service.yaml")
    assert service["roles"] == {"superlink": load(out, "flower-superlink.yaml")["name"],
                                "supernode": load(out, "flower-supernode.yaml")["name"]}
    template = json.loads(service["opennebula_template"])
    assert template["deployment"] == "none" and template["ready_status_gate"] is True
    assert not any(role.get("parents") for role in template["roles"])


def test_check_reports_metadata_of_a_rebuilt_image_as_stale(images, tmp_path):
    out = tmp_path / "market"
    run(images, out)
    assert run(images, out, "--check") == 0
    make_image(images, "supernode", "12G", os.urandom(1 << 20), frameworks=["sklearn"])
    assert run(images, out, "--check") == 1
    run(images, out)
    assert run(images, out, "--check") == 0
    assert load(out, "flower-supernode.yaml")["images"][0]["size"] == 12 << 30


def test_an_image_without_its_recorded_os_is_an_error_naming_the_file(images, tmp_path):
    (images / "supernode" / "packer-os-release").unlink()
    with pytest.raises(SystemExit, match="supernode/packer-os-release is missing: rebuild the image"):
        generate.render(str(images), "https://images.example.org/fl")


def test_the_release_is_the_one_the_images_were_built_with_and_the_same_for_both(images, tmp_path):
    build = json.loads((images / "supernode" / "build.json").read_text())
    (images / "supernode" / "build.json").write_text(json.dumps(dict(build, flower_version="1.31.0")))
    with pytest.raises(SystemExit, match="SuperLink image runs Flower 1.42.0, the SuperNode image 1.31.0"):
        generate.render(str(images), "https://images.example.org/fl")
    del build["flower_version"]
    (images / "supernode" / "build.json").write_text(json.dumps(build))
    with pytest.raises(SystemExit, match="supernode/build.json records no flower_version: rebuild the image"):
        generate.render(str(images), "https://images.example.org/fl")


def test_a_missing_image_is_an_error_naming_it(tmp_path):
    with pytest.raises(SystemExit, match="flower-superlink.qcow2 is missing"):
        run(tmp_path, tmp_path / "market")
