"""Contract tests: every exchange recorded from a real OpenNebula 7.4.0 frontend is
replayed, in `seq` order, against one fresh simulator; each step must match (status,
content type, wire types, error codes and messages, key sets and scalar types) or be listed
in SKIPPED with a reason."""

import base64
import json
import xmlrpc.client

import pytest

from pyone_reading import prune_ignored, pyone_reading
from replay import IGNORED_PATHS, RECORDINGS, Replayer, compare, compare_shapes, load_exchanges, wire_types
from tests.opennebula_sim import Simulator
from tests.opennebula_sim.vm_context import context_sh

# seq -> reason. Reviewed: keep it small; a skipped step that starts to match fails below.
SKIPPED = {}

# Plain-text bodies that legitimately differ from the recording (the text comes from a
# library, not from OpenNebula). seq -> reason.
TEXT_MAY_DIFFER = {}

EXCHANGES = load_exchanges()
VM_CONTEXT = json.loads((RECORDINGS / "vm-context.json").read_text())


@pytest.fixture(scope="module")
def replay_results():
    """Replays the whole recording once; seq -> list of differences."""
    sim = Simulator(seed_infrastructure=False, simulate_guest_ready=False, cooldown=20,
                    start_time=1795890763).start()
    try:
        replayer = Replayer(sim)
        results = {"xmlrpc": {}}
        for exchange in EXCHANGES:
            response = replayer.replay(exchange)
            results[exchange["seq"]] = compare(exchange, response, sim, exchange["seq"] in TEXT_MAY_DIFFER)
            if exchange["api"] == "xmlrpc":
                results["xmlrpc"][exchange["seq"]] = response["response_raw_xml"]
        results["context"] = {vm["vm_id"]: (sim.vm_context(vm["vm_id"]), sim.vm(vm["vm_id"]).stime, sim.onegate_url)
                              for vm in VM_CONTEXT["vms"]}
        return results
    finally:
        sim.stop()


def test_recording_is_complete():
    seqs = [e["seq"] for e in EXCHANGES]
    assert seqs == list(range(1, 144))
    assert {e["api"] for e in EXCHANGES} == {"xmlrpc", "oneflow", "onegate"}


def test_skip_tables_are_small_and_explained():
    assert len(SKIPPED) + len(TEXT_MAY_DIFFER) + len(IGNORED_PATHS) <= 10
    for table in (SKIPPED, TEXT_MAY_DIFFER):
        for seq, reason in table.items():
            assert seq in {e["seq"] for e in EXCHANGES}
            assert len(reason) > 20
    for pattern, reason in IGNORED_PATHS:
        assert pattern and len(reason) > 20


@pytest.mark.parametrize("exchange", EXCHANGES, ids=lambda e: "%03d-%s-%s" % (e["seq"], e["api"], e.get("method")))
def test_recorded_exchange(exchange, replay_results):
    diffs = replay_results[exchange["seq"]]
    if exchange["seq"] in SKIPPED:
        assert diffs, "seq %d matches now: remove it from SKIPPED" % exchange["seq"]
        pytest.skip(SKIPPED[exchange["seq"]])
    assert diffs == [], "seq %d (%s) differs:\n%s" % (exchange["seq"], exchange["step"], "\n".join(diffs))


@pytest.mark.parametrize("recorded", VM_CONTEXT["vms"], ids=lambda vm: "vm%d" % vm["vm_id"])
def test_service_vm_context_matches_scenario_d(recorded, replay_results):
    """context.sh verbatim (but for the OneGate port) and the token.txt facts."""
    context, stime, onegate_url = replay_results["context"][recorded["vm_id"]]
    assert context_sh(context).replace(onegate_url, "http://127.0.0.1:5030") == recorded["context_sh"]
    assert len(context["TOKENTXT"] + "\n") == recorded["token_txt_length"]
    assert len(base64.b64decode(context["TOKENTXT"])) == recorded["token_decoded_bytes"]
    assert context["SERVICE_ID"] == str(recorded["service_id"])
    assert stime > 0


@pytest.mark.parametrize("exchange", [e for e in EXCHANGES if e["api"] == "xmlrpc"],
                         ids=lambda e: "%03d-%s" % (e["seq"], e["method"]))
def test_pyone_reads_the_simulator_as_it_reads_oned(exchange, replay_results):
    """pyone 7.3, the oned client's transport, gets the same value, typed exception or binding shape."""
    pyone = pytest.importorskip("pyone")
    # the recorded array, not its raw text: placeholders such as <PASSWORD_HASH> were written into the raw
    # text unescaped (the wire types are compared by test_recorded_exchange)
    recorded_xml = xmlrpc.client.dumps((tuple(exchange["response"]),), methodresponse=True)
    recorded = pyone_reading(pyone, exchange["method"], exchange["params"], recorded_xml)
    simulated = pyone_reading(pyone, exchange["method"], exchange["params"], replay_results["xmlrpc"][exchange["seq"]])
    assert recorded[0] == simulated[0], (recorded, simulated)
    if recorded[0] == "document":
        assert compare_shapes(prune_ignored(recorded[1]), prune_ignored(simulated[1])) == []
    else:
        assert recorded == simulated


# -- the comparison itself must be able to fail ------------------------------------------
def test_compare_shapes_reports_missing_extra_and_type_changes():
    recorded = {"VM": {"ID": "1", "USER_TEMPLATE": {"A": "x"}, "NIC": [{"IP": "1"}]}}
    assert compare_shapes(recorded, json.loads(json.dumps(recorded))) == []
    assert compare_shapes(recorded, {"VM": {"ID": 1, "USER_TEMPLATE": {"A": "x"}, "NIC": [{"IP": "1"}]}}) == \
        ["VM/ID: type str, simulator int"]
    diffs = compare_shapes(recorded, {"VM": {"ID": "1", "USER_TEMPLATE": {"B": "x"}, "NIC": []}})
    assert "VM/USER_TEMPLATE: keys missing in simulator: ['A']" in diffs
    assert "VM/USER_TEMPLATE: extra keys in simulator: ['B']" in diffs
    assert "VM/NIC: 1 elements, simulator 0" in diffs


def test_compare_detects_a_wrong_status_and_error_text():
    exchange = next(e for e in EXCHANGES if e["seq"] == 52)   # GET /service/9999 -> 404
    wrong = {"status": 500, "response_content_type": exchange["response_content_type"],
             "response_body": "[one.document.info] Error getting document [1].", "response_json": None}

    class FakeSim:
        oneflow_url = onegate_url = "http://127.0.0.1:1"
    diffs = compare(exchange, wrong, FakeSim())
    assert any(d.startswith("status 404, simulator 500") for d in diffs)
    assert any(d.startswith("body ") for d in diffs)


def test_wire_types_of_a_recorded_failure():
    failure = next(e for e in EXCHANGES if e["seq"] == 34)
    assert wire_types(failure["response_raw_xml"]) == ["boolean", "string", "i4", "i4", "i8"]
