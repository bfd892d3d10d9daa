"""A fake GitHub on loopback, for tests and `make run` (`python -m twitter_claims.fake_github
--port 8422`): the OAuth app flow (fake_provider), `GET /user`, `GET /users/<login>`,
`GET /user/<id>`, and admin endpoints `POST /_fake/users` (add or rename:
`{"id": "583231", "login": "octocat"}`), `POST /_fake/mode` (`down`, `rate_limit`, ``),
`POST /_fake/reset`.
"""

from __future__ import annotations

import argparse
import threading

from twitter_claims.fake_provider import FakeOAuthProvider, _json, serve

DEV_USERS = [
    {"id": "583231", "login": "octocat", "name": "The Octocat"},
    {"id": "9919", "login": "hubot", "name": "Hubot"},
    {"id": "1001", "login": "carol", "name": "Carol"},
]
DEV_CLIENT = ("flattr-dev-github", "flattr-dev-github-secret")


class FakeGitHub(FakeOAuthProvider):
    name = "fake-github"
    authorize_path = "/login/oauth/authorize"
    token_path = "/login/oauth/access_token"

    def reset(self, users=None) -> None:
        super().reset()
        self.users = {u["id"]: dict(u) for u in (users or DEV_USERS)}

    def user_exists(self, user_id: str) -> bool:
        return user_id in self.users

    def _by_login(self, login: str):
        return next((u for u in self.users.values() if u["login"].lower() == login.lower()), None)

    def _user(self, user):
        if user is None:
            return _json("404 Not Found", {"message": "Not Found"})
        fields = {"login": user["login"], "name": user["name"]}
        fields |= {"bio": user.get("bio", ""), "blog": user.get("blog", "")}
        return _json("200 OK", {"id": int(user["id"]), **fields})

    def api(self, method, path, query, data, token):
        if method == "GET" and path == "/user":
            user_id = self.token_user(token)
            if user_id is None:
                return _json("401 Unauthorized", {"message": "Bad credentials"})
            return self._user(self.users.get(user_id))
        if method == "GET" and path.startswith("/users/"):
            return self._user(self._by_login(path.removeprefix("/users/")))
        if method == "GET" and path.startswith("/user/"):
            return self._user(self.users.get(path.removeprefix("/user/")))
        return _json("404 Not Found", {"message": "Not Found"})

    def admin(self, method, what, data):
        if what == "users" and method == "POST":
            with self.lock:
                for user in list(self.users.values()):  # a login belongs to one user at a time
                    if user["login"].lower() == data["login"].lower():
                        user["login"] = f"ghost-{user['id']}"
                self.users[str(data["id"])] = {
                    "id": str(data["id"]),
                    "login": data["login"],
                    "name": data.get("name", ""),
                    "bio": data.get("bio", ""),
                    "blog": data.get("blog", ""),
                }
        elif what == "reset" and method == "POST":
            self.reset()
        else:
            return super().admin(method, what, data)
        return _json("200 OK", {"users": list(self.users.values())})


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake GitHub for development.")
    parser.add_argument("--port", type=int, default=8422)
    args = parser.parse_args()
    fake = FakeGitHub(clients={DEV_CLIENT[0]: (DEV_CLIENT[1], set())})
    server = serve(fake, port=args.port, quiet=False)
    print(f"Fake GitHub on http://127.0.0.1:{server.server_port}/ (users: octocat, hubot, carol)")
    threading.Event().wait()


if __name__ == "__main__":
    main()
