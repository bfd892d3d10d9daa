"""Read the Flattr markup of a pasted page and say which buttons will work here.

Site owners paste a page (HTML, or a README in Markdown) into `/migrate/`. This module finds
every Flattr button in it, in all the shapes 2010-2017 markup took: `a.FlattrButton` anchors
(`rel` or `rev` lists, `data-flattr-*` attributes, defaults in the loader's query), the 2010
script variables (`flattr_uid` … with `/api/flattr.js`), iframes of `/button/view/` and of the
2016 widget (`/view/?fid=`), auto-submit links, `<link rel="payment">`, and the static images.
Each is checked the way the button would be (the owner must exist here, the address must be
usable, the loader and links must point at this site), and the verdict says what to change.

Nothing is fetched: the page is only parsed, and only the owner and URL are looked up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from django.utils.translation import gettext as _

from flattr.errors import FlattrError
from flattr.titles import TITLE_SHORTEN_MAX

PAGE_MAX_CHARS = 500_000
FINDINGS_MAX = 200
SNIPPET_CHARS = 160
FLATTR_HOSTS = frozenset(
    {"flattr.com", "www.flattr.com", "api.flattr.com", "button.flattr.com", "flattr.net"}
)
LOADER_PATH = re.compile(r"/(js/([0-9][0-9.]*/)?load\.js|api/flattr\.js|button/load\.js)$")
IMAGE_NAMES = ("flattr-badge-large.png", "button-static-50x60.png", "button-compact-static-100x17")
_URL = re.compile(r"""(?:https?:)?//[^\s"'<>()\\]+""", re.I)
_FLATTR_VAR = re.compile(r"""\b(flattr_[a-z]+)\s*=\s*(['"])(.*?)\2""", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_FID_CONCAT = re.compile(r"""/view/\?fid=['"]\s*\+\s*['"]([^'"]+)['"]""")


@dataclass
class Finding:
    """One button (or link, or image) on the page, and whether it will work."""

    kind: str
    snippet: str
    uid: str = ""
    url: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def works(self) -> bool:
        return not self.problems


@dataclass
class PageReport:
    findings: list[Finding]
    flattr_hosts: list[str]  # Flattr hosts still named on the page
    truncated: bool = False

    @property
    def working(self) -> int:
        return sum(1 for finding in self.findings if finding.works)


def _flattr_list(value: str) -> dict[str, str]:
    """Parse "nofollow flattr;uid:pat;button:compact;" into {"uid": "pat", "button": …}."""
    start = value.lower().find("flattr;")
    if start < 0:
        return {}
    result = {}
    for part in value[start + 7 :].split(";"):
        key, colon, rest = part.partition(":")
        if colon and key.strip():
            key = key.strip().lower()
            result["language" if key == "lang" else key] = rest.strip()
    return result


class _Collector(HTMLParser):
    """Collect anchors, scripts, iframes, links and images, with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict, str]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.tags: list[tuple[str, dict]] = []
        self._anchor: dict | None = None
        self._anchor_text: list[str] = []
        self._script: dict | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name.lower(): (value or "") for name, value in attrs}
        if tag == "a":
            self._anchor, self._anchor_text = attributes, []
        elif tag == "script":
            self._script, self._script_text = attributes, []
        self.tags.append((tag, attributes))

    def handle_endtag(self, tag):
        if tag == "a" and self._anchor is not None:
            self.anchors.append((self._anchor, " ".join("".join(self._anchor_text).split())))
            self._anchor = None
        elif tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data):
        if self._anchor is not None:
            self._anchor_text.append(data)
        if self._script is not None:
            self._script_text.append(data)


def _host(url: str) -> str:
    try:
        return (urlsplit(url if "//" in url else "//" + url).hostname or "").lower()
    except ValueError:
        return ""


class _Checker:
    def __init__(self, our_host: str) -> None:
        self.our_host = our_host.lower()
        self.our_hostname = _host("//" + our_host)
        # A page repeats its owner and addresses; each distinct check costs queries once.
        self._verdicts: dict[tuple, str] = {}

    def where(self, url: str) -> str:
        """Return "ours", "flattr" (still Flattr's host), "relative" or "other"."""
        if not url.startswith(("http:", "https:", "//")):
            return "relative"
        host = _host(url)
        netloc = urlsplit(url if not url.startswith("//") else "http:" + url).netloc.lower()
        if netloc == self.our_host or host == self.our_hostname:
            return "ours"
        if host in FLATTR_HOSTS:
            return "flattr"
        return "other"

    def host_problem(self, url: str) -> str:
        if self.where(url) == "flattr":
            return _("It still points at %(host)s: replace that host with %(ours)s.") % {
                "host": _host(url),
                "ours": self.our_host,
            }
        return ""

    def owner_and_url(self, finding: Finding, params: dict, *, page_url: bool = False) -> None:
        """Check the owner and address as the button's confirmation would. `page_url`: the
        button flattrs the page it is on, whose address the pasted HTML does not tell."""
        if not finding.uid:
            finding.problems.append(_("No Flattr user is named (uid, user_id or fid)."))
            return
        url = "https://example.org/" if page_url else finding.url
        if not url:
            finding.problems.append(_("No address to flattr."))
            return
        key = (finding.uid, url, *sorted(params.items()))
        if key not in self._verdicts:
            self._verdicts[key] = self._verdict(finding.uid, url, params)
        if self._verdicts[key]:
            finding.problems.append(self._verdicts[key])

    @staticmethod
    def _verdict(uid: str, url: str, params: dict) -> str:
        """Return what is wrong with this owner and address, or "" if a flattr would work."""
        from flattr.auto_submit import auto_submit_parse

        try:
            auto_submit_parse({"uid": uid, "url": url, **params})
        except FlattrError as error:
            if error.code != "not_found":
                return error.message
            return _(
                "Nobody here is called “%(uid)s”. Sign up with that username, or "
                "change it to yours (old numeric Flattr ids and fids can be mapped to "
                "your account: see “What is different”)."
            ) % {"uid": uid[:60]}
        return ""


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[: SNIPPET_CHARS - 1] + "…"


def _query(url: str) -> dict[str, str]:
    try:
        parsed = parse_qs(urlsplit(url).query, keep_blank_values=True)
    except ValueError:
        return {}
    return {key.lower(): values[0] for key, values in parsed.items() if values}


def _anchor_finding(checker, attributes, text, defaults, loaders) -> Finding:
    params = dict(defaults)
    if attributes.get("lang"):
        params["language"] = attributes["lang"]
    for name in ("rev", "rel"):
        params.update({k: v for k, v in _flattr_list(attributes.get(name, "")).items() if v})
    for key, value in attributes.items():
        if key.startswith("data-flattr-") and value.strip():
            name = key.removeprefix("data-flattr-")
            params["language" if name == "lang" else name] = value.strip()
    href = attributes.get("href", "")
    url = params.pop("url", "") or href
    title = params.pop("title", "") or attributes.get("title", "")
    attrs = " ".join(f'{k}="{v}"' for k, v in attributes.items())
    finding = Finding(_("Button (FlattrButton link)"), _snippet(f"<a {attrs}>{text}</a>"))
    finding.uid, finding.url = params.pop("uid", "").strip(), url.strip()
    if href and checker.where(href) == "flattr":
        finding.problems.append(checker.host_problem(href))
    if not loaders:
        finding.problems.append(
            _("There is no Flattr loader script on this page; add the one shown below.")
        )
    elif all(checker.where(u) == "flattr" for u in loaders):
        finding.problems.append(checker.host_problem(loaders[0]))
    extra = {"title": title[:TITLE_SHORTEN_MAX]} if title.strip() else {}
    checker.owner_and_url(finding, extra)
    return finding


def _url_finding(checker, url: str) -> Finding | None:
    """Classify a URL on the page: auto-submit link, iframe button, image, or nothing."""
    path = urlsplit(url if not url.startswith("//") else "http:" + url).path
    where = checker.where(url)
    if where == "other":
        return None
    query = _query(url)
    uid = query.get("user_id") or query.get("uid") or query.get("fid") or ""
    if not uid and any(key in query for key in ("user_id", "uid", "fid")):
        return None  # a URL that script code completes (the 2016 widget), found by its code
    if path.rstrip("/").endswith("/submit/auto"):
        finding = Finding(_("Auto-submit link"), _snippet(url), uid, query.get("url", ""))
    elif path.endswith("/button/view/") or path in ("/view/", "/view"):
        finding = Finding(_("Button (iframe)"), _snippet(url), uid, query.get("url", ""))
    elif path.rsplit("/", 1)[-1].startswith(IMAGE_NAMES):
        finding = Finding(_("Static image"), _snippet(url))
        finding.problems.extend(filter(None, [checker.host_problem(url)]))
        return finding
    else:
        return None
    finding.problems.extend(filter(None, [checker.host_problem(url)]))
    extra = {k: query[k] for k in ("title", "description", "category", "tags") if query.get(k)}
    checker.owner_and_url(finding, extra)
    return finding


def page_check(*, html: str, our_host: str) -> PageReport:
    """Return every Flattr button, link and image found in `html` and whether each works."""
    checker = _Checker(our_host)
    collector = _Collector()
    try:
        collector.feed(html[:PAGE_MAX_CHARS])
        collector.close()
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        pass
    visible = _COMMENT.sub(" ", html[:PAGE_MAX_CHARS])  # commented-out markup draws nothing
    urls = [unescape(u).rstrip(".,;") for u in _URL.findall(visible)]
    loaders = [u for u in urls if LOADER_PATH.search(urlsplit(u).path or "")]
    loaders += [
        a.get("src", "")
        for a, _text in collector.scripts
        if LOADER_PATH.search(urlsplit(a.get("src", "")).path or "") and a.get("src") not in urls
    ]
    defaults: dict[str, str] = {}
    for loader in loaders:
        query = _query(loader)
        for key in ("uid", "button", "category", "language"):
            if query.get(key):
                defaults.setdefault(key, query[key])
    findings: list[Finding] = []
    for attributes, text in collector.anchors:
        classes = attributes.get("class", "").split()
        flattr_list = any("flattr;" in attributes.get(name, "").lower() for name in ("rel", "rev"))
        data = any(key.startswith("data-flattr-") for key in attributes)
        if "FlattrButton" in classes or flattr_list or data:
            findings.append(_anchor_finding(checker, attributes, text, defaults, loaders))
    # The 2010 script-variable button: variables in one script, /api/flattr.js in the next.
    for index, (_attributes, body) in enumerate(collector.scripts):
        variables = {m.group(1).lower(): m.group(3) for m in _FLATTR_VAR.finditer(body)}
        if "flattr_uid" in variables:
            following = [a.get("src", "") for a, _b in collector.scripts[index + 1 : index + 2]]
            finding = Finding(
                _("Button (2010 script variables)"),
                _snippet(body),
                variables.get("flattr_uid", ""),
                variables.get("flattr_url", ""),
            )
            if not following or not LOADER_PATH.search(urlsplit(following[0]).path or ""):
                finding.problems.append(_("The /api/flattr.js script must follow the variables."))
            else:
                finding.problems.extend(filter(None, [checker.host_problem(following[0])]))
            checker.owner_and_url(finding, {}, page_url=not finding.url)
            findings.append(finding)
        for fid in _FID_CONCAT.findall(body):  # the 2016 widget builds its iframe URL in code
            finding = Finding(_("Button (2016 widget code)"), _snippet(body), fid, "")
            hosts = [u for u in _URL.findall(body) if "/view/" in u]
            finding.problems.extend(filter(None, (checker.host_problem(u) for u in hosts[:1])))
            checker.owner_and_url(finding, {}, page_url=True)
            findings.append(finding)
    seen = set()
    for url in urls:
        if url in seen or url in loaders:
            continue
        seen.add(url)
        finding = _url_finding(checker, url)
        if finding is not None:
            findings.append(finding)
    hosts = sorted({_host(u) for u in urls if checker.where(u) == "flattr"})
    truncated = len(findings) > FINDINGS_MAX or len(html) > PAGE_MAX_CHARS
    return PageReport(findings=findings[:FINDINGS_MAX], flattr_hosts=hosts, truncated=truncated)
