"""OneFlow service template validation (flow/validator.rb) for the 7.x and 6.x schemas.

Integer fields accept numeric strings and are converted; booleans must be JSON booleans;
unknown keys are kept. Messages follow the recorded 7.4.0 ones."""

import json
import re

SERVICE_STATES = {
    0: "PENDING", 1: "DEPLOYING", 2: "RUNNING", 3: "UNDEPLOYING", 4: "WARNING", 5: "DONE",
    6: "FAILED_UNDEPLOYING", 7: "FAILED_DEPLOYING", 8: "SCALING", 9: "FAILED_SCALING", 10: "COOLDOWN",
    11: "DEPLOYING_NETS", 12: "UNDEPLOYING_NETS", 13: "FAILED_DEPLOYING_NETS", 14: "FAILED_UNDEPLOYING_NETS",
    15: "HOLD",
}
STATE = {name: number for number, name in SERVICE_STATES.items()}
ROLE_STATE = {"PENDING": 0, "DEPLOYING": 1, "RUNNING": 2, "UNDEPLOYING": 3, "WARNING": 4, "DONE": 5,
              "FAILED_UNDEPLOYING": 6, "FAILED_DEPLOYING": 7, "SCALING": 8, "FAILED_SCALING": 9,
              "COOLDOWN": 10, "HOLD": 11}

_INTEGER_ROLE_KEYS = ("cardinality", "min_vms", "max_vms", "cooldown", "template_id", "vm_template")
_BOOLEAN_KEYS = ("ready_status_gate", "automatic_deletion", "on_hold")
_ROLE_NAME = re.compile(r"^\w+$")


class SchemaError(ValueError):
    """A 400 from OneFlow, with its plain-text message."""


def compact(document):
    return json.dumps(document, separators=(",", ":"))


def parse_json(text):
    try:
        return json.loads(text)
    except ValueError:
        raise SchemaError("unexpected token at '%s'" % text)


def _integer(holder, key):
    value = holder[key]
    if isinstance(value, bool):
        raise SchemaError("KEY: '%s' must be an Integer;" % key)
    if isinstance(value, int):
        return
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        holder[key] = int(value)
        return
    raise SchemaError("KEY: '%s' must be an Integer;" % key)


def _mandatory(document, key, kind):
    if key not in document:
        raise SchemaError("Mandatory document key '%s (%s)' is missing from %s" % (key, kind, compact(document)))


def is_6x_format(template):
    roles = template.get("roles") or []
    return bool(roles) and all(isinstance(r, dict) and ("vm_template" in r or "vm_template_contents" in r)
                               for r in roles)


def convert_6x_to_7x(template):
    """What 7.x does with an old-format template: vm_template -> template_id + type,
    vm_template_contents string -> template_contents hash, custom_attrs -> user_inputs."""
    from .template_syntax import parse
    for role in template["roles"]:
        if "vm_template" in role:
            role["template_id"] = role.pop("vm_template")
            role.setdefault("type", "vm")
        if "vm_template_contents" in role:
            parsed = parse(role.pop("vm_template_contents") or "")
            role["template_contents"] = parsed.to_dict()
    for old, new in (("custom_attrs", "user_inputs"), ("custom_attrs_values", "user_inputs_values")):
        if old in template:
            template[new] = template.pop(old)
    return template


def validate_template(template, schema="7"):
    """Validate (and coerce, in place) a service template body; raises SchemaError."""
    if not isinstance(template, dict):
        raise SchemaError("KEY: 'template' must be an Object;")
    _mandatory(template, "name", "string")
    if not isinstance(template["name"], str):
        raise SchemaError("KEY: 'name' must be a String;")
    _mandatory(template, "roles", "array")
    if not isinstance(template["roles"], list):
        raise SchemaError("KEY: 'roles' must be an Array;")
    if template.get("deployment", "none") not in ("none", "straight"):
        raise SchemaError("KEY: 'deployment' must be one of none, straight;")
    for key in _BOOLEAN_KEYS:
        if key in template and not isinstance(template[key], bool):
            raise SchemaError("KEY: '%s' must be a Boolean;" % key)
    if schema == "7" and is_6x_format(template):
        convert_6x_to_7x(template)
    names = set()
    for role in template["roles"]:
        _validate_role(role, schema)
        if role["name"] in names:
            raise SchemaError("Role name '%s' is repeated" % role["name"])
        names.add(role["name"])
    for role in template["roles"]:
        for parent_name in role.get("parents") or []:
            if parent_name not in names:
                raise SchemaError("Parent role '%s' of role '%s' does not exist" % (parent_name, role["name"]))
    return template


def _validate_role(role, schema):
    if not isinstance(role, dict):
        raise SchemaError("KEY: 'roles' must be an Array of Objects;")
    _mandatory(role, "name", "string")
    if not isinstance(role["name"], str) or not _ROLE_NAME.match(role["name"]):
        raise SchemaError("KEY: 'name' must match the pattern ^\\w+$;")
    if schema == "7":
        _mandatory(role, "type", "string")
        if role["type"] not in ("vm", "vr"):
            raise SchemaError("KEY: 'type' must be one of vm, vr;")
        _mandatory(role, "template_id", "integer")
        if "template_contents" in role and not isinstance(role["template_contents"], dict):
            raise SchemaError("KEY: 'template_contents' must be an Object;")
    else:
        _mandatory(role, "vm_template", "integer")
        if "vm_template_contents" in role and not isinstance(role["vm_template_contents"], str):
            raise SchemaError("KEY: 'vm_template_contents' must be a String;")
    for key in _INTEGER_ROLE_KEYS:
        if key in role:
            _integer(role, key)
    if "on_hold" in role and not isinstance(role["on_hold"], bool):
        raise SchemaError("KEY: 'on_hold' must be a Boolean;")
    cardinality = role.get("cardinality", 0)
    if cardinality < 0:
        raise SchemaError("KEY: 'cardinality' must be greater than or equal to 0;")
    if "min_vms" in role and cardinality < role["min_vms"]:
        raise SchemaError("Role '%s' 'cardinality' must be greater than or equal to 'min_vms'" % role["name"])
    if "max_vms" in role and cardinality > role["max_vms"]:
        raise SchemaError("Role '%s' 'cardinality' must be lower than or equal to 'max_vms'" % role["name"])
    if role.get("elasticity_policies") and ("min_vms" not in role or "max_vms" not in role):
        raise SchemaError("Role '%s' with elasticity policies must define 'min_vms' and 'max_vms'" % role["name"])


def deep_merge(base, update):
    """Recursive dict merge (handle_nested_values): dicts merge, everything else replaces."""
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base
