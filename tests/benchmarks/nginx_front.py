"""nginx (Debian's) terminating TLS with client certificates in front of an ingress-mode edge: the alternative
to the edge's own event loop that bench_slow_clients.py measures (`apt-get install nginx-light`)."""
from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

from tests.support.stack_env import free_ports

CONFIG = """daemon off;
worker_processes auto;
pid {work}/nginx.pid;
error_log stderr error;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy;
  fastcgi_temp_path {work}/fastcgi; uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  client_max_body_size 16m;  # the edge refuses over its own cap, with its fault
  client_header_timeout 10s; client_body_timeout 30s; keepalive_timeout 5s;
  upstream edge {{ server {upstream}; keepalive 16; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert}; ssl_certificate_key {key};
    ssl_client_certificate {ca}; ssl_verify_client on; ssl_verify_depth 3;
    ssl_protocols TLSv1.2 TLSv1.3;
    location / {{
      proxy_pass http://edge; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_request_buffering on;
      proxy_set_header ssl-client-cert $ssl_client_escaped_cert;
      proxy_set_header ssl-client-verify $ssl_client_verify;
    }}
  }}
}}
"""


@contextmanager
def nginx_front(edge_url: str, cert: Path, key: Path, client_ca: Path, started: list | None = None) -> Iterator[str]:
    """nginx on a free loopback port proxying to the plain-HTTP edge at edge_url; its HTTPS SOAP URL (started: a
    list the nginx master process is appended to)."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    (port,) = free_ports(1)
    target = urlsplit(edge_url)
    with tempfile.TemporaryDirectory(prefix="ventanilla-nginx-") as work:
        conf = Path(work) / "nginx.conf"
        conf.write_text(CONFIG.format(work=work, upstream=target.netloc, port=port, cert=cert, key=key, ca=client_ca))
        process = subprocess.Popen([binary, "-p", work, "-c", str(conf), "-e", "stderr"], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        if started is not None:
            started.append(process)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("nginx did not start") from None
                    time.sleep(0.1)
            yield f"https://127.0.0.1:{port}{target.path}"
        finally:
            process.terminate()
            process.wait(timeout=30)
