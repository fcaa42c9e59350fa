from peewee import CharField, Model


def up(migrator, db):
    class Note(Model):
        text = CharField()

        class Meta:
            database = db
            table_name = "recorder_note"

    db.create_tables([Note])
