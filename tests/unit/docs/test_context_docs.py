"""docs/appliance-context.md is generated from the appliance schema and must match it."""

import importlib.util
from pathlib import Path

from ansible_collections.opennebula.flower.plugins.module_utils._appliance_schema import SCHEMA

ROOT = Path(__file__).resolve().parents[3]


def test_the_context_reference_matches_the_schema():
    spec = importlib.util.spec_from_file_location("generate_context_docs", ROOT / "docs" / "generate_context_docs.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    current = (ROOT / "docs" / "appliance-context.md").read_text()
    assert current == generator.render(), "docs/appliance-context.md is stale: run .venv/bin/python docs/generate_context_docs.py"


def test_the_reference_says_what_each_variable_becomes():
    rows = dict((line.split(' | ')[0].strip('| `'), line.split(' | ')[-1])
                for line in (ROOT / "docs" / "appliance-context.md").read_text().splitlines()
                if line.startswith('| `ONEAPP_'))
    for var in SCHEMA:
        becomes = rows[var.context_name]
        assert becomes.strip(' |'), var.context_name
        expected = [var.role_variable(role) for role in var.roles] + [var.run_config, var.discovery] + list(var.onegate)
        for name in filter(None, expected):
            assert '`%s`' % name in becomes, (var.context_name, name)
