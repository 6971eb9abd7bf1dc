"""`socialcredit serve` as a real process on a free port: it answers /health, and an
authenticated request with a token from the store it serves."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.api_support import build_store
from tests.scenario import ADULT

SCRIPT = Path(sys.executable).with_name("socialcredit")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fetch(url: str, token: str | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def wait_for(url: str, server: subprocess.Popen[bytes], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited with {server.returncode}")
        try:
            fetch(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {seconds:g} s")


def test_the_served_api_answers_health_and_a_signed_in_subject(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    tokens = build_store(path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(SCRIPT), "serve", "--port", str(port)],
        env={**os.environ, "SOCIALCREDIT_DB": str(path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for(f"{base}/health", server)
        status, health = fetch(f"{base}/health")
        assert (status, health["status"]) == (200, "ok")
        status, score = fetch(f"{base}/subjects/{ADULT}/score", tokens["subject"])
        assert status == 200
        assert score["subject"] == ADULT
        status, refused = fetch(f"{base}/subjects/{ADULT}/score")
        assert (status, refused["error"]["code"]) == (401, "missing_token")
    finally:
        server.send_signal(signal.SIGINT)
        try:
            _, errors = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            _, errors = server.communicate()
    assert b"Traceback" not in errors, errors.decode()


def test_serve_refuses_a_store_it_cannot_open_with_a_one_line_reason(tmp_path: Path) -> None:
    run = subprocess.run(
        [str(SCRIPT), "serve", "--port", str(free_port())],
        env={**os.environ, "SOCIALCREDIT_DB": str(tmp_path / "missing" / "ledger.db")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert "cannot open the SQLite store" in run.stderr
