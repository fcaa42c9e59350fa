"""Xiuhua (绣花): the application factory. `flask --app app ...` is the entry point."""

import os

from flask import Flask

from core import clock, config, db, demo, plugins, requestlog, scheduler, serve, web
from core.auth import gate


def create_app(overrides=None):
    """config → request log → db → auth → i18n/web → plugins (blueprints come from hooks) → scheduler → CLI."""
    overrides = overrides or {}
    instance = overrides.get("INSTANCE_PATH") or os.environ.get("XIUHUA_INSTANCE_PATH")
    app = Flask(__name__, instance_path=instance and os.path.abspath(instance), instance_relative_config=True)
    config.load(app, overrides)
    clock.init_app(app)
    requestlog.init_app(app)  # first: it times everything after it and writes its line last
    db.init_app(app)
    gate.init_app(app)
    web.init_app(app)
    host = plugins.init_app(app)
    scheduler.init_app(app)
    demo.init_app(app)
    serve.init_app(app)
    app.jinja_env.globals["menu"] = plugins.menu
    host.call_each("startup", app=app)
    return app
