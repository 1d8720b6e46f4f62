"""The blog on erlen: ``gunicorn app:app``, ``uvicorn app:app``, ``erlen db upgrade``.

The first line is the only one that differs from running it on Flask
(``flask --app blog run``): from it on, ``import flask`` (here and in every
extension) gives erlen.
"""

import erlen.flask_compat  # noqa: F401, I001  (first: it makes `import flask` import erlen)

from blog import create_app

app = create_app()
