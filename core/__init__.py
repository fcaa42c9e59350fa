"""Xiuhua's small core: organisation, login, plugin host, scheduler and the pages that hold them."""

__version__ = "0.1.0.dev0"  # the built-in plugins report this version too
