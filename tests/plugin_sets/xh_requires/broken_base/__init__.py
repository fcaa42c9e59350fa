raise ImportError("broken_base cannot find its dependency")
