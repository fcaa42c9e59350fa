"""/healthz, for a load balancer or a monitor: whether the database answers, whether every migration is
applied, and how old the scheduler's heartbeat is (views.py). Public, JSON, no session."""

from core.hookspecs import hookimpl


@hookimpl
def register_blueprints():
    from core.health.views import bp

    return [bp]
