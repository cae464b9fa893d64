"""Offline API docs: Swagger UI (5.x, OpenAPI 3.1) at ``/docs`` and ReDoc at ``/redoc``.

FastAPI's own pages load their JavaScript, CSS and favicon from public CDNs, which the
services' networks cannot reach. The ``fastapi-offline`` package ships those files (swagger-ui-dist
5.x, ReDoc 2.x standalone, FastAPI's favicon) inside its wheel; this module serves them from the
installed package (located with ``importlib.resources``, never copied into this repo) and renders
pages whose every URL points back at the app itself.

Usage::

    app = FastAPI(docs_url=None, redoc_url=None)
    install_offline_docs(app, title="Intake API")
"""

from __future__ import annotations

import html
import importlib.resources
from pathlib import Path
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Where the bundled assets are mounted. Unauthenticated, like ``/docs`` itself.
ASSETS_PREFIX: Final = "/docs-assets"

SWAGGER_JS: Final = "swagger-ui-bundle.js"
SWAGGER_CSS: Final = "swagger-ui.css"
REDOC_JS: Final = "redoc.standalone.js"
FAVICON: Final = "favicon.png"
ASSET_FILES: Final = (SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON)

_ASSETS_PACKAGE: Final = "fastapi_offline"

#: Our Swagger UI settings, applied over FastAPI's defaults (deepLinking etc.) and under any
#: ``swagger_ui_parameters`` the app was created with.
SWAGGER_UI_PARAMETERS: Final[dict[str, Any]] = {
    # Keep the API key entered under "Authorize" across page reloads (stored in localStorage).
    "persistAuthorization": True,
    # Open every operation with "Try it out" already on.
    "tryItOutEnabled": True,
    "displayRequestDuration": True,
    "filter": True,
    # Never send the schema to validator.swagger.io (the default): no outside calls at all.
    "validatorUrl": None,
}


def assets_dir() -> Path:
    """The directory of the docs assets inside the installed ``fastapi-offline`` package."""
    root = importlib.resources.files(_ASSETS_PACKAGE).joinpath("static")
    # StaticFiles needs a real directory; a wheel installed by pip always gives one.
    if not isinstance(root, Path) or not root.is_dir():
        raise RuntimeError(f"{_ASSETS_PACKAGE} static assets are not on the filesystem: {root!r}")
    missing = [name for name in ASSET_FILES if not (root / name).is_file()]
    if missing:
        raise RuntimeError(f"{_ASSETS_PACKAGE} is missing docs assets: {', '.join(missing)}")
    return root


# The pages may load nothing from elsewhere: ReDoc's bundle still fetches its vendor logo from a
# CDN, and on an isolated network any such request hangs or leaks that someone is reading.
# The browser enforces this (CSP Level 3); inline script and style are the pages' own.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _offline(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY
    return page


def install_offline_docs(
    app: FastAPI,
    *,
    title: str,
    docs_url: str = "/docs",
    redoc_url: str = "/redoc",
) -> None:
    """Serve Swagger UI at ``docs_url`` and ReDoc at ``redoc_url`` with self-hosted assets.

    The app must be created with ``docs_url=None, redoc_url=None`` so FastAPI's CDN-backed pages
    are not registered. Nothing is installed when the app has no OpenAPI schema
    (``openapi_url=None``), as FastAPI itself does.
    """
    if app.docs_url is not None or app.redoc_url is not None:
        raise ValueError(
            "create the app with FastAPI(docs_url=None, redoc_url=None) before "
            "install_offline_docs(); FastAPI's own pages load their assets from a CDN"
        )
    openapi_url = app.openapi_url
    if not openapi_url:
        return

    app.mount(ASSETS_PREFIX, StaticFiles(directory=assets_dir()), name="docs-assets")

    page_title = html.escape(title)
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    swagger_parameters = {**SWAGGER_UI_PARAMETERS, **(app.swagger_ui_parameters or {})}

    def _root(request: Request) -> str:
        return str(request.scope.get("root_path", "")).rstrip("/")

    async def swagger_ui_html(request: Request) -> HTMLResponse:
        root = _root(request)
        return _offline(
            get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{page_title} - Swagger UI",
                swagger_js_url=f"{root}{ASSETS_PREFIX}/{SWAGGER_JS}",
                swagger_css_url=f"{root}{ASSETS_PREFIX}/{SWAGGER_CSS}",
                swagger_favicon_url=f"{root}{ASSETS_PREFIX}/{FAVICON}",
                oauth2_redirect_url=root + oauth2_redirect_url if oauth2_redirect_url else None,
                init_oauth=app.swagger_ui_init_oauth,
                swagger_ui_parameters=swagger_parameters,
            )
        )

    async def redoc_html(request: Request) -> HTMLResponse:
        root = _root(request)
        return _offline(
            get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{page_title} - ReDoc",
                redoc_js_url=f"{root}{ASSETS_PREFIX}/{REDOC_JS}",
                redoc_favicon_url=f"{root}{ASSETS_PREFIX}/{FAVICON}",
                with_google_fonts=False,
            )
        )

    app.add_route(docs_url, swagger_ui_html, include_in_schema=False)
    if oauth2_redirect_url:

        async def swagger_ui_redirect(request: Request) -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

        app.add_route(oauth2_redirect_url, swagger_ui_redirect, include_in_schema=False)
    app.add_route(redoc_url, redoc_html, include_in_schema=False)
