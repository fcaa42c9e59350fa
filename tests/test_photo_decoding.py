"""Photos decoded one process at a time within a budget (core/photo_decoding.py): an upload whose pixels
do not fit beside those being decoded waits its turn, first come first served; the memory it saves is
measured in bench/photo_memory.py, not here."""

import io
import threading

from core import photos
from core.db import db
from core.photo_decoding import DecodeBudget, budget
from tests.support import encode, noise


def test_the_second_upload_waits_while_the_first_is_decoded(make_app, monkeypatch):
    app = make_app(PHOTO_DECODE_AT_ONCE=4, PHOTO_DECODE_PIXELS=1)  # every photo is over budget: one at a time
    first_inside, release = threading.Event(), threading.Event()
    entered, errors, stored = [], [], []
    real_write = photos._write_files

    def write_files(photo, data, image):
        entered.append(threading.current_thread().name)
        if threading.current_thread().name == "first":
            first_inside.set()
            assert release.wait(30)
        return real_write(photo, data, image)

    monkeypatch.setattr(photos, "_write_files", write_files)

    def upload(data):
        try:
            with app.app_context(), db.connection_context():
                stored.append(photos.store(io.BytesIO(data), "p.jpg").sha256)
        except Exception as error:  # reported below
            errors.append(error)

    first = threading.Thread(target=upload, args=(encode(noise((64, 48))),), name="first")
    second = threading.Thread(target=upload, args=(encode(noise((48, 64))),), name="second")
    first.start()
    assert first_inside.wait(30)
    second.start()
    with app.app_context():
        shared = budget()
    with shared.condition:
        assert shared.condition.wait_for(lambda: shared.waiting == 1, timeout=30)
        assert (shared.decoding, entered) == (1, ["first"])  # the second has its pixels not yet decoded
    release.set()
    first.join(30)
    second.join(30)
    assert errors == [] and entered == ["first", "second"] and len(set(stored)) == 2
    assert (shared.decoding, shared.held, shared.waiting) == (0, 0, 0)


def test_photos_share_the_pixel_pixels_budget_in_their_order_of_arrival():
    pixels_budget = DecodeBudget(at_once=3, pixels=100)
    order = []
    big = pixels_budget.hold(60)
    big.__enter__()

    def decode(name, pixels):
        with pixels_budget.hold(pixels):
            order.append(name)

    late = threading.Thread(target=decode, args=("60 more", 60))
    late.start()
    with pixels_budget.condition:
        assert pixels_budget.condition.wait_for(lambda: pixels_budget.waiting == 1, timeout=30)
    small = threading.Thread(target=decode, args=("10 after it", 10))
    small.start()
    with pixels_budget.condition:
        assert pixels_budget.condition.wait_for(lambda: pixels_budget.waiting == 2, timeout=30)
        assert order == []  # 10 would fit, but it came after the 60 that does not
    big.__exit__(None, None, None)
    late.join(30)
    small.join(30)
    assert order == ["60 more", "10 after it"]
