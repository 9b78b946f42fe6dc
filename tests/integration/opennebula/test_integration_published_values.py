# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Every attribute the collection publishes in OneGate, with its worst-case value, through the simulator's OneGate
(as strict as 7.4.0: it refuses commas, brackets and quotes, mangles backslashes and empty values).

Each value is published by onegate_vm as the VM would, then read back by the VM itself and by a peer through
``GET /service?extended=true``; both must see exactly what was published, and publishing it again changes nothing.
A publisher found in the roles, playbooks or plugins without a case here fails ``test_every_published_attribute``.
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import glob
import os
import shlex

import pytest
import yaml
from ansible.module_utils import basic

from ansible_collections.opennebula.flower.plugins.module_utils import _appliance_schema as schema
from ansible_collections.opennebula.flower.plugins.module_utils._tls import (
    build_ca, build_server, cert_pem, generate_key, ssh_public_line)
from ansible_collections.opennebula.flower.plugins.modules import flower_appliance_context, onegate_service_info, \
    onegate_vm
from tests.integration.opennebula.test_integration_onegate import _as_vm, _service, _vm_ids

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
# Wrong texts tried for each variable until the schema refuses one; they hold what OneGate refuses.
WRONG = ('nope, [x] "q" \\ {0}', '-1, [x] "q"', 'not-a-version, [x]')


def every_variable_wrong(role):
    """A context where every variable of ``role`` the schema can refuse is wrong."""
    context = {}
    for var in schema.variables_for(role):
        for text in WRONG:
            text = text.format(var.name)
            if schema._parse(var, text)[1]:
                context[var.context_name] = text
                break
    return context


def longest_fl_error(run_module, tmp_path):
    """The FL_ERROR text each role's appliance would publish with every variable wrong (as configure.yml makes
    it: the failed task's message), the longer of the two."""
    texts = []
    for role in (schema.SUPERLINK, schema.SUPERNODE):
        directory = tmp_path / ('context-' + role)
        directory.mkdir()
        context = every_variable_wrong(role)
        (directory / 'context.sh').write_text(''.join('%s=%s\n' % (k, shlex.quote(v)) for k, v in context.items()))
        result = run_module(flower_appliance_context, dict(role=role, context_dirs=[str(directory)],
                                                           one_env=str(tmp_path / 'absent'),
                                                           installed_versions=['1.42.0']))
        assert result.get('failed') and len(context) > 10, result
        texts.append(result['msg'])
    return max(texts, key=len)


def ca_chain():
    root_key, inter_key, leaf_key = generate_key(), generate_key(), generate_key()
    root = build_ca(root_key, 'root CA, "quoted" [x]', 3650)
    inter = build_server(inter_key, root, root_key, 'intermediate', ['DNS:a.example'], 3650)
    leaf = build_server(leaf_key, inter, inter_key, 'superlink', ['IP:198.18.0.10'], 365)
    return ''.join(cert_pem(c).decode() for c in (leaf, inter, root))


def worst_cases(run_module, tmp_path):
    return {
        'FL_ENDPOINT': ['198.18.0.10:9092', '[2001:db8::10]:9092'],
        'FL_CA_CERT': [ca_chain()],
        'FL_VERSION': ['1.42.0'],
        'FL_TLS': ['YES', 'NO'],
        'FL_AUTH': ['YES', 'NO'],
        'FL_READY': ['YES', 'NO'],
        'READY': ['YES'],
        'FL_ERROR': [longest_fl_error(run_module, tmp_path)],
        'FL_NODE_PUBKEY': [ssh_public_line(generate_key())],
        'FL_ENROLLED': [[str(4294967000 + i) for i in range(100)]],
    }


def _yaml_publications(path):
    names = set()

    def walk(node):
        if isinstance(node, dict):
            task = node.get('opennebula.flower.onegate_vm')
            if isinstance(task, dict) and isinstance(task.get('attributes'), dict):
                names.update(task['attributes'])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    with open(path) as handle:
        walk(yaml.safe_load(handle))
    return names


def _python_publications(path):
    """Attribute names in dict literals passed to ensure_vm_attributes (its third argument)."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, 'id', None) == 'ensure_vm_attributes' \
                and len(node.args) > 2 and isinstance(node.args[2], ast.Dict):
            names.update(k.value for k in node.args[2].keys if isinstance(k, ast.Constant))
    return names


def published_attributes():
    names = set()
    for path in glob.glob(os.path.join(REPO, 'roles', '**', '*.yml'), recursive=True) + \
            glob.glob(os.path.join(REPO, 'playbooks', '*.yml')):
        names |= _yaml_publications(path)
    for path in glob.glob(os.path.join(REPO, 'plugins', '**', '*.py'), recursive=True):
        names |= _python_publications(path)
    return names


def test_every_published_attribute_has_a_worst_case(run_module, tmp_path):
    found = published_attributes()
    assert {'FL_ENDPOINT', 'FL_ERROR', 'FL_ENROLLED', 'FL_NODE_PUBKEY'} <= found, found
    missing = found - set(worst_cases(run_module, tmp_path))
    assert not missing, 'published without a worst-case test here: %s' % ', '.join(sorted(missing))


def test_worst_case_values_travel_through_a_strict_onegate(sim, run_module, tmp_path):
    service_id, _client = _service(sim, run_module)
    vms = _vm_ids(sim, service_id)
    publisher, peer = vms['superlink'][0], vms['supernode'][0]
    as_publisher, as_peer = _as_vm(sim, publisher, tmp_path), _as_vm(sim, peer, tmp_path)
    for name, values in sorted(worst_cases(run_module, tmp_path).items()):
        for value in values:
            published = run_module(onegate_vm, dict(as_publisher, attributes={name: value}))
            assert not published.get('failed'), (name, published.get('msg'))
            assert published['user_template'][name] == value, name
            seen = run_module(onegate_service_info, as_peer)
            node = [n for r in seen['roles'] for n in r['nodes'] if n['id'] == publisher][0]
            assert node['user_template'][name] == value, name
            assert not run_module(onegate_vm, dict(as_publisher, attributes={name: value}))['changed'], name


def test_the_longest_fl_error_names_every_wrong_variable(run_module, tmp_path):
    text = longest_fl_error(run_module, tmp_path)
    wrong = every_variable_wrong(schema.SUPERLINK)
    assert all(name in text for name in wrong), [n for n in wrong if n not in text]
    assert ',' in text and '[' in text and '"' in text


@pytest.mark.parametrize('value', ['', []])
def test_an_empty_value_erases_the_attribute_instead_of_storing_a_quote(sim, run_module, tmp_path, value):
    service_id, _client = _service(sim, run_module)
    vm = _vm_ids(sim, service_id)['superlink'][0]
    as_vm = _as_vm(sim, vm, tmp_path)
    run_module(onegate_vm, dict(as_vm, attributes={'FL_ENROLLED': ['3']}))
    erased = run_module(onegate_vm, dict(as_vm, attributes={'FL_ENROLLED': value}))
    assert erased['changed'] and 'FL_ENROLLED' not in erased['user_template']
    assert 'FL_ENROLLED' not in sim.vm(vm).user_template


def test_a_failed_publication_is_retried_with_backoff_and_each_retry_reported(
        sim, run_module, tmp_path, monkeypatch):
    # What the module warns (in a playbook: the play's output, so the journal); recorded here directly, since a
    # test process that loaded controller code sends module warnings to the display instead of the result.
    warned = []
    monkeypatch.setattr(basic.AnsibleModule, 'warn', lambda self, text, *args, **kwargs: warned.append(text))
    service_id, _client = _service(sim, run_module)
    vm = _vm_ids(sim, service_id)['superlink'][0]
    as_vm = _as_vm(sim, vm, tmp_path)
    sim.inject('http_error', api='onegate', status=500, body='Internal server error', count=2)
    published = run_module(onegate_vm, dict(as_vm, attributes={'FL_READY': 'NO', 'FL_ERROR': 'a, b'}))
    assert published['changed'] and published['user_template']['FL_ERROR'] == 'a, b'
    assert [w.split('; ')[1][:12] for w in warned] == ['retry 1 of 3', 'retry 2 of 3']
    assert all(w.startswith('OneGate: Internal server error; ') for w in warned)

    del warned[:]
    sim.inject('http_error', api='onegate', status=500, body='Internal server error', count=5)
    failed = run_module(onegate_vm, dict(as_vm, retries=1, attributes={'FL_ERROR': 'c'}))
    assert failed['failed'] and 'Internal server error' in failed['msg']
    assert [w.split('; ')[1][:12] for w in warned] == ['retry 1 of 1']
