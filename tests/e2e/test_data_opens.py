"""use_cases.DataOpens, which the use-case tests rely on to show who read the nodes' data: on stand-in process
trees, it attributes each open to the tree it came from, a grandchild's included, and reports the misplaced ones."""

import os
import subprocess
import types

import pytest

from tests.e2e import use_cases

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.geteuid() != 0, reason="fanotify permission events need root")]

# Each side waits for the go file, then a child shell opens the given file (a ClientApp under its SuperNode).
SIDE = 'while [ ! -f "$1" ]; do sleep 0.05; done; sh -c "cat \\"$2\\" >/dev/null"'


def test_opens_are_attributed_to_their_process_trees(tmp_path, monkeypatch):
    for index in (1, 2):
        directory = use_cases.data_dir(types.SimpleNamespace(root=tmp_path), index)
        directory.mkdir(parents=True)
        (directory / "data.csv").write_text("x\n")
    own, other = (str(tmp_path / ("supernode%d/home/data/data.csv" % i)) for i in (1, 2))
    go = tmp_path / "go"
    reads = {"superlink": other, "supernode1": own, "supernode2": own}
    sides = {side: subprocess.Popen(["sh", "-c", SIDE, "side", str(go), path]) for side, path in reads.items()}
    monkeypatch.setattr(use_cases, "supervisor_pid", lambda fed, program: sides[program[len("flower-"):]].pid)
    try:
        with use_cases.DataOpens(types.SimpleNamespace(root=tmp_path), 2) as opens:
            go.write_text("")
            with open(own, encoding="ascii") as handle:  # this test process: neither the SuperLink nor a node
                handle.read()
            for proc in sides.values():
                assert proc.wait(timeout=30) == 0
    finally:
        for proc in sides.values():
            proc.kill()
    assert sorted(opens.opens) == sorted([("superlink", other), ("supernode1", own), ("supernode2", own),
                                          ("other", own)])
    assert sorted(opens.misplaced()) == [("superlink", other), ("supernode2", own)]
    assert opens.readers() == {"supernode1"}
