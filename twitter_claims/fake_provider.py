"""The OAuth 2 part every loopback fake provider shares (GitHub, Mastodon, Facebook): an
authorize page that approves as `?as=<user id>` (or `?deny=1`), and a token endpoint that checks
the client secret, the exact redirect URI, single use and age of codes, and the PKCE verifier.
Each fake adds its own API routes. For tests and `make run` only; never in production.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

CODE_SECONDS = 60


def _json(status: str, payload) -> tuple[str, dict, str]:
    return status, {"Content-Type": "application/json"}, json.dumps(payload)


class FakeOAuthProvider:
    """A WSGI app. Subclasses implement `api(method, path, query, data, token)`."""

    name = "Fake"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"

    def __init__(self, *, clients: dict[str, tuple[str, set[str]]] | None = None) -> None:
        # client id -> (secret, allowed redirect URIs); an empty set allows any loopback URI
        self.clients = clients or {}
        self.lock = threading.Lock()
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}  # access token -> user id
        self.mode = ""
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.codes.clear()
            self.tokens.clear()
            self.mode = ""

    # ---- OAuth ----

    def authorize(self, query: dict) -> tuple[str, dict, str]:
        client = self.clients.get(query.get("client_id", ""))
        redirect_uri = query.get("redirect_uri", "")
        if client is None or (client[1] and redirect_uri not in client[1]):
            return _json("400 Bad Request", {"error": "invalid_client"})
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return _json("400 Bad Request", {"error": "invalid_request", "detail": "PKCE"})
        state = query.get("state", "")
        if query.get("deny"):
            denied = urlencode({"error": "access_denied", "state": state})
            return "302 Found", {"Location": f"{redirect_uri}?{denied}"}, ""
        user_id = query.get("as", "")
        if not self.user_exists(user_id):
            return _json("400 Bad Request", {"error": "pick a user with ?as=<id>"})
        code = secrets.token_urlsafe(16)
        with self.lock:
            self.codes[code] = {
                "client_id": query["client_id"],
                "redirect_uri": redirect_uri,
                "challenge": query["code_challenge"],
                "user": user_id,
                "at": time.time(),
            }
        location = f"{redirect_uri}?{urlencode({'code': code, 'state': state})}"
        return "302 Found", {"Location": location}, ""

    def token(self, data: dict) -> tuple[str, dict, str]:
        client = self.clients.get(data.get("client_id", ""))
        if client is None or not secrets.compare_digest(client[0], data.get("client_secret", "")):
            return _json("401 Unauthorized", {"error": "invalid_client"})
        with self.lock:
            grant = self.codes.pop(data.get("code", ""), None)
        verifier = data.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        if (
            grant is None
            or time.time() - grant["at"] > CODE_SECONDS
            or grant["client_id"] != data.get("client_id")
            or grant["redirect_uri"] != data.get("redirect_uri")
            or challenge.rstrip(b"=").decode() != grant["challenge"]
        ):
            return _json("400 Bad Request", {"error": "invalid_grant"})
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = grant["user"]
        return _json("200 OK", {"access_token": token, "token_type": "bearer", "scope": ""})

    def token_user(self, token: str) -> str | None:
        with self.lock:
            return self.tokens.get(token)

    # ---- For subclasses ----

    def user_exists(self, user_id: str) -> bool:
        raise NotImplementedError

    def api(self, method: str, path: str, query: dict, data: dict, token: str):
        raise NotImplementedError

    def admin(self, method: str, what: str, data: dict):
        if what == "mode":
            self.mode = data.get("mode", "")
        return _json("200 OK", {"mode": self.mode})

    # ---- WSGI ----

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length).decode() if length else ""
        ctype = environ.get("CONTENT_TYPE", "")
        if "json" in ctype and raw:
            data = json.loads(raw)
        else:
            data = {k: v[0] for k, v in parse_qs(raw).items()}
        auth = environ.get("HTTP_AUTHORIZATION", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if path.startswith("/_fake/"):
            status, headers, body = self.admin(method, path.removeprefix("/_fake/"), data)
        elif self.mode == "down":
            status, headers, body = _json("503 Service Unavailable", {"error": "down"})
        elif self.mode == "rate_limit":
            status, headers, body = _json("429 Too Many Requests", {"error": "slow down"})
        elif path == self.authorize_path and method == "GET":
            status, headers, body = self.authorize(query)
        elif path == self.token_path and method == "POST":
            status, headers, body = self.token(data)
        else:
            status, headers, body = self.api(method, path, query, data, token)
        start_response(status, list(headers.items()))
        return [body.encode()]


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve(app, *, host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
    """Start a fake in a daemon thread; return the server (its port: `server.server_port`)."""
    handler = _QuietHandler if quiet else WSGIRequestHandler
    server = make_server(host, port, app, server_class=_Server, handler_class=handler)
    threading.Thread(target=server.serve_forever, daemon=True, name=app.name).start()
    return server
