"""Widgets of the main chat screen."""
