# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Client for a Flower SuperLink's Control API, through the ``flwr`` CLI.

The CLI is the one supported client of the Control API in both layouts (gRPC on 1.31, HTTP on 1.42), so
every call goes through it. Each client gets its own throw-away FLWR_HOME holding a ``config.toml`` with one
SuperLink connection, so nothing depends on (or changes) the invoking user's ``~/.flwr``.

``flwr ... --format json`` exits 0 even when the call failed, so the ``success`` field decides.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import tempfile

from ansible_collections.opennebula.flower.plugins.module_utils._waiter import ABSENT, StateTable

CONNECTION_NAME = "target"
FLOWER_ENV = {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1"}


class FlwrError(Exception):
    """A ``flwr`` call failed; ``message`` is what the CLI said."""

    def __init__(self, message, code=None, stdout="", stderr=""):
        super(FlwrError, self).__init__(message)
        self.message = message
        self.code = code
        self.stdout = stdout
        self.stderr = stderr


def connection_toml(address, root_certificates=None, insecure=False):
    """The ``config.toml`` text naming one SuperLink connection."""
    lines = ["[superlink]", 'default = "%s"' % CONNECTION_NAME, "", "[superlink.%s]" % CONNECTION_NAME]
    lines.append("address = %s" % json.dumps(address))
    if insecure:
        lines.append("insecure = true")
    elif root_certificates:
        lines.append("root-certificates = %s" % json.dumps(root_certificates))
    return "\n".join(lines) + "\n"


def error_code(message):
    """Flower prefixes errors with ``[code: N]``; return N as an int, or None."""
    marker = "[code: "
    start = message.find(marker)
    if start < 0:
        return None
    end = message.find("]", start)
    try:
        return int(message[start + len(marker):end])
    except ValueError:
        return None


def parse_json_output(stdout):
    """The JSON document a ``--format json`` call printed (the CLI may print notices before it)."""
    start = stdout.find("{")
    if start < 0:
        raise ValueError("no JSON document in the output")
    return json.JSONDecoder().raw_decode(stdout[start:])[0]


# Flower's statuses in `flwr supernode list`; a node the SuperLink does not list (ABSENT) will not come.
SUPERNODE_ONLINE = StateTable(
    "SuperNode online",
    success=["online"],
    failure=["unregistered", ABSENT],
    transitional=["registered", "offline"],
)


class FlwrCli(object):
    """Runs ``flwr`` commands against one SuperLink.

    ``run_command`` has the signature of ``AnsibleModule.run_command`` (argv list, environ_update=...) and
    returns ``(rc, stdout, stderr)``.
    """

    def __init__(self, run_command, flwr, address, root_certificates=None, insecure=False):
        if not insecure and not root_certificates:
            raise ValueError("either root_certificates or insecure=true is required to reach %s" % address)
        self._run_command = run_command
        self.flwr = flwr
        self.address = address
        self._home = tempfile.mkdtemp(prefix="flwr-cli-")
        with open(os.path.join(self._home, "config.toml"), "w") as handle:
            handle.write(connection_toml(address, root_certificates, insecure))

    def close(self):
        shutil.rmtree(self._home, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _env(self):
        env = dict(FLOWER_ENV)
        env["FLWR_HOME"] = self._home
        return env

    def raw(self, args):
        """Run ``flwr <args> target``-style commands as given; return (rc, stdout, stderr)."""
        return self._run_command([self.flwr] + list(args), environ_update=self._env())

    def call_json(self, args):
        """Run a ``--format json`` command; return its document or raise FlwrError."""
        rc, stdout, stderr = self.raw(list(args) + ["--format", "json"])
        try:
            document = parse_json_output(stdout)
        except ValueError:
            raise FlwrError("flwr %s printed no JSON (rc=%s): %s" % (args[0], rc, (stderr or stdout).strip()[-2000:]),
                            stdout=stdout, stderr=stderr)
        if not document.get("success", False):
            message = str(document.get("error-message", "unknown error")).strip()
            raise FlwrError(message, code=error_code(message), stdout=stdout, stderr=stderr)
        return document

    # Nodes

    def list_nodes(self):
        return self.call_json(["supernode", "list", CONNECTION_NAME]).get("nodes", [])

    def register_node(self, public_key_path):
        """Register a public key; return the node id. Raises FlwrError (code 23 when the key is in use)."""
        document = self.call_json(["supernode", "register", public_key_path, CONNECTION_NAME])
        return int(document["node-id"])

    def unregister_node(self, node_id):
        self.call_json(["supernode", "unregister", str(node_id), CONNECTION_NAME])

    # Runs

    def submit_run(self, app_dir, run_config=None):
        args = ["run", app_dir, CONNECTION_NAME]
        if run_config:
            args += ["--run-config", run_config_string(run_config)]
        return self.call_json(args)

    def get_run(self, run_id):
        runs = self.call_json(["list", CONNECTION_NAME, "--run-id", str(run_id)]).get("runs", [])
        for run in runs:
            if str(run.get("run-id")) == str(run_id):
                return run
        raise FlwrError("run %s is not known to the SuperLink" % run_id)

    def follow_run(self, run_id, timeout):
        """Stream the run's log until the SuperLink ends the stream (the run finished, or the connection broke)
        or ``timeout`` passes. Waiting on the stream wastes no time between polls; callers still confirm the
        status, since a stream also ends when the SuperLink goes away."""
        env = dict(os.environ, **self._env())
        try:
            subprocess.run([self.flwr, "log", str(run_id), CONNECTION_NAME, "--stream"], env=env, timeout=timeout,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            pass

    def run_log(self, run_id):
        rc, stdout, stderr = self.raw(["log", str(run_id), CONNECTION_NAME, "--show"])
        return stdout if rc == 0 else stdout + stderr


KEY_IN_USE = 23


def run_config_string(run_config):
    """``{'num-server-rounds': 3, 'output-dir': '/x'}`` as the TOML-typed ``k=v`` string ``flwr run`` takes."""
    return " ".join("%s=%s" % (key, toml_value(value)) for key, value in sorted(run_config.items()))


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    value = str(value)
    # flwr splits the string with "[^"]*" | '[^']*', so a value holding '"' needs a TOML literal string.
    if '"' in value and "'" not in value and "\n" not in value:
        return "'%s'" % value
    return json.dumps(value)


def superlink_argument_spec():
    """Connection options shared by every module that talks to a SuperLink."""
    return dict(
        superlink=dict(type="str", required=True),
        root_certificates=dict(type="path"),
        insecure=dict(type="bool", default=False),
        flwr=dict(type="path", default="flwr"),
    )


def cli_for(module):
    """A FlwrCli for an AnsibleModule built with ``superlink_argument_spec``; fails the module on bad input."""
    params = module.params
    flwr = params["flwr"]
    if os.path.sep not in flwr:
        flwr = module.get_bin_path(flwr, required=True)
    elif not os.access(flwr, os.X_OK):
        module.fail_json(msg="flwr: %s is not an executable file" % flwr)
    if not params["insecure"] and not params["root_certificates"]:
        module.fail_json(msg="root_certificates is required unless insecure=true (superlink=%s)" % params["superlink"])
    if params["root_certificates"] and not os.path.isfile(params["root_certificates"]):
        module.fail_json(msg="root_certificates: %s does not exist" % params["root_certificates"])
    return FlwrCli(module.run_command, flwr, params["superlink"], params["root_certificates"], params["insecure"])
