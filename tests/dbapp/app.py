"""Flask's documented database pattern: a SQLite connection in ``g``, closed at teardown.

SQLite refuses a connection used from a thread other than the one that
opened it, so under ASGI this works only if the view, the steps of a
streamed body and the teardown of one request all run on one thread.
``/stats`` says how many connections were opened and closed, and which
errors the app met.
"""

from __future__ import annotations

import sqlite3
import threading

from erlen import Erlen, g, stream_with_context

app = Erlen(__name__)

_lock = threading.Lock()
STATS = {"opened": 0, "closed": 0, "errors": []}


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(":memory:")
        g.db.execute("create table item (n integer)")
        g.db.executemany("insert into item values (?)", [(n,) for n in range(5)])
        with _lock:
            STATS["opened"] += 1
    return g.db


@app.teardown_appcontext
def close_db(error: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is None:
        return
    try:
        db.close()
    except Exception as failure:  # noqa: BLE001 - recorded for the test to see
        with _lock:
            STATS["errors"].append(repr(failure))
        raise
    with _lock:
        STATS["closed"] += 1


@app.get("/count")
def count() -> str:
    (total,) = get_db().execute("select sum(n) from item").fetchone()
    return str(total)


@app.get("/stream")
def stream():  # type: ignore[no-untyped-def]
    db = get_db()

    @stream_with_context
    def rows():  # type: ignore[no-untyped-def]
        for (n,) in db.execute("select n from item order by n"):
            yield f"{n}\n"

    return rows()


@app.get("/stats")
async def stats() -> dict[str, object]:
    with _lock:
        return {"opened": STATS["opened"], "closed": STATS["closed"], "errors": STATS["errors"]}
