# -*- coding: utf-8 -*-
# Copyright: opennebula.flower contributors
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
"""Writing files the way every module of the collection does: atomically, and never wider than their mode."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os
import tempfile


def write_file(module, dest, data, mode):
    """Write ``data`` to ``dest`` atomically, ending with ``mode``; the file is never wider than it meanwhile."""
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(dest), dir=os.path.dirname(dest))
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.chmod(tmp, mode)
        if os.path.isfile(dest):
            try:
                # atomic_move copies the old file's mode onto the new one
                os.chmod(dest, mode)
            except OSError:
                pass
        # atomic_move gives a new file 0666 & ~umask: keep it private until the chmod below
        old_umask = os.umask(0o077)
        try:
            module.atomic_move(tmp, dest)
        finally:
            os.umask(old_umask)
        os.chmod(dest, mode)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
