"""A minimal WebDriver client (plain HTTP/JSON with urllib) for headless
Chromium through chromedriver: enough to load a page, read its console, query
its DOM, click, and take screenshots. Used by tests/tfir/test_inspect_report.py."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"
CHROME_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
               "--window-size=1400,1000"]


def find_chromium() -> tuple[str, str] | None:
    """(chromium, chromedriver) executables, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    """One chromedriver process and one session; use as a context manager."""

    def __init__(self, browser: str, driver: str):
        self.port = _free_port()
        self.profile = tempfile.mkdtemp(prefix="tfir-chromium-")
        self.proc = subprocess.Popen([driver, f"--port={self.port}"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        self._wait_ready()
        caps = {"browserName": "chrome", "goog:loggingPrefs": {"browser": "ALL"},
                "goog:chromeOptions": {"binary": browser, "args": [*CHROME_ARGS, f"--user-data-dir={self.profile}"]}}
        self.session = self._call("POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self._call("GET", "/status").get("ready"):
                    return
            except (urllib.error.URLError, ConnectionError):
                pass
            time.sleep(0.1)
        raise RuntimeError("chromedriver did not start")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                payload = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"WebDriver {method} {path}: {err.read().decode(errors='replace')}") from None
        value = payload.get("value", payload)
        if isinstance(value, dict) and "sessionId" in payload and "sessionId" not in value:
            value = {**value, "sessionId": payload["sessionId"]}
        return value

    def _s(self, path: str) -> str:
        return f"/session/{self.session}{path}"

    def open(self, path: Path) -> None:
        self._call("POST", self._s("/url"), {"url": path.resolve().as_uri()})

    def run(self, script: str, *args: Any) -> Any:
        return self._call("POST", self._s("/execute/sync"), {"script": script, "args": list(args)})

    def console(self) -> list[dict[str, Any]]:
        """The browser console since the last call (chromedriver's log endpoint)."""
        return self._call("POST", self._s("/se/log"), {"type": "browser"})

    def find(self, css: str) -> str:
        return self._call("POST", self._s("/element"), {"using": "css selector", "value": css})[ELEMENT]

    def click(self, css: str) -> None:
        self._call("POST", self._s(f"/element/{self.find(css)}/click"), {})

    def screenshot(self, out: Path, css: str | None = None) -> Path:
        path = self._s(f"/element/{self.find(css)}/screenshot") if css else self._s("/screenshot")
        out.write_bytes(base64.b64decode(self._call("GET", path)))
        return out

    def set_size(self, width: int, height: int) -> None:
        self._call("POST", self._s("/window/rect"), {"width": width, "height": height})

    def close(self) -> None:
        try:
            self._call("DELETE", self._s(""))
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
