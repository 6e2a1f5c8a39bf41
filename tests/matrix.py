"""The permission matrix (not a test module; its tests are tests/test_permission_matrix.py, and
tests/test_bad_request_corpus.py reuses the ``world``): every URL of the application, every kind of person, objects inside and outside scope.

How it works
------------
``MATRIX`` has one entry per URL name. An entry lists *cases*: how to build the URL's arguments (from the shared
``world`` below), which HTTP method to use, and the status each persona must get. ``test_every_url_is_in_the_matrix``
walks the project's URL resolver and fails when a URL name has no entry (or an entry names a URL that is gone):
**when you add a view, add its row here.**

Personas: ``anonymous``; three clerks, ``water`` (市水务局), ``ndrc`` (市发展改革委), ``forestry`` (市林业园林局);
``reviewer`` (General Office); ``administrator`` (superuser with the administrator role) and ``role_admin`` (the
role without superuser, expected to get the same: the system administrator); ``security_admin`` and
``audit_admin`` (the two other administrators of 三员分立); ``inactive`` (a disabled 市水务局 clerk who still holds a
session cookie); ``finance`` (a 市财政局 clerk: Guangzhou's finance staff, and a register clerk since 市财政局 is
responsible for measure 32) and ``register`` (a 市绩效办 clerk: a register clerk only).

The second programme (Jiangsu's, ``_second_programme``) has its own people: ``js_clerk`` (省水利厅, owner of its
list), ``js_finance`` (a clerk of its finance bureau, short-named 市财政局 and named by ``Programme.finance_bureau``,
responsible for its category earned by higher-level incentives: finance staff and register clerk there),
``js_register`` (省绩效办, jointly responsible for that category: a register clerk only) and ``js_reviewer`` (listed
in its ``reviewers``). A person of one programme on an object of the other gets 404; on a page without an object
in its address (the queue, the funds, the rules overview, a year that both programmes have …) the same as the same
role of the other programme, their own programme's page. ``finance`` and ``register`` get what ``forestry`` (an
unrelated clerk) gets except on the funds pages and the register.

Objects in scope and out of scope: the ``world`` has a cycle with two nomination lists,

* category "6": 市水务局 leads it (``water`` is its *owner*), 市发展改革委 is co-responsible (``ndrc`` is *co*),
  ``forestry`` is *unrelated*;
* category "19-2": 市林业园林局 runs it separately (``forestry`` is its *owner*), ``water`` and ``ndrc`` are
  *unrelated*.

``on_lists(...)`` states the expectation once per relation (owner, co, unrelated, reviewer, administrator) and
checks both lists, so every clerk is tried on an object inside and one outside their scope.

Expected values: an HTTP status (200, 404, 405 …), ``LOGIN`` (302 to the login page) or ``REDIRECT`` (302
anywhere else: a form posted and redirected, a landing page). Each request runs in a savepoint that is rolled back,
so POSTs change nothing for the next one.

Where a view answers differently from what the rules say, the cell goes in ``KNOWN_DEVIATIONS`` with the actual
status and why; the test accepts that value and fails as soon as the view is fixed, so the entry gets removed.
"""

from __future__ import annotations

import datetime
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from api import services as api_services
from evaluation.models import Criteria, Expert, Indicator, IndicatorEvidence, Panel, PanelMember
from measures.models import ImplementationRules, IncentiveCategory, Measure, PolicyDocument, Responsibility
from nominations.deadlines import default_deadline_for
from nominations.models import (
    BEIJING,
    CapExceptionRequest,
    Cycle,
    Evidence,
    ListComment,
    NominationList,
    Nominee,
    ReminderKind,
)
from organisation import roles
from organisation.models import Bureau, Membership, Notification, Programme, Unit, UnitKind
from reviews.models import Award, Bulletin, HigherAward, Objection, ScreeningEvent

from .conftest import _load_catalogue
from .factories import make_user

LOGIN = "302→login"
REDIRECT = "302→elsewhere"

PERSONAS = ["anonymous", "water", "ndrc", "forestry", "reviewer", "administrator", "role_admin", "security_admin",
            "audit_admin", "inactive", "finance", "register", "leader", "js_clerk", "js_finance", "js_register",
            "js_reviewer", "expert", "expert_other", "js_expert"]
# ``leader`` is the leader of 市水务局 (``Membership.is_leader``): a member of the bureau like ``water``, who also
# signs off its lists (签发). Everywhere else it gets what ``water`` gets. ``js_clerk`` leads 省水利厅 too.
# ``role_admin`` holds the administrator role without being a superuser: it must get exactly what ``administrator``
# gets. A superuser passes every ``has_perm`` check, so a view that asks ``has_perm`` instead of a selector shows
# up as a superuser reaching a list it may not edit; a view that asks ``is_superuser`` shows up as the two differing.
CLERKS = ["water", "ndrc", "forestry"]
# 三员分立: ``role_admin`` is the system administrator; ``security_admin`` and ``audit_admin`` hold the two other
# administrator roles. Outside the admin they are signed-in people without a bureau: on a bureau's list they are
# *unrelated*, and by default they get what a clerk gets on a page that is not about a list.
OTHER_ADMINS = ["security_admin", "audit_admin"]
# Guangzhou's finance staff (市财政局) and register clerk (市绩效办): clerks unrelated to the world's lists.
FUNDS_CLERKS = ["finance", "register"]
# The second programme's people: on Guangzhou's objects they are *foreign*.
JIANGSU = ["js_clerk", "js_finance", "js_register", "js_reviewer"]
# Experts of the pools (role ``expert``): ``expert`` sits on Guangzhou's panel of "6", ``expert_other`` on its panel
# of "19-2", ``js_expert`` on Jiangsu's panel. They belong to no bureau and read no programme's objects: on every
# page but their panels (and their declaration of interests) they get what a person of another programme gets.
EXPERTS = ["expert", "expert_other", "js_expert"]
# Every POST carries a valid CSRF token (the clients enforce the checks): a 403 for a missing token masks nothing.
CSRF_SECRET = "matrixCsrfSecret0123456789abcdef"

# URL prefixes tested elsewhere (tests/test_accounts_admin.py, tests/test_accounts_login.py) or not views.
EXCLUDED_PREFIXES = ("admin/", "i18n/", "static/", "media/")


# ---------------------------------------------------------------------------------------------------------------
# The world: people, a cycle, lists inside and outside each clerk's scope
# ---------------------------------------------------------------------------------------------------------------

@dataclass
class Scope:
    """One category's list in the current cycle, with who stands where towards it."""

    label: str
    category: IncentiveCategory
    nomination_list: NominationList
    nominee: Nominee
    evidence: Evidence
    owner: str
    co: tuple[str, ...] = ()

    def relation(self, persona: str) -> str:
        if persona == "role_admin":
            return "administrator"
        if persona == "leader":
            return "leader" if self.owner == "water" else "unrelated"
        if persona == self.owner:
            return "owner"
        if persona in self.co:
            return "co"
        if persona in JIANGSU or persona in EXPERTS:
            return "foreign"
        if persona in CLERKS or persona in OTHER_ADMINS or persona in FUNDS_CLERKS:
            return "unrelated"
        return persona


@dataclass
class World:
    users: dict
    clients: dict
    cycle: Cycle
    published: Cycle
    scopes: list[Scope]
    unit: Unit
    extra: dict = field(default_factory=dict)


def _evidence(nominee: Nominee, user, name: str) -> Evidence:
    body = b"%PDF-1.4\n% matrix evidence\n"
    token = hashlib.sha256(f"{nominee.pk}-{name}".encode()).hexdigest()[:32]
    evidence = Evidence(nominee=nominee, token=token, extension=".pdf", original_name=name,
                        content_type="application/pdf", size=len(body), sha256=hashlib.sha256(body).hexdigest(),
                        uploaded_by=user)
    evidence.file.save(name, ContentFile(body), save=False)
    evidence.save()
    return evidence


def _bulletin(cycle: Cycle, user) -> Bulletin:
    body = b"%PDF-1.4\n% matrix bulletin\n"
    bulletin = Bulletin(cycle=cycle, version=1, status=Bulletin.Status.DONE, sha256=hashlib.sha256(body).hexdigest(),
                        size=len(body), requested_by=user, finished_at=timezone.now())
    bulletin.file.save("bulletin.pdf", ContentFile(body), save=False)
    bulletin.ofd_file.save("bulletin.ofd", ContentFile(b"PK\x03\x04 matrix bulletin"), save=False)
    bulletin.save()
    return bulletin


def _csrf_client() -> Client:
    """A client that enforces the CSRF checks and holds the token every POST of the matrix sends."""
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


def _with_token(data: dict | None) -> dict:
    return {**(data or {}), "csrfmiddlewaretoken": CSRF_SECRET}


def _build_world() -> World:
    if not IncentiveCategory.objects.exists():  # an earlier transactional test flushed the database
        _load_catalogue()
    bureau = {b.short_name: b for b in Bureau.objects.filter(
        programme__is_default=True, short_name__in=["市水务局", "市发展改革委", "市林业园林局", "市财政局", "市绩效办"])}
    users = {
        "water": make_user("m_water", role=roles.BUREAU_STAFF, bureaus=[bureau["市水务局"]]),
        "ndrc": make_user("m_ndrc", role=roles.BUREAU_STAFF, bureaus=[bureau["市发展改革委"]]),
        "forestry": make_user("m_forestry", role=roles.BUREAU_STAFF, bureaus=[bureau["市林业园林局"]]),
        "reviewer": make_user("m_reviewer", role=roles.REVIEWER),
        "administrator": make_user("m_admin", role=roles.ADMINISTRATOR, is_staff=True, is_superuser=True),
        "role_admin": make_user("m_role_admin", role=roles.ADMINISTRATOR),
        "security_admin": make_user("m_security", role=roles.SECURITY_ADMINISTRATOR),
        "audit_admin": make_user("m_auditor", role=roles.AUDIT_ADMINISTRATOR),
        "inactive": make_user("m_inactive", role=roles.BUREAU_STAFF, bureaus=[bureau["市水务局"]], is_active=False),
        "finance": make_user("m_finance", role=roles.BUREAU_STAFF, bureaus=[bureau["市财政局"]]),
        "register": make_user("m_register", role=roles.BUREAU_STAFF, bureaus=[bureau["市绩效办"]]),
        "leader": make_user("m_leader", role=roles.BUREAU_STAFF, bureaus=[bureau["市水务局"]]),
    }
    Membership.objects.filter(user=users["leader"]).update(is_leader=True)

    categories = {c.code: c for c in IncentiveCategory.objects.filter(measure__document__in_force=True, code__in=["6", "19-2"])}
    document = categories["6"].measure.document
    now = timezone.now().astimezone(BEIJING)
    year = now.year  # the performance year under way: its deadline (next March 31) is ahead
    cycle = Cycle.objects.create(year=year, document=document, opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                 deadline=default_deadline_for(year))
    published = Cycle.objects.create(year=year - 5, document=document,
                                     opens_at=datetime.datetime(year - 5, 1, 1, tzinfo=BEIJING),
                                     deadline=default_deadline_for(year - 5), state=Cycle.State.PUBLISHED,
                                     published_at=timezone.now(), published_by=users["reviewer"])
    districts = list(Unit.objects.filter(kind_id=UnitKind.DISTRICT, is_active=True).order_by("division_order")[:2])

    scopes = []
    for code, owner, co, bureau_name, unit in [("6", "water", ("ndrc",), "市水务局", districts[0]),
                                               ("19-2", "forestry", (), "市林业园林局", districts[1])]:
        nl = NominationList.objects.create(cycle=cycle, category=categories[code], bureau=bureau[bureau_name],
                                           created_by=users[owner])
        nominee = Nominee.objects.create(nomination_list=nl, unit=unit, rank=1, achievements="成效明显")
        evidence = _evidence(nominee, users[owner], f"evidence-{code}.pdf")
        ListComment.objects.create(nomination_list=nl, author=users[owner], bureau=bureau[bureau_name], text="请审阅")
        scopes.append(Scope(label=f"list {code}", category=categories[code], nomination_list=nl, nominee=nominee,
                            evidence=evidence, owner=owner, co=co))
    today = now.date()
    notice = Cycle.objects.create(year=year - 4, document=document,
                                  opens_at=datetime.datetime(year - 4, 1, 1, tzinfo=BEIJING),
                                  deadline=default_deadline_for(year - 4), state=Cycle.State.NOTICE,
                                  notice_starts_on=today, notice_ends_on=today + datetime.timedelta(days=10))
    notice_list = NominationList.objects.create(cycle=notice, category=categories["6"], bureau=bureau["市水务局"],
                                                state=NominationList.State.DECIDED, created_by=users["water"])
    notice_nominee = Nominee.objects.create(nomination_list=notice_list, unit=districts[0], rank=1,
                                            achievements="成效明显")
    notice_award = Award.objects.create(cycle=notice, category=categories["6"], unit=districts[0],
                                        nominee=notice_nominee, slot=1)
    objection = Objection(cycle=notice, receipt=f"{year - 4}-MATRIX01", category=categories["6"], unit=districts[0],
                          award=notice_award, name="陈明", contact="13800000000", grounds="数据不实",
                          evidence_token="f" * 32, evidence_extension=".pdf", evidence_name="objection.pdf",
                          evidence_type="application/pdf")
    objection.evidence.save("objection.pdf", ContentFile(b"%PDF-1.4\n% matrix objection\n"), save=False)
    objection.save()
    rules_body = b"%PDF-1.4\n% matrix rules\n"
    rules = ImplementationRules(measure=categories["6"].measure, bureau=bureau["市水务局"], title="实施办法",
                                token="f" * 32, extension=".pdf", original_name="rules.pdf",
                                content_type="application/pdf", size=len(rules_body),
                                sha256=hashlib.sha256(rules_body).hexdigest(), submitted_by=users["water"],
                                submitted_at=timezone.now())
    rules.file.save("rules.pdf", ContentFile(rules_body), save=False)
    rules.save()
    tianhe = Unit.objects.get(kind_id=UnitKind.DISTRICT, name="天河区")
    higher = HigherAward.objects.create(cycle=cycle, document_number="国办发〔2022〕21号", higher_measure="稳增长",
                                        unit=tianhe, awarded_on=datetime.date(2022, 5, 1), recorded_by=users["reviewer"],
                                        category=IncentiveCategory.objects.get(measure__document=document, code="32-2"))
    extra = {
        "notice": notice,
        "objection": objection,
        "rules": rules,
        "higher_award": higher,
        "exception_request": CapExceptionRequest.objects.create(
            nomination_list=scopes[0].nomination_list, requested_limit=4, reason="成效突出", requested_by=users["water"]),
        "money_award": Award.objects.create(cycle=cycle, category=categories["6"], unit=scopes[0].nominee.unit,
                                            nominee=scopes[0].nominee, slot=1),
        "bulletin_published": _bulletin(published, users["reviewer"]),
        "bulletin_open": _bulletin(cycle, users["reviewer"]),
        "notification": Notification.objects.create(user=users["water"], kind=ReminderKind.choices[0][0],
                                                    title="截止日期提醒"),
    }
    accepted_body = b"%PDF-1.4\n% matrix accepted rules\n"
    accepted = ImplementationRules(measure=categories["19-2"].measure, bureau=bureau["市林业园林局"], title="林长制实施办法",
                                   token="e" * 32, extension=".pdf", original_name="accepted.pdf",
                                   content_type="application/pdf", size=len(accepted_body),
                                   sha256=hashlib.sha256(accepted_body).hexdigest(), submitted_by=users["forestry"],
                                   submitted_at=timezone.now(), state=ImplementationRules.State.ACCEPTED,
                                   decided_by=users["reviewer"], decided_at=timezone.now())
    accepted.file.save("accepted.pdf", ContentFile(accepted_body), save=False)
    accepted.save()
    extra["rules_accepted"] = accepted
    extra["tianhe"] = tianhe
    extra["category 10"] = IncentiveCategory.objects.get(measure__document=document, code="10")
    # Each list's criteria for the year (the evaluation's pages), and an evidence file of category 6's indicator.
    for scope in scopes:
        criteria = Criteria.objects.create(category=scope.category, year=year, bureau=scope.nomination_list.bureau,
                                           filed_by=users[scope.owner], filed_at=timezone.now())
        Indicator.objects.create(criteria=criteria, order=1, name="完成率", method="quantity", weight=100,
                                 direction="higher", data_source="统计", evidence_required=True)
        extra[f"criteria {scope.category.code}"] = criteria
    body = b"%PDF-1.4\n% matrix indicator evidence\n"
    proof = IndicatorEvidence(indicator=extra["criteria 6"].indicators.get(), unit=districts[0], token="c" * 32,
                              extension=".pdf", original_name="proof.pdf", content_type="application/pdf",
                              size=len(body), sha256=hashlib.sha256(body).hexdigest(), uploaded_by=users["water"])
    proof.file.save("proof.pdf", ContentFile(body), save=False)
    proof.save()
    extra["indicator_evidence"] = proof
    extra["api_token"] = api_services.token_create(actor=users["water"], name="matrix", scopes=["read"], days=1)[0]
    extra["b"] = b = _second_programme(year, users["reviewer"])
    # A screening event (负面清单) on each programme's awardee of the year: flags to settle.
    extra["screening_event"] = ScreeningEvent.objects.create(
        programme=cycle.programme, unit=extra["money_award"].unit, kind="accountability", source_document="穗纪〔2026〕1号",
        occurred_on=datetime.date(year, 1, 15), recorded_by=users["reviewer"])
    b["screening_event"] = ScreeningEvent.objects.create(
        programme=b["programme"], unit=b["unit"], kind="audit", source_document="苏审〔2026〕1号",
        occurred_on=datetime.date(year, 1, 15), recorded_by=b["reviewer"])
    users.update({"js_clerk": b["clerk"], "js_finance": b["finance"], "js_register": b["register"],
                  "js_reviewer": b["reviewer"]})
    # The experts' panels: Guangzhou's of "6" (``expert``) and of "19-2" (``expert_other``), Jiangsu's (``js_expert``).
    js_criteria = Criteria.objects.create(category=b["category"], year=year, bureau=b["list"].bureau, filed_by=b["clerk"],
                                          filed_at=timezone.now())
    Indicator.objects.create(criteria=js_criteria, order=1, name="完成率", method="quantity", weight=100,
                             direction="higher", data_source="统计")
    for persona, criteria, programme, convener, unit in [
            ("expert", extra["criteria 6"], document.programme, users["reviewer"], districts[0]),
            ("expert_other", extra["criteria 19-2"], document.programme, users["reviewer"], districts[1]),
            ("js_expert", js_criteria, b["programme"], b["reviewer"], b["unit"])]:
        users[persona] = make_user(f"m_{persona}", role=roles.EXPERT)
        expert = Expert.objects.create(programme=programme, user=users[persona], name=persona, field="工业经济",
                                       organisation="大学")
        panel = Panel.objects.create(programme=programme, category=criteria.category, year=year, criteria=criteria,
                                     size=1, expert_fields=["工业经济"], seed=1, pool=[expert.pk],
                                     convened_by=convener, convened_at=timezone.now())
        panel.candidates.add(unit)
        PanelMember.objects.create(panel=panel, expert=expert, order=1)
        extra[f"panel {persona}"] = panel
    clients = {"anonymous": _csrf_client()}
    for name, user in users.items():
        clients[name] = _csrf_client()
        clients[name].force_login(user)
    return World(users=users, clients=clients, cycle=cycle, published=published, scopes=scopes, unit=districts[0],
                 extra=extra)


def _second_programme(year: int, publisher) -> dict:
    """A second programme (Jiangsu's) beside Guangzhou's: a bureau with its clerk, a reviewer, a unit, a document
    with one category, a cycle of the SAME year as the world's with a list, a nominee and evidence, a published
    cycle of the same year as the world's published one, with a bulletin.

    Its funds, register and rules: a finance bureau short-named 市财政局 (a city programme has one) named by
    ``Programme.finance_bureau``, with ``finance``; a register bureau 省绩效办 with ``register``; a category earned by
    higher-level incentives for which both are responsible (so both keep the register); a money award on its list's
    nominee, a rules filing waiting for review, an exception request, and a register entry waiting for confirmation."""
    programme = Programme.objects.create(
        code="jiangsu", name="江苏省督查激励", government="江苏省人民政府", level="provincial",
        general_office="江苏省人民政府办公厅", bureau_prefix="省", place_name="江苏省", issuer_mark="江苏省人民政府办公厅文件",
        number_prefix="苏政办", addressees="各设区市人民政府", printing_office="江苏省人民政府办公厅秘书处")
    bureau = Bureau.objects.create(programme=programme, short_name="省水利厅", full_name="江苏省水利厅")
    finance_bureau = Bureau.objects.create(programme=programme, short_name="市财政局", full_name="江苏某市财政局")
    register_bureau = Bureau.objects.create(programme=programme, short_name="省绩效办", full_name="江苏省绩效办")
    # The programme's finance bureau (``Programme.finance_bureau``); before the field exists save() ignores it.
    programme.finance_bureau = finance_bureau
    programme.save()
    clerk = make_user("m_js_clerk", role=roles.BUREAU_STAFF, bureaus=[bureau])
    Membership.objects.filter(user=clerk).update(is_leader=True)  # signs off 省水利厅's lists too
    finance = make_user("m_js_finance", role=roles.BUREAU_STAFF, bureaus=[finance_bureau])
    register = make_user("m_js_register", role=roles.BUREAU_STAFF, bureaus=[register_bureau])
    reviewer = make_user("m_js_reviewer", role=roles.REVIEWER)
    programme.reviewers.add(reviewer)
    unit = Unit.objects.create(programme=programme, kind_id=UnitKind.DISTRICT, name="南京市", division_order=1)
    document = PolicyDocument.objects.create(programme=programme, number="苏政办发〔2024〕1号", title="江苏通知",
                                             issuer="江苏省人民政府办公厅", in_force=True)
    measure = Measure.objects.create(document=document, number=1, numeral="一", title="河长制", text="（省水利厅负责）")
    category = IncentiveCategory.objects.create(measure=measure, code="1", name="河长制", order=1,
                                                support_forms=["funding"])
    category.subject_kinds.add(UnitKind.DISTRICT)
    Responsibility.objects.create(category=category, bureau=bureau, role="lead")
    matching = Measure.objects.create(document=document, number=2, numeral="二", title="国务院督查激励配套",
                                      text="（市财政局、省绩效办负责）")
    earned = IncentiveCategory.objects.create(measure=matching, code="2", name="获国务院督查激励的市", order=1,
                                              kind="entitlement", support_forms=["matching_funds"],
                                              award_amount=3000000, earned_by_higher_award=True)
    earned.subject_kinds.add(UnitKind.DISTRICT)
    Responsibility.objects.create(category=earned, bureau=finance_bureau, role="joint", order=1)
    Responsibility.objects.create(category=earned, bureau=register_bureau, role="joint", order=2)
    cycle = Cycle.objects.create(year=year, document=document, opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                 deadline=default_deadline_for(year))
    published = Cycle.objects.create(year=year - 5, document=document,
                                     opens_at=datetime.datetime(year - 5, 1, 1, tzinfo=BEIJING),
                                     deadline=default_deadline_for(year - 5), state=Cycle.State.PUBLISHED,
                                     published_at=timezone.now(), published_by=publisher)
    nl = NominationList.objects.create(cycle=cycle, category=category, bureau=bureau, created_by=clerk)
    nominee = Nominee.objects.create(nomination_list=nl, unit=unit, rank=1, achievements="成效明显")
    rules_body = b"%PDF-1.4\n% matrix rules js\n"
    rules = ImplementationRules(measure=measure, bureau=bureau, title="江苏实施办法", token="d" * 32, extension=".pdf",
                                original_name="rules-js.pdf", content_type="application/pdf", size=len(rules_body),
                                sha256=hashlib.sha256(rules_body).hexdigest(), submitted_by=clerk,
                                submitted_at=timezone.now())
    rules.file.save("rules-js.pdf", ContentFile(rules_body), save=False)
    rules.save()
    return {"programme": programme, "clerk": clerk, "reviewer": reviewer, "unit": unit, "measure": measure,
            "category": category, "cycle": cycle, "published": published, "list": nl, "nominee": nominee,
            "evidence": _evidence(nominee, clerk, "evidence-js.pdf"), "bulletin_open": _bulletin(cycle, reviewer),
            "bulletin_published": _bulletin(published, reviewer),
            "finance": finance, "register": register, "finance_bureau": finance_bureau, "earned": earned,
            "rules": rules,
            "money_award": Award.objects.create(cycle=cycle, category=category, unit=unit, nominee=nominee, slot=1),
            "exception_request": CapExceptionRequest.objects.create(nomination_list=nl, requested_limit=4,
                                                                    reason="成效突出", requested_by=clerk),
            "higher_award": HigherAward.objects.create(cycle=cycle, document_number="国办发〔2022〕21号",
                                                       higher_measure="稳增长", unit=unit,
                                                       awarded_on=datetime.date(2022, 5, 1), recorded_by=register,
                                                       category=earned)}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside a transaction that is rolled back at the end; each test adds a savepoint."""
    media = tempfile.TemporaryDirectory(prefix="matrix-media-")
    media_override = override_settings(MEDIA_ROOT=media.name)
    media_override.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = _build_world()
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    yield built
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        atomic.__exit__(None, None, None)
    media_override.disable()
    media.cleanup()


# ---------------------------------------------------------------------------------------------------------------
# The table
# ---------------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    label: str
    kwargs: Callable[[World], dict]
    expect: Callable[[World], dict[str, object]]  # persona → expected
    method: str = "get"
    data: dict | Callable[[World], dict] | None = None


def _check_keys(given: dict, wanted: list[str]) -> None:
    missing = [k for k in wanted if k not in given]
    unknown = [k for k in given if k not in wanted]
    assert not missing and not unknown, f"expectations: missing {missing}, unknown {unknown}"


def _given(value, default):
    return default if value is None else value


def everyone(kwargs=None, *, label="", method="get", data=None, anonymous, clerk, reviewer, administrator,
             inactive=LOGIN, security_admin=None, audit_admin=None, finance=None, register=None, foreign=None,
             leader=None, js_clerk=None, js_finance=None, js_register=None, js_reviewer=None, expert=None,
             expert_other=None, js_expert=None) -> list[Case]:
    """A URL that does not depend on an object in a bureau's scope: all three clerks get ``clerk``, and so do the
    security and audit administrators, the finance staff and the register clerk unless told otherwise.

    The second programme's people get what the same role gets (``js_clerk`` the clerks', ``js_finance`` the finance
    staff's, ``js_register`` the register clerk's, ``js_reviewer`` the reviewer's): their own programme's page. On
    an object of Guangzhou's, ``foreign`` (404) is what every one of them gets unless told otherwise. The experts
    get ``foreign`` where it is given (they read no programme's objects), else what the clerks get."""
    finance, register = _given(finance, clerk), _given(register, clerk)
    if foreign is not None:
        js_defaults = {"js_clerk": foreign, "js_finance": foreign, "js_register": foreign, "js_reviewer": foreign}
    else:
        js_defaults = {"js_clerk": clerk, "js_finance": finance, "js_register": register, "js_reviewer": reviewer}
    expect = {"anonymous": anonymous, "reviewer": reviewer, "administrator": administrator, "role_admin": administrator,
              "inactive": inactive,
              "security_admin": clerk if security_admin is None else security_admin,
              "audit_admin": clerk if audit_admin is None else audit_admin,
              **{c: clerk for c in CLERKS}, "finance": finance, "register": register, "leader": _given(leader, clerk),
              "js_clerk": _given(js_clerk, js_defaults["js_clerk"]),
              "js_finance": _given(js_finance, js_defaults["js_finance"]),
              "js_register": _given(js_register, js_defaults["js_register"]),
              "js_reviewer": _given(js_reviewer, js_defaults["js_reviewer"])}
    outsider = _given(foreign, clerk)
    expect |= {"expert": _given(expert, outsider), "expert_other": _given(expert_other, outsider),
               "js_expert": _given(js_expert, outsider)}
    build = kwargs if callable(kwargs) else (lambda w, k=kwargs or {}: dict(k))
    return [Case(label or "—", build, lambda w, e=expect: e, method, data)]


def on_lists(kwargs: Callable[[World, Scope], dict], *, method="get", data=None, anonymous=LOGIN, owner, co,
             unrelated, reviewer, administrator, inactive=LOGIN, foreign=404, leader=None) -> list[Case]:
    """A URL about one list (or its nominee, evidence …): tried on the list of "6" and on the list of "19-2". The
    second programme's people are ``foreign`` to both (404). The leader of 市水务局 gets what the owner gets on
    its list unless ``leader`` says otherwise, and is unrelated to the other."""
    by_relation = {"anonymous": anonymous, "owner": owner, "co": co, "unrelated": unrelated, "reviewer": reviewer,
                   "administrator": administrator, "inactive": inactive, "foreign": foreign,
                   "leader": _given(leader, owner)}
    cases = []
    for index in range(2):
        def expect(w, i=index):
            scope = w.scopes[i]
            return {p: by_relation[scope.relation(p)] for p in PERSONAS}

        def build(w, i=index):
            return kwargs(w, w.scopes[i])

        cases.append(Case(f"{method.upper()} list {'6' if index == 0 else '19-2'}", build, expect, method, data))
    return cases


def people(default, *, anonymous=LOGIN, inactive=LOGIN, **cells) -> dict[str, object]:
    """Every persona's expectation: ``default`` for the signed-in ones unless given in ``cells``."""
    unknown = set(cells) - set(PERSONAS)
    assert not unknown, f"unknown personas {unknown}"
    cells.setdefault("leader", cells.get("water", default))  # a member of 市水务局 like ``water``
    return {p: cells.get(p, default) for p in PERSONAS} | {"anonymous": anonymous, "inactive": inactive}


def on_jiangsu(kwargs, *, label, method="get", data=None, **cells) -> list[Case]:
    """An object of the second programme: 404 for everyone signed in but the people named in ``cells``
    (administrators, deployment-wide, are named where they get something else than 404)."""
    expect = people(404, **cells)
    return [Case(label, kwargs, lambda w, e=expect: e, method, data)]


def register_entry(unit_key: str) -> Callable[[World], dict]:
    """A valid State Council register entry for a unit of the world (``tianhe``: Guangzhou's; ``js``: Jiangsu's)."""
    def data(w: World) -> dict:
        unit = w.extra["tianhe"] if unit_key == "tianhe" else w.extra["b"]["unit"]
        return {"level": "state_council", "document_number": "国办发〔2023〕9号", "higher_measure": "稳增长",
                "unit": str(unit.pk), "awarded_on": "2023-05-01"}
    return data


def public(kwargs=None, *, label="", status=200) -> list[Case]:
    return everyone(kwargs, label=label, anonymous=status, clerk=status, reviewer=status, administrator=status,
                    inactive=status)


def signed_in(kwargs=None, *, label="", status=200, method="get", data=None, foreign=None) -> list[Case]:
    return everyone(kwargs, label=label, method=method, data=data, anonymous=LOGIN, clerk=status, reviewer=status,
                    administrator=status, foreign=foreign)


def post_only_get(kwargs, *, signed_in_status=405) -> list[Case]:
    """GET on a POST-only view: refused before anything is looked up."""
    return everyone(kwargs, label="GET", anonymous=LOGIN, clerk=signed_in_status, reviewer=signed_in_status,
                    administrator=signed_in_status)


def reviewer_post_only_get(kwargs) -> list[Case]:
    """GET on a POST-only review action: non-reviewers do not find it (404) before the method is checked."""
    return everyone(kwargs, label="GET", anonymous=LOGIN, clerk=404, reviewer=405, administrator=404)


def year_category(w: World, s: Scope) -> dict:
    return {"year": w.cycle.year, "category_id": s.category.pk}


# Read pages of a list: its bureaus (owner and co-responsible), the General Office and administrators.
READ = {"owner": 200, "co": 200, "unrelated": 404, "reviewer": 200, "administrator": 200}
# The bureau's edit pages: the owning bureau only; everyone else, reviewers included, gets 404.
EDIT = {"owner": 200, "co": 404, "unrelated": 404, "reviewer": 404, "administrator": 404}
# The General Office's pages: reviewers only.
REVIEW = {"owner": 404, "co": 404, "unrelated": 404, "reviewer": 200, "administrator": 404}

MATRIX: dict[str, list[Case]] = {
    # --- incentives: start page, accounts, health -------------------------------------------------------------
    "home": everyone(anonymous=LOGIN, clerk=REDIRECT, reviewer=REDIRECT, administrator=REDIRECT),
    # A signed-in person on the login page is sent home; an inactive one is anonymous and sees the form.
    "login": everyone(anonymous=200, clerk=REDIRECT, reviewer=REDIRECT, administrator=REDIRECT, inactive=200),
    "logout": everyone(label="GET", anonymous=405, clerk=405, reviewer=405, administrator=405, inactive=405)
    + everyone(label="POST", method="post", anonymous=LOGIN, clerk=LOGIN, reviewer=LOGIN, administrator=LOGIN,
               inactive=LOGIN),
    "password_change": signed_in(),
    # Each person's own choice of channel (e-mail, WeCom, DingTalk): no object in its address. An empty form: 400.
    "messaging_profile": signed_in() + signed_in(label="POST empty", method="post", status=400),
    "password_change_done": signed_in(),
    "password_reset": public(),
    "password_reset_done": public(),
    # A made-up token: the page says the link is invalid (200), for anyone.
    "password_reset_confirm": public(lambda w: {"uidb64": "MQ", "token": "set-password-made-up"}),
    "password_reset_complete": public(),
    "health": public(),
    "health-live": public(),
    "health-ready": public(),
    # Allowed from 127.0.0.1 outside production (the test client's address); tests/test_ops_observability.py
    # checks the token and the address refusal.
    "metrics": public(),
    # A made-up token: the page says the link is invalid (200), for anyone.
    "invitation_accept": public(lambda w: {"uidb64": "MQ", "token": "set-password-made-up"}),
    # --- measures: the catalogue is open to every signed-in person ---------------------------------------------
    "measures:list": signed_in(),
    "measures:detail": signed_in(lambda w: {"pk": w.scopes[0].category.measure_id}, label="measure 6", foreign=404)
    + signed_in(lambda w: {"pk": 999999}, label="no such measure", status=404),
    "measures:bureaus": signed_in(),
    # --- nominations: the bureau's pages ---------------------------------------------------------------------
    # Every signed-in person has a bureau page; people without a bureau see an empty one.
    "nominations:home": signed_in(),
    "nominations:list": on_lists(year_category, **READ)
    + signed_in(lambda w: {"year": w.cycle.year, "category_id": 999999}, label="no such category", status=404)
    + signed_in(lambda w: {"year": 1990, "category_id": w.scopes[0].category.pk}, label="no such cycle", status=404),
    "nominations:print": on_lists(year_category, **READ),
    "nominations:edit": on_lists(year_category, **EDIT),
    "nominations:submit": on_lists(year_category, **EDIT),
    # The editor's unit chooser (JSON): the bureau that prepares the list; Jiangsu's clerk on Jiangsu's list.
    "nominations:units": on_lists(year_category, **EDIT)
    + on_jiangsu(lambda w: {"year": w.extra["b"]["cycle"].year, "category_id": w.extra["b"]["category"].pk},
                 label="Jiangsu's list", js_clerk=200)
    + signed_in(lambda w: {"year": w.cycle.year, "category_id": 999999}, label="no such category", status=404),
    # The editor's autosave (JSON, POST only): an empty form is refused (400) to the bureau that prepares the list;
    # nobody else finds it; Jiangsu's clerk on Jiangsu's list as Guangzhou's owner on theirs.
    "nominations:autosave": post_only_get(lambda w: year_category(w, w.scopes[0]))
    + on_lists(year_category, method="post", owner=400, co=404, unrelated=404, reviewer=404, administrator=404)
    + on_jiangsu(lambda w: {"year": w.extra["b"]["cycle"].year, "category_id": w.extra["b"]["category"].pk},
                 label="POST Jiangsu's list", method="post", js_clerk=400),
    # The leader's sign-off (签发): the leader of the list's bureau only (the world's lists are drafts, so the
    # page says there is nothing to sign off now, and an empty decision is refused); nobody else finds the page.
    # Jiangsu's clerk leads 省水利厅: Jiangsu's list is theirs to sign off, and no one else's.
    "nominations:sign_off": on_lists(year_category, owner=404, co=404, unrelated=404, reviewer=404,
                                     administrator=404, leader=200)
    + on_lists(year_category, method="post", owner=404, co=404, unrelated=404, reviewer=404, administrator=404,
               leader=400)
    + on_jiangsu(lambda w: {"year": w.extra["b"]["cycle"].year, "category_id": w.extra["b"]["category"].pk},
                 label="Jiangsu's list", js_clerk=200, leader=404)
    + signed_in(lambda w: {"year": w.cycle.year, "category_id": 999999}, label="no such category", status=404),
    # Every signed-in person has the page of the lists they sign off (empty unless they lead a bureau).
    "nominations:sign_off_queue": signed_in(),
    "nominations:withdraw": post_only_get(lambda w: year_category(w, w.scopes[0]))
    # The list is a draft: the owner is told it cannot be withdrawn (302 back to the list); others never see it.
    + on_lists(year_category, method="post", owner=REDIRECT, co=404, unrelated=404, reviewer=404, administrator=404),
    "nominations:comment": post_only_get(lambda w: year_category(w, w.scopes[0]))
    # Empty comment: the bureaus responsible are sent back to the list with an error; nobody else finds it.
    + on_lists(year_category, method="post", owner=REDIRECT, co=REDIRECT, unrelated=404, reviewer=404,
               administrator=404),
    # Evidence files: the list's bureaus and the General Office; never the administrators (least privilege).
    "nominations:evidence": on_lists(lambda w, s: {"token": s.evidence.token}, **{**READ, "administrator": 404})
    + signed_in(lambda w: {"token": "0" * 32}, label="no such file", status=404),
    # An empty request: the owning bureau is sent back to its list with a message; nobody else finds it.
    "nominations:exception_request": post_only_get(lambda w: year_category(w, w.scopes[0]))
    + on_lists(year_category, method="post", owner=REDIRECT, co=404, unrelated=404, reviewer=404, administrator=404)
    + on_jiangsu(lambda w: {"year": w.extra["b"]["cycle"].year, "category_id": w.extra["b"]["category"].pk},
                 label="POST Jiangsu's list", method="post", js_clerk=REDIRECT),
    # A measure's rules are filed by the bureaus that prepare its lists: 6 by 市水务局 (市发展改革委 only
    # co-responsible), 19 by 市水务局 (19-1) and 市林业园林局 (19-2).
    "nominations:rules": [
        Case("measure 6", lambda w: {"measure_id": w.scopes[0].category.measure_id},
             lambda w: people(404, water=200)),
        Case("measure 19", lambda w: {"measure_id": w.scopes[1].category.measure_id},
             lambda w: people(404, water=200, forestry=200)),
    ] + on_jiangsu(lambda w: {"measure_id": w.extra["b"]["measure"].pk}, label="Jiangsu's measure 1", js_clerk=200)
    + signed_in(lambda w: {"measure_id": 999999}, label="no such measure", status=404),
    # A filing waiting for review: the bureau that filed it and the General Office of its programme. Accepted
    # rules: every bureau and reviewer of the programme; never the administrators (least privilege).
    "nominations:rules_download": [
        Case("filing of 市水务局", lambda w: {"token": w.extra["rules"].token},
             lambda w: people(404, water=200, reviewer=200)),
        Case("accepted filing of 市林业园林局", lambda w: {"token": w.extra["rules_accepted"].token},
             lambda w: people(200, js_clerk=404, js_finance=404, js_register=404, js_reviewer=404,
                              administrator=404, role_admin=404, security_admin=404, audit_admin=404, expert=404,
                              expert_other=404, js_expert=404)),
    ] + on_jiangsu(lambda w: {"token": w.extra["b"]["rules"].token}, label="filing of 省水利厅", js_clerk=200,
                   js_reviewer=200)
    + signed_in(lambda w: {"token": "0" * 32}, label="no such file", status=404),
    # --- evaluation: criteria, scoring sheet, import, evidence, declarations -----------------------------------
    # The sheet reads like the list: its bureaus, the General Office, administrators.
    "evaluation:sheet": on_lists(year_category, **READ)
    + signed_in(lambda w: {"year": w.cycle.year, "category_id": 999999}, label="no such category", status=404)
    + signed_in(lambda w: {"year": 1990, "category_id": w.scopes[0].category.pk}, label="no year 1990", status=404),
    # Typed values: the bureau that prepares the list; whoever else reads the sheet is refused (back, with the reason).
    # Filing the criteria and importing values: the bureau that prepares the list; those who read the sheet are told
    # why not (403); others do not find it.
    "evaluation:criteria": on_lists(year_category, owner=200, co=403, unrelated=404, reviewer=403, administrator=403)
    + on_jiangsu(lambda w: {"year": w.extra["b"]["cycle"].year, "category_id": w.extra["b"]["category"].pk},
                 label="Jiangsu's category", js_clerk=200, js_reviewer=403, administrator=403, role_admin=403),
    "evaluation:import": on_lists(year_category, owner=200, co=403, unrelated=404, reviewer=403, administrator=403),
    # An empty upload: the bureau is sent back to the sheet with a message; who reads the sheet too (refused).
    "evaluation:evidence_upload": post_only_get(lambda w: year_category(w, w.scopes[0]))
    + on_lists(year_category, method="post", owner=REDIRECT, co=REDIRECT, unrelated=404, reviewer=REDIRECT,
               administrator=REDIRECT),
    "evaluation:evidence": [Case("evidence of 6", lambda w: {"token": w.extra["indicator_evidence"].token},
                                 lambda w: people(404, water=200, ndrc=200, reviewer=200, administrator=200,
                                                  role_admin=200))]
    + signed_in(lambda w: {"token": "0" * 32}, label="no such file", status=404),
    # Everyone of a programme declares their interests for its years.
    "evaluation:declaration": signed_in(lambda w: {"year": w.cycle.year})
    + signed_in(lambda w: {"year": 1990}, label="no year 1990", status=404),
    # The General Office decides the criteria: an empty decision is sent back with the reason; others do not find it.
    # Expert panels. Everyone signed in has the page of their panels (theirs only: an expert's, the General Office's
    # of its programme; an empty one for others).
    "evaluation:panels": signed_in(),
    # Convening: the General Office of the category's programme. The world's lists have panels already (the page
    # sends to them); category 10 has none (the form); an empty form is refused (400).
    "evaluation:panel_convene": on_lists(year_category, owner=404, co=404, unrelated=404, reviewer=REDIRECT,
                                         administrator=404)
    + everyone(lambda w: {"year": w.cycle.year, "category_id": w.extra["category 10"].pk}, label="no panel yet",
               anonymous=LOGIN, clerk=404, reviewer=200, administrator=404, foreign=404)
    + everyone(lambda w: {"year": w.cycle.year, "category_id": w.extra["category 10"].pk}, label="POST empty",
               method="post", anonymous=LOGIN, clerk=404, reviewer=400, administrator=404, foreign=404)
    + on_jiangsu(lambda w: {"year": w.cycle.year, "category_id": w.extra["b"]["category"].pk},
                 label="Jiangsu's category", js_reviewer=REDIRECT),
    # A panel: its programme's General Office and the experts drawn for it, nobody else (an expert of another panel
    # neither). An empty scoring form: the expert is told what is missing (400); the office does not score (sent
    # back with the reason).
    "evaluation:panel": [
        Case("panel of 6", lambda w: {"pk": w.extra["panel expert"].pk}, lambda w: people(404, reviewer=200, expert=200)),
        Case("panel of 19-2", lambda w: {"pk": w.extra["panel expert_other"].pk},
             lambda w: people(404, reviewer=200, expert_other=200)),
        Case("POST empty scores", lambda w: {"pk": w.extra["panel expert"].pk},
             lambda w: people(404, reviewer=REDIRECT, expert=400), "post"),
    ] + on_jiangsu(lambda w: {"pk": w.extra["panel js_expert"].pk}, label="Jiangsu's panel", js_reviewer=200,
                   js_expert=200)
    + on_jiangsu(lambda w: {"pk": w.extra["panel js_expert"].pk}, label="POST Jiangsu's panel", method="post",
                 js_reviewer=REDIRECT, js_expert=400)
    + signed_in(lambda w: {"pk": 999999}, label="no such panel", status=404),
    # The aggregation: the General Office of the panel's programme (an empty form: back with a message).
    "evaluation:panel_settings": reviewer_post_only_get(lambda w: {"pk": w.extra["panel expert"].pk})
    + everyone(lambda w: {"pk": w.extra["panel expert"].pk}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=REDIRECT, administrator=404, foreign=404)
    + on_jiangsu(lambda w: {"pk": w.extra["panel js_expert"].pk}, label="POST Jiangsu's panel", method="post",
                 js_reviewer=REDIRECT),
    "evaluation:criteria_decide": reviewer_post_only_get(lambda w: {"pk": w.extra["criteria 6"].pk})
    + everyone(lambda w: {"pk": w.extra["criteria 6"].pk}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=REDIRECT, administrator=404, foreign=404),
    # --- reviews: the General Office's pages -----------------------------------------------------------------
    "reviews:queue": everyone(anonymous=LOGIN, clerk=404, reviewer=200, administrator=404),
    "reviews:list": on_lists(lambda w, s: {"pk": s.nomination_list.pk}, **REVIEW),
    "reviews:queue_export": everyone(anonymous=LOGIN, clerk=404, reviewer=200, administrator=404),
    # The queue's choosers (JSON): whoever opens the queue, its own programme's options (Jiangsu's reviewer gets
    # Jiangsu's: test_the_queue_choosers_answer_each_programme_its_own); an unknown kind is no page.
    "reviews:queue_choices": everyone({"kind": "bureau"}, label="bureaus", anonymous=LOGIN, clerk=404, reviewer=200,
                                      administrator=404)
    + everyone({"kind": "measure"}, label="measures", anonymous=LOGIN, clerk=404, reviewer=200, administrator=404)
    + everyone({"kind": "unit"}, label="no such kind", anonymous=LOGIN, clerk=404, reviewer=404, administrator=404),
    # No cycle named in the form: nothing to mark (404) for reviewers; nobody else finds the action.
    "reviews:queue_bulk": reviewer_post_only_get(None)
    + everyone(label="POST", method="post", anonymous=LOGIN, clerk=404, reviewer=404, administrator=404),
    # Nobody is late before the deadline: the reviewer is sent back to the queue with a message.
    "reviews:remind_late": reviewer_post_only_get(lambda w: {"year": w.cycle.year})
    + everyone(lambda w: {"year": w.cycle.year}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=REDIRECT, administrator=404),
    # An empty form: every nominee needs a decision (400).
    "reviews:list_decide": reviewer_post_only_get(lambda w: {"pk": w.scopes[0].nomination_list.pk})
    + on_lists(lambda w, s: {"pk": s.nomination_list.pk}, method="post", **{**REVIEW, "reviewer": 400}),
    "reviews:evidence": on_lists(lambda w, s: {"pk": s.nomination_list.pk, "token": s.evidence.token}, **REVIEW)
    + everyone(lambda w: {"pk": w.scopes[0].nomination_list.pk, "token": w.scopes[1].evidence.token},
               label="another list's file", anonymous=LOGIN, clerk=404, reviewer=404, administrator=404),
    # POSTs with an empty form: a return needs its reasons (400); the other actions redirect back with a message.
    "reviews:list_return": reviewer_post_only_get(lambda w: {"pk": w.scopes[0].nomination_list.pk})
    + on_lists(lambda w, s: {"pk": s.nomination_list.pk}, method="post", **{**REVIEW, "reviewer": 400}),
    "reviews:list_acknowledge": reviewer_post_only_get(lambda w: {"pk": w.scopes[0].nomination_list.pk})
    + on_lists(lambda w, s: {"pk": s.nomination_list.pk}, method="post", **{**REVIEW, "reviewer": REDIRECT}),
    "reviews:nominee_decide": reviewer_post_only_get(
        lambda w: {"pk": w.scopes[0].nomination_list.pk, "nominee_pk": w.scopes[0].nominee.pk})
    + on_lists(lambda w, s: {"pk": s.nomination_list.pk, "nominee_pk": s.nominee.pk}, method="post",
               **{**REVIEW, "reviewer": REDIRECT}),
    "reviews:cap_exception": on_lists(lambda w, s: {"year": w.cycle.year, "category_pk": s.category.pk}, **REVIEW),
    # POSTs with an empty form: reviewers are sent back with a message.
    "reviews:cap_exception_withdraw": reviewer_post_only_get(lambda w: {"year": w.cycle.year,
                                                                        "category_pk": w.scopes[0].category.pk})
    + on_lists(lambda w, s: {"year": w.cycle.year, "category_pk": s.category.pk}, method="post",
               **{**REVIEW, "reviewer": REDIRECT}),
    **{
        name: reviewer_post_only_get(lambda w: {"pk": w.extra["exception_request"].pk})
        + everyone(lambda w: {"pk": w.extra["exception_request"].pk}, label="POST", method="post", anonymous=LOGIN,
                   clerk=404, reviewer=REDIRECT, administrator=404, foreign=404)
        + on_jiangsu(lambda w: {"pk": w.extra["b"]["exception_request"].pk}, label="POST Jiangsu's request",
                     method="post", js_reviewer=REDIRECT)
        for name in ("reviews:exception_grant", "reviews:exception_refuse")
    },
    # The register: reviewers and the bureaus of measure 32 (``finance``, ``register``), each of their programme's
    # year (the year exists in both programmes: each gets their own). An empty entry: the form says what is missing
    # (400). A valid entry names a unit: of the person's programme it is recorded (302), of the other 404.
    "reviews:register": everyone(lambda w: {"year": w.cycle.year}, anonymous=LOGIN, clerk=404, reviewer=200,
                                 administrator=404, finance=200, register=200)
    + everyone(lambda w: {"year": w.cycle.year}, label="POST empty", method="post", anonymous=LOGIN, clerk=404,
               reviewer=400, administrator=404, finance=400, register=400)
    + everyone(lambda w: {"year": w.cycle.year}, label="POST a Guangzhou district", method="post",
               data=register_entry("tianhe"), anonymous=LOGIN, clerk=404, reviewer=REDIRECT, administrator=404,
               finance=REDIRECT, register=REDIRECT, foreign=404)
    + on_jiangsu(lambda w: {"year": w.cycle.year}, label="POST a Jiangsu unit", method="post",
                 data=register_entry("js"), js_reviewer=REDIRECT, js_finance=REDIRECT, js_register=REDIRECT)
    + everyone(lambda w: {"year": 1990}, label="no such cycle", anonymous=LOGIN, clerk=404, reviewer=404,
               administrator=404),
    "reviews:register_confirm": reviewer_post_only_get(lambda w: {"pk": w.extra["higher_award"].pk})
    + everyone(lambda w: {"pk": w.extra["higher_award"].pk}, label="POST", method="post", anonymous=LOGIN,
               clerk=404, reviewer=REDIRECT, administrator=404, foreign=404)
    + on_jiangsu(lambda w: {"pk": w.extra["b"]["higher_award"].pk}, label="POST Jiangsu's entry", method="post",
                 js_reviewer=REDIRECT),
    # Funds: reviewers and the finance bureau's staff (``finance``) of the award's programme; the ledger (no object
    # in its address) is each one's own programme's.
    "reviews:funds": everyone(anonymous=LOGIN, clerk=404, reviewer=200, administrator=404, finance=200),
    "reviews:funds_award": everyone(lambda w: {"pk": w.extra["money_award"].pk}, anonymous=LOGIN, clerk=404,
                                    reviewer=200, administrator=404, finance=200, foreign=404)
    + on_jiangsu(lambda w: {"pk": w.extra["b"]["money_award"].pk}, label="Jiangsu's award", js_finance=200,
                 js_reviewer=200)
    + everyone(lambda w: {"pk": 999999}, label="no such award", anonymous=LOGIN, clerk=404, reviewer=404,
               administrator=404),
    "reviews:rules": everyone(anonymous=LOGIN, clerk=404, reviewer=200, administrator=404),
    "reviews:rules_decide": reviewer_post_only_get(lambda w: {"pk": w.extra["rules"].pk})
    + everyone(lambda w: {"pk": w.extra["rules"].pk}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=REDIRECT, administrator=404, foreign=404)
    + on_jiangsu(lambda w: {"pk": w.extra["b"]["rules"].pk}, label="POST Jiangsu's filing", method="post",
                 js_reviewer=REDIRECT),
    "reviews:publish": reviewer_post_only_get(lambda w: {"year": w.cycle.year})
    + everyone(lambda w: {"year": w.cycle.year}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=REDIRECT, administrator=404),
    "reviews:reopen": everyone(lambda w: {"year": w.published.year}, anonymous=LOGIN, clerk=404, reviewer=404,
                               administrator=200),
    # The phases: the open cycle's deadline is ahead, so beginning the review or the notice is refused (with a
    # message, nothing changed); the pages themselves are the General Office's.
    "reviews:begin_review": reviewer_post_only_get(lambda w: {"year": w.cycle.year})
    # Without the confirmation the step is shown again with its error (400); confirmed, the review begins.
    + everyone(lambda w: {"year": w.cycle.year}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=400, administrator=404)
    + everyone(lambda w: {"year": w.cycle.year}, label="POST confirmed", method="post", data={"confirm": "on"},
               anonymous=LOGIN, clerk=404, reviewer=REDIRECT, administrator=404),
    "reviews:notice": everyone(lambda w: {"year": w.cycle.year}, anonymous=LOGIN, clerk=404, reviewer=200,
                               administrator=404)
    + everyone(lambda w: {"year": w.cycle.year}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=400, administrator=404),
    "reviews:objections": everyone(lambda w: {"year": w.extra["notice"].year}, anonymous=LOGIN, clerk=404,
                                   reviewer=200, administrator=404, foreign=404),
    # An empty settlement: the form says what is missing (400).
    "reviews:objection": everyone(lambda w: {"pk": w.extra["objection"].pk}, anonymous=LOGIN, clerk=404,
                                  reviewer=200, administrator=404, foreign=404)
    + everyone(lambda w: {"pk": w.extra["objection"].pk}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=400, administrator=404, foreign=404)
    + everyone(lambda w: {"pk": 999999}, label="no such objection", anonymous=LOGIN, clerk=404, reviewer=404,
               administrator=404),
    "reviews:objection_evidence": everyone(lambda w: {"pk": w.extra["objection"].pk}, anonymous=LOGIN, clerk=404,
                                           reviewer=200, administrator=404, foreign=404),
    # --- screening (负面清单), the balance of the year, the dossiers (一事一档) ------------------------------------
    # The register: each programme's reviewers their own (no object in the address). An empty event or file: the
    # form says what is missing (400).
    **{
        name: everyone(anonymous=LOGIN, clerk=404, reviewer=200, administrator=404)
        + everyone(label="POST empty", method="post", anonymous=LOGIN, clerk=404, reviewer=400, administrator=404)
        for name in ("reviews:screening", "reviews:screening_import")
    },
    # Settling a flag (an award and an event of the reviewer's programme): an empty form is sent back to the list
    # with a message; the other programme's award or event is not found.
    "reviews:screening_settle": reviewer_post_only_get(
        lambda w: {"award_pk": w.extra["money_award"].pk, "event_pk": w.extra["screening_event"].pk})
    + everyone(lambda w: {"award_pk": w.extra["money_award"].pk, "event_pk": w.extra["screening_event"].pk},
               label="POST empty", method="post", anonymous=LOGIN, clerk=404, reviewer=REDIRECT, administrator=404,
               foreign=404)
    + on_jiangsu(lambda w: {"award_pk": w.extra["b"]["money_award"].pk, "event_pk": w.extra["b"]["screening_event"].pk},
                 label="POST Jiangsu's flag", method="post", js_reviewer=REDIRECT)
    + everyone(lambda w: {"award_pk": w.extra["money_award"].pk, "event_pk": w.extra["b"]["screening_event"].pk},
               label="POST another programme's event", method="post", anonymous=LOGIN, clerk=404, reviewer=404,
               administrator=404),
    # The balance of a year: each programme's reviewers, their own programme's year.
    "reviews:balance": everyone(lambda w: {"year": w.cycle.year}, anonymous=LOGIN, clerk=404, reviewer=200,
                                administrator=404)
    + everyone(lambda w: {"year": 1990}, label="no such cycle", anonymous=LOGIN, clerk=404, reviewer=404,
               administrator=404),
    "reviews:balance_export": everyone(lambda w: {"year": w.cycle.year}, label="csv", data={"format": "csv"},
                                       anonymous=LOGIN, clerk=404, reviewer=200, administrator=404)
    + everyone(lambda w: {"year": w.cycle.year}, label="no such format", data={"format": "pdf"}, anonymous=LOGIN,
               clerk=404, reviewer=404, administrator=404),
    # The dossiers: the reviewers of the programme and the audit administrator (deployment-wide); nobody else, the
    # system and security administrators included. The other programme's category is not in the year's document.
    "reviews:dossier_years": everyone(anonymous=LOGIN, clerk=404, reviewer=200, administrator=404, audit_admin=200),
    "reviews:dossiers": everyone(lambda w: {"year": w.cycle.year}, anonymous=LOGIN, clerk=404, reviewer=200,
                                 administrator=404, audit_admin=200),
    "reviews:dossier": everyone(lambda w: {"year": w.cycle.year, "category_pk": w.scopes[0].category.pk},
                                anonymous=LOGIN, clerk=404, reviewer=200, administrator=404, audit_admin=200,
                                foreign=404)
    + on_jiangsu(lambda w: {"year": w.cycle.year, "category_pk": w.extra["b"]["category"].pk},
                 label="Jiangsu's category", data={"programme": "jiangsu"}, js_reviewer=200, audit_admin=200)
    + everyone(lambda w: {"year": w.cycle.year, "category_pk": 999999}, label="no such category", anonymous=LOGIN,
               clerk=404, reviewer=404, administrator=404),
    # --- bulletins: reviewers see every version; the public the published cycle's ----------------------------
    "bulletins:versions": everyone(lambda w: {"year": w.published.year}, label="published year", anonymous=LOGIN,
                                   clerk=404, reviewer=200, administrator=404)
    + everyone(lambda w: {"year": w.cycle.year}, label="open year", anonymous=LOGIN, clerk=404, reviewer=200,
               administrator=404),
    "bulletins:request": everyone(lambda w: {"year": w.cycle.year}, label="GET", anonymous=LOGIN, clerk=405,
                                  reviewer=405, administrator=405)
    # The reviewer's render is queued on commit, which the rolled-back savepoint never reaches.
    + everyone(lambda w: {"year": w.cycle.year}, label="POST", method="post", anonymous=LOGIN, clerk=404,
               reviewer=REDIRECT, administrator=404),
    **{
        name: public(lambda w: {"pk": w.extra["bulletin_published"].pk}, label="published cycle")
        + everyone(lambda w: {"pk": w.extra["bulletin_open"].pk}, label="open cycle", anonymous=404, clerk=404,
                   reviewer=200, administrator=404, inactive=404, foreign=404)
        for name in ("bulletins:progress", "bulletins:status", "bulletins:download", "bulletins:download_ofd")
    },
    # --- notifications: each person their own (the list has no object in its URL) ----------------------------
    "notifications": signed_in(),
    "notifications_read": signed_in(label="GET", status=405)
    + signed_in(lambda w: {}, label="POST another person's", method="post", status=REDIRECT,
                data={"notification": "0"}),
    # --- results: public -----------------------------------------------------------------------------------
    "results:index": public(),
    "results:cycle": public(lambda w: {"year": w.published.year}, label="published year")
    + public(lambda w: {"year": w.cycle.year}, label="year not published", status=404),
    "results:unit": public(lambda w: {"pk": w.unit.pk}, label="a district")
    + public(lambda w: {"pk": 999999}, label="no such unit", status=404),
    "results:statistics": public(),
    # --- security: second factor (everyone their own) and the audit trail (the audit administrator's) ------------
    "security:otp_verify": signed_in(),
    "security:otp_setup": signed_in(),
    "security:otp_recovery_codes": signed_in(label="GET", status=405)
    # Nobody in the world enrolled an authenticator: sent to set one up.
    + signed_in(label="POST", method="post", status=REDIRECT),
    "security:audit": everyone(anonymous=LOGIN, clerk=404, reviewer=404, administrator=404, audit_admin=200),
    "security:audit_export": everyone(label="GET", anonymous=LOGIN, clerk=405, reviewer=405, administrator=405)
    + everyone(label="POST", method="post", anonymous=LOGIN, clerk=404, reviewer=404, administrator=404,
               audit_admin=200),
    # The public notice (公示): anyone, while a cycle is on notice.
    "results:notice": public(lambda w: {"year": w.extra["notice"].year}, label="year on notice")
    + public(lambda w: {"year": w.cycle.year}, label="year not on notice", status=404),
    # An empty objection is refused with the reasons (400), for anyone.
    "results:objection": public(lambda w: {"year": w.extra["notice"].year}, label="year on notice")
    + everyone(lambda w: {"year": w.extra["notice"].year}, label="POST empty", method="post", anonymous=400,
               clerk=400, reviewer=400, administrator=400, inactive=400)
    + public(lambda w: {"year": w.cycle.year}, label="year not on notice", status=404),
    # Without a receipt in the session: back to the form.
    "results:objection_receipt": public(lambda w: {"year": w.extra["notice"].year}, label="no receipt",
                                        status=REDIRECT),
    # An objector's look-up by receipt and contact: the form for anyone; a right pair answers 200, a wrong one 404
    # (the same whichever part was wrong), an empty one 400.
    "results:objection_lookup": public(label="form")
    + everyone(label="POST right pair", method="post",
               data=lambda w: {"receipt": w.extra["objection"].receipt.lower(), "contact": "138 0000 0000"},
               anonymous=200, clerk=200, reviewer=200, administrator=200, inactive=200)
    + everyone(label="POST wrong contact", method="post", data=lambda w: {"receipt": w.extra["objection"].receipt, "contact": "1"},
               anonymous=404, clerk=404, reviewer=404, administrator=404, inactive=404)
    + everyone(label="POST empty", method="post", anonymous=400, clerk=400, reviewer=400, administrator=400,
               inactive=400),
    # --- a second programme's public results (/results/p/<code>/): public, and only its own cycles ----------------
    "programme_results:index": public(lambda w: {"programme": "jiangsu"}, label="jiangsu")
    + public(lambda w: {"programme": "nowhere"}, label="no such programme", status=404),
    "programme_results:cycle": public(lambda w: {"programme": "jiangsu", "year": w.published.year},
                                      label="its published year")
    + public(lambda w: {"programme": "jiangsu", "year": w.cycle.year}, label="its open year", status=404)
    + public(lambda w: {"programme": "nowhere", "year": w.published.year}, label="no such programme", status=404),
    "programme_results:unit": public(lambda w: {"programme": "jiangsu", "pk": w.extra["b"]["unit"].pk}),
    "programme_results:statistics": public(lambda w: {"programme": "jiangsu"}),
    # Guangzhou's objection is not found under Jiangsu's code, even with its right pair.
    "programme_results:objection_lookup": public(lambda w: {"programme": "jiangsu"}, label="jiangsu")
    + everyone(lambda w: {"programme": "jiangsu"}, label="POST Guangzhou's pair", method="post",
               data=lambda w: {"receipt": w.extra["objection"].receipt, "contact": "13800000000"},
               anonymous=404, clerk=404, reviewer=404, administrator=404, inactive=404)
    + public(lambda w: {"programme": "nowhere"}, label="no such programme", status=404),
    # Guangzhou's year on notice is not Jiangsu's: nothing of Guangzhou's answers under Jiangsu's code.
    **{
        name: public(lambda w: {"programme": "jiangsu", "year": w.extra["notice"].year}, label="another's notice",
                     status=404)
        for name in ("programme_results:notice", "programme_results:objection", "programme_results:objection_receipt")
    },
    # --- the open API (api/): a token or the person's own session (accepted too: chosen so that the docs page and
    # a page's script work; it must pass the CSRF check). Without either: 401. Reads are scoped by the door.
    "api:schema": public(),
    "api:docs": public(),
    "api:tokens": signed_in()
    + signed_in(label="POST empty", method="post", status=400),
    # A token is its owner's alone (``water``'s here): nobody else finds it.
    "api:token_revoke": signed_in(lambda w: {"pk": w.extra["api_token"].pk}, label="GET", status=405)
    + [Case("POST water's token", lambda w: {"pk": w.extra["api_token"].pk},
            lambda w: people(404, water=REDIRECT, leader=404), "post")],  # a token is its owner's alone
    # Unified sign-on (security.sign_on): no page while no identity provider is configured, as in this world;
    # tests/test_sign_on.py walks both with a real provider.
    "oidc_authentication_init": public(label="no provider configured", status=404),
    "oidc_authentication_callback": public(label="no provider configured", status=404),
    **{name: everyone(anonymous=401, clerk=200, reviewer=200, administrator=200, inactive=401)
       for name in ("api:programmes", "api:catalogue", "api:units", "api:cycles", "api:lists", "api:results",
                    "api:awards", "api:funds")},
    "api:list": on_lists(lambda w, s: {"pk": s.nomination_list.pk}, **{**READ, "anonymous": 401, "inactive": 401})
    + everyone(lambda w: {"pk": w.extra["b"]["list"].pk}, label="Jiangsu's list", anonymous=401, clerk=404,
               reviewer=404, administrator=200, inactive=401, js_clerk=200, js_reviewer=200, js_finance=404,
               js_register=404),
    # A form without its file: the list's bureau is told what is missing (400); nobody else finds the list.
    "api:evidence_add": on_lists(lambda w, s: {"pk": s.nomination_list.pk, "nominee_pk": s.nominee.pk},
                                 method="post", anonymous=401, inactive=401, owner=400, co=404, unrelated=404,
                                 reviewer=404, administrator=404),
    # PUT only: a GET is not allowed (405) once the caller is known.
    **{name: everyone(lambda w: {"year": w.cycle.year, "category_id": w.scopes[0].category.pk}, label="GET",
                      anonymous=401, clerk=405, reviewer=405, administrator=405, inactive=401)
       for name in ("api:draft", "api:values")},
}

# (url name, case label, persona) → (status it gets, why it differs from the rule). See the module docstring.
KNOWN_DEVIATIONS: dict[tuple[str, str, str], tuple[object, str]] = {}
