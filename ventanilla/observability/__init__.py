"""Metrics, traces and log context that every Ventanilla process shares."""
