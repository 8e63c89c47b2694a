"""Facturae parsing, validation and signature verification."""
