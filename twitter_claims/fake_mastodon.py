"""A fake Mastodon instance on loopback, for tests and `make run` (`python -m
twitter_claims.fake_mastodon --port 8423 --domain mastodon.example`). Run one per instance.

`POST /api/v1/apps` registers an OAuth client (any redirect URI it names), the OAuth flow is
fake_provider's (PKCE checked), `GET /api/v1/accounts/lookup?acct=`, `/api/v1/accounts/<id>`,
`/api/v1/accounts/verify_credentials`, `POST /api/v1/statuses` (from the service token).
Admin: `POST /_fake/users` (add or rename), `/_fake/mode`, `/_fake/state` (posted statuses),
`/_fake/reset`.
"""

from __future__ import annotations

import argparse
import secrets
import threading

from twitter_claims.fake_provider import FakeOAuthProvider, _json, serve

DEV_USERS = [
    {"id": "109", "username": "anna", "display_name": "Anna"},
    {"id": "110", "username": "ben", "display_name": "Ben"},
]
SERVICE_TOKEN = "fake-mastodon-service"


class FakeMastodon(FakeOAuthProvider):
    name = "fake-mastodon"
    authorize_path = "/oauth/authorize"
    token_path = "/oauth/token"

    def __init__(self, *, domain: str, users=None, service_token: str = SERVICE_TOKEN) -> None:
        self.domain = domain
        self.dev_users = users or DEV_USERS
        self.service_token = service_token
        super().__init__(clients={})

    def reset(self, users=None) -> None:
        super().reset()
        self.users = {u["id"]: dict(u) for u in (users or self.dev_users)}
        self.statuses: list[dict] = []
        self.clients = {}

    def user_exists(self, user_id: str) -> bool:
        return user_id in self.users

    def _account(self, user):
        if user is None:
            return _json("404 Not Found", {"error": "Record not found"})
        return _json("200 OK", {**user, "acct": user["username"]})

    def api(self, method, path, query, data, token):
        if method == "POST" and path == "/api/v1/apps":
            client_id, secret = secrets.token_urlsafe(12), secrets.token_urlsafe(24)
            with self.lock:
                self.clients[client_id] = (secret, set(data.get("redirect_uris", "").split()))
            return _json("200 OK", {"client_id": client_id, "client_secret": secret})
        if method == "GET" and path == "/api/v1/accounts/lookup":
            acct = query.get("acct", "").lower()
            user = next((u for u in self.users.values() if u["username"].lower() == acct), None)
            return self._account(user)
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            user_id = self.token_user(token)
            if user_id is None:
                return _json("401 Unauthorized", {"error": "The access token is invalid"})
            return self._account(self.users.get(user_id))
        if method == "GET" and path.startswith("/api/v1/accounts/"):
            return self._account(self.users.get(path.removeprefix("/api/v1/accounts/")))
        if method == "POST" and path == "/api/v1/statuses":
            if token != self.service_token:
                return _json("401 Unauthorized", {"error": "The access token is invalid"})
            status = {"id": str(len(self.statuses) + 1), **data}
            self.statuses.append(status)
            return _json("200 OK", status)
        return _json("404 Not Found", {"error": "Not found"})

    def admin(self, method, what, data):
        if what == "users" and method == "POST":
            with self.lock:
                for user in self.users.values():
                    if user["username"].lower() == data["username"].lower():
                        user["username"] = f"gone_{user['id']}"
                self.users[str(data["id"])] = {
                    "id": str(data["id"]),
                    "username": data["username"],
                    "display_name": data.get("display_name", ""),
                    "note": data.get("note", ""),
                }
        elif what == "reset" and method == "POST":
            self.reset()
        elif what == "state":
            pass
        else:
            return super().admin(method, what, data)
        return _json("200 OK", {"users": list(self.users.values()), "statuses": self.statuses})


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Mastodon instance for development.")
    parser.add_argument("--port", type=int, default=8423)
    parser.add_argument("--domain", default="mastodon.example")
    args = parser.parse_args()
    server = serve(FakeMastodon(domain=args.domain), port=args.port, quiet=False)
    print(f"Fake Mastodon {args.domain} on http://127.0.0.1:{server.server_port}/ (anna, ben)")
    threading.Event().wait()


if __name__ == "__main__":
    main()
