"""Demo data for the embedded default: accounts for every role, a few units of every kind, an open cycle.

Never run in production (``DEMO_MODE`` is refused there)."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from evaluation.models import Expert
from measures.models import PolicyDocument
from organisation import roles
from organisation.models import Bureau, Membership, Programme, Unit, UnitKind

from .deadlines import default_deadline_for
from .models import BEIJING, Cycle

DEMO_PASSWORD = "demo-pass-2025"

# username, full name, role, bureaus
DEMO_ACCOUNTS = [
    ("admin", "系统管理员", roles.SYSTEM_ADMINISTRATOR, []),
    ("security", "安全管理员", roles.SECURITY_ADMINISTRATOR, []),
    ("auditor", "审计管理员", roles.AUDIT_ADMINISTRATOR, []),
    ("reviewer", "办公厅审核员", roles.REVIEWER, []),
    ("water", "水务局经办人", roles.BUREAU_STAFF, ["市水务局"]),
    ("ndrc", "发展改革委经办人", roles.BUREAU_STAFF, ["市发展改革委"]),
    ("forestry", "林业园林局经办人", roles.BUREAU_STAFF, ["市林业园林局"]),
    ("market", "市场监管局经办人", roles.BUREAU_STAFF, ["市市场监管局"]),
    ("health", "卫生健康委经办人", roles.BUREAU_STAFF, ["市卫生健康委"]),
    ("finance", "财政局经办人", roles.BUREAU_STAFF, ["市财政局"]),
    ("expert1", "刘洋", roles.EXPERT, []),
    ("expert2", "陈刚", roles.EXPERT, []),
    ("expert3", "黄丽", roles.EXPERT, []),
    ("expert4", "林峰", roles.EXPERT, []),
    ("expert5", "吴静", roles.EXPERT, []),
    ("expert6", "马琳", roles.EXPERT, []),
]

# The pool of experts (专家库) of the demo accounts ``expertN``: username → field, organisation.
DEMO_EXPERTS = {
    "expert1": ("工业经济", "华南理工大学"), "expert2": ("工业经济", "中山大学"), "expert3": ("工业经济", "暨南大学"),
    "expert4": ("工业经济", "广东工业大学"), "expert5": ("工业经济", "广州大学"), "expert6": ("水利工程", "河海大学"),
}

STREETS = {
    "越秀区": ["北京街道", "人民街道", "东山街道"],
    "海珠区": ["赤岗街道", "琶洲街道"],
    "天河区": ["天河南街道", "猎德街道", "珠江新城街道"],
    "白云区": ["三元里街道", "钟落潭镇"],
    "黄埔区": ["萝岗街道", "长洲街道"],
    "番禺区": ["市桥街道", "石楼镇"],
    "从化区": ["街口街道", "温泉镇"],
    "增城区": ["荔城街道", "新塘镇"],
}

OTHER_UNITS = {
    UnitKind.HOSPITAL: ["广州市第一人民医院", "广州市妇女儿童医疗中心", "广州医科大学附属第一医院", "广州市红十字会医院"],
    UnitKind.INSURANCE_BANK: ["中国工商银行广州分行", "中国建设银行广州分行", "广州农村商业银行"],
    UnitKind.MEDICAL_INSTITUTION: ["广州市第八人民医院", "广州市番禺区中心医院", "广州市花都区人民医院"],
    UnitKind.LEGAL_SERVICE: ["广东广信君达律师事务所", "广州市南方公证处", "广州市刑事科学技术研究所司法鉴定中心"],
    UnitKind.STATE_ENTERPRISE: ["广州地铁集团有限公司", "广州市建筑集团有限公司", "广州产业投资控股集团有限公司"],
    UnitKind.ENTERPRISE: ["广州汽车集团股份有限公司", "广州港股份有限公司"],
    UnitKind.INNOVATION_PLATFORM: ["广州国家实验室", "省级工程研究中心(示例)"],
    UnitKind.DISPATCHED_AGENCY: ["广州空港经济区管委会"],
}


@transaction.atomic
def demo_load(*, stdout=None) -> list[tuple[str, str, str]]:
    """Create (or refresh) the demo accounts and units. Returns (username, role, bureaus) rows."""
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("Demo data is only for the embedded default (DEMO_MODE is off).")
    User = get_user_model()
    for name in roles.ROLE_LABELS:
        Group.objects.get_or_create(name=name)

    districts = {u.name: u for u in Unit.objects.filter(kind_id=UnitKind.DISTRICT)}
    for district_name, streets in STREETS.items():
        district = districts[district_name]
        for offset, street in enumerate(streets, 1):
            Unit.objects.get_or_create(kind_id=UnitKind.STREET, name=street, parent=district,
                                       defaults={"full_name": f"广州市{district_name}{street}",
                                                 "division_order": district.division_order + offset})
    for kind, names in OTHER_UNITS.items():
        for offset, name in enumerate(names, 1):
            Unit.objects.get_or_create(kind_id=kind, name=name, parent=None,
                                       defaults={"division_order": 2000 + offset})

    rows = []
    for username, full_name, role, bureau_names in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.gov.cn"})
        user.first_name = full_name
        user.is_active = True
        # 三员分立: the three administrators are three people, none of them a superuser (is_staff follows the role).
        user.is_superuser = False
        user.set_password(DEMO_PASSWORD)
        user.save()
        user.groups.remove(*Group.objects.filter(name__in=set(roles.ROLE_LABELS) - {role}))
        user.groups.add(Group.objects.get(name=role))
        for bureau_name in bureau_names:
            Membership.objects.get_or_create(user=user, bureau=Bureau.objects.get(short_name=bureau_name))
        rows.append((username, str(roles.ROLE_LABELS[role]), "、".join(bureau_names)))

    _demo_experts()
    _demo_cycle()
    return rows


def _demo_experts():
    """The default programme's pool: the ``expertN`` accounts, two fields, so a panel can be convened and scored."""
    programme = Programme.objects.default()
    for username, (field, organisation) in DEMO_EXPERTS.items():
        user = get_user_model().objects.get(username=username)
        Expert.objects.update_or_create(user=user, defaults={
            "programme": programme, "name": user.first_name, "field": field, "organisation": organisation,
            "contact": "020-83000000", "is_active": True})


def _demo_cycle():
    """An open cycle whose deadline is still ahead: the current performance year until March, due March 31."""
    now = timezone.now().astimezone(BEIJING)
    year = now.year - 1 if now.month <= 3 else now.year
    document = PolicyDocument.objects.filter(in_force=True).order_by("-issued_on").first()
    Cycle.objects.get_or_create(
        year=year,
        defaults={"document": document, "opens_at": datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                  "deadline": default_deadline_for(year)},
    )
