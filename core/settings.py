"""Small key/value facts about this installation (for example: which demo city it holds)."""

from peewee import CharField, TextField

from core.db import BaseModel


class Setting(BaseModel):
    key = CharField(max_length=80, primary_key=True)
    value = TextField()


def get(key: str, default=None):
    row = Setting.get_or_none(Setting.key == key)
    return row.value if row else default


def put(key: str, value: str):
    Setting.insert(key=key, value=value).on_conflict(
        conflict_target=[Setting.key], update={Setting.value: value}
    ).execute()
