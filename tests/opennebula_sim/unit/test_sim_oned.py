"""oned over XML-RPC: ids, errors, image and VM state machines, fault injection."""

import re
import xml.etree.ElementTree as ET

import pytest

from tests.opennebula_sim import Simulator
from tests.opennebula_sim.testing import one, vm_state

VM_TEMPLATE = ('NAME="node"\nCPU="0.5"\nMEMORY="256"\nDISK=[IMAGE_ID="%d"]\nNIC=[NETWORK_ID="0"]\n'
               'CONTEXT=[TOKEN="YES",NETWORK="YES",REPORT_READY="YES",FL_TEST="$FL_TEST"]\nFL_TEST="from-template"')


def xml(response):
    assert response[0] is True, response
    return ET.fromstring(response[1])


def ready_image(sim):
    image_id = one(sim, "one.image.allocate", 'NAME="disk"\nTYPE="DATABLOCK"\nSIZE="10"', 1)[1]
    sim.advance(5)
    return image_id


def test_version_auth_and_not_found(one_sim):
    assert one(one_sim, "one.system.version") == [True, "7.4.0", 0]
    assert one(one_sim, "one.vm.info", 0, session="oneadmin:nope") == [
        False, "[one.vm.info] User couldn't be authenticated, aborting call.", 0x100, -1, -1]
    assert one(one_sim, "one.vm.info", 42) == [False, "[one.vm.info] Error getting virtual machine [42].", 0x400, 42, -1]
    assert one(one_sim, "one.template.instantiate", 7, "", False, "", False) == [
        False, "[one.template.instantiate] Error getting virtual machine template [7].", 0x400, 7, -1]


def test_ids_are_monotonic_and_never_reused(one_sim):
    first = one(one_sim, "one.template.allocate", 'NAME="a"\nCPU="1"')[1]
    second = one(one_sim, "one.template.allocate", 'NAME="b"\nCPU="1"')[1]
    assert (first, second) == (0, 1)
    assert one(one_sim, "one.template.delete", second)[0] is True
    assert one(one_sim, "one.template.allocate", 'NAME="c"\nCPU="1"')[1] == 2
    assert one(one_sim, "one.template.allocate", 'NAME="a"\nCPU="1"') == [
        False, "[one.template.allocate] NAME is already taken by TEMPLATE 0.", 0x2000, -1, -1]


def test_image_goes_locked_then_ready(one_sim):
    image_id = one(one_sim, "one.image.allocate", 'NAME="img"\nTYPE="DATABLOCK"\nSIZE="10"', 1)[1]
    image = xml(one(one_sim, "one.image.info", image_id))
    assert image.findtext("STATE") == "4" and image.findtext("SOURCE") == ""
    one_sim.advance(1)
    image = xml(one(one_sim, "one.image.info", image_id))
    assert image.findtext("STATE") == "1" and image.findtext("SOURCE") == "dummy_path"
    assert image.findtext("TEMPLATE/DEV_PREFIX") == "sd"


def test_injected_image_error_carries_its_text(one_sim):
    one_sim.inject("image_error", message="Error copying image in the datastore: boom")
    bad = one(one_sim, "one.image.allocate", 'NAME="bad"\nPATH="/nonexistent.qcow2"', 1)[1]
    good = one(one_sim, "one.image.allocate", 'NAME="good"\nTYPE="DATABLOCK"\nSIZE="1"', 1)[1]
    one_sim.advance(2)
    assert xml(one(one_sim, "one.image.info", bad)).findtext("STATE") == "5"
    assert xml(one(one_sim, "one.image.info", bad)).findtext("TEMPLATE/ERROR") == "Error copying image in the datastore: boom"
    assert xml(one(one_sim, "one.image.info", good)).findtext("STATE") == "1"


def test_vm_state_machine_and_terminate(one_sim):
    template_id = one(one_sim, "one.template.allocate", VM_TEMPLATE % ready_image(one_sim))[1]
    vm_id = one(one_sim, "one.template.instantiate", template_id, "vm", False, "", False)[1]
    seen = []
    for _step in range(4):
        seen.append(vm_state(one_sim, vm_id))
        one_sim.advance(1)
    assert seen == [(1, 0), (3, 1), (3, 2), (3, 3)]
    doc = xml(one(one_sim, "one.vm.info", vm_id))
    assert doc.findtext("TEMPLATE/CONTEXT/FL_TEST") == "from-template"       # $FL_TEST resolved
    assert doc.findtext("TEMPLATE/CONTEXT/ONEGATE_ENDPOINT") == one_sim.onegate_url
    assert doc.findtext("TEMPLATE/NIC/IP") == doc.findtext("TEMPLATE/CONTEXT/ETH0_IP")
    assert doc.findtext("USER_TEMPLATE/FL_TEST") == "from-template"
    assert one(one_sim, "one.vm.action", "terminate", vm_id) == [True, vm_id, 0]
    assert vm_state(one_sim, vm_id) == (3, 12)
    one_sim.advance(1)
    assert vm_state(one_sim, vm_id) == (6, 0)
    assert one(one_sim, "one.vm.action", "terminate", vm_id) == [True, vm_id, 0]   # no-op on DONE
    assert one(one_sim, "one.vm.action", "explode", vm_id) == [
        False, '[one.vm.action] Action "explode" is not supported', 0x800, -1, -1]


def test_vm_boot_failure_injection(one_sim):
    template_id = one(one_sim, "one.template.allocate", 'NAME="t"\nCPU="1"\nMEMORY="64"')[1]
    one_sim.inject("vm_boot_failure", name_contains="bad")
    good = one(one_sim, "one.template.instantiate", template_id, "good", False, "", False)[1]
    bad = one(one_sim, "one.template.instantiate", template_id, "bad", False, "", False)[1]
    one_sim.advance(5)
    assert vm_state(one_sim, good) == (3, 3)
    assert vm_state(one_sim, bad) == (3, 36)
    assert one_sim.faults.armed() == []


def test_update_merge_and_replace_and_user_template_split(one_sim):
    template_id = one(one_sim, "one.template.allocate", 'NAME="t"\nCPU="1"\nLABELS="x"')[1]
    vm_id = one(one_sim, "one.template.instantiate", template_id, "", False, 'EXTRA="1"', False)[1]
    assert one_sim.vm(vm_id).name == "t-%d" % vm_id
    assert one(one_sim, "one.vm.update", vm_id, 'K="v"', 1)[0]
    assert one_sim.vm(vm_id).user_template.to_dict() == {"LABELS": "x", "EXTRA": "1", "K": "v"}
    assert one(one_sim, "one.vm.update", vm_id, 'ONLY="this"', 0)[0]
    assert one_sim.vm(vm_id).user_template.to_dict() == {"ONLY": "this"}
    assert "CPU" in one_sim.vm(vm_id).template and "CPU" not in one_sim.vm(vm_id).user_template


def test_power_cycle_hold_release(one_sim):
    template_id = one(one_sim, "one.template.allocate", 'NAME="t"\nCPU="1"')[1]
    vm_id = one(one_sim, "one.template.instantiate", template_id, "", True, "", False)[1]
    assert vm_state(one_sim, vm_id) == (2, 0)          # HOLD
    one_sim.advance(10)
    assert vm_state(one_sim, vm_id) == (2, 0)
    one(one_sim, "one.vm.action", "release", vm_id)
    one_sim.advance(3)
    assert vm_state(one_sim, vm_id) == (3, 3)
    one(one_sim, "one.vm.action", "poweroff", vm_id)
    one_sim.advance(1)
    assert vm_state(one_sim, vm_id) == (8, 0)
    assert one(one_sim, "one.vm.action", "poweroff", vm_id)[2] == 0x800
    one(one_sim, "one.vm.action", "resume", vm_id)
    one_sim.advance(1)
    assert vm_state(one_sim, vm_id) == (3, 3)


def test_vm_stays_pending_without_a_host():
    with Simulator(seed_infrastructure=False) as sim:
        template_id = one(sim, "one.template.allocate", 'NAME="t"\nCPU="1"')[1]
        vm_id = one(sim, "one.template.instantiate", template_id, "", False, "", False)[1]
        sim.advance(30)
        assert vm_state(sim, vm_id) == (1, 0)
        assert "Cannot dispatch VM" in sim.vm(vm_id).user_template.get("SCHED_MESSAGE")
        one(sim, "one.host.allocate", "localhost", "dummy", "dummy", -1)
        sim.advance(5)
        assert vm_state(sim, vm_id) == (3, 3)


def test_pools_and_state_filters(one_sim):
    template_id = one(one_sim, "one.template.allocate", 'NAME="t"\nCPU="1"')[1]
    ids = [one(one_sim, "one.template.instantiate", template_id, "v%d" % i, False, "", False)[1] for i in range(3)]
    one(one_sim, "one.vm.action", "terminate", ids[0])            # PENDING -> DONE at once
    everything = re.findall(r"<VM><ID>(\d+)</ID>", one(one_sim, "one.vmpool.info", -2, -1, -1, -2)[1])
    alive = re.findall(r"<VM><ID>(\d+)</ID>", one(one_sim, "one.vmpool.info", -2, -1, -1, -1)[1])
    assert sorted(map(int, everything)) == ids and sorted(map(int, alive)) == ids[1:]
    extended = xml(one(one_sim, "one.vmpool.infoextended", -2, -1, -1, -1))
    assert extended.find("VM/TEMPLATE/OS") is not None
    assert xml(one(one_sim, "one.templatepool.info", -2, -1, -1)).findtext("VMTEMPLATE/NAME") == "t"
    assert [d.findtext("NAME") for d in xml(one(one_sim, "one.datastorepool.info"))] == ["files", "default", "system"]


def test_single_nic_is_an_object_and_two_nics_a_list_in_onegate_json(one_sim):
    from tests.opennebula_sim.documents import vm as vm_doc
    from tests.opennebula_sim.xmldoc import to_hash
    template_id = one(one_sim, "one.template.allocate", 'NAME="t"\nCPU="1"\nNIC=[NETWORK_ID="0"]')[1]
    single = one(one_sim, "one.template.instantiate", template_id, "", False, "", False)[1]
    double = one(one_sim, "one.template.instantiate", template_id, "", False,
                 'NIC=[NETWORK_ID="0"]\nNIC=[NETWORK_ID="0"]', False)[1]
    assert isinstance(to_hash(vm_doc(one_sim.vm(single)))["VM"]["TEMPLATE"]["NIC"], dict)
    assert len(to_hash(vm_doc(one_sim.vm(double)))["VM"]["TEMPLATE"]["NIC"]) == 2


@pytest.mark.parametrize("method", ["one.nope.info"])
def test_unknown_method_is_an_xmlrpc_fault(one_sim, method):
    import xmlrpc.client
    with pytest.raises(xmlrpc.client.Fault):
        one(one_sim, method)
