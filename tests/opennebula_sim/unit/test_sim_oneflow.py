"""OneFlow over HTTP: documents, codes, schema, and the service/role state machines."""

import pytest

from tests.opennebula_sim import Simulator
from tests.opennebula_sim.testing import flow, gate, one, vm_state

HTML = "text/html;charset=utf-8"


def vm_template(sim, name="node"):
    text = 'NAME="%s"\nCPU="0.5"\nMEMORY="256"\nNIC=[NETWORK_ID="0"]\nCONTEXT=[TOKEN="YES",NETWORK="YES",REPORT_READY="YES"]'
    return one(sim, "one.template.allocate", text % name)[1]


def service_template(template_id, gate_on=True, **extra):
    body = {"name": "fl-cluster", "deployment": "straight", "ready_status_gate": gate_on,
            "roles": [{"name": "superlink", "type": "vm", "template_id": template_id, "cardinality": 1,
                       "template_contents": {"CONTEXT": {"FL_ROLE": "superlink"}}},
                      {"name": "supernode", "type": "vm", "template_id": template_id, "parents": ["superlink"],
                       "cardinality": 2, "min_vms": 1, "max_vms": 4, "cooldown": 30,
                       "template_contents": {"CONTEXT": {"SL_IP": "${superlink.TEMPLATE.CONTEXT.ETH0_IP}"}}}]}
    body.update(extra)
    return body


def states(sim, service_id):
    body = sim.service(service_id)
    return None if body is None else (body["state"], [(r["state"], len(r.get("nodes", []))) for r in body["roles"]])


def deploy(sim, gate_on=True, **extra):
    tid = vm_template(sim)
    template = flow(sim, "POST", "/service_template", service_template(tid, gate_on, **extra)).json()
    created = flow(sim, "POST", "/service_template/%s/action" % template["DOCUMENT"]["ID"],
                   {"action": {"perform": "instantiate", "params": {"merge_template": {"name": "run"}}}})
    assert created.status == 201
    return int(created.json()["DOCUMENT"]["ID"])


def test_empty_pools_auth_and_unknown_routes(one_sim):
    response = flow(one_sim, "GET", "/service")
    assert (response.status, response.content_type, response.text) == (200, HTML, '{\n  "DOCUMENT_POOL": {\n  }\n}')
    assert flow(one_sim, "GET", "/service", auth=False).text == "A username and password must be provided"
    one_sim.password, real = "wrong", one_sim.password
    assert flow(one_sim, "GET", "/service").status == 401
    one_sim.password = real
    missing = flow(one_sim, "GET", "/service/77")
    assert (missing.status, missing.text) == (404, "[one.document.info] Error getting document [77].")
    dead_route = flow(one_sim, "PUT", "/service/0/role/web", {"cardinality": 2})
    assert dead_route.status == 404 and "Sinatra doesn" in dead_route.text


def test_template_schema_errors_and_coercion(one_sim):
    assert flow(one_sim, "POST", "/service_template", {"roles": []}).text == \
        """Mandatory document key 'name (string)' is missing from {"roles":[]}"""
    bad = service_template(0)
    bad["roles"][1]["min_vms"] = 3
    assert flow(one_sim, "POST", "/service_template", bad).text == \
        "Role 'supernode' 'cardinality' must be greater than or equal to 'min_vms'"
    coerced = service_template(0)
    coerced["roles"][0]["cardinality"] = "1"
    created = flow(one_sim, "POST", "/service_template", coerced)
    assert created.status == 201
    assert created.json()["DOCUMENT"]["TEMPLATE"]["BODY"]["roles"][0]["cardinality"] == 1
    assert flow(one_sim, "POST", "/service_template", "{oops").status == 400


def test_template_put_registration_time_and_delete(one_sim):
    doc = flow(one_sim, "POST", "/service_template", service_template(0)).json()["DOCUMENT"]
    registered = doc["TEMPLATE"]["BODY"]["registration_time"]
    body = dict(doc["TEMPLATE"]["BODY"])
    body["description"] = "changed"
    assert flow(one_sim, "PUT", "/service_template/%s" % doc["ID"], body).status == 200
    body["registration_time"] = 1
    assert flow(one_sim, "PUT", "/service_template/%s" % doc["ID"], body).status == 500
    del body["registration_time"]
    kept = flow(one_sim, "PUT", "/service_template/%s" % doc["ID"], body).json()["DOCUMENT"]["TEMPLATE"]["BODY"]
    assert kept["registration_time"] == registered and kept["description"] == "changed"
    deleted = flow(one_sim, "DELETE", "/service_template/%s" % doc["ID"])
    assert deleted.status == 204 and deleted.content_type is None
    assert flow(one_sim, "GET", "/service_template/%s" % doc["ID"]).status == 404


def test_straight_deployment_waits_for_the_ready_gate(one_sim):
    one_sim.state.simulate_guest_ready = False
    sid = deploy(one_sim)
    assert states(one_sim, sid) == (0, [(0, 0), (0, 0)])
    one_sim.advance(1)
    assert states(one_sim, sid) == (11, [(0, 0), (0, 0)])
    one_sim.advance(1)
    assert states(one_sim, sid) == (1, [(1, 1), (0, 0)])      # superlink first
    one_sim.advance(30)
    assert states(one_sim, sid) == (1, [(1, 1), (0, 0)])      # RUNNING VM, but no READY=YES yet
    superlink_vm = one_sim.service(sid)["roles"][0]["nodes"][0]["deploy_id"]
    assert gate(one_sim, superlink_vm, "PUT", "/vm", "READY=YES").status == 200
    one_sim.advance(1)
    body = one_sim.service(sid)
    assert states(one_sim, sid) == (1, [(2, 1), (1, 2)])
    supernode_vm = one_sim.vm(body["roles"][1]["nodes"][0]["deploy_id"])
    assert supernode_vm.template.get("CONTEXT")["SL_IP"] == one_sim.vm(superlink_vm).template.get("NIC")["IP"]
    assert supernode_vm.name == "supernode_0_(service_%d)" % sid
    assert supernode_vm.user_template.get("SERVICE_ID") == str(sid)
    for node in body["roles"][1]["nodes"]:
        one_sim.state.vm_update(node["deploy_id"], 'READY="YES"', True)
    one_sim.advance(1)
    assert states(one_sim, sid)[0] == 2
    assert [entry["message"] for entry in one_sim.service(sid)["log"]] == [
        "New state: DEPLOYING_NETS", "New state: DEPLOYING", "New state: RUNNING"]


def test_without_gate_roles_run_when_vms_run(one_sim):
    sid = deploy(one_sim, gate_on=False)
    one_sim.advance_until(lambda: states(one_sim, sid)[0] == 2, timeout=60)
    assert all(vm_state(one_sim, n["deploy_id"]) == (3, 3) for r in one_sim.service(sid)["roles"] for n in r["nodes"])


def running_service(sim, **extra):
    sid = deploy(sim, **extra)
    sim.advance_until(lambda: states(sim, sid)[0] == 2, timeout=120)
    return sid


def test_scale_up_cooldown_and_scale_down_removes_oldest(one_sim):
    sid = running_service(one_sim)
    before = [n["deploy_id"] for n in one_sim.service(sid)["roles"][1]["nodes"]]
    scale = {"role_name": "supernode", "cardinality": 3, "force": False}
    response = flow(one_sim, "POST", "/service/%d/scale" % sid, scale)
    assert (response.status, response.content_type) == (204, None)
    assert states(one_sim, sid)[0] == 8
    one_sim.advance_until(lambda: states(one_sim, sid)[0] == 10, timeout=60)
    assert flow(one_sim, "POST", "/service/%d/scale" % sid, dict(scale, cardinality=4)).text == \
        "Service cannot be scaled in state: COOLDOWN"
    assert flow(one_sim, "DELETE", "/service/%d" % sid).text == "Service cannot be undeployed in state: COOLDOWN"
    one_sim.advance(29)
    assert states(one_sim, sid)[0] == 10
    one_sim.advance(2)                                        # the role's 30 s cooldown is over
    assert states(one_sim, sid)[0] == 2
    nodes = [n["deploy_id"] for n in one_sim.service(sid)["roles"][1]["nodes"]]
    assert nodes[:2] == before and len(nodes) == 3
    flow(one_sim, "POST", "/service/%d/scale" % sid, dict(scale, cardinality=1))
    one_sim.advance_until(lambda: states(one_sim, sid)[0] == 10, timeout=60)
    assert [n["deploy_id"] for n in one_sim.service(sid)["roles"][1]["nodes"]] == nodes[2:]
    assert all(one_sim.vm(v).state == 6 for v in nodes[:2])
    assert flow(one_sim, "POST", "/service/%d/action" % sid,
                {"action": {"perform": "recover", "params": {}}}).status == 204
    assert states(one_sim, sid)[0] == 2                       # recover ends the cooldown


def test_scale_refusals(one_sim):
    sid = running_service(one_sim)
    path = "/service/%d/scale" % sid
    assert flow(one_sim, "POST", path, {"role_name": "supernode", "cardinality": 5, "force": False}).text == \
        "Can't scale service %d: Maximum cardinality is 4" % sid
    assert flow(one_sim, "POST", path, {"role_name": "supernode", "cardinality": 0, "force": False}).text == \
        "Can't scale service %d: Minimum cardinality is 1" % sid
    assert flow(one_sim, "POST", path, {"role_name": "supernode", "cardinality": 2, "force": False}).text == \
        "Cardinality of supernode is already at 2"
    assert flow(one_sim, "POST", path, {"role_name": "nope", "cardinality": 2, "force": False}).text == \
        "Role nope not found"
    no_force = flow(one_sim, "POST", path, {"role_name": "supernode", "cardinality": 3})
    assert no_force.status == 500 and no_force.json()["message"] == "Internal server error"
    assert flow(one_sim, "POST", path, {"role_name": "supernode", "cardinality": 5, "force": True}).status == 204


def test_delete_undeploys_in_reverse_order_then_the_document_is_gone(one_sim):
    sid = running_service(one_sim)
    vm_ids = [n["deploy_id"] for r in one_sim.service(sid)["roles"] for n in r["nodes"]]
    assert flow(one_sim, "DELETE", "/service/%d" % sid).status == 204
    assert states(one_sim, sid) == (3, [(2, 1), (3, 2)])
    one_sim.advance_until(lambda: one_sim.service(sid) is None, timeout=60)
    assert flow(one_sim, "GET", "/service/%d" % sid).status == 404
    assert all(one_sim.vm(v).state == 6 for v in vm_ids)


def test_boot_failure_gives_failed_deploying_and_recover(one_sim):
    one_sim.inject("vm_boot_failure", name_contains="superlink")
    sid = deploy(one_sim)
    one_sim.advance_until(lambda: states(one_sim, sid)[0] == 7, timeout=60)
    assert states(one_sim, sid)[1][0][0] == 7
    assert [e["severity"] for e in one_sim.service(sid)["log"][-2:]] == ["E", "I"]
    assert flow(one_sim, "DELETE", "/service/%d" % sid).text == "Service cannot be undeployed in state: FAILED_DEPLOYING"
    flow(one_sim, "POST", "/service/%d/action" % sid, {"action": {"perform": "recover", "params": {}}})
    one_sim.advance_until(lambda: states(one_sim, sid)[0] == 2, timeout=120)
    first = one_sim.service(sid)["roles"][0]
    assert first["last_vmname"] == 2 and len(first["nodes"]) == 1


def test_recover_delete_removes_a_failed_service(one_sim):
    one_sim.inject("vm_boot_failure", count=5)
    sid = deploy(one_sim)
    one_sim.advance_until(lambda: states(one_sim, sid)[0] == 7, timeout=60)
    vm_id = one_sim.service(sid)["roles"][0]["nodes"][0]["deploy_id"]
    assert flow(one_sim, "POST", "/service/%d/action" % sid,
                {"action": {"perform": "recover", "params": {"delete": True}}}).status == 204
    assert flow(one_sim, "GET", "/service/%d" % sid).status == 404
    one_sim.advance(2)
    assert one_sim.vm(vm_id).state == 6


def test_warning_when_a_vm_leaves_running(one_sim):
    sid = running_service(one_sim)
    vm_id = one_sim.service(sid)["roles"][1]["nodes"][0]["deploy_id"]
    one(one_sim, "one.vm.action", "poweroff", vm_id)
    one_sim.advance(2)
    assert states(one_sim, sid)[0] == 4 and states(one_sim, sid)[1][1][0] == 4
    one(one_sim, "one.vm.action", "resume", vm_id)
    one_sim.advance(2)
    assert states(one_sim, sid)[0] == 2


def test_instantiate_merges_roles_by_name_and_folds_user_inputs(one_sim):
    tid = vm_template(one_sim)
    body = service_template(tid, user_inputs={"ROUNDS": "M|number|Rounds"})
    doc = flow(one_sim, "POST", "/service_template", body).json()["DOCUMENT"]
    path = "/service_template/%s/action" % doc["ID"]
    missing = flow(one_sim, "POST", path, {"action": {"perform": "instantiate", "params": {}}})
    assert (missing.status, missing.text) == (400, "The Service template specifies User Inputs but no values have been found")
    merge = {"name": "mine", "user_inputs_values": {"ROUNDS": "5"}, "roles": [{"name": "supernode", "cardinality": 3}]}
    created = flow(one_sim, "POST", path, {"action": {"perform": "instantiate", "params": {"merge_template": merge}}})
    service = created.json()["DOCUMENT"]
    assert service["NAME"] == "mine" and service["TYPE"] == "100"
    assert [r["cardinality"] for r in service["TEMPLATE"]["BODY"]["roles"]] == [1, 3]
    sid = int(service["ID"])
    one_sim.advance_until(lambda: states(one_sim, sid)[0] == 2, timeout=120)
    role = one_sim.service(sid)["roles"][1]
    assert role["template_contents"]["ROUNDS"] == "5" and role["template_contents"]["CONTEXT"]["ROUNDS"] == "$ROUNDS"
    vm = one_sim.vm(role["nodes"][0]["deploy_id"])
    assert vm.template.get("CONTEXT")["ROUNDS"] == "5" and vm.user_template.get("ROUNDS") == "5"


def test_6x_schema_uses_vm_template_and_merges_roles_by_index(one_sim6):
    tid = vm_template(one_sim6)
    body = {"name": "old", "deployment": "none", "custom_attrs": {"X": "M|text|x"},
            "roles": [{"name": "a", "vm_template": tid, "cardinality": 1, "vm_template_contents": 'FOO="bar"'},
                      {"name": "b", "vm_template": tid, "cardinality": 1}]}
    doc = flow(one_sim6, "POST", "/service_template", body)
    assert doc.status == 201, doc.text
    assert "template_id" not in doc.json()["DOCUMENT"]["TEMPLATE"]["BODY"]["roles"][0]
    seven = dict(body, roles=[{"name": "a", "type": "vm", "template_id": tid}])
    assert flow(one_sim6, "POST", "/service_template", seven).status == 400
    merge = {"custom_attrs_values": {"X": "1"}, "roles": [{"cardinality": 2}, {}]}
    sid = int(flow(one_sim6, "POST", "/service_template/%s/action" % doc.json()["DOCUMENT"]["ID"],
                   {"action": {"perform": "instantiate", "params": {"merge_template": merge}}}).json()["DOCUMENT"]["ID"])
    one_sim6.advance_until(lambda: states(one_sim6, sid)[0] == 2, timeout=120)
    roles = one_sim6.service(sid)["roles"]
    assert [len(r["nodes"]) for r in roles] == [2, 1]
    vm = one_sim6.vm(roles[0]["nodes"][0]["deploy_id"])
    assert vm.user_template.get("FOO") == "bar" and vm.user_template.get("X") == "1"


def test_7x_converts_a_6x_template():
    with Simulator() as sim:
        body = {"name": "old", "roles": [{"name": "a", "vm_template": 0, "vm_template_contents": 'A="1"'}],
                "custom_attrs": {"K": "O|text|k"}}
        stored = flow(sim, "POST", "/service_template", body).json()["DOCUMENT"]["TEMPLATE"]["BODY"]
        assert stored["roles"][0]["template_id"] == 0 and stored["roles"][0]["type"] == "vm"
        assert stored["roles"][0]["template_contents"] == {"A": "1"}
        assert stored["user_inputs"] == {"K": "O|text|k"}


@pytest.mark.parametrize("status", [503])
def test_http_error_injection(one_sim, status):
    one_sim.inject("http_error", api="oneflow", status=status)
    assert flow(one_sim, "GET", "/service").status == status
    assert flow(one_sim, "GET", "/service").status == 200
