# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Write docs/roles.md, the variable reference of the roles, from their meta/argument_specs.yml.

Run from anywhere with a Python that has PyYAML: .venv/bin/python docs/generate_role_docs.py
"""

import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROLES = ('superlink', 'supernode', 'appliance')
ENTRY_POINTS = ('install', 'configure', 'main', 'stop')
OUTPUT = os.path.join(ROOT, 'docs', 'roles.md')
COMMAND = '.venv/bin/python docs/generate_role_docs.py'

# Ansible documentation markup (C(x), O(x), V(x), ...) to Markdown.
MARKUP = re.compile(r'\b(C|O|V|E|RV|I|B|M|U)\(([^)]*)\)')


def markdown(text):
    """One table cell from a description (a string or a list of paragraphs)."""
    if isinstance(text, list):
        text = ' '.join(str(part) for part in text)

    def replace(match):
        kind, value = match.groups()
        if kind == 'I':
            return '*%s*' % value
        if kind == 'B':
            return '**%s**' % value
        return '`%s`' % value

    text = MARKUP.sub(replace, ' '.join(str(text or '').split()))
    return text.replace('|', '\\|')


def value(data):
    """A default or choice as it would be written in YAML, in backticks."""
    if data is None:
        return ''
    if isinstance(data, str):
        return '`"%s"`' % data if data == '' else '`%s`' % data
    return '`%s`' % yaml.safe_dump(data, default_flow_style=True).strip().replace('\n...', '').replace('|', '\\|')


def type_of(spec):
    kind = spec.get('type', 'str')
    if spec.get('elements'):
        kind = '%s of %s' % (kind, spec['elements'])
    return kind


def rows(options, prefix=''):
    for name, spec in sorted(options.items()):
        spec = spec or {}
        default = '(required)' if spec.get('required') else value(spec.get('default'))
        choices = ', '.join(value(choice) for choice in spec.get('choices') or [])
        cells = (prefix + name, type_of(spec), default, choices, markdown(spec.get('description')))
        yield '| `%s` | %s | %s | %s | %s |' % cells
        yield from rows(spec.get('options') or {}, prefix + name + '.')


def role_section(role):
    path = os.path.join(ROOT, 'roles', role, 'meta', 'argument_specs.yml')
    with open(path, encoding='utf-8') as handle:
        specs = yaml.safe_load(handle)['argument_specs']
    names = [n for n in ENTRY_POINTS if n in specs] + sorted(n for n in specs if n not in ENTRY_POINTS)
    lines = ['## Role `opennebula.flower.%s`' % role, '']
    for entry in names:
        spec = specs[entry]
        lines += ['### Entry point `%s`' % entry, '']
        if spec.get('short_description'):
            lines += [markdown(spec['short_description']) + '.', '']
        if spec.get('description'):
            lines += [markdown(spec['description']), '']
        if entry == 'main':
            lines += ['Used by `roles: [opennebula.flower.%s]` and by `include_role`/`import_role` without `tasks_from`.' % role, '']
        else:
            lines += ['Used by `include_role`/`import_role` with `tasks_from: %s`.' % entry, '']
        lines += ['| variable | type | default | choices | description |', '|---|---|---|---|---|']
        lines += list(rows(spec.get('options') or {}))
        lines.append('')
    return lines


def document():
    """The whole docs/roles.md text."""
    lines = ['# Role variables', '',
             '<!-- Generated from roles/*/meta/argument_specs.yml by `%s`; do not edit by hand. -->' % COMMAND, '',
             'Generated file: edit the roles\' `meta/argument_specs.yml` and run `%s` from the repository root.' % COMMAND,
             'The same specs are shown by `ansible-doc -t role opennebula.flower.<role>`, and Ansible validates a role\'s',
             'variables against them before the role runs.', '']
    for role in ROLES:
        lines += role_section(role)
    return '\n'.join(lines).rstrip('\n') + '\n'


def main():
    with open(OUTPUT, 'w', encoding='utf-8') as handle:
        handle.write(document())


if __name__ == '__main__':
    main()
