"""Contract test for scenario E (recordings/onegate-values.json): the recorded OneGate
`PUT /vm` bodies with special characters are sent, in `seq` order, as one VM outside any
service of a fresh simulator; status, content type, response body and what `GET /vm` then
shows for the key (`user_template_after`, null: absent) must match exactly."""

import json

import pytest

from replay import RECORDINGS, Replayer
from tests.opennebula_sim import Simulator
from tests.opennebula_sim.testing import one

VALUES = json.loads((RECORDINGS / "onegate-values.json").read_text())
EXCHANGES = sorted(VALUES["exchanges"], key=lambda e: e["seq"])
VM_TEMPLATE = 'NAME="lonely"\nCPU="0.5"\nMEMORY="256"\nNIC=[NETWORK_ID="0"]\nCONTEXT=[TOKEN="YES",NETWORK="YES"]'


def _request(sim, vm, exchange):
    headers = dict(exchange["request_headers"])
    assert headers["X-ONEGATE-TOKEN"] == "<ONEGATE_TOKEN>"
    headers.update({"X-ONEGATE-TOKEN": vm.token, "X-ONEGATE-VMID": str(vm.id)})   # recorded: VM 19
    if exchange["request_content_type"]:
        headers["Content-Type"] = exchange["request_content_type"]
    body = exchange["request_body"]
    return Replayer._http(sim.onegate_url, exchange["method"], exchange["path"], headers,
                          body.encode("utf-8") if body is not None else None)


@pytest.fixture(scope="module")
def scenario_e():
    """Replays the 18 exchanges once; seq -> (status, content type, body, user_template_after)."""
    sim = Simulator(simulate_guest_ready=False).start()
    try:
        template_id = one(sim, "one.template.allocate", VM_TEMPLATE)[1]
        vm_id = one(sim, "one.template.instantiate", template_id, "", False, "", False)[1]
        vm = sim.vm(vm_id)
        sim.advance_until(lambda: (vm.state, vm.lcm_state) == (3, 3), timeout=120)
        results = {}
        for exchange in EXCHANGES:
            status, content_type, body = _request(sim, vm, exchange)
            _status, _type, shown = Replayer._http(sim.onegate_url, "GET", "/vm",
                                                   {"X-ONEGATE-TOKEN": vm.token, "X-ONEGATE-VMID": str(vm.id)}, None)
            user_template = json.loads(shown)["VM"]["USER_TEMPLATE"]
            after = {key: user_template.get(key) for key in exchange["user_template_after"]}
            results[exchange["seq"]] = (status, content_type, body, after)
        return results
    finally:
        sim.stop()


def test_scenario_e_is_complete():
    assert [e["seq"] for e in EXCHANGES] == list(range(144, 162))
    assert {(e["api"], e["method"], e["path"].split("?")[0]) for e in EXCHANGES} == {("onegate", "PUT", "/vm")}


@pytest.mark.parametrize("exchange", EXCHANGES, ids=lambda e: "%03d-%s" % (e["seq"], e["step"].replace(" ", "-")))
def test_recorded_put_vm_value(exchange, scenario_e):
    recorded = (exchange["status"], exchange["response_content_type"], exchange["response_body"],
                exchange["user_template_after"])
    assert scenario_e[exchange["seq"]] == recorded, "seq %d (%s)" % (exchange["seq"], exchange["step"])
