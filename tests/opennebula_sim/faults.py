"""Fault injection: armed faults are consumed by the next matching event.

Kinds:
  vm_boot_failure  next VM(s) end in ACTIVE/BOOT_FAILURE (LCM 36) instead of RUNNING;
                   kw: count=1, name_contains=None (match on the VM name, e.g. a role name)
  image_error      next image(s) end in ERROR (5) with TEMPLATE/ERROR; kw: count=1,
                   message="Error copying image in the datastore: ..."
  http_error       next HTTP/XML-RPC request(s) to an API answer with a bare status;
                   kw: api="oneflow"|"onegate"|"xmlrpc", status=503, count=1
"""

import threading

KINDS = ("vm_boot_failure", "image_error", "http_error")

DEFAULT_IMAGE_ERROR = ("Error copying image in the datastore: Could not copy image file "
                       "(simulated fault)")


class Faults:
    def __init__(self):
        self._armed = []
        self._lock = threading.Lock()

    def arm(self, kind, count=1, **kw):
        if kind not in KINDS:
            raise ValueError("unknown fault %r (known: %s)" % (kind, ", ".join(KINDS)))
        with self._lock:
            self._armed.append({"kind": kind, "count": int(count), **kw})

    def take(self, kind, match=lambda fault: True):
        """Consume one shot of the first armed fault of this kind that matches."""
        with self._lock:
            for fault in self._armed:
                if fault["kind"] == kind and fault["count"] > 0 and match(fault):
                    fault["count"] -= 1
                    if fault["count"] == 0:
                        self._armed.remove(fault)
                    return fault
        return None

    def clear(self):
        with self._lock:
            self._armed.clear()

    def armed(self):
        with self._lock:
            return [dict(f) for f in self._armed]
