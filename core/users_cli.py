"""`flask users ...`: what an operator needs before anyone can log in — the first administrator — and from
the server's shell: unlocking an account, ending a user's sessions."""

import click
from flask import current_app
from flask.cli import AppGroup
from peewee import IntegrityError

from core import audit, sessions
from core.db import db
from core.org import Role, User, UserRole

users_cli = AppGroup("users", help="User accounts from the command line.")


def _get(username: str) -> User:
    user = User.get_or_none(User.username == username)
    if user is None:
        raise click.ClickException(f"no user named {username!r}")
    return user


@users_cli.command("create", help="Create a user with one role (for example the first administrator).")
@click.argument("username")
@click.option("--name", required=True, help="The person's name as shown in the app.")
@click.option("--role", default="admin", show_default=True, help="Role code, e.g. admin, dispatcher.")
@click.option("--password", help="Asked for (twice, hidden) when not given.")
def create(username, name, role, password):
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    with db.connection_context():
        if User.select().where(User.username == username).exists():
            raise click.ClickException(f"a user named {username!r} exists already")
        found = Role.get_or_none(Role.code == role)
        if found is None:
            codes = ", ".join(r.code for r in Role.select().order_by(Role.code))
            raise click.ClickException(f"no role {role!r}; roles are: {codes} (run `flask db upgrade` first?)")
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        if len(password) < minimum:
            raise click.ClickException(f"the password needs at least {minimum} characters")
        user = User(username=username, name=name)
        user.set_password(password)
        try:
            with db.atomic():
                user.save()
                UserRole.create(user=user, role=found)
                after = {"username": username, "roles": [role]}
                audit.record("user.create", "user", user.id, username, after=after)
        except IntegrityError:
            raise click.ClickException(f"a user named {username!r} exists already") from None
    click.echo(f"created {username} with role {role}")


@users_cli.command("unlock", help="Clear a lockout after too many failed logins.")
@click.argument("username")
def unlock(username):
    with db.connection_context(), db.atomic():
        user = _get(username)
        if not user.is_locked() and not user.failed_logins:
            click.echo(f"{username} is not locked")
            return
        was = user.locked_until
        user.locked_until, user.failed_logins = None, 0
        user.save(only=[User.locked_until, User.failed_logins])
        audit.record(
            "user.unlock",
            "user",
            user.id,
            username,
            before={"locked_until": was},
            after={"locked_until": None},
        )
    click.echo(f"unlocked {username}")


@users_cli.command("logout", help="End every session of a user (a lost phone, a shared password).")
@click.argument("username")
def logout(username):
    with db.connection_context(), db.atomic():
        user = _get(username)
        sessions.end_all(user)
        audit.record("user.logout_everywhere", "user", user.id, f"{username} (command line)")
    click.echo(f"ended every session of {username}")
