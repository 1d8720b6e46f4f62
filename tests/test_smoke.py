def test_smoke(app, client):
    @app.route("/")
    def index():
        return "hi"

    @app.route("/n")
    def n():
        return "", 204

    r = client.get("/")
    assert r.status_code == 200 and r.text == "hi"
    assert client.get("/n").status_code == 204
    assert client.head("/").data == b""
    assert client.options("/").headers["Allow"] == "GET, HEAD, OPTIONS"
    assert client.get("/missing").status_code == 404
    assert client.post("/").status_code == 405
