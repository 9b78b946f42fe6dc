"""Every training line of README.md (`make demo ...`, `make train ...` in its code blocks), read from the README
itself and run as written, in README order, each once: the federations they deploy are the e2e tier's shared
federations (tests/e2e/conftest.py), which tests of the default deployment reuse instead of deploying their own.

Only the harness's isolation is added: FLOWER_LOCAL_ROOT (a temporary directory; a line's own
FLOWER_LOCAL_ROOT=$PWD/... lands under it) and a port base of its own unless the line sets one. A line that trains
a use case on the nodes' data runs, as root, while the nodes' data directories are watched (use_cases.DataOpens), so
that the use-case tests can show which process read the data."""

import contextlib
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

from tests.e2e import use_cases
from ansible_collections.opennebula.flower.plugins.module_utils._flower_layouts import default_release
from ansible_collections.opennebula.flower.plugins.module_utils._training import FRAMEWORK_MODULES
from tests.e2e.federation import BIN, REPO, LocalFederation

PORT_BASE = 20300
DEFAULT_VERSION = default_release()  # what `make demo` deploys without -e flower_version
DEFAULTS = {"flower_version": DEFAULT_VERSION}
COMMAND = re.compile(r"^make (demo|train)\b")


def readme_lines():
    """(line number, command) of each `make demo`/`make train` line in README.md's code blocks, in order."""
    lines, in_block = [], False
    for number, text in enumerate((REPO / "README.md").read_text().splitlines(), start=1):
        if text.startswith("```"):
            in_block = not in_block
        elif in_block and COMMAND.match(text):
            lines.append((number, text))
    return lines


LINES = readme_lines()


def parse(command):
    """(make target, ARGS as written, other VAR=value assignments) of a README line; comments dropped."""
    words = shlex.split(command, comments=True)
    assert words[:1] == ["make"] and len(words) >= 2, command
    assignments = dict(word.split("=", 1) for word in words[2:])
    unknown = set(assignments) - {"ARGS", "FLOWER_LOCAL_ROOT", "PURGE"}
    assert not unknown, "%s: no idea how to run %s" % (command, sorted(unknown))
    return words[1], assignments.pop("ARGS", ""), assignments


def extra_vars(args):
    """{name: value} of the -e name=value pairs in ARGS."""
    words = shlex.split(args)
    return dict(words[i + 1].split("=", 1) for i, word in enumerate(words[:-1]) if word == "-e" and "=" in words[i + 1])


def framework(command):
    return extra_vars(parse(command)[1]).get("flower_train_framework")


def missing_modules(fed, name):
    """The Python modules of framework `name` that the federation's virtualenv lacks."""
    code = "import importlib.util, sys; print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"
    out = subprocess.run([str(fed.venv / "bin/python"), "-c", code] + list(FRAMEWORK_MODULES.get(name, ())),
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def last_record(fed):
    path = fed.superlink_home / "last-run.json"
    return path.read_text() if path.exists() else None


class Ran:
    """What one README line did: its federation, the make process, for a framework line what the federation lacked,
    its last run record before and after the line, and for a use-case line who opened the nodes' data (DataOpens)."""

    def __init__(self, fed, proc, seconds, missing, record_before, opens):
        self.fed, self.proc, self.seconds = fed, proc, seconds
        self.missing, self.record_before, self.record_after = missing, record_before, last_record(fed)
        self.opens = opens


class Readme:
    """Runs README lines with make, each once and in order, against temporary federations."""

    def __init__(self):
        self.fed = LocalFederation(DEFAULT_VERSION, PORT_BASE, supernodes=2, prefix="readme-")
        self.roots = {}  # FLOWER_LOCAL_ROOT -> LocalFederation (for the checks and the tear-down)
        self.ran = {}  # README line number -> Ran

    def line(self, number):
        """Ran of README line `number`, running it and every earlier line not run yet."""
        for earlier, command in LINES:
            if earlier > number:
                break
            if earlier not in self.ran:
                self.ran[earlier] = self._run(earlier, command)
        return self.ran[number]

    def first(self, variable, value):
        """(line number, Ran) of the first README line whose -e sets `variable` to `value`, running it (and the lines
        before it) if it has not run. Without -e flower_version a line deploys DEFAULT_VERSION."""
        for number, command in LINES:
            if extra_vars(parse(command)[1]).get(variable, DEFAULTS.get(variable)) == value:
                return number, self.line(number)
        raise AssertionError("no README line sets %s=%s" % (variable, value))

    def _federation(self, variables, assignments):
        root = assignments.get("FLOWER_LOCAL_ROOT", "")
        root = Path(root.replace("$PWD", str(self.fed.root))) if root else self.fed.root
        if root not in self.roots:
            fed = self.fed
            if root != self.fed.root:
                fed = LocalFederation(variables.get("flower_version", DEFAULT_VERSION),
                                      int(variables.get("flower_local_port_base", PORT_BASE)))
                fed.root.rmdir()
                fed.root = root
            self.roots[root] = fed
        return self.roots[root]

    def _run(self, number, command):
        target, args, assignments = parse(command)
        variables = extra_vars(args)
        fed = self._federation(variables, assignments)
        missing = missing_modules(fed, variables["flower_train_framework"]) \
            if "flower_train_framework" in variables and fed.venv.exists() else []
        before = last_record(fed)
        # Isolation first: the line's own -e come after it and win.
        isolation = "" if "flower_local_port_base" in variables else "-e flower_local_port_base=%d " % PORT_BASE
        argv = ["make", "-C", str(REPO), target, "VENV=%s" % BIN.parent, "ARGS=%s%s" % (isolation, args),
                "FLOWER_LOCAL_ROOT=%s" % fed.root] + ["%s=%s" % kv for kv in assignments.items()
                                                      if kv[0] != "FLOWER_LOCAL_ROOT"]
        use_case = "flower_train_use_case" in variables and not missing and fed.venv.exists()
        watched = (use_cases.DataOpens(fed, len(list(fed.root.glob("supernode*/home/data"))))
                   if use_case and os.geteuid() == 0 else None)
        started = time.time()
        with watched or contextlib.nullcontext():
            proc = subprocess.run(argv, cwd=REPO, env=dict(fed.env, FLOWER_LOCAL_ROOT=str(fed.root)),
                                  capture_output=True, text=True, timeout=1800, check=False)
        seconds = round(time.time() - started, 1)
        return Ran(fed, proc, seconds, missing, before, watched)

    def measured(self):
        """{README line: seconds it took}."""
        commands = dict(LINES)
        return {commands[number]: ran.seconds for number, ran in sorted(self.ran.items())}

    def destroy(self):
        for fed in reversed(list(self.roots.values())):  # a line's own root may lie under the first one
            fed.destroy()
        self.roots.clear()
