"""Chinese first: every string in the code and templates has a zh_CN translation in its own catalogue (the
core's, or its plugin's), placeholders survive translation, and a plugin's catalogue is loaded beside the
core's without changing the core's strings."""

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import force_locale, gettext

from tests.i18n_support import catalogues, plugin_folders

CATALOGUES = {c.name: c for c in catalogues()}


@pytest.mark.parametrize("name", CATALOGUES)
def test_every_extracted_string_is_translated_in_its_catalogue(name, tmp_path):
    catalogue = CATALOGUES[name]
    missing = catalogue.wanted(tmp_path) - catalogue.translated()
    assert missing == set(), f"untranslated in {catalogue.po}: run `make extract` and translate the .po"


def test_every_folder_plugin_has_its_catalogue_and_the_core_none_of_its_strings(tmp_path):
    assert {p.name for p in plugin_folders()} >= {"zombie_cars", "flyers"}
    core = CATALOGUES["core"].translated()
    for folder in plugin_folders():
        only_the_plugins = CATALOGUES[folder.name].wanted(tmp_path) - CATALOGUES["core"].wanted(tmp_path)
        assert only_the_plugins and not only_the_plugins & core, folder.name  # moved out, not copied


@pytest.mark.parametrize("name", CATALOGUES)
def test_placeholders_are_kept_in_translations(name):
    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in CATALOGUES[name].messages():
        if message.string:
            ids = [message.id] if isinstance(message.id, str) else message.id  # plural: (singular, plural)
            strings = [message.string] if isinstance(message.string, str) else message.string
            for text in strings:  # Chinese has one plural form: it must hold the plural's placeholders
                assert sorted(placeholder.findall(text)) == sorted(placeholder.findall(ids[-1])), message.id


def test_a_plugins_strings_come_from_its_own_catalogue(app):
    with app.test_request_context("/"):
        assert gettext("Zombie cars") == "僵尸车"  # only plugins/zombie_cars/translations has it
        assert gettext("Log out") == "退出登录"
        with force_locale("en"):
            assert gettext("Zombie cars") == "Zombie cars"


def test_a_plugins_catalogue_cannot_change_a_core_string(make_app, tmp_path):
    plugin = tmp_path / "xh_i18n_plugins" / "probe"
    folder = plugin / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (plugin / "__init__.py").write_text('"""A plugin with nothing but a catalogue."""\n', encoding="utf-8")
    catalogue = Catalog(locale="zh_Hans_CN")
    catalogue.add("Log out", "被插件改掉")
    catalogue.add("Probe", "探针")
    with (folder / "messages.mo").open("wb") as mo:
        write_mo(mo, catalogue)
    app = make_app(PLUGINS_DIR=str(plugin.parent))
    assert app.extensions["xiuhua.plugins"].infos["probe"].status == "enabled"
    with app.test_request_context("/"):
        assert (gettext("Log out"), gettext("Probe")) == ("退出登录", "探针")


def test_each_app_has_its_plugins_catalogues(make_app):
    """The translations are kept per application: an app without the plugin does not see its strings."""
    with_it = make_app()
    without = make_app(PLUGINS_DISABLED=["zombie_cars"])
    with without.test_request_context("/"):
        assert gettext("Zombie cars") == "Zombie cars"
    with with_it.test_request_context("/"):
        assert gettext("Zombie cars") == "僵尸车"


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
