"""OpenNebula template syntax: `K="v"`, `K=v`, vectors `K=[A="b",C="d"]`, repeated
attributes (two `NIC=[...]` make a list), `#` comments.

A parsed template is a `Template`: attribute names (upper-cased, as oned stores them)
mapped to a list of values, each a string or a dict (a vector) of string values. Keeping
every attribute a list avoids the single-vs-list ambiguity until the document is
rendered; rendering decides (one element -> object, several -> list), as oned does.
"""

import re

_NAME = re.compile(r"[A-Za-z0-9_\-.]+")
_UNQUOTED = re.compile(r"[^\s,\[\]\"=#]+")


class TemplateSyntaxError(ValueError):
    pass


class Template:
    """Ordered multimap: NAME -> [value, ...]; value is str or dict[str, str]."""

    def __init__(self, items=None):
        self._attrs = {}
        for name, value in items or ():
            self.add(name, value)

    # -- construction -------------------------------------------------------------------
    def add(self, name, value):
        if isinstance(value, dict):
            value = {str(k).upper(): _scalar(v) for k, v in value.items()}
        else:
            value = _scalar(value)
        self._attrs.setdefault(str(name).upper(), []).append(value)

    def set(self, name, value):
        """Replace every attribute called `name` by one value."""
        self._attrs.pop(str(name).upper(), None)
        self.add(name, value)

    def remove(self, name):
        return self._attrs.pop(str(name).upper(), None)

    def merge(self, other):
        """oned's update type 1 (and instantiate's extra template): each attribute named
        in `other` replaces all attributes of that name here."""
        for name, values in other.items():
            self._attrs[name] = [dict(v) if isinstance(v, dict) else v for v in values]
        return self

    def copy(self):
        return Template().merge(self)

    # -- access -------------------------------------------------------------------------
    def items(self):
        return list(self._attrs.items())

    def names(self):
        return list(self._attrs)

    def get(self, name, default=None):
        values = self._attrs.get(str(name).upper())
        return values[0] if values else default

    def get_all(self, name):
        return list(self._attrs.get(str(name).upper(), []))

    def __contains__(self, name):
        return str(name).upper() in self._attrs

    def __len__(self):
        return len(self._attrs)

    def __eq__(self, other):
        return isinstance(other, Template) and self._attrs == other._attrs

    def __repr__(self):
        return "Template(%r)" % (self._attrs,)

    def to_dict(self):
        """Plain view: single values unwrapped, repeated ones as lists."""
        return {k: v[0] if len(v) == 1 else list(v) for k, v in self._attrs.items()}

    @classmethod
    def from_dict(cls, data):
        """Build from a JSON-like dict (OneFlow `template_contents`): dict -> vector,
        list -> repeated attribute, everything else -> string."""
        tpl = cls()
        for name, value in data.items():
            for item in value if isinstance(value, list) else [value]:
                tpl.add(name, item)
        return tpl

    def render(self):
        return render(self)


def _scalar(value):
    if isinstance(value, bool):
        return "YES" if value else "NO"
    return "" if value is None else str(value)


def _quote(value):
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(template):
    lines = []
    for name, values in template.items():
        for value in values:
            if isinstance(value, dict):
                inner = ",\n  ".join("%s=%s" % (k, _quote(v)) for k, v in value.items())
                lines.append("%s=[\n  %s ]" % (name, inner))
            else:
                lines.append("%s=%s" % (name, _quote(value)))
    return "\n".join(lines)


class _Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0

    def error(self, what):
        line = self.text.count("\n", 0, self.pos) + 1
        raise TemplateSyntaxError("syntax error, %s at line %d" % (what, line))

    def skip(self, newlines=True):
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            elif ch in " \t\r" or (newlines and ch == "\n"):
                self.pos += 1
            else:
                break

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, ch):
        self.skip()
        if self.peek() != ch:
            self.error("expected '%s'" % ch)
        self.pos += 1

    def name(self):
        self.skip()
        match = _NAME.match(self.text, self.pos)
        if not match:
            self.error("expected an attribute name")
        self.pos = match.end()
        return match.group(0).upper()

    def string(self):
        self.skip()
        if self.peek() == '"':
            self.pos += 1
            out = []
            while True:
                if self.pos >= len(self.text):
                    self.error("unterminated string")
                ch = self.text[self.pos]
                if ch == "\\" and self.pos + 1 < len(self.text) and self.text[self.pos + 1] in '"\\':
                    out.append(self.text[self.pos + 1])
                    self.pos += 2
                elif ch == '"':
                    self.pos += 1
                    return "".join(out)
                else:
                    out.append(ch)
                    self.pos += 1
        match = _UNQUOTED.match(self.text, self.pos)
        if not match:
            self.error("expected a value")
        self.pos = match.end()
        return match.group(0)

    def vector(self):
        self.expect("[")
        vector = {}
        while True:
            self.skip()
            if self.peek() == "]":
                self.pos += 1
                return vector
            key = self.name()
            self.expect("=")
            vector[key] = self.string()
            self.skip()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                self.error("expected ',' or ']'")

    def template(self):
        tpl = Template()
        while True:
            self.skip()
            if self.pos >= len(self.text):
                return tpl
            key = self.name()
            self.expect("=")
            self.skip(newlines=False)
            if self.peek() == "[":
                tpl.add(key, self.vector())
            elif self.peek() in ("\n", ""):
                tpl.add(key, "")
            else:
                tpl.add(key, self.string())


def parse(text):
    """Parse OpenNebula template text into a Template (TemplateSyntaxError on bad input)."""
    return _Parser(text or "").template()
