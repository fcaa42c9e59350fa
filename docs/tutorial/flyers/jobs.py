from datetime import timedelta

from flask import current_app

from core.api import clock

from .models import repeat_numbers


def repeat_numbers_job():
    """Every morning: the numbers to ask the telephone operator to suspend, for the run log."""
    threshold = current_app.config["FLYERS_REPEAT_THRESHOLD"]
    days = current_app.config["FLYERS_WINDOW_DAYS"]
    found = repeat_numbers(clock.now() - timedelta(days=days), threshold)
    numbers = "".join(f", {phone} ({flyers} flyers)" for phone, flyers in found)
    return f"numbers on {threshold}+ flyers in {days} days: {len(found)}{numbers}"
