from erlen import Blueprint, abort, websocket

from .pages import NOTES

bp = Blueprint("api", __name__)


@bp.get("/notes")
def list_notes():
    return {"notes": NOTES}


@bp.get("/notes/<int:number>")
def get_note(number):
    if not 1 <= number <= len(NOTES):
        abort(404, f"There is no note {number}.")
    return {"number": number, "text": NOTES[number - 1]}


@bp.websocket("/echo")
async def echo():
    await websocket.accept()
    async for message in websocket:  # ends when the client closes
        await websocket.send(f"echo: {message}")
