"""`qwen-tui models`, `qwen-tui usage` and `ask --image`, run as the real command against the simulator."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

from cli_process import Cli, assert_one_clear_line


def png(path: Path, width: int = 30, height: int = 20) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x00" * (width * 3) for _ in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def test_models_prints_the_table_offline(cli: Cli) -> None:
    done = cli.run("models", "--offline")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:5] == ["MODEL", "WINDOW", "OUTPUT", "VISION", "THINKING"]
    qwq = next(line for line in lines if line.startswith("qwq-plus "))
    assert "128K" in qwq and "$0.8/$2.4" in qwq and qwq.endswith("chat completions")
    assert "estimates" in lines[-1]


def test_models_merges_the_service_list_and_marks_unknown_models(cli: Cli, sim) -> None:
    done = cli.run("models", "--json", base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["service_list"] is True and document["currency"] == "USD"
    by_name = {model["name"]: model for model in document["models"]}
    assert by_name["qwen-mt-plus"]["known"] is False and by_name["qwen-mt-plus"]["served"] is True
    assert by_name["qwen3-max"]["served"] is True and by_name["qwen3.8-max"]["served"] is False
    assert by_name["qwen3-vl-plus"]["vision"] is True and by_name["qwen3-vl-plus"]["endpoints"] == ["chat"]
    text = cli.run("models", base_url=sim.base_url).stdout
    assert "unknown model" in next(line for line in text.splitlines() if line.startswith("qwen-mt-plus"))


def test_models_without_the_service_is_the_table_and_one_note(cli: Cli) -> None:
    done = cli.run("models", "--timeout", "2", base_url="http://127.0.0.1:9/compatible-mode/v1")
    assert done.returncode == 0
    assert "qwen3-max " in done.stdout
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("qwen-tui: the service's model list is unavailable (Network error")


def test_usage_totals_tokens_and_estimated_cost_by_model_and_day(cli: Cli, sim) -> None:
    for model in ("qwen3-max", "qwq-plus"):
        done = cli.run("ask", "--model", model, "Tell me about rust", base_url=sim.base_url)
        assert done.returncode == 0, done.stderr
    by_model = cli.run("usage", "--by", "model")
    assert by_model.returncode == 0, by_model.stderr
    lines = by_model.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["qwen3-max", "qwq-plus"]
    assert all("1 answers" in line and "(estimate)" in line and "≈ $" in line for line in lines)
    document = json.loads(cli.run("usage", "--json").stdout)
    assert document[0]["answers"] == 2 and document[0]["cost"]["estimate"] is True and document[0]["cost"]["amount"] > 0
    assert "1 answers" not in cli.run("usage", "--since", "2999-01-01").stdout
    bad = cli.run("usage", "--since", "yesterday")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_ask_json_carries_the_estimated_cost_and_the_endpoint(cli: Cli, sim) -> None:
    done = cli.run("ask", "--json", "--model", "qwq-plus", "hello", base_url=sim.base_url)
    result = json.loads(done.stdout)
    assert result["api"] == "chat" and result["mode"] == "replay"
    assert result["cost"]["currency"] == "USD" and result["cost"]["estimate"] is True and result["cost"]["amount"] > 0
    line = cli.run("ask", "--usage", "hello", base_url=sim.base_url).stderr
    assert line.startswith("qwen-tui: tokens ") and line.rstrip().endswith("(estimate)")


def test_ask_with_images_round_trips_and_exports_them_beside_the_markdown(cli: Cli, sim, tmp_path: Path) -> None:
    first, second = png(tmp_path / "one.png"), png(tmp_path / "two.png", 40, 40)
    done = cli.run("ask", "--model", "qwen3.5-plus", "--image", str(first), "--image", str(second), "Compare these",
                   base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    sizes = first.stat().st_size + second.stat().st_size
    assert f"I received 2 images ({sizes} bytes)." in done.stdout
    shown = cli.run("show", "1").stdout
    assert f"  · Image: one.png · {first.stat().st_size} B · 30×20\n" in shown
    out = tmp_path / "export" / "chat.md"
    out.parent.mkdir()
    exported = cli.run("export", "1", "-o", str(out))
    assert exported.returncode == 0, exported.stderr
    written = sorted(path.name for path in out.parent.iterdir() if path.suffix == ".png")
    assert len(written) == 2
    markdown = out.read_text(encoding="utf-8")
    for name in written:
        assert f"]({name})" in markdown
    assert (out.parent / written[0]).read_bytes() in (first.read_bytes(), second.read_bytes())


def test_an_image_the_model_cannot_take_sends_nothing(cli: Cli, sim, tmp_path: Path) -> None:
    image = png(tmp_path / "a.png")
    refused = cli.run("ask", "--model", "qwen3-max", "--image", str(image), "look", base_url=sim.base_url)
    assert refused.returncode == 1
    assert_one_clear_line(refused.stderr)
    assert "cannot see images" in refused.stderr
    tiny = png(tmp_path / "tiny.png", 4, 4)
    refused = cli.run("ask", "--model", "qwen3.5-plus", "--image", str(tiny), "look", base_url=sim.base_url)
    assert refused.returncode == 1 and "at least 10 pixels" in refused.stderr
    assert sim.requests == []
    assert cli.run("list").stdout == ""


def test_config_overrides_prices_and_keeps_them_when_settings_are_saved(cli: Cli, sim, tmp_path: Path) -> None:
    config = tmp_path / "config" / "qwen-tui" / "config.toml"  # the XDG config dir the command uses
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('model = "qwen3-max"\n\n[models."qwen3-max"]\nprice.USD = [{ input = 1000.0, output = 0.0 }]\n',
                      encoding="utf-8")
    table = cli.run("models", "--offline").stdout
    assert "$1000/$0" in next(line for line in table.splitlines() if line.startswith("qwen3-max "))
    result = json.loads(cli.run("ask", "--json", "hello", base_url=sim.base_url).stdout)
    assert result["cost"]["amount"] == result["usage"]["input_tokens"] * 1000 / 1e6

    from tui.config import load_settings, save_settings

    settings = load_settings(env={"QWEN_TUI_CONFIG": str(config)})
    save_settings(settings.updated("app", theme="ansi-dark"), config)
    assert load_settings(env={"QWEN_TUI_CONFIG": str(config)}).models == settings.models

    config.write_text('[models."qwen3-max"]\ncontext_window = "big"\n', encoding="utf-8")
    bad = cli.run("models", "--offline")
    assert bad.returncode == 1
    assert_one_clear_line(bad.stderr, "models", "qwen3-max")


def test_on_a_terminal_ask_ends_with_numbered_linked_sources_and_the_estimate_on_stderr(cli: Cli, sim) -> None:
    """stderr on a pty (a person's terminal), stdout a pipe: the answer alone goes to stdout."""
    import os
    import pty
    import subprocess

    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            cli.argv(("ask", "--tool", "web_search", "Tell me about postgres indexes"), sim.base_url),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower, env=cli.env, cwd=cli.root,
            timeout=60, check=False,
        )
        os.close(follower)
        err = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the pty is closed once the command is done and read
                break
            if not chunk:
                break
            err += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0
    assert b"\x1b]8;;" not in done.stdout and b"(estimate)" not in done.stdout  # the answer only: no linked list, no usage
    text = err.decode()
    url = "https://en.wikipedia.org/wiki/Tell_Me_About_Postgres"
    assert f"[1] \x1b]8;;{url}\x1b\\{url}\x1b]8;;\x1b\\" in text
    assert "qwen-tui: tokens " in text and "(estimate)" in text
