"""oned's XML-RPC API (/RPC2): method table, `[ok, value, code(, obj_id, idx)]` arrays,
and the wire types oned uses (boolean, i4, string, and i8 for a failure's last item)."""

import xmlrpc.client
from xml.sax.saxutils import escape

from . import documents as docs
from . import errors
from .errors import OneError
from .state import DONE
from .xmldoc import to_xml


class I8(int):
    """An int oned sends as <i8>."""


def encode_value(value):
    if isinstance(value, bool):
        return "<value><boolean>%d</boolean></value>" % value
    if isinstance(value, I8) or (isinstance(value, int) and not -2 ** 31 <= value < 2 ** 31):
        return "<value><i8>%d</i8></value>" % value
    if isinstance(value, int):
        return "<value><i4>%d</i4></value>" % value
    return "<value><string>%s</string></value>" % escape(str(value))


def encode_response(values):
    items = "\n".join(encode_value(v) for v in values)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>\n<params>\n'
            '<param><value><array><data>\n%s\n</data></array></value></param>\n</params>\n'
            '</methodResponse>\n' % items)


def encode_fault(code, message):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>\n<fault>\n<value><struct>\n'
            '<member><name>faultCode</name><value><i4>%d</i4></value></member>\n'
            '<member><name>faultString</name><value><string>%s</string></value></member>\n'
            '</struct></value>\n</fault>\n</methodResponse>\n' % (code, escape(message)))


def _in_range(oid, start, end):
    return (start < 0 or oid >= start) and (end < 0 or oid <= end)


def _visible(filter_flag, start, end, objects):
    """Pool filter: -2 all, -1 mine+group, -3 mine, -4 group, >= 0 that uid (everything here
    belongs to oneadmin, uid 0 / gid 0)."""
    if filter_flag >= 0 and filter_flag != 0:
        return []
    return [o for o in sorted(objects, key=lambda o: o.id) if _in_range(o.id, start, end)]


class XmlRpcApi:
    def __init__(self, state):
        self.state = state
        self.methods = {
            "one.system.version": lambda: self.state.version,
            "one.user.info": self.user_info,
            "one.userpool.info": lambda: self._pool("USER_POOL", docs.user, self.state.users.by_id.values()),
            "one.zonepool.info": self.zonepool_info,
            "one.zone.info": self.zone_info,
            "one.marketpool.info": lambda: self._pool("MARKETPLACE_POOL", docs.marketplace,
                                                      sorted(self.pools("market").values(), key=lambda m: -m.id)),
            "one.market.enable": self.state.market_enable,
            "one.datastorepool.info": self.datastorepool_info,
            "one.datastore.info": lambda oid, *_: to_xml(docs.datastore(self.state.get("datastore", oid))),
            "one.datastore.update": lambda oid, tmpl, kind=0: self.state.datastore_update(oid, tmpl, kind == 1),
            "one.host.allocate": lambda name, im, vmm, cluster=-1: self.state.host_allocate(name, im, vmm, cluster),
            "one.host.info": self.host_info,
            "one.hostpool.info": lambda: self._pool("HOST_POOL", self._host_doc, self.pools("host").values()),
            "one.vn.allocate": lambda tmpl, cluster=-1: self.state.vn_allocate(tmpl, cluster),
            "one.vn.info": lambda oid, *_: to_xml(docs.vnet(self.state.get("vn", oid))),
            "one.vnpool.info": lambda f=-2, s=-1, e=-1: self._pool("VNET_POOL", docs.vnet,
                                                                   _visible(f, s, e, self.pools("vn").values())),
            "one.image.allocate": lambda tmpl, ds, *_: self.state.image_allocate(tmpl, ds),
            "one.image.info": lambda oid, *_: to_xml(docs.image(self.state.get("image", oid))),
            "one.image.delete": lambda oid, *_: self.state.image_delete(oid),
            "one.image.update": self.image_update,
            "one.image.rename": self.image_rename,
            "one.image.chmod": lambda oid, *_: self.state.get("image", oid).id,
            "one.imagepool.info": lambda f=-2, s=-1, e=-1: self._pool("IMAGE_POOL", docs.image,
                                                                      _visible(f, s, e, self.pools("image").values())),
            "one.template.allocate": self.state.template_allocate,
            "one.template.info": lambda oid, *_: to_xml(docs.vm_template(self.state.get("template", oid))),
            "one.template.update": lambda oid, tmpl, kind=0: self.state.template_update(oid, tmpl, kind == 1),
            "one.template.delete": lambda oid, *_: self.state.template_delete(oid),
            "one.template.clone": lambda oid, name, *_: self.state.template_clone(oid, name),
            "one.template.rename": self.state.template_rename,
            "one.template.chmod": lambda oid, *_: self.state.get("template", oid).id,
            "one.template.instantiate": lambda oid, name="", hold=False, extra="", *_:
                self.state.template_instantiate(oid, name, hold, extra),
            "one.templatepool.info": lambda f=-2, s=-1, e=-1: self._pool(
                "VMTEMPLATE_POOL", docs.vm_template, _visible(f, s, e, self.pools("template").values())),
            "one.vm.allocate": lambda tmpl, hold=False: self.state.vm_allocate(tmpl, hold),
            "one.vm.info": lambda oid, *_: to_xml(docs.vm(self.state.get("vm", oid))),
            "one.vm.action": self.state.vm_action,
            "one.vm.update": lambda oid, tmpl, kind=0: self.state.vm_update(oid, tmpl, kind == 1),
            "one.vm.rename": self.state.vm_rename,
            "one.vm.recover": self.state.vm_recover,
            "one.vm.chmod": lambda oid, *_: self.state.get("vm", oid).id,
            "one.vmpool.info": lambda f=-2, s=-1, e=-1, st=-1, *_: self.vmpool(f, s, e, st, docs.vm_short),
            "one.vmpool.infoextended": lambda f=-2, s=-1, e=-1, st=-1, *_: self.vmpool(f, s, e, st, docs.vm),
            "one.vmpool.infoset": self.vmpool_infoset,
            "one.documentpool.info": self.documentpool_info,
            "one.document.info": lambda oid, *_: to_xml(docs.document(self.state.get("document", oid))),
        }

    def pools(self, kind):
        return self.state.pools[kind]

    @staticmethod
    def _pool(tag, render, objects):
        return to_xml(docs.pool(tag, [render(o) for o in objects]))

    # -- handlers that need more than one line --------------------------------------------
    def user_info(self, oid=-1, *_):
        uid = self._caller.id if oid == -1 else oid
        user = self.state.users.by_id.get(uid)
        if user is None:
            raise errors.not_found("user", uid)
        return to_xml(docs.user(user))

    def zonepool_info(self):
        zones = [docs.zone(zid, name, endpoint) for zid, (name, endpoint) in sorted(self.state.zone_endpoints.items())]
        return to_xml(docs.pool("ZONE_POOL", zones))

    def zone_info(self, oid, *_):
        if oid not in self.state.zone_endpoints:
            raise errors.not_found("zone", oid)
        name, endpoint = self.state.zone_endpoints[oid]
        return to_xml(docs.zone(oid, name, endpoint))

    def datastorepool_info(self):
        stores = sorted(self.pools("datastore").values(), key=lambda d: -d.id)

        def images(ds):
            return sorted(i.id for i in self.pools("image").values() if i.datastore is ds)
        return to_xml(docs.pool("DATASTORE_POOL", [docs.datastore(d, images(d)) for d in stores]))

    def _host_doc(self, host):
        vms = sorted(v.id for v in self.pools("vm").values()
                     if v.state != DONE and v.history and v.history[-1]["HID"] == host.id)
        return docs.host(host, vms)

    def host_info(self, oid, *_):
        return to_xml(self._host_doc(self.state.get("host", oid)))

    def image_update(self, oid, tmpl, kind=0):
        image = self.state.get("image", oid)
        new = self.state._parse(tmpl)
        image.template = image.template.merge(new) if kind == 1 else new
        return oid

    def image_rename(self, oid, name):
        image = self.state.get("image", oid)
        self.state._check_name("image", "IMAGE", name)
        image.name = name
        return oid

    def vmpool(self, filter_flag, start, end, vm_state, render):
        vms = _visible(filter_flag, start, end, self.pools("vm").values())
        if vm_state == -1:
            vms = [v for v in vms if v.state != DONE]
        elif vm_state >= 0:
            vms = [v for v in vms if v.state == vm_state]
        return self._pool("VM_POOL", render, sorted(vms, key=lambda v: -v.id))

    def vmpool_infoset(self, ids, extended=False):
        wanted = {int(i) for i in str(ids).split(",") if i.strip()}
        vms = [v for v in self.pools("vm").values() if v.id in wanted]
        return self._pool("VM_POOL", docs.vm if extended else docs.vm_short, sorted(vms, key=lambda v: -v.id))

    def documentpool_info(self, f=-2, s=-1, e=-1, doc_type=-1):
        found = [d for d in _visible(f, s, e, self.pools("document").values()) if doc_type in (-1, d.type)]
        return self._pool("DOCUMENT_POOL", docs.document, found)

    # -- dispatch ----------------------------------------------------------------------------
    def call(self, method, params):
        """Run one call; returns the response array."""
        if method not in self.methods:
            raise LookupError(method)
        if not params:
            return [False, "[%s] User couldn't be authenticated, aborting call." % method,
                    errors.AUTHENTICATION, -1, I8(-1)]
        self.state.catch_up()
        with self.state.lock:
            user = self.state.users.authenticate(params[0])
            if user is None:
                return [False, "[%s] User couldn't be authenticated, aborting call." % method,
                        errors.AUTHENTICATION, -1, I8(-1)]
            self._caller = user
            try:
                value = self.methods[method](*params[1:])
            except OneError as exc:
                return [False, "[%s] %s" % (method, exc.message), exc.code, exc.obj_id, I8(-1)]
        return [True, value, errors.SUCCESS]

    def handle(self, body):
        """Decode a methodCall body and return the methodResponse text."""
        try:
            params, method = xmlrpc.client.loads(body, use_builtin_types=True)
        except Exception as exc:  # malformed XML is an XML-RPC fault, as xmlrpc-c answers
            return encode_fault(-503, "Call XML not a proper XML-RPC call: %s" % exc)
        try:
            return encode_response(self.call(method, list(params)))
        except LookupError:
            return encode_fault(-506, "Method '%s' not defined" % method)
        except TypeError as exc:
            return encode_fault(-501, "Type mismatch or wrong number of parameters: %s" % exc)
