"""W3: no server text reaches a terminal raw: debug log, log file, TTY output (bidi controls marked), --raw/--safe."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cli_process import Cli, on_a_terminal

TITLE = "\x1b]0;PWNED-TITLE\x07"
CLIPBOARD = "\x1b]52;c;cm0gLXJmIH4vKg==\x07"
CLEAR = "\x1b[2J"
RLO = "\u202e"


class _Hostile(BaseHTTPRequestHandler):
    """Answers every request with a 400 whose error message carries escape sequences and a bidi override."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = json.dumps(
            {"error": {"message": f"bad {TITLE}{CLIPBOARD}{CLEAR} abc{RLO}dcba", "type": "invalid_request_error",
                       "code": "InvalidParameter"}}
        ).encode()
        self.send_response(400)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_debug_output_and_the_log_file_write_server_text_escaped(cli: Cli, hostile_url: str) -> None:
    status, shown = on_a_terminal(cli, "--debug", "ask", "hello", base_url=hostile_url)
    assert status == 1
    assert b"\x1b]" not in shown and b"\x1b[2J" not in shown and b"\x07" not in shown
    assert RLO.encode() not in shown
    assert b"\\x1b]0;PWNED-TITLE\\x07" in shown  # the debug lines show it, escaped
    log = (cli.root / "state" / "qwen-tui" / "log" / "qwen-tui.log").read_text(encoding="utf-8")
    assert "PWNED-TITLE" in log
    assert "\x1b" not in log and "\x07" not in log and RLO not in log
    assert "\\x1b]52;c;" in log and "\\u202e" in log


def test_bidi_overrides_are_shown_on_a_terminal_and_kept_in_pipes(cli: Cli, sim) -> None:
    """The simulator echoes the question's topic, so the answer carries the override too."""
    question = f"Explain abc{RLO}dcba and {TITLE} please"
    status, shown = on_a_terminal(cli, "ask", question, base_url=sim.base_url)
    assert status == 0
    assert b"abc<U+202E>dcba" in shown and RLO.encode() not in shown and b"\x1b]0" not in shown

    status, shown = on_a_terminal(cli, "show", "1")
    assert status == 0
    assert b"abc<U+202E>dcba" in shown and RLO.encode() not in shown and b"\x1b]0" not in shown

    piped = cli.run("show", "1")  # verbatim by design (README): what a script asked for, it gets
    assert f"abc{RLO}dcba" in piped.stdout and TITLE in piped.stdout
    safe = cli.run("show", "1", "--safe")
    assert "abc<U+202E>dcba" in safe.stdout and RLO not in safe.stdout and "\x1b" not in safe.stdout

    status, raw = on_a_terminal(cli, "show", "1", "--raw")
    assert status == 0 and TITLE.encode() in raw and RLO.encode() in raw

    safe_ask = cli.run("ask", "-c", "--safe", question, base_url=sim.base_url)
    assert safe_ask.returncode == 0, safe_ask.stderr
    assert "<U+202E>" in safe_ask.stdout and "\x1b" not in safe_ask.stdout


def test_raw_and_safe_exclude_each_other(cli: Cli) -> None:
    done = cli.run("show", "1", "--raw", "--safe")
    assert done.returncode == 2
    assert "not allowed with" in done.stderr


def test_search_marks_bidi_controlson_a_terminal(cli: Cli) -> None:
    cli.import_chat("spoof", {"role": "user", "content": f"the okapi abc{RLO}dcba"})
    status, shown = on_a_terminal(cli, "search", "okapi")
    assert status == 0
    assert b"<U+202E>" in shown and RLO.encode() not in shown


def test_the_function_the_app_uses_marks_bidi_and_drops_controls() -> None:
    from tui.text_safety import terminal_safe

    assert terminal_safe(f"abc{RLO}dcba{CLEAR}\u2066x\u2069") == "abc<U+202E>dcba[2J<U+2066>x<U+2069>"
    assert terminal_safe("plain text\twith a tab\n") == "plain text\twith a tab\n"
