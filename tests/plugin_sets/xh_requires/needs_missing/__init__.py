__requires__ = ["no_such_plugin"]
