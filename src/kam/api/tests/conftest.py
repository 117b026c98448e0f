"""Fixtures of the API tests: personal tokens per role and a small JSON client."""

import json

import pytest

from kam.api.services import token_create


@pytest.fixture
def token_for(users):
    """``token_for("kam")`` → the plain secret of a new read-write token of that user."""

    def make(who: str, scope: str = "read_write", **kwargs) -> str:
        _token, plain = token_create(user=users[who], name=f"{who} token", scope=scope, **kwargs)
        return plain

    return make


class Api:
    def __init__(self, client, token: str | None):
        self.client = client
        self.token = token

    def _headers(self, token):
        token = self.token if token is None else token
        return {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def call(self, method: str, path: str, body=None, *, token=None, raw: str | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs = {"content_type": "application/json"} if data is not None else {}
        if data is not None:
            kwargs["data"] = data
        return getattr(self.client, method)(f"/api/v1{path}", **kwargs, **self._headers(token))

    def get(self, path, **kw):
        return self.call("get", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("post", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("patch", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("delete", path, **kw)


@pytest.fixture
def api_as(client, token_for, settings):
    """``api_as("admin")`` → a client whose calls carry a read-write token of that user."""
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]

    def make(who: str | None, scope: str = "read_write") -> Api:
        return Api(client, token_for(who, scope) if who else None)

    return make
