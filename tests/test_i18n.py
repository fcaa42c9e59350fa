"""Chinese first: every string in the code and templates has a zh_CN translation, and placeholders
survive translation."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from tests.support import CATALOGUE, ROOT


def test_every_extracted_string_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run(
        [
            pybabel,
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "--ignore-dirs=.venv tests node_modules",
            "-o",
            pot,
            ".",
        ],
        cwd=ROOT,
        check=True,
    )
    wanted = {m.id for m in read_po(pot.open("rb")) if m.id}
    translated = {m.id for m in read_po(CATALOGUE.open("rb")) if m.id and m.string and not m.fuzzy}
    assert wanted - translated == set(), "untranslated strings: run `make extract` and translate the .po"


def test_placeholders_are_kept_in_translations():
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in read_po(CATALOGUE.open("rb")):
        if message.id and message.string:
            ids = [message.id] if isinstance(message.id, str) else message.id  # plural: (singular, plural)
            strings = [message.string] if isinstance(message.string, str) else message.string
            for text in strings:  # Chinese has one plural form: it must hold the plural's placeholders
                assert sorted(placeholder.findall(text)) == sorted(placeholder.findall(ids[-1])), message.id


def test_english_is_available(client):
    client.post("/lang", data={"lang": "en"})
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Log in to Xiuhua" in page


def test_unknown_language_is_ignored(client):
    client.post("/lang", data={"lang": "xx"})
    assert 'lang="zh-CN"' in client.get("/login").get_data(as_text=True)


def test_translations_kept_for_a_request_follow_a_change_of_locale(app):
    from flask import render_template_string
    from flask_babel import force_locale, gettext, lazy_gettext, refresh

    with app.test_request_context("/"):
        assert gettext("Log out") == "退出登录"
        with force_locale("en"):
            assert gettext("Log out") == "Log out"
            assert str(lazy_gettext("Log out")) == "Log out"
            assert render_template_string('{{ _("Log out") }}') == "Log out"
        assert render_template_string('{{ _("Log out") }}') == "退出登录"
        from flask import session

        session["lang"] = "en"
        refresh()
        assert gettext("Log out") == "Log out"
