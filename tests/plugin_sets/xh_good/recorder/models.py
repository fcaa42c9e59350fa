from peewee import CharField

from core.db import BaseModel


class Note(BaseModel):
    text = CharField()

    class Meta:
        table_name = "recorder_note"
