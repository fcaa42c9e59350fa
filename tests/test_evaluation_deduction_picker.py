"""A deduction's object is picked by name, with search, for every level a deduction can be about
(departments, areas, people): the form posts the object's key, a name typed without choosing from the list
is resolved when one object has it, and a name two people share is refused with both offered."""

from core.evaluation.models import Deduction
from core.org import User
from tests.evaluation_support import app, city  # noqa: F401 (fixtures)
from tests.support import login

CHOICES = {"HX-Request": "true", "HX-Target": "object-choices"}
FORM = {"day": "2026-10-20", "points": "2", "reason": "推诿扯皮"}


def evaluator(app):  # noqa: F811
    client = app.test_client()
    login(client, "evaluator")
    return client


def choices(client, level, text) -> str:
    response = client.get(
        "/evaluation/deductions/objects", query_string={"level": level, "object_q": text}, headers=CHOICES
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_search_offers_the_objects_of_each_level_by_name(app, city):  # noqa: F811
    client = evaluator(app)
    html = choices(client, "department", "环卫")
    assert f'value="{city.sanitation.id}"' in html and "环卫处" in html and "园林处" not in html
    html = choices(client, "community", "洞庭")
    assert 'value="430602001001"' in html and "洞庭社区" in html and "滨湖社区" not in html
    html = choices(client, "grid", "430602001002")  # a code works as well as a name
    assert 'value="430602001002001"' in html and "滨湖社区1号网格" in html
    html = choices(client, "collector", "Other")
    assert (
        f'value="{city.users["other_collector"].id}"' in html
        and 'value="{}"'.format(city.users["collector"].id) not in html
    )
    assert choices(client, "dispatcher", "Collector").count('name="object_key"') == 0  # only the level's people
    # without htmx, the search is the whole form with the choices
    response = client.get("/evaluation/deductions/objects?level=department&object_q=环卫")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="deduction-form"' in page and f'value="{city.sanitation.id}"' in page


def test_a_deduction_is_made_by_name_for_a_department_and_an_area(app, city):  # noqa: F811
    client = evaluator(app)
    response = client.post("/evaluation/deductions", data={**FORM, "level": "department", "object_q": "环卫处"})
    assert response.status_code == 302
    response = client.post("/evaluation/deductions", data={**FORM, "level": "street", "object_q": "岳阳楼街道"})
    assert response.status_code == 302
    assert [(d.level, d.object_key, d.object_name) for d in Deduction.select().order_by(Deduction.id)] == [
        ("department", str(city.sanitation.id), "环卫处"),
        ("street", "430602001", "岳阳楼街道"),
    ]
    response = client.post("/evaluation/deductions", data={**FORM, "level": "department", "object_q": "不存在的部门"})
    assert response.status_code == 422 and "There is no such object at this level." in response.get_data(as_text=True)
    assert Deduction.select().count() == 2


def test_a_name_two_people_share_is_refused_and_both_are_offered(app, city):  # noqa: F811
    User.update(name="张伟").where(
        User.id.in_([city.users["collector"].id, city.users["other_collector"].id])
    ).execute()
    client = evaluator(app)
    response = client.post("/evaluation/deductions", data={**FORM, "level": "collector", "object_q": "张伟"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Several objects are named 张伟" in html
    assert f'value="{city.users["collector"].id}"' in html and f'value="{city.users["other_collector"].id}"' in html
    assert Deduction.select().count() == 0
    chosen = str(city.users["other_collector"].id)
    response = client.post(
        "/evaluation/deductions", data={**FORM, "level": "collector", "object_q": "张伟", "object_key": chosen}
    )
    assert response.status_code == 302
    assert (Deduction.get().object_key, Deduction.get().object_name) == (chosen, "张伟")
