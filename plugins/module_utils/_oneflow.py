# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""OneFlow REST client and service-template handling for the 6.x and 7.x schemas.

OneFlow answers JSON labelled ``text/html`` and plain-text errors; ``_http`` maps those. Cardinality changes
go through ``POST /service/<id>/scale`` with ``force`` always present (``PUT /service/<id>/role/<r>``, which
community.general uses, is a 404 on 6.x and 7.x, and a body without ``force`` can make OneFlow fail with 500).
"""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import copy

from ansible_collections.opennebula.flower.plugins.module_utils._http import NotFoundError
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import as_list
from ansible_collections.opennebula.flower.plugins.module_utils._one_template_syntax import (
    normalise_template, parse_template, render_template,
)
from ansible_collections.opennebula.flower.plugins.module_utils._waiter import ABSENT, StateTable, WaitError

SERVICE_STATES = ['PENDING', 'DEPLOYING', 'RUNNING', 'UNDEPLOYING', 'WARNING', 'DONE', 'FAILED_UNDEPLOYING',
                  'FAILED_DEPLOYING', 'SCALING', 'FAILED_SCALING', 'COOLDOWN', 'DEPLOYING_NETS',
                  'UNDEPLOYING_NETS', 'FAILED_DEPLOYING_NETS', 'FAILED_UNDEPLOYING_NETS', 'HOLD']
ROLE_STATES = ['PENDING', 'DEPLOYING', 'RUNNING', 'UNDEPLOYING', 'WARNING', 'DONE', 'FAILED_UNDEPLOYING',
               'FAILED_DEPLOYING', 'SCALING', 'FAILED_SCALING', 'COOLDOWN', 'HOLD']

SCHEMAS = ('6', '7')


def state_name(value, table=None):
    """State number (int, or a numeric string in older documents) to its name (service states by default)."""
    table = SERVICE_STATES if table is None else table
    try:
        index = int(value)
    except (TypeError, ValueError):
        return str(value)
    return table[index] if 0 <= index < len(table) else 'STATE_%d' % index


def schema_for_version(version):
    """'7' for OpenNebula 7.x and later, '6' before (``one.system.version`` gives e.g. ``7.4.0``)."""
    try:
        major = int(str(version).strip().split('.', maxsplit=1)[0])
    except ValueError:
        raise ValueError('cannot read an OpenNebula version from %r' % (version,))
    return '7' if major >= 7 else '6'


# ---------------------------------------------------------------------------------------------------------------
# Template documents

_ROLE_INT_KEYS = ('cardinality', 'min_vms', 'max_vms', 'cooldown', 'template_id', 'vm_template')
_POLICY_INT_KEYS = ('adjust', 'min_adjust_step', 'period_number', 'period', 'cooldown')
_SERVER_KEYS = ('registration_time',)
# Values equal to these are dropped before comparing, so a server that fills defaults in stays idempotent.
_TOP_DEFAULTS = {'description': '', 'deployment': 'none'}
_ROLE_DEFAULTS = {'parents': [], 'elasticity_policies': [], 'scheduled_policies': [], 'on_hold': False}


def _to_int(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip('-').isdigit():
        return int(value)
    return value


def to_schema(body, schema):
    """Convert a service template body to the 6.x or 7.x schema, whichever form it was written in.

    7.x: ``template_id``, ``type``, ``template_contents`` (object), ``user_inputs``.
    6.x: ``vm_template``, ``vm_template_contents`` (template text), ``custom_attrs``.
    """
    if schema not in SCHEMAS:
        raise ValueError('schema must be one of %s' % ', '.join(SCHEMAS))
    doc = copy.deepcopy(body)
    if schema == '7':
        _rename(doc, 'custom_attrs', 'user_inputs')
        _rename(doc, 'custom_attrs_values', 'user_inputs_values')
    else:
        _rename(doc, 'user_inputs', 'custom_attrs')
        _rename(doc, 'user_inputs_values', 'custom_attrs_values')
    for role in doc.get('roles') or []:
        if schema == '7':
            _rename(role, 'vm_template', 'template_id')
            if isinstance(role.get('vm_template_contents'), str):
                role['template_contents'] = parse_template(role.pop('vm_template_contents'))
            _rename(role, 'custom_attrs', 'user_inputs')
            _rename(role, 'custom_attrs_values', 'user_inputs_values')
            role.setdefault('type', 'vm')
        else:
            if role.get('type', 'vm') != 'vm':
                raise ValueError("role %r: type %r needs OpenNebula 7 (the 6.x schema has only VM roles)"
                                 % (role.get('name'), role.get('type')))
            role.pop('type', None)
            _rename(role, 'template_id', 'vm_template')
            if isinstance(role.get('template_contents'), dict):
                role['vm_template_contents'] = render_template(role.pop('template_contents'))
            _rename(role, 'user_inputs', 'custom_attrs')
            _rename(role, 'user_inputs_values', 'custom_attrs_values')
    return doc


def _rename(d, old, new):
    if old in d and new not in d:
        d[new] = d.pop(old)


def normalise_template_body(body):
    """The part of a template body that the user owns, in a comparable form.

    Drops server-managed keys and default values, turns numeric strings into integers as OneFlow's
    validator does, and parses 6.x ``vm_template_contents`` text so formatting does not count.
    """
    doc = copy.deepcopy(body or {})
    for key in _SERVER_KEYS:
        doc.pop(key, None)
    _drop_defaults(doc, _TOP_DEFAULTS)
    for role in doc.get('roles') or []:
        for key in _ROLE_INT_KEYS:
            if key in role:
                role[key] = _to_int(role[key])
        _drop_defaults(role, _ROLE_DEFAULTS)
        if isinstance(role.get('vm_template_contents'), str):
            role['vm_template_contents'] = normalise_template(parse_template(role['vm_template_contents']))
        for policy in (role.get('elasticity_policies') or []) + (role.get('scheduled_policies') or []):
            for key in _POLICY_INT_KEYS:
                if key in policy:
                    policy[key] = _to_int(policy[key])
    return doc


def _drop_defaults(d, defaults):
    for key in list(d):
        if d[key] is None or (key in defaults and d[key] == defaults[key]):
            del d[key]


def template_differs(desired, existing):
    return normalise_template_body(desired) != normalise_template_body(existing)


def build_merge_template(template_body, schema, name=None, user_inputs_values=None, networks_values=None,
                         roles=None):
    """``merge_template`` for instantiate: 7.x merges ``roles`` by name, 6.x by index.

    ``roles`` is a list of ``{name, cardinality, template_contents, user_inputs_values}`` overrides.
    """
    merge = {}
    if name is not None:
        merge['name'] = name
    values_key = 'user_inputs_values' if schema == '7' else 'custom_attrs_values'
    if user_inputs_values:
        merge[values_key] = _stringify(user_inputs_values)
    if networks_values:
        merge['networks_values'] = networks_values
    if not roles:
        return merge
    template_roles = [r.get('name') for r in (template_body or {}).get('roles') or []]
    entries = []
    for override in roles:
        if override.get('name') not in template_roles:
            raise ValueError('role %r is not in the service template (roles: %s)'
                             % (override.get('name'), ', '.join(map(str, template_roles))))
        entry = {}
        if override.get('cardinality') is not None:
            entry['cardinality'] = int(override['cardinality'])
        if override.get('template_contents'):
            if schema == '7':
                entry['template_contents'] = override['template_contents']
            else:
                entry['vm_template_contents'] = render_template(override['template_contents'])
        if override.get('user_inputs_values'):
            entry[values_key] = _stringify(override['user_inputs_values'])
        entries.append((override['name'], entry))
    if schema == '7':
        merge['roles'] = [dict(name=n, **e) for n, e in entries]
    else:
        by_index = [{} for dummy in template_roles]
        for role_name, entry in entries:
            by_index[template_roles.index(role_name)].update(entry)
        merge['roles'] = by_index
    return merge


def _stringify(values):
    return dict((k, v if isinstance(v, str) else ('YES' if v is True else 'NO' if v is False else str(v)))
                for k, v in values.items())


# ---------------------------------------------------------------------------------------------------------------
# Documents and services


def documents(pool):
    """DOCUMENT entries of a pool; an empty pool is ``{"DOCUMENT_POOL":{}}``."""
    return as_list(((pool or {}).get('DOCUMENT_POOL') or {}).get('DOCUMENT'))


def unwrap(doc):
    return doc['DOCUMENT'] if isinstance(doc, dict) and 'DOCUMENT' in doc else doc


def body_of(doc):
    return ((unwrap(doc).get('TEMPLATE') or {}).get('BODY')) or {}


def doc_id(doc):
    return int(unwrap(doc)['ID'])


def find_document(docs, name, skip_done=False):
    """The document named ``name`` or None; ValueError when several share the name."""
    matches = []
    for doc in docs:
        if unwrap(doc).get('NAME') != name:
            continue
        if skip_done and state_name(body_of(doc).get('state')) == 'DONE':
            continue
        matches.append(doc)
    if len(matches) > 1:
        raise ValueError('%d OneFlow documents are named %r (ids %s); names must be unique'
                         % (len(matches), name, ', '.join(str(doc_id(d)) for d in matches)))
    return matches[0] if matches else None


def service_state(doc):
    return state_name(body_of(doc).get('state'))


def role_cardinalities(doc):
    return dict((r.get('name'), int(r.get('cardinality', 0))) for r in body_of(doc).get('roles') or [])


def log_tail(doc, count=5):
    """The last OneFlow log lines of a service, errors first, for failure messages."""
    log = body_of(doc).get('log') or []
    errors = [e for e in log if e.get('severity') == 'E']
    chosen = (errors or log)[-count:]
    return '; '.join('[%s] %s' % (e.get('severity', '?'), e.get('message', '')) for e in chosen)


def service_summary(doc, vm_lookup=None):
    """Service id, name, state and each role's VMs. ``vm_lookup(id)`` returns a VM summary or None."""
    body = body_of(doc)
    roles = []
    for role in body.get('roles') or []:
        vms = []
        for node in role.get('nodes') or []:
            vm_id = node.get('deploy_id')
            if vm_id is None:
                continue
            info = vm_lookup(int(vm_id)) if vm_lookup else None
            if info is None:
                vm = ((node.get('vm_info') or {}).get('VM') or {})
                info = {'id': int(vm_id), 'name': vm.get('NAME'), 'state': None, 'ips': [], 'nics': [],
                        'user_template': {}}
            vms.append(info)
        roles.append({'name': role.get('name'), 'cardinality': int(role.get('cardinality', 0)),
                      'state': state_name(role.get('state', 0), ROLE_STATES), 'vms': vms})
    return {'id': doc_id(doc), 'name': unwrap(doc).get('NAME'), 'state': service_state(doc), 'roles': roles}


class OneFlowClient:
    def __init__(self, http):
        self.http = http

    # service templates
    def list_templates(self):
        return documents(self.http.request('GET', '/service_template').json())

    def get_template(self, template_id):
        return unwrap(self.http.request('GET', '/service_template/%d' % int(template_id)).json())

    def create_template(self, body):
        return unwrap(self.http.request('POST', '/service_template', body=body).json())

    def update_template(self, template_id, body):
        body = dict((k, v) for k, v in body.items() if k not in _SERVER_KEYS)
        return unwrap(self.http.request('PUT', '/service_template/%d' % int(template_id), body=body).json())

    def delete_template(self, template_id, delete_type=None):
        body = {'delete_type': delete_type} if delete_type else None
        self.http.request('DELETE', '/service_template/%d' % int(template_id), body=body)

    def instantiate(self, template_id, merge_template=None):
        params = {'merge_template': merge_template} if merge_template else {}
        body = {'action': {'perform': 'instantiate', 'params': params}}
        return unwrap(self.http.request('POST', '/service_template/%d/action' % int(template_id), body=body).json())

    # services
    def list_services(self):
        return documents(self.http.request('GET', '/service').json())

    def get_service(self, service_id):
        """The service document, or None once it is gone (404)."""
        try:
            return unwrap(self.http.request('GET', '/service/%d' % int(service_id)).json())
        except NotFoundError:
            return None

    def delete_service(self, service_id):
        self.http.request('DELETE', '/service/%d' % int(service_id))

    def scale(self, service_id, role_name, cardinality, force=False):
        body = {'role_name': role_name, 'cardinality': int(cardinality), 'force': bool(force)}
        self.http.request('POST', '/service/%d/scale' % int(service_id), body=body)

    def action(self, service_id, perform, params=None):
        body = {'action': {'perform': perform, 'params': params or {}}}
        self.http.request('POST', '/service/%d/action' % int(service_id), body=body)

    def recover(self, service_id, delete=False):
        self.action(service_id, 'recover', {'delete': True} if delete else {})


# ---------------------------------------------------------------------------------------------------------------
# Reconciliation used by the modules (kept here so the modules stay thin)


class OneFlowError(Exception):
    """A reconciliation that cannot proceed; ``service`` carries the service summary when there is one."""

    def __init__(self, message, service=None, changed=False):
        super(OneFlowError, self).__init__(message)
        self.message = message
        self.service = service
        self.changed = changed


def ensure_template(client, name, template, state='present', schema='7', check_mode=False, delete_type=None):
    """Make the service template named ``name`` present (with body ``template``) or absent.

    Returns ``{changed, id, template, diff}``; ``template`` is the stored (or, in check mode, predicted) body.
    """
    existing = find_document(client.list_templates(), name)
    before = normalise_template_body(body_of(existing)) if existing is not None else {}
    if state == 'absent':
        if existing is None:
            return dict(changed=False, id=None, template=None, diff=dict(before={}, after={}))
        if not check_mode:
            client.delete_template(doc_id(existing), delete_type)
        return dict(changed=True, id=doc_id(existing), template=None, diff=dict(before=before, after={}))

    desired = to_schema(dict(template or {}, name=name), schema)
    after = normalise_template_body(desired)
    if existing is None:
        if check_mode:
            return dict(changed=True, id=None, template=desired, diff=dict(before={}, after=after))
        created = client.create_template(desired)
        return dict(changed=True, id=doc_id(created), template=body_of(created), diff=dict(before={}, after=after))
    if before == after:
        return dict(changed=False, id=doc_id(existing), template=body_of(existing),
                    diff=dict(before=before, after=after))
    if check_mode:
        return dict(changed=True, id=doc_id(existing), template=desired, diff=dict(before=before, after=after))
    updated = client.update_template(doc_id(existing), desired)
    return dict(changed=True, id=doc_id(updated), template=body_of(updated), diff=dict(before=before, after=after))


SCALABLE_STATES = ('RUNNING', 'WARNING')
DEPLOYING_STATES = ('PENDING', 'DEPLOYING', 'DEPLOYING_NETS', 'SCALING')

SERVICE_RUNNING = StateTable(
    'OneFlow service running',
    # COOLDOWN: the scaling is over and every VM is up; only the next scale must wait for it.
    success=['RUNNING', 'COOLDOWN'],
    failure=['FAILED_*', 'DONE', 'WARNING', 'HOLD', ABSENT, 'UNDEPLOYING*'],
    transitional=DEPLOYING_STATES,
)

SERVICE_ABSENT = StateTable(
    'OneFlow service deleted',
    success=[ABSENT, 'DONE'],
    failure=['FAILED_UNDEPLOYING*'],
    transitional=['*'],
)


class ServiceManager:
    """Instantiate, scale, wait for and delete one OneFlow service identified by its unique name.

    ``vm_lookup(vm_id)`` returns the oned facts of a VM (ids, state, IPs, USER_TEMPLATE) or None.
    """

    def __init__(self, flow, waiter, wait_kwargs, vm_lookup=None):
        self.flow = flow
        self.waiter = waiter
        self.wait_kwargs = wait_kwargs
        self.vm_lookup = vm_lookup

    def find(self, name):
        return find_document(self.flow.list_services(), name, skip_done=True)

    def summary(self, doc):
        return service_summary(doc, self.vm_lookup) if doc is not None else None

    def _wait(self, service_id, table):
        try:
            return self.waiter.wait(
                lambda: self.flow.get_service(service_id),
                lambda doc: ABSENT if doc is None else service_state(doc),
                table, describe=lambda doc: log_tail(doc) if doc is not None else '', **self.wait_kwargs)
        except WaitError as exc:
            raise OneFlowError(exc.message, self.summary(exc.resource))

    def wait_running(self, service_id):
        return self._wait(service_id, SERVICE_RUNNING)

    def wait_absent(self, service_id):
        return self._wait(service_id, SERVICE_ABSENT)

    def resolve_template(self, template_id=None, template_name=None):
        if template_id is not None:
            return self.flow.get_template(template_id)
        if template_name is None:
            raise OneFlowError('the service does not exist: template_id or template_name is needed to create it')
        found = find_document(self.flow.list_templates(), template_name)
        if found is None:
            raise OneFlowError('service template %r not found' % template_name)
        return found

    def present(self, name, schema, template_id=None, template_name=None, user_inputs_values=None,
                networks_values=None, roles=None, force=False, wait=True, check_mode=False):
        roles = roles or []
        existing = self.find(name)
        if existing is None:
            template = self.resolve_template(template_id, template_name)
            merge = build_merge_template(body_of(template), schema, name, user_inputs_values, networks_values, roles)
            planned = role_cardinalities(template)
            planned.update((r['name'], int(r['cardinality'])) for r in roles if r.get('cardinality') is not None)
            diff = dict(before={}, after=dict(name=name, state='RUNNING', roles=planned))
            if check_mode:
                return dict(changed=True, service=None, diff=diff)
            created = self.flow.instantiate(doc_id(template), merge)
            doc = self._after_change(lambda: self.wait_running(doc_id(created))) if wait else created
            return dict(changed=True, service=self.summary(doc), diff=diff)

        service_id = doc_id(existing)
        if wait and service_state(existing) in DEPLOYING_STATES:
            existing = self.wait_running(service_id)
        state = service_state(existing)
        if state.startswith('UNDEPLOYING'):
            raise OneFlowError('service %s is being deleted (state %s); run again once it is gone' % (name, state),
                               self.summary(existing))
        if state.startswith('FAILED_'):
            raise OneFlowError('service %s is in state %s: %s' % (name, state, log_tail(existing)),
                               self.summary(existing))
        current = role_cardinalities(existing)
        unknown = [r['name'] for r in roles if r['name'] not in current]
        if unknown:
            raise OneFlowError('roles %s are not in service %s (roles: %s)'
                               % (', '.join(unknown), name, ', '.join(sorted(current))), self.summary(existing))
        wanted = [(r['name'], int(r['cardinality'])) for r in roles
                  if r.get('cardinality') is not None and current[r['name']] != int(r['cardinality'])]
        after = dict(current, **dict(wanted))
        diff = dict(before=dict(name=name, state=state, roles=current),
                    after=dict(name=name, state='RUNNING' if wanted else state, roles=after))
        if not wanted:
            return dict(changed=False, service=self.summary(existing), diff=diff)
        if check_mode:
            if state not in SCALABLE_STATES:
                raise OneFlowError('Service cannot be scaled in state: %s' % state, self.summary(existing))
            return dict(changed=True, service=self.summary(existing), diff=diff)
        doc = existing
        for index, (role_name, cardinality) in enumerate(wanted):
            self.flow.scale(service_id, role_name, cardinality, force)
            # A second scale is refused while the first runs, so wait in between even with wait=false.
            if wait or index < len(wanted) - 1:
                doc = self._after_change(lambda: self.wait_running(service_id))
        if not wait:
            doc = self.flow.get_service(service_id)
        return dict(changed=True, service=self.summary(doc), diff=diff)

    def absent(self, name, wait=True, check_mode=False):
        existing = self.find(name)
        if existing is None:
            return dict(changed=False, service=None, diff=dict(before={}, after={}))
        service_id = doc_id(existing)
        state = service_state(existing)
        diff = dict(before=dict(name=name, state=state, roles=role_cardinalities(existing)), after={})
        if check_mode:
            return dict(changed=True, service=self.summary(existing), diff=diff)
        if state in SCALABLE_STATES:
            self.flow.delete_service(service_id)
        elif not state.startswith('UNDEPLOYING'):
            # DELETE is refused in FAILED_* and transient states; recover with delete works in any state.
            self.flow.recover(service_id, delete=True)
        if wait:
            self._after_change(lambda: self.wait_absent(service_id))
        return dict(changed=True, service=None, diff=diff)

    @staticmethod
    def _after_change(wait):
        try:
            return wait()
        except OneFlowError as exc:
            exc.changed = True
            raise
