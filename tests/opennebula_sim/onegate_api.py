"""OneGate's HTTP API (:5030) as 7.4.0 answers it: token auth, KEY=VALUE template bodies
for PUT /vm, restricted attributes and actions, peer visibility through /vms/<id> and
/service?extended, every response labelled application/json, errors as plain text."""

import json
import re
import urllib.parse

from . import documents as docs
from .errors import OneError
from .http_util import SimHandler
from .oneflow_service import SERVICE, FlowError
from .onegate_token import token_matches
from .xmldoc import to_hash

JSON = "application/json;charset=utf-8"
RESTRICTED_ATTRS = ("SCHED_REQUIREMENTS", "SERVICE_ID", "ROLE_NAME")
RESTRICTED_ACTIONS = ("reboot",)
NIC_KEYS = ("IP", "IP6_LINK", "IP6_SITE", "IP6_GLOBAL", "NETWORK", "MAC", "NAME", "PARENT", "EXTERNAL",
            "EXTERNAL_IP")
VM_ACTIONS = {"deploy", "hold", "livemigrate", "migrate", "resume", "release", "stop", "suspend", "saveas",
              "snapshot_create", "snapshot_revert", "snapshot_delete", "terminate", "reboot", "poweroff",
              "chown", "chmod", "resize", "attachdisk", "detachdisk", "attachnic", "detachnic", "rename",
              "undeploy", "resched", "unresched", "recover", "delete", "shutdown"}
NOT_SUPPORTED = "OneGate server doesn't support this feature"


class GateError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def vm_json(vm):
    """The short VM hash of GET /vm and GET /vms/<id>."""
    full = to_hash(docs.vm(vm))["VM"]
    user_template = full.get("USER_TEMPLATE") or {}
    if isinstance(user_template, dict):
        user_template.pop("SCHED_MESSAGE", None)
    template = full.get("TEMPLATE") or {}

    def nics(key):
        found = template.get(key, []) if isinstance(template, dict) else []
        found = found if isinstance(found, list) else [found]
        return [{k: v for k, v in nic.items() if k in NIC_KEYS} for nic in found]
    return {"VM": {"NAME": full["NAME"], "ID": full["ID"], "STATE": full["STATE"], "LCM_STATE": full["LCM_STATE"],
                   "USER_TEMPLATE": user_template, "TEMPLATE": {"NIC": nics("NIC"), "NIC_ALIAS": nics("NIC_ALIAS")}}}


def escape_attr(attr):
    r"""onegate-server.rb's escape_attr, character for character. It opens a quote after
    each `=` not followed by `[` or `"`, and closes one before `,` `[` `]` `\` and newline
    unless a `"` precedes them; `=` inside an open quote is kept. Ruby's `attr[idx - 1]` at
    idx 0 is the last character; `attr[idx + 1]` past the end is nil. Finally every
    backslash-n pair becomes a newline and an open quote is closed at the end."""
    ret = []
    escape = False
    last = len(attr) - 1
    for idx, s in enumerate(attr):
        prev = attr[idx - 1]
        after = attr[idx + 1] if idx < last else None
        if s == "=" and escape:
            ret.append(s)
            continue
        if s == "=" and after != "[" and after != '"':
            ret.append('="')
            escape = True
        elif s == "," and prev != '"':
            ret.append('",')
        elif s == "[" and prev != "=" and prev != '"':
            ret.append('"[')
        elif s == "]" and prev != "=" and prev != '"':
            ret.append('"]')
            escape = False
        elif s == "\\" and prev != '"':
            ret.append('"\\')
            escape = False
        elif s == "\n" and prev != '"':
            ret.append('"\n')
            escape = False
        else:
            ret.append(s)
    ret = "".join(ret).replace("\\n", "\n")
    if escape and ret[-1:] != "]" and ret[-1:] != '"':
        ret += '"'
    return ret


def ruby_to_i(text):
    """Ruby's String#to_i: optional leading whitespace, sign and digits; 0 otherwise."""
    match = re.match(r"[ \t\n\v\f\r]*([-+]?[0-9]+)", text)
    return int(match.group(1)) if match else 0


def _ascii_upper(text):
    return "".join(ch.upper() if ch.isascii() else ch for ch in text)


def check_restricted_attrs(data, error):
    """onegate-server.rb's check_restricted_attrs: the text before the first `=` of each
    line of the escaped body, upper-cased, against the restricted list (so `service_id =1`
    passes it: `SERVICE_ID ` is not in the list)."""
    for key_value in data.split("\n"):
        key = key_value.split("=")[0]
        if key and _ascii_upper(key) in RESTRICTED_ATTRS:
            raise GateError(403, "Attribute (%s) %s" % (key, error))


class OneGateHandler(SimHandler):
    api_name = "onegate"

    def handle_request(self, method, path, query, body):
        flow = self.server.api
        state = flow.state
        state.catch_up()
        with state.lock:
            try:
                vm = self._authenticate(state)
                status, payload = self._route(flow, vm, method, path, query, body)
            except GateError as exc:
                status, payload = exc.status, exc.message
        return status, payload, JSON, ()

    # -- auth -------------------------------------------------------------------------------
    def _authenticate(self, state):
        token = self.headers.get("X-ONEGATE-TOKEN")
        vm_id = self.headers.get("X-ONEGATE-VMID")
        if not token or not vm_id or not vm_id.strip().isdigit():
            raise GateError(401, "Not authorized")
        vm = state.pools["vm"].get(int(vm_id))
        if vm is None:
            raise GateError(401, "Not authorized")
        owner = state.users.by_id.get(int(vm.template.get("CREATED_BY", vm.uid)))
        if owner is None or not token_matches(token, owner.token_password, vm.id, vm.stime):
            raise GateError(401, "Not authorized")
        return vm

    # -- routes -----------------------------------------------------------------------------
    def _route(self, flow, vm, method, path, query, body):
        path = path.rstrip("/") or "/"
        if method == "GET" and path == "/":
            base = "http://%s" % (self.headers.get("Host") or self.server.url.split("//", 1)[1])
            return 200, _dumps({"vm_info": base + "/vm", "service_info": base + "/service"})
        if path == "/vm" and method == "GET":
            return 200, _dumps(vm_json(vm))
        if path == "/vm" and method == "PUT":
            return self._update(flow.state, vm, query, body)
        match = re.fullmatch(r"/vms/(\d+)", path)
        if match and method in ("GET", "PUT"):
            target = self._peer(flow, vm, int(match.group(1)))
            if method == "GET":
                return 200, _dumps(vm_json(target))
            return self._update(flow.state, target, query, body)
        match = re.fullmatch(r"/vms/(\d+)/action", path)
        if match and method == "POST":
            return self._action(flow, vm, int(match.group(1)), body)
        if path == "/service" and method == "GET":
            return self._service(flow, vm, query, body)
        match = re.fullmatch(r"/service/role/(\w+)", path)
        if match and method == "PUT":
            return self._scale(flow, vm, match.group(1), body)
        raise GateError(400, NOT_SUPPORTED)

    def _params(self, query, body):
        """Sinatra's params: the query string, then an urlencoded form body (parsed only
        with that content type, as Rack does for a PUT)."""
        params = {k: v[-1] for k, v in query.items()}
        if "form-urlencoded" in (self.headers.get("Content-Type") or ""):
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        return params

    def _update(self, state, vm, query, body):
        """onegate-server.rb's update: params[:data] (query or form) before the raw body,
        escape_attr on it whatever the type, the restricted check, then type 1 appends
        (one.vm.update with append) and any other type deletes USER_TEMPLATE/<attr>."""
        params = self._params(query, body)
        attr = params.get("data")
        kind = 1 if params.get("type") is None else ruby_to_i(params["type"])
        if attr is None:
            attr = body.decode("utf-8", "surrogateescape")
        attr = escape_attr(attr)
        check_restricted_attrs(attr, "cannot be modified" if kind == 1 else "cannot be deleted")
        if kind == 1:
            try:
                state.vm_update(vm.id, attr, True)
            except OneError:
                raise GateError(500, "Internal server error")
            return 200, ""
        return self._delete_attr(state, vm, attr)

    @staticmethod
    def _delete_attr(state, vm, attr):
        """delete_element("USER_TEMPLATE/<attr>") on the VM's XML, then one.vm.update
        (replace) with the Ruby OCA's user_template_str of what is left. Only a plain
        element name (XPath whitespace around it allowed) is supported; matching is
        case-sensitive, as XPath is. Every halt 500 reads `Internal server error`
        (onegate-server's `error 500` handler replaces the halt message)."""
        name = attr.strip(" \t\r\n")
        if name not in vm.user_template.names():
            raise GateError(500, "Internal server error")
        remaining = vm.user_template.copy()
        remaining.remove(name)
        try:
            state.vm_update(vm.id, remaining.render(), False)
        except OneError:
            raise GateError(500, "Internal server error")
        return 200, ""

    def _service_of(self, flow, vm):
        service_id = str(vm.user_template.get("SERVICE_ID", "")).strip()
        if not service_id.isdigit():
            raise GateError(400, "Empty or invalid SERVICE_ID")
        try:
            doc = flow.document(int(service_id), SERVICE)
        except FlowError:
            raise GateError(404, "Service %s not found" % service_id)
        if not doc.body.get("roles"):
            raise GateError(400, "Service %s is empty." % service_id)
        return doc

    @staticmethod
    def _members(doc):
        return {n["deploy_id"] for r in doc.body["roles"] for n in r.get("nodes", [])}

    def _peer(self, flow, vm, target_id):
        if target_id == vm.id:
            return vm
        if "SERVICE_ID" not in vm.user_template:
            raise GateError(400, "This VM does not belong to any Virtual Router or Service, so it cannot "
                                 "retrieve information from other VMs")
        doc = self._service_of(flow, vm)
        members = self._members(doc)
        for candidate in (vm.id, target_id):
            if candidate not in members:
                raise GateError(400, "Service %d does not contain VM %d." % (doc.id, candidate))
        target = flow.state.pools["vm"].get(target_id)
        if target is None:
            raise GateError(404, "Error getting virtual machine [%d]." % target_id)
        return target

    def _service(self, flow, vm, query, body):
        doc = self._service_of(flow, vm)
        if vm.id not in self._members(doc):
            raise GateError(400, "Service %d does not contain VM %d." % (doc.id, vm.id))
        extended = (query.get("extended") or [""])[0]
        if not extended and body:
            extended = (urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("extended") or [""])[0]
        roles = []
        for role in doc.body["roles"]:
            nodes = []
            for node in role.get("nodes", []):
                info = node["vm_info"]
                peer = flow.state.pools["vm"].get(node["deploy_id"])
                if extended and peer is not None:
                    info = to_hash(docs.vm(peer))
                nodes.append({"deploy_id": node["deploy_id"], "running": None, "vm_info": info})
            roles.append({"name": role["name"], "cardinality": role["cardinality"], "state": role["state"],
                          "nodes": nodes})
        return 200, _dumps({"SERVICE": {"name": doc.body["name"], "id": str(doc.id), "state": doc.body["state"],
                                        "roles": roles}})

    def _action(self, flow, vm, target_id, body):
        try:
            action = json.loads(body.decode("utf-8", "replace"))["action"]
            perform = action["perform"]
        except (ValueError, KeyError, TypeError):
            raise GateError(400, "Invalid JSON or missing action")
        if perform in RESTRICTED_ACTIONS:
            raise GateError(403, "Action (%s) is not allowed on this resource" % perform)
        target = self._peer(flow, vm, target_id)
        if perform not in VM_ACTIONS:
            raise GateError(500, "Internal server error")
        one_action = {"delete": "terminate-hard", "shutdown": "terminate"}.get(perform, perform)
        try:
            flow.state.vm_action(one_action, target.id)
        except OneError:
            raise GateError(500, "Internal server error")
        return 204, ""

    def _scale(self, flow, vm, role_name, body):
        doc = self._service_of(flow, vm)
        if vm.id not in self._members(doc):
            raise GateError(400, "Service %d does not contain VM %d." % (doc.id, vm.id))
        try:
            cardinality = json.loads(body.decode("utf-8", "replace"))["cardinality"]
        except (ValueError, KeyError, TypeError):
            raise GateError(400, "Invalid JSON or missing cardinality")
        try:
            flow.scale(doc.id, role_name, cardinality, False, origin="onegate")
        except FlowError:
            raise GateError(400, "Error performing action on service %d role %s" % (doc.id, role_name))
        return 200, ""


def _dumps(document):
    return json.dumps(document, separators=(",", ":"))
