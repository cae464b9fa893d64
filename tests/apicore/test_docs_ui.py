"""The offline docs pages: every URL they reference is the app's own, and every asset is served."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi import FastAPI

from apicore.docs_ui import ASSETS_PREFIX, install_offline_docs

ORIGIN = "http://testserver"
# The services' networks reach no CDN: a page may name no host but the app's own.
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>()]+""", re.IGNORECASE)
CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
}
MIN_SIZE = {".js": 100_000, ".css": 10_000, ".png": 500}


class _UrlCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, url)
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "spec-url", "action", "srcset", "data"} and value:
                self.urls.append((tag, name, value.strip()))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.scripts.append(data)


def _make_app(**kwargs: object) -> FastAPI:
    app = FastAPI(title="Tiny", docs_url=None, redoc_url=None, **kwargs)  # type: ignore[arg-type]

    @app.get("/items/{item_id}")
    async def read_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    install_offline_docs(app, title="Tiny <API>")
    return app


@pytest.fixture
def app() -> FastAPI:
    return _make_app()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=ORIGIN) as c:
        yield c


def _parse(page: str) -> _UrlCollector:
    parser = _UrlCollector()
    parser.feed(page)
    parser.close()
    return parser


def _assert_same_origin(url: str, base: str) -> str:
    """Return the absolute URL after checking that it stays on the app's origin."""
    absolute = urljoin(base, url)
    parts = urlsplit(absolute)
    assert (parts.scheme, parts.netloc) == ("http", "testserver"), f"external URL: {url!r}"
    return absolute


async def _get_page(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, _UrlCollector]:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response, _parse(response.text)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_page_names_no_external_host(client: httpx.AsyncClient, path: str) -> None:
    response, parsed = await _get_page(client, path)
    assert parsed.urls, "the page references no assets"
    for _tag, _attr, url in parsed.urls:
        assert not url.lower().startswith(("javascript:", "data:")), url
        _assert_same_origin(url, str(response.url))
    # Anything that looks like an absolute URL anywhere in the page (inline script included)
    # must be the app's own origin.
    for match in ABSOLUTE_URL.findall(response.text):
        assert match.lower().startswith(ORIGIN + "/"), f"external URL in {path}: {match}"
    assert "cdn" not in response.text.lower()
    assert "fonts.googleapis" not in response.text


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
async def test_every_referenced_asset_is_served(
    client: httpx.AsyncClient, path: str, expected: set[str]
) -> None:
    response, parsed = await _get_page(client, path)
    seen: set[str] = set()
    for _tag, attr, url in parsed.urls:
        absolute = _assert_same_origin(url, str(response.url))
        if attr == "spec-url":
            continue  # the OpenAPI schema, checked below
        asset = await client.get(absolute)
        assert asset.status_code == 200, url
        suffix = "." + urlsplit(absolute).path.rsplit(".", 1)[-1]
        media_type = asset.headers["content-type"].split(";")[0].strip()
        assert media_type in CONTENT_TYPES[suffix], (url, media_type)
        assert len(asset.content) >= MIN_SIZE[suffix], (url, len(asset.content))
        seen.add(urlsplit(absolute).path.rsplit("/", 1)[-1])
        assert urlsplit(absolute).path.startswith(ASSETS_PREFIX + "/")
    assert seen == expected


async def test_pages_point_at_the_apps_schema(client: httpx.AsyncClient) -> None:
    _, redoc = await _get_page(client, "/redoc")
    spec_urls = [url for _tag, attr, url in redoc.urls if attr == "spec-url"]
    assert spec_urls == ["/openapi.json"]

    _, swagger = await _get_page(client, "/docs")
    script = "\n".join(swagger.scripts)
    assert re.search(r"url:\s*'/openapi\.json'", script), script

    schema = await client.get("/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["openapi"].startswith("3.1")
    # The docs machinery stays out of the API's own schema.
    assert set(schema.json()["paths"]) == {"/items/{item_id}"}


async def test_swagger_ui_bundle_is_version_5(client: httpx.AsyncClient) -> None:
    bundle = await client.get(f"{ASSETS_PREFIX}/swagger-ui-bundle.js")
    versions = set(re.findall(r'PACKAGE_VERSION:"(\d+)\.(\d+)\.(\d+)"', bundle.text))
    assert len(versions) == 1, versions
    major, minor, _patch = (int(part) for part in versions.pop())
    # OpenAPI 3.1 rendering arrived in swagger-ui 5.0.
    assert major == 5
    assert minor >= 0


async def test_redoc_bundle_is_version_2(client: httpx.AsyncClient) -> None:
    bundle = await client.get(f"{ASSETS_PREFIX}/redoc.standalone.js")
    assert re.search(r'ReDoc Version: ","2\.\d+\.\d+"', bundle.text)


async def test_swagger_ui_settings(client: httpx.AsyncClient) -> None:
    response, parsed = await _get_page(client, "/docs")
    script = "\n".join(parsed.scripts)
    settings = dict(re.findall(r'^\s*"(\w+)":\s*(.+?),\s*$', script, re.MULTILINE))
    assert json.loads(settings["persistAuthorization"]) is True
    assert json.loads(settings["tryItOutEnabled"]) is True
    assert json.loads(settings["validatorUrl"]) is None  # never calls validator.swagger.io
    assert "<title>Tiny &lt;API&gt; - Swagger UI</title>" in response.text


async def test_app_swagger_parameters_win() -> None:
    app = _make_app(swagger_ui_parameters={"tryItOutEnabled": False})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=ORIGIN) as c:
        response = await c.get("/docs")
    assert '"tryItOutEnabled": false' in response.text
    assert '"persistAuthorization": true' in response.text


async def test_oauth2_redirect_page_is_served(client: httpx.AsyncClient) -> None:
    _, parsed = await _get_page(client, "/docs/oauth2-redirect")
    assert not parsed.urls


async def test_urls_follow_root_path_behind_a_proxy(app: FastAPI) -> None:
    transport = httpx.ASGITransport(app, root_path="/intake")
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as c:
        response, parsed = await _get_page(c, "/intake/docs")
        paths = {urlsplit(url).path for _tag, _attr, url in parsed.urls}
        assert paths == {
            f"/intake{ASSETS_PREFIX}/swagger-ui-bundle.js",
            f"/intake{ASSETS_PREFIX}/swagger-ui.css",
            f"/intake{ASSETS_PREFIX}/favicon.png",
        }
        assert "url: '/intake/openapi.json'" in response.text
        for path in paths:
            assert (await c.get(path)).status_code == 200


async def test_assets_prefix_serves_nothing_else(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{ASSETS_PREFIX}/")).status_code == 404
    assert (await client.get(f"{ASSETS_PREFIX}/../core.py")).status_code == 404
    assert (await client.get(f"{ASSETS_PREFIX}/%2e%2e/core.py")).status_code == 404


def test_refuses_an_app_with_fastapis_cdn_pages() -> None:
    with pytest.raises(ValueError, match="docs_url=None"):
        install_offline_docs(FastAPI(), title="x")


async def test_no_schema_means_no_docs() -> None:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    install_offline_docs(app, title="x")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=ORIGIN) as c:
        assert (await c.get("/docs")).status_code == 404
        assert (await c.get("/redoc")).status_code == 404


async def test_docs_pages_forbid_the_browser_to_load_anything_from_elsewhere() -> None:
    from fastapi import FastAPI

    from apicore.docs_ui import install_offline_docs

    app = FastAPI(docs_url=None, redoc_url=None)
    install_offline_docs(app, title="t")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        for path in ("/docs", "/redoc"):
            policy = (await client.get(path)).headers["content-security-policy"]
            directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
            assert directives["default-src"] == "'self'"
            assert directives["img-src"] == "'self' data:"
            assert directives["connect-src"] == "'self'"
