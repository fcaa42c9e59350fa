"""The flyer register: one row per flyer found, with the phone number printed on it."""

from peewee import CharField, DateTimeField, ForeignKeyField, fn

from core.api import BaseModel, User, clock


class Flyer(BaseModel):
    place = CharField(max_length=200)
    phone = CharField(max_length=20, default="")  # the number printed on the flyer, digits only
    found_at = DateTimeField(default=clock.now)
    found_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    removed_at = DateTimeField(null=True)

    class Meta:
        table_name = "flyers_flyer"


def repeat_numbers(since, threshold: int) -> list[tuple[str, int]]:
    """(phone, flyers) for the numbers found on at least `threshold` flyers since `since`."""
    flyers = fn.COUNT(Flyer.id)
    query = (
        Flyer.select(Flyer.phone, flyers.alias("flyers"))
        .where((Flyer.phone != "") & (Flyer.found_at >= since))
        .group_by(Flyer.phone)
        .having(flyers >= threshold)
        .order_by(flyers.desc(), Flyer.phone)
    )
    return [(row.phone, row.flyers) for row in query]
