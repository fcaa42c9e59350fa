__requires__ = ["broken_base"]
