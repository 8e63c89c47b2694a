from flask import Flask

from portal_service.throttle import PerClientLimit


def _app(per_minute: int) -> Flask:
    app = Flask("throttled")
    limit = PerClientLimit(per_minute)

    @app.get("/limited")
    @limit
    def limited():
        return "ok"

    @app.get("/other")
    @limit
    def other():
        return "ok"

    @app.get("/free")
    def free():
        return "ok"

    return app


def _codes(client, path: str, address: str, times: int) -> list[int]:
    return [client.get(path, environ_base={"REMOTE_ADDR": address}).status_code for _ in range(times)]


def test_a_client_beyond_its_limit_gets_429_on_that_view_only():
    client = _app(3).test_client()
    assert _codes(client, "/limited", "192.0.2.1", 5) == [200, 200, 200, 429, 429]
    assert _codes(client, "/limited", "192.0.2.2", 1) == [200]  # another client keeps its own count
    assert _codes(client, "/other", "192.0.2.1", 1) == [200]  # each view counts on its own
    assert _codes(client, "/free", "192.0.2.1", 10) == [200] * 10  # unlimited views are untouched
