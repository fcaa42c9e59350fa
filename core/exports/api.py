"""The exports as plugins see them, `core.api.exports`: a kind (`Kind`), the answer to its button
(`respond`) and the readers of its rows (`in_pages`, `by_ids`), as docs/plugin-api.md describes them."""

from core.exports.kinds import Kind, by_ids, in_pages
from core.exports.views import respond

__all__ = ["Kind", "respond", "in_pages", "by_ids"]
