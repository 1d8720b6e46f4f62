"""Protocol adapters: WSGI, ASGI and WebSockets over the one request cycle.

Each adapter turns what a server hands over (an environ, or a scope with
``receive`` and ``send``) into a :class:`~erlen.Request` and its context,
runs the application's cycle, and writes the :class:`~erlen.Response`
back. They know the application only through the methods the cycle
offers; they never import :mod:`erlen.app`.
"""
