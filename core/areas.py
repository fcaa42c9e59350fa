"""The area tree: district → street → community → unit grid, identified by their standard codes."""

from flask_babel import lazy_gettext as _l
from peewee import CharField, DateField, ForeignKeyField

from core.db import BaseModel

LEVELS = {
    "district": _l("District"),
    "street": _l("Street"),
    "community": _l("Community"),
    "grid": _l("Unit grid"),
}
CODE_LENGTHS = {"district": 6, "street": 9, "community": 12, "grid": 15}


class Area(BaseModel):
    code = CharField(max_length=20, unique=True)
    name = CharField(max_length=100)
    level = CharField(max_length=12, choices=list(LEVELS.items()), index=True)
    parent = ForeignKeyField("self", null=True, backref="children", on_delete="RESTRICT")
    valid_from = DateField(null=True)
    valid_to = DateField(null=True)

    def __str__(self):
        return f"{self.name} {self.code}"
