"""The notes app: built by create_app(), in the way the erlen command finds."""

from erlen import Erlen


def create_app(test_config=None):
    app = Erlen(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev", NOTES_TITLE="Notes")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py, if any
        app.config.from_prefixed_env()  # ERLEN_SECRET_KEY=... and friends
    else:
        app.config.from_mapping(test_config)

    from . import api, pages

    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp, url_prefix="/api")

    @app.cli.command("count")
    def count():
        """Say how many notes there are."""
        print(f"{len(pages.NOTES)} notes")

    return app
