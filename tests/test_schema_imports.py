"""No import cycle among the schema's modules (issue 10): a type module that needs a reader
imports it at the top, never inside a function to dodge a cycle. grimp sees function-local
imports too, so a hidden cycle fails here. And every grant is named once (issue 10)."""

from pathlib import Path

import grimp

SCHEMA = Path(__file__).resolve().parent.parent / "schema"


def test_schema_modules_import_each_other_without_cycles() -> None:
    graph = grimp.build_graph("schema")
    cycles = sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )
    assert cycles == []


def test_grants_are_built_only_in_the_grants_module() -> None:
    """No field builds its own Grant or role set: every grant is named in schema.grants."""
    builders = sorted(
        str(path.relative_to(SCHEMA.parent))
        for path in SCHEMA.rglob("*.py")
        if path.name != "permissions.py"  # where Grant is defined
        and path != SCHEMA / "grants.py"
        and any(made in path.read_text(encoding="utf-8") for made in ("Grant(", "frozenset({StaffRole"))
    )
    assert builders == []
