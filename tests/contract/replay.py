"""Replays the exchanges recorded from a real OpenNebula 7.4.0 frontend against the
simulator and compares what matters to clients: status codes, content types, error
codes/messages, key sets and scalar types (values that are ids are compared too).

Recordings: tests/contract/recordings/ (a copy of ../shared/opennebula-contract/; see its
README.md). Object ids need no mapping: the simulator is started bare (no seeded host or
network), so it allocates the same ids in the same order as the recorded frontend."""

import base64
import http.client
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
import xmlrpc.client
from pathlib import Path

from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import xml_to_dict

RECORDINGS = Path(__file__).resolve().parent / "recordings"
POLL_STEP_SECONDS = 0.5
POLL_MAX_TRIES = 400

# Subtrees whose content depends on timing of background probes, not on the API contract.
# Each entry: (regex on the slash-joined path, reason).
IGNORED_PATHS = (
    (r"(^|/)VM/MONITORING(/|$)", "filled by monitord probes on their own schedule (VM 0 was RUNNING with an "
                                 "empty MONITORING, VM 1 with counters); the simulator's timing differs"),
    (r"^HOST/(HOST_SHARE/(PCI_DEVICES|NUMA_NODES)|MONITORING)(/|$)",
     "PCI/NUMA inventory and probe data of the recording machine; the simulator's host has none"),
)


def load_exchanges():
    """All recorded exchanges of the three exchange files, merged and sorted by seq."""
    exchanges = []
    for name in ("xmlrpc.json", "oneflow.json", "onegate.json"):
        exchanges += json.loads((RECORDINGS / name).read_text())["exchanges"]
    return sorted(exchanges, key=lambda e: e["seq"])


# -- shape comparison ----------------------------------------------------------------------
def xml_to_hash(text):
    """oned XML -> {root tag: nested dicts}, as the collection's client reads documents."""
    root = ET.fromstring(text)
    return {root.tag: xml_to_dict(root)}


def _type_name(value):
    if value is None:
        return "null"
    names = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict"}
    return names.get(type(value), type(value).__name__)


def compare_shapes(recorded, actual, path=""):
    """Differences in key sets and scalar types between two JSON-like trees."""
    for pattern, _reason in IGNORED_PATHS:
        if path and re.search(pattern, path):
            return []
    if _type_name(recorded) != _type_name(actual):
        # an empty XML element reads as "" while one with children reads as a dict
        return ["%s: type %s, simulator %s" % (path or "/", _type_name(recorded), _type_name(actual))]
    if isinstance(recorded, dict):
        diffs = []
        missing = [k for k in recorded if k not in actual]
        extra = [k for k in actual if k not in recorded]
        if missing:
            diffs.append("%s: keys missing in simulator: %s" % (path or "/", missing))
        if extra:
            diffs.append("%s: extra keys in simulator: %s" % (path or "/", extra))
        for key in recorded:
            if key in actual:
                diffs += compare_shapes(recorded[key], actual[key], "%s/%s" % (path, key) if path else key)
        return diffs
    if isinstance(recorded, list):
        if len(recorded) != len(actual):
            return ["%s: %d elements, simulator %d" % (path or "/", len(recorded), len(actual))]
        diffs = []
        for index, (a, b) in enumerate(zip(recorded, actual)):
            diffs += compare_shapes(a, b, "%s[%d]" % (path, index))
        return diffs
    return []


def wire_types(raw_xml):
    """The XML-RPC type tags of a methodResponse array, e.g. ['boolean', 'i4', 'string']."""
    data = raw_xml.split("<data>", 1)[1].rsplit("</data>", 1)[0]
    return re.findall(r"<value><(boolean|i4|int|i8|string|double|base64)\b", data)


# -- the replay -----------------------------------------------------------------------------
class Replayer:
    def __init__(self, sim):
        self.sim = sim
        self.registration_times = {}   # recorded registration_time -> the simulator's

    def session(self, placeholder):
        return {"<SESSION>": self.sim.session, "<BAD_SESSION>": "%s:wrong-password" % self.sim.username}.get(
            placeholder, placeholder)

    def _token_for(self, exchange, vm_id):
        vms = self.sim.state.pools["vm"]
        if "another VM" in exchange["step"]:
            return next(v.token for v in vms.values() if v.id != vm_id)
        if vm_id in vms:
            return vms[vm_id].token
        return next(iter(vms.values())).token

    def headers(self, exchange):
        headers = {}
        for name, value in (exchange.get("request_headers") or {}).items():
            if value == "<BASIC_AUTH>":
                value = "Basic " + base64.b64encode(self.sim.session.encode()).decode()
            elif value == "<BASIC_AUTH_BAD_PASSWORD>":
                value = "Basic " + base64.b64encode(("%s:wrong-password" % self.sim.username).encode()).decode()
            elif value == "<ONEGATE_TOKEN>":
                value = self._token_for(exchange, int(exchange["request_headers"]["X-ONEGATE-VMID"]))
            elif value == "<BAD_ONEGATE_TOKEN>":
                value = base64.b64encode(bytes(16)).decode()
            headers[name] = value
        return headers

    def send(self, exchange):
        """Perform one recorded request; returns a dict like the recorded response fields."""
        if exchange["api"] == "xmlrpc":
            params = [self.session(exchange["params"][0])] + exchange["params"][1:]
            body = xmlrpc.client.dumps(tuple(params), exchange["method"])
            status, content_type, raw = self._http(self.sim.xmlrpc_url, "POST", "", {"Content-Type": "text/xml"},
                                                   body.encode())
            return {"http_status": status, "response_content_type": content_type, "response_raw_xml": raw,
                    "response": list(xmlrpc.client.loads(raw)[0][0])}
        base = self.sim.oneflow_url if exchange["api"] == "oneflow" else self.sim.onegate_url
        body = exchange["request_body"]
        for recorded, simulated in self.registration_times.items() if body else ():
            # a PUT echoing the stored (unchanged) registration_time must carry the simulator's value
            body = body.replace('"registration_time": %d' % recorded, '"registration_time": %d' % simulated)
        body = body.encode() if body is not None else None
        status, content_type, raw = self._http(base, exchange["method"], exchange["path"], self.headers(exchange), body)
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        return {"status": status, "response_content_type": content_type, "response_body": raw,
                "response_json": parsed}

    @staticmethod
    def _http(base, method, path, headers, body):
        url = urllib.parse.urlsplit(base)
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        try:
            connection.request(method, (url.path if not path else "") + path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Content-Type"), response.read().decode()
        finally:
            connection.close()

    # -- polling -----------------------------------------------------------------------------
    @staticmethod
    def signature(exchange, response):
        """What a recorded poll waited for: the (service, roles) states of a OneFlow
        document, a 404, or the STATE/LCM_STATE of a VM, image or host."""
        if exchange["api"] == "xmlrpc":
            value = response["response"][1]
            if not isinstance(value, str) or not value.startswith("<"):
                return None
            match = re.search(r"<STATE>(?:<!\[CDATA\[)?(\d+)(?:\]\]>)?</STATE>(?:<LCM_STATE>(\d+))?", value)
            return match.groups() if match else None
        document = response.get("response_json")
        status = response.get("status")
        if isinstance(document, dict) and "DOCUMENT" in document:
            body = document["DOCUMENT"]["TEMPLATE"]["BODY"]
            roles = tuple((r.get("state"), len(r.get("nodes", []))) for r in body.get("roles", []))
            return status, body.get("state"), roles
        return status

    @staticmethod
    def is_poll(exchange):
        text = (exchange.get("note") or "") + " " + exchange["step"]
        return "poll" in text or "expected" in text or "when READY" in text or "(MONITORED)" in text

    def _learn_registration_time(self, exchange, response):
        recorded, actual = exchange.get("response_json"), response.get("response_json")
        try:
            self.registration_times[recorded["DOCUMENT"]["TEMPLATE"]["BODY"]["registration_time"]] = \
                actual["DOCUMENT"]["TEMPLATE"]["BODY"]["registration_time"]
        except (KeyError, TypeError):
            pass

    def _wait_until_running(self, vm_id):
        """The recorder sent READY=YES as each VM's guest would: once it was ACTIVE/RUNNING."""
        vm = self.sim.vm(vm_id)
        self.sim.advance_until(lambda: (vm.state, vm.lcm_state) == (3, 3), timeout=POLL_MAX_TRIES, step=POLL_STEP_SECONDS)

    def replay(self, exchange):
        if "reports READY=YES" in exchange["step"]:
            self._wait_until_running(int(exchange["request_headers"]["X-ONEGATE-VMID"]))
        response = self.send(exchange)
        if exchange["api"] == "oneflow" and exchange["method"] == "POST" and exchange["path"] == "/service_template":
            self._learn_registration_time(exchange, response)
        if self.is_poll(exchange):
            wanted = self.signature(exchange, exchange)
            for _try in range(POLL_MAX_TRIES):
                if self.signature(exchange, response) == wanted:
                    break
                self.sim.advance(POLL_STEP_SECONDS)
                response = self.send(exchange)
        return response


def normalise_text(text, sim):
    """Ports differ between the recording and the simulator."""
    for url in (sim.oneflow_url, sim.onegate_url):
        text = text.replace(url, "http://127.0.0.1:<PORT>")
    return re.sub(r"http://127\.0\.0\.1:(2474|5030)", "http://127.0.0.1:<PORT>", text)


def compare(exchange, response, sim, text_may_differ=False):
    """All differences between a recorded exchange and the simulator's answer."""
    diffs = []
    if exchange["api"] == "xmlrpc":
        if response["http_status"] != exchange["http_status"]:
            diffs.append("HTTP status %s, simulator %s" % (exchange["http_status"], response["http_status"]))
        if response["response_content_type"] != exchange["response_content_type"]:
            diffs.append("content type %r, simulator %r" % (exchange["response_content_type"],
                                                            response["response_content_type"]))
        if wire_types(exchange["response_raw_xml"]) != wire_types(response["response_raw_xml"]):
            diffs.append("wire types %s, simulator %s" % (wire_types(exchange["response_raw_xml"]),
                                                          wire_types(response["response_raw_xml"])))
        recorded, actual = exchange["response"], response["response"]
        if len(recorded) != len(actual):
            return diffs + ["array %r, simulator %r" % (recorded, actual)]
        if not recorded[0]:
            if recorded != actual:
                diffs.append("failure %r, simulator %r" % (recorded, actual))
        elif isinstance(recorded[1], str) and recorded[1].startswith("<"):
            diffs += compare_shapes(xml_to_hash(recorded[1]), xml_to_hash(actual[1]))
        elif recorded[1] != actual[1]:
            diffs.append("value %r, simulator %r" % (recorded[1], actual[1]))
        return diffs
    if response["status"] != exchange["status"]:
        diffs.append("status %s, simulator %s (%s)" % (exchange["status"], response["status"],
                                                       response["response_body"][:200]))
    if response["response_content_type"] != exchange["response_content_type"]:
        diffs.append("content type %r, simulator %r" % (exchange["response_content_type"],
                                                        response["response_content_type"]))
    if exchange["response_is_json"]:
        if response["response_json"] is None:
            diffs.append("JSON expected, simulator sent %r" % response["response_body"][:200])
        else:
            diffs += compare_shapes(exchange["response_json"], response["response_json"])
    elif not text_may_differ:
        recorded_text = normalise_text(exchange["response_body"], sim)
        actual_text = normalise_text(response["response_body"], sim)
        if recorded_text != actual_text:
            diffs.append("body %r, simulator %r" % (recorded_text[:300], actual_text[:300]))
    return diffs
