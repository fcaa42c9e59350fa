"""`flask demo load`: a demo city shaped like the source (a mid-size city around 29.37 N, 113.13 E):
six urban districts, their streets and communities, a few hundred 15-digit unit grids, the bureau's
departments and one user per role. Idempotent; refuses a database holding non-demo data."""

import time
from dataclasses import dataclass, field
from datetime import date

import click
from flask import current_app
from flask.cli import AppGroup

from core import settings
from core.areas import Area
from core.components.models import Component
from core.db import db
from core.org import Department, Role, User, UserRole
from core.workorders.models import WorkOrder

DEMO_PASSWORD = "xiuhua-demo"
MARKER = "demo.city"

# (admin code, name, streets). The last three are functional zones; their codes are demo codes.
DISTRICTS = [
    ("430602", "岳阳楼区", ["岳阳楼街道", "三眼桥街道", "五里牌街道", "望岳路街道", "东茅岭街道", "枫桥湖街道"]),
    ("430603", "云溪区", ["云溪街道", "长岭街道", "陆城镇"]),
    ("430611", "君山区", ["柳林洲街道", "许市镇", "钱粮湖镇"]),
    ("430671", "经济技术开发区", ["通海路街道", "康王街道", "西塘镇"]),
    ("430672", "南湖新区", ["南湖街道", "龙山街道", "郭镇"]),
    ("430673", "城陵矶新港区", ["城陵矶街道", "松阳湖街道", "洪源街道"]),
]
COMMUNITY_WORDS = [
    "洞庭", "滨湖", "金鹗", "梅溪", "青年", "湘北", "建湘", "白石岭", "天岳", "巴陵", "南湖", "五里",
    "龙山", "朝阳", "花板桥", "东风", "长虹", "光明", "幸福", "和平", "学院", "吉家湖", "先锋", "新路",
]  # fmt: skip

# (code, name, type, parent code)
DEPARTMENTS = [
    ("command", "数字城管指挥中心", "command", None),
    ("supervision", "数字城管监督中心", "supervision", None),
    ("sanitation", "环境卫生管理处", "professional", None),
    ("landscaping", "园林绿化管理处", "professional", None),
    ("municipal", "市政设施维护处", "professional", None),
    ("lighting", "路灯管理处", "professional", None),
    ("enforcement", "城管执法支队", "professional", None),
    ("parking", "停车管理办公室", "professional", None),
]

# (username, name, role, department code)
USERS = [
    ("admin", "系统管理员", "admin", "command"),
    ("intake", "张敏（受理员）", "intake", "command"),
    ("shiftlead", "李强（值班长）", "shift_leader", "command"),
    ("dispatcher", "王芳（派遣员）", "dispatcher", "command"),
    ("collector", "刘洋（监督员）", "collector", "supervision"),
    ("handler", "陈刚（环卫处置）", "handler", "sanitation"),
    ("depthead", "赵丽（环卫处长）", "dept_head", "sanitation"),
    ("evaluator", "孙伟（考评员）", "evaluator", "supervision"),
    ("leader", "周局长（领导）", "leader", "command"),
]


@dataclass
class DemoContext:
    """What plugins' demo_data hooks receive: the demo city's rows by code."""

    departments: dict[str, Department] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    password: str = DEMO_PASSWORD


class RefusedError(click.ClickException):
    pass


def holds_other_data() -> bool:
    return settings.get(MARKER) is None and (User.select().exists() or Department.select().exists())


def _areas(ctx: DemoContext):
    since = date(2020, 1, 1)
    word = 0
    for d_code, d_name, streets in DISTRICTS:
        district, _ = Area.get_or_create(
            code=d_code, defaults={"name": d_name, "level": "district", "valid_from": since}
        )
        ctx.areas[d_code] = district
        for s_index, s_name in enumerate(streets, start=1):
            s_code = f"{d_code}{s_index:03d}"
            street, _ = Area.get_or_create(
                code=s_code, defaults={"name": s_name, "level": "street", "parent": district, "valid_from": since}
            )
            ctx.areas[s_code] = street
            for c_index in range(1, 4):
                c_code = f"{s_code}{c_index:03d}"
                c_name = f"{COMMUNITY_WORDS[word % len(COMMUNITY_WORDS)]}社区"
                word += 1
                community, _ = Area.get_or_create(
                    code=c_code,
                    defaults={"name": c_name, "level": "community", "parent": street, "valid_from": since},
                )
                ctx.areas[c_code] = community
                for g_index in range(1, 5 + (int(c_code) % 4) + 1):
                    g_code = f"{c_code}{g_index:03d}"
                    grid, _ = Area.get_or_create(
                        code=g_code,
                        defaults={
                            "name": f"{c_name}{g_index}号网格",
                            "level": "grid",
                            "parent": community,
                            "valid_from": since,
                        },
                    )
                    ctx.areas[g_code] = grid


def _departments(ctx: DemoContext):
    for code, name, kind, parent in DEPARTMENTS:
        ctx.departments[code], _ = Department.get_or_create(
            code=code, defaults={"name": name, "type": kind, "parent": ctx.departments.get(parent)}
        )
    for order, (d_code, d_name, streets) in enumerate(DISTRICTS):
        office, _ = Department.get_or_create(
            code=f"district-{d_code}", defaults={"name": f"{d_name}城管局", "type": "district", "sort": 100 + order}
        )
        ctx.departments[office.code] = office
        for s_index, s_name in enumerate(streets, start=1):
            code = f"street-{d_code}{s_index:03d}"
            ctx.departments[code], _ = Department.get_or_create(
                code=code, defaults={"name": f"{s_name}城管办", "type": "street", "parent": office, "sort": s_index}
            )


def _users(ctx: DemoContext):
    roles = {role.code: role for role in Role.select()}
    for username, name, role, dept in USERS:
        user = User.get_or_none(User.username == username)
        if user is None:
            user = User(username=username, name=name, department=ctx.departments[dept])
            user.set_password(DEMO_PASSWORD)
            user.save()
            UserRole.create(user=user, role=roles[role])
        ctx.users[username] = user


def counts() -> dict[str, int]:
    """What the demo city holds so far, by what a person would count."""
    return {
        "districts": Area.select().where(Area.level == "district").count(),
        "unit grids": Area.select().where(Area.level == "grid").count(),
        "departments": Department.select().count(),
        "users": User.select().count(),
        "cases": WorkOrder.select().count(),
        "components": Component.select().count(),
    }


def said(numbers: dict[str, int]) -> str:
    return ", ".join(f"{n:,} {what}" for what, n in numbers.items())


def load(app, force=False, echo=None) -> DemoContext:
    """Build the demo city. `echo(line)`, when given, hears one line per stage: what the stage
    added and how long it took (the whole load takes a minute or two at full size)."""
    if holds_other_data() and not force:
        raise RefusedError(
            "This database holds data that is not the demo city's. Refusing to mix demo data in; "
            "use --force if you really mean it."
        )
    echo = echo or (lambda line: None)
    ctx = DemoContext()
    started = time.monotonic()
    before = counts()

    def stage(name):
        nonlocal started, before
        now, after = counts(), time.monotonic()
        added = {what: n - before[what] for what, n in now.items() if n != before[what]}
        echo(f"{name}: {said(added) if added else 'nothing new'} ({after - started:.1f} s)")
        started, before = after, now

    with db.atomic():
        _departments(ctx)
        _areas(ctx)
        _users(ctx)
        settings.put(MARKER, "1")
    stage("city")
    for plugin, _result in app.extensions["xiuhua.plugins"].each("demo_data", ctx=ctx):
        stage(plugin)
    return ctx


def init_app(app):
    app.cli.add_command(demo_cli)


demo_cli = AppGroup("demo", help="The demo city.")


@demo_cli.command("load", help="Build the demo city (idempotent).")
@click.option("--force", is_flag=True, help="Load even into a database that holds other data.")
@click.option("--if-empty", is_flag=True, help="Do nothing unless the database has no users yet.")
def demo_load(force, if_empty):
    with db.connection_context():
        if if_empty and User.select().exists():
            click.echo("database already has users; demo not loaded")
            return
        load(current_app, force=force, echo=click.echo)
        total = counts()
    click.echo(f"demo city ready: {said(total)} (password {DEMO_PASSWORD})")
