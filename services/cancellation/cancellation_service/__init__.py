"""Cancellation service: takes anularFactura requests and records them in the invoice log."""
