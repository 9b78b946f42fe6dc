"""The oned side of one zone: pools of users, datastores, hosts, networks, images,
VM templates, VMs and documents, with the image and VM state machines.

Every public method runs under `self.lock` and first runs the events that are due on the
simulated clock, so any reader sees the state "as of now".
"""

import hashlib
import secrets
import threading
from dataclasses import dataclass

from . import errors
from .errors import OneError, not_found
from .template_syntax import Template, TemplateSyntaxError, parse
from .onegate_token import onegate_token
from .vm_builder import build_vm_templates

# VM STATE and LCM_STATE (pyone enums)
INIT, PENDING, HOLD, ACTIVE, STOPPED, SUSPENDED, DONE, POWEROFF, UNDEPLOYED = 0, 1, 2, 3, 4, 5, 6, 8, 9
LCM_INIT, PROLOG, BOOT, RUNNING, SHUTDOWN, BOOT_FAILURE = 0, 1, 2, 3, 12, 36
SHUTDOWN_POWEROFF, SHUTDOWN_UNDEPLOY, EPILOG_STOP, SAVE_SUSPEND = 18, 23, 10, 5
FAILURE_LCM_STATES = {14, 16, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 61}

# IMAGE STATE
IMG_INIT, IMG_READY, IMG_USED, IMG_DISABLED, IMG_LOCKED, IMG_ERROR = 0, 1, 2, 3, 4, 5
IMAGE_TYPES = {"OS": 0, "CDROM": 1, "DATABLOCK": 2, "KERNEL": 3, "RAMDISK": 4, "CONTEXT": 5}

VM_ACTIONS = ("terminate", "terminate-hard", "undeploy", "undeploy-hard", "poweroff",
              "poweroff-hard", "reboot", "reboot-hard", "hold", "release", "stop", "suspend",
              "resume", "resched", "unresched")


@dataclass
class Timings:
    """Simulated seconds each transition takes (the dummy drivers are near-instant; these
    are chosen so every intermediate state is observable by a poller)."""
    image_ready: float = 1.0
    vm_pending: float = 1.0
    vm_prolog: float = 1.0
    vm_boot: float = 1.0
    vm_shutdown: float = 1.0
    guest_ready: float = 1.0      # simulated guest: RUNNING -> its READY=YES report
    host_monitor: float = 1.0
    flow_step: float = 1.0        # one OneFlow LCM pass
    default_cooldown: int = 300   # oneflow-server.conf :default_cooldown


class User:
    def __init__(self, uid, name, password):
        self.id = uid
        self.name = name
        self.password = password
        self.gid = 0
        self.gname = "oneadmin"
        self.token_password = secrets.token_hex(32)

    @property
    def password_hash(self):
        return hashlib.sha256(self.password.encode()).hexdigest()


class Users:
    """Federated across zones (shared by every Zone's state)."""

    def __init__(self, username, password):
        self.by_id = {0: User(0, username, password)}

    def authenticate(self, session):
        name, _sep, password = (session or "").partition(":")
        for user in self.by_id.values():
            if user.name == name and secrets.compare_digest(user.password, password):
                return user
        return None


class Obj:
    """Common fields of oned pool objects."""

    def __init__(self, oid, name, owner):
        self.id = oid
        self.name = name
        self.uid = owner.id
        self.uname = owner.name
        self.gid = owner.gid
        self.gname = owner.gname


class Image(Obj):
    pass


class VmTemplate(Obj):
    pass


class Vm(Obj):
    pass


class Document(Obj):
    pass


class OneState:
    def __init__(self, clock, scheduler, users, faults, timings, zone_id=0, zone_name="OpenNebula"):
        self.lock = threading.RLock()
        self.clock = clock
        self.scheduler = scheduler
        self.users = users
        self.faults = faults
        self.timings = timings
        self.zone_id = zone_id
        self.zone_name = zone_name
        self.version = "7.4.0"
        self.onegate_endpoint = None
        self.zone_endpoints = {}       # zone id -> (name, xmlrpc endpoint), filled by the server
        self.simulate_guest_ready = True
        self.pools = {k: {} for k in ("datastore", "host", "vn", "image", "template", "vm",
                                      "document", "market")}
        self.next_ids = {k: 0 for k in self.pools}
        self.vm_running_hooks = []     # callbacks run (outside the lock) when a VM reaches RUNNING
        self._pending_callbacks = []
        self.change_listeners = []     # e.g. OneFlow's LCM: called after every processed event
        self._seed_defaults()

    # -- plumbing ----------------------------------------------------------------------
    def catch_up(self):
        """Run every event due on the clock; then hooks, outside the lock."""
        with self.lock:
            self.scheduler.run_due(after_each=self._notify)
            self._notify(self.clock.now())
            callbacks, self._pending_callbacks = self._pending_callbacks, []
        for callback in callbacks:
            callback()

    def _notify(self, when):
        for listener in self.change_listeners:
            listener(when)

    def _new_id(self, kind):
        oid = self.next_ids[kind]
        self.next_ids[kind] += 1
        return oid

    def owner(self, uid=0):
        return self.users.by_id[uid]

    def get(self, kind, oid):
        obj = self.pools[kind].get(oid)
        if obj is None:
            raise not_found(kind, oid)
        return obj

    def _check_name(self, kind, label, name):
        for obj in self.pools[kind].values():
            if obj.name == name and getattr(obj, "state", None) != DONE:
                raise OneError("NAME is already taken by %s %d." % (label, obj.id))

    @staticmethod
    def _parse(text):
        try:
            return parse(text)
        except TemplateSyntaxError as exc:
            # Template::parse_str_or_xml: "Parse error." when the parser aborted silently
            raise OneError("Parse error: %s" % exc if str(exc) else "Parse error.", errors.INTERNAL)

    # -- seed ----------------------------------------------------------------------------
    def _seed_defaults(self):
        owner = self.owner()
        common = [("ALLOW_ORPHANS", "NO"), ("PERSISTENT_SNAPSHOTS", "YES"), ("RESTRICTED_DIRS", "/"),
                  ("SAFE_DIRS", "/var/tmp"), ("TM_MAD", "dummy")]
        image_like = [("CLONE_TARGET", "SYSTEM"), ("DS_MAD", "dummy"), ("LN_TARGET", "NONE")]
        for oid, name, ds_type, extra in (
                (0, "system", 1, [("DISK_TYPE", "FILE"), ("DS_MIGRATE", "YES"), ("DS_LIVE_MIGRATE", "YES"),
                                  ("DS_MIGRATE_SNAP", "YES"), ("SHARED", "YES"), ("TYPE", "SYSTEM_DS")]),
                (1, "default", 0, image_like + [("DISK_TYPE", "FILE"), ("TYPE", "IMAGE_DS")]),
                (2, "files", 2, image_like + [("TYPE", "FILE_DS")])):
            ds = Obj(oid, name, owner)
            ds.type = ds_type
            ds.template = Template(common + extra)
            self.pools["datastore"][oid] = ds
        self.next_ids["datastore"] = 100
        for oid, name, mad, state in ((0, "OpenNebula Public", "one", 0), (1, "Linux Containers", "linuxcontainers", 1)):
            market = Obj(oid, name, owner)
            market.mad, market.state = mad, state
            self.pools["market"][oid] = market
        self.next_ids["market"] = 100

    def seed_infrastructure(self, network=None):
        """A host and a network so VMs can run with no setup (ids 0)."""
        net = dict(ip="10.10.0.10", size=100, address="10.10.0.0", mask="255.255.255.0", gateway="10.10.0.1")
        net.update(network or {})
        with self.lock:
            self.host_allocate("localhost", "dummy", "dummy", -1)
            self.vn_allocate('NAME="fl-net"\nVN_MAD="dummy"\nBRIDGE="br-fl"\n'
                             'AR=[TYPE="IP4",IP="{ip}",SIZE="{size}"]\nNETWORK_ADDRESS="{address}"\n'
                             'NETWORK_MASK="{mask}"\nGATEWAY="{gateway}"\nDNS="{gateway}"'.format(**net), -1)
            for host in self.pools["host"].values():
                host.state = 2

    # -- markets, datastores, hosts, networks ------------------------------------------
    def market_enable(self, oid, enable):
        self.get("market", oid).state = 0 if enable else 1
        return oid

    def datastore_update(self, oid, text, merge):
        ds = self.get("datastore", oid)
        new = self._parse(text)
        ds.template = ds.template.merge(new) if merge else new
        if ds.type == 1:
            ds.template.remove("DS_MAD")  # system datastores have no DS driver
        return oid

    def host_allocate(self, name, im_mad, vm_mad, cluster_id):
        self._check_name("host", "HOST", name)
        host = Obj(self._new_id("host"), name, self.owner())
        host.im_mad, host.vm_mad, host.state = im_mad, vm_mad, 0
        host.cluster_id = 0 if cluster_id == -1 else cluster_id
        self.pools["host"][host.id] = host

        def monitored(when):
            host.state = 2
            for vm in self.pools["vm"].values():
                if vm.state == PENDING:
                    self._schedule_vm(vm, self.timings.vm_pending, self._vm_prolog, when)
        self.scheduler.after(self.timings.host_monitor, monitored)
        return host.id

    def vn_allocate(self, text, cluster_id):
        tpl = self._parse(text)
        name = tpl.get("NAME") or ""
        self._check_name("vn", "NET", name)
        vn = Obj(self._new_id("vn"), name, self.owner())
        tpl.remove("NAME")
        vn.ars = []
        for index, ar in enumerate(tpl.get_all("AR")):
            vn.ars.append({"AR_ID": str(index), "TYPE": ar.get("TYPE", "IP4"), "IP": ar.get("IP", ""),
                           "SIZE": int(ar.get("SIZE", "1")), "leases": {}})
        tpl.remove("AR")
        tpl.set("SECURITY_GROUPS", "0")
        for key in ("OUTER_VLAN_ID", "PHYDEV", "VLAN_ID"):
            if key not in tpl:
                tpl.set(key, "")
        if "BRIDGE_TYPE" not in tpl:
            tpl.set("BRIDGE_TYPE", "linux")
        vn.template = tpl
        vn.state = 1
        self.pools["vn"][vn.id] = vn
        return vn.id

    def lease_nic(self, vn, vm_id):
        for ar in vn.ars:
            # like oned's address ranges: search from the index after the last lease, wrapping,
            # so a released address is not handed out again at once
            start = ar.setdefault("next", 0)
            for index in [(start + i) % ar["SIZE"] for i in range(ar["SIZE"])]:
                if index not in ar["leases"]:
                    ar["leases"][index] = vm_id
                    ar["next"] = (index + 1) % ar["SIZE"]
                    base = [int(x) for x in ar["IP"].split(".")]
                    value = (base[0] << 24 | base[1] << 16 | base[2] << 8 | base[3]) + index
                    octets = [(value >> s) & 0xFF for s in (24, 16, 8, 0)]
                    return ar["AR_ID"], ".".join(map(str, octets)), "02:00:" + ":".join("%02x" % o for o in octets)
        raise OneError("Error allocating a new virtual machine. Cannot get IP/MAC lease from virtual "
                       "network %d." % vn.id, errors.ALLOCATE)

    def _release_leases(self, vm):
        for vn in self.pools["vn"].values():
            for ar in vn.ars:
                for index in [i for i, owner in ar["leases"].items() if owner == vm.id]:
                    del ar["leases"][index]

    # -- images ----------------------------------------------------------------------------
    def image_allocate(self, text, ds_id):
        tpl = self._parse(text)
        ds = self.get("datastore", ds_id)
        name = tpl.get("NAME")
        if not name:
            raise OneError("Error allocating a new image. No NAME in template.", errors.ALLOCATE)
        self._check_name("image", "IMAGE", name)
        if ds.type == 1:
            raise OneError("Error allocating a new image. Datastore %d is not an image datastore."
                           % ds_id, errors.ALLOCATE)
        image = Image(self._new_id("image"), name, self.owner())
        type_name = (tpl.get("TYPE") or "OS").upper()
        image.type = IMAGE_TYPES.get(type_name, 0)
        image.persistent = 1 if (tpl.get("PERSISTENT") or "").upper() in ("YES", "1") else 0
        image.path = tpl.get("PATH") or ""
        image.format = tpl.get("FORMAT") or _guess_format(image.path)
        image.size = int(tpl.get("SIZE") or _size_mb(image.path))
        image.source = ""
        image.regtime = self.clock.epoch()
        image.state, image.prev_state = IMG_LOCKED, IMG_INIT
        image.datastore = ds
        image.vms = set()
        for key in ("NAME", "TYPE", "PERSISTENT", "PATH", "FORMAT", "SIZE", "SOURCE"):
            tpl.remove(key)
        if "DEV_PREFIX" not in tpl:
            tpl.set("DEV_PREFIX", "sd")
        image.template = tpl
        self.pools["image"][image.id] = image
        fault = self.faults.take("image_error")

        def copied(_when):
            if image.id not in self.pools["image"]:
                return
            if fault is not None:
                image.prev_state, image.state = image.state, IMG_ERROR
                image.template.set("ERROR", "%s" % fault.get("message", _default_image_error()))
            else:
                image.prev_state = image.state = IMG_READY
                image.source = "dummy_path"
        self.scheduler.after(self.timings.image_ready, copied)
        return image.id

    def image_delete(self, oid):
        image = self.get("image", oid)
        if image.vms:
            raise OneError("Cannot delete image %d: it is being used by %d VMs" % (oid, len(image.vms)),
                           errors.ACTION, oid)
        del self.pools["image"][oid]
        return oid

    # -- VM templates ---------------------------------------------------------------------
    def template_allocate(self, text):
        tpl = self._parse(text)
        name = tpl.get("NAME") or ""
        self._check_name("template", "TEMPLATE", name)
        template = VmTemplate(self._new_id("template"), name, self.owner())
        tpl.remove("NAME")
        template.template = tpl
        template.regtime = self.clock.epoch()
        self.pools["template"][template.id] = template
        return template.id

    def template_update(self, oid, text, merge):
        template = self.get("template", oid)
        new = self._parse(text)
        new.remove("NAME")
        template.template = template.template.merge(new) if merge else new
        return oid

    def template_delete(self, oid):
        self.get("template", oid)
        del self.pools["template"][oid]
        return oid

    def template_clone(self, oid, name):
        source = self.get("template", oid)
        self._check_name("template", "TEMPLATE", name)
        clone = VmTemplate(self._new_id("template"), name, self.owner())
        clone.template = source.template.copy()
        clone.regtime = self.clock.epoch()
        self.pools["template"][clone.id] = clone
        return clone.id

    def template_rename(self, oid, name):
        template = self.get("template", oid)
        self._check_name("template", "TEMPLATE", name)
        template.name = name
        return oid

    def template_instantiate(self, oid, name="", hold=False, extra="", uid=0):
        template = self.get("template", oid)
        tpl = template.template.copy()
        if extra:
            tpl.merge(extra if isinstance(extra, Template) else self._parse(extra))
        tpl.set("TEMPLATE_ID", str(oid))
        return self._create_vm(tpl, name or "", hold, uid, template.name)

    def vm_allocate(self, text, hold=False):
        tpl = self._parse(text)
        return self._create_vm(tpl, tpl.get("NAME") or "", hold, 0, None)

    # -- VMs -------------------------------------------------------------------------------
    def _create_vm(self, tpl, name, hold, uid, template_name):
        vm_id = self.next_ids["vm"]
        owner = self.owner(uid)
        tpl.remove("NAME")
        if not name:
            name = "%s-%d" % (template_name, vm_id) if template_name else "one-%d" % vm_id
        template, user_template = build_vm_templates(self, vm_id, name, owner, tpl)
        self._new_id("vm")
        vm = Vm(vm_id, name, owner)
        vm.template, vm.user_template = template, user_template
        vm.stime = int(self.scheduler.now())
        vm.etime = 0
        vm.state, vm.lcm_state = (HOLD if hold else PENDING), LCM_INIT
        vm.prev_state, vm.prev_lcm_state = vm.state, vm.lcm_state
        vm.deploy_id = ""
        vm.history = []
        vm.last_poll = 0
        vm.generation = 0
        vm.token = onegate_token(owner.token_password, vm_id, vm.stime)
        self.pools["vm"][vm_id] = vm
        for disk in template.get_all("DISK"):
            image = self.pools["image"].get(int(disk.get("IMAGE_ID", -1)))
            if image is not None:
                image.vms.add(vm_id)
                if image.state == IMG_READY:
                    image.prev_state, image.state = image.state, IMG_USED
        if not hold:
            self._schedule_vm(vm, self.timings.vm_pending, self._vm_prolog)
        return vm_id

    def _set_vm_state(self, vm, state, lcm_state):
        vm.prev_state, vm.prev_lcm_state = vm.state, vm.lcm_state
        vm.state, vm.lcm_state = state, lcm_state
        vm.generation += 1

    def _schedule_vm(self, vm, delay, step, base=None):
        generation = vm.generation

        def run(when):
            if vm.generation == generation:
                step(vm, when)
        self.scheduler.after(delay, run, base)

    def _vm_prolog(self, vm, when):
        if vm.state != PENDING:
            return
        hosts = [h for h in self.pools["host"].values() if h.state == 2]
        if not hosts:
            vm.user_template.set("SCHED_MESSAGE", "Cannot dispatch VM: No hosts enabled to run VMs")
            return  # re-scheduled when a host becomes MONITORED
        vm.user_template.remove("SCHED_MESSAGE")
        host = hosts[0]
        vm.history.append({"SEQ": len(vm.history), "HOSTNAME": host.name, "HID": host.id,
                           "STIME": int(when), "ETIME": 0, "ACTION": 0})
        self._set_vm_state(vm, ACTIVE, PROLOG)
        vm.template.set("TM_MAD_SYSTEM", "dummy")
        self._schedule_vm(vm, self.timings.vm_prolog, self._vm_boot, when)

    def _vm_boot(self, vm, when):
        self._set_vm_state(vm, ACTIVE, BOOT)
        vm.deploy_id = "%s:%s:dummy" % (vm.history[-1]["HOSTNAME"] if vm.history else "localhost", vm.name)
        self._schedule_vm(vm, self.timings.vm_boot, self._vm_running, when)

    def _vm_running(self, vm, when):
        fault = self.faults.take("vm_boot_failure",
                                 lambda f: f.get("name_contains") is None or f["name_contains"] in vm.name)
        if fault is not None:
            self._set_vm_state(vm, ACTIVE, BOOT_FAILURE)
            return
        self._set_vm_state(vm, ACTIVE, RUNNING)
        vm.last_poll = int(when)
        if self.vm_running_hooks:
            context = self.vm_context(vm.id)
            for hook in self.vm_running_hooks:
                self._pending_callbacks.append(lambda hook=hook: hook(vm.id, dict(context)))
        elif self.simulate_guest_ready and _context_flag(vm, "REPORT_READY") and _context_flag(vm, "TOKEN"):
            self._schedule_vm(vm, self.timings.guest_ready, self._guest_reports_ready, when)

    def _guest_reports_ready(self, vm, _when):
        # what one-context's net-99-report-ready does: PUT /vm READY=YES through OneGate
        if vm.state == ACTIVE and vm.lcm_state == RUNNING:
            vm.user_template.set("READY", "YES")

    def _vm_done(self, vm, when):
        self._set_vm_state(vm, DONE, LCM_INIT)
        vm.etime = int(when)
        if vm.history:
            vm.history[-1]["ETIME"] = int(when)
            vm.history[-1]["ACTION"] = 27
        self._release_leases(vm)
        for image in self.pools["image"].values():
            if vm.id in image.vms:
                image.vms.discard(vm.id)
                if not image.vms and image.state == IMG_USED:
                    image.prev_state, image.state = image.state, IMG_READY

    def vm_action(self, action, vm_id):
        if action not in VM_ACTIONS:
            raise OneError('Action "%s" is not supported' % action, errors.ACTION)
        vm = self.get("vm", vm_id)
        now = self.scheduler.now()
        if action in ("terminate", "terminate-hard"):
            if vm.state == DONE:
                return vm_id  # a no-op success on a DONE VM (recorded)
            if vm.state == ACTIVE:
                self._set_vm_state(vm, ACTIVE, SHUTDOWN)
                self._schedule_vm(vm, self.timings.vm_shutdown, self._vm_done)
            else:
                self._vm_done(vm, now)
        elif action in ("poweroff", "poweroff-hard", "undeploy", "undeploy-hard", "stop", "suspend"):
            self._require(vm, action, vm.state == ACTIVE and vm.lcm_state == RUNNING)
            target = {"poweroff": POWEROFF, "undeploy": UNDEPLOYED, "stop": STOPPED,
                      "suspend": SUSPENDED}[action.split("-")[0]]
            self._set_vm_state(vm, ACTIVE, {POWEROFF: SHUTDOWN_POWEROFF, UNDEPLOYED: SHUTDOWN_UNDEPLOY,
                                            STOPPED: EPILOG_STOP, SUSPENDED: SAVE_SUSPEND}[target])
            self._schedule_vm(vm, self.timings.vm_shutdown,
                              lambda v, _w: self._set_vm_state(v, target, LCM_INIT))
        elif action == "resume":
            self._require(vm, action, vm.state in (POWEROFF, UNDEPLOYED, STOPPED, SUSPENDED))
            self._set_vm_state(vm, ACTIVE, BOOT)
            self._schedule_vm(vm, self.timings.vm_boot, self._vm_running)
        elif action == "hold":
            self._require(vm, action, vm.state == PENDING)
            self._set_vm_state(vm, HOLD, LCM_INIT)
        elif action == "release":
            self._require(vm, action, vm.state == HOLD)
            self._set_vm_state(vm, PENDING, LCM_INIT)
            self._schedule_vm(vm, self.timings.vm_pending, self._vm_prolog)
        elif action in ("reboot", "reboot-hard"):
            self._require(vm, action, vm.state == ACTIVE and vm.lcm_state == RUNNING)
        return vm_id

    @staticmethod
    def _require(vm, action, allowed):
        if not allowed:
            raise OneError('Error performing action "%s": This action is not available for state %s'
                           % (action, _state_name(vm)), errors.ACTION, vm.id)

    def vm_recover(self, vm_id, operation):
        vm = self.get("vm", vm_id)
        if operation == 1:      # success
            self._set_vm_state(vm, ACTIVE, RUNNING)
        elif operation == 0:    # failure
            self._set_vm_state(vm, ACTIVE, BOOT_FAILURE)
        elif operation == 2:    # retry
            self._set_vm_state(vm, ACTIVE, BOOT)
            self._schedule_vm(vm, self.timings.vm_boot, self._vm_running)
        elif operation in (3, 4):  # delete / delete-recreate
            self._vm_done(vm, self.scheduler.now())
        return vm_id

    def vm_update(self, vm_id, text, merge):
        vm = self.get("vm", vm_id)
        new = text if isinstance(text, Template) else self._parse(text)
        if vm.state == DONE:
            raise OneError("Error updating virtual machine %d: VM is in DONE state" % vm_id,
                           errors.ACTION, vm_id)
        vm.user_template = vm.user_template.merge(new) if merge else new
        return vm_id

    def vm_rename(self, vm_id, name):
        self.get("vm", vm_id).name = name
        return vm_id

    # -- documents (OneFlow storage) ------------------------------------------------------
    def document_allocate(self, name, doc_type, body):
        doc = Document(self._new_id("document"), name, self.owner())
        doc.type, doc.body = doc_type, body
        self.pools["document"][doc.id] = doc
        return doc

    def document_delete(self, oid):
        self.get("document", oid)
        del self.pools["document"][oid]

    # -- context ----------------------------------------------------------------------------
    def vm_context(self, vm_id):
        """What OpenNebula gives the guest: CONTEXT variables, plus TOKENTXT (token.txt) and
        SERVICE_ID when the VM belongs to a service."""
        vm = self.get("vm", vm_id)
        context = dict(vm.template.get("CONTEXT") or {})
        if context.get("TOKEN", "").upper() == "YES":
            context["TOKENTXT"] = vm.token
        if "SERVICE_ID" in vm.user_template:
            context["SERVICE_ID"] = vm.user_template.get("SERVICE_ID")
        return context


def _context_flag(vm, name):
    return str((vm.template.get("CONTEXT") or {}).get(name, "")).upper() == "YES"


def _state_name(vm):
    names = {PENDING: "PENDING", HOLD: "HOLD", STOPPED: "STOPPED", SUSPENDED: "SUSPENDED", DONE: "DONE",
             POWEROFF: "POWEROFF", UNDEPLOYED: "UNDEPLOYED", INIT: "INIT"}
    if vm.state == ACTIVE:
        return {PROLOG: "PROLOG", BOOT: "BOOT", RUNNING: "RUNNING", SHUTDOWN: "SHUTDOWN",
                BOOT_FAILURE: "BOOT_FAILURE"}.get(vm.lcm_state, "ACTIVE")
    return names.get(vm.state, str(vm.state))


def _default_image_error():
    from .faults import DEFAULT_IMAGE_ERROR
    return DEFAULT_IMAGE_ERROR


def _guess_format(path):
    try:
        with open(path, "rb") as handle:
            return "qcow2" if handle.read(4) == b"QFI\xfb" else "raw"
    except OSError:
        return "raw"


def _size_mb(path):
    import os
    try:
        return max(1, -(-os.path.getsize(path) // (1024 * 1024)))
    except OSError:
        return 256
