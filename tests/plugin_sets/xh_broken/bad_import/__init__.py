raise ImportError("bad_import cannot find its dependency")
