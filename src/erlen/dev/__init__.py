"""Development tools: erlen's own HTTP/1.1 server, the reloader, the debug page.

Nothing here runs in production. :meth:`Erlen.run` and ``erlen run`` load
this package when asked to serve; the debug and 404 pages load when debug
mode renders an error.
"""
