# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""oned: template syntax, XML documents, error mapping, and the client (on pyone's transport) against a stdlib
XML-RPC server answering with arrays recorded from a real OpenNebula 7.4.0."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import threading
from xmlrpc.server import SimpleXMLRPCServer

import pytest

from ansible_collections.opennebula.flower.plugins.module_utils._http import RetryPolicy, TransportError
from ansible_collections.opennebula.flower.plugins.module_utils._one_documents import (
    as_list, find_by_name, nic_addresses, parse_xml, vm_summary,
)
from ansible_collections.opennebula.flower.plugins.module_utils._one_errors import (
    OneAuthenticationError, OneError, OneInternalError, OneNoExistsError, map_one_error,
)
from ansible_collections.opennebula.flower.plugins.module_utils._one_states import image_state_name, vm_state_name
from ansible_collections.opennebula.flower.plugins.module_utils._one_template_syntax import (
    TemplateSyntaxError, normalise_template, parse_template, render_template,
)
from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient

# Trimmed from recorded exchange 29 (one.vm.info): one NIC, so the XML has a single <NIC>.
VM_XML = ('<VM><ID>0</ID><UID>0</UID><NAME>fl-standalone</NAME><STATE>3</STATE><LCM_STATE>3</LCM_STATE>'
          '<STIME>1795890763</STIME><TEMPLATE><CONTEXT><ETH0_IP><![CDATA[10.10.0.10]]></ETH0_IP>'
          '<TOKEN><![CDATA[YES]]></TOKEN></CONTEXT><CPU><![CDATA[0.5]]></CPU>'
          '<NIC><IP><![CDATA[10.10.0.10]]></IP><MAC><![CDATA[02:00:0a:0a:00:0a]]></MAC><NAME><![CDATA[NIC0]]></NAME>'
          '<NETWORK><![CDATA[fl-net]]></NETWORK><NIC_ID><![CDATA[0]]></NIC_ID></NIC></TEMPLATE>'
          '<USER_TEMPLATE><FL_ENDPOINT><![CDATA[127.0.0.1:9092]]></FL_ENDPOINT><FL_READY><![CDATA[YES]]></FL_READY>'
          '</USER_TEMPLATE><BACKUPS><BACKUP_CONFIG/><BACKUP_IDS></BACKUP_IDS></BACKUPS></VM>')
TEMPLATE_XML = ('<VMTEMPLATE><ID>0</ID><NAME>fl-node</NAME><TEMPLATE><CONTEXT><FL_TEST><![CDATA[$FL_TEST]]></FL_TEST>'
                '<TOKEN><![CDATA[YES]]></TOKEN></CONTEXT><CPU><![CDATA[0.5]]></CPU><DISK><IMAGE_ID><![CDATA[0]]>'
                '</IMAGE_ID></DISK><MEMORY><![CDATA[256]]></MEMORY><NIC><NETWORK_ID><![CDATA[0]]></NETWORK_ID></NIC>'
                '</TEMPLATE></VMTEMPLATE>')
# Recorded failure arrays (exchanges 34, 35, 36).
AUTH_FAIL = [False, "[one.vm.info] User couldn't be authenticated, aborting call.", 256, -1, -1]
NO_VM = [False, '[one.vm.info] Error getting virtual machine [99999].', 1024, 99999, -1]
DUP_NAME = [False, '[one.template.allocate] NAME is already taken by TEMPLATE 0.', 8192, -1, -1]


def test_render_template_vectors_lists_and_quotes():
    text = render_template({'NAME': 'a "b"', 'CPU': 0.5, 'DISK': [{'IMAGE_ID': 0}, {'IMAGE_ID': 1}],
                            'CONTEXT': {'TOKEN': True, 'X': 'c\\d'}})
    assert text == ('NAME="a \\"b\\""\nCPU="0.5"\nDISK=[IMAGE_ID="0"]\nDISK=[IMAGE_ID="1"]\n'
                    'CONTEXT=[TOKEN="YES",X="c\\\\d"]')
    assert parse_template(text) == {'NAME': 'a "b"', 'CPU': '0.5', 'DISK': [{'IMAGE_ID': '0'}, {'IMAGE_ID': '1'}],
                                    'CONTEXT': {'TOKEN': 'YES', 'X': 'c\\d'}}


def test_parse_template_free_form():
    text = '''# comment
cpu = 1
MEMORY=2048
DISK = [ IMAGE_ID = 7,
         DEV_PREFIX = "vd" ]
CONTEXT = [ TOKEN = "YES", NETWORK = YES, SSH = "a b=c" ]
DESCRIPTION = "multi
line"
'''
    assert parse_template(text) == {'CPU': '1', 'MEMORY': '2048', 'DISK': {'IMAGE_ID': '7', 'DEV_PREFIX': 'vd'},
                                    'CONTEXT': {'TOKEN': 'YES', 'NETWORK': 'YES', 'SSH': 'a b=c'},
                                    'DESCRIPTION': 'multi\nline'}


@pytest.mark.parametrize('bad', ['= 1', 'A = "unterminated', 'A 1'])
def test_parse_template_errors(bad):
    with pytest.raises(TemplateSyntaxError):
        parse_template(bad)


def test_normalise_template():
    assert normalise_template({'cpu': 1, 'DISK': [{'image_id': 0}], 'ctx': {'a': True}, 'n': None}) == \
        {'CPU': '1', 'DISK': {'IMAGE_ID': '0'}, 'CTX': {'A': 'YES'}, 'N': ''}


def test_vm_xml_single_nic_is_a_dict_and_summary_lists_it():
    vm = parse_xml(VM_XML)
    assert isinstance(vm['TEMPLATE']['NIC'], dict)
    assert nic_addresses(vm) == [vm['TEMPLATE']['NIC']]
    summary = vm_summary(vm)
    assert summary['id'] == 0 and summary['state'] == 'ACTIVE/RUNNING'
    assert summary['ips'] == ['10.10.0.10']
    assert summary['user_template'] == {'FL_ENDPOINT': '127.0.0.1:9092', 'FL_READY': 'YES'}
    assert vm['BACKUPS'] == {'BACKUP_CONFIG': '', 'BACKUP_IDS': ''}


def test_vm_without_nics_and_with_several():
    assert vm_summary({'ID': '5', 'STATE': '1', 'TEMPLATE': {}})['ips'] == []
    assert vm_summary({'ID': '5', 'STATE': '1', 'TEMPLATE': ''})['nics'] == []
    two = {'ID': '1', 'STATE': '3', 'LCM_STATE': '36',
           'TEMPLATE': {'NIC': [{'IP': '10.0.0.1'}, {'IP6_GLOBAL': 'fd00::1'}], 'NIC_ALIAS': {'IP': '10.0.0.9'}}}
    assert vm_summary(two)['ips'] == ['10.0.0.1', 'fd00::1', '10.0.0.9']
    assert vm_state_name(two) == 'ACTIVE/BOOT_FAILURE'
    assert image_state_name({'STATE': '4'}) == 'LOCKED'


def test_as_list_and_find_by_name():
    assert as_list(None) == [] and as_list({}) == [] and as_list({'a': 1}) == [{'a': 1}]
    items = [{'ID': '0', 'NAME': 'a'}, {'ID': '1', 'NAME': 'b'}]
    assert find_by_name(items, 'a')['ID'] == '0' and find_by_name(items, 'z') is None
    with pytest.raises(ValueError):
        find_by_name(items + [{'ID': '2', 'NAME': 'a'}], 'a')


def test_map_one_error_codes():
    assert isinstance(map_one_error('one.vm.info', AUTH_FAIL), OneAuthenticationError)
    err = map_one_error('one.vm.info', NO_VM)
    assert isinstance(err, OneNoExistsError) and err.code == 0x400 and 'virtual machine [99999]' in err.message
    assert isinstance(map_one_error('one.template.allocate', DUP_NAME), OneInternalError)
    assert map_one_error('one.image.allocate', [False, 'locked', 0x8000, 1, -1]).__class__ is OneError


class FakeOned:
    """A stdlib XML-RPC server that answers with recorded arrays."""

    def __init__(self):
        self.calls = []
        self.server = SimpleXMLRPCServer(('127.0.0.1', 0), logRequests=False, allow_none=True)
        self.server.register_instance(self)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={'poll_interval': 0.02}, daemon=True)
        self.thread.start()
        self.url = 'http://127.0.0.1:%d/RPC2' % self.server.server_address[1]

    def _dispatch(self, method, params):
        self.calls.append((method, params))
        session = params[0]
        if session != 'oneadmin:pw':
            return AUTH_FAIL
        if method == 'one.system.version':
            return [True, '7.4.0', 0]
        if method == 'one.vm.info':
            return [True, VM_XML, 0] if params[1] == 0 else NO_VM
        if method == 'one.templatepool.info':
            return [True, '<VMTEMPLATE_POOL>%s</VMTEMPLATE_POOL>' % TEMPLATE_XML, 0]
        if method == 'one.template.allocate':
            return DUP_NAME
        return [False, 'unknown', 0x1000, -1, -1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def oned():
    fake = FakeOned()
    yield fake
    fake.close()


def test_client_calls_and_session(oned):
    client = OneXMLRPCClient(oned.url, 'oneadmin', 'pw', retry=RetryPolicy(retries=0))
    assert client.version() == '7.4.0'
    assert client.vm_info(0)['NAME'] == 'fl-standalone'
    pool = client.template_pool()
    assert len(pool) == 1 and pool[0]['TEMPLATE']['DISK'] == {'IMAGE_ID': '0'}
    assert oned.calls[0] == ('one.system.version', ('oneadmin:pw',))
    assert oned.calls[2] == ('one.templatepool.info', ('oneadmin:pw', -3, -1, -1))


def test_client_errors(oned):
    client = OneXMLRPCClient(oned.url, 'oneadmin', 'pw', retry=RetryPolicy(retries=0))
    with pytest.raises(OneNoExistsError):
        client.vm_info(99999)
    with pytest.raises(OneInternalError) as info:
        client.template_allocate('NAME="fl-node"')
    assert 'already taken' in info.value.message
    bad = OneXMLRPCClient(oned.url, 'oneadmin', 'wrong', retry=RetryPolicy(retries=3, sleep=lambda s: None))
    with pytest.raises(OneAuthenticationError):
        bad.version()
    assert len(oned.calls) == 3  # authentication errors are not retried


def test_transport_errors_are_not_oneerrors_but_are_mapped():
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    sleeps = []
    client = OneXMLRPCClient('http://127.0.0.1:%d/RPC2' % port, 'a', 'b', timeout=2,
                             retry=RetryPolicy(retries=2, sleep=sleeps.append))
    with pytest.raises(TransportError) as info:
        client.vm_info(0)
    assert info.value.retryable and len(sleeps) == 2


def test_http_error_status_is_a_transport_error(oned):
    client = OneXMLRPCClient(oned.url.replace('/RPC2', '/nope'), 'oneadmin', 'pw', retry=RetryPolicy(retries=0))
    with pytest.raises(TransportError) as info:
        client.version()
    assert info.value.status == 404
