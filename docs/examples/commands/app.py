import click

from erlen import Erlen, current_app
from erlen.cli import AppGroup

app = Erlen(__name__)
app.config["GREETING"] = "Hello"


@app.cli.command("greet")
@click.argument("name")
@click.option("--shout", is_flag=True, help="Greet in capitals.")
def greet(name, shout):
    """Greet NAME."""
    text = f"{current_app.config['GREETING']}, {name}!"  # commands run in the app context
    click.echo(text.upper() if shout else text)


# A group: `erlen users create ada` and `erlen users count`.
users = AppGroup("users", help="Manage users.")
USERS = []


@users.command("create")
@click.argument("name")
def create_user(name):
    """Add a user."""
    USERS.append(name)
    click.echo(f"Created {name}.")


@users.command("count")
def count_users():
    """Say how many users there are."""
    click.echo(f"{len(USERS)} user(s).")


app.cli.add_command(users)
