__requires__ = "workorders"  # a string, not a list
