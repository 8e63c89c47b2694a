"""Ventanilla: e-invoice entry point for Spanish public administrations."""
