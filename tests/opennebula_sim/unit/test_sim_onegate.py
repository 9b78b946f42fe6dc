"""OneGate: auth, PUT /vm bodies, restricted attributes, peer visibility, scale."""

from tests.opennebula_sim.testing import flow, gate, one
from test_sim_oneflow import running_service, vm_template

JSON = "application/json;charset=utf-8"


def members(sim, sid):
    return [[n["deploy_id"] for n in r["nodes"]] for r in sim.service(sid)["roles"]]


def test_auth_failures_are_401_not_authorized(one_sim):
    sid = running_service(one_sim)
    vm_id, other = members(one_sim, sid)[1]
    for response in (gate(one_sim, vm_id, "GET", "/vm", token="AAAAAAAAAAAAAAAAAAAAAA=="),
                     gate(one_sim, vm_id, "GET", "/vm", token=one_sim.vm(other).token),
                     gate(one_sim, 9999, "GET", "/vm", token=one_sim.vm(vm_id).token)):
        assert (response.status, response.content_type, response.text) == (401, JSON, "Not authorized")
    assert gate(one_sim, vm_id, "GET", "/no/such").text == "OneGate server doesn't support this feature"


def test_put_vm_raw_form_erase_and_restricted(one_sim):
    sid = running_service(one_sim)
    vm_id = members(one_sim, sid)[1][0]
    assert gate(one_sim, vm_id, "PUT", "/vm", "FL_NOTE=hello world\nFL_PART = 0", "text/plain").status == 200
    assert gate(one_sim, vm_id, "PUT", "/vm", "data=FL_ID%3D1%0AFL_PART%3D1&type=1",
                "application/x-www-form-urlencoded").status == 200
    user_template = gate(one_sim, vm_id, "GET", "/vm").json()["VM"]["USER_TEMPLATE"]
    assert (user_template["FL_NOTE"], user_template["FL_PART"], user_template["FL_ID"]) == ("hello world", "1", "1")
    assert gate(one_sim, vm_id, "PUT", "/vm?type=2", "FL_NOTE", "text/plain").status == 200
    assert "FL_NOTE" not in one_sim.vm(vm_id).user_template
    assert (gate(one_sim, vm_id, "PUT", "/vm?type=2", "FL_NOTE", "text/plain").status,
            gate(one_sim, vm_id, "PUT", "/vm", '{"A": "x"}', "application/json").text) == (500, "Internal server error")
    assert gate(one_sim, vm_id, "PUT", "/vm", "SERVICE_ID=9", "text/plain").text == "Attribute (SERVICE_ID) cannot be modified"
    assert gate(one_sim, vm_id, "PUT", "/vm?type=2", "ROLE_NAME", "text/plain").text == "Attribute (ROLE_NAME) cannot be deleted"
    # what the guest published is what oned holds
    assert "<FL_ID><![CDATA[1]]></FL_ID>" in one(one_sim, "one.vm.info", vm_id)[1]


def test_peers_see_published_attributes_only_through_vms_and_extended(one_sim):
    sid = running_service(one_sim)
    (superlink,), (node_a, node_b) = members(one_sim, sid)
    gate(one_sim, superlink, "PUT", "/vm", "FL_ENDPOINT=10.10.0.11:9092")
    plain = gate(one_sim, node_a, "GET", "/service").json()["SERVICE"]
    assert plain["id"] == str(sid) and plain["state"] == 2
    node = plain["roles"][0]["nodes"][0]
    assert node["running"] is None and sorted(node["vm_info"]["VM"]) == ["GID", "GNAME", "ID", "NAME", "UID", "UNAME"]
    extended = gate(one_sim, node_a, "GET", "/service?extended=true").json()["SERVICE"]
    assert extended["roles"][0]["nodes"][0]["vm_info"]["VM"]["USER_TEMPLATE"]["FL_ENDPOINT"] == "10.10.0.11:9092"
    peer = gate(one_sim, node_a, "GET", "/vms/%d" % superlink).json()["VM"]
    assert peer["USER_TEMPLATE"]["FL_ENDPOINT"] == "10.10.0.11:9092"
    assert isinstance(peer["TEMPLATE"]["NIC"], list) and set(peer["TEMPLATE"]["NIC"][0]) <= {
        "IP", "MAC", "NAME", "NETWORK", "IP6_LINK", "IP6_SITE", "IP6_GLOBAL", "PARENT", "EXTERNAL", "EXTERNAL_IP"}
    assert gate(one_sim, node_a, "GET", "/vms/99999").text == "Service %d does not contain VM 99999." % sid


def test_a_vm_outside_any_service(one_sim):
    sid = running_service(one_sim)
    inside = members(one_sim, sid)[0][0]
    template_id = vm_template(one_sim, "lonely")
    outside = one(one_sim, "one.template.instantiate", template_id, "", False, "", False)[1]
    one_sim.advance(5)
    assert gate(one_sim, outside, "GET", "/vm").status == 200
    assert (gate(one_sim, outside, "GET", "/service").status, gate(one_sim, outside, "GET", "/service").text) == \
        (400, "Empty or invalid SERVICE_ID")
    assert gate(one_sim, outside, "GET", "/vms/%d" % inside).text.startswith("This VM does not belong to any")
    assert gate(one_sim, inside, "GET", "/vms/%d" % outside).text == "Service %d does not contain VM %d." % (sid, outside)


def test_scale_through_onegate_and_actions(one_sim):
    sid = running_service(one_sim)
    vm_id = members(one_sim, sid)[1][0]
    assert gate(one_sim, vm_id, "PUT", "/service/role/nope", {"cardinality": 3}).text == \
        "Error performing action on service %d role nope" % sid
    assert gate(one_sim, vm_id, "PUT", "/service/role/supernode", {"cardinality": 3}).status == 200
    assert one_sim.service(sid)["state"] == 8
    assert gate(one_sim, vm_id, "PUT", "/service/role/supernode", {"cardinality": 4}).status == 400
    assert gate(one_sim, vm_id, "POST", "/vms/%d/action" % vm_id, {"action": {"perform": "reboot"}}).text == \
        "Action (reboot) is not allowed on this resource"
    assert gate(one_sim, vm_id, "POST", "/vms/%d/action" % vm_id, {"action": {"perform": "poweroff"}}).status == 204
    one_sim.advance(1)
    assert one_sim.vm(vm_id).state == 8


def test_ready_through_onegate_releases_the_gate(one_sim):
    one_sim.state.simulate_guest_ready = False
    from test_sim_oneflow import deploy, states
    sid = deploy(one_sim)
    one_sim.advance(10)
    assert states(one_sim, sid) == (1, [(1, 1), (0, 0)])
    gate(one_sim, members(one_sim, sid)[0][0], "PUT", "/vm", "READY=YES", "application/x-www-form-urlencoded")
    one_sim.advance(1)
    assert states(one_sim, sid) == (1, [(2, 1), (1, 2)])
    flow(one_sim, "GET", "/service/%d" % sid)
