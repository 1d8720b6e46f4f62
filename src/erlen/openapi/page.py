"""The API docs page: erlen's own, offline, or Swagger UI from an extra.

erlen's page is one HTML response with its script and stylesheet inline
(``assets/docs.js`` and ``assets/docs.css``), so it needs no other file and
nothing from the network: the script fetches the OpenAPI document from the
same server and renders every operation, with a "try it" form each.

Its ``Content-Security-Policy`` (:func:`docs_page_headers`) allows exactly
those two inline blocks, by hash, and connections to the page's own origin
only. The app's own CSP (``erlen.security.security_headers``) does not
replace it: a header the view sets is kept.

Swagger UI is the other choice, for those who prefer it: its files come
from the ``swagger-ui-bundle-v2`` package (``pip install 'erlen[swagger-ui]'``,
Swagger UI 5, which reads OpenAPI 3.1), served by erlen beside the page, so
it works offline too.

An app with typed views gets the page from :mod:`erlen.openapi.routes`
(``OPENAPI_DOCS_URL``, ``OPENAPI_DOCS_UI``); :func:`register_docs_page`
puts it on any app or blueprint by hand. Its endpoints are left out of the
OpenAPI document.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import typing as t
from functools import cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

if t.TYPE_CHECKING:
    from ..response import Response
    from ..scaffold import Scaffold

#: The docs pages ``register_docs_page`` knows, by the name given as ``ui``.
DOCS_UIS = ("erlen", "swagger")

#: The endpoints of the docs page and of Swagger UI's files.
DOCS_ENDPOINT = "_openapi_docs"
DOCS_FILE_ENDPOINT = "_openapi_docs_file"

#: The files of Swagger UI the page loads, from ``swagger-ui-bundle-v2``'s folder.
SWAGGER_UI_FILES = ("swagger-ui.css", "swagger-ui-bundle.js")

#: erlen's own starter for Swagger UI, kept in a file (not inline) so that
#: an app-wide CSP of ``default-src 'self'`` lets it run.
SWAGGER_INIT = "erlen-swagger-init.js"

SWAGGER_EXTRA_HINT = (
    "OPENAPI_DOCS_UI = 'swagger' serves Swagger UI's files from the swagger-ui-bundle-v2 "
    "package, which is not installed. Install it with: pip install 'erlen[swagger-ui]' "
    "(or pip install swagger-ui-bundle-v2), or drop OPENAPI_DOCS_UI to use erlen's own "
    "page, which needs nothing."
)


class DocsUIMissing(RuntimeError):
    """The docs page asked for needs a package that is not installed."""


def _asset(name: str) -> str:
    return (resources.files("erlen.openapi") / "assets" / name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


@cache
def _page_assets() -> tuple[str, str, str]:
    """Return the page's script, stylesheet and CSP (read once, on first use)."""
    script = _asset("docs.js")
    style = _asset("docs.css")
    # Inline, "</script" or "</style" would end the block early.
    for name, text, closing in (("docs.js", script, "</script"), ("docs.css", style, "</style")):
        if closing in text.lower():
            raise RuntimeError(f"erlen/openapi/assets/{name} must not contain {closing!r}.")
    csp = "; ".join(
        (
            "default-src 'none'",
            f"script-src {_csp_hash(script)}",
            f"style-src {_csp_hash(style)}",
            "connect-src 'self'",
            "img-src 'self' data:",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )
    return script, style, csp


def script_json(value: object) -> str:
    """Return ``value`` as JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` become ``\\u003c``-style escapes, so no string in
    it can close the element or open a comment; JSON.parse reads them back.
    """
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def docs_page_html(*, openapi_url: str, title: str) -> str:
    """Return erlen's docs page for the OpenAPI document at ``openapi_url``.

    The page is complete: script and stylesheet are inline, and the page
    loads nothing but ``openapi_url`` and the requests its forms send.
    Serve it with :func:`docs_page_headers`, whose CSP allows its inline
    blocks and nothing else. ``openapi_url`` reaches the script as JSON
    data, never as script text; ``title`` is escaped.
    """
    script, style, _csp = _page_assets()
    config = script_json({"openapiUrl": openapi_url})
    escaped_title = html.escape(title)
    escaped_url = html.escape(openapi_url)
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{escaped_title}</title>\n"
        f"<style>{style}</style>\n"
        "</head>\n<body>\n"
        f'<header><h1>{escaped_title}</h1><p id="erlen-docs-info" class="note"></p></header>\n'
        '<nav id="erlen-docs-nav" aria-label="Operations"></nav>\n'
        '<main id="erlen-docs">'
        f'<p class="note">Loading the API description from <code>{escaped_url}</code>…</p>'
        "<noscript><p>This page needs JavaScript to show the API. The description itself is "
        f'at <a href="{escaped_url}">{escaped_url}</a>.</p></noscript>'
        "</main>\n"
        f'<script type="application/json" id="erlen-docs-config">{config}</script>\n'
        f"<script>{script}</script>\n"
        "</body>\n</html>\n"
    )


def docs_page_headers() -> list[tuple[str, str]]:
    """Return the headers to send with :func:`docs_page_html`'s page."""
    return [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", _page_assets()[2]),
        ("X-Content-Type-Options", "nosniff"),
        ("Cache-Control", "no-cache"),
    ]


def _version(folder: Path) -> tuple[int, ...]:
    digits = folder.name.rpartition("-")[2].split(".")
    return tuple(int(part) if part.isdigit() else -1 for part in digits)


def swagger_ui_directory() -> Path:
    """Return the folder of Swagger UI's files, from ``swagger-ui-bundle-v2``.

    Found without importing the package. The package keeps them in
    ``vendor/swagger-ui-<version>/``; the newest such folder holding both
    files is taken. Raises :class:`DocsUIMissing`, naming the extra, when
    there is none.
    """
    spec = find_spec("swagger_ui_bundle")
    locations = list(spec.submodule_search_locations or ()) if spec is not None else []
    folders = [
        folder
        for location in locations
        for folder in (Path(location) / "vendor").glob("swagger-ui-*")
        if all((folder / name).is_file() for name in SWAGGER_UI_FILES)
    ]
    if not folders:
        raise DocsUIMissing(SWAGGER_EXTRA_HINT)
    return max(folders, key=_version)


def swagger_ui_html(*, openapi_url: str, title: str, assets_url: str) -> str:
    """Return a page that shows the document at ``openapi_url`` in Swagger UI.

    ``assets_url`` is where :func:`register_docs_page` serves Swagger UI's
    files and erlen's starter script (no trailing slash).
    """
    config = script_json({"openapiUrl": openapi_url})
    base = html.escape(assets_url.rstrip("/"))
    return (
        "<!doctype html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n"
        '<link rel="icon" href="data:,">\n'
        f'<link rel="stylesheet" href="{base}/swagger-ui.css">\n'
        "</head>\n<body>\n"
        '<div id="swagger-ui"></div>\n'
        f'<script type="application/json" id="erlen-docs-config">{config}</script>\n'
        f'<script src="{base}/swagger-ui-bundle.js"></script>\n'
        f'<script src="{base}/{SWAGGER_INIT}"></script>\n'
        "</body>\n</html>\n"
    )


#: Swagger UI styles its elements inline and draws icons as data: images.
SWAGGER_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


def _root_path() -> str:
    """The app's mount point (ASGI ``root_path``, WSGI ``SCRIPT_NAME``) for this request."""
    from ..ctx import request

    return request.root_path


def register_docs_page(
    scaffold: Scaffold,
    *,
    docs_url: str = "/docs",
    openapi_url: str = "/openapi.json",
    title: str = "API docs",
    ui: str = "erlen",
) -> None:
    """Serve a docs page for the document at ``openapi_url`` at ``docs_url``.

    ``ui`` is ``"erlen"`` (the built-in page) or ``"swagger"`` (Swagger UI,
    needing ``erlen[swagger-ui]``; its files are served under
    ``docs_url + "/swagger-ui/"``). Checked here, at setup: an unknown
    name raises ``ValueError`` and a missing package :class:`DocsUIMissing`.

    ``openapi_url`` is a path of the app; an app mounted under a prefix
    (``SCRIPT_NAME``, ASGI ``root_path``) gets the prefix added on each
    request. The page's endpoints (``_openapi_docs``, ``_openapi_docs_file``)
    are registered with ``include_in_schema=False``.
    """
    if ui not in DOCS_UIS:
        raise ValueError(
            f"OPENAPI_DOCS_UI is {ui!r}, which is not a docs page erlen knows. "
            f"Use one of {', '.join(map(repr, DOCS_UIS))}."
        )
    from ..response import Response

    if ui == "erlen":

        def openapi_docs() -> Response:
            return Response(
                docs_page_html(openapi_url=_root_path() + openapi_url, title=title),
                headers=docs_page_headers(),
            )

        scaffold.add_url_rule(
            docs_url, DOCS_ENDPOINT, openapi_docs, methods=["GET"], include_in_schema=False
        )
        return

    folder = swagger_ui_directory()  # raises DocsUIMissing now, not on the first request
    assets_url = docs_url.rstrip("/") + "/swagger-ui"
    headers = [("Content-Security-Policy", SWAGGER_CSP), ("X-Content-Type-Options", "nosniff")]

    def openapi_docs_swagger() -> Response:
        root = _root_path()
        page = swagger_ui_html(
            openapi_url=root + openapi_url, title=title, assets_url=root + assets_url
        )
        return Response(page, headers=headers, mimetype="text/html")

    def openapi_docs_swagger_file(filename: str) -> Response:
        from ..http.exceptions import NotFound
        from ..sendfile import send_file

        if filename == SWAGGER_INIT:
            return Response(_asset("swagger-init.js"), headers=headers, mimetype="text/javascript")
        if filename not in SWAGGER_UI_FILES:
            raise NotFound()
        return send_file(folder / filename, max_age=3600)

    scaffold.add_url_rule(
        docs_url, DOCS_ENDPOINT, openapi_docs_swagger, methods=["GET"], include_in_schema=False
    )
    scaffold.add_url_rule(
        assets_url + "/<filename>",
        DOCS_FILE_ENDPOINT,
        openapi_docs_swagger_file,
        methods=["GET"],
        include_in_schema=False,
    )
