"""The e2e tier's shared federations: those the README's training lines deploy (tests/e2e/readme.py), run once
for every module that asserts on them. Their tests run together, and the federations are torn down right after
the last one, so that they do not idle beside the other modules' federations."""

import pytest

from tests.e2e import use_cases
from tests.e2e.readme import Readme

SHARED = "readme"
LAST_USER = pytest.StashKey[str]()
RUNNER = pytest.StashKey[Readme]()


def pytest_collection_modifyitems(session, config, items):
    users = [item for item in items if SHARED in getattr(item, "fixturenames", ())]
    if users:
        first = items.index(users[0])
        items[first:] = users + [item for item in items[first:] if SHARED not in getattr(item, "fixturenames", ())]
    config.stash[LAST_USER] = users[-1].nodeid if users else None


@pytest.fixture(scope="session")
def readme(request):
    runner = Readme()
    request.config.stash[RUNNER] = runner
    yield runner
    release(request.config)


def release(config):
    runner = config.stash.get(RUNNER, None)
    if runner is not None:
        print("\nmeasured (s per README line): %s" % use_cases.dumps(runner.measured()))
        runner.destroy()
        del config.stash[RUNNER]


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    if item.nodeid == item.config.stash.get(LAST_USER, None):
        release(item.config)
