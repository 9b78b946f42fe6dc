"""The e2e tier's shared federations, each deployed once for every module that asserts on it:
- `readme`: those the README's training lines deploy (tests/e2e/readme.py);
- `training`: the 1.42 federation of 3 SuperNodes that the strategy and checkpoint tests submit runs to.

The tests of each run together, and each federation is torn down right after its last test, so that it does not
idle beside the next one. Tests marked `restarts_superlink` run last among the users of their federation."""

import json
import time

import pytest

from tests.e2e import use_cases
from tests.e2e.federation import LocalFederation
from tests.e2e.readme import Readme

SHARED = ("readme", "training")
LAST_USER = pytest.StashKey[dict]()  # node id -> names of the shared federations it is the last user of
HELD = pytest.StashKey[dict]()  # name -> what releases it

TRAINING_PORT_BASE = 19900
# SuperNode i trains on shard i of 3; SuperNode 3 carries node config `malicious=true` and poisons its updates only
# in runs whose run config sets `test-attacks=true` (the demo ClientApp's test-only double opt-in).
TRAINING_NODE_CONFIG = json.dumps({"supernode_node_config": {
    "partition-id": "{{ flower_local_index | int - 1 }}",
    "num-partitions": "{{ flower_local_supernodes | int }}",
    "malicious": "{{ flower_local_index | int == 3 }}",
}})


def pytest_configure(config):
    config.addinivalue_line("markers", "restarts_superlink: runs after the other tests of its shared federation")


def pytest_collection_modifyitems(session, config, items):
    last = {}
    for name in SHARED:
        users = [item for item in items if name in getattr(item, "fixturenames", ())]
        if not users:
            continue
        first = items.index(users[0])
        users.sort(key=lambda item: item.get_closest_marker("restarts_superlink") is not None)
        items[first:] = users + [item for item in items[first:] if item not in users]
        last.setdefault(users[-1].nodeid, []).append(name)
    config.stash[LAST_USER] = last


def hold(config, name, release):
    config.stash.setdefault(HELD, {})[name] = release


def release(config, name):
    done = config.stash.get(HELD, {}).pop(name, None)
    if done is not None:
        done()


@pytest.fixture(scope="session")
def readme(request):
    runner = Readme()

    def done():
        print("\nmeasured (s per README line): %s" % use_cases.dumps(runner.measured()))
        runner.destroy()

    hold(request.config, "readme", done)
    yield runner
    release(request.config, "readme")


@pytest.fixture(scope="session")
def training(request):
    fed = LocalFederation("1.42.0", TRAINING_PORT_BASE, supernodes=3, extra_vars=["-e", TRAINING_NODE_CONFIG],
                          prefix="training-")
    hold(request.config, "training", fed.destroy)
    started = time.time()
    fed.playbook("site.yml", "--skip-tags", "train")
    fed.deploy_s = round(time.time() - started, 1)
    yield fed
    release(request.config, "training")


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    for name in item.config.stash.get(LAST_USER, {}).get(item.nodeid, ()):
        release(item.config, name)
