"""docs/appliance-context.md is generated from the appliance schema and must match it."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_context_reference_matches_the_schema():
    spec = importlib.util.spec_from_file_location("generate_context_docs", ROOT / "docs" / "generate_context_docs.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    current = (ROOT / "docs" / "appliance-context.md").read_text()
    assert current == generator.render(), "docs/appliance-context.md is stale: run .venv/bin/python docs/generate_context_docs.py"
