# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""SuperNode public-key registration with a SuperLink, made idempotent.

Flower keeps no key -> node id lookup that a client can read (``flwr supernode list`` shows no keys), and a key
that was unregistered can never be registered again. So the SuperLink side keeps a small registry file
(``{key fingerprint: node id}``) next to its state; the SuperLink's own node list stays the authority on status.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import fcntl
import hashlib
import json
import os
import tempfile

from ansible_collections.opennebula.flower.plugins.module_utils._flwr import KEY_IN_USE, FlwrError

ALLOWED_KEY_TYPES = ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521")


class RegistrationError(Exception):
    pass


def key_fingerprint(public_key):
    """``SHA256:<base64>`` of an OpenSSH public key line, as ``ssh-keygen -l`` prints it."""
    parts = public_key.strip().split()
    if len(parts) < 2 or parts[0] not in ALLOWED_KEY_TYPES:
        raise RegistrationError(
            "public_key must be an OpenSSH EC public key (%s), got %r"
            % (", ".join(ALLOWED_KEY_TYPES), public_key.strip()[:40]))
    try:
        blob = base64.b64decode(parts[1].encode("ascii"), validate=True)
    except ValueError:
        raise RegistrationError("public_key: the key data is not valid base64")
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode("ascii").rstrip("=")


class Registry(object):
    """The fingerprint -> node id file; absent path means no memory (node ids can then be unknown).

    SuperNodes register in parallel, so every change re-reads the file under an exclusive lock.
    """

    def __init__(self, path, atomic_move=None):
        self.path = path
        self._atomic_move = atomic_move
        self.entries = self._load()

    def _load(self):
        if self.path and os.path.exists(self.path):
            with open(self.path) as handle:
                return json.load(handle)
        return {}

    def get(self, fingerprint):
        return self.entries.get(fingerprint)

    def put(self, fingerprint, node_id):
        self._update(lambda entries: entries.__setitem__(fingerprint, node_id))

    def remove(self, fingerprint):
        self._update(lambda entries: entries.pop(fingerprint, None))

    def _update(self, change):
        if not self.path:
            change(self.entries)
            return
        directory = os.path.dirname(os.path.abspath(self.path))
        with open(self.path + ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.entries = self._load()
            change(self.entries)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".registry-")
            with os.fdopen(fd, "w") as handle:
                json.dump(self.entries, handle, indent=2, sort_keys=True)
            os.chmod(tmp, 0o600)
            if self._atomic_move:
                self._atomic_move(tmp, self.path)
            else:
                os.rename(tmp, self.path)


def node_status(nodes, node_id):
    for node in nodes:
        if str(node.get("node-id")) == str(node_id):
            return node.get("status")
    return None


class Registration(object):
    """Plans and applies one key's registration; ``plan`` never changes anything."""

    def __init__(self, cli, registry, public_key):
        self.cli = cli
        self.registry = registry
        self.public_key = public_key.strip() + "\n"
        self.fingerprint = key_fingerprint(public_key)

    def current(self):
        """(node_id or None, status or None) as the SuperLink and the registry know them."""
        node_id = self.registry.get(self.fingerprint)
        if node_id is None:
            return None, None
        return node_id, node_status(self.cli.list_nodes(), node_id)

    def ensure_present(self, check_mode):
        node_id, status = self.current()
        if status == "unregistered":
            raise RegistrationError(
                "public key %s was registered as node %s and then unregistered; Flower never accepts an "
                "unregistered key again, so rotate the SuperNode key" % (self.fingerprint, node_id))
        if status is not None:
            return False, node_id, status
        if check_mode:
            return True, None, None
        try:
            node_id = self._register()
        except FlwrError as err:
            if err.code != KEY_IN_USE:
                raise RegistrationError("registering %s failed: %s" % (self.fingerprint, err.message))
            # Registered by someone who kept no record here: present, node id unknown.
            return False, None, "registered"
        self.registry.put(self.fingerprint, node_id)
        # A key registered just now belongs to a node that has not connected yet.
        return True, node_id, "registered"

    def ensure_absent(self, check_mode, node_id=None):
        known_id, status = self.current()
        node_id = known_id if node_id is None else node_id
        if node_id is None:
            return False, None
        if status is None or str(node_id) != str(known_id):
            status = node_status(self.cli.list_nodes(), node_id)
        if status is None:
            # The SuperLink does not know the node (e.g. its state was reset): forget the stale entry.
            if not check_mode and known_id is not None and str(node_id) == str(known_id):
                self.registry.remove(self.fingerprint)
            return False, node_id
        if status == "unregistered":
            return False, node_id
        if not check_mode:
            try:
                self.cli.unregister_node(node_id)
            except FlwrError as err:
                raise RegistrationError("unregistering node %s failed: %s" % (node_id, err.message))
            # Keep the entry: the SuperLink now reports the node 'unregistered', which is how a later
            # state=present learns that this key can never be registered again.
        return True, node_id

    def _register(self):
        fd, path = tempfile.mkstemp(suffix=".pub", prefix="supernode-")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(self.public_key)
            return self.cli.register_node(path)
        finally:
            os.unlink(path)
