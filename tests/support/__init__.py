"""Test helpers shared by unit, e2e tests and benchmarks (never imported by the product)."""
