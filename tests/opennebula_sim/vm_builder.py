"""What oned does to a VM template at allocation: split TEMPLATE from USER_TEMPLATE,
expand DISKs from images and NICs from network leases, and generate the CONTEXT
(ETH*_ variables, ONEGATE_ENDPOINT/VMID for TOKEN=YES, $VARIABLE substitution)."""

import re
import uuid

from . import errors
from .errors import OneError
from .template_syntax import Template

# Attributes oned keeps in TEMPLATE; everything else goes to USER_TEMPLATE (where OneFlow's
# SERVICE_ID/ROLE_NAME and OneGate-published keys live).
TEMPLATE_ATTRIBUTES = {
    "CPU", "VCPU", "VCPU_MAX", "MEMORY", "MEMORY_MAX", "MEMORY_SLOTS", "MEMORY_RESIZE_MODE",
    "DISK", "NIC", "NIC_ALIAS", "NIC_DEFAULT", "CONTEXT", "OS", "GRAPHICS", "INPUT", "FEATURES",
    "RAW", "CPU_MODEL", "PCI", "TOPOLOGY", "NUMA_NODE", "VIDEO", "SPICE_OPTIONS", "BACKUP_CONFIG",
    "SNAPSHOT", "SECURITY_GROUP_RULE", "TEMPLATE_ID", "VMID", "CREATED_BY", "TM_MAD_SYSTEM",
    "VMGROUP", "AUTOMATIC_REQUIREMENTS", "AUTOMATIC_DS_REQUIREMENTS", "AUTOMATIC_NIC_REQUIREMENTS",
    "SCHED_ACTION", "HYPERV_OPTIONS",
}

_VARIABLE = re.compile(r"\$([A-Za-z0-9_]+)(?:\[([A-Za-z0-9_]+)\])?")
_NIC_CONTEXT_KEYS = ("DNS", "EXTERNAL", "GATEWAY", "IP", "IP6", "IP6_GATEWAY", "IP6_METHOD",
                     "IP6_METRIC", "IP6_PREFIX_LENGTH", "IP6_ULA", "MAC", "MASK", "METHOD", "METRIC",
                     "MTU", "NETWORK", "ROUTES", "SEARCH_DOMAIN", "VLAN_ID", "VROUTER_IP",
                     "VROUTER_IP6", "VROUTER_MANAGEMENT")


def build_vm_templates(state, vm_id, name, owner, source):
    template, user_template = Template(), Template()
    for attr, values in source.items():
        target = template if attr in TEMPLATE_ATTRIBUTES else user_template
        for value in values:
            target.add(attr, value)

    prefix = "sd"
    disks = [_expand_disk(state, disk, index, prefix) for index, disk in enumerate(template.get_all("DISK"))]
    template.remove("DISK")
    for disk in disks:
        template.add("DISK", disk)
    nics = [_expand_nic(state, nic, index, vm_id) for index, nic in enumerate(template.get_all("NIC"))]
    template.remove("NIC")
    for nic in nics:
        template.add("NIC", {k: v for k, v in nic.items() if not k.startswith("_")})

    context = template.get("CONTEXT")
    if context is not None:
        template.set("CONTEXT", _build_context(state, vm_id, name, owner, context, template,
                                               user_template, nics, len(disks), prefix))
    template.set("CPU", template.get("CPU", "1"))
    template.set("MEMORY", template.get("MEMORY", "128"))
    template.set("CREATED_BY", str(owner.id))
    template.set("VMID", str(vm_id))
    template.set("OS", dict(template.get("OS") or {}, MACHINE="q35", UUID=str(uuid.uuid4())))
    template.set("AUTOMATIC_REQUIREMENTS", "(CLUSTER_ID = 0) & !(PIN_POLICY = PINNED)")
    template.set("AUTOMATIC_DS_REQUIREMENTS", '("CLUSTERS/ID" @> 0)')
    if nics:
        template.set("AUTOMATIC_NIC_REQUIREMENTS", '("CLUSTERS/ID" @> 0)')
        template.remove("SECURITY_GROUP_RULE")
        for rule_type in ("OUTBOUND", "INBOUND"):
            template.add("SECURITY_GROUP_RULE", {"PROTOCOL": "ALL", "RULE_TYPE": rule_type,
                                                 "SECURITY_GROUP_ID": "0", "SECURITY_GROUP_NAME": "default"})
    return template, user_template


def _expand_disk(state, disk, index, prefix):
    disk = dict(disk)
    image = None
    if "IMAGE_ID" in disk:
        try:
            image = state.pools["image"].get(int(disk["IMAGE_ID"]))
        except ValueError:
            image = None
        if image is None:
            raise OneError("Error allocating a new virtual machine. Error getting image [%s]."
                           % disk["IMAGE_ID"], errors.ALLOCATE)
    elif "IMAGE" in disk:
        image = next((i for i in state.pools["image"].values() if i.name == disk["IMAGE"]), None)
        if image is None:
            raise OneError('Error allocating a new virtual machine. Image "%s" does not exist.'
                           % disk["IMAGE"], errors.ALLOCATE)
    if image is not None:
        disk.update({
            "ALLOW_ORPHANS": "NO", "CLONE": "NO" if image.persistent else "YES",
            "CLONE_TARGET": "SYSTEM", "CLUSTER_ID": "0", "DATASTORE": image.datastore.name,
            "DATASTORE_ID": str(image.datastore.id), "DEV_PREFIX": image.template.get("DEV_PREFIX", prefix),
            "DISK_SNAPSHOT_TOTAL_SIZE": "0", "DISK_TYPE": "FILE", "DRIVER": image.format,
            "FORMAT": image.format, "IMAGE": image.name, "IMAGE_ID": str(image.id),
            "IMAGE_STATE": "2", "LN_TARGET": "NONE", "ORIGINAL_SIZE": str(image.size),
            "PERSISTENT_SNAPSHOTS": "YES", "READONLY": "NO", "SAVE": "YES" if image.persistent else "NO",
            "SIZE": disk.get("SIZE", str(image.size)), "SOURCE": image.source or "dummy_path",
            "TM_MAD": "dummy", "TYPE": "FILE",
        })
    disk["DISK_ID"] = str(index)
    # oned gives the context CD-ROM the first letter (sda) and disks the following ones
    disk.setdefault("TARGET", prefix + "bcdefghijklmnopqrstuvwxyz"[index])
    return disk


def _expand_nic(state, nic, index, vm_id):
    nic = dict(nic)
    vn = None
    if "NETWORK_ID" in nic:
        try:
            vn = state.pools["vn"].get(int(nic["NETWORK_ID"]))
        except ValueError:
            vn = None
        if vn is None:
            raise OneError("Error allocating a new virtual machine. Error getting virtual network [%s]."
                           % nic["NETWORK_ID"], errors.ALLOCATE)
    elif "NETWORK" in nic:
        vn = next((n for n in state.pools["vn"].values() if n.name == nic["NETWORK"]), None)
        if vn is None:
            raise OneError('Error allocating a new virtual machine. Virtual network "%s" does not exist.'
                           % nic["NETWORK"], errors.ALLOCATE)
    if vn is not None:
        ar_id, ip, mac = state.lease_nic(vn, vm_id)
        nic.update({"AR_ID": ar_id, "BRIDGE": vn.template.get("BRIDGE", ""),
                    "BRIDGE_TYPE": vn.template.get("BRIDGE_TYPE", "linux"), "CLUSTER_ID": "0",
                    "IP": ip, "MAC": mac, "NETWORK": vn.name, "NETWORK_ID": str(vn.id),
                    "SECURITY_GROUPS": "0", "VN_MAD": vn.template.get("VN_MAD", "dummy")})
        for key in ("DNS", "GATEWAY"):
            if vn.template.get(key):
                nic[key] = vn.template.get(key)
        nic["_MASK"], nic["_NETWORK_ADDRESS"] = vn.template.get("NETWORK_MASK", ""), vn.template.get("NETWORK_ADDRESS", "")
    nic["NAME"] = nic.get("NAME", "NIC%d" % index)
    nic["NIC_ID"] = str(index)
    nic["TARGET"] = "one-%d-%d" % (vm_id, index)
    return nic


def _build_context(state, vm_id, name, owner, context, template, user_template, nics, disk_count, prefix):
    context = dict(context)
    if context.get("NETWORK", "").upper() == "YES":
        for index, nic in enumerate(nics):
            values = dict.fromkeys(_NIC_CONTEXT_KEYS, "")
            values.update({"DNS": nic.get("DNS", ""), "GATEWAY": nic.get("GATEWAY", ""),
                           "IP": nic.get("IP", ""), "MAC": nic.get("MAC", ""),
                           "MASK": nic.get("_MASK", ""), "NETWORK": nic.get("_NETWORK_ADDRESS", "")})
            for key, value in values.items():
                context["ETH%d_%s" % (index, key)] = value
    if context.get("TOKEN", "").upper() == "YES":
        if not state.onegate_endpoint:
            raise OneError("TOKEN set, but onegate endpoint was not defined in oned.conf.", errors.ALLOCATE)
        context["ONEGATE_ENDPOINT"] = state.onegate_endpoint
        context["VMID"] = str(vm_id)
    context["DISK_ID"] = str(disk_count)
    context.setdefault("TARGET", prefix + "a")

    specials = {"VMID": str(vm_id), "NAME": name, "UID": str(owner.id), "UNAME": owner.name,
                "GID": str(owner.gid), "GNAME": owner.gname}

    def lookup(match):
        attr, sub = match.group(1).upper(), match.group(2)
        if sub is None and attr in specials:
            return specials[attr]
        value = user_template.get(attr, template.get(attr))
        if isinstance(value, dict):
            return value.get(sub.upper(), "") if sub else ""
        return "" if value is None or sub else value

    return {key: _VARIABLE.sub(lookup, value) for key, value in context.items()}
