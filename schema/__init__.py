"""The GraphQL schema: strawberry types, inputs, queries, mutations, one package per domain."""

from schema.build import build_schema

__all__ = ["build_schema"]
