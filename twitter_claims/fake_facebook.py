"""A fake Facebook Graph API on loopback, for tests and `make run` (`python -m
twitter_claims.fake_facebook --port 8424`): Facebook Login (fake_provider's OAuth, PKCE
checked) at /dialog/oauth and /oauth/access_token, `GET /<page username or id>` with the app
token, `GET /me/accounts` (the pages the signed-in person manages). Admin: `POST /_fake/pages`
(add or rename a page), `/_fake/mode`, `/_fake/reset`.
"""

from __future__ import annotations

import argparse
import threading

from twitter_claims.fake_provider import FakeOAuthProvider, _json, serve

DEV_PEOPLE = {"501": {"name": "Pat", "pages": ["777001"]}, "502": {"name": "Quinn", "pages": []}}
DEV_PAGES = [{"id": "777001", "username": "bakery.berlin", "name": "Bakery Berlin"}]
DEV_APP = ("flattr-dev-facebook", "flattr-dev-facebook-secret")


class FakeFacebook(FakeOAuthProvider):
    name = "fake-facebook"
    authorize_path = "/dialog/oauth"
    token_path = "/oauth/access_token"

    def reset(self) -> None:
        super().reset()
        self.people = {k: {**v, "pages": list(v["pages"])} for k, v in DEV_PEOPLE.items()}
        self.pages = {p["id"]: dict(p) for p in DEV_PAGES}

    def user_exists(self, user_id: str) -> bool:
        return user_id in self.people

    def _app_token_ok(self, token: str) -> bool:
        return any(token == f"{cid}|{secret}" for cid, (secret, _uris) in self.clients.items())

    def api(self, method, path, query, data, token):
        if method != "GET":
            return _json("404 Not Found", {"error": {"message": "Unknown path"}})
        if path == "/me/accounts":
            person = self.people.get(self.token_user(token) or "")
            if person is None:
                return _json("401 Unauthorized", {"error": {"message": "Invalid OAuth token"}})
            return _json("200 OK", {"data": [self.pages[p] for p in person["pages"]]})
        if not self._app_token_ok(token):
            return _json("401 Unauthorized", {"error": {"message": "Invalid app token"}})
        key = path.strip("/").lower()
        page = next(
            (p for p in self.pages.values() if key in (p["id"], p["username"].lower())), None
        )
        if page is None:
            return _json("404 Not Found", {"error": {"message": "Unsupported get request"}})
        return _json("200 OK", page)

    def admin(self, method, what, data):
        if what == "pages" and method == "POST":
            with self.lock:
                self.pages[str(data["id"])] = {
                    "id": str(data["id"]),
                    "username": data["username"],
                    "name": data.get("name", ""),
                }
        elif what == "reset" and method == "POST":
            self.reset()
        else:
            return super().admin(method, what, data)
        return _json("200 OK", {"pages": list(self.pages.values())})


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Facebook for development.")
    parser.add_argument("--port", type=int, default=8424)
    args = parser.parse_args()
    fake = FakeFacebook(clients={DEV_APP[0]: (DEV_APP[1], set())})
    server = serve(fake, port=args.port, quiet=False)
    print(
        f"Fake Facebook on http://127.0.0.1:{server.server_port}/ (Pat 501 manages bakery.berlin)"
    )
    threading.Event().wait()


if __name__ == "__main__":
    main()
