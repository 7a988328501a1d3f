"""Settings for qwen-tui: flags > environment > TOML file in the user config dir > defaults.

The API key is read from the environment or from a `key_file` / `key_command` named in the
TOML file; it is never written back, logged or exported (`save_settings` leaves it out).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from tui.api.endpoints import DEFAULT_REGION, REGIONS, resolve_base_url
from tui.catalog import ALL_EFFORTS, Catalog, CatalogError, load_catalog
from tui.tool_config import BUILTIN_FUNCTIONS, FunctionTool, McpServer, named_tables

APP_NAME = "qwen-tui"
DEFAULT_MODEL = "qwen3-max-2026-01-23"
KEY_ENV = "DASHSCOPE_API_KEY"
#: The dummy key `--demo` uses; the simulator accepts any non-empty key.
DEMO_KEY = "sk-demo-not-a-real-key"
CONFIG_ENV = "QWEN_TUI_CONFIG"
KNOWN_TOOLS = ("web_search", "web_extractor", "code_interpreter", "web_search_image", "image_search", "file_search")
#: Every reasoning effort the service documents; which a model takes is in the model table.
EFFORTS = ALL_EFFORTS
#: Textual's built-in themes (config imports no Textual; a test holds this list to Textual's own).
THEMES = (
    "ansi-dark", "ansi-light", "atom-one-dark", "atom-one-light", "catppuccin-frappe", "catppuccin-latte",
    "catppuccin-macchiato", "catppuccin-mocha", "dracula", "flexoki", "gruvbox", "monokai", "nord", "rose-pine",
    "rose-pine-dawn", "rose-pine-moon", "solarized-dark", "solarized-light", "textual-dark", "textual-light",
    "tokyo-night",
)

#: Settings a person may set in the TOML file, and the environment variable for each.
ENV_VARS: dict[str, str] = {
    "model": "QWEN_TUI_MODEL",
    "region": "QWEN_TUI_REGION",
    "base_url": "QWEN_TUI_BASE_URL",
    "db_path": "QWEN_TUI_DB",
    "tools": "QWEN_TUI_TOOLS",
    "thinking": "QWEN_TUI_THINKING",
    "effort": "QWEN_TUI_EFFORT",
    "system_prompt": "QWEN_TUI_SYSTEM_PROMPT",
    "theme": "QWEN_TUI_THEME",
    "private": "QWEN_TUI_PRIVATE",
    "session_cache": "QWEN_TUI_SESSION_CACHE",
}
#: Settings that are true or false (1/0, true/false, yes/no, on/off in the environment).
_BOOLEANS = ("thinking", "private", "session_cache")
#: Keys the TOML file accepts: the settings above plus where the key comes from.
FILE_KEYS = (*ENV_VARS, "key_file", "key_command")
#: Tables the TOML file may hold besides those keys: `[models."NAME"]` overrides or adds a model of the
#: shipped table (tui/catalog.py), e.g. its prices; `save_settings` writes them back unchanged.
FILE_TABLES = ("models", "keys")
#: Agent-tool keys of the TOML file (tables and lists); `save_settings` keeps them as written.
TOOL_FILE_KEYS = ("mcp", "function", "local_tools", "local_root", "knowledge_base")
#: The `[keys]` table of the TOML file: binding id -> keys (e.g. `"chat.new" = "ctrl+k"`).
KEYS_TABLE = "keys"
#: Keys `load_settings(flags)` accepts (None values are ignored).
FLAG_KEYS = (*ENV_VARS, "demo", "debug")
#: Command-line spelling of settings whose flag differs from the field name.
FLAG_NAMES = {"db_path": "db", "tools": "tool"}


class ConfigError(Exception):
    """A setting could not be read; str() is one line naming the file or variable and the fix."""


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """`$QWEN_TUI_CONFIG`, else `config.toml` in the user config dir (XDG on Linux)."""
    override = (os.environ if env is None else env).get(CONFIG_ENV)
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_db_path() -> Path:
    """`chats.db` in the user data dir."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "chats.db"


def demo_db_path() -> Path:
    """`demo.db` in the user data dir, so simulator chats stay out of the real history."""
    return Path(platformdirs.user_data_dir(APP_NAME)) / "demo.db"


class Settings(BaseModel):
    """Effective settings; `sources` says where each non-default value came from."""

    model_config = ConfigDict(validate_assignment=True, extra="forbid")

    api_key: SecretStr | None = None
    region: str = DEFAULT_REGION
    base_url: str | None = None
    model: str = DEFAULT_MODEL
    #: `[models."NAME"]` tables of the file: overrides of the model table (see tui/catalog.py). Before
    #: `effort`, which is checked against the model's row.
    models: dict[str, dict[str, Any]] = Field(default_factory=dict)
    db_path: Path = Field(default_factory=default_db_path)
    tools: list[str] = Field(default_factory=list)
    #: Strict: `thinking = "yes"` in the file is a mistake to report, not a truthy string.
    thinking: bool = Field(default=False, strict=True)
    effort: str | None = None
    system_prompt: str | None = None
    theme: str | None = None
    #: New conversations are private: `store: false`, nothing kept on the server, every turn replayed.
    private: bool = Field(default=False, strict=True)
    #: Send DashScope's `x-dashscope-session-cache: enable` (cheaper, faster multi-turn input).
    session_cache: bool = Field(default=True, strict=True)
    demo: bool = Field(default=False, strict=True)
    debug: bool = Field(default=False, strict=True)
    key_file: Path | None = None
    key_command: str | None = None
    #: MCP servers (`[[mcp]]` or `[mcp.LABEL]`), local function tools (`[[function]]`), the local tools
    #: on by default, the folder read_file/list_dir may read (default: the working directory), and
    #: the knowledge base (vector store) id `file_search` searches.
    mcp: list[McpServer] = Field(default_factory=list)
    function: list[FunctionTool] = Field(default_factory=list)
    local_tools: list[str] = Field(default_factory=list)
    local_root: Path | None = None
    knowledge_base: str | None = None
    #: Binding id -> keys, from the `[keys]` table; the app remaps its bindings with it.
    keys: dict[str, str] = Field(default_factory=dict)
    #: The TOML file these settings were read from (whether or not it exists).
    config_path: Path = Field(default_factory=default_config_path)
    #: Setting name -> "flag --x" / "env VAR" / "file PATH" / "default" / "demo".
    sources: dict[str, str] = Field(default_factory=dict)
    #: Why the key could not be read from key_file/key_command, if that failed (shown when a key is needed).
    key_problem: str | None = None
    _loaded: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def loaded(self) -> dict[str, Any]:
        """The file-level settings as `load_settings` produced them (what `save_settings` compares against)."""
        return self._loaded

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        name = value.strip().lower()
        if name not in REGIONS:
            raise ValueError(f"unknown region {value!r}; choose one of: {', '.join(REGIONS)}")
        return name

    @field_validator("tools")
    @classmethod
    def _known_tools(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in KNOWN_TOOLS]
        if unknown:
            raise ValueError(f"unknown tool {unknown[0]!r}; choose from: {', '.join(KNOWN_TOOLS)}")
        return list(dict.fromkeys(value))

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        url = value.strip()
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 (raises ValueError on a port that is not a number)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
            raise ValueError(f"{value!r} is not an http:// or https:// URL (e.g. https://host/compatible-mode/v1)")
        return url

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the model name is empty; e.g. qwen3-max-2026-01-23")
        return value.strip()

    @field_validator("theme")
    @classmethod
    def _known_theme(cls, value: str | None) -> str | None:
        if value is not None and value not in THEMES:
            raise ValueError(f"unknown theme {value!r}; choose from: {', '.join(THEMES)}")
        return value

    @field_validator("mcp", "function", mode="before")
    @classmethod
    def _tables(cls, value: Any, info: Any) -> Any:
        return named_tables(value, "label" if info.field_name == "mcp" else "name")

    @field_validator("mcp")
    @classmethod
    def _unique_labels(cls, value: list[McpServer]) -> list[McpServer]:
        labels = [server.label for server in value]
        if len(set(labels)) != len(labels):
            raise ValueError("two MCP servers share a label")
        return value

    @model_validator(mode="after")
    def _known_local_tools(self) -> Settings:
        known = (*BUILTIN_FUNCTIONS, *(tool.name for tool in self.function))
        unknown = [name for name in self.local_tools if name not in known]
        if unknown:
            raise ValueError(f"unknown local tool {unknown[0]!r}; choose from: {', '.join(known)}")
        return self

    @field_validator("effort")
    @classmethod
    def _known_effort(cls, value: str | None, info: ValidationInfo) -> str | None:
        """An effort the service knows, and (for a model in the table) one this model takes."""
        if value is None:
            return value
        if value not in EFFORTS:
            raise ValueError(f"unknown effort {value!r}; choose from: {', '.join(EFFORTS)}")
        model = info.data.get("model")
        try:
            row = load_catalog(info.data.get("models")).get(model) if model else None
        except CatalogError:
            row = None  # reported on `models` itself
        if row is not None and value != "none" and value not in row.efforts:
            takes = f"it takes: {', '.join(row.efforts)}" if row.efforts else "it takes no effort setting"
            raise ValueError(f"model {model!r} does not take effort {value!r}; {takes}")
        return value

    @field_validator("models")
    @classmethod
    def _valid_models(cls, value: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        from tui.catalog import CatalogError, load_catalog

        try:
            load_catalog(value)
        except CatalogError as exc:
            raise ValueError(str(exc)) from None
        return value

    @field_validator("db_path", "key_file", "local_root")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @property
    def endpoint(self) -> str:
        """The base URL requests go to: a custom `base_url`, else the region's preset."""
        return resolve_base_url(self.region, self.base_url)

    @property
    def catalog(self) -> Catalog:
        """The model table with this config's `[models."NAME"]` overrides applied."""
        return load_catalog(self.models)

    @property
    def masked_key(self) -> str:
        """The key for display: its first 3 and last 4 characters, or "(not set)"."""
        return mask_secret(self.api_key.get_secret_value() if self.api_key else None)

    def source(self, name: str) -> str:
        """Where setting `name` came from."""
        return self.sources.get(name, "default")

    def updated(self, source: str, **changes: Any) -> Settings:
        """A copy with `changes` applied, each recorded as coming from `source` (e.g. "demo")."""
        sources = {**self.sources, **dict.fromkeys(changes, source)}
        return self.model_copy(update={**changes, "sources": sources})


#: The built-in tools a demo offers unless tools were chosen (config, environment or --tool). Not the
#: code interpreter: the scripted model calls every tool it is offered, and counting the words of
#: every question in Python would be noise.
DEMO_TOOLS = ("web_search",)


def demo_settings(settings: Settings, base_url: str) -> Settings:
    """`settings` pointed at a local simulator with the dummy key, and at the demo database unless
    one was named; every change is marked "demo", so saving the settings never writes it."""
    changes: dict[str, Any] = {"demo": True, "base_url": base_url, "api_key": SecretStr(DEMO_KEY)}
    if settings.source("db_path") == "default":
        changes["db_path"] = demo_db_path()
    if settings.source("tools") == "default":  # so the demo shows the tool panel and sources at work
        changes["tools"] = list(DEMO_TOOLS)
    return settings.updated("demo", **changes)


def mask_secret(secret: str | None) -> str:
    """Show a secret as `sk-…abcd`; short secrets are hidden entirely."""
    if not secret:
        return "(not set)"
    if len(secret) < 12:
        return "****"
    return f"{secret[:3]}…{secret[-4:]}"


def load_settings(
    flags: Mapping[str, Any] | None = None, *, env: Mapping[str, str] | None = None, resolve_key: bool = True
) -> Settings:
    """Merge flags > environment > TOML file > defaults; raise ConfigError with one clear line.

    With `resolve_key=False` a `key_file` / `key_command` is not read (commands that send nothing
    should not run a password manager); a key in the environment is still taken.
    """
    env = os.environ if env is None else env
    path = default_config_path(env)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {"config_path": f"env {CONFIG_ENV}"} if env.get(CONFIG_ENV) else {}

    for name, value in _read_file(path).items():
        values[name] = value
        sources[name] = f"file {path}"
    for name, var in ENV_VARS.items():
        raw = env.get(var)
        if raw is not None and raw.strip() != "":
            values[name] = _from_env(name, raw)
            sources[name] = f"env {var}"
    for name, value in (flags or {}).items():
        if name not in FLAG_KEYS:
            raise ConfigError(f"unknown setting {name!r}")
        if value is not None:
            values[name] = value
            sources[name] = f"flag --{FLAG_NAMES.get(name, name.replace('_', '-'))}"

    if _rank(sources.get("region")) > _rank(sources.get("base_url")) and values.get("base_url"):
        # `--region beijing` on the command line beats a base_url from the environment or the file.
        values["base_url"] = None
        sources["base_url"] = f"cleared by {sources['region']}"

    key_problem = None
    key = env.get(KEY_ENV, "").strip()
    if key:
        sources["api_key"] = f"env {KEY_ENV}"
    elif resolve_key:
        try:
            key = _key_from_file_or_command(values.get("key_file"), values.get("key_command"), path)
        except ConfigError as exc:
            key_problem = str(exc)
        if key:
            sources["api_key"] = "key_file" if values.get("key_file") else "key_command"
    try:
        settings = Settings(
            **values, api_key=SecretStr(key) if key else None, config_path=path, sources=sources, key_problem=key_problem
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]) if error["loc"] else "setting"
        origin = sources.get(name, "")
        where = f" (from {origin})" if origin else ""
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "bool_type":
            message = f"{error['input']!r} is not a boolean; write true or false, without quotes"
        raise ConfigError(f"bad value for {name}{where}: {message}") from None
    settings._loaded = settings.model_dump(include=set(FILE_KEYS))
    return settings


def _rank(source: str | None) -> int:
    """How strong a source is: flag > env > file > default."""
    return {"flag": 3, "env": 2, "file": 1}.get((source or "default").split(" ", 1)[0], 0)


def _read_file(path: Path) -> dict[str, Any]:
    """Read the TOML file (a missing file is empty); any problem is one line naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    if "api_key" in data:
        raise ConfigError(
            f"config file {path}: api_key is not read from the file; set {KEY_ENV} or name a key_file / key_command"
        )
    keys = data.get(KEYS_TABLE, {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise ConfigError(f'config file {path}: [keys] maps binding ids to keys, e.g. "chat.new" = "ctrl+k"')
    unknown = [name for name in data if name not in FILE_KEYS + TOOL_FILE_KEYS + FILE_TABLES]
    if unknown:
        known = ", ".join(FILE_KEYS + TOOL_FILE_KEYS + FILE_TABLES)
        raise ConfigError(f"config file {path}: unknown setting {unknown[0]!r}; known: {known}")
    return data


def _from_env(name: str, raw: str) -> Any:
    """Turn an environment string into the setting's type (lists are comma-separated)."""
    if name == "tools":
        return [part.strip() for part in raw.split(",") if part.strip()]
    if name in _BOOLEANS:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"bad value for {ENV_VARS[name]}: {raw!r} (use 1 or 0)")
    return raw


def _key_from_file_or_command(key_file: Any, key_command: Any, config_path: Path) -> str:
    """Read the key from `key_file` (first line) or the stdout of `key_command`; '' if neither is set."""
    if key_file:
        path = config_path.parent / Path(str(key_file)).expanduser()  # relative names: beside the config file
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"cannot read key_file {path} (named in {config_path}): {exc.strerror}") from None
    if key_command:
        try:
            done = subprocess.run(
                shlex.split(str(key_command)), capture_output=True, text=True, timeout=30, check=False
            )
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            raise ConfigError(f"key_command in {config_path} could not run: {exc}") from None
        if done.returncode != 0:
            raise ConfigError(f"key_command in {config_path} failed with exit status {done.returncode}")
        return done.stdout.strip()
    return ""


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write what the person changed since loading into the TOML file, keeping the rest of it; never the key.

    Values that came from flags, the environment or --demo and were not changed stay out of the
    file, so saving from the app does not freeze a one-off `--db` or `QWEN_TUI_MODEL` in place.
    """
    path = path or settings.config_path
    stored = _read_file(path)
    defaults = Settings(config_path=path)
    baseline = settings.loaded or {name: getattr(defaults, name) for name in FILE_KEYS}
    for name in FILE_KEYS:
        value = getattr(settings, name)
        if value == baseline.get(name) or settings.source(name) == "demo":
            continue
        if value is None or value == getattr(defaults, name):
            stored.pop(name, None)
        else:
            stored[name] = value
    lines = ["# qwen-tui settings (the API key is never stored here)"]
    lines += [f"{name} = {_toml_value(stored[name])}" for name in FILE_KEYS if name in stored]
    lines += _tool_lines(path)  # every table as the file had it ([keys], [models."NAME"], [[mcp]], ...)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def _tool_lines(path: Path) -> list[str]:
    """The file's agent-tool settings as written (top-level tool keys, then every table), so saving
    from the app never drops MCP servers or functions; the app does not edit them."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    keys = [line for line in lines[:start] if line.split("=", 1)[0].strip() in TOOL_FILE_KEYS]
    return keys + ([""] + lines[start:] if start < len(lines) else [])


def _toml_value(value: Any) -> str:
    """A TOML literal for a str, Path, bool, number, list or table (inline; JSON string escapes are valid TOML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value), ensure_ascii=False)
