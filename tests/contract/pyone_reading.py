"""What pyone 7.3 (the oned client's transport) makes of a recorded or simulated methodResponse: the value,
the shape of its generated bindings, or its typed exception. No network: the response is handed to a real
OneServer through its transport."""

import re
import xmlrpc.client

from replay import IGNORED_PATHS


def pyone_reading(pyone, method, params, raw_xml):
    """('value', v) for a plain value, ('document', shape) for a bound XML document, ('error', class, text)."""
    server = pyone.OneServer("http://127.0.0.1:9/RPC2", session="<SESSION>", protocol="xmlrpc")
    server("transport").request = lambda host, handler, body, verbose=False: xmlrpc.client.loads(raw_xml)[0]
    call = server
    for part in method.split(".")[1:]:
        call = getattr(call, part)
    try:
        value = call(*params[1:])
    except pyone.OneException as exc:
        return ("error", type(exc).__name__, str(exc))
    if isinstance(value, (str, int, bool)) or value is None:
        return ("value", value)
    root = type(value).__name__
    return ("document", {root[:-3] if root.endswith("Sub") else root: binding_shape(value)})


def binding_shape(value):
    """A generateDS binding as nested dicts and lists (unset members left out), for compare_shapes."""
    if isinstance(value, list):
        return [binding_shape(v) for v in value]
    if isinstance(value, dict):
        # TEMPLATE and USER_TEMPLATE come from xmltodict; pyone turns their empty elements into "" only for
        # OrderedDicts, and xmltodict 1.x returns dicts, so an empty element reads as None here: an empty
        # text, which the contract compares as a text (as replay.compare_shapes does).
        return {k: "" if v is None else binding_shape(v) for k, v in value.items()}
    if hasattr(value, "original_tagname_"):
        return {k: binding_shape(v) for k, v in vars(value).items()
                if not k.endswith("_") and k != "custom_attrs" and v is not None and v != []}
    return value


def prune_ignored(tree, path=""):
    """Drop the subtrees the contract ignores (IGNORED_PATHS), list positions left out of the path."""
    if isinstance(tree, list):
        return [prune_ignored(v, path) for v in tree]
    if not isinstance(tree, dict):
        return tree
    kept = {}
    for key, value in tree.items():
        sub = "%s/%s" % (path, key) if path else key
        if not any(re.search(pattern, sub) for pattern, _reason in IGNORED_PATHS):
            kept[key] = prune_ignored(value, sub)
    return kept
