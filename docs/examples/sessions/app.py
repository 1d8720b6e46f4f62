from erlen import Erlen, flash, redirect, render_template, request, session, url_for

app = Erlen(__name__)
# In production, set ERLEN_SECRET_KEY in the environment instead (see Configuration).
app.config["SECRET_KEY"] = "dev only: change me"
app.config.from_prefixed_env()


@app.get("/")
def index():
    return render_template("index.html", name=session.get("name"), cart=session.get("cart", []))


@app.post("/name")
def set_name():
    session["name"] = request.form["name"]
    flash(f"Hello, {session['name']}!")
    return redirect(url_for("index"), code=303)


@app.post("/cart")
def add_to_cart():
    cart = session.setdefault("cart", [])
    cart.append(request.form["item"])
    session.modified = True  # a change inside a list is not seen by the session
    flash(f"Added {request.form['item']}.", "info")
    return redirect(url_for("index"), code=303)


@app.post("/forget")
def forget():
    session.clear()
    flash("Forgotten.", "warning")
    return redirect(url_for("index"), code=303)
