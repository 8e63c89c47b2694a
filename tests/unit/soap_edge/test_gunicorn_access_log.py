"""gunicorn's own access line: built only when its logger keeps it (the edge writes its own)."""
from __future__ import annotations

import logging

import pytest
from gunicorn.config import Config

from soap_edge.http.server import KeptAccessLog, logging_config


def _logger(access_level: str) -> KeptAccessLog:
    config = logging_config("info")
    config["loggers"]["gunicorn.access"]["level"] = access_level
    cfg = Config()
    cfg.set("logconfig_dict", config)
    cfg.set("logger_class", KeptAccessLog)
    return cfg.logger_class(cfg)


@pytest.fixture(autouse=True)
def _gunicorn_loggers_restored():
    kept = {name: logging.getLogger(name).level for name in ("gunicorn.access", "gunicorn.error")}
    yield
    for name, level in kept.items():
        logging.getLogger(name).setLevel(level)


def test_the_edges_configuration_builds_no_access_line(monkeypatch):
    logger = _logger("CRITICAL")
    monkeypatch.setattr(logger, "atoms", lambda *a: pytest.fail("an access line was built for a logger that drops it"))
    assert not logger.access_log_enabled
    logger.access(None, None, {}, None)


def test_an_access_logger_at_info_still_gets_gunicorns_line(monkeypatch):
    logger = _logger("INFO")
    built = []
    monkeypatch.setattr(logger, "atoms", lambda *a: built.append(a) or {"h": "127.0.0.1"})
    assert logger.access_log_enabled
    logger.access(None, None, {}, None)
    assert len(built) == 1
