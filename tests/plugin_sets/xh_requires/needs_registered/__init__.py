__requires__ = ["fails_registering"]
