"""qwen-tui: a terminal chat client for Qwen over the DashScope Responses API."""

__version__ = "0.1.0"
