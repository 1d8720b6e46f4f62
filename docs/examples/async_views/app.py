"""Async views, a WebSocket chat and a Server-Sent Events feed: docs/guides/async.md."""

import asyncio

from erlen import Erlen, ServerSentEvent, abort, event_stream, request, websocket

app = Erlen(__name__)

PRICES = {"tea": 2.5, "cake": 4.0, "milk": 1.2}


async def fetch_price(item):
    """Ask the price service for one item's price (here: a short wait, then a table)."""
    await asyncio.sleep(0.01)  # the network: other requests are served meanwhile
    if item not in PRICES:
        raise LookupError(item)
    return PRICES[item]


# -- an async view: several calls at once, with a time limit ---------------------


@app.get("/basket")
async def basket():
    items = request.args.getlist("item")
    if not items:
        abort(400, "Name at least one item: /basket?item=tea&item=cake")
    try:
        prices = await asyncio.wait_for(
            asyncio.gather(*(fetch_price(item) for item in items)),  # all at once
            timeout=2,
        )
    except LookupError as error:
        abort(404, f"There is no price for {error.args[0]!r}.")
    except asyncio.TimeoutError:
        abort(504, "The price service did not answer within 2 seconds. Try again.")
    return {"prices": dict(zip(items, prices, strict=True)), "total": round(sum(prices), 2)}


# -- WebSockets: an echo, and a chat room -----------------------------------------


@app.websocket("/echo")
async def echo():
    await websocket.accept()
    async for message in websocket:  # ends when the client leaves
        await websocket.send(message)


rooms = {}  # room name -> the send functions of the people in it


@app.websocket("/chat/<room>")
async def chat(room):
    name = websocket.args.get("name", "someone")
    await websocket.accept()
    members = rooms.setdefault(room, set())
    send = websocket.send  # this connection's own send, for the others to call
    members.add(send)
    try:
        async for message in websocket:
            for member in list(members):
                await member(f"{name}: {message}")
    finally:  # the client left: stop sending to it
        members.discard(send)


# -- Server-Sent Events: a job's progress, pushed as it happens --------------------


@app.get("/jobs/<int:job>/progress")
async def progress(job):
    async def steps():
        for percent in (0, 50, 100):
            await asyncio.sleep(0.01)  # the work
            yield ServerSentEvent({"job": job, "percent": percent}, event="progress")
        yield ServerSentEvent("done", event="end")

    return event_stream(steps())
