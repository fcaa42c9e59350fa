"""Attachments: photos attached to anything (a case at a stage, a plugin's object), in one table, served
through one guarded route that asks the subject's owner whether the user may see it. Subjects are
registered with the `attachment_subjects()` hook (core.attachments.subjects.AttachmentSubject)."""

from core.hookspecs import hookimpl


@hookimpl
def register_blueprints():
    from core.attachments.views import bp

    return [bp]
