# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oned's XML documents as dicts, and the facts modules read from them (NICs, IPs, a VM summary)."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import xml.etree.ElementTree as ET

from ansible_collections.opennebula.flower.plugins.module_utils._one_states import vm_state_name


def as_list(value):
    """OpenNebula returns one element as a dict and several as a list; absent or empty means none."""
    if value is None or value == '' or value == {}:
        return []
    if isinstance(value, list):
        return value
    return [value]


def xml_to_dict(element):
    """An XML element as nested dicts; repeated children become lists, leaves become strings."""
    children = list(element)
    if not children:
        return element.text or ''
    result = {}
    for child in children:
        value = xml_to_dict(child)
        if child.tag in result:
            if not isinstance(result[child.tag], list):
                result[child.tag] = [result[child.tag]]
            result[child.tag].append(value)
        else:
            result[child.tag] = value
    return result


def parse_xml(text):
    return xml_to_dict(ET.fromstring(text))


def nic_addresses(vm):
    """NICs (and aliases) of a VM document: a list of dicts, whether the XML had none, one or several."""
    template = vm.get('TEMPLATE') or {}
    if not isinstance(template, dict):
        return []
    nics = []
    for key in ('NIC', 'NIC_ALIAS'):
        for nic in as_list(template.get(key)):
            if isinstance(nic, dict):
                nics.append(nic)
    return nics


def vm_ips(vm):
    ips = []
    for nic in nic_addresses(vm):
        for key in ('IP', 'IP6_GLOBAL', 'IP6_ULA', 'IP6'):
            if nic.get(key):
                ips.append(nic[key])
    return ips


def vm_summary(vm):
    """The facts a playbook needs about a VM: ids, state, addresses and the USER_TEMPLATE."""
    user_template = vm.get('USER_TEMPLATE') or {}
    return {
        'id': int(vm['ID']),
        'name': vm.get('NAME'),
        'state': vm_state_name(vm),
        'ips': vm_ips(vm),
        'nics': [dict((k, v) for k, v in nic.items() if k in NIC_KEYS) for nic in nic_addresses(vm)],
        'user_template': user_template if isinstance(user_template, dict) else {},
    }


NIC_KEYS = ('NIC_ID', 'NAME', 'NETWORK', 'NETWORK_ID', 'IP', 'IP6', 'IP6_GLOBAL', 'IP6_ULA', 'IP6_LINK', 'MAC',
            'EXTERNAL_IP', 'PARENT')


def find_by_name(items, name):
    """The one item named ``name``, None if there is none; ValueError if the name is ambiguous."""
    matches = [item for item in items if item.get('NAME') == name]
    if len(matches) > 1:
        raise ValueError('%d objects are named %r (ids %s); names must be unique'
                         % (len(matches), name, ', '.join(str(m.get('ID')) for m in matches)))
    return matches[0] if matches else None
