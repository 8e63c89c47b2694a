"""The HTTP layer: gunicorn and its worker, the front that routes, bounds and answers every request."""
