"""Login, logout, password change, lockout, idle timeout, and the permission gate every request passes
through: views.py (the pages), gate.py (run before every request, `init_app`), passwords.py (throttle
and lockout). Its blueprint is registered by core.builtin; it has no hooks of its own."""
