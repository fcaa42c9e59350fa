__requires__ = ["needs_failed"]  # fails because what it requires fails
