# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""The appliance modules as the simulator's service VMs run them: context, discovery, partitions, service
registrations."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import datetime
import os

import pytest

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ansible_collections.opennebula.flower.plugins.module_utils._one_xmlrpc import OneXMLRPCClient
from ansible_collections.opennebula.flower.plugins.modules import (
    flower_appliance_context, flower_service_registrations, flower_superlink_discovery, oneflow_service,
    oneflow_template, onegate_vm)
from ansible_collections.opennebula.flower.tests.unit.plugins.modules.conftest_flwr import (  # noqa: F401 pylint: disable=unused-import
    ec_public_key, fake_flwr)
from tests.integration.opennebula.conftest import FAST_POLL, sim_args
from tests.integration.opennebula.helpers import flower_template, vm_template
from tests.opennebula_sim.testing import flow

CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'


@pytest.fixture
def service(sim, run_module, tmp_path):
    args = sim_args(sim)
    client = OneXMLRPCClient(sim.xmlrpc_url, sim.username, sim.password)
    template = run_module(oneflow_template, dict(args, name='fl', template=flower_template(vm_template(client))))
    result = run_module(oneflow_service, dict(args, name='fl-run', template_id=template['id'],
                                              user_inputs_values={'FL_NUM_ROUNDS': 3}, **FAST_POLL))
    assert not result.get('failed'), result
    return Service(sim, run_module, tmp_path, result['service_id'])


class Service(object):
    def __init__(self, sim, run_module, tmp_path, service_id):
        self.sim, self.run_module, self.tmp_path, self.id = sim, run_module, tmp_path, service_id

    def vms(self, role):
        roles = dict((r['name'], r) for r in self.sim.service(self.id)['roles'])
        return [n['deploy_id'] for n in roles[role].get('nodes') or []]

    def as_vm(self, vm_id):
        return {'one_env_path': self.sim.write_context(vm_id, str(self.tmp_path / ('vm%d' % vm_id)))['one_env']}

    def publish(self, vm_id, **attributes):
        result = self.run_module(onegate_vm, dict(self.as_vm(vm_id), attributes=attributes))
        assert not result.get('failed'), result

    def superlink_ready(self, **extra):
        attrs = dict(FL_ENDPOINT='10.10.0.10:9092', FL_CA_CERT=CA,
                     FL_VERSION='1.42.0', FL_TLS='YES', FL_AUTH='NO', FL_READY='YES')
        attrs.update(extra)
        self.publish(self.vms('superlink')[0], **attrs)

    def discover(self, vm_id, **args):
        args = dict(dict(self.as_vm(vm_id), flower_version='1.42.0', timeout=10, max_backoff=1), **args)
        return self.run_module(flower_superlink_discovery, args)

    def scale(self, role, cardinality):
        response = flow(self.sim, 'POST', '/service/%d/scale' % self.id,
                        {'role_name': role, 'cardinality': cardinality, 'force': False})
        assert response.status in (200, 201, 204), response.text
        self.sim.advance_until(lambda: len(self.vms(role)) == cardinality and self.sim.service(self.id)['state']
                               == 2, timeout=600)


def test_the_context_of_a_service_vm_is_read_validated_and_turned_into_role_variables(service, run_module, tmp_path):
    vm_id = service.vms('supernode')[0]
    directory = str(tmp_path / 'cdrom')
    service.sim.write_context(vm_id, directory)
    os.unlink(os.path.join(directory, 'one_env'))  # only what the CD-ROM holds
    one_env = str(tmp_path / 'run' / 'one_env')
    args = dict(role='supernode', context_dirs=[directory], one_env=one_env, installed_versions=['1.42.0'])

    result = run_module(flower_appliance_context, args)
    assert result['changed'] and result['source'] == os.path.join(directory, 'context.sh')
    assert result['onegate'] and result['vm_id'] == str(vm_id) and result['addresses'] == ['10.10.0.11']
    assert result['role_vars'] == {'supernode_flower_version': '1.42.0', 'supernode_tls_enabled': True,
                                   'supernode_superlink_address': '', 'supernode_superlink_ca_cert': '',
                                   'supernode_node_config': {}}
    assert oct(os.stat(one_env).st_mode & 0o777) == '0o400'
    # The OneGate modules find endpoint, VM id and token in the written one_env.
    assert not run_module(onegate_vm, dict(one_env_path=one_env, attributes={'FL_X': '1'})).get('failed')
    assert not run_module(flower_appliance_context, args)['changed']


def test_an_invalid_context_reports_every_error_and_writes_only_one_env_to_report_it(service, run_module, tmp_path):
    directory = str(tmp_path / 'cdrom')
    service.sim.write_context(service.vms('superlink')[0], directory)
    with open(os.path.join(directory, 'context.sh'), 'a') as handle:
        handle.write("ONEAPP_FL_TLS_ENABLED='NO'\nONEAPP_FL_CERT_EXTRA_SAN='IP:1.2.3'\n")
    one_env = str(tmp_path / 'one_env')
    result = run_module(flower_appliance_context, dict(role='superlink', context_dirs=[directory], one_env=one_env,
                                                       installed_versions=['1.42.0']))
    assert result['failed'] and result['errors'] == [
        "ONEAPP_FL_CERT_EXTRA_SAN='IP:1.2.3' is invalid: '1.2.3' is not an IP address; allowed: comma-separated "
        "IP:<address> or DNS:<name> entries"]
    assert 'role_vars' not in result
    # The failure can be reported: onegate_vm finds its credentials in the one_env written anyway.
    reported = run_module(onegate_vm, dict(one_env_path=one_env, attributes={'FL_READY': 'NO'}))
    assert reported['changed'] and reported['user_template']['FL_READY'] == 'NO'


def test_discovery_returns_the_superlink_and_a_partition_that_scaling_does_not_move(service):
    service.superlink_ready()
    first, second = service.vms('supernode')
    found = service.discover(first)
    assert not found.get('failed'), found
    assert (found['endpoint'], found['ca_cert'], found['tls'], found['auth']) == ('10.10.0.10:9092', CA, True, False)
    assert (found['partition_id'], found['num_partitions']) == (0, 2)  # no ONEAPP_FL_NUM_PARTITIONS: cardinality
    # The service template passes the role's max_vms (4) as ONEAPP_FL_NUM_PARTITIONS.
    assert [service.discover(vm, num_partitions=4)['partition_id'] for vm in (first, second)] == [0, 1]

    service.scale('supernode', 3)
    third = service.vms('supernode')[2]
    found = [service.discover(vm, num_partitions=4) for vm in (first, second, third)]
    assert [(f['partition_id'], f['num_partitions']) for f in found] == [(0, 4), (1, 4), (2, 4)]

    service.scale('supernode', 4)
    fourth = service.vms('supernode')[3]
    beyond = service.discover(fourth, num_partitions=3)
    assert beyond['failed'] and 'node index 3 is not below the number of partitions 3' in beyond['msg']


def test_discovery_fails_on_the_superlinks_error_and_on_a_version_mismatch(service):
    node = service.vms('supernode')[0]
    service.publish(service.vms('superlink')[0], FL_READY='NO', FL_ERROR='ONEAPP_FL_TLS_ENABLED=maybe is invalid')
    failed = service.discover(node)
    assert failed['failed'] and 'reported FL_ERROR: ONEAPP_FL_TLS_ENABLED=maybe is invalid' in failed['msg']

    service.superlink_ready(FL_VERSION='1.31.0')
    failed = service.discover(node)
    assert failed['failed'] and 'runs Flower 1.31.0 and this SuperNode 1.42.0' in failed['msg']


def test_discovery_times_out_when_no_superlink_is_ready(service):
    failed = service.discover(service.vms('supernode')[0], timeout=2, backoff='fixed', max_backoff=1)
    assert failed['failed'] and "no SuperLink in role 'superlink' published FL_READY=YES" in failed['msg']
    assert 'within 2 s (3 attempts)' in failed['msg'] or 'within 2 s (4 attempts)' in failed['msg']


def test_service_registrations_take_only_the_services_supernodes_and_unregister_those_that_left(
        service, run_module, fake_flwr, tmp_path):
    superlink = service.vms('superlink')[0]
    first, second = service.vms('supernode')
    keys = {first: ec_public_key(), second: ec_public_key()}
    for vm, key in keys.items():
        service.publish(vm, FL_NODE_PUBKEY=key)
    # A VM outside the service publishes a well-formed key too: nothing may register it.
    client = OneXMLRPCClient(service.sim.xmlrpc_url, service.sim.username, service.sim.password)
    outsider = client.call('template.instantiate', vm_template(client), 'outsider', False, '', False)
    service.sim.advance(120)
    service.publish(outsider, FL_NODE_PUBKEY=ec_public_key())

    args = fake_flwr.args(**service.as_vm(superlink))
    args.update(registry=str(tmp_path / 'registry.json'), enrollment_file=str(tmp_path / 'enrolled.json'))
    check = run_module(flower_service_registrations, args, check_mode=True, diff=True)
    assert check['changed'] and check['added'] == [str(first), str(second)]
    assert fake_flwr.state()['nodes'] == [] and not os.path.exists(args['enrollment_file'])

    applied = run_module(flower_service_registrations, args)
    assert applied['changed'] and applied['enrolled'] == [str(first), str(second)]
    assert sorted(fake_flwr.state()['keys']) == sorted(k.split()[1] for k in keys.values())
    assert not run_module(flower_service_registrations, args)['changed']

    service.scale('supernode', 1)
    gone = [vm for vm in (first, second) if vm not in service.vms('supernode')]
    removed = run_module(flower_service_registrations, args)
    assert removed['changed'] and removed['removed'] == [str(v) for v in gone]
    statuses = dict((n['id'], n['status']) for n in fake_flwr.state()['nodes'])
    assert sorted(statuses.values()) == ['registered', 'unregistered']
    # It is the departed VM's key that is unregistered (for good), and the remaining VM's that stays registered.
    key_nodes = fake_flwr.state()['keys']
    assert statuses[key_nodes[keys[gone[0]].split()[1]]] == 'unregistered'
    kept = [vm for vm in (first, second) if vm not in gone][0]
    assert statuses[key_nodes[keys[kept].split()[1]]] == 'registered'


def test_a_malformed_published_key_is_rejected_not_registered(service, run_module, fake_flwr, tmp_path):
    first = service.vms('supernode')[0]
    service.publish(first, FL_NODE_PUBKEY='ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE')
    args = fake_flwr.args(**service.as_vm(service.vms('superlink')[0]))
    args.update(registry=str(tmp_path / 'registry.json'), enrollment_file=str(tmp_path / 'enrolled.json'))
    result = run_module(flower_service_registrations, args)
    assert not result['changed'] and list(result['rejected']) == [str(first)]
    assert 'ecdsa-sha2-nistp' in result['rejected'][str(first)]


def test_a_superlink_outside_any_service_has_nothing_to_register(service, run_module, fake_flwr, tmp_path):
    client = OneXMLRPCClient(service.sim.xmlrpc_url, service.sim.username, service.sim.password)
    standalone = client.call('template.instantiate', vm_template(client), 'superlink-standalone', False, '', False)
    service.sim.advance(120)
    args = fake_flwr.args(**service.as_vm(standalone))
    args.update(registry=str(tmp_path / 'registry.json'), enrollment_file=str(tmp_path / 'enrolled.json'))
    result = run_module(flower_service_registrations, args)
    assert not result.get('failed'), result
    assert result['in_service'] is False and not result['changed'] and result['enrolled'] == []
    assert not os.path.exists(fake_flwr.calls_path) or fake_flwr.calls() == []


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def _context_with(service, tmp_path, role, **variables):
    directory = str(tmp_path / ('cdrom-%s' % role))
    service.sim.write_context(service.vms(role)[0], directory)
    with open(os.path.join(directory, 'context.sh'), 'a') as handle:
        for name, value in variables.items():
            handle.write("%s='%s'\n" % (name, value))
    return dict(role=role, context_dirs=[directory], one_env=str(tmp_path / ('one_env-%s' % role)),
                installed_versions=['1.42.0'])


def test_every_superlink_variable_reaches_the_role(service, run_module, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, u'operator-ca')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    args = _context_with(service, tmp_path, 'superlink', ONEAPP_FLOWER_VERSION='1.42.0',
                         ONEAPP_FL_CERT_EXTRA_SAN='IP:198.18.9.9,DNS:fl.example.org',
                         ONEAPP_FL_SSL_CA_CERTFILE=_b64(pem), ONEAPP_FL_SSL_CERTFILE=_b64(pem),
                         ONEAPP_FL_SSL_KEYFILE=_b64(key_pem))
    result = run_module(flower_appliance_context, args)
    assert not result.get('failed'), result
    role_vars = result['role_vars']
    assert role_vars['superlink_tls_subject_alt_names'] == ['198.18.9.9', 'fl.example.org']
    assert role_vars['superlink_advertised_host'] == '10.10.0.10'
    assert (role_vars['superlink_tls_operator_ca_cert'], role_vars['superlink_tls_operator_cert']) == (pem, pem)
    # The role needs the operator's key as it is (masking it here broke operator certificates); the role's task
    # runs with no_log, and errors never show it.
    assert role_vars['superlink_tls_operator_key'] == key_pem

    args = _context_with(service, tmp_path, 'superlink', ONEAPP_FL_TLS_ENABLED='NO', ONEAPP_FL_AUTH_ENABLED='NO')
    role_vars = run_module(flower_appliance_context, args)['role_vars']
    assert (role_vars['superlink_tls_enabled'], role_vars['superlink_auth_enabled']) == (False, False)


def test_every_supernode_variable_reaches_the_role_or_the_discovery(service, run_module, tmp_path):
    args = _context_with(service, tmp_path, 'supernode', ONEAPP_FL_SUPERLINK_ADDRESS='fl.example.org:9092',
                         ONEAPP_FL_SSL_CA_CERTFILE=base64.b64encode(CA.encode()).decode(),
                         ONEAPP_FL_NODE_CONFIG='partition-id=3 num-partitions=8 site="lyon"',
                         ONEAPP_FL_NUM_PARTITIONS='8', ONEAPP_FL_DISCOVERY_TIMEOUT='60',
                         ONEAPP_FL_EDGE_BACKOFF='fixed', ONEAPP_FL_EDGE_MAX_BACKOFF='5')
    result = run_module(flower_appliance_context, args)
    assert not result.get('failed'), result
    assert result['role_vars'] == {
        'supernode_flower_version': '1.42.0', 'supernode_tls_enabled': True,
        'supernode_superlink_address': 'fl.example.org:9092', 'supernode_superlink_ca_cert': CA,
        'supernode_node_config': {'partition-id': 3, 'num-partitions': 8, 'site': 'lyon'}}
    assert result['discovery'] == {'timeout': 60, 'backoff': 'fixed', 'max_backoff': 5, 'num_partitions': 8}
