"""pyone 7.3 reads the simulator's XML-RPC answers as it reads oned's: typed exceptions for the failure
arrays, and its generated bindings for every document the collection asks for."""

import socket

import pytest

pyone = pytest.importorskip("pyone")


@pytest.fixture
def server(one_sim):
    before = socket.getdefaulttimeout()
    yield pyone.OneServer(one_sim.xmlrpc_url, session=one_sim.session, protocol="xmlrpc")
    assert socket.getdefaulttimeout() == before   # no timeout given: pyone leaves the process default alone


def running_vm(sim, server):
    image_id = server.image.allocate('NAME="disk"\nTYPE="DATABLOCK"\nSIZE="10"', 1)
    template_id = server.template.allocate(
        'NAME="node"\nCPU="0.5"\nMEMORY="256"\nDISK=[IMAGE_ID="%d"]\nNIC=[NETWORK_ID="0"]\n'
        'CONTEXT=[TOKEN="YES",NETWORK="YES"]' % image_id)
    sim.advance(5)
    vm_id = server.template.instantiate(template_id, "node-0", False, 'FL_ROLE="supernode"', False)
    sim.advance(10)
    return image_id, template_id, vm_id


def test_documents_bind(one_sim, server):
    image_id, template_id, vm_id = running_vm(one_sim, server)
    assert server.system.version() == "7.4.0"
    assert server.user.info(-1).NAME == one_sim.username
    vm = server.vm.info(vm_id)   # one NIC: a dict, as pyone reads oned's single elements
    assert (vm.ID, vm.NAME, vm.STATE, vm.LCM_STATE) == (vm_id, "node-0", 3, 3)
    assert vm.TEMPLATE["NIC"]["NETWORK_ID"] == "0" and vm.TEMPLATE["CONTEXT"]["TOKEN"] == "YES"
    assert vm.USER_TEMPLATE["FL_ROLE"] == "supernode"
    pool = server.vmpool.infoextended(-2, -1, -1, -1)
    assert [v.ID for v in pool.VM] == [vm_id] and pool.VM[0].TEMPLATE["NIC"]["IP"]
    image = server.image.info(image_id)
    assert (image.ID, image.NAME, image.STATE) == (image_id, "disk", 2)   # USED by the VM
    assert [i.NAME for i in server.imagepool.info(-3, -1, -1).IMAGE] == ["disk"]
    assert server.template.info(template_id).TEMPLATE["CPU"] == "0.5"
    assert [t.NAME for t in server.templatepool.info(-3, -1, -1).VMTEMPLATE] == ["node"]


def test_failure_arrays_raise_pyone_exceptions(one_sim, server):
    with pytest.raises(pyone.OneNoExistsException, match=r"^\[one.vm.info\] Error getting virtual machine \[42\]\.$"):
        server.vm.info(42)
    server.template.allocate('NAME="dup"\nCPU="1"')
    with pytest.raises(pyone.OneInternalException, match="NAME is already taken by TEMPLATE"):
        server.template.allocate('NAME="dup"\nCPU="1"')
    wrong = pyone.OneServer(one_sim.xmlrpc_url, session="%s:wrong" % one_sim.username, protocol="xmlrpc")
    with pytest.raises(pyone.OneAuthenticationException):
        wrong.system.version()
