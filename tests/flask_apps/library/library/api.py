"""A JSON API from method views, in nested blueprints (/api/v1/books)."""

from flask import Blueprint, abort, jsonify, request, url_for
from flask.views import MethodView

from library.store import get_store

bp = Blueprint("api", __name__, url_prefix="/api")
v1 = Blueprint("v1", __name__, url_prefix="/v1")


class ItemAPI(MethodView):
    init_every_request = False

    def __init__(self, kind):
        self.kind = kind

    def _get_item(self, id):
        return get_store().books.get(id) or abort(404)

    def get(self, id):
        return jsonify(self._get_item(id))

    def patch(self, id):
        item = self._get_item(id)
        data = request.get_json()
        unknown = set(data) - {"title", "author"}
        if unknown:
            return {"error": f"Cannot change {', '.join(sorted(unknown))}."}, 400
        item.update(data)
        return jsonify(item)

    def delete(self, id):
        del get_store().books[self._get_item(id)["id"]]
        return "", 204


class GroupAPI(MethodView):
    init_every_request = False

    def __init__(self, kind):
        self.kind = kind

    def get(self):
        return jsonify({self.kind: list(get_store().books.values())})

    def post(self):
        data = request.get_json()
        if not data or not data.get("title"):
            return {"error": "A book needs a title."}, 400
        book = get_store().add(data["title"], data.get("author", "Anonymous"))
        return book, 201, {"Location": url_for(f".{self.kind}-item", id=book["id"])}


def register_api(blueprint, name):
    item = ItemAPI.as_view(f"{name}-item", name)
    group = GroupAPI.as_view(f"{name}-group", name)
    blueprint.add_url_rule(f"/{name}/<int:id>", view_func=item)
    blueprint.add_url_rule(f"/{name}/", view_func=group)


register_api(v1, "books")
bp.register_blueprint(v1)


@bp.errorhandler(404)
def api_not_found(error):
    return {"error": "Not found."}, 404
