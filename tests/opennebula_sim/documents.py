"""oned XML documents, shaped like the recorded 7.4.0 responses (element order included)."""

import json

from .xmldoc import Node, cd, el, parent, template_node

OWNER_ONLY = ("1", "1", "0", "0", "0", "0", "0", "0", "0")
GROUP_USE = ("1", "1", "0", "1", "0", "0", "0", "0", "0")
PUBLIC_MARKET = ("1", "1", "1", "1", "0", "0", "1", "0", "0")


def permissions(bits=OWNER_ONLY):
    names = ("OWNER_U", "OWNER_M", "OWNER_A", "GROUP_U", "GROUP_M", "GROUP_A", "OTHER_U", "OTHER_M", "OTHER_A")
    return parent("PERMISSIONS", *[el(n, v) for n, v in zip(names, bits)])


def _owned(obj):
    return [el("ID", obj.id), el("UID", obj.uid), el("GID", obj.gid), el("UNAME", obj.uname),
            el("GNAME", obj.gname), el("NAME", obj.name)]


def pool(tag, nodes):
    return Node(tag, children=list(nodes))


# -- users, zones, markets, datastores, hosts, networks ---------------------------------
def user(u):
    quotas = [el("DATASTORE_QUOTA"), el("NETWORK_QUOTA"), el("VM_QUOTA"), el("IMAGE_QUOTA")]
    return parent("USER", el("ID", u.id), el("GID", u.gid), parent("GROUPS", el("ID", u.gid)),
                  el("GNAME", u.gname), el("NAME", u.name), cd("PASSWORD", u.password_hash),
                  cd("AUTH_DRIVER", "core"), el("ENABLED", 1),
                  parent("TEMPLATE", cd("TOKEN_PASSWORD", u.token_password)),
                  *quotas, parent("DEFAULT_USER_QUOTAS", *[el(q.tag) for q in quotas]))


def zone(zone_id, name, endpoint):
    host_port = endpoint.split("//", 1)[-1].split("/", 1)[0]
    host = host_port.rsplit(":", 1)[0]
    return parent("ZONE", el("ID", zone_id), el("NAME", name), el("STATE", 0),
                  parent("TEMPLATE", cd("ENDPOINT", endpoint), cd("ENDPOINT_GRPC", "%s:2634" % host)),
                  el("SERVER_POOL"))


def marketplace(m):
    description = {"one": "OpenNebula Systems MarketPlace",
                   "linuxcontainers": "MarketPlace for the public image server fo LXC & LXD hosted at "
                                      "linuxcontainers.org"}.get(m.mad, "")
    return parent("MARKETPLACE", *_owned(m), el("STATE", m.state), cd("MARKET_MAD", m.mad), cd("ZONE_ID", "0"),
                  el("TOTAL_MB", 0), el("FREE_MB", 0), el("USED_MB", 0), el("MARKETPLACEAPPS"),
                  permissions(PUBLIC_MARKET),
                  parent("TEMPLATE", cd("DESCRIPTION", description), cd("MARKET_MAD", m.mad)))


def datastore(ds, images=()):
    total, free, used = (4796800, 3333260, 1429920) if ds.type == 1 else (20480, 20480, 9720)
    return parent("DATASTORE", *_owned(ds), permissions(GROUP_USE), cd("DS_MAD", ds.template.get("DS_MAD", "-")),
                  cd("TM_MAD", ds.template.get("TM_MAD", "dummy")),
                  cd("BASE_PATH", "/var/lib/one/datastores/%d" % ds.id), el("TYPE", ds.type),
                  el("DISK_TYPE", 0), el("STATE", 0), parent("CLUSTERS", el("ID", 0)), el("TOTAL_MB", total),
                  el("FREE_MB", free), el("USED_MB", used),
                  parent("IMAGES", *[el("ID", i) for i in images]), template_node("TEMPLATE", ds.template))


def host(h, vm_ids=()):
    return parent("HOST", el("ID", h.id), el("NAME", h.name), el("STATE", h.state), el("PREV_STATE", h.state),
                  cd("IM_MAD", h.im_mad), cd("VM_MAD", h.vm_mad), el("CLUSTER_ID", h.cluster_id),
                  el("CLUSTER", "default"),
                  parent("HOST_SHARE", el("MEM_USAGE", 0), el("CPU_USAGE", 0), el("TOTAL_MEM", 16777216),
                         el("TOTAL_CPU", 800), el("MAX_MEM", 16777216), el("MAX_CPU", 800),
                         el("RUNNING_VMS", len(vm_ids)), el("VMS_THREAD", 1),
                         parent("DATASTORES", el("DISK_USAGE", 0), el("FREE_DISK", 0), el("MAX_DISK", 0),
                                el("USED_DISK", 0)),
                         el("PCI_DEVICES"), el("NUMA_NODES")),
                  parent("VMS", *[el("ID", v) for v in vm_ids]), el("MONITORING"),
                  parent("TEMPLATE", cd("ARCH", "x86_64"), cd("CPUSPEED", "2400"), cd("HOSTNAME", h.name),
                         cd("HYPERVISOR", "dummy"), cd("IM_MAD", h.im_mad), cd("KVM_CPU_FEATURES", ""),
                         cd("KVM_CPU_MODELS", ""), cd("MEMORY_ENCRYPTION", "NO"), cd("MODELNAME", "Simulated CPU"),
                         cd("RESERVED_CPU", ""), cd("RESERVED_MEM", ""), cd("TOTALCPU", "800"),
                         cd("TOTALMEMORY", "16777216"), cd("VM_MAD", h.vm_mad)))


def vnet(vn):
    ars = []
    for ar in vn.ars:
        first = [int(x) for x in ar["IP"].split(".")]
        value = (first[0] << 24 | first[1] << 16 | first[2] << 8 | first[3]) + ar["SIZE"] - 1
        last = [(value >> s) & 0xFF for s in (24, 16, 8, 0)]
        leases = [parent("LEASE", cd("IP", _ip_at(ar, i)), cd("MAC", _mac_at(ar, i)), cd("VM", vm))
                  for i, vm in sorted(ar["leases"].items())]
        ars.append(parent("AR", cd("AR_ID", ar["AR_ID"]), cd("IP", ar["IP"]), cd("MAC", _mac_at(ar, 0)),
                          cd("NEXT_INDEX", ar.get("next", 0)), cd("SHARED", "NO"), cd("SIZE", ar["SIZE"]),
                          cd("TYPE", ar["TYPE"]), cd("MAC_END", "02:00:" + ":".join("%02x" % o for o in last)),
                          cd("IP_END", ".".join(map(str, last))), el("USED_LEASES", len(ar["leases"])),
                          Node("LEASES", children=leases)))
    used = sum(len(ar["leases"]) for ar in vn.ars)
    return parent("VNET", *_owned(vn), permissions(), parent("CLUSTERS", el("ID", 0)),
                  cd("BRIDGE", vn.template.get("BRIDGE", "")), cd("BRIDGE_TYPE", vn.template.get("BRIDGE_TYPE", "linux")),
                  cd("STATE", vn.state), cd("PREV_STATE", vn.state), el("PARENT_NETWORK_ID"), el("TEMPLATE_ID"),
                  cd("VN_MAD", vn.template.get("VN_MAD", "dummy")), el("PHYDEV"), el("VLAN_ID"),
                  el("OUTER_VLAN_ID"), el("VLAN_ID_AUTOMATIC", 0), el("OUTER_VLAN_ID_AUTOMATIC", 0),
                  el("USED_LEASES", used), el("VROUTERS"), el("UPDATED_VMS"), el("OUTDATED_VMS"),
                  el("UPDATING_VMS"), el("ERROR_VMS"), template_node("TEMPLATE", vn.template),
                  parent("AR_POOL", *ars))


def _ip_at(ar, index):
    first = [int(x) for x in ar["IP"].split(".")]
    value = (first[0] << 24 | first[1] << 16 | first[2] << 8 | first[3]) + index
    return ".".join(str((value >> s) & 0xFF) for s in (24, 16, 8, 0))


def _mac_at(ar, index):
    return "02:00:" + ":".join("%02x" % int(o) for o in _ip_at(ar, index).split("."))


# -- images, templates, VMs, documents ----------------------------------------------------
def image(i):
    return parent("IMAGE", *_owned(i), permissions(), el("TYPE", i.type), el("DISK_TYPE", 0),
                  el("PERSISTENT", i.persistent), el("REGTIME", i.regtime), el("MODTIME", i.regtime),
                  cd("SOURCE", i.source), cd("PATH", i.path), cd("FORMAT", i.format), cd("FS", ""),
                  el("SIZE", i.size), el("STATE", i.state), el("PREV_STATE", i.prev_state),
                  el("RUNNING_VMS", len(i.vms)), el("CLONING_OPS", 0), el("CLONING_ID", -1),
                  el("TARGET_SNAPSHOT", -1), el("DATASTORE_ID", i.datastore.id), el("DATASTORE", i.datastore.name),
                  parent("VMS", *[el("ID", v) for v in sorted(i.vms)]), el("CLONES"), el("APP_CLONES"),
                  template_node("TEMPLATE", i.template),
                  parent("SNAPSHOTS", cd("ALLOW_ORPHANS", "NO"), cd("CURRENT_BASE", "-1"), cd("NEXT_SNAPSHOT", "0")),
                  el("BACKUP_INCREMENTS"), el("BACKUP_DISK_IDS"))


def vm_template(t):
    return parent("VMTEMPLATE", *_owned(t), permissions(), el("REGTIME", t.regtime),
                  template_node("TEMPLATE", t.template))


def _history(vm, short=False):
    records = []
    for h in vm.history:
        if short:
            records.append(parent("HISTORY", el("OID", vm.id), el("SEQ", h["SEQ"]), cd("HOSTNAME", h["HOSTNAME"]),
                                  el("HID", h["HID"]), el("CID", 0), el("DS_ID", 0), cd("VM_MAD", "dummy"),
                                  cd("TM_MAD", "dummy"), cd("ACTION", h["ACTION"])))
            continue
        done = h["ETIME"]
        records.append(parent(
            "HISTORY", el("OID", vm.id), el("SEQ", h["SEQ"]), el("HOSTNAME", h["HOSTNAME"]), el("HID", h["HID"]),
            el("CID", 0), el("STIME", h["STIME"]), el("ETIME", done), cd("VM_MAD", "dummy"), cd("TM_MAD", "dummy"),
            el("DS_ID", 0), el("PLAN_ID", -1), el("ACTION_ID", 0), el("PSTIME", h["STIME"]), el("PETIME", h["STIME"]),
            el("RSTIME", h["STIME"]), el("RETIME", done), el("ESTIME", done), el("EETIME", done),
            el("ACTION", h["ACTION"]), el("UID", 0 if done else -1), el("GID", 0 if done else -1),
            el("REQUEST_ID", -1)))
    return Node("HISTORY_RECORDS", children=records)


MONITORING_COUNTERS = ("CPU", "DISKRDBYTES", "DISKRDIOPS", "DISKWRBYTES", "DISKWRIOPS", "MEMORY", "NETRX", "NETTX")


def vm(v):
    """Full body, as one.vm.info and vmpool.infoextended return it."""
    monitoring = el("MONITORING")
    if v.state == 3 and v.lcm_state == 3 or v.etime:
        monitoring = parent("MONITORING", *[cd(k, "0") for k in MONITORING_COUNTERS[:5]], cd("ID", v.id),
                            *[cd(k, "0") for k in MONITORING_COUNTERS[5:]], cd("TIMESTAMP", v.last_poll))
    return parent("VM", *_owned(v), permissions(), el("LAST_POLL", v.last_poll), el("STATE", v.state),
                  el("LCM_STATE", v.lcm_state), el("PREV_STATE", v.prev_state),
                  el("PREV_LCM_STATE", v.prev_lcm_state), el("RESCHED", 0), el("STIME", v.stime),
                  el("ETIME", v.etime), _deploy_id(v), monitoring, el("SCHED_ACTIONS"),
                  template_node("TEMPLATE", v.template), template_node("USER_TEMPLATE", v.user_template),
                  _history(v) if v.history else Node("HISTORY_RECORDS"),
                  parent("BACKUPS", Node("BACKUP_CONFIG"), el("BACKUP_IDS")))


def _deploy_id(v):
    return Node("DEPLOY_ID", text=v.deploy_id or None)


SHORT_USER_TEMPLATE_KEYS = ("LABELS", "ERROR", "SCHED_MESSAGE", "SCHED_RANK", "SCHED_DS_RANK",
                            "SCHED_REQUIREMENTS", "SCHED_DS_REQUIREMENTS", "SERVICE_ID", "ROLE_NAME")


def vm_short(v):
    """The short body one.vmpool.info returns."""
    from .template_syntax import Template
    short_template = Template()
    for key in ("CPU", "MEMORY", "VCPU"):
        if key in v.template:
            short_template.add(key, v.template.get(key))
    disk_keys = ("DISK_ID", "DATASTORE", "DATASTORE_ID", "IMAGE", "IMAGE_ID", "SIZE", "TYPE", "CLONE", "CLONE_TARGET",
                 "LN_TARGET", "DISK_SNAPSHOT_TOTAL_SIZE")
    disks = [parent("DISK", *[cd(k, d.get(k, "")) for k in disk_keys]) for d in v.template.get_all("DISK")]
    nics = [parent("NIC", *[cd(k, n.get(k, "")) for k in ("IP", "MAC", "NETWORK", "NETWORK_ID", "NIC_ID",
                                                          "SECURITY_GROUPS")])
            for n in v.template.get_all("NIC")]
    tpl = Node("TEMPLATE", children=[el(k, short_template.get(k)) for k in short_template.names()] + disks + nics)
    user_short = Template([(k, v.user_template.get(k)) for k in SHORT_USER_TEMPLATE_KEYS if k in v.user_template])
    return parent("VM", *_owned(v), el("LAST_POLL", v.last_poll), el("STATE", v.state), el("LCM_STATE", v.lcm_state),
                  el("RESCHED", 0), el("STIME", v.stime), el("ETIME", v.etime), _deploy_id(v), tpl,
                  Node("MONITORING"), template_node("USER_TEMPLATE", user_short),
                  _history(v, short=True) if v.history else Node("HISTORY_RECORDS"))


def document(d):
    body = json.dumps(d.body, separators=(",", ":"))
    return parent("DOCUMENT", *_owned(d), el("TYPE", d.type), permissions(),
                  parent("TEMPLATE", cd("BODY", body)))
