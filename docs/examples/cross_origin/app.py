from erlen import Erlen, request

app = Erlen(__name__)
app.config["SECRET_KEY"] = "dev only: change me"

# The single-page app that calls this API, served from another origin.
FRONTEND = "http://localhost:5173"
# Its POST, PUT, PATCH and DELETE requests are cross-origin: let them through
# erlen's cross-site request check (they would get 403 otherwise).
app.config["CSRF_TRUSTED_ORIGINS"] = [FRONTEND]

TODOS = ["Write the docs"]


@app.after_request
def allow_the_frontend(response):
    # CORS: tell the browser that FRONTEND's scripts may read the answers,
    # with cookies. Any other origin gets no CORS headers: the browser keeps
    # the answer from its scripts.
    response.vary.add("Origin")
    if request.headers.get("Origin") == FRONTEND:
        response.headers["Access-Control-Allow-Origin"] = FRONTEND
        response.headers["Access-Control-Allow-Credentials"] = "true"
        if request.method == "OPTIONS":  # the preflight before a JSON POST
            response.headers["Access-Control-Allow-Methods"] = "GET, POST"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type"
            response.headers["Access-Control-Max-Age"] = "600"
    return response


@app.get("/api/todos")
def list_todos():
    return {"todos": TODOS}


@app.post("/api/todos")
def add_todo():
    TODOS.append(request.json["text"])
    return {"todos": TODOS}, 201
