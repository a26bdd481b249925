"""The Hub stand-in of :mod:`tests.support.fake_hub` that also knows accounts: ``GET
/api/whoami-v2`` answers the account of the bearer token, 401 for an unknown one (as the Hub
does). Every request is recorded."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

from tests.support.fake_hub import _Handler, threaded_server


def account(name: str, *, role: str = "write", orgs: tuple[str, ...] = ()) -> dict[str, Any]:
    """A ``whoami-v2`` answer: a user, their organisations and the token's role."""
    return {
        "type": "user",
        "name": name,
        "orgs": [{"type": "org", "name": org} for org in orgs],
        "auth": {"type": "access_token", "accessToken": {"displayName": "test", "role": role}},
    }


class _AccountHandler(_Handler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if not self.path.startswith("/api/whoami-v2"):
            super().do_GET()
            return
        self._record()
        token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        known = self.server.accounts.get(token)  # type: ignore[attr-defined]
        if known is None:
            self._reply({"error": "Invalid credentials in Authorization header"}, 401)
        else:
            self._reply(known)


@contextlib.contextmanager
def hub_with_accounts(
    accounts: Mapping[str, dict[str, Any]],
) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """Serve ``{token: account(...)}``; yield (endpoint URL, list of recorded requests)."""
    with threaded_server(_AccountHandler, accounts=dict(accounts)) as served:
        yield served
