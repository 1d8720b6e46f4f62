"""Class-based views: :class:`View` and :class:`MethodView`.

::

    class UserAPI(MethodView):
        def get(self, uid):
            return {"id": uid}

        def delete(self, uid):
            return "", 204

    app.add_url_rule("/users/<int:uid>", view_func=UserAPI.as_view("user"))
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Collection

from .ctx import request

__all__ = ["View", "MethodView"]

_HTTP_METHODS = ("get", "post", "head", "options", "delete", "put", "trace", "patch")


class View:
    """A view as a class: override :meth:`dispatch_request`, register ``as_view()``."""

    #: The methods this view answers; ``None`` means GET (and HEAD, OPTIONS).
    methods: t.ClassVar[Collection[str] | None] = None
    #: Whether OPTIONS is answered automatically (default: yes).
    provide_automatic_options: t.ClassVar[bool | None] = None
    #: Decorators applied, in order, to the function ``as_view`` returns.
    decorators: t.ClassVar[list[Callable[..., t.Any]]] = []
    #: Make a new instance per request (``False``: one instance for all,
    #: which must then keep no per-request state on ``self``).
    init_every_request: t.ClassVar[bool] = True

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        """Answer the request; takes the URL's values as keyword arguments."""
        raise NotImplementedError(
            f"{type(self).__name__} must define dispatch_request() (or, for a "
            "MethodView, one method per HTTP method such as get() and post())."
        )

    @classmethod
    def as_view(cls, name: str, *class_args: t.Any, **class_kwargs: t.Any) -> Callable[..., t.Any]:
        """Return a view function for ``add_url_rule``; ``name`` is its endpoint.

        ``class_args`` and ``class_kwargs`` are passed to the constructor.
        """
        if cls.init_every_request:

            def view(**kwargs: t.Any) -> t.Any:
                return view.view_class(*class_args, **class_kwargs).dispatch_request(**kwargs)  # type: ignore[attr-defined]

        else:
            instance = cls(*class_args, **class_kwargs)

            def view(**kwargs: t.Any) -> t.Any:
                return instance.dispatch_request(**kwargs)

        if cls.decorators:
            # Named before they wrap it too, as in Flask: a decorator that keys
            # on the function's name (Flask-Limiter's limits) sees the endpoint.
            view.__name__ = view.__qualname__ = name
            view.__module__ = cls.__module__
            for decorator in cls.decorators:
                view = decorator(view)
        view.view_class = cls  # type: ignore[attr-defined]
        view.__name__ = name
        view.__qualname__ = name
        view.__doc__ = cls.__doc__
        view.__module__ = cls.__module__
        view.methods = cls.methods  # type: ignore[attr-defined]
        view.provide_automatic_options = cls.provide_automatic_options  # type: ignore[attr-defined]
        return view


class MethodView(View):
    """A view that calls the method named after the request's: ``get``, ``post`` ...

    ``methods`` is worked out from the methods the class defines; HEAD uses
    ``get`` when there is no ``head``.
    """

    def __init_subclass__(cls, **kwargs: t.Any) -> None:
        super().__init_subclass__(**kwargs)
        if "methods" in cls.__dict__:
            return
        methods: set[str] = set()
        for base in cls.__bases__:
            methods.update(getattr(base, "methods", None) or ())
        for name in _HTTP_METHODS:
            if callable(getattr(cls, name, None)):
                methods.add(name.upper())
        if methods:
            cls.methods = methods

    #: The typed views of this class's methods, by method name, once a route
    #: registers it (see ``erlen.typed``); ``None`` while no method is typed.
    _typed_methods: t.ClassVar[dict[str, Callable[..., t.Any]] | None] = None

    def dispatch_request(self, **kwargs: t.Any) -> t.Any:
        name = request.method.lower()
        handler = getattr(self, name, None)
        if handler is None and name == "head":
            name = "get"
            handler = getattr(self, "get", None)
        if handler is None:
            from .http.exceptions import MethodNotAllowed

            raise MethodNotAllowed(self.methods or ())
        # The class's own table: a subclass registered apart has its own.
        typed = type(self).__dict__.get("_typed_methods")
        if typed is not None and name in typed:
            return typed[name](self, **kwargs)
        return handler(**kwargs)
