"""What the URLconf and the API declare: every named URL pattern with its view, every ninja
operation. Used by the write guard and the permission-matrix test."""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from ninja import NinjaAPI
from ninja.operation import Operation


def patterns(
    resolver: URLResolver | None = None, namespace: str = ""
) -> Iterator[tuple[str, Callable]]:
    """``(namespaced URL name, view)`` of every URL pattern, included URLconfs too."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace else str(pattern.name)
            yield name, pattern.callback


def ninja_api() -> NinjaAPI:
    for _name, callback in patterns():
        if isinstance(callback, functools.partial) and isinstance(
            callback.keywords.get("api"), NinjaAPI
        ):
            return callback.keywords["api"]
    raise AssertionError("no django-ninja API in the URLconf")


def _method_list(view: Callable) -> list[str] | None:
    func: Any = view.func if isinstance(view, functools.partial) else view
    while func is not None:
        methods = inspect.getclosurevars(func).nonlocals.get("request_method_list")
        if methods is not None:
            return list(methods)
        func = getattr(func, "__wrapped__", None)
    return None


def accepts_post(view: Callable) -> bool:
    """Whether a view handles POST: its method decorator says so, a class view has ``post``,
    or an undecorated function reads the request's POST data or method."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post") and "post" in view_class.http_method_names
    methods = _method_list(view)
    if methods is not None:
        return "POST" in methods
    func: Any = view.func if isinstance(view, functools.partial) else view
    while getattr(func, "__wrapped__", None) is not None:
        func = func.__wrapped__
    source = inspect.getsource(func)
    return "POST" in source or "request.method" in source


def view_methods(view: Callable) -> set[str]:
    """The methods (GET, POST) a view answers."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return {m.upper() for m in ("get", "post") if hasattr(view_class, m)} & {
            m.upper() for m in view_class.http_method_names
        }
    methods = _method_list(view)
    if methods is not None:
        return set(methods) & {"GET", "POST"}
    return {"GET", "POST"} if accepts_post(view) else {"GET"}


def api_operations() -> Iterator[tuple[str, str, Operation]]:
    """``(method, path under /api/v1, operation)`` of every ninja operation, hidden ones too
    (``_routers`` lists every router with its prefix)."""
    for prefix, router in ninja_api()._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    yield method, re.sub("/+", "/", f"/{prefix}/{path}"), operation
