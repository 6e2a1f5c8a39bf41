"""Several governments' programmes in one deployment: the programme as the root of bureaus, units, documents and
cycles; notices imported into a programme bind to its bureaus only; two programmes with cycles of the same year
run side by side without either seeing the other's objects; the migration attaches existing data to Guangzhou's."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from incentives.errors import DomainError
from measures.importing.notice_plan import plan_notice_text
from measures.importing.plan import new_document_fields
from measures.importing.services import catalogue_import
from measures.models import IncentiveCategory, Measure, PolicyDocument, Responsibility
from nominations.deadlines import default_deadline_for
from nominations.models import BEIJING, Cycle, NominationList, Nominee, ReminderSettings
from nominations.services import cycle_open
from organisation import roles
from organisation.models import AuditEntry, Bureau, Programme, Unit, UnitKind
from organisation.selectors import units_visible_to
from organisation.services import programme_create, programme_reviewers_set
from reviews import bulletins
from reviews.models import Award

from .factories import make_user
from .notice_data import (
    PROVINCIAL,
    PROVINCIAL_BUREAUS,
    PROVINCIAL_EXPECTED,
    check_provincial,
    expected_state_council_roles,
    measure_roles,
    state_council_notice,
    state_council_rows,
)

pytestmark = pytest.mark.django_db

JIANGSU = {"code": "jiangsu", "name": "江苏省督查激励", "government": "江苏省人民政府", "level": "provincial",
           "general_office": "江苏省人民政府办公厅", "bureau_prefix": "省", "place_name": "江苏省",
           "issuer_mark": "江苏省人民政府办公厅文件", "number_prefix": "苏政办", "addressees": "各设区市人民政府，省各委办厅局",
           "copies_to": "省委各部门。", "printing_office": "江苏省人民政府办公厅秘书处"}
NATIONAL = {"code": "national", "name": "国务院督查激励", "government": "国务院", "level": "national",
            "general_office": "国务院办公厅", "bureau_prefix": "", "issuer_mark": "国务院办公厅文件",
            "number_prefix": "国办发", "addressees": "各省、自治区、直辖市人民政府，国务院各部委、各直属机构",
            "printing_office": "国务院办公厅秘书局"}


def guangzhou() -> Programme:
    return Programme.objects.get(is_default=True)


# --- the model ------------------------------------------------------------------------------------------------


def test_guangzhou_is_the_one_default_programme_and_everything_of_the_fixture_is_its():
    default = guangzhou()
    assert (default.code, default.number_prefix, default.bureau_prefix) == ("guangzhou", "穗府办", "市")
    assert not Bureau.objects.exclude(programme=default).exists()
    assert not Unit.objects.exclude(programme=default).exists()
    assert not PolicyDocument.objects.exclude(programme=default).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Programme.objects.create(**{**JIANGSU, "is_default": True})


def test_programme_create_is_audited_and_refuses_bad_input(administrator, reviewer):
    programme = programme_create(actor=administrator, **JIANGSU)
    assert AuditEntry.objects.filter(action="programme.created", target_id=programme.pk).exists()
    with pytest.raises(DomainError, match="code"):
        programme_create(actor=administrator, **{**JIANGSU, "name": "又一个"})  # the code is taken
    with pytest.raises(DomainError, match="level"):
        programme_create(actor=administrator, **{**JIANGSU, "code": "x", "level": "galactic"})
    with pytest.raises(DomainError):
        programme_create(actor=reviewer, **{**JIANGSU, "code": "y"})
    assert Programme.objects.count() == 2


def test_names_numbers_and_years_are_unique_per_programme(administrator):
    jiangsu = programme_create(actor=administrator, **JIANGSU)
    # The same short name, document number and year as Guangzhou's, in another programme.
    Bureau.objects.create(programme=jiangsu, short_name="市水务局", full_name="某市水务局")
    Unit.objects.create(programme=jiangsu, kind_id=UnitKind.DISTRICT, name="越秀区")
    document = PolicyDocument.objects.create(programme=jiangsu, number="穗府办〔2022〕30号", title="同号文件", issuer="江苏")
    year = 2031
    Cycle.objects.create(year=year, document=PolicyDocument.objects.get(number="穗府办〔2022〕30号", programme=guangzhou()),
                         opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING), deadline=default_deadline_for(year))
    theirs = Cycle.objects.create(year=year, document=document, opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                  deadline=default_deadline_for(year))
    assert theirs.programme == jiangsu  # the document's programme
    with pytest.raises(IntegrityError), transaction.atomic():
        Bureau.objects.create(programme=jiangsu, short_name="市水务局", full_name="另一个")
    with pytest.raises(IntegrityError), transaction.atomic():
        Cycle.objects.create(year=year, document=document, opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                             deadline=default_deadline_for(year))


def test_reminder_settings_are_one_row_per_programme(administrator):
    jiangsu = programme_create(actor=administrator, **JIANGSU)
    ReminderSettings.objects.create(programme=guangzhou(), send_from_hour=6)
    ReminderSettings.objects.create(programme=jiangsu, send_from_hour=10)
    assert ReminderSettings.current().send_from_hour == 6
    assert ReminderSettings.current(jiangsu).send_from_hour == 10
    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSettings.objects.create(programme=jiangsu)


# --- importing into a programme --------------------------------------------------------------------------------


def test_the_state_council_notice_imports_into_a_national_programme_with_its_own_bureaus(administrator, tmp_path):
    national = programme_create(actor=administrator, **NATIONAL)
    notice = tmp_path / "guobanfa-2018-117.txt"
    notice.write_text(state_council_notice(), encoding="utf-8")
    guangzhou_bureaus = set(Bureau.objects.filter(programme=guangzhou()).values_list("pk", flat=True))
    call_command("import_notice", str(notice), "--number", "国办发〔2018〕117号", "--programme", "national",
                 "--create-bureaus", verbosity=0)
    document = PolicyDocument.objects.get(number="国办发〔2018〕117号")
    assert document.programme == national
    measures = {m.number: m for m in Measure.objects.filter(document=document)}
    assert sorted(measures) == list(range(1, 31))
    departments = {n for r in state_council_rows() for n in r["responsible_department"].removesuffix("会同有关部门").split("、")}
    assert set(national.bureaus.values_list("short_name", flat=True)) == departments
    assert set(Bureau.objects.filter(programme=guangzhou()).values_list("pk", flat=True)) == guangzhou_bureaus
    for row in state_council_rows():
        measure = measures[int(row["number"])]
        assert measure_roles(measure) == [expected_state_council_roles(row["responsible_department"])], row["number"]
    assert not Responsibility.objects.filter(category__measure__document=document).exclude(bureau__programme=national).exists()
    # Imported again with its categories: the dry run and the real run agree, nothing is added.
    call_command("import_notice", str(notice), "--document", "国办发〔2018〕117号", "--programme", "national",
                 "--dry-run", verbosity=0)
    assert national.bureaus.count() == len(departments)


def test_provincial_clauses_import_into_a_provincial_programme(administrator):
    jiangsu = programme_create(actor=administrator, **JIANGSU)
    for name in PROVINCIAL_BUREAUS:
        Bureau.objects.create(programme=jiangsu, short_name=name, full_name=f"江苏{name}")
    plan = plan_notice_text(PROVINCIAL, new_document=new_document_fields(number="苏政办发〔2024〕1号"), programme=jiangsu)
    check_provincial(plan)
    document = catalogue_import(actor=administrator, plan=plan)
    assert document.programme == jiangsu
    imported = {m.number: m for m in Measure.objects.filter(document=document)}
    for number, (categories, _kinds) in PROVINCIAL_EXPECTED.items():
        assert measure_roles(imported[number]) == categories, number
    assert not Responsibility.objects.filter(category__measure__document=document).exclude(bureau__programme=jiangsu).exists()


def test_a_bare_name_binds_to_the_importing_programmes_bureau_never_guangzhous(administrator):
    jiangsu = programme_create(actor=administrator, **JIANGSU)
    theirs = Bureau.objects.create(programme=jiangsu, short_name="省发展改革委", full_name="江苏省发展和改革委员会")
    text = "一、对营商环境改善明显的设区市，予以表扬。（发展改革委负责）"
    plan = plan_notice_text(text, new_document=new_document_fields(number="苏政办〔2025〕1号"), programme=jiangsu)
    assert plan.is_valid, plan.all_errors
    assert plan.measures[0].categories[0].responsibilities[0][1] == theirs
    ours = plan_notice_text(text, new_document=new_document_fields(number="穗府办〔2025〕1号"))
    assert ours.measures[0].categories[0].responsibilities[0][1] == Bureau.objects.get(short_name="市发展改革委")
    # A name Jiangsu does not have is unknown there, suggested from Jiangsu's bureaus only.
    unknown = plan_notice_text("一、对甲的设区市予以支持。（市水务局负责）", new_document=new_document_fields(number="苏政办〔2025〕2号"),
                               programme=jiangsu)
    assert not unknown.is_valid and "市水务局" in unknown.unknown_bureaus


def test_an_unknown_programme_code_is_refused_by_the_commands(tmp_path):
    notice = tmp_path / "n.txt"
    notice.write_text("一、对甲的区予以支持。（市水务局负责）", encoding="utf-8")
    with pytest.raises(Exception, match="No programme with the code 'nowhere'"):
        call_command("import_notice", str(notice), "--number", "X〔2025〕1号", "--programme", "nowhere", verbosity=0)
    assert not PolicyDocument.objects.filter(number="X〔2025〕1号").exists()


def test_create_programme_command(capsys):
    call_command("create_programme", "zhejiang", "--name", "浙江省督查激励", "--government", "浙江省人民政府",
                 "--level", "provincial", "--general-office", "浙江省人民政府办公厅", "--bureau-prefix", "省",
                 "--number-prefix", "浙政办")
    programme = Programme.objects.get(code="zhejiang")
    assert programme.issuer_mark == "浙江省人民政府办公厅文件" and not programme.is_default


# --- two programmes side by side -------------------------------------------------------------------------------


@pytest.fixture
def two_programmes(administrator):
    """Guangzhou's and Jiangsu's programmes, each with a cycle of the same year, a list with a nominee and an
    award, a clerk and a reviewer."""
    year = 2032
    jiangsu = programme_create(actor=administrator, **JIANGSU)
    bureau_b = Bureau.objects.create(programme=jiangsu, short_name="省水利厅", full_name="江苏省水利厅")
    unit_b = Unit.objects.create(programme=jiangsu, kind_id=UnitKind.DISTRICT, name="南京市", division_order=1)
    document_b = PolicyDocument.objects.create(programme=jiangsu, number="苏政办发〔2024〕1号", title="江苏通知",
                                               issuer="江苏省人民政府办公厅", in_force=True)
    measure_b = Measure.objects.create(document=document_b, number=1, numeral="一", title="河长制", text="（省水利厅负责）")
    category_b = IncentiveCategory.objects.create(measure=measure_b, code="1", name="河长制", order=1)
    category_b.subject_kinds.add(UnitKind.DISTRICT)
    Responsibility.objects.create(category=category_b, bureau=bureau_b, role="lead")
    clerk_b = make_user("js_clerk", role=roles.BUREAU_STAFF, bureaus=[bureau_b])
    reviewer_b = make_user("js_reviewer", role=roles.REVIEWER)
    programme_reviewers_set(actor=administrator, programme=jiangsu, users=[reviewer_b])
    cycle_b = cycle_open(actor=administrator, year=year, programme=jiangsu)
    cycle_a = cycle_open(actor=administrator, year=year)
    assert (cycle_a.programme, cycle_b.programme) == (guangzhou(), jiangsu)

    category_a = IncentiveCategory.objects.get(code="6", measure__document__in_force=True, measure__document__programme=guangzhou())
    bureau_a = Bureau.objects.get(short_name="市水务局", programme=guangzhou())
    unit_a = Unit.objects.get(name="越秀区", programme=guangzhou())
    lists = {}
    for key, cycle, category, bureau, unit in (("a", cycle_a, category_a, bureau_a, unit_a),
                                               ("b", cycle_b, category_b, bureau_b, unit_b)):
        nl = NominationList.objects.create(cycle=cycle, category=category, bureau=bureau, state="decided",
                                           created_by=administrator, submitted_by=administrator,
                                           submitted_at=cycle.deadline - datetime.timedelta(days=1))
        nominee = Nominee.objects.create(nomination_list=nl, unit=unit, rank=1, achievements="成效明显")
        Award.objects.create(cycle=cycle, category=category, unit=unit, nominee=nominee, slot=1)
        lists[key] = nl
    return {"year": year, "jiangsu": jiangsu, "cycle_a": cycle_a, "cycle_b": cycle_b, "category_a": category_a,
            "category_b": category_b, "clerk_b": clerk_b, "reviewer_b": reviewer_b, "lists": lists,
            "unit_a": unit_a, "unit_b": unit_b}


def _get(client, user, url):
    client.force_login(user)
    return client.get(url).status_code


def test_lists_and_reviews_of_two_programmes_of_the_same_year_stay_apart(client, two_programmes, clerk_water, reviewer):
    w = two_programmes
    year = w["year"]
    list_a = reverse("nominations:list", args=[year, w["category_a"].pk])
    list_b = reverse("nominations:list", args=[year, w["category_b"].pk])
    # Each programme's people reach their own list, never the other's.
    assert _get(client, clerk_water, list_a) == 200 and _get(client, clerk_water, list_b) == 404
    assert _get(client, w["clerk_b"], list_b) == 200 and _get(client, w["clerk_b"], list_a) == 404
    assert _get(client, reviewer, list_a) == 200 and _get(client, reviewer, list_b) == 404
    assert _get(client, w["reviewer_b"], list_b) == 200 and _get(client, w["reviewer_b"], list_a) == 404
    review_a = reverse("reviews:list", args=[w["lists"]["a"].pk])
    review_b = reverse("reviews:list", args=[w["lists"]["b"].pk])
    assert _get(client, reviewer, review_a) == 200 and _get(client, reviewer, review_b) == 404
    assert _get(client, w["reviewer_b"], review_b) == 200 and _get(client, w["reviewer_b"], review_a) == 404
    # The queue of the same year shows each reviewer their programme's cycle.
    client.force_login(w["reviewer_b"])
    queue = client.get(reverse("reviews:queue") + f"?year={year}")
    assert queue.context["cycle"] == w["cycle_b"]
    assert client.get(reverse("reviews:queue") + "?programme=guangzhou").status_code == 404
    client.force_login(reviewer)
    assert client.get(reverse("reviews:queue") + f"?year={year}").context["cycle"] == w["cycle_a"]
    # The nominee units offered are the programme's.
    NominationList.objects.filter(pk=w["lists"]["b"].pk).update(state="draft")
    client.force_login(w["clerk_b"])
    edit = client.get(reverse("nominations:edit", args=[year, w["category_b"].pk]))
    assert edit.status_code == 200
    assert w["unit_b"].name in edit.content.decode() and "越秀区" not in edit.content.decode()
    assert list(units_visible_to(w["clerk_b"])) == [w["unit_b"]]
    assert w["unit_b"] not in units_visible_to(clerk_water)


def test_a_reviewer_of_two_programmes_switches_between_them(client, two_programmes, reviewer):
    w = two_programmes
    programme_reviewers_set(actor=None, programme=w["jiangsu"], users=[w["reviewer_b"], reviewer])
    programme_reviewers_set(actor=None, programme=guangzhou(), users=[reviewer])
    client.force_login(reviewer)
    assert client.get(reverse("reviews:queue")).context["cycle"] == w["cycle_a"]
    switched = client.get(reverse("reviews:queue") + "?programme=jiangsu")
    assert switched.context["cycle"] == w["cycle_b"] and len(switched.context["programmes"]) == 2
    # The choice is kept: a page with a year is now Jiangsu's.
    assert client.get(reverse("reviews:notice", args=[w["year"]])).context["cycle"] == w["cycle_b"]
    assert client.get(reverse("reviews:list", args=[w["lists"]["a"].pk])).status_code == 200


def test_publication_results_and_bulletins_stay_apart(client, two_programmes, reviewer):
    w = two_programmes
    year = w["year"]
    for cycle in (w["cycle_a"], w["cycle_b"]):
        Cycle.objects.filter(pk=cycle.pk).update(state="published", published_at=timezone.now())
    index = client.get(reverse("results:index"))
    assert [c.programme_id for c in index.context["cycles"]] == [guangzhou().pk]
    theirs = client.get(reverse("programme_results:index", args=["jiangsu"]))
    assert [c.pk for c in theirs.context["cycles"]] == [w["cycle_b"].pk]
    ours = client.get(reverse("results:cycle", args=[year])).content.decode()
    assert "越秀区" in ours and "南京市" not in ours
    page_b = client.get(reverse("programme_results:cycle", args=["jiangsu", year])).content.decode()
    assert "南京市" in page_b and "越秀区" not in page_b
    assert client.get(reverse("programme_results:cycle", args=["nowhere", year])).status_code == 404
    # The bulletin reads its programme's texts.
    cycle_b = Cycle.objects.get(pk=w["cycle_b"].pk)
    context = bulletins.bulletin_context(cycle_b)
    assert (context.issuer_mark, context.issuer, context.addressees, context.printing_office) == (
        "江苏省人民政府办公厅文件", "江苏省人民政府办公厅", JIANGSU["addressees"], JIANGSU["printing_office"])
    assert context.number.startswith("苏政办〔") and context.title.startswith("江苏省人民政府办公厅关于")
    assert context.awardees == ["南京市"]
    cycle_a = Cycle.objects.get(pk=w["cycle_a"].pk)
    assert bulletins.bulletin_context(cycle_a).issuer_mark == "广州市人民政府办公厅文件"
    # The bulletin's versions: each reviewer their programme's cycle of the year.
    client.force_login(w["reviewer_b"])
    assert client.get(reverse("bulletins:versions", args=[year])).context["cycle"] == cycle_b


def test_the_document_number_takes_the_programmes_prefix(two_programmes, reviewer):
    w = two_programmes
    cycle_b = w["cycle_b"]
    issue_year = bulletins.bulletin_issue_year(cycle_b)
    with pytest.raises(DomainError, match="苏政办"):
        bulletins.bulletin_number_set(actor=w["reviewer_b"], cycle=cycle_b, number=f"穗府办〔{issue_year}〕3号")
    bulletins.bulletin_number_set(actor=w["reviewer_b"], cycle=cycle_b, number=f"苏政办〔{issue_year}〕3号")
    # The same serial in Guangzhou's own series is another number: both stand.
    bulletins.bulletin_number_set(actor=reviewer, cycle=w["cycle_a"], number=f"穗府办〔{issue_year}〕3号")


def test_a_unit_of_another_programme_cannot_be_proposed(two_programmes):
    from nominations.services import NomineeEntry, _validate_entries

    w = two_programmes
    entry = NomineeEntry(unit=w["unit_a"], achievements="成效明显")
    with pytest.raises(DomainError, match="another programme"):
        _validate_entries(w["lists"]["b"], [entry], False, "")


# --- the migration --------------------------------------------------------------------------------------------

BASELINE = [("organisation", "0001_initial"), ("measures", "0001_initial"), ("nominations", "0001_initial")]


# A real commit: migrating back and forth alters the schema, which cannot run inside the test's transaction.
@pytest.mark.django_db(transaction=True)
def test_the_migration_attaches_existing_rows_to_guangzhous_programme():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BASELINE)
        old = MigrationExecutor(connection).loader.project_state(BASELINE).apps
        kind = old.get_model("organisation", "UnitKind").objects.get(code="district")
        bureau = old.get_model("organisation", "Bureau").objects.create(short_name="市迁移局", full_name="广州市迁移局")
        unit = old.get_model("organisation", "Unit").objects.create(name="迁移区", kind=kind, division_order=7)
        document = old.get_model("measures", "PolicyDocument").objects.create(
            title="迁移通知", number="穗府办〔2019〕9号", issuer="广州市人民政府办公厅")
        measure = old.get_model("measures", "Measure").objects.create(document=document, number=1, numeral="一",
                                                                      title="迁移", text="（市迁移局负责）")
        category = old.get_model("measures", "IncentiveCategory").objects.create(measure=measure, code="1", name="迁移")
        cycle = old.get_model("nominations", "Cycle").objects.create(
            year=2019, document=document, opens_at=datetime.datetime(2019, 1, 1, tzinfo=BEIJING),
            deadline=default_deadline_for(2019), bulletin_number="穗府办〔2020〕9号")
        nomination_list = old.get_model("nominations", "NominationList").objects.create(
            cycle=cycle, category=category, bureau=bureau)
        old.get_model("nominations", "ReminderSettings").objects.create(pk=1, send_from_hour=7)

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    programme = Programme.objects.get(is_default=True)
    assert programme.code == "guangzhou" and programme.number_prefix == "穗府办"
    bureau_now = Bureau.objects.get(pk=bureau.pk)
    assert (bureau_now.programme, bureau_now.short_name, bureau_now.full_name) == (programme, "市迁移局", "广州市迁移局")
    unit_now = Unit.objects.get(pk=unit.pk)
    assert (unit_now.programme, unit_now.name, unit_now.division_order) == (programme, "迁移区", 7)
    document_now = PolicyDocument.objects.get(pk=document.pk)
    assert (document_now.programme, document_now.number) == (programme, "穗府办〔2019〕9号")
    cycle_now = Cycle.objects.get(pk=cycle.pk)
    assert (cycle_now.programme, cycle_now.year, cycle_now.bulletin_number) == (programme, 2019, "穗府办〔2020〕9号")
    list_now = NominationList.objects.select_related("cycle", "category", "bureau").get(pk=nomination_list.pk)
    assert (list_now.cycle_id, list_now.category_id, list_now.bureau_id) == (cycle.pk, category.pk, bureau.pk)
    assert ReminderSettings.current(programme).send_from_hour == 7
    assert not Bureau.objects.exclude(programme=programme).exists()


def test_a_cycle_is_its_documents_programmes(administrator):
    jiangsu = programme_create(actor=administrator, **JIANGSU)
    document = PolicyDocument.objects.create(programme=jiangsu, number="苏政办发〔2024〕9号", title="t", issuer="i")
    cycle = Cycle(year=2040, document=document, opens_at=datetime.datetime(2040, 1, 1, tzinfo=BEIJING),
                  deadline=default_deadline_for(2040))
    cycle.save()
    assert cycle.programme_id == jiangsu.pk
    with pytest.raises(ValidationError):
        Programme(**{**JIANGSU, "code": "not a slug!"}).full_clean()


def test_the_export_commands_take_the_programme(two_programmes):
    import io

    year = two_programmes["year"]
    theirs, ours = io.StringIO(), io.StringIO()
    call_command("export_awards", "--cycle", str(year), "--programme", "jiangsu", stdout=theirs)
    call_command("export_awards", "--cycle", str(year), stdout=ours)
    assert "南京市" in theirs.getvalue() and "越秀区" not in theirs.getvalue()
    assert "越秀区" in ours.getvalue() and "南京市" not in ours.getvalue()


def test_an_extension_is_granted_only_to_a_bureau_of_the_cycles_programme(two_programmes, reviewer):
    from nominations.services import extension_grant

    w = two_programmes
    bureau_a = Bureau.objects.get(short_name="市水务局")
    later = w["cycle_b"].deadline + datetime.timedelta(days=5)
    with pytest.raises(DomainError, match="another programme"):
        extension_grant(actor=reviewer, cycle=w["cycle_b"], bureau=bureau_a, new_deadline=later, reason="延期")
    assert not w["cycle_b"].extensions.exists()


def test_the_review_services_refuse_a_reviewer_of_another_programme(two_programmes, reviewer):
    from incentives.errors import PermissionDeniedError
    from nominations import phases
    from organisation.access import NotYours
    from reviews.services import nomination_list_return, nominee_decide

    w = two_programmes
    list_b = w["lists"]["b"]
    NominationList.objects.filter(pk=list_b.pk).update(state="submitted")
    # The door answers for another programme's object as if it did not exist (404 when a view lets it through).
    with pytest.raises(NotYours):
        nomination_list_return(actor=reviewer, nomination_list=list_b, reason="材料不全")
    with pytest.raises(NotYours):
        nominee_decide(actor=reviewer, nominee=list_b.nominees.get(), approved=False, comment="不符合")
    with pytest.raises(PermissionDeniedError):
        phases.cycle_transition_check(actor=reviewer, cycle=w["cycle_b"], name="begin_review")
    assert NominationList.objects.get(pk=list_b.pk).state == "submitted"
    # Their own reviewer is let through to the next check.
    returned = nomination_list_return(actor=w["reviewer_b"], nomination_list=list_b, reason="材料不全")
    assert returned.state == "returned"
