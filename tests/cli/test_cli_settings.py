"""Settings precedence (flags > env > TOML > defaults), the key sources, and saving without the key."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tui.config import ConfigError, Settings, demo_settings, load_settings, save_settings


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An isolated config/data dir with none of the developer's qwen-tui variables set."""
    for name in list(os.environ):
        if name.startswith("QWEN_TUI_") or name == "DASHSCOPE_API_KEY":
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "qwen-tui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_or_environment(home: Path) -> None:
    settings = load_settings({})
    assert settings.model == "qwen3-max-2026-01-23"
    assert settings.region == "singapore"
    assert settings.endpoint == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    assert settings.db_path == home / "data" / "qwen-tui" / "chats.db"
    assert settings.api_key is None
    assert settings.masked_key == "(not set)"
    assert settings.source("model") == "default"


def test_flags_beat_environment_beat_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(home, 'model = "from-file"\nregion = "beijing"\ntools = ["web_search"]\nthinking = true\n')
    monkeypatch.setenv("QWEN_TUI_MODEL", "from-env")
    monkeypatch.setenv("QWEN_TUI_DB", str(home / "env.db"))
    settings = load_settings({"model": "from-flag", "region": None})
    assert settings.model == "from-flag"
    assert settings.source("model") == "flag --model"
    assert settings.db_path == home / "env.db"
    assert settings.source("db_path") == "env QWEN_TUI_DB"
    assert settings.region == "beijing"
    assert settings.source("region") == f"file {path}"
    assert settings.endpoint == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert settings.tools == ["web_search"]
    assert settings.thinking is True


def test_base_url_overrides_a_region_of_the_same_or_weaker_source(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(home, 'region = "beijing"\n')
    monkeypatch.setenv("QWEN_TUI_BASE_URL", "http://127.0.0.1:9/compatible-mode/v1/")
    assert load_settings({}).endpoint == "http://127.0.0.1:9/compatible-mode/v1"
    both = load_settings({"region": "beijing", "base_url": "http://127.0.0.1:7/compatible-mode/v1"})
    assert both.endpoint == "http://127.0.0.1:7/compatible-mode/v1"


def test_a_region_flag_beats_a_base_url_from_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QWEN_TUI_BASE_URL", "http://127.0.0.1:9/compatible-mode/v1")
    assert load_settings({}).endpoint == "http://127.0.0.1:9/compatible-mode/v1"
    settings = load_settings({"region": "beijing-legacy"})
    assert settings.endpoint == "https://dashscope.aliyuncs.com/api/v2/apps/protocols/compatible-mode/v1"
    assert settings.source("base_url") == "cleared by flag --region"


def test_config_path_override(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = home / "elsewhere.toml"
    other.write_text('model = "other"\n', encoding="utf-8")
    monkeypatch.setenv("QWEN_TUI_CONFIG", str(other))
    settings = load_settings({})
    assert settings.model == "other"
    assert settings.config_path == other


def test_bad_toml_names_the_file_and_the_line(home: Path) -> None:
    path = write_config(home, 'model = "ok"\n\nregion = singapore\n')
    with pytest.raises(ConfigError) as caught:
        load_settings({})
    message = str(caught.value)
    assert str(path) in message
    assert "line 3" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('region = "mars"\n', "unknown region 'mars'"),
        ('tools = ["web_search", "teleport"]\n', "unknown tool 'teleport'"),
        ('colour = "red"\n', "unknown setting 'colour'"),
        ('api_key = "sk-secret"\n', "DASHSCOPE_API_KEY"),
        ("thinking = 3\n", "thinking"),
    ],
)
def test_bad_values_in_the_file_are_one_clear_line(home: Path, text: str, fragment: str) -> None:
    write_config(home, text)
    with pytest.raises(ConfigError) as caught:
        load_settings({})
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_key_from_environment_wins_over_key_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = home / "key.txt"
    key_file.write_text("sk-from-the-key-file-0000\n", encoding="utf-8")
    write_config(home, f"key_file = {str(key_file)!r}\n".replace("'", '"'))
    assert load_settings({}).api_key.get_secret_value() == "sk-from-the-key-file-0000"
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-from-the-environment-1111")
    settings = load_settings({})
    assert settings.api_key.get_secret_value() == "sk-from-the-environment-1111"
    assert settings.masked_key == "sk-…1111"
    assert "environment" not in settings.masked_key


def test_a_relative_key_file_is_found_beside_the_config_file(home: Path) -> None:
    path = write_config(home, 'key_file = "dashscope.key"\n')
    (path.parent / "dashscope.key").write_text("sk-beside-the-config-7777\n", encoding="utf-8")
    assert load_settings({}).api_key.get_secret_value() == "sk-beside-the-config-7777"


def test_key_from_command(home: Path) -> None:
    script = home / "print_key.py"
    script.write_text("print('sk-from-a-command-2222')\n", encoding="utf-8")
    write_config(home, f'key_command = "{sys.executable} {script}"\n')
    settings = load_settings({})
    assert settings.api_key.get_secret_value() == "sk-from-a-command-2222"
    assert settings.source("api_key") == "key_command"


def test_key_command_is_not_run_unless_the_key_is_needed(home: Path) -> None:
    marker = home / "ran"
    script = home / "print_key.py"
    script.write_text(f"open({str(marker)!r}, 'w').close(); print('sk-from-a-command-2222')\n", encoding="utf-8")
    write_config(home, f'key_command = "{sys.executable} {script}"\n')
    assert load_settings({}, resolve_key=False).api_key is None
    assert not marker.exists()
    assert load_settings({}).api_key is not None
    assert marker.exists()


def test_unreadable_key_file_is_reported_only_as_a_problem(home: Path) -> None:
    write_config(home, f'key_file = "{home / "missing.txt"}"\n')
    settings = load_settings({})
    assert settings.api_key is None
    assert "missing.txt" in (settings.key_problem or "")


def test_save_writes_toml_that_loads_back_without_the_key(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-never-written-3333")
    settings = load_settings({})
    settings.model = 'qwen "quoted" \\ model'
    settings.tools = ["web_search", "code_interpreter"]
    settings.thinking = True
    settings.system_prompt = "Line one\nLine two — ünïcode"
    path = save_settings(settings)
    text = path.read_text(encoding="utf-8")
    assert "sk-never-written" not in text
    assert "region" not in text  # defaults are not written
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    again = load_settings({})
    assert again.model == 'qwen "quoted" \\ model'
    assert again.tools == ["web_search", "code_interpreter"]
    assert again.thinking is True
    assert again.system_prompt == "Line one\nLine two — ünïcode"
    assert again.api_key is None


def test_save_keeps_the_file_and_leaves_out_one_off_flags_and_environment(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = home / "key.txt"
    key_file.write_text("sk-in-a-key-file-4444\n", encoding="utf-8")
    path = write_config(home, f'region = "beijing"\nkey_file = "{key_file}"\nmodel = "from-file"\n')
    monkeypatch.setenv("QWEN_TUI_MODEL", "from-env")
    settings = load_settings({"db_path": str(home / "one-off.db")})
    settings.theme = "ansi-dark"
    save_settings(settings)
    text = path.read_text(encoding="utf-8")
    assert "one-off.db" not in text and "from-env" not in text and "sk-in-a-key-file" not in text
    monkeypatch.delenv("QWEN_TUI_MODEL")
    again = load_settings({})
    assert (again.region, again.model, again.theme) == ("beijing", "from-file", "ansi-dark")
    assert again.key_file == key_file
    assert again.api_key.get_secret_value() == "sk-in-a-key-file-4444"
    again.region = "singapore"  # back to the default: the line goes away
    save_settings(again)
    assert "region" not in path.read_text(encoding="utf-8")


def test_settings_reject_unknown_effort() -> None:
    with pytest.raises(ValueError):
        Settings(effort="extreme")


def test_saving_in_demo_mode_never_writes_the_simulator_or_the_demo_database(home: Path) -> None:
    """The first-run screen's demo and `--demo` both run on demo settings; the settings screen may save
    them, and the person's own file must keep pointing at the real service and their own history."""
    path = write_config(home, 'model = "from-file"\n')
    demo = demo_settings(load_settings({}), "http://127.0.0.1:5555/compatible-mode/v1")
    assert demo.demo and demo.db_path.name == "demo.db" and demo.api_key is not None
    demo.theme = "ansi-dark"
    save_settings(demo)
    text = path.read_text(encoding="utf-8")
    assert "5555" not in text and "demo.db" not in text and "sk-" not in text
    assert 'theme = "ansi-dark"' in text and 'model = "from-file"' in text
    assert "tools" not in text, "the demo's tools are the demo's, not the person's"


def test_the_demo_offers_web_search_unless_tools_were_chosen(home: Path) -> None:
    url = "http://127.0.0.1:5555/compatible-mode/v1"
    assert demo_settings(load_settings({}), url).tools == ["web_search"]
    assert demo_settings(load_settings({"tools": ["web_extractor"]}), url).tools == ["web_extractor"]
    write_config(home, "tools = []\n")
    assert demo_settings(load_settings({}), url).tools == [], "an empty list in the config is a choice too"


def test_a_keys_table_remaps_bindings_and_saving_keeps_it(home: Path) -> None:
    path = write_config(home, 'model = "m1"\n\n[keys]\n"chat.new" = "ctrl+k"\n"composer.newline" = "ctrl+j,alt+enter"\n')
    settings = load_settings({})
    assert settings.keys == {"chat.new": "ctrl+k", "composer.newline": "ctrl+j,alt+enter"}
    settings.model = "m2"
    save_settings(settings)
    again = load_settings({})
    assert (again.model, again.keys) == ("m2", settings.keys)
    assert path.read_text(encoding="utf-8").count("[keys]") == 1


@pytest.mark.parametrize("text", ['keys = "ctrl+k"\n', '[keys]\n"chat.new" = 3\n'])
def test_a_keys_table_that_is_not_ids_to_keys_is_one_clear_line(home: Path, text: str) -> None:
    write_config(home, text)
    with pytest.raises(ConfigError) as caught:
        load_settings({})
    assert "[keys]" in str(caught.value) and "\n" not in str(caught.value)
