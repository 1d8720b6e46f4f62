from flask import Flask, abort, jsonify, request, session

app = Flask(__name__)
app.config["SECRET_KEY"] = "dev only: change me"


@app.route("/visits")
def visits():
    session["visits"] = session.get("visits", 0) + 1
    return jsonify(visits=session["visits"])


@app.route("/square/<int:n>")
def square(n):
    if n > 1000:
        abort(400, "Pick a number up to 1000.")
    return {"n": n, "square": n * n, "debug": request.args.get("debug") == "1"}
