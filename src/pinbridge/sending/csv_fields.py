"""Which CSV columns the mapping will read, and the closest known path for those it won't.

A CSV column names an event path. A column whose path the mapping never reads (``Email``
instead of ``user.email``) is not an error, since an event may carry extra data, but its
values go nowhere: ``pinbridge send`` warns once, naming each such column with the closest
path the mapping does read (``difflib``), before anything is sent.

The known paths are the field table's default sources, the sources the user's Smart
Mapping (``[mapping]``) adds, and the few paths read outside the table (the event name,
consent, the click-id cookie, the type and app OS behind ``action_source``). Array
indices compare as ``X`` (``items.0.id`` is ``items.X.id``). A column below a known path
that is read whole (``user.consent_categories.0``) is known too; below one whose parts are
read one by one (``items``: ``items.X.id``, ...) it must name one of those parts.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from pinbridge.mapping import MappingOptions
from pinbridge.mapping.table import FIELDS, ITEM_FIELDS

__all__ = ["known_paths", "unknown_columns_note"]

_READ_OUTSIDE_THE_TABLE = (
    "event_name",
    "type",
    "user.consent_categories",
    "context.cookie",
    "context.device.cookie",
    "context.device.os.name",
    "context.device.type",
)
_CUTOFF = 0.6


def known_paths(options: MappingOptions) -> frozenset[str]:
    """Every event path the mapping with ``options`` reads, indices written ``X``."""
    paths = set(_READ_OUTSIDE_THE_TABLE)
    for row in (*FIELDS.values(), *ITEM_FIELDS.values()):
        paths.update(row.sources)
    for value in options.fields.values():
        if isinstance(value, str):
            paths.add(value)
        elif isinstance(value, list):
            paths.update(item for item in value if isinstance(item, str))
    return frozenset(_generic(path) for path in paths)


def unknown_columns_note(name: str, columns: Sequence[str], known: frozenset[str]) -> str | None:
    """One warning naming the columns of ``name`` the mapping never reads; ``None``: all read."""
    unknown = [column for column in columns if not _is_known(column, known)]
    if not unknown:
        return None
    shown = ", ".join(f"{column!r}{_suggestion(column, known)}" for column in unknown)
    these = "column matches" if len(unknown) == 1 else f"{len(unknown)} columns match"
    return (
        f"pinbridge send: warning: {name} header: {these} no event path the mapping reads, "
        f"so the values go nowhere: {shown}; rename to an event path such as user.email "
        "(see docs/mapping.md), or map it with [mapping] in the config"
    )


def _generic(path: str) -> str:
    return ".".join("X" if part.isdigit() else part for part in path.split("."))


def _is_known(column: str, known: frozenset[str]) -> bool:
    path = _generic(column)
    if path in known:
        return True
    parts = path.split(".")
    for depth in range(1, len(parts)):
        prefix = ".".join(parts[:depth])
        if prefix in known:  # read whole, unless the mapping reads parts below it
            return not any(other.startswith(prefix + ".") for other in known)
    return False


def _suggestion(column: str, known: frozenset[str]) -> str:
    """`` (did you mean user.email?)``, or nothing when no known path is close."""
    match = _closest(_generic(column.strip()).lower(), sorted(known))
    if match is None:
        return ""
    index = next((part for part in column.split(".") if part.strip().isdigit()), "0")
    return f" (did you mean {match.replace('X', index.strip())}?)"


def _closest(wanted: str, paths: Iterable[str]) -> str | None:
    """A bare name is looked up by the last part of the known paths first (``Email`` ->
    ``user.email``), a dotted path by whole paths first (``contxt.event_id``)."""
    by_lower = {path.lower(): path for path in paths}
    leaves: dict[str, str] = {}
    for lower, path in by_lower.items():
        leaves.setdefault(lower.rsplit(".", 1)[-1], path)
    leaf = wanted.rsplit(".", 1)[-1]

    def by_leaf() -> str | None:
        if leaf in leaves:
            return leaves[leaf]
        close = difflib.get_close_matches(leaf, leaves, n=1, cutoff=_CUTOFF)
        return leaves[close[0]] if close else None

    def by_path() -> str | None:
        close = difflib.get_close_matches(wanted, by_lower, n=1, cutoff=_CUTOFF)
        return by_lower[close[0]] if close else None

    first, second = (by_path, by_leaf) if "." in wanted else (by_leaf, by_path)
    return first() or second()
