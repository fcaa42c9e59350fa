"""How many photos one process decodes at a time, and how many pixels they hold between them: a decoded
photo takes 3 to 4 bytes a pixel (a 7,700 x 7,700 PNG of 188 KB becomes some 180 MB, more while its
variants are made), so uploads in parallel must wait their turn rather than add up. Configured by
PHOTO_DECODE_AT_ONCE and PHOTO_DECODE_PIXELS; core/photos.py decodes inside `decoding(pixels)`."""

import contextlib
import ctypes
import ctypes.util
import threading

from flask import current_app


class DecodeBudget:
    """How many photos one process decodes at once, and their pixels: a photo waits its turn (first come,
    first served) until fewer than `at_once` are being decoded and its pixels fit within `pixels` beside
    theirs; one larger than `pixels` on its own is decoded alone."""

    def __init__(self, at_once: int, pixels: int):
        self.at_once, self.pixels = max(1, at_once), pixels
        self.condition = threading.Condition()
        self.decoding = self.held = self.waiting = 0
        self._issued = self._serving = 0  # tickets: the order of arrival

    @contextlib.contextmanager
    def hold(self, pixels: int):
        with self.condition:
            ticket, self._issued = self._issued, self._issued + 1
            self.waiting += 1
            self.condition.notify_all()
            try:
                self.condition.wait_for(lambda: ticket == self._serving and self._fits(pixels))
            finally:
                self.waiting -= 1
            self._serving += 1
            self.decoding += 1
            self.held += pixels
            self.condition.notify_all()
        try:
            yield
        finally:
            with self.condition:
                self.decoding -= 1
                self.held -= pixels
                if self.decoding == 0:
                    give_back_memory()  # before the next photo starts: each decode counts alone
                self.condition.notify_all()

    def _fits(self, pixels: int) -> bool:
        return self.decoding == 0 or (self.decoding < self.at_once and self.held + pixels <= self.pixels)


def budget() -> DecodeBudget:
    """This application's decode budget (PHOTO_DECODE_AT_ONCE, PHOTO_DECODE_PIXELS)."""
    found = current_app.extensions.get("photo_decoding")
    if found is None:
        config = current_app.config
        made = DecodeBudget(config.get("PHOTO_DECODE_AT_ONCE", 2), config.get("PHOTO_DECODE_PIXELS", 64_000_000))
        found = current_app.extensions.setdefault("photo_decoding", made)
    return found


def decoding(pixels: int):
    """`with decoding(width * height):` around anything that holds a photo's pixels in memory."""
    return budget().hold(pixels)


def _malloc_trim():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim
    except (AttributeError, OSError, TypeError):  # not glibc (musl, macOS, Windows): nothing to do
        return None


_trim = _malloc_trim()


def give_back_memory():
    """Return the memory a decoded photo freed to the system. glibc keeps what a thread frees in that
    thread's arena, and Pillow's 16 MB blocks fall under its mmap threshold once one was freed: without
    this, every web thread that ever decoded a large photo keeps its pixels' worth of memory, and eight
    threads took turns to reach 1.4 GB."""
    if _trim is not None:
        _trim(0)
