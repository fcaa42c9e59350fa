"""The campaign in the demo city: 35 vehicles across the demo grids, in every stage, as in the
source's campaign — surveyed, notices running, tow orders at the parking office, moved by owners,
towed, disposed of, and a few that were not abandoned after all. Most have an owner on record, the
owners were phoned (structured results: a promise past the notice's deadline, refusals, unreachable
owners, a wrong number), one refusing owner's car was towed early with the shift leader's approval,
and the advertising cars went through one joint clearance action. Two survey rounds are closed, a
third is still open. Idempotent (a settings marker)."""

import io
import random
from datetime import timedelta

from core.api import Category, clock, db, settings

from . import contacts, joint, owners, service, towing
from .models import JointVehicle, SurveyRound, Vehicle

MARKER = "zombie_cars.demo"
# (plate or None, type, colour, brand, advertising, stage)
VEHICLES = [
    ("湘F3K721", "car", "白色", "大众捷达", False, "surveyed"),
    ("湘F0B315", "car", "银色", "丰田卡罗拉", False, "surveyed"),
    ("湘FD20817", "car", "蓝色", "比亚迪秦", False, "surveyed"),
    (None, "tricycle", "红色", "宗申", False, "surveyed"),
    ("湘A6Q280", "van", "白色", "五菱宏光", True, "surveyed"),
    ("鄂F7M552", "car", "黑色", "别克凯越", False, "surveyed"),
    ("湘F61840", "truck", "蓝色", "解放", False, "surveyed"),
    ("湘F2C09E", "car", "灰色", "现代伊兰特", False, "surveyed"),
    ("湘F9L446", "car", "白色", "本田飞度", False, "notified"),
    ("湘F5H190", "van", "黄色", "长安之星", True, "notified"),
    ("湘FF13562", "car", "绿色", "吉利帝豪EV", False, "notified"),
    ("赣G8N603", "car", "红色", "奇瑞QQ", False, "notified"),
    (None, "car", "黑色", "桑塔纳", False, "notified"),
    ("湘F4R873", "car", "银色", "日产轩逸", False, "notified"),
    ("湘F8T226", "van", "白色", "金杯", True, "notified"),
    ("湘F1P905", "car", "白色", "雪佛兰赛欧", False, "tow_ordered"),
    ("湘F7W318", "car", "黑色", "奥迪A6", False, "tow_ordered"),
    ("湘F10725D", "bus", "白色", "宇通", False, "tow_ordered"),
    ("湘F6E047", "van", "红色", "江淮瑞风", True, "tow_ordered"),
    ("渝B3S518", "car", "蓝色", "长安奔奔", False, "tow_ordered"),
    ("湘F2U664", "car", "白色", "标致307", False, "moved"),
    ("湘F5D833", "car", "灰色", "福特福克斯", False, "moved"),
    ("湘F0G917", "van", "白色", "五菱荣光", True, "moved"),
    ("湘FD66051", "car", "白色", "北汽EU5", False, "moved"),
    ("湘F3Y580", "car", "黑色", "马自达6", False, "moved"),
    ("粤B9A266", "car", "红色", "比亚迪F3", False, "moved"),
    ("湘F8J041", "car", "银色", "夏利", False, "towed"),
    ("湘F7X392", "truck", "蓝色", "东风", False, "towed"),
    (None, "car", "白色", "富康", False, "towed"),
    ("湘F4V758", "van", "黄色", "昌河", True, "towed"),
    ("湘F6Z135", "car", "绿色", "奇瑞旗云", False, "towed"),
    ("湘F2N487", "car", "黑色", "红旗", False, "disposed"),
    ("湘F9S610", "car", "白色", "羚羊", False, "disposed"),
    ("湘F1A029", "car", "灰色", "宝马3系", False, "not_abandoned"),
    ("湘F5B774", "car", "白色", "特斯拉", False, "not_abandoned"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董"
GIVEN = ["建国", "秀英", "志强", "丽华", "海涛", "桂兰", "文军", "春梅", "国平", "小红", "伟", "敏"]
STREETS = ["巴陵中路", "洞庭南路", "金鹗中路", "五里牌路", "岳阳大道", "站前路", "求索路", "建湘路", "花板桥路"]


def _photo(colour: tuple, name: str):
    from PIL import Image, ImageDraw

    from core.api import photos

    image = Image.new("RGB", (640, 480), (200, 200, 190))
    draw = ImageDraw.Draw(image)
    draw.rectangle([120, 200, 520, 360], fill=colour)
    draw.rectangle([200, 140, 440, 210], fill=colour)
    for x in (190, 450):
        draw.ellipse([x - 40, 330, x + 40, 410], fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    buffer.seek(0)
    return photos.store(buffer, name)


def load(ctx):
    if settings.get(MARKER):
        return
    from core.api import shapes_on

    places = [(area, shape.shape.representative_point()) for area, shape in shapes_on(level="grid")]
    if not places:  # no grid outlines: place the vehicles without coordinates
        places = [(area, None) for area in ctx.areas.values() if area.level == "grid"]
    r = random.Random(20260406)
    chosen = r.sample(places, min(len(VEHICLES), len(places)))
    now = clock.now()
    today = now.date()
    collector, dispatcher = ctx.users["collector"], ctx.users["dispatcher"]
    parking = ctx.departments.get("parking")
    with db.atomic():
        if parking is not None:
            # The demo's catalogue loader gave the plugin's category a department by class; the campaign's is parking.
            Category.update(default_department=parking).where(
                (Category.kind == "event") & (Category.code == service.CATEGORY_CODE)
            ).execute()
        first = SurveyRound.create(
            name="第一轮摸底", started_on=today - timedelta(days=40), ended_on=today - timedelta(days=33),
            area_note="岳阳楼区、云溪区", created_by=dispatcher, created_at=now - timedelta(days=40),
            closed_at=now - timedelta(days=33),
        )  # fmt: skip
        second = SurveyRound.create(
            name="第二轮摸底", started_on=today - timedelta(days=12), ended_on=today - timedelta(days=8),
            area_note="全市主次干道", created_by=dispatcher, created_at=now - timedelta(days=12),
            closed_at=now - timedelta(days=8),
        )  # fmt: skip
        third = SurveyRound.create(
            name="第三轮摸底（进行中）", started_on=today - timedelta(days=2), area_note="背街小巷",
            created_by=dispatcher, created_at=now - timedelta(days=2),
        )  # fmt: skip
        vehicle_photo = _photo((90, 90, 100), "zombie-car-demo.jpg")
        empty_photo = _photo((200, 200, 190), "zombie-car-empty-demo.jpg")
        for index, (plate, kind, colour, brand, advertising, stage) in enumerate(VEHICLES):
            area, point = chosen[index % len(chosen)]
            early = stage in ("tow_ordered", "moved", "towed", "disposed", "not_abandoned") or index % 2
            survey = first if early else second
            if plate in OPEN_ROUND:
                survey = third
            vehicle, _created = service.register(
                collector,
                plate=plate,
                plate_kind="" if plate is None else (service_kind(plate)),
                vehicle_type=kind,
                colour=colour,
                brand=brand,
                address=f"{area.name}·{r.choice(STREETS)}{r.randint(1, 300)}号旁",
                longitude=round(point.x, 6) if point is not None else None,
                latitude=round(point.y, 6) if point is not None else None,
                grid=area.id,
                dusty=r.random() < 0.8,
                flat_tyres=r.random() < 0.5,
                days_unmoved=r.randint(30, 400),
                advertising=advertising,
                survey_round=survey,
                photos=[vehicle_photo],
            )
            Vehicle.update(reported_at=now - timedelta(days=38 if early else 10, hours=index)).where(
                Vehicle.id == vehicle.id
            ).execute()
            if index % 4 != 3:
                _owner(vehicle, r, dispatcher)
            _advance(vehicle, stage, today, index, dispatcher, empty_photo)
            _calls(vehicle, plate, stage, today, index, collector)
        _early_tow(collector, ctx.users.get("shiftlead"), today)
        _joint_action(collector, dispatcher, ctx, today)
        settings.put(MARKER, "1")


# Surveyed in the round still open: no notice may go out for them yet.
OPEN_ROUND = ("湘F0B315", "湘F61840")
PROMISED = "湘F9L446"  # agreed to move it by a date past the notice's deadline: no tow order until then
REFUSED = "湘F4R873"  # refused: towed early with the shift leader's approval
JOINT = {"湘A6Q280": "cleared", "湘F5H190": "owner_moved", "湘F8T226": "not_found"}


def _owner(vehicle, r, user):
    region = "430602" if r.random() < 0.7 else "430611"
    born = f"{r.randint(1955, 2000)}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
    first17 = f"{region}{born}{r.randint(0, 999):03d}"
    contacts.set_owner(
        vehicle, user, name=r.choice(SURNAMES) + r.choice(GIVEN), phone=f"1{r.choice('3589')}{r.randint(0, 999999999):09d}",
        id_number=first17 + owners.check_digit(first17),
    )  # fmt: skip


def _calls(vehicle, plate, stage, today, index, collector):
    """The owners phoned, as the bureau did: most reached and moved their cars, the rest unreachable or refusing."""
    day = today - timedelta(days=18 + index % 5)
    caller = collector.name
    if plate == PROMISED:
        notice = vehicle.notices.get()
        contacts.add_contact(vehicle, collector, contacted_on=notice.issued_on, caller=caller, result="agreed",
                             note="车主在外地，答应回来后移走", promised_on=notice.deadline + timedelta(days=5))  # fmt: skip
    elif plate == REFUSED:
        notice = vehicle.notices.get()
        contacts.add_contact(vehicle, collector, contacted_on=notice.issued_on, caller=caller, result="refused",
                             note="车主称车辆停放合法，拒绝移车")  # fmt: skip
    elif stage == "moved":
        contacts.add_contact(vehicle, collector, contacted_on=day, caller=caller, result="agreed",
                             note="已讲解政策，车主同意自行移走", promised_on=day + timedelta(days=3))  # fmt: skip
    elif stage in ("towed", "tow_ordered"):
        contacts.add_contact(vehicle, collector, contacted_on=day, caller=caller, result="unreachable", note="三次未接")
        if index % 2:
            contacts.add_contact(vehicle, collector, contacted_on=day + timedelta(days=1), caller=caller,
                                 result="wrong_number", note="号码已停机")  # fmt: skip
    elif stage in ("disposed", "not_abandoned"):
        contacts.add_contact(vehicle, collector, contacted_on=day, caller=caller, result="agreed",
                             note="车主已接电话", promised_on=day + timedelta(days=2))  # fmt: skip


def _early_tow(collector, shiftlead, today):
    vehicle = Vehicle.get_or_none(Vehicle.plate == REFUSED)
    if vehicle is None or shiftlead is None or vehicle.stage != "notified":
        return
    towing.request_early_tow(vehicle, collector, "车主明确拒绝移车，车辆占用消防通道")
    towing.decide_early_tow(vehicle, shiftlead, True, "同意提前拖移")


def _joint_action(collector, dispatcher, ctx, today):
    vehicles = list(Vehicle.select().where(Vehicle.plate.in_(list(JOINT))))
    if not vehicles:
        return
    departments = [ctx.departments[code].id for code in ("enforcement", "parking") if code in ctx.departments]
    action = joint.create(
        dispatcher, name="广告僵尸车联合整治", action_on=today - timedelta(days=1),
        team="执法支队二中队、停车管理办公室、交警大队", department_ids=departments,
        vehicle_ids=[v.id for v in vehicles], legal_basis=service.config("ZOMBIE_ADVERTISING_LEGAL_BASIS"),
        note="集中清理主次干道广告车",
    )  # fmt: skip
    for link in JointVehicle.select().where(JointVehicle.action == action.id):
        joint.record(link, JOINT[link.vehicle.plate], collector)


def service_kind(plate):
    from .plates import kind_of

    return kind_of(plate) or ""


def _advance(vehicle, stage, today, index, user, empty_photo):
    if stage == "surveyed":
        return
    if stage == "notified":
        service.notify(vehicle, user, issued_on=today - timedelta(days=index % 6))
        return
    notice = service.notify(vehicle, user, issued_on=today - timedelta(days=20 + index % 10))
    if stage in ("moved", "not_abandoned") and index % 2:
        service.set_outcome(vehicle, stage, user, "车主已接电话" if stage == "moved" else "车主每周使用")
        return
    if stage == "disposed":
        service.set_outcome(vehicle, "disposed", user, "车主放弃车辆，报废处理")
        return
    order = towing.open_tow_order(notice)
    if stage == "tow_ordered":
        return
    if stage in ("moved", "not_abandoned"):
        service.set_outcome(vehicle, stage, user, "告知期满后车主自行移走", empty_photo)
        return
    _towed(order, empty_photo)


def _towed(order, empty_photo):
    """The parking office tows it, the grid's collector checks the spot, the shift leader closes: people,
    each with their own permission (the campaign itself may not report a case handled)."""
    from core.api import User, WorkOrder, collectors_of, transition

    handler = User.get_or_none((User.department == order.department_id) & (User.active == True))
    collectors = [user for user, _area in collectors_of(order.grid)] if order.grid_id else []
    closer = User.get_or_none(User.username == "shiftlead")
    if handler is None or not collectors or closer is None:
        return  # the demo city lacks someone to do it: the order stays at the parking office
    steps = [
        ("accept", handler, "", ()),
        ("report_handled", handler, "已拖移至停车场", [empty_photo]),
        ("check_pass", collectors[0], "现场核查车辆已移走", ()),
        ("close", closer, "结案", ()),
    ]
    for action, actor, reason, photos in steps:
        version = WorkOrder.get_by_id(order.id).version
        transition(order.id, action, actor=actor, version=version, reason=reason, photos=photos)
