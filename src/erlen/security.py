"""Security headers with safe defaults, for an app or a blueprint.

::

    from erlen.security import security_headers

    security_headers(app)  # the defaults below

Call it once for the app (or a blueprint); its arguments change the
defaults: ``csp="default-src 'self'; img-src 'self' data:"`` also allows
``data:`` images, ``hsts=False, frame_options=None`` sends neither header.
The headers are added after each response is made; a header the view set
itself is left as it is, so one view can loosen (or tighten) a policy.
"""

from __future__ import annotations

import typing as t

from .http.headers import check_header

if t.TYPE_CHECKING:
    from .response import Response
    from .scaffold import Scaffold

__all__ = ["security_headers", "DEFAULT_CSP"]

#: Everything from the app's own origin; no plugins, no framing, no <base>
#: tricks, forms only back to the app. Inline scripts and styles are refused.
DEFAULT_CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def security_headers(
    target: Scaffold,
    *,
    hsts: bool = True,
    hsts_max_age: int = 31_536_000,
    hsts_include_subdomains: bool = True,
    hsts_preload: bool = False,
    csp: str | None = DEFAULT_CSP,
    content_type_options: bool = True,
    referrer_policy: str | None = "strict-origin-when-cross-origin",
    frame_options: str | None = "DENY",
    permissions_policy: str | None = None,
    cross_origin_opener_policy: str | None = "same-origin",
) -> None:
    """Add security headers to every response of ``target`` (an app or a blueprint).

    :param hsts: send ``Strict-Transport-Security`` on HTTPS responses
        (browsers ignore it over plain HTTP, so it is only sent over HTTPS).
    :param csp: the ``Content-Security-Policy``; ``None`` sends none.
    :param content_type_options: send ``X-Content-Type-Options: nosniff``.
    :param referrer_policy: the ``Referrer-Policy``; ``None`` sends none.
    :param frame_options: ``X-Frame-Options`` (``DENY`` or ``SAMEORIGIN``),
        for browsers that predate CSP's ``frame-ancestors``.
    :param permissions_policy: a ``Permissions-Policy`` such as
        ``"camera=(), microphone=()"``; none by default.
    :param cross_origin_opener_policy: ``Cross-Origin-Opener-Policy``.
    """
    if getattr(target, "_erlen_security_headers", False):
        raise RuntimeError(
            f"security_headers() was already called for {target!r}. A second call would add a "
            "second set of headers that cannot loosen the first (a header already set is kept): "
            "pass every option in one call."
        )
    if hsts_max_age < 0:
        raise ValueError(f"hsts_max_age must be a number of seconds, not {hsts_max_age!r}.")
    if frame_options is not None and frame_options.upper() not in ("DENY", "SAMEORIGIN"):
        raise ValueError(
            f"frame_options must be 'DENY' or 'SAMEORIGIN' (or None), not {frame_options!r}."
        )
    always: list[tuple[str, str]] = []
    if csp:
        always.append(("Content-Security-Policy", csp))
    if content_type_options:
        always.append(("X-Content-Type-Options", "nosniff"))
    if referrer_policy:
        always.append(("Referrer-Policy", referrer_policy))
    if frame_options:
        always.append(("X-Frame-Options", frame_options.upper()))
    if permissions_policy:
        always.append(("Permissions-Policy", permissions_policy))
    if cross_origin_opener_policy:
        always.append(("Cross-Origin-Opener-Policy", cross_origin_opener_policy))
    transport = None
    if hsts:
        transport = f"max-age={hsts_max_age}"
        if hsts_include_subdomains:
            transport += "; includeSubDomains"
        if hsts_preload:
            transport += "; preload"
    # Checked once here (CR/LF would inject headers), so each response only
    # copies values already known to be safe.
    for name, value in always:
        check_header(name, value)

    def add_security_headers(response: Response) -> Response:
        from .ctx import request

        headers = response.headers
        for name, value in always:
            if name not in headers:
                headers.set(name, value)
        if (
            transport is not None
            and request.is_secure
            and "Strict-Transport-Security" not in headers
        ):
            headers.set("Strict-Transport-Security", transport)
        return response

    target.after_request(add_security_headers)
    target._erlen_security_headers = True  # type: ignore[attr-defined]  # a mark, see above
