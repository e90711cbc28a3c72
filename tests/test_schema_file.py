"""The committed SDL is the code's SDL (`accord schema export > schema.graphql`)."""

from pathlib import Path

from schema import build_schema

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == build_schema().as_str() + "\n", "schema.graphql is stale: run `make schema` and commit it"
