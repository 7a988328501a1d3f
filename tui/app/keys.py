"""Key bindings as data: each has an id the `[keys]` table of config.toml can remap, and a palette title.

Help (F1), the command palette and the footer all read the live bindings, so a remapped key
shows everywhere it is named.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from textual.binding import Binding

#: What every key table of the app shares: (group title, bindings) as the help screen shows them.
BindingGroup = tuple[str, list[Binding]]


@dataclass(frozen=True)
class Command(Binding):
    """A binding that is also a command-palette entry, under `title` (the footer keeps `description`)."""

    title: str = ""


def live_key(binding: Binding, keymap: Mapping[str, str]) -> Binding:
    """`binding` with the keys the person gave its id, if any (as Textual applies the keymap)."""
    keys = keymap.get(binding.id) if binding.id else None
    return binding.with_key(keys, key_display=None) if keys else binding


def keymap_problems(keymap: Mapping[str, str], scopes: Iterable[list[Binding]]) -> list[str]:
    """What is wrong with a keymap: unknown ids, and keys given to two bindings that are active together.

    `scopes` are lists of bindings that can be live at the same time (a screen with its widgets).
    Only keys the keymap changed are checked, so the defaults never count as a conflict.
    """
    scopes = [list(scope) for scope in scopes]
    known = {binding.id for scope in scopes for binding in scope if binding.id}
    problems = [f"unknown binding id {name!r}" for name in keymap if name not in known]
    seen: set[tuple[str, str, str]] = set()
    for scope in scopes:
        owners: dict[str, list[str]] = {}
        for binding in scope:
            for key in live_key(binding, keymap).key.split(","):
                owners.setdefault(key.strip(), []).append(binding.id or binding.action)
        for key, ids in owners.items():
            remapped = [name for name in ids if name in keymap]
            if len(set(ids)) > 1 and remapped:
                first, second = sorted(set(ids))[:2]
                if (key, first, second) not in seen:
                    seen.add((key, first, second))
                    problems.append(f"{key} is bound to both {first} and {second}")
    return problems
