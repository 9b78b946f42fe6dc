# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""OpenNebula template syntax: ``KEY="value"``, ``KEY=[A="b",C="d"]``, repeated keys for several vectors."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type


def _quote(value):
    if isinstance(value, bool):
        value = 'YES' if value else 'NO'
    return '"%s"' % str(value).replace('\\', '\\\\').replace('"', '\\"')


def render_template(attrs):
    """A dict as template text. Lists repeat the key, dicts become vectors. Key order is kept."""
    lines = []
    for key, value in attrs.items():
        for item in (value if isinstance(value, list) else [value]):
            if isinstance(item, dict):
                inner = ','.join('%s=%s' % (k, _quote(v)) for k, v in item.items())
                lines.append('%s=[%s]' % (key, inner))
            elif item is None:
                continue
            else:
                lines.append('%s=%s' % (key, _quote(item)))
    return '\n'.join(lines)


class TemplateSyntaxError(ValueError):
    pass


def _tokenize(text):
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in ' \t\r':
            i += 1
        elif c == '#':
            while i < n and text[i] != '\n':
                i += 1
        elif c in '\n=[],':
            yield (c, c)
            i += 1
        elif c == '"':
            i += 1
            buf = []
            while i < n and text[i] != '"':
                if text[i] == '\\' and i + 1 < n and text[i + 1] in '"\\':
                    i += 1
                buf.append(text[i])
                i += 1
            if i >= n:
                raise TemplateSyntaxError('unterminated string')
            i += 1
            yield ('str', ''.join(buf))
        else:
            start = i
            while i < n and text[i] not in '\n=[],"#':
                i += 1
            yield ('word', text[start:i].strip())


def _add(target, key, value):
    if key in target:
        if not isinstance(target[key], list):
            target[key] = [target[key]]
        target[key].append(value)
    else:
        target[key] = value


def parse_template(text):
    """Template text as a dict (keys upper-cased as oned does); a key given twice becomes a list."""
    tokens = list(_tokenize(text or ''))
    result = {}
    pos = 0

    def expect(kind):
        if pos >= len(tokens) or tokens[pos][0] != kind:
            raise TemplateSyntaxError('expected %r at token %d' % (kind, pos))

    while pos < len(tokens):
        kind, value = tokens[pos]
        if kind == '\n':
            pos += 1
            continue
        if kind != 'word' or not value:
            raise TemplateSyntaxError('expected an attribute name, got %r' % (value,))
        key = value.upper()
        pos += 1
        expect('=')
        pos += 1
        if pos < len(tokens) and tokens[pos][0] == '[':
            pos += 1
            vector = {}
            while True:
                while pos < len(tokens) and tokens[pos][0] in ('\n', ','):
                    pos += 1
                if pos < len(tokens) and tokens[pos][0] == ']':
                    pos += 1
                    break
                expect('word')
                sub = tokens[pos][1].upper()
                pos += 1
                expect('=')
                pos += 1
                sub_value = ''
                if pos < len(tokens) and tokens[pos][0] in ('str', 'word'):
                    sub_value = tokens[pos][1]
                    pos += 1
                vector[sub] = sub_value
            _add(result, key, vector)
        else:
            item = ''
            if pos < len(tokens) and tokens[pos][0] in ('str', 'word'):
                item = tokens[pos][1]
                pos += 1
            _add(result, key, item)
    return result


def normalise_template(attrs):
    """Compare-ready form: upper-case keys, string values, a one-element list unwrapped."""
    if isinstance(attrs, dict):
        return dict((str(k).upper(), normalise_template(v)) for k, v in attrs.items())
    if isinstance(attrs, list):
        items = [normalise_template(v) for v in attrs]
        return items[0] if len(items) == 1 else items
    if isinstance(attrs, bool):
        return 'YES' if attrs else 'NO'
    if attrs is None:
        return ''
    return str(attrs)
