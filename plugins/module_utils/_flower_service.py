# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""A Flower service in one pass: its launcher script, its systemd unit or supervisord program, and its state.

Files are compared with what they should hold and rewritten atomically only when they differ. The service is
then brought to the wanted state with as few calls as possible: systemd through one ``systemctl show`` (plus
the changes), supervisord through its XML-RPC interface on the UNIX socket named in ``supervisord.conf``
(no ``supervisorctl`` process per step). Hosts of a local federation share one supervisord, so the supervisord
configuration, its start and the loading of programs happen under a lock file next to ``supervisord.conf``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import errno
import fcntl
import os
import socket
import tempfile

try:
    import configparser
    import http.client as http_client
    import xmlrpc.client as xmlrpc_client
except ImportError:  # Python 2 (sanity's compile tests only)
    import ConfigParser as configparser  # noqa: F401
    import httplib as http_client  # noqa: F401
    import xmlrpclib as xmlrpc_client  # noqa: F401

from ansible_collections.opennebula.flower.plugins.module_utils._waiter import StateTable, Waiter, WaitTimeout

# supervisord process states that count as running (BACKOFF: between automatic restarts).
SUPERVISOR_RUNNING = ("STARTING", "RUNNING", "BACKOFF")
# systemd ActiveState values that count as running (as ansible.builtin.systemd_service counts them).
SYSTEMD_RUNNING = ("active", "activating", "reloading")
# supervisord XML-RPC fault codes (supervisor.xmlrpc.Faults).
BAD_NAME = 10
ALREADY_STARTED = 60
NOT_RUNNING = 70


class ServiceError(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------------
# Files


class ManagedFile(object):
    """One file with wanted content, mode and (optional) owner/group."""

    def __init__(self, path, content, mode, owner=None, group=None):
        self.path = path
        self.content = content
        self.mode = mode
        self.owner = owner
        self.group = group
        self.before = None
        self.changed = False
        self.restart = True

    def read(self):
        try:
            with open(self.path, "rb") as handle:
                self.before = handle.read().decode("utf-8", "replace")
        except (IOError, OSError) as err:
            if err.errno != errno.ENOENT:
                raise ServiceError("cannot read %s: %s" % (self.path, err))
            self.before = None
        return self.before

    def ensure(self, module):
        """Write the file when its content differs, then fix mode/owner; return whether anything changed."""
        self.read()
        content_changed = self.before != self.content
        if content_changed and not module.check_mode:
            ensure_directory(module, os.path.dirname(self.path))
            self._write(module)
        attributes_changed = False
        if module.check_mode and self.before is None:
            attributes_changed = False  # would be created with the right attributes
        else:
            file_args = dict(path=self.path, mode=self.mode, owner=self.owner, group=self.group, secontext=[None, None, None],
                             attributes=None)
            attributes_changed = module.set_fs_attributes_if_different(file_args, False)
        self.changed = content_changed or attributes_changed
        return self.changed

    def _write(self, module):
        directory = os.path.dirname(self.path) or "."
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(self.path))
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(self.content.encode("utf-8"))
            os.chmod(tmp, self.mode)
        except Exception:
            os.unlink(tmp)
            raise
        module.atomic_move(tmp, self.path)

    def diff(self):
        return dict(before_header=self.path, after_header=self.path, before=self.before or "", after=self.content)


def ensure_directory(module, path, mode=0o755):
    """Create a missing directory (and its parents) with ``mode``; return whether one was created."""
    if not path or os.path.isdir(path):
        return False
    if module.check_mode:
        return True
    ensure_directory(module, os.path.dirname(path))
    try:
        os.mkdir(path, mode)
    except OSError as err:
        if err.errno != errno.EEXIST:
            raise ServiceError("cannot create %s: %s" % (path, err))
    os.chmod(path, mode)
    return True


class FileLock(object):
    """An exclusive flock on ``path`` (created when missing); a no-op without a path."""

    def __init__(self, path):
        self.path = path
        self.handle = None

    def __enter__(self):
        if self.path:
            self.handle = open(self.path, "a")
            fcntl.flock(self.handle, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


# ---------------------------------------------------------------------------------------------------------------
# systemd


class Systemd(object):
    """``systemctl`` through ``run_command`` (the signature of AnsibleModule.run_command)."""

    def __init__(self, run_command, systemctl="systemctl"):
        self._run_command = run_command
        self.systemctl = systemctl

    def _run(self, *args):
        rc, stdout, stderr = self._run_command([self.systemctl] + list(args))
        if rc != 0:
            raise ServiceError("systemctl %s failed (rc=%s): %s" % (" ".join(args), rc, (stderr or stdout).strip()))
        return stdout

    def show(self, name):
        """{ActiveState, UnitFileState, NeedDaemonReload, LoadState} of the unit."""
        stdout = self._run("show", name, "--property=ActiveState,UnitFileState,NeedDaemonReload,LoadState")
        properties = {}
        for line in stdout.splitlines():
            key, sep, value = line.partition("=")
            if sep:
                properties[key.strip()] = value.strip()
        return properties

    def daemon_reload(self):
        self._run("daemon-reload")

    def action(self, verb, name):
        self._run(verb, name)


def converge_systemd(systemd, name, state, enabled, restart, definition_changed, check_mode):
    """Bring a unit to ``state``; return dict(actions=[...], active_state=...). ``actions`` empty: nothing done."""
    actions = []
    if definition_changed and not check_mode:
        systemd.daemon_reload()
    properties = systemd.show(name)
    # A unit written earlier (e.g. by an image build) that systemd has not read yet.
    if not definition_changed and (properties.get("NeedDaemonReload") == "yes"
                                   or properties.get("LoadState") == "not-found"):
        if not check_mode:
            systemd.daemon_reload()
            properties = systemd.show(name)
    unit_enabled = properties.get("UnitFileState") in ("enabled", "enabled-runtime", "alias", "static", "indirect")
    if enabled is not None and properties.get("UnitFileState") not in ("static", "indirect", "alias"):
        if enabled and properties.get("UnitFileState") not in ("enabled", "enabled-runtime"):
            actions.append("enable")
        elif not enabled and unit_enabled:
            actions.append("disable")
    running = properties.get("ActiveState") in SYSTEMD_RUNNING
    if state == "started":
        if restart:
            actions.append("restart")
        elif not running:
            actions.append("start")
    elif state == "stopped" and running:
        actions.append("stop")
    if not check_mode:
        for verb in actions:
            systemd.action(verb, name)
    active_state = properties.get("ActiveState")
    if actions and not check_mode and any(verb in ("start", "restart", "stop") for verb in actions):
        active_state = systemd.show(name).get("ActiveState")
    return dict(actions=actions, active_state=active_state)


# ---------------------------------------------------------------------------------------------------------------
# supervisord


class _UnixHTTPConnection(http_client.HTTPConnection):
    def __init__(self, path, timeout):
        http_client.HTTPConnection.__init__(self, "localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class _UnixTransport(xmlrpc_client.Transport):
    def __init__(self, path, timeout):
        xmlrpc_client.Transport.__init__(self)
        self.socket_path = path
        self.timeout = timeout

    def make_connection(self, host):
        return _UnixHTTPConnection(self.socket_path, self.timeout)


def supervisor_socket(conf_text, conf_path):
    """The UNIX socket path supervisorctl would use, from supervisord.conf's text."""
    parser = configparser.RawConfigParser()
    parser.read_string(conf_text)
    url = ""
    if parser.has_option("supervisorctl", "serverurl"):
        url = parser.get("supervisorctl", "serverurl")
    elif parser.has_option("unix_http_server", "file"):
        url = "unix://" + parser.get("unix_http_server", "file")
    if not url.startswith("unix://"):
        raise ServiceError("%s: supervisorctl serverurl must be a unix:// socket, got %r" % (conf_path, url))
    path = url[len("unix://"):]
    here = os.path.dirname(os.path.abspath(conf_path))
    return os.path.normpath(os.path.join(here, path.replace("%(here)s", here)))


SUPERVISORD_ANSWERING = StateTable("supervisord answering", success=["ANSWERING"], transitional=["SILENT"])


class Supervisor(object):
    """supervisord's XML-RPC API on its UNIX socket; ``start_daemon`` runs supervisord when it is not running."""

    def __init__(self, socket_path, run_command, supervisord, conf_path, timeout=60):
        self.socket_path = socket_path
        self._run_command = run_command
        self.supervisord = supervisord
        self.conf_path = conf_path
        self.timeout = timeout
        self._proxy = xmlrpc_client.ServerProxy("http://localhost", transport=_UnixTransport(socket_path, timeout))

    def running(self):
        """Whether supervisord answers on its socket."""
        if not os.path.exists(self.socket_path):
            return False
        try:
            return self._proxy.supervisor.getState()["statename"] == "RUNNING"
        except (socket.error, OSError, xmlrpc_client.Error, http_client.HTTPException):
            return False

    def start_daemon(self):
        rc, stdout, stderr = self._run_command([self.supervisord, "-c", self.conf_path])
        if rc != 0:
            output = (stderr or stdout).strip()
            raise ServiceError("%s -c %s failed (rc=%s): %s" % (self.supervisord, self.conf_path, rc, output))
        try:
            Waiter().wait(self.running, lambda up: "ANSWERING" if up else "SILENT", SUPERVISORD_ANSWERING,
                          timeout=self.timeout, delay=0.1, max_delay=0.1, backoff=1, jitter=0)
        except WaitTimeout:
            raise ServiceError("supervisord (%s) did not answer on %s" % (self.conf_path, self.socket_path))

    def call(self, method, *args):
        try:
            return getattr(self._proxy.supervisor, method)(*args)
        except xmlrpc_client.Fault:
            raise
        except (socket.error, OSError, xmlrpc_client.Error, http_client.HTTPException) as err:
            raise ServiceError("supervisord on %s: %s failed: %s" % (self.socket_path, method, err))

    def process_state(self, name):
        """The program's statename, or None when supervisord has not loaded it."""
        try:
            return self.call("getProcessInfo", name)["statename"]
        except xmlrpc_client.Fault as fault:
            if fault.faultCode == BAD_NAME:
                return None
            raise ServiceError("supervisord: getProcessInfo %s: %s" % (name, fault.faultString))

    def update(self, name):
        """``supervisorctl update NAME``: reread the configuration and add, replace or remove the group.
        Returns 'added', 'updated', 'removed' or None."""
        added, changed, removed = self.call("reloadConfig")[0]
        try:
            if name in removed:
                self._stop_group(name)
                self.call("removeProcessGroup", name)
                return "removed"
            if name in changed:
                self._stop_group(name)
                self.call("removeProcessGroup", name)
                self.call("addProcessGroup", name)
                return "updated"
            if name in added:
                self.call("addProcessGroup", name)
                return "added"
        except xmlrpc_client.Fault as fault:
            raise ServiceError("supervisord: updating %s: %s" % (name, fault.faultString))
        return None

    def _stop_group(self, name):
        try:
            self.call("stopProcessGroup", name)
        except xmlrpc_client.Fault as fault:
            if fault.faultCode not in (BAD_NAME, NOT_RUNNING):
                raise

    def start(self, name):
        try:
            self.call("startProcess", name, True)
        except xmlrpc_client.Fault as fault:
            if fault.faultCode != ALREADY_STARTED:
                raise ServiceError("supervisord: starting %s failed: %s" % (name, fault.faultString))

    def stop(self, name):
        try:
            self.call("stopProcess", name, True)
        except xmlrpc_client.Fault as fault:
            if fault.faultCode != NOT_RUNNING:
                raise ServiceError("supervisord: stopping %s failed: %s" % (name, fault.faultString))


def converge_supervisor(supervisor, name, state, restart, definition_changed, check_mode, lock=None):
    """Bring a program to ``state``; return dict(actions=[...], process_state=...)."""
    actions = []
    with lock or FileLock(None):
        daemon_running = supervisor.running()
        if not daemon_running:
            actions.append("start supervisord")
            if not check_mode:
                supervisor.start_daemon()
        if check_mode:
            process_state = supervisor.process_state(name) if daemon_running else None
            updated = None
            if process_state is None:
                updated = "added"
            elif definition_changed:
                updated = "updated"
        else:
            updated = supervisor.update(name)
            process_state = supervisor.process_state(name)
    if updated:
        actions.append("update (%s)" % updated)
    if updated == "added" and process_state is None:
        process_state = "STOPPED" if check_mode else process_state
    running = process_state in SUPERVISOR_RUNNING or (check_mode and updated in ("added", "updated"))
    if state == "stopped":
        if running:
            actions.append("stop")
            if not check_mode:
                supervisor.stop(name)
    elif restart and updated not in ("added", "updated") and daemon_running:
        # (a supervisord started just now loaded the current files: nothing to restart)
        actions.append("restart")
        if not check_mode:
            if process_state in SUPERVISOR_RUNNING:
                supervisor.stop(name)
            supervisor.start(name)
    elif not running:
        actions.append("start")
        if not check_mode:
            supervisor.start(name)
    if actions and not check_mode:
        process_state = supervisor.process_state(name)
    return dict(actions=actions, process_state=process_state)


# ---------------------------------------------------------------------------------------------------------------
# The module's work


def ensure_directories(module, directories):
    """Create each ``{path, mode, owner, group}`` directory or fix its attributes; return the changed paths."""
    changed = []
    for entry in directories:
        path = entry["path"]
        mode = entry.get("mode") or "0755"
        created = ensure_directory(module, path, int(str(mode), 8))
        attributes = False
        if os.path.isdir(path):
            file_args = dict(path=path, mode=str(mode), owner=entry.get("owner"), group=entry.get("group"),
                             secontext=[None, None, None], attributes=None)
            attributes = module.set_fs_attributes_if_different(file_args, False)
        elif module.check_mode:
            created = True
        if created or attributes:
            changed.append(path)
    return changed


def apply(module, result):
    """Do what the flower_service module's parameters ask; fill ``result`` as it goes; return the file diffs."""
    params = module.params
    supervisor = params["manager"] == "supervisor"
    result["directories_changed"] = ensure_directories(module, params["directories"] or [])
    files = []
    for entry in params["files"] or []:
        managed = ManagedFile(entry["path"], entry["content"], int(str(entry.get("mode") or "0644"), 8),
                              owner=entry.get("owner"), group=entry.get("group"))
        managed.restart = bool(entry.get("restart"))
        files.append(managed)
    if params["launcher_content"] is not None:
        files.append(ManagedFile(params["launcher"], params["launcher_content"], 0o755, owner=params["launcher_owner"]))
    definition = ManagedFile(params["definition"], params["definition_content"], 0o644,
                             owner=params["definition_owner"], group=params["definition_group"])
    files.append(definition)
    conf, lock = None, FileLock(None)
    if supervisor:
        conf_dir = os.path.dirname(params["supervisor_conf"])
        ensure_directory(module, conf_dir)
        if os.path.isdir(conf_dir):
            lock = FileLock(os.path.join(conf_dir, ".flower_service.lock"))
        if params["supervisor_conf_content"] is not None:
            conf = ManagedFile(params["supervisor_conf"], params["supervisor_conf_content"], 0o644)
            conf.restart = False
            files.insert(0, conf)
    # Hosts sharing one supervisord write its configuration under the lock.
    with lock:
        if conf is not None:
            conf.ensure(module)
    for managed in files:
        if managed is not conf:
            managed.ensure(module)
    diffs = []
    for managed in files:
        if managed.changed:
            result["files_changed"].append(managed.path)
            diffs.append(managed.diff())
    result["changed"] = bool(result["files_changed"] or result["directories_changed"])
    if params["state"] == "present":
        return diffs
    # The launcher and the definition always restart a started service when they change; extra files when asked.
    restart = params["restart"] or any(managed.changed and getattr(managed, "restart", True) for managed in files)
    if supervisor:
        conf_text = params["supervisor_conf_content"]
        if conf_text is None:
            conf_text = ManagedFile(params["supervisor_conf"], None, 0o644).read()
            if conf_text is None:
                raise ServiceError("supervisor_conf %s does not exist" % params["supervisor_conf"])
        client = Supervisor(supervisor_socket(conf_text, params["supervisor_conf"]), module.run_command,
                            params["supervisord"], params["supervisor_conf"])
        outcome = converge_supervisor(client, params["name"], params["state"], restart, definition.changed,
                                      module.check_mode, lock=lock)
        result["service_state"] = outcome["process_state"]
        result["restarted"] = "restart" in outcome["actions"] or "update (updated)" in outcome["actions"]
    else:
        systemctl = params["systemctl"]
        if os.path.sep not in systemctl:
            systemctl = module.get_bin_path(systemctl, required=True)
        outcome = converge_systemd(Systemd(module.run_command, systemctl), params["name"], params["state"],
                                   params["enabled"], restart, definition.changed, module.check_mode)
        result["service_state"] = outcome["active_state"]
        result["restarted"] = "restart" in outcome["actions"]
    result["actions"] = outcome["actions"]
    result["service_changed"] = bool(outcome["actions"])
    result["changed"] = result["changed"] or result["service_changed"]
    return diffs
