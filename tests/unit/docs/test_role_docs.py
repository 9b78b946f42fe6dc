"""docs/roles.md is generated from the roles' argument specs; it must not drift from them."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_roles_md_matches_the_argument_specs():
    spec = importlib.util.spec_from_file_location("generate_role_docs", ROOT / "docs" / "generate_role_docs.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    current = (ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    assert current == generator.document(), "docs/roles.md is stale: run .venv/bin/python docs/generate_role_docs.py"
    assert "supernode_superlink_address" in current and "superlink_tls_operator_ca_key" in current
