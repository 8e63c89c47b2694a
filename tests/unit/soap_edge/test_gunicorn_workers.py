"""gunicorn's workers and threads at the edge: from the environment (VENTANILLA_SOAP_WORKERS, _THREADS)."""
from __future__ import annotations

import pytest

from ventanilla.config import Settings

from soap_edge.http.server import EdgeServer


@pytest.mark.parametrize("env, workers, threads", [({}, 2, 8),
                                                   ({"VENTANILLA_SOAP_WORKERS": "3", "VENTANILLA_SOAP_THREADS": "16"}, 3, 16)])
def test_gunicorn_gets_the_configured_workers_and_threads(env, workers, threads, tmp_path):
    settings = Settings.from_env({"VENTANILLA_SOAP_PLAIN_HTTP": "1", "VENTANILLA_STATE_DIR": str(tmp_path), **env})
    server = EdgeServer(settings, lambda _settings: None)
    assert (server.cfg.workers, server.cfg.threads) == (workers, threads)


def test_a_thread_count_below_one_is_refused(tmp_path):
    with pytest.raises(ValueError):
        Settings.from_env({"VENTANILLA_SOAP_THREADS": "0", "VENTANILLA_STATE_DIR": str(tmp_path)})
