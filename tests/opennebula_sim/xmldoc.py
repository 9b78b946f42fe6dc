"""A tiny XML tree for oned documents: one tree renders both the XML-RPC body (with the
CDATA sections oned writes) and the JSON hash OneGate returns (Ruby OCA's to_hash)."""

from xml.sax.saxutils import escape


class Node:
    __slots__ = ("tag", "children", "text", "cdata")

    def __init__(self, tag, text=None, children=None, cdata=False):
        self.tag = tag
        self.text = text
        self.children = list(children or [])
        self.cdata = cdata

    def find(self, tag):
        for child in self.children:
            if child.tag == tag:
                return child
        return None


def el(tag, value=None, cdata=False):
    """A leaf: plain text (ints, ids, states) or CDATA (template values)."""
    return Node(tag, text=None if value is None else str(value), cdata=cdata)


def cd(tag, value):
    return el(tag, "" if value is None else value, cdata=True)


def parent(tag, *children):
    return Node(tag, children=[c for c in children if c is not None])


def _cdata(text):
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def to_xml(node):
    out = []
    _write(node, out)
    return "".join(out)


def _write(node, out):
    if node.children:
        out.append("<%s>" % node.tag)
        for child in node.children:
            _write(child, out)
        out.append("</%s>" % node.tag)
    elif node.text is None:
        out.append("<%s></%s>" % (node.tag, node.tag))
    elif node.cdata:
        out.append("<%s>%s</%s>" % (node.tag, _cdata(node.text), node.tag))
    else:
        out.append("<%s>%s</%s>" % (node.tag, escape(node.text), node.tag))


def to_hash(node):
    """Ruby OCA XMLElement#to_hash: every scalar a string, an empty element {}, an element
    that repeats a list, one that appears once an object."""
    return {node.tag: _hash_value(node)}


def _hash_value(node):
    if not node.children:
        return {} if node.text is None or (node.text == "" and not node.cdata) else node.text
    result = {}
    for child in node.children:
        value = _hash_value(child)
        if child.tag in result:
            if isinstance(result[child.tag], list):
                result[child.tag].append(value)
            else:
                result[child.tag] = [result[child.tag], value]
        else:
            result[child.tag] = value
    return result


def template_node(tag, template, sort=True):
    """A TEMPLATE/USER_TEMPLATE element from a Template; oned keeps attributes in a
    sorted multimap, so names (and vector keys) come out in alphabetical order."""
    children = []
    names = sorted(template.names()) if sort else template.names()
    for name in names:
        for value in template.get_all(name):
            if isinstance(value, dict):
                keys = sorted(value) if sort else list(value)
                children.append(parent(name, *[cd(k, value[k]) for k in keys]))
            else:
                children.append(cd(name, value))
    return Node(tag, children=children)
