"""A person's in-app notifications, the kinds each wants only in the app, and what went to a party's
contact (a phone number or an e-mail address, never a login). A notification is about a subject, named
by kind and id ("workorder", 12), or about nothing; the subject's link comes from the kind's
NotificationSubject (hook notification_subjects)."""

from peewee import BooleanField, CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from core import clock
from core.db import BaseModel
from core.org import User


class Notification(BaseModel):
    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    at = DateTimeField(default=clock.now, index=True)
    subject_kind = CharField(max_length=30, null=True)  # e.g. "workorder"; None: about nothing
    subject_id = IntegerField(null=True)
    kind = CharField(max_length=20)  # e.g. "due-soon", "overdue"
    due = DateTimeField(null=True)  # the deadline a reminder is about: a new deadline, a new reminder
    text = TextField()
    read = BooleanField(default=False)

    class Meta:
        table_name = "notification"
        # the header's unread badge on every request: counted from the (user, read) index alone
        indexes = ((("user", "subject_kind", "subject_id", "kind", "due"), True), (("user", "read"), False))


class NotifyOptOut(BaseModel):
    """A kind of notification the user wants only in the app, not sent on through the notify hook. No
    row: every kind goes out."""

    user = ForeignKeyField(User, backref="+", on_delete="CASCADE")
    kind = CharField(max_length=20)

    class Meta:
        table_name = "notify_opt_out"
        indexes = ((("user", "kind"), True),)


class ContactNotice(BaseModel):
    """What was handed to the notify hook for a party's contact (the sent log): no one logs in as it."""

    at = DateTimeField(default=clock.now, index=True)
    contact = CharField(max_length=120)
    name = CharField(max_length=60, default="")
    subject_kind = CharField(max_length=30, null=True)
    subject_id = IntegerField(null=True)
    kind = CharField(max_length=20)
    text = TextField()

    class Meta:
        table_name = "contact_notice"
