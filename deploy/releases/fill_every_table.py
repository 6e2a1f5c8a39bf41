"""Put at least one row in every table the demo data and ``bench/generate.py`` leave empty.

Run with the code of the release being kept (its working directory first on the path), after its ``migrate``,
``load_demo`` and ``bench/generate.py --scale 1`` (``deploy/releases/build_previous.sh`` does all of it). Rows are
written through the models, without the services: what matters is that every table and column holds a value the
next release's migrations must carry over. It also trims the generated audit trail to ``AUDIT_KEEP`` records so
the kept database stays small. Fails when a table is still empty at the end.
"""

import datetime
import os
import sys
from decimal import Decimal

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.admin.models import ADDITION, LogEntry  # noqa: E402
from django.contrib.auth.models import Group, Permission, User  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

AUDIT_KEEP = 500
NOW = timezone.now()


def model(label):
    return apps.get_model(label)


@transaction.atomic
def fill():
    Cycle = model("nominations.Cycle")
    NominationList = model("nominations.NominationList")
    Nominee = model("nominations.Nominee")
    Bureau = model("organisation.Bureau")
    Unit = model("organisation.Unit")
    UnitKind = model("organisation.UnitKind")
    Programme = model("organisation.Programme")
    Measure = model("measures.Measure")
    Category = model("measures.IncentiveCategory")
    Award = model("reviews.Award")

    reviewer = User.objects.get(username="reviewer")
    water = User.objects.get(username="water")
    admin = User.objects.get(username="admin")
    published = Cycle.objects.filter(state="published").order_by("year").first()
    open_cycle = Cycle.objects.exclude(state="published").order_by("-year").first()
    assert published is not None and open_cycle is not None, "a published and an open cycle are expected"
    a_list = NominationList.objects.filter(cycle=open_cycle).order_by("pk").first()
    nominee = Nominee.objects.order_by("pk").first()
    award = Award.objects.filter(cycle=published).order_by("pk").first()
    bureau = Bureau.objects.get(short_name="市水务局")
    unit = Unit.objects.order_by("pk").first()
    programme = Programme.objects.order_by("pk").first()
    category = Category.objects.order_by("pk").first()
    measure = Measure.objects.order_by("pk").first()

    # Django's own and the libraries' tables.
    water.user_permissions.add(Permission.objects.get(codename="view_unit"))
    LogEntry.objects.create(user=admin, content_type=ContentType.objects.get_for_model(Unit), object_id=str(unit.pk),
                            object_repr=str(unit)[:200], action_flag=ADDITION, change_message="[]")
    session = SessionStore()
    session["kept"] = "0.1.0"
    session.create()
    from guardian.models import GroupObjectPermission, UserObjectPermission

    bureau_ct = ContentType.objects.get_for_model(Bureau)
    view_bureau = Permission.objects.get(content_type=bureau_ct, codename="view_bureau")
    GroupObjectPermission.objects.create(group=Group.objects.get(name="reviewer"), permission=view_bureau,
                                         content_type=bureau_ct, object_pk=str(bureau.pk))
    UserObjectPermission.objects.create(user=water, permission=view_bureau, content_type=bureau_ct,
                                        object_pk=str(bureau.pk))
    model("measures.CategoryUserObjectPermission").objects.create(
        user=water, content_object=category,
        permission=Permission.objects.get(content_type=ContentType.objects.get_for_model(Category),
                                          codename="view_incentivecategory"))
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = StaticDevice.objects.create(user=reviewer, name="recovery codes", confirmed=True)
    StaticToken.objects.create(device=device, token="a1b2c3d4")
    TOTPDevice.objects.create(user=reviewer, name="phone", confirmed=True)

    # organisation
    programme.reviewers.add(reviewer)
    unit.other_kinds.add(UnitKind.objects.exclude(pk=unit.kind_id).order_by("pk").first())
    model("organisation.Notification").objects.create(user=water, kind="returned", title="名单被退回",
                                                      body="请补充事迹材料。", url="/nominations/")
    model("organisation.OutboxMessage").objects.create(
        key="kept-0.1.0:returned:water", kind="returned", email="water@example.org", subject="名单被退回",
        body_text="请补充事迹材料。", body_html="<p>请补充事迹材料。</p>", url="/nominations/", last_error="")

    # measures
    model("measures.CapException").objects.create(category=category, year=published.year, new_limit=5,
                                                 reason="特殊贡献", decided_by=reviewer)
    model("measures.ImplementationRules").objects.create(
        measure=measure, bureau=bureau, title="实施办法", file="rules/kept.pdf", token="kepttoken0001",
        extension=".pdf", original_name="实施办法.pdf", content_type="application/pdf", size=1234,
        sha256="0" * 64, submitted_by=water, submitted_at=NOW, decision_reason="")

    # nominations
    model("nominations.CapExceptionRequest").objects.create(
        nomination_list=a_list, requested_limit=4, reason="成效特别突出", requested_by=water, decision_reason="")
    model("nominations.Evidence").objects.create(
        nominee=nominee, file="evidence/kept.pdf", token="keptevidence01", extension=".pdf",
        original_name="证明材料.pdf", content_type="application/pdf", size=4321, sha256="1" * 64,
        uploaded_by=water)
    model("nominations.Extension").objects.create(cycle=open_cycle, bureau=bureau,
                                                  new_deadline=open_cycle.deadline + datetime.timedelta(days=7),
                                                  reason="机构调整", granted_by=admin)
    model("nominations.ReminderSettings").objects.get_or_create(programme=programme)
    model("nominations.ReminderTemplate").objects.create(kind="deadline", subject="截止提醒",
                                                        body="请于截止时间前提交名单。")

    # reviews
    model("reviews.Bulletin").objects.create(cycle=published, version=1, file="bulletins/kept.pdf",
                                             sha256="2" * 64, error="", ofd_file="bulletins/kept.ofd",
                                             ofd_sha256="3" * 64, status="done")
    model("reviews.CycleReopening").objects.create(cycle=published, reason="更正笔误", reopened_by=admin)
    model("reviews.Disbursement").objects.create(award=award, amount=Decimal("10000.00"),
                                                 paid_on=datetime.date(published.year + 1, 3, 1),
                                                 reference="GZCZ-0001", entered_by=User.objects.get(username="finance"))
    model("reviews.HigherAward").objects.create(cycle=published, document_number="国办发〔2023〕1号",
                                                higher_measure="国务院督查激励", unit=unit,
                                                awarded_on=datetime.date(published.year, 6, 1), recorded_by=reviewer)
    model("reviews.ListReading").objects.create(nomination_list=a_list, reader=reviewer, read_at=NOW)
    model("reviews.MissingListAcknowledgement").objects.create(
        cycle=published, category=Category.objects.exclude(
            pk__in=NominationList.objects.filter(cycle=published).values("category")).order_by("pk").first()
        or category, reason="本年度无符合条件的单位", acknowledged_by=reviewer)
    model("reviews.Objection").objects.create(
        cycle=published, receipt="KEPT-0001", category=award.category, unit=award.unit, name="张三",
        contact="13800000000", email="zhang@example.org", grounds="事迹不实", evidence="objections/kept.pdf",
        evidence_token="keptobjection1", evidence_extension=".pdf", evidence_name="异议材料.pdf",
        evidence_type="application/pdf", evidence_sha256="4" * 64, settlement="")

    # Keep the generated audit trail small: the newest records only.
    Audit = model("organisation.AuditEntry")
    keep = list(Audit.objects.order_by("-pk").values_list("pk", flat=True)[:AUDIT_KEEP])
    Audit.objects.exclude(pk__in=keep).delete()


def empty_tables():
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        empty = []
        for table in tables:
            if table.startswith("sqlite_"):
                continue
            cursor.execute('SELECT COUNT(*) FROM "%s"' % table)
            if cursor.fetchone()[0] == 0:
                empty.append(table)
    return empty


if __name__ == "__main__":
    fill()
    still_empty = empty_tables()
    if still_empty:
        sys.exit("still empty: " + ", ".join(still_empty))
    print("every table holds at least one row")
