"""Lenient reading of Flattr's query and body parameters.

Old clients send `full=False`, a bare `full`, `count=&page=`, even `page=undefined`: anything
unparseable falls back to the default instead of an error.
"""

from __future__ import annotations

COUNT_DEFAULT = 30
COUNT_MAX = 100
PAGE_MAX = 10_000
FALSE_VALUES = {"0", "false", "no", "off", "null", "none", "undefined"}


def flag(data: dict, name: str) -> bool:
    """Return a boolean parameter: present and not a false word (`full`, `full=1`, `full=True`)."""
    if name not in data:
        return False
    value = data[name]
    if isinstance(value, bool):
        return value
    if value is None:
        return True
    return str(value).strip().lower() not in FALSE_VALUES


def number(data: dict, name: str, default: int, *, low: int = 1, high: int) -> int:
    value = data.get(name)
    try:
        parsed = int(str(value).strip())
    except (TypeError, ValueError):
        return default
    if parsed < low:
        return default
    return min(parsed, high)


def paging(data: dict) -> tuple[int, int]:
    """Return (count, page), 1-based page."""
    return (
        number(data, "count", COUNT_DEFAULT, high=COUNT_MAX),
        number(data, "page", 1, high=PAGE_MAX),
    )


def page_of(items, data: dict) -> list:
    """Return one page of a queryset or list, as Flattr pages (count, page)."""
    count, page = paging(data)
    start = (page - 1) * count
    return list(items[start : start + count])


def text(data: dict, name: str, *, limit: int = 2000) -> str:
    """Return a text parameter, cut to `limit`; NUL characters are dropped (PostgreSQL text
    cannot hold them, and no Flattr parameter means anything by one)."""
    value = data.get(name)
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value).replace("\x00", "")[:limit]


def word_list(data: dict, name: str) -> tuple[str, ...]:
    """Return a comma list ("en_GB,de_DE") as a tuple of trimmed words."""
    value = data.get(name)
    if isinstance(value, list):
        words = [str(v).replace("\x00", "") for v in value]
    else:
        words = text(data, name, limit=500).split(",")
    return tuple(w.strip() for w in words if w.strip())
