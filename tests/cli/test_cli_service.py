"""`qwen-tui` against the live-style simulator: lost ids, privacy, deleting server copies, refusals,
efforts and models from the table, regions, the session cache."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_process import Cli, assert_one_clear_line

from tui.sim import SimServer

NOTES = "Please keep these notes. " + "Foxes jump over lazy dogs again. " * 150


def ask(cli: Cli, sim: SimServer, *args: str) -> tuple[dict, str]:
    done = cli.run("ask", "--json", *args, base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_a_lost_chain_id_is_replayed_and_said_once(cli: Cli, styled_sim: SimServer) -> None:
    ask(cli, styled_sim, "My name is John, please remember it.")
    styled_sim.inject("forget")
    answer, stderr = ask(cli, styled_sim, "-c", "Do you remember my name?")
    assert answer["status"] == "complete" and "John" in answer["text"] and answer["mode"] == "replay"
    assert stderr.count("resending it in full") == 1 and len(stderr.splitlines()) == 1


def test_ask_private_keeps_nothing_on_the_server(cli: Cli, sim: SimServer) -> None:
    ask(cli, sim, "--private", "My name is John.")
    answer, _ = ask(cli, sim, "-c", "Do you remember my name?")
    assert [r["store"] for r in sim.requests] == [False, False]
    assert "previous_response_id" not in sim.requests[-1] and "John" in answer["text"]


def test_private_by_default_from_config(cli: Cli, sim: SimServer) -> None:
    done = cli.run("ask", "hi", base_url=sim.base_url, env={"QWEN_TUI_PRIVATE": "1"})
    assert done.returncode == 0, done.stderr
    assert sim.requests[-1]["store"] is False


def test_delete_removes_the_conversation_and_its_server_copies(cli: Cli, sim: SimServer) -> None:
    first, _ = ask(cli, sim, "hi")
    second, _ = ask(cli, sim, "-c", "again")
    done = cli.run("delete", str(first["conversation_id"]), base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    assert "deleted conversation" in done.stderr and "deleted 2 of 2 stored responses on the server" in done.stderr
    assert sim.state.memory.recall(first["response_id"]) is None and sim.state.memory.recall(second["response_id"]) is None
    assert cli.run("show", str(first["conversation_id"])).returncode == 1


def test_delete_still_deletes_locally_when_the_server_is_gone(cli: Cli, sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory()
    first, _ = ask(cli, sim, "hi")
    sim.stop()
    done = cli.run("delete", str(first["conversation_id"]), base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    assert "could not be deleted" in done.stderr and "7 days" in done.stderr
    assert cli.run("list").stdout == ""


@pytest.mark.parametrize(
    ("code", "fragments"),
    [
        ("Throttling.AllocationQuota", ("quota for this model is used up", "Model Studio console")),
        ("Arrearage", ("overdue payment", "settle the bill")),
        ("DataInspectionFailed", ("content inspection refused", "rephrase")),
    ],
)
def test_quota_billing_and_content_refusals_are_one_line_each_and_not_retried(
    cli: Cli, styled_sim: SimServer, code: str, fragments: tuple[str, ...]
) -> None:
    styled_sim.inject("refuse", code=code, times=3)
    done = cli.run("ask", "hi", base_url=styled_sim.base_url)
    assert done.returncode == 1
    assert_one_clear_line(done.stderr, *fragments)
    assert len(styled_sim.requests) == 1


def test_usage_line_shows_cached_tokens_from_the_session_cache(cli: Cli, sim: SimServer) -> None:
    ask(cli, sim, NOTES)
    done = cli.run("ask", "--usage", "-c", "And now?", base_url=sim.base_url)
    assert done.returncode == 0, done.stderr
    assert re.search(r" \d{4,} cached", done.stderr.splitlines()[-1])
    off = cli.run("ask", "--usage", "-c", "Once more?", base_url=sim.base_url, env={"QWEN_TUI_SESSION_CACHE": "0"})
    assert off.returncode == 0 and "in · " in off.stderr and "cached" not in off.stderr
    assert "x-dashscope-session-cache" not in str(sim.requests[-1])


def test_effort_is_checked_against_the_model(cli: Cli, sim: SimServer) -> None:
    done = cli.run("ask", "--model", "qwen3-max", "--effort", "xhigh", "hi", base_url=sim.base_url)
    assert done.returncode in (1, 2)
    assert_one_clear_line(done.stderr, "qwen3-max", "xhigh", "low, medium, high")
    answer, _ = ask(cli, sim, "--model", "qwen3.8-flash", "--thinking", "--effort", "xhigh", "hi")
    assert sim.requests[-1]["reasoning"] == {"effort": "xhigh"} and "enable_thinking" not in sim.requests[-1]
    ask(cli, sim, "--model", "qwen3.8-flash", "hi")
    assert sim.requests[-1]["reasoning"] == {"effort": "none"}  # thinking off, as the table says


def test_config_overrides_the_model_table(cli: Cli, sim: SimServer, tmp_path: Path) -> None:
    config = tmp_path / "config" / "qwen-tui" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[models."qwen3-max"]\nefforts = ["low", "medium", "high", "xhigh"]\n', encoding="utf-8")
    ask(cli, sim, "--model", "qwen3-max", "--thinking", "--effort", "xhigh", "hi")
    assert sim.requests[-1]["reasoning"] == {"effort": "xhigh"}
    config.write_text('[models."qwen3-max"]\nefforts = ["extreme"]\n', encoding="utf-8")
    done = cli.run("ask", "hi", base_url=sim.base_url)
    assert_one_clear_line(done.stderr, "models", "qwen3-max", "extreme")


def test_the_service_not_knowing_a_model_is_one_line(cli: Cli, sim_factory: Callable[..., SimServer]) -> None:
    sim = sim_factory(models=frozenset({"qwen3.8-flash"}))
    done = cli.run("ask", "--model", "qwen-nonesuch", "hi", base_url=sim.base_url)
    assert_one_clear_line(done.stderr, "does not offer this model", "qwen-nonesuch", "qwen-tui models")


@pytest.mark.parametrize(("region", "host"), [("virginia", "dashscope-us.aliyuncs.com"), ("hongkong", "cn-hongkong.dashscope.aliyuncs.com")])
def test_documented_regions_are_presets(cli: Cli, region: str, host: str) -> None:
    done = cli.run("config", "--region", region)
    assert done.returncode == 0 and f"https://{host}/compatible-mode/v1" in done.stdout
    assert done.stderr == ""


def test_a_legacy_region_prints_a_deprecation_note(cli: Cli) -> None:
    done = cli.run("config", "--region", "beijing-legacy")
    assert done.returncode == 0
    notes = [line for line in done.stderr.splitlines() if "no longer maintains" in line]
    assert len(notes) == 1 and "--region beijing" in notes[0]
