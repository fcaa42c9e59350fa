"""Xiuhua's small core: organisation, login, plugin host, scheduler and the pages that hold them."""
