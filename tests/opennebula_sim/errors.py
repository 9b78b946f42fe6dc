"""oned error codes and the failure a request raises inside the simulator."""

SUCCESS = 0x0000
AUTHENTICATION = 0x0100
AUTHORIZATION = 0x0200
NO_EXISTS = 0x0400
ACTION = 0x0800
XML_RPC_API = 0x1000
INTERNAL = 0x2000
ALLOCATE = 0x4000
LOCKED = 0x8000

# Object names as Request.cc prints them in "Error getting <object> [id]."
OBJECT_NAMES = {
    "vm": "virtual machine",
    "template": "virtual machine template",
    "image": "image",
    "document": "document",
    "zone": "zone",
    "host": "host",
    "vn": "virtual network",
    "datastore": "datastore",
    "user": "user",
    "market": "marketplace",
    "marketapp": "marketplaceapp",
}


class OneError(Exception):
    """A failed oned call: the message without the "[method] " prefix, the code, and the
    resp_obj_id (-1 unless the object is known, as oned does for NO_EXISTS)."""

    def __init__(self, message, code=INTERNAL, obj_id=-1):
        super().__init__(message)
        self.message = message
        self.code = code
        self.obj_id = obj_id


def not_found(kind, obj_id):
    return OneError("Error getting %s [%d]." % (OBJECT_NAMES[kind], obj_id), NO_EXISTS, obj_id)
