"""A fake of the Stripe Connect calls we use, on loopback, for tests and `make run`.

localstripe has no Connect (`/v1/accounts`, `/v1/account_links`, `/v1/transfers` answer 404), so
this serves exactly what payments/stripe_gateway.py calls, in Stripe's wire format (form-encoded
requests, JSON objects and errors, `Idempotency-Key`, `Stripe-Account`):

- `POST /v1/accounts`, `GET /v1/accounts/<id>`: Express accounts with requirements and a bank;
- `POST /v1/account_links`: a one-time link to `/connect/onboarding/<token>`, a small page where
  the "recipient" enters a name and an IBAN (or leaves), then is sent back to `return_url`;
- `POST /v1/transfers`, `POST /v1/transfers/<id>/reversals`: platform → account and back;
- `POST /v1/payouts` with `Stripe-Account`: account balance → bank, `pending` until settled.

It keeps each connected account's balance honestly, but our code never relies on that: it
checks the payable balance and keys every call itself. Events (`account.updated`,
`payout.paid`, `payout.failed`, `transfer.reversed`) are kept in order and, when a webhook URL
is set, posted there signed like Stripe's. Admin endpoints under `/_fake/` let tests and the
developer settle or fail a payout, restrict an account, make the next transfers fail, and read
the events; `/_fake/` in a browser lists pending payouts with buttons. No Django here: it runs
as `python -m payments.fake_connect --port 8425`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import html
import itertools
import json
import threading
import time
from socketserver import ThreadingMixIn
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import requests

DEV_WEBHOOK_URL = "http://127.0.0.1:8000/payments/stripe/webhook/"
DEV_WEBHOOK_SECRET = "whsec_localstripe_dev"
PAYOUT_DAYS = 2  # arrival_date = now + this


def _form(body: bytes) -> dict[str, str]:
    """Stripe's form encoding, flat: `metadata[flattr_payout]` stays one key."""
    return {
        key: values[-1] for key, values in parse_qs(body.decode(), keep_blank_values=True).items()
    }


def _metadata(form: dict[str, str]) -> dict[str, str]:
    return {key[9:-1]: value for key, value in form.items() if key.startswith("metadata[")}


def _error(status: str, message: str, code: str = "", kind: str = "invalid_request_error"):
    return _json(status, {"error": {"type": kind, "message": message, "code": code}})


def _json(status, payload):
    return status, {"Content-Type": "application/json"}, json.dumps(payload)


class FakeConnect:
    def __init__(self, *, webhook_url: str = "", webhook_secret: str = "") -> None:
        self.lock = threading.RLock()
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.ids = itertools.count(1000)
            self.accounts: dict[str, dict] = {}
            self.links: dict[str, dict] = {}
            self.transfers: dict[str, dict] = {}
            self.payouts: dict[str, dict] = {}
            self.balances: dict[str, int] = {}
            self.idempotent: dict[tuple[str, str], tuple] = {}
            self.events: list[dict] = []
            self.fail_transfers = ""  # a message: every transfer is refused with it

    def _id(self, prefix: str) -> str:
        return f"{prefix}_fake{next(self.ids)}"

    # ---- WSGI ----

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        try:
            status, headers, text = self.route(method, path, body, query, environ)
        except Exception as error:  # a bug here must show, not hang the caller
            status, headers, text = _error("500 Internal Server Error", repr(error), "fake_bug")
        start_response(status, list(headers.items()))
        return [text.encode()]

    def route(self, method, path, body, query, environ):
        if path.startswith("/_fake"):
            data = json.loads(body or b"{}") if method == "POST" else {}
            return self.admin(method, path[len("/_fake") :].strip("/"), data)
        if path.startswith("/connect/onboarding/"):
            return self.onboarding(method, path.rsplit("/", 1)[-1], body)
        if not environ.get("HTTP_AUTHORIZATION", "").startswith("Bearer sk_"):
            return _error("401 Unauthorized", "No valid API key provided.", kind="auth_error")
        form = _form(body) if method == "POST" else {}
        key = environ.get("HTTP_IDEMPOTENCY_KEY", "")
        if method == "POST" and key:
            with self.lock:
                if (path, key) in self.idempotent:
                    return self.idempotent[(path, key)]
                answer = self.api(method, path, form, environ)
                if answer[0].startswith("200"):
                    self.idempotent[(path, key)] = answer
                return answer
        return self.api(method, path, form, environ)

    def api(self, method, path, form, environ):
        with self.lock:
            if path == "/v1/accounts" and method == "POST":
                return _json("200 OK", self.account_create(form))
            if path.startswith("/v1/accounts/") and method == "GET":
                account = self.accounts.get(path.rsplit("/", 1)[-1])
                if account is None:
                    return _error("404 Not Found", "No such account.", "resource_missing")
                return _json("200 OK", self.account_view(account))
            if path == "/v1/account_links" and method == "POST":
                return self.link_create(form)
            if path == "/v1/transfers" and method == "POST":
                return self.transfer_create(form)
            if path.startswith("/v1/transfers/") and path.endswith("/reversals"):
                return self.transfer_reverse(path.split("/")[3])
            if path == "/v1/payouts" and method == "POST":
                return self.payout_create(form, environ.get("HTTP_STRIPE_ACCOUNT", ""))
        return _error("404 Not Found", f"Unrecognized request URL ({method}: {path}).")

    # ---- accounts and onboarding ----

    def account_create(self, form):
        account = {
            "id": self._id("acct"),
            "email": form.get("email", ""),
            "country": form.get("country", "DE"),
            "metadata": _metadata(form),
            "details_submitted": False,
            "payouts_enabled": False,
            "disabled_reason": "",
            "bank": None,
        }
        self.accounts[account["id"]] = account
        self.balances[account["id"]] = 0
        return self.account_view(account)

    def account_view(self, account):
        due = [] if account["details_submitted"] else ["individual.name", "external_account"]
        bank = account["bank"]
        return {
            "id": account["id"],
            "object": "account",
            "type": "express",
            "email": account["email"],
            "country": account["country"],
            "metadata": account["metadata"],
            "details_submitted": account["details_submitted"],
            "payouts_enabled": account["payouts_enabled"] and not account["disabled_reason"],
            "requirements": {
                "currently_due": due,
                "disabled_reason": account["disabled_reason"] or None,
            },
            "external_accounts": {"object": "list", "data": [bank] if bank else []},
        }

    def link_create(self, form):
        account = self.accounts.get(form.get("account", ""))
        if account is None:
            return _error("400 Bad Request", "No such account.", "resource_missing")
        token = self._id("link")
        self.links[token] = {
            "account": account["id"],
            "return_url": form.get("return_url", ""),
            "refresh_url": form.get("refresh_url", ""),
            "used": False,
        }
        base = f"http://{self.host}" if getattr(self, "host", "") else ""
        return _json(
            "200 OK",
            {
                "object": "account_link",
                "url": f"{base}/connect/onboarding/{token}",
                "expires_at": int(time.time()) + 300,
            },
        )

    def onboarding(self, method, token, body):
        with self.lock:
            link = self.links.get(token)
            if link is None or link["used"]:
                refresh = html.escape(link["refresh_url"]) if link else ""
                page = "<h1>Fake Stripe: this link has expired</h1>" + (
                    f'<p><a href="{refresh}">Get a new one</a></p>' if refresh else ""
                )
                return "410 Gone", {"Content-Type": "text/html; charset=utf-8"}, page
            account = self.accounts[link["account"]]
            if method == "POST":
                form = _form(body)
                link["used"] = True
                if form.get("leave"):
                    return "302 Found", {"Location": link["return_url"]}, ""
                iban = "".join(form.get("iban", "").split()).upper()
                if len(iban) < 15 or not form.get("name", "").strip():
                    link["used"] = False
                    return self.onboarding_page(token, account, "Enter a name and an IBAN.")
                self.bank_set(account, iban)
                return "302 Found", {"Location": link["return_url"]}, ""
            return self.onboarding_page(token, account, "")

    def onboarding_page(self, token, account, error):
        note = f'<p role="alert">{html.escape(error)}</p>' if error else ""
        page = (
            "<!DOCTYPE html><title>Fake Stripe onboarding</title>"
            f"<h1>Fake Stripe: payout details for {html.escape(account['email'])}</h1>{note}"
            f'<form method="post" action="/connect/onboarding/{token}">'
            '<label>Name <input name="name" required></label> '
            '<label>IBAN <input name="iban" required></label> '
            '<button type="submit">Submit</button> '
            '<button type="submit" name="leave" value="1" formnovalidate>Leave for now</button>'
            "</form>"
        )
        return "200 OK", {"Content-Type": "text/html; charset=utf-8"}, page

    def bank_set(self, account, iban: str) -> None:
        account["details_submitted"] = True
        account["payouts_enabled"] = True
        account["bank"] = {
            "id": self._id("ba"),
            "object": "bank_account",
            "country": iban[:2],
            "last4": iban[-4:],
        }
        self.event("account.updated", self.account_view(account), account=account["id"])

    # ---- money ----

    def transfer_create(self, form):
        account = self.accounts.get(form.get("destination", ""))
        amount = int(form.get("amount", "0") or 0)
        if account is None:
            return _error("400 Bad Request", "No such destination account.", "resource_missing")
        if self.fail_transfers:
            return _error("400 Bad Request", self.fail_transfers, "transfers_not_allowed")
        if not account["payouts_enabled"] or account["disabled_reason"]:
            return _error(
                "400 Bad Request",
                "The destination account cannot receive transfers.",
                "account_invalid",
            )
        if amount <= 0:
            return _error("400 Bad Request", "Invalid positive integer", "parameter_invalid")
        transfer = {
            "id": self._id("tr"),
            "object": "transfer",
            "amount": amount,
            "amount_reversed": 0,
            "currency": form.get("currency", "eur"),
            "destination": account["id"],
            "metadata": _metadata(form),
            "reversed": False,
        }
        self.transfers[transfer["id"]] = transfer
        self.balances[account["id"]] += amount
        return _json("200 OK", transfer)

    def transfer_reverse(self, transfer_id):
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return _error("404 Not Found", "No such transfer.", "resource_missing")
        left = transfer["amount"] - transfer["amount_reversed"]
        if left <= 0:
            return _error("400 Bad Request", "The transfer is already fully reversed.")
        transfer["amount_reversed"] += left
        transfer["reversed"] = True
        self.balances[transfer["destination"]] -= left
        self.event("transfer.reversed", dict(transfer))
        return _json(
            "200 OK", {"id": self._id("trr"), "object": "transfer_reversal", "amount": left}
        )

    def payout_create(self, form, account_id):
        account = self.accounts.get(account_id)
        amount = int(form.get("amount", "0") or 0)
        if account is None:
            return _error("400 Bad Request", "No such account (Stripe-Account).")
        if amount <= 0 or amount > self.balances[account_id]:
            return _error(
                "400 Bad Request", "Insufficient funds in the account.", "balance_insufficient"
            )
        self.balances[account_id] -= amount
        payout = {
            "id": self._id("po"),
            "object": "payout",
            "amount": amount,
            "currency": form.get("currency", "eur"),
            "status": "pending",
            "arrival_date": int(time.time()) + PAYOUT_DAYS * 86400,
            "metadata": _metadata(form),
            "account": account_id,
        }
        self.payouts[payout["id"]] = payout
        return _json("200 OK", {k: v for k, v in payout.items() if k != "account"})

    def payout_finish(self, payout_id: str, *, paid: bool, reason: str = "") -> dict:
        payout = self.payouts[payout_id]
        if payout["status"] != "pending":
            return payout
        payout["status"] = "paid" if paid else "failed"
        if not paid:
            payout["failure_code"] = "account_closed"
            payout["failure_message"] = reason or "The bank account has been closed."
            self.balances[payout["account"]] += payout["amount"]  # back in the account
        view = {k: v for k, v in payout.items() if k != "account"}
        self.event("payout.paid" if paid else "payout.failed", view, account=payout["account"])
        return payout

    # ---- events ----

    def event(self, event_type: str, obj: dict, *, account: str = "") -> None:
        event = {
            "id": self._id("evt"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": int(time.time()),
            "livemode": False,
            "type": event_type,
            "data": {"object": obj},
        }
        if account:
            event["account"] = account
        self.events.append(event)
        if self.webhook_url:
            threading.Thread(target=self.deliver, args=(event,), daemon=True).start()

    def deliver(self, event: dict) -> None:
        payload = json.dumps(event).encode()
        stamp = int(time.time())
        signed = f"{stamp}.".encode() + payload
        digest = hmac.new(self.webhook_secret.encode(), signed, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "Stripe-Signature": f"t={stamp},v1={digest}"}
        # Stripe would retry a failed delivery; the developer can press the button again.
        with contextlib.suppress(requests.RequestException):
            requests.post(self.webhook_url, data=payload, headers=headers, timeout=10)

    # ---- admin ----

    def admin(self, method, what, data):
        with self.lock:
            if what == "" and method == "GET":
                return self.dashboard()
            if what == "reset" and method == "POST":
                self.reset()
            elif what == "events":
                return _json("200 OK", {"events": self.events})
            elif what == "transfers/fail" and method == "POST":
                self.fail_transfers = data.get("message", "")
            elif what.startswith("payouts/") and method == "POST":
                payout_id, _, action = what[len("payouts/") :].partition("/")
                if payout_id not in self.payouts:
                    return _error("404 Not Found", "No such payout.")
                payout = self.payout_finish(
                    payout_id, paid=action == "paid", reason=data.get("reason", "")
                )
                return _json("200 OK", payout)
            elif what.startswith("accounts/") and method == "POST":
                account_id, _, action = what[len("accounts/") :].partition("/")
                account = self.accounts.get(account_id)
                if account is None:
                    return _error("404 Not Found", "No such account.")
                if action == "restrict":
                    account["disabled_reason"] = data.get("reason", "requirements.past_due")
                elif action == "bank":
                    self.bank_set(account, data.get("iban", "DE89370400440532013000"))
                return _json("200 OK", self.account_view(account))
            return _json(
                "200 OK",
                {
                    "accounts": [self.account_view(a) for a in self.accounts.values()],
                    "transfers": list(self.transfers.values()),
                    "payouts": list(self.payouts.values()),
                    "balances": self.balances,
                },
            )

    def dashboard(self):
        rows = "".join(
            f"<li>{html.escape(p['id'])}: {p['amount'] / 100:.2f} {html.escape(p['currency'])}"
            f" to {html.escape(p['account'])}, {html.escape(p['status'])}"
            + (
                f' <button data-url="/_fake/payouts/{p["id"]}/paid">Settle</button>'
                f' <button data-url="/_fake/payouts/{p["id"]}/failed">Fail</button>'
                if p["status"] == "pending"
                else ""
            )
            + "</li>"
            for p in self.payouts.values()
        )
        script = (
            "<script>document.querySelectorAll('button').forEach(b=>b.onclick=()=>"
            "fetch(b.dataset.url,{method:'POST',body:'{}'}).then(()=>location.reload()))</script>"
        )
        page = f"<!DOCTYPE html><title>Fake Stripe Connect</title><h1>Payouts</h1><ul>{rows}</ul>"
        return "200 OK", {"Content-Type": "text/html; charset=utf-8"}, page + script


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve(fake: FakeConnect, *, host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
    """Start `fake` in a daemon thread; return the server (its port is `server.server_port`)."""
    handler = _QuietHandler if quiet else WSGIRequestHandler
    server = make_server(host, port, fake, server_class=_Server, handler_class=handler)
    fake.host = f"{host}:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True, name="fake-connect").start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake Stripe Connect for development.")
    parser.add_argument("--port", type=int, default=8425)
    parser.add_argument("--webhook-url", default=DEV_WEBHOOK_URL)
    parser.add_argument("--webhook-secret", default=DEV_WEBHOOK_SECRET)
    args = parser.parse_args()
    fake = FakeConnect(webhook_url=args.webhook_url, webhook_secret=args.webhook_secret)
    server = serve(fake, port=args.port, quiet=False)
    print(f"Fake Stripe Connect on http://127.0.0.1:{server.server_port}/ (payouts: /_fake/)")
    threading.Event().wait()


if __name__ == "__main__":
    main()
