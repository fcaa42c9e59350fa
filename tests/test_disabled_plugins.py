"""A disabled plugin contributes nothing: no grid-page section, map layer, measure, export or import — even
on a database where it was once enabled, whose roles still hold its permissions."""

import pytest

from core import map_layers as maps
from core.exports.kinds import kinds as export_kinds
from core.importing import pages as import_pages
from core.testcity import build_city
from core.testing import client_for, in_db


@pytest.fixture
def restarted(english_xiuhua_app):
    """(app with every plugin, the same database restarted with components and evaluation disabled, city)."""
    first = english_xiuhua_app()
    city = in_db(first, build_city)
    second = english_xiuhua_app(PLUGINS_DISABLED=["components", "evaluation"])
    return first, second, city


def test_the_grid_page_of_a_database_where_components_was_enabled_renders_without_it(restarted):
    first, second, city = restarted
    before = client_for(first, "admin").get(f"/grids/{city.grid.id}").get_data(as_text=True)
    assert 'id="section-components"' in before and 'id="section-evaluation"' in before
    admin = client_for(second, "admin")
    response = admin.get(f"/grids/{city.grid.id}")  # was a BuildError (components.index): a 500
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="section-responsibility"' in page and 'id="section-orders"' in page
    assert 'id="section-components"' not in page and 'id="section-evaluation"' not in page
    assert "/components/map.geojson" not in page
    assert "/components/map.geojson" not in admin.get("/grids/").get_data(as_text=True)


def test_a_disabled_plugin_registers_no_export_import_or_measure(restarted):
    first, second, _city = restarted

    def registered():
        return set(export_kinds()), set(import_pages.kinds()), set(maps.measures())

    kinds, imports, measures = in_db(first, registered)
    assert {"components", "evaluation", "evaluation_version", "orders"} <= kinds
    assert {"components", "catalogue", "grids"} <= imports and {"open", "overdue", "score"} <= measures
    kinds, imports, measures = in_db(second, registered)
    assert "components" not in kinds and "evaluation" not in kinds and "orders" in kinds
    assert imports == {"catalogue", "grids"} and measures == {"open", "overdue"}
    assert client_for(second, "admin").get("/grids/map.geojson?measure=score").status_code == 404


def test_the_audit_log_of_a_disabled_plugin_still_reads_as_sentences(english_xiuhua_app):
    import re

    from core import audit
    from core.org import Role

    first = english_xiuhua_app()
    city = in_db(first, build_city)

    def recorded():
        audit.record(
            "zombie_cars.outcome", "zombie_car", 7, "湘F3K721", before={"stage": "notified"}, after={"stage": "moved"}
        )
        collector = Role.get(Role.code == "collector")
        audit.record("role.grant", "role", collector.id, collector.name, before={"zombie_cars.view": False},
                     after={"zombie_cars.view": True}, actor=city.users["admin"])  # fmt: skip

    in_db(first, recorded)
    second = english_xiuhua_app(PLUGINS_DISABLED=["zombie_cars"])
    admin = client_for(second, "admin")
    html = admin.get("/admin/audit").get_data(as_text=True)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "the system ended the case of the vehicle 湘F3K721 (from zombie_cars, not enabled now)" in text
    assert "Stage: Notice posted → Moved by the owner" in text
    assert "See the zombie-car campaign: no → yes" in text  # the permission by its label, not its code
    assert "/campaigns/zombie-cars/7" not in html  # its pages are gone: no link to a 404
    admin.post("/lang", data={"lang": "zh_CN"})
    text = " ".join(re.sub(r"<[^>]+>", " ", admin.get("/admin/audit").get_data(as_text=True)).split())
    assert "系统 办结了车辆 湘F3K721 （来自 zombie_cars，现未启用）" in text and "notified" not in text
