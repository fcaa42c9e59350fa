"""Importing files, one way for every import: `decoding` turns the bytes of an upload into text (or refuses
the file with one clear `ImportRefused` message, whatever the import), and `pages` serves the upload and
progress pages of the background imports (catalogue, unit grids, component census, a plugin's). The
feature has no hooks of its own: the importers use it."""
