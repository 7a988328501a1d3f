"""Screens pushed over the chat: first run, help, settings, and small dialogs."""
