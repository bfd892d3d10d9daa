"""Every URL of the site, read from the URLconf, each with a concrete path to request.

The security tests walk this list instead of naming pages, so a page another engineer adds is
covered the moment it is merged. A path parameter gets a value from `samples` (real ids of
objects a test made), a converter's usual value, or the shortest text its regex matches; the
path is checked to resolve to the same view.

Left out: the REST API and its OAuth2 provider (issue 13), which its own tests cover.
"""

from __future__ import annotations

import re
import re._constants as sre
import re._parser as sre_parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

LEFT_OUT_PREFIXES = ("rest/", "oauth/")  # the API (issue 13) and its OAuth2 provider
_CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
_CHARACTERS = "a1b_x-"  # tried in order where a pattern asks for "some character"


@dataclass(frozen=True)
class Route:
    pattern: str  # the full pattern as written in the URLconf, e.g. "thing/<int:thing_id>/"
    name: str  # "namespace:name", or the view's dotted path for unnamed patterns
    view: Callable
    path: str  # a concrete path that resolves to `view`


def site_routes(samples: dict[str, str] | None = None) -> list[Route]:
    """Return every URL pattern of the site (but the API) with a path to request it by."""
    samples = samples or {}
    routes = []
    for levels, name, view in _walk(get_resolver().url_patterns, [], ""):
        text = "".join(str(level) for level in levels)
        if any(text.lstrip("^").startswith(prefix) for prefix in LEFT_OUT_PREFIXES):
            continue
        path = _concrete(levels, view, samples)
        if path is _SHADOWED:
            continue  # an earlier pattern answers this path: nobody can reach this view by it
        assert path is not None, f"no path found for {text} ({name}): teach routes.py"
        routes.append(Route(text, name, view, path))
    return routes


def _walk(patterns, levels: list, namespace: str):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from _walk(entry.url_patterns, [*levels, entry.pattern], inner)
        elif isinstance(entry, URLPattern):
            view = entry.callback
            name = entry.name or f"{view.__module__}.{getattr(view, '__name__', '?')}"
            yield [*levels, entry.pattern], ":".join(filter(None, [namespace, name])), view


_SHADOWED = "shadowed"


def _concrete(levels, view, samples: dict[str, str]) -> str | None:
    """Fill in every level's parameters so that the path resolves to `view`; _SHADOWED if it
    resolves to an earlier pattern's view instead; None if no path was found."""
    shadowed = False
    for preferred in (samples, {}):
        path = "/" + "".join(_level_text(level, preferred) for level in levels)
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.func == view:
            return path
        shadowed = True
    return _SHADOWED if shadowed else None


def _level_text(level, preferred: dict[str, str]) -> str:
    if isinstance(level, RoutePattern):
        converters = level.converters

        def value(match: re.Match) -> str:
            name = match.group(2)
            if name in preferred:
                return preferred[name]
            converter = converters.get(name)
            if isinstance(converter, IntConverter):
                return "1"
            if isinstance(converter, UUIDConverter):
                return str(uuid.UUID(int=1))
            return "alice"

        return _CONVERTER.sub(value, str(level))
    if isinstance(level, RegexPattern):
        return _example(str(level), preferred)
    raise TypeError(f"unknown pattern type {type(level).__name__}")


def _example(regex: str, preferred: dict[str, str]) -> str:
    """Return a short text the regex matches, with `preferred` values in its named groups."""
    parsed = sre_parse.parse(regex)
    names = {number: name for name, number in parsed.state.groupdict.items()}
    return _generate(parsed, names, preferred)


def _generate(items, names: dict[int, str], preferred: dict[str, str]) -> str:
    out = []
    for op, av in items:
        if op is sre.LITERAL:
            out.append(chr(av))
        elif op is sre.NOT_LITERAL:
            out.append(next(c for c in _CHARACTERS if ord(c) != av))
        elif op is sre.ANY:
            out.append("a")
        elif op is sre.IN:
            out.append(next(c for c in _CHARACTERS if _in_set(c, av)))
        elif op is sre.BRANCH:
            out.append(_generate(av[1][0], names, preferred))
        elif op is sre.SUBPATTERN:
            group, _add, _del, sub = av
            name = names.get(group)
            text = _generate(sub, names, preferred)
            out.append(preferred.get(name, text) if name else text)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
            low, _high, sub = av
            out.append(_generate(sub, names, preferred) * low)
        elif op is sre.ATOMIC_GROUP:
            out.append(_generate(av, names, preferred))
        # AT (anchors), ASSERT and ASSERT_NOT (lookarounds) match no text.
    return "".join(out)


def _in_set(char: str, items) -> bool:
    negate, found = False, False
    for op, av in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            found |= ord(char) == av
        elif op is sre.RANGE:
            found |= av[0] <= ord(char) <= av[1]
        elif op is sre.CATEGORY:
            found |= {
                sre.CATEGORY_DIGIT: char.isdigit(),
                sre.CATEGORY_WORD: char.isalnum() or char == "_",
                sre.CATEGORY_SPACE: char.isspace(),
                sre.CATEGORY_NOT_DIGIT: not char.isdigit(),
                sre.CATEGORY_NOT_WORD: not (char.isalnum() or char == "_"),
                sre.CATEGORY_NOT_SPACE: not char.isspace(),
            }.get(av, False)
    return found != negate
