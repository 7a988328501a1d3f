"""Errors the engine raises for a person to read: one line saying what cannot be done and why."""

from __future__ import annotations


class EngineError(Exception):
    """A request the engine cannot carry out (unknown conversation, empty message, no API key, ...)."""
