"""A fake Twitter/X on loopback, for tests and `make run`.

OAuth 2.0 is oauthlib's real `WebApplicationServer`; the validator below really checks the
client (id and secret), the exact redirect URI, single use of each authorization code and the
PKCE S256 verifier. `/i/oauth2/authorize` auto-approves as the "current user" (set through
`/_fake/login`, or `as=<id>` in the URL); with neither it shows a page to pick a user. Plus
`/2/users/me`, `/2/users/<id>`, `/2/users/by/username/<handle>` and `POST /2/tweets`, and
admin endpoints under `/_fake/` to add or rename users, read posted tweets and simulate an
outage or a rate limit. No Django here: it runs as `python -m twitter_claims.fake_x --port 8421`.
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import threading
from socketserver import ThreadingMixIn
from types import SimpleNamespace
from urllib.parse import parse_qs, urlencode
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from oauthlib.oauth2 import FatalClientError, OAuth2Error, RequestValidator, WebApplicationServer

DEV_CLIENT_ID, DEV_CLIENT_SECRET = "flattr-dev-client", "flattr-dev-secret"
DEV_APP_BEARER, DEV_SERVICE_TOKEN = "fake-app-bearer", "fake-service-token"
DEV_REDIRECTS = (
    "http://127.0.0.1:8000/twitter/-/callback/",
    "http://localhost:8000/twitter/-/callback/",
)
DEV_USERS = [
    ("1", "flattr", "Flattr"),
    ("42", "alice", "Alice"),
    ("7", "bob", "Bob"),
    ("1001", "carol", "Carol"),
    ("1002", "dave", "Dave"),
]
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"


class Validator(RequestValidator):
    def __init__(self, fake: FakeX) -> None:
        self.fake = fake

    def validate_client_id(self, client_id, request, *a, **k):
        return client_id == self.fake.client_id

    def authenticate_client(self, request, *a, **k):  # confidential client: HTTP Basic
        auth = request.headers.get("Authorization", "")
        client_id, secret = request.client_id, request.client_secret
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if (client_id, secret) != (self.fake.client_id, self.fake.client_secret):
            return False
        request.client = SimpleNamespace(client_id=client_id)
        return True

    def authenticate_client_id(self, client_id, request, *a, **k):  # public client (no secret)
        return False

    def client_authentication_required(self, request, *a, **k):
        return True

    def validate_redirect_uri(self, client_id, redirect_uri, request, *a, **k):
        return redirect_uri in self.fake.redirect_uris

    def get_default_redirect_uri(self, client_id, request, *a, **k):
        return None  # the redirect URI is always required, as on X

    def validate_response_type(self, client_id, response_type, client, request, *a, **k):
        return response_type == "code"

    def validate_scopes(self, client_id, scopes, client, request, *a, **k):
        return set(scopes) <= {"users.read", "tweet.read", "tweet.write", "offline.access"}

    def get_default_scopes(self, client_id, request, *a, **k):
        return ["users.read", "tweet.read"]

    def is_pkce_required(self, client_id, request):
        return True

    def save_authorization_code(self, client_id, code, request, *a, **k):
        with self.fake.lock:
            self.fake.codes[code["code"]] = {
                "client_id": client_id,
                "user": request.user,
                "redirect_uri": request.redirect_uri,
                "scopes": request.scopes,
                "challenge": request.code_challenge,
                "method": request.code_challenge_method,
                "used": False,
            }

    def validate_code(self, client_id, code, client, request, *a, **k):
        # A code is good for one presentation: any attempt, right or wrong, burns it.
        with self.fake.lock:
            grant = self.fake.codes.get(code)
            if not grant or grant["used"] or grant["client_id"] != client_id:
                return False
            grant["used"] = True
        request.user, request.scopes = grant["user"], grant["scopes"]
        return True

    def get_code_challenge(self, code, request):
        return self.fake.codes.get(code, {}).get("challenge")

    def get_code_challenge_method(self, code, request):
        return self.fake.codes.get(code, {}).get("method")

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *a, **k):
        return self.fake.codes.get(code, {}).get("redirect_uri") == redirect_uri

    def validate_grant_type(self, client_id, grant_type, client, request, *a, **k):
        return grant_type == "authorization_code"

    def save_bearer_token(self, token, request, *a, **k):
        with self.fake.lock:
            self.fake.tokens[token["access_token"]] = request.user

    def invalidate_authorization_code(self, client_id, code, request, *a, **k):
        pass  # validate_code already burned it


class FakeX:
    def __init__(
        self,
        *,
        client_id=DEV_CLIENT_ID,
        client_secret=DEV_CLIENT_SECRET,
        redirect_uris=DEV_REDIRECTS,
        app_bearer=DEV_APP_BEARER,
        service_token=DEV_SERVICE_TOKEN,
        users=DEV_USERS,
    ) -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.redirect_uris, self.app_bearer = set(redirect_uris), app_bearer
        self.lock = threading.Lock()
        self.oauth = WebApplicationServer(Validator(self))
        self.users: dict[str, dict] = {}
        self.reset(users)
        self.tokens[service_token] = "1"  # the service account (@flattr) posts the notices

    def reset(self, users=()) -> None:
        self.users = {uid: {"id": uid, "username": u, "name": n} for uid, u, n in users}
        self.codes, self.tweets, self.mode, self.current_user = {}, [], "", None
        self.tokens = {k: v for k, v in getattr(self, "tokens", {}).items() if v == "1"}

    def user_set(self, uid: str, username: str, name: str = "") -> None:
        """Add a user or rename one; a handle belongs to one user at a time, as on X."""
        with self.lock:
            for other in list(self.users.values()):
                if other["username"].lower() == username.lower() and other["id"] != uid:
                    other["username"] = f"gone_{other['id']}"
            self.users[uid] = {"id": uid, "username": username, "name": name or username}

    def __call__(self, environ, start_response):
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(size).decode() if size else ""
        headers = {
            k[5:].replace("_", "-").title(): v for k, v in environ.items() if k.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        uri = f"http://{environ['HTTP_HOST']}{path}" + (f"?{query}" if query else "")
        status, out_headers, out = self.route(method, path, query, body, headers, uri)
        start_response(status, list(out_headers.items()))
        return [out.encode()]

    def route(self, method, path, query, body, headers, uri):
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if path.startswith("/_fake/"):
            return self.admin(method, path[7:], json.loads(body or "{}"))
        if path == "/i/oauth2/authorize":
            return self.authorize(uri, params)
        if self.mode == "down":
            return (
                "503 Service Unavailable",
                {"Content-Type": "text/html"},
                "<h1>Over capacity</h1>",
            )
        if self.mode == "rate_limit":
            return _json("429 Too Many Requests", {"title": "Too Many Requests", "status": 429})
        if path == "/2/oauth2/token" and method == "POST":
            out_headers, out, code = self.oauth.create_token_response(uri, "POST", body, headers)
            return f"{code} OK" if code == 200 else f"{code} Error", out_headers, out
        token = headers.get("Authorization", "").removeprefix("Bearer ")
        caller = self.tokens.get(token) or ("app" if token == self.app_bearer else None)
        if caller is None:
            return _json("401 Unauthorized", {"title": "Unauthorized", "status": 401})
        if path == "/2/users/me" and caller != "app":
            return self.user_response(self.users.get(caller))
        if path.startswith("/2/users/by/username/"):
            handle = path.rsplit("/", 1)[1].lower()
            return self.user_response(
                next((u for u in self.users.values() if u["username"].lower() == handle), None)
            )
        if path.startswith("/2/users/") and path[9:].isdigit():
            return self.user_response(self.users.get(path[9:]))
        if path == "/2/tweets" and method == "POST" and caller != "app":
            text = str(json.loads(body or "{}").get("text", ""))
            if not 0 < len(text) <= 280:
                return _json("400 Bad Request", {"title": "Invalid Request", "status": 400})
            with self.lock:
                tweet = {"id": str(len(self.tweets) + 1000), "text": text, "author_id": caller}
                self.tweets.append(tweet)
            return _json("201 Created", {"data": {"id": tweet["id"], "text": text}})
        return _json("404 Not Found", {"title": "Not Found", "status": 404})

    def authorize(self, uri, params):
        try:
            scopes, credentials = self.oauth.validate_authorization_request(uri)
        except FatalClientError as error:  # bad client or redirect URI: never redirect
            return "400 Bad Request", {"Content-Type": "text/plain"}, f"Refused: {error.error}"
        except OAuth2Error as error:
            return "302 Found", {"Location": error.in_uri(error.redirect_uri)}, ""
        if params.get("deny"):
            location = (
                credentials["redirect_uri"]
                + "?"
                + urlencode({"error": "access_denied", "state": credentials.get("state") or ""})
            )
            return "302 Found", {"Location": location}, ""
        uid = params.get("as") or self.current_user
        if uid not in self.users:
            here = html.escape(uri)
            links = "".join(
                f'<li><a href="{here}&amp;as={u["id"]}">Sign in as @{html.escape(u["username"])}'
                "</a></li>"
                for u in self.users.values()
            )
            page = (
                f"<h1>Fake X: authorize app?</h1><ul>{links}</ul>"
                f'<p><a href="{here}&amp;deny=1">Cancel</a></p>'
            )
            return "200 OK", {"Content-Type": "text/html; charset=utf-8"}, page
        credentials["user"] = uid
        out_headers, _body, _code = self.oauth.create_authorization_response(
            uri, scopes=scopes, credentials=credentials
        )
        return "302 Found", {"Location": out_headers["Location"]}, ""

    def user_response(self, user):
        if user is None:
            return _json("200 OK", {"errors": [{"title": "Not Found Error", "type": NOT_FOUND}]})
        return _json("200 OK", {"data": dict(user)})

    def admin(self, method, what, data):
        if what == "users" and method == "POST":
            self.user_set(str(data["id"]), data["username"], data.get("name", ""))
        elif what == "login" and method == "POST":
            self.current_user = str(data["id"]) if data.get("id") else None
        elif what == "mode" and method == "POST":
            self.mode = data.get("mode", "")
        elif what == "reset" and method == "POST":
            self.reset(DEV_USERS)
        return _json(
            "200 OK", {"users": list(self.users.values()), "tweets": self.tweets, "mode": self.mode}
        )


def _json(status, payload):
    return status, {"Content-Type": "application/json"}, json.dumps(payload)


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve(fake: FakeX, *, host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
    """Start `fake` in a daemon thread; return the server (its port is `server.server_port`)."""
    handler = _QuietHandler if quiet else WSGIRequestHandler
    server = make_server(host, port, fake, server_class=_Server, handler_class=handler)
    threading.Thread(target=server.serve_forever, daemon=True, name="fake-x").start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Twitter/X for development.")
    parser.add_argument("--port", type=int, default=8421)
    parser.add_argument("--redirect-uri", action="append", help="allowed OAuth redirect URI")
    args = parser.parse_args()
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    redirects = args.redirect_uri or DEV_REDIRECTS
    server = serve(FakeX(redirect_uris=redirects), port=args.port, quiet=False)
    print(f"Fake X on http://127.0.0.1:{server.server_port}/ (users: alice, bob, carol, dave)")
    threading.Event().wait()


if __name__ == "__main__":
    main()
