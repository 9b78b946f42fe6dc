"""OneFlow's model: service templates (DOCUMENT 101) and services (DOCUMENT 100) stored in
oned's document pool, and the LifeCycleManager that moves services through their states.

One LCM pass happens at most every `timings.flow_step` simulated seconds per service; VM
state changes and OneGate/XML-RPC updates (READY=YES) are seen on the next pass."""

import copy
import re

from . import oneflow_schema as schema
from .errors import OneError
from .oneflow_schema import ROLE_STATE, SERVICE_STATES, STATE, SchemaError, deep_merge
from .state import ACTIVE, DONE, FAILURE_LCM_STATES, POWEROFF, RUNNING, STOPPED, SUSPENDED, UNDEPLOYED
from .template_syntax import Template, TemplateSyntaxError, parse

SERVICE_TEMPLATE, SERVICE = 101, 100
TRANSIENT = {"DEPLOYING", "UNDEPLOYING", "SCALING", "COOLDOWN", "DEPLOYING_NETS", "UNDEPLOYING_NETS"}
ROLE_VM_ACTIONS = {
    "terminate": "terminate", "terminate-hard": "terminate-hard", "undeploy": "undeploy",
    "undeploy-hard": "undeploy-hard", "hold": "hold", "release": "release", "stop": "stop",
    "suspend": "suspend", "resume": "resume", "reboot": "reboot", "reboot-hard": "reboot-hard",
    "poweroff": "poweroff", "poweroff-hard": "poweroff-hard",
    "snapshot-create": None, "snapshot-revert": None, "snapshot-delete": None,
    "disk-snapshot-create": None, "disk-snapshot-revert": None, "disk-snapshot-delete": None,
}
_PARENT_REFERENCE = re.compile(r"\$\{(\w+)\.([A-Za-z0-9_.]+)\}")


class FlowError(Exception):
    """An HTTP error as OneFlow sends it: a status and a plain-text (or JSON) body."""

    def __init__(self, status, message, is_json=False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.is_json = is_json


def _not_found(oid):
    return FlowError(404, "[one.document.info] Error getting document [%d]." % oid)


class OneFlow:
    def __init__(self, state, schema_version="7"):
        self.state = state
        self.schema = schema_version
        self.runtime = {}          # service id -> LCM bookkeeping
        state.change_listeners.append(self.reconcile)

    # -- documents -----------------------------------------------------------------------
    def documents(self, doc_type):
        return sorted((d for d in self.state.pools["document"].values() if d.type == doc_type), key=lambda d: d.id)

    def document(self, oid, doc_type):
        doc = self.state.pools["document"].get(oid)
        if doc is None or doc.type != doc_type:
            raise _not_found(oid)
        return doc

    # -- service templates -----------------------------------------------------------------
    def create_template(self, body):
        body = schema.validate_template(body, self.schema)
        body["registration_time"] = self.state.clock.epoch()
        return self.state.document_allocate(body["name"], SERVICE_TEMPLATE, body)

    def update_template(self, oid, body):
        doc = self.document(oid, SERVICE_TEMPLATE)
        body = schema.validate_template(body, self.schema)
        stored = doc.body["registration_time"]
        if "registration_time" in body and body["registration_time"] != stored:
            raise FlowError(500, "Immutable value: `service_template/registration_time` can not be changed")
        body["registration_time"] = stored
        doc.body, doc.name = body, body["name"]
        return doc

    def delete_template(self, oid, delete_type="none"):
        doc = self.document(oid, SERVICE_TEMPLATE)
        if delete_type in ("templates", "all"):
            for role in doc.body.get("roles", []):
                template_id = role.get("template_id", role.get("vm_template"))
                template = self.state.pools["template"].get(template_id)
                if template is None:
                    continue
                if delete_type == "all":
                    for disk in template.template.get_all("DISK"):
                        image = self.state.pools["image"].get(int(disk.get("IMAGE_ID", -1)))
                        if image is not None and not image.vms:
                            del self.state.pools["image"][image.id]
                del self.state.pools["template"][template_id]
        self.state.document_delete(oid)

    def template_action(self, oid, perform, params):
        doc = self.document(oid, SERVICE_TEMPLATE)
        if perform == "instantiate":
            return self.instantiate(doc, params.get("merge_template") or {})
        if perform == "rename":
            doc.name = doc.body["name"] = params.get("name", doc.name)
        elif perform == "clone":
            body = copy.deepcopy(doc.body)
            body["name"] = params.get("name", doc.name + "-clone")
            return self.state.document_allocate(body["name"], SERVICE_TEMPLATE, body)
        elif perform == "update":
            new = schema.parse_json(params["template_json"]) if "template_json" in params else {}
            body = deep_merge(copy.deepcopy(doc.body), new) if params.get("append") else new
            self.update_template(oid, body)
        elif perform not in ("chown", "chgrp", "chmod"):
            raise FlowError(500, "Action %s not supported" % perform)
        return None

    # -- instantiate ------------------------------------------------------------------------
    def _input_keys(self):
        return ("custom_attrs", "custom_attrs_values") if self.schema == "6" else ("user_inputs", "user_inputs_values")

    def instantiate(self, template_doc, merge):
        body = copy.deepcopy(template_doc.body)
        inputs_key, values_key = self._input_keys()
        values = merge.get(values_key, merge.get("custom_attrs_values"))
        if body.get(inputs_key):
            if not values:
                raise FlowError(400, "The Service template specifies User Inputs but no values have been found")
            missing = [k for k, spec in body[inputs_key].items()
                       if str(spec).startswith("M|") and k not in values]
            if missing:
                raise FlowError(400, "Verify that every User Input have its corresponding value defined")
        for key, value in merge.items():
            if key in ("roles", "custom_attrs_values", "user_inputs_values"):
                continue
            body[key] = copy.deepcopy(value)
        self._merge_roles(body["roles"], merge.get("roles") or [])
        try:
            schema.validate_template(body, self.schema)
        except SchemaError as exc:
            raise FlowError(400, str(exc))
        if values is not None:
            body[values_key] = copy.deepcopy(values)
        body["state"] = STATE["PENDING"]
        body["start_time"] = self.state.clock.epoch()
        for role in body["roles"]:
            role["state"] = ROLE_STATE["PENDING"]
        doc = self.state.document_allocate(body["name"], SERVICE, body)
        self.runtime[doc.id] = {"next_at": self.state.scheduler.now() + self.state.timings.flow_step,
                                "cooldown_end": None, "disposing": set()}
        self._wake(doc.id)
        return doc

    def _merge_roles(self, roles, overrides):
        for index, override in enumerate(overrides):
            if self.schema == "6":
                if index < len(roles):
                    deep_merge(roles[index], copy.deepcopy(override))
                continue
            target = next((r for r in roles if r.get("name") == override.get("name")), None)
            if target is not None:
                deep_merge(target, copy.deepcopy(override))

    # -- LCM -------------------------------------------------------------------------------
    def _wake(self, service_id):
        runtime = self.runtime[service_id]
        self.state.scheduler.at(runtime["next_at"], lambda _when: None)

    def reconcile(self, when):
        for doc in self.documents(SERVICE):
            runtime = self.runtime.setdefault(doc.id, {"next_at": when, "cooldown_end": None, "disposing": set()})
            if runtime["next_at"] > when:
                continue
            if self._step(doc, runtime, when):
                runtime["next_at"] = when + self.state.timings.flow_step
                if doc.id in self.state.pools["document"]:
                    self._wake(doc.id)

    def _log(self, doc, when, message, severity="I"):
        doc.body.setdefault("log", []).append({"timestamp": int(when), "severity": severity, "message": message})
        del doc.body["log"][:-100]  # MAX_LOG

    def _set_state(self, doc, name, when):
        doc.body["state"] = STATE[name]
        self._log(doc, when, "New state: %s" % name)

    def _vm(self, node):
        return self.state.pools["vm"].get(node["deploy_id"])

    def _step(self, doc, runtime, when):
        state = SERVICE_STATES[doc.body["state"]]
        handler = getattr(self, "_step_" + state.lower(), None)
        return bool(handler and handler(doc, runtime, when))

    def _step_pending(self, doc, _runtime, when):
        self._set_state(doc, "DEPLOYING_NETS", when)
        for role in doc.body["roles"]:
            role.setdefault("nodes", [])
            role.setdefault("on_hold", False)
            role.setdefault("cooldown", self.state.timings.default_cooldown)
        return True

    def _step_deploying_nets(self, doc, _runtime, when):
        self._set_state(doc, "DEPLOYING", when)
        self._fold_user_inputs(doc)
        self._deploy_ready_roles(doc, when)
        return True

    def _step_deploying(self, doc, _runtime, when):
        changed = False
        for role in doc.body["roles"]:
            if role["state"] != ROLE_STATE["DEPLOYING"]:
                continue
            outcome = self._role_outcome(doc, role)
            if outcome == "failed":
                role["state"] = ROLE_STATE["FAILED_DEPLOYING"]
                self._log(doc, when, "Error deploying role %s: a VM is in a failure state" % role["name"], "E")
                self._set_state(doc, "FAILED_DEPLOYING", when)
                return True
            if outcome == "ready":
                role["state"] = ROLE_STATE["RUNNING"]
                changed = True
        if all(r["state"] == ROLE_STATE["RUNNING"] for r in doc.body["roles"]):
            self._set_state(doc, "RUNNING", when)
            return True
        return self._deploy_ready_roles(doc, when) or changed

    def _step_scaling(self, doc, runtime, when):
        for role in doc.body["roles"]:
            if role["state"] != ROLE_STATE["SCALING"]:
                continue
            if role.get("scale_way") == 0:
                if len(role["nodes"]) < role["cardinality"]:
                    return self._create_vms(doc, role, role["cardinality"] - len(role["nodes"]), when)
                outcome = self._role_outcome(doc, role)
                if outcome == "failed":
                    role["state"] = ROLE_STATE["FAILED_SCALING"]
                    self._set_state(doc, "FAILED_SCALING", when)
                    return True
                if outcome != "ready":
                    return False
            else:
                surplus = len(role["nodes"]) - role["cardinality"]
                if surplus > 0 and not runtime["disposing"]:
                    # scale-down shuts down the oldest nodes first (nodes[0..n-1]), as recorded
                    for node in role["nodes"][:surplus]:
                        runtime["disposing"].add(node["deploy_id"])
                        self._vm_action("terminate", node["deploy_id"])
                    return True
                if any(self._vm(n) is not None and self._vm(n).state != DONE
                       for n in role["nodes"] if n["deploy_id"] in runtime["disposing"]):
                    return False
                role["nodes"] = [n for n in role["nodes"] if n["deploy_id"] not in runtime["disposing"]]
                runtime["disposing"] = set()
            role.pop("scale_way", None)
            role["state"] = ROLE_STATE["COOLDOWN"]
            self._set_state(doc, "COOLDOWN", when)
            runtime["cooldown_end"] = when + role.get("cooldown", self.state.timings.default_cooldown)
            self.state.scheduler.at(runtime["cooldown_end"], lambda _when: None)
            return True
        return False

    def _step_cooldown(self, doc, runtime, when):
        if runtime["cooldown_end"] is None or when < runtime["cooldown_end"]:
            return False
        self._end_cooldown(doc, runtime, when)
        return True

    def _end_cooldown(self, doc, runtime, when):
        runtime["cooldown_end"] = None
        for role in doc.body["roles"]:
            if role["state"] == ROLE_STATE["COOLDOWN"]:
                role["state"] = ROLE_STATE["RUNNING"]
        self._set_state(doc, "RUNNING", when)

    def _step_running(self, doc, _runtime, when):
        """ServiceWatchDog: DONE VMs leave the role; a VM out of RUNNING means WARNING."""
        changed = False
        unhealthy = False
        for role in doc.body["roles"]:
            alive = []
            for node in role.get("nodes", []):
                vm = self._vm(node)
                if vm is None or vm.state == DONE:
                    role["cardinality"] = max(0, role["cardinality"] - 1)
                    changed = True
                    continue
                alive.append(node)
                if _vm_unhealthy(vm):
                    unhealthy = True
                    if role["state"] != ROLE_STATE["WARNING"]:
                        role["state"] = ROLE_STATE["WARNING"]
                        changed = True
                elif role["state"] == ROLE_STATE["WARNING"] and not any(
                        _vm_unhealthy(self._vm(n)) for n in role["nodes"] if self._vm(n) is not None):
                    role["state"] = ROLE_STATE["RUNNING"]
                    changed = True
            role["nodes"] = alive
        wanted = "WARNING" if unhealthy else "RUNNING"
        if SERVICE_STATES[doc.body["state"]] != wanted:
            self._set_state(doc, wanted, when)
            changed = True
        if doc.body.get("automatic_deletion") and all(not r.get("nodes") for r in doc.body["roles"]):
            self.undeploy(doc.id, force=True)
            changed = True
        return changed

    _step_warning = _step_running

    def _step_undeploying(self, doc, _runtime, when):
        changed = False
        for role in doc.body["roles"]:
            if role["state"] != ROLE_STATE["UNDEPLOYING"]:
                continue
            if all(self._vm(n) is None or self._vm(n).state == DONE for n in role.get("nodes", [])):
                role["state"] = ROLE_STATE["DONE"]
                changed = True
        if all(r["state"] == ROLE_STATE["DONE"] for r in doc.body["roles"]):
            self.state.document_delete(doc.id)
            self.runtime.pop(doc.id, None)
            return True
        return self._undeploy_ready_roles(doc) or changed

    # -- helpers of the LCM -----------------------------------------------------------------
    def _role_outcome(self, doc, role):
        """'failed', 'ready' or 'waiting' for the VMs of a deploying/scaling role."""
        gate = doc.body.get("ready_status_gate", False)
        alive = []
        for node in role.get("nodes", []):
            vm = self._vm(node)
            if vm is None or vm.state == DONE:
                role["cardinality"] = max(0, role["cardinality"] - 1)
                continue
            alive.append(node)
            if vm.lcm_state in FAILURE_LCM_STATES and vm.state == ACTIVE:
                return "failed"
        role["nodes"] = alive
        for node in alive:
            vm = self._vm(node)
            if vm.state in (POWEROFF, STOPPED, SUSPENDED, UNDEPLOYED):
                continue
            if gate:
                if str(vm.user_template.get("READY", "")).strip().strip('"').upper() != "YES":
                    return "waiting"
            elif not (vm.state == ACTIVE and vm.lcm_state == RUNNING):
                return "waiting"
        return "ready"

    def _deploy_ready_roles(self, doc, when):
        straight = doc.body.get("deployment", "none") == "straight"
        states = {r["name"]: r["state"] for r in doc.body["roles"]}
        deployed = False
        for role in doc.body["roles"]:
            if role["state"] != ROLE_STATE["PENDING"]:
                continue
            if straight and any(states.get(p) != ROLE_STATE["RUNNING"] for p in role.get("parents") or []):
                continue
            role["state"] = ROLE_STATE["DEPLOYING"]
            deployed = True
            if not self._create_vms(doc, role, role.get("cardinality", 0) - len(role.get("nodes", [])), when):
                return True
        return deployed

    def _undeploy_ready_roles(self, doc):
        straight = doc.body.get("deployment", "none") == "straight"
        started = False
        for role in reversed(doc.body["roles"]):
            if role["state"] in (ROLE_STATE["UNDEPLOYING"], ROLE_STATE["DONE"]):
                continue
            children = [r for r in doc.body["roles"] if role["name"] in (r.get("parents") or [])]
            if straight and any(c["state"] != ROLE_STATE["DONE"] for c in children):
                continue
            role["state"] = ROLE_STATE["UNDEPLOYING"]
            started = True
            for node in role.get("nodes", []):
                self._vm_action(role.get("shutdown_action") or doc.body.get("shutdown_action") or "terminate",
                                node["deploy_id"])
        return started

    def _vm_action(self, action, vm_id):
        try:
            self.state.vm_action(action, vm_id)
        except OneError:
            pass

    def _fold_user_inputs(self, doc):
        """Service (and role) input values become role template attributes plus CONTEXT
        references, as OneFlow does before creating VMs (visible in GET /service/<id>)."""
        inputs_key, values_key = self._input_keys()
        service_values = doc.body.get(values_key) or {}
        for role in doc.body["roles"]:
            values = dict(service_values, **(role.get(values_key) or {}))
            if not values:
                continue
            if self.schema == "6":
                extra = "\n".join('%s="%s"' % (k, v) for k, v in values.items())
                role["vm_template_contents"] = (role.get("vm_template_contents", "") + "\n" + extra).strip()
                continue
            contents = role.setdefault("template_contents", {})
            context = contents.setdefault("CONTEXT", {})
            for key, value in values.items():
                context[key] = "$" + key
            for key, value in values.items():
                contents[key] = value

    def _create_vms(self, doc, role, count, when):
        for _vm in range(max(0, count)):
            number = role.get("last_vmname", 0)
            name = "%s_%d_(service_%d)" % (role["name"], number, doc.id)
            try:
                template_id, extra = self._role_vm_template(doc, role)
                vm_id = self.state.template_instantiate(template_id, name, bool(role.get("on_hold")), extra)
            except (OneError, TemplateSyntaxError) as exc:
                role["state"] = ROLE_STATE["FAILED_DEPLOYING"]
                self._log(doc, when, "Error instantiating VM Template %s in Role %s: %s"
                          % (role.get("template_id", role.get("vm_template")), role["name"], exc), "E")
                self._set_state(doc, "FAILED_DEPLOYING", when)
                return False
            role["last_vmname"] = number + 1
            vm = self.state.pools["vm"][vm_id]
            role.setdefault("nodes", []).append({"deploy_id": vm_id, "vm_info": {"VM": {
                "ID": str(vm.id), "UID": str(vm.uid), "GID": str(vm.gid), "UNAME": vm.uname,
                "GNAME": vm.gname, "NAME": vm.name}}})
        return True

    def _role_vm_template(self, doc, role):
        if self.schema == "6":
            extra = parse(self._resolve_parents(doc, role.get("vm_template_contents") or ""))
            template_id = role["vm_template"]
        else:
            template_id = role["template_id"]
            contents = copy.deepcopy(role.get("template_contents") or {})
            vm_template = self.state.get("template", template_id)
            if isinstance(contents.get("CONTEXT"), dict) and isinstance(vm_template.template.get("CONTEXT"), dict):
                contents["CONTEXT"] = dict(vm_template.template.get("CONTEXT"), **contents["CONTEXT"])
            contents = _map_strings(contents, lambda text: self._resolve_parents(doc, text))
            extra = Template.from_dict(contents)
        extra.set("SERVICE_ID", str(doc.id))
        extra.set("ROLE_NAME", role["name"])
        return template_id, extra

    def _resolve_parents(self, doc, text):
        """${parent_role.XPATH} from the parent role's first VM that has it."""
        def lookup(match):
            role = next((r for r in doc.body["roles"] if r["name"] == match.group(1)), None)
            for node in (role or {}).get("nodes", []):
                vm = self._vm(node)
                value = _vm_path(vm, match.group(2)) if vm is not None else None
                if value is not None:
                    return value
            return ""
        return _PARENT_REFERENCE.sub(lookup, text)

    # -- service API ------------------------------------------------------------------------
    def scale(self, oid, role_name, cardinality, force, origin="oneflow"):
        doc = self.document(oid, SERVICE)
        state = SERVICE_STATES[doc.body["state"]]
        if state not in ("RUNNING", "WARNING"):
            raise FlowError(500, "Service cannot be scaled in state: %s" % state)
        role = next((r for r in doc.body["roles"] if r["name"] == role_name), None)
        if role is None:
            raise FlowError(500, "Role %s not found" % role_name)
        try:
            cardinality = int(cardinality)
        except (TypeError, ValueError):
            raise FlowError(500, "Cardinality must be an integer")
        if not force:
            if "max_vms" in role and cardinality > role["max_vms"]:
                raise FlowError(500, "Can't scale service %d: Maximum cardinality is %d" % (oid, role["max_vms"]))
            if "min_vms" in role and cardinality < role["min_vms"]:
                raise FlowError(500, "Can't scale service %d: Minimum cardinality is %d" % (oid, role["min_vms"]))
        if cardinality == role["cardinality"]:
            raise FlowError(500, "Cardinality of %s is already at %d" % (role_name, cardinality))
        if cardinality < 0:
            raise FlowError(500, "Cardinality must be greater than or equal to 0")
        now = self.state.scheduler.now()
        way = "up" if cardinality > role["cardinality"] else "down"
        self._log(doc, now, "Role %s scaling %s from %d to %d nodes" % (role_name, way, role["cardinality"], cardinality))
        role["cardinality"] = cardinality
        role["state"] = ROLE_STATE["SCALING"]
        role["scale_way"] = 0 if way == "up" else 1
        self._set_state(doc, "SCALING", now)
        runtime = self.runtime[oid]
        runtime["next_at"] = now + self.state.timings.flow_step
        self._wake(oid)

    def undeploy(self, oid, force=False):
        doc = self.document(oid, SERVICE)
        state = SERVICE_STATES[doc.body["state"]]
        if not force and ((state in TRANSIENT and state != "UNDEPLOYING") or state == "DONE"
                          or state.startswith("FAILED")):
            raise FlowError(500, "Service cannot be undeployed in state: %s" % state)
        now = self.state.scheduler.now()
        if state != "UNDEPLOYING":
            self._set_state(doc, "UNDEPLOYING", now)
        self._undeploy_ready_roles(doc)
        runtime = self.runtime.setdefault(oid, {"cooldown_end": None, "disposing": set()})
        runtime["next_at"] = now + self.state.timings.flow_step
        self._wake(oid)

    def service_action(self, oid, perform, params):
        doc = self.document(oid, SERVICE)
        if perform == "recover":
            return self.recover(doc, params or {})
        if perform == "rename":
            doc.name = doc.body["name"] = params.get("name", doc.name)
            return None
        if perform in ("chown", "chgrp", "chmod", "release"):
            return None
        if perform in ROLE_VM_ACTIONS:
            for role in doc.body["roles"]:
                self.role_action(doc, role["name"], perform)
            return None
        raise FlowError(500, "Action %s not supported" % perform)

    def role_action(self, doc, role_name, perform):
        role = next((r for r in doc.body["roles"] if r["name"] == role_name), None)
        if role is None:
            raise FlowError(500, "Role %s not found" % role_name)
        if perform not in ROLE_VM_ACTIONS:
            raise FlowError(500, "Action %s not supported" % perform)
        vm_action = ROLE_VM_ACTIONS[perform]
        for node in role.get("nodes", []):
            if vm_action is not None:
                self._vm_action(vm_action, node["deploy_id"])

    def recover(self, doc, params):
        now = self.state.scheduler.now()
        runtime = self.runtime.setdefault(doc.id, {"cooldown_end": None, "disposing": set(), "next_at": now})
        state = SERVICE_STATES[doc.body["state"]]
        if params.get("delete"):
            for role in doc.body["roles"]:
                for node in role.get("nodes", []):
                    self._vm_action("terminate-hard", node["deploy_id"])
            self.state.document_delete(doc.id)
            self.runtime.pop(doc.id, None)
            return None
        if state == "COOLDOWN":
            self._end_cooldown(doc, runtime, now)
        elif state == "FAILED_DEPLOYING":
            for role in doc.body["roles"]:
                if role["state"] != ROLE_STATE["FAILED_DEPLOYING"]:
                    continue
                for node in list(role.get("nodes", [])):
                    vm = self._vm(node)
                    if vm is not None and vm.state == ACTIVE and vm.lcm_state in FAILURE_LCM_STATES:
                        self.state.vm_recover(vm.id, 3)
                        role["nodes"].remove(node)
                role["state"] = ROLE_STATE["PENDING"]
            self._set_state(doc, "DEPLOYING", now)
            self._deploy_ready_roles(doc, now)
        elif state == "FAILED_SCALING":
            for role in doc.body["roles"]:
                if role["state"] == ROLE_STATE["FAILED_SCALING"]:
                    role["state"] = ROLE_STATE["SCALING"]
                    for node in list(role.get("nodes", [])):
                        vm = self._vm(node)
                        if vm is not None and vm.state == ACTIVE and vm.lcm_state in FAILURE_LCM_STATES:
                            self.state.vm_recover(vm.id, 3)
                            role["nodes"].remove(node)
            self._set_state(doc, "SCALING", now)
        elif state == "FAILED_UNDEPLOYING":
            self._set_state(doc, "UNDEPLOYING", now)
        elif state == "WARNING":
            for role in doc.body["roles"]:
                for node in role.get("nodes", []):
                    vm = self._vm(node)
                    if vm is None:
                        continue
                    if vm.state in (POWEROFF, STOPPED, SUSPENDED, UNDEPLOYED):
                        self._vm_action("resume", vm.id)
                    elif vm.state == ACTIVE and vm.lcm_state in FAILURE_LCM_STATES:
                        self.state.vm_recover(vm.id, 2)
        runtime["next_at"] = now + self.state.timings.flow_step
        self._wake(doc.id)
        return None


def _vm_unhealthy(vm):
    if vm.state in (POWEROFF, STOPPED, SUSPENDED, UNDEPLOYED):
        return True
    return vm.state == ACTIVE and (vm.lcm_state in FAILURE_LCM_STATES or vm.lcm_state in (12, 18, 23))


def _vm_path(vm, path):
    parts = path.split(".")
    if parts[0] in ("TEMPLATE", "USER_TEMPLATE"):
        value = (vm.template if parts[0] == "TEMPLATE" else vm.user_template).get(parts[1]) if len(parts) > 1 else None
        for part in parts[2:]:
            value = value.get(part) if isinstance(value, dict) else None
        return value if isinstance(value, str) else None
    return {"NAME": vm.name, "ID": str(vm.id)}.get(path)


def _map_strings(value, func):
    if isinstance(value, dict):
        return {k: _map_strings(v, func) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, func) for v in value]
    return func(value) if isinstance(value, str) else value
