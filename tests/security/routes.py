"""Every URL of the site, read from the URLconf, each with a concrete path to request.

The security tests walk this list instead of naming pages, so a page another engineer adds is
covered the moment it is merged. A path parameter gets a value from `samples` (real ids of
objects a test made) or a generic one; the path is checked to resolve to the same view.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

GENERIC_VALUES = ("1", "alice", "accounts", str(uuid.UUID(int=1)), "x")
_GROUP = re.compile(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)")
_CONVERTER = re.compile(r"(?<!\?P)<(?:(\w+):)?(\w+)>")


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern as written in the URLconf, e.g. "thing/<int:thing_id>/"
    name: str  # "namespace:name", or the view's dotted path for unnamed patterns
    view: Callable
    path: str  # a concrete path that resolves to `view`

    @property
    def view_path(self) -> str:
        return f"{self.view.__module__}.{getattr(self.view, '__qualname__', self.view)}"


def site_routes(samples: dict[str, str] | None = None) -> list[Route]:
    """Return every URL pattern of the site with a path to request it by."""
    samples = samples or {}
    routes = []
    for pattern, name, view in _walk(get_resolver().url_patterns, "", ""):
        path = _concrete(pattern, view, samples)
        if path is not None:
            routes.append(Route(pattern, name, view, path))
    return routes


def _walk(patterns, prefix: str, namespace: str):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _walk(entry.url_patterns, prefix + _text(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            view = entry.callback
            name = entry.name or f"{view.__module__}.{getattr(view, '__name__', '?')}"
            yield prefix + _text(entry.pattern), ":".join(filter(None, [namespace, name])), view


def _text(pattern) -> str:
    """The pattern as a string; regex patterns lose their anchors (they are joined by prefix)."""
    text = str(pattern)
    if hasattr(pattern, "regex") and text.startswith("^"):
        text = text[1:].removesuffix("$")
        text = "\0" + text  # marks regex pieces (see _concrete)
    return text


def _concrete(pattern: str, view, samples: dict[str, str]) -> str | None:
    """Fill in the pattern's parameters so that the path resolves to `view`; None if no value
    tried fits (then the URL cannot be requested without knowing its data)."""
    names = [m.group(2) for m in _CONVERTER.finditer(pattern)] + _GROUP.findall(pattern)
    choices = [[samples[n]] if n in samples else list(GENERIC_VALUES) for n in names]
    for values in itertools.product(*choices):
        given = dict(zip(names, values, strict=True))
        path = _CONVERTER.sub(lambda m, given=given: given[m.group(2)], pattern)
        path = _GROUP.sub(lambda m, given=given: given[m.group(1)], path)
        path = "/" + path.replace("\0", "").replace("\\.", ".").replace("\\", "")
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.func == view:
            return path
    return None
