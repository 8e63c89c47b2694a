"""Benchmarks of the SOAP edge: scripts run by `make bench` (tests/benchmarks/run_all.py), not tests."""
