# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""_flwr: config.toml, JSON parsing where ``success`` decides, error codes, run config strings, and FlwrCli
against the fake ``flwr`` executable."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import stat
import warnings

import pytest

try:
    import tomllib
except ImportError:  # Python < 3.11
    import tomli as tomllib

from ansible_collections.opennebula.flower.plugins.module_utils import _flwr
from ansible_collections.opennebula.flower.plugins.module_utils._flwr import (
    CONNECTION_NAME, KEY_IN_USE, FlwrCli, FlwrError, connection_toml, error_code, parse_json_output,
    run_config_string, toml_value)
from ansible_collections.opennebula.flower.tests.unit.plugins.modules.conftest_flwr import (  # noqa: F401 pylint: disable=unused-import
    cli, run_command, ec_public_key, fake_flwr)


# config.toml

def test_connection_toml_insecure_is_valid_toml_naming_one_default_connection():
    config = tomllib.loads(connection_toml('10.0.0.1:9093', insecure=True))
    assert config == {'superlink': {'default': CONNECTION_NAME,
                                    CONNECTION_NAME: {'address': '10.0.0.1:9093', 'insecure': True}}}


def test_connection_toml_tls_names_root_certificates_and_escapes_strings():
    config = tomllib.loads(connection_toml('link:9092', root_certificates='/etc/fl "x"/ca.crt'))
    assert config['superlink'][CONNECTION_NAME] == {'address': 'link:9092', 'root-certificates': '/etc/fl "x"/ca.crt'}


def test_connection_toml_insecure_wins_over_root_certificates():
    config = tomllib.loads(connection_toml('a:1', root_certificates='/ca.crt', insecure=True))
    entry = config['superlink'][CONNECTION_NAME]
    assert entry == {'address': 'a:1', 'insecure': True}


# error codes and JSON output

@pytest.mark.parametrize('message,code', [
    ('\u274c Failed to register\n[code: 23] Public key already in use.', 23),
    ('[code: 18] Run is already finished.', 18),
    ('no code here', None),
    ('[code: x] odd', None),
    ('[code: 7', None),
])
def test_error_code(message, code):
    assert error_code(message) == code


def test_key_in_use_is_code_23():
    assert KEY_IN_USE == 23


def test_parse_json_output_skips_notices_and_reads_pretty_json():
    out = ('Loading project configuration...\nMigrating legacy federations\n'
           '{\n  "success": true,\n  "nodes": []\n}\ntrailer\n')
    assert parse_json_output(out) == {'success': True, 'nodes': []}


def test_parse_json_output_without_json_raises():
    with pytest.raises(ValueError):
        parse_json_output('Traceback (most recent call last):\n  boom\n')


# run config

def test_toml_value_keeps_types():
    assert toml_value(True) == 'true' and toml_value(False) == 'false'
    assert toml_value(3) == '3' and toml_value(0.1) == '0.1'
    assert toml_value('a b') == '"a b"'


def test_run_config_string_is_sorted_and_typed():
    assert run_config_string({'num-server-rounds': 3, 'dp': False, 'lr': 0.05, 'out': '/tmp/x y'}) == \
        'dp=false lr=0.05 num-server-rounds=3 out="/tmp/x y"'


@pytest.mark.parametrize('run_config', [
    {'num-server-rounds': 3, 'fraction-train': 1.0, 'use-dp': True, 'name': 'digits demo'},
    {'output-dir': '/var/lib/flower/out', 'tiny': 1e-05, 'big': 12426622708860319678, 'neg': -2},
    {'path': 'C:\\data\\set', 'unicode': 'caf\u00e9', 'empty': ''},
    {'quoted': 'say "hi"', 'apostrophe': "it's"},
])
def test_run_config_string_round_trips_through_flwrs_own_parser(run_config):
    # flwr.common.config.parse_config_args is what `flwr run --run-config` uses.
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        parse_config_args = pytest.importorskip('flwr.common.config').parse_config_args
    assert parse_config_args([run_config_string(run_config)]) == run_config


# FlwrCli

def test_cli_requires_trust():
    with pytest.raises(ValueError, match='root_certificates or insecure'):
        FlwrCli(run_command, 'flwr', '127.0.0.1:9092')


def test_cli_home_is_private_throw_away_and_holds_the_connection(fake_flwr):
    client = FlwrCli(run_command, fake_flwr.path, fake_flwr.address, root_certificates=fake_flwr.ca)
    home = client._home
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    with open(os.path.join(home, 'config.toml'), 'rb') as handle:
        config = tomllib.load(handle)
    assert config['superlink'][CONNECTION_NAME] == {'address': fake_flwr.address, 'root-certificates': fake_flwr.ca}
    client.close()
    assert not os.path.exists(home)


def test_cli_passes_flower_env_and_its_own_home():
    seen = []

    def spy(argv, environ_update=None):
        seen.append((argv, environ_update))
        return 0, '{"success": true, "nodes": [{"node-id": "1", "status": "online"}]}', ''

    with FlwrCli(spy, '/opt/flwr', 'a:1', insecure=True) as client:
        assert client.list_nodes() == [{'node-id': '1', 'status': 'online'}]
        home = client._home
    argv, env = seen[0]
    assert argv == ['/opt/flwr', 'supernode', 'list', CONNECTION_NAME, '--format', 'json']
    assert env == {'FLWR_TELEMETRY_ENABLED': '0', 'FLWR_DISABLE_UPDATE_CHECK': '1', 'FLWR_HOME': home}
    assert not os.path.exists(home)


def test_success_false_raises_with_code_even_when_rc_is_zero():
    def answer(argv, environ_update=None):
        return 0, '{"success": false, "error-message": "\\u274c Failed\\n[code: 23] Public key already in use."}', ''

    with FlwrCli(answer, 'flwr', 'a:1', insecure=True) as client:
        with pytest.raises(FlwrError) as err:
            client.register_node('/x.pub')
    assert err.value.code == 23 and 'Public key already in use' in err.value.message


def test_missing_success_counts_as_failure():
    with FlwrCli(lambda argv, environ_update=None: (0, '{"nodes": []}', ''), 'flwr', 'a:1', insecure=True) as client:
        with pytest.raises(FlwrError, match='unknown error'):
            client.list_nodes()


def test_no_json_raises_with_the_cli_output():
    def crash(argv, environ_update=None):
        return 1, '', 'Traceback ...\nModuleNotFoundError: No module named flwr\n'

    with FlwrCli(crash, 'flwr', 'a:1', insecure=True) as client:
        with pytest.raises(FlwrError) as err:
            client.list_nodes()
    assert 'flwr supernode printed no JSON (rc=1)' in err.value.message
    assert 'No module named flwr' in err.value.message and err.value.code is None


def test_fake_flwr_checks_environment_and_config(fake_flwr):
    # The fake refuses the wrong trust, a missing env var and the wrong address: the tests below can trust it.
    fake_flwr.use_tls()
    with FlwrCli(run_command, fake_flwr.path, fake_flwr.address, insecure=True) as client:
        with pytest.raises(FlwrError, match='FAKE-FLWR VIOLATION: expected TLS'):
            client.list_nodes()
    with FlwrCli(run_command, fake_flwr.path, '127.0.0.1:1', root_certificates=fake_flwr.ca) as client:
        with pytest.raises(FlwrError, match='FAKE-FLWR VIOLATION: address'):
            client.list_nodes()

    def telemetry_on(argv, environ_update=None):
        return run_command(argv, dict(environ_update, FLWR_TELEMETRY_ENABLED='1'))

    with FlwrCli(telemetry_on, fake_flwr.path, fake_flwr.address, root_certificates=fake_flwr.ca) as client:
        with pytest.raises(FlwrError, match='FLWR_TELEMETRY_ENABLED'):
            client.list_nodes()
    with FlwrCli(run_command, fake_flwr.path, fake_flwr.address, root_certificates=fake_flwr.ca) as client:
        assert client.list_nodes() == []


def test_register_returns_int_node_id_and_second_register_is_code_23(cli, fake_flwr, tmp_path):
    pub = tmp_path / 'node.pub'
    pub.write_text(ec_public_key() + '\n')
    node_id = cli.register_node(str(pub))
    assert isinstance(node_id, int) and fake_flwr.node(node_id) == {'id': node_id, 'status': 'registered'}
    assert [n['node-id'] for n in cli.list_nodes()] == [str(node_id)]
    with pytest.raises(FlwrError) as err:
        cli.register_node(str(pub))
    assert err.value.code == KEY_IN_USE


def test_unregister_marks_node_and_fails_the_second_time(cli, fake_flwr):
    node_id = fake_flwr.add_node('online')
    cli.unregister_node(node_id)
    assert fake_flwr.node(node_id)['status'] == 'unregistered'
    with pytest.raises(FlwrError, match='not found'):
        cli.unregister_node(node_id)


def test_submit_run_passes_typed_run_config_and_polls(cli, fake_flwr, tmp_path):
    app = tmp_path / 'app'
    app.mkdir()
    (app / 'pyproject.toml').write_text('[project]\nname = "digits"\n')
    submitted = cli.submit_run(str(app), {'num-server-rounds': 2, 'lr': 0.5, 'tag': 'a b'})
    run_id = int(submitted['run-id'])
    assert fake_flwr.run(run_id)['run-config'] == {'num-server-rounds': 2, 'lr': 0.5, 'tag': 'a b'}
    assert [cli.get_run(run_id)['status'] for dummy in range(4)] == \
        ['pending', 'running', 'finished:completed', 'finished:completed']
    assert cli.run_log(run_id).splitlines()[-1] == 'INFO :      Run finished'


def test_submit_run_without_run_config_passes_no_option(cli, fake_flwr, tmp_path):
    app = tmp_path / 'app'
    app.mkdir()
    (app / 'pyproject.toml').write_text('[project]\nname = "digits"\n')
    cli.submit_run(str(app), {})
    assert fake_flwr.calls()[-1] == ['run', str(app), CONNECTION_NAME, '--format', 'json']


def test_get_run_of_unknown_run_raises(cli):
    with pytest.raises(FlwrError) as err:
        cli.get_run(42)
    assert err.value.code == 14


def test_get_run_ignores_other_runs_in_the_answer():
    answer = '{"success": true, "runs": [{"run-id": "7", "status": "running"}]}'
    with FlwrCli(lambda argv, environ_update=None: (0, answer, ''), 'flwr', 'a:1', insecure=True) as client:
        assert client.get_run(7)['status'] == 'running'
        with pytest.raises(FlwrError, match='run 8 is not known'):
            client.get_run(8)


def test_run_log_of_unknown_run_includes_stderr(cli):
    assert 'Run 99 not found' in cli.run_log(99)


def test_superlink_argument_spec_shape():
    spec = _flwr.superlink_argument_spec()
    assert spec['superlink']['required'] is True
    assert spec['insecure']['default'] is False and spec['flwr']['default'] == 'flwr'
