"""The demo's whole year: besides the open cycle of ``nominations.demo``, the year before it on public notice (公示)
with an objection waiting, and the year before that published with its bulletin rendered (PDF and OFD).

Every step goes through the services, as the people of the demo would have taken it, at the moments it would have
been taken (the services' ``now``): the trail, the notifications and the pages read as after a real year. Never run
in production (``DEMO_MODE`` is refused there)."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from measures.models import IncentiveCategory, PolicyDocument
from nominations import services as nomination_services
from nominations.deadlines import current_time, default_deadline_for
from nominations.models import BEIJING, Cycle
from nominations.services import NomineeEntry
from organisation.models import Unit, UnitKind

from . import bulletins
from .models import Award, Bulletin
from .selectors.notice import notice_preflight
from .services import decisions, notice, publication

# category code → (clerk, the districts proposed in rank order, how many the General Office approves)
DEMO_LISTS = {
    "6": ("water", ["海珠区", "越秀区", "番禺区"], 2),
    "19-1": ("water", ["天河区", "增城区"], 2),
    "19-2": ("forestry", ["从化区", "白云区"], 1),
}
ACHIEVEMENTS = "{unit}全年水务建设投资完成率居全市前列，重点项目按期建成，考核结果优秀。"
FIGURES = "投资完成率 118%；考核得分 96.5"


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, tzinfo=BEIJING)


def _year_lived(*, year: int, reviewer, clerks: dict, publish: bool) -> Cycle:
    """A cycle of ``year`` taken through its year: lists prepared and submitted before the deadline (31 March of the
    next year), decided, put on public notice; then either published after the notice (``publish``) or left on notice
    from today with an objection waiting."""
    document = PolicyDocument.objects.filter(in_force=True).order_by("-issued_on").first()
    cycle = Cycle.objects.create(year=year, document=document, opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                 deadline=default_deadline_for(year), bulletin_number=f"穗府办〔{year + 1}〕13号")
    categories = {c.code: c for c in IncentiveCategory.objects.filter(measure__document=document, code__in=DEMO_LISTS)}
    districts = {u.name: u for u in Unit.objects.filter(kind_id=UnitKind.DISTRICT)}
    drafted, submitted = _at(year + 1, 3, 2), _at(year + 1, 3, 20)
    lists = []
    for code, (clerk, names, _approved) in DEMO_LISTS.items():
        nl = nomination_services.nomination_list_get_or_create(actor=clerks[clerk], cycle=cycle, category=categories[code])
        entries = [NomineeEntry(unit=districts[n], achievements=ACHIEVEMENTS.format(unit=n), figures=FIGURES)
                   for n in names]
        nl = nomination_services.nomination_list_save(actor=clerks[clerk], nomination_list=nl, version=nl.version,
                                                      entries=entries, now=drafted)
        nl = nomination_services.nomination_list_submit(actor=clerks[clerk], nomination_list=nl, version=nl.version,
                                                        now=submitted)
        lists.append((nl, DEMO_LISTS[code][2]))
    nomination_services.list_comment_add(actor=clerks["ndrc"], nomination_list=lists[0][0],
                                         text="项目投资数据已与发展改革部门台账核对一致。")
    notice.cycle_review_begin(actor=reviewer, cycle=cycle, now=_at(year + 1, 4, 2))
    for nl, approved in lists:
        decisions.nominees_decide(actor=reviewer, nomination_list=nl, decisions=[
            (nominee, nominee.rank <= approved, "" if nominee.rank <= approved else "与已获激励单位相比成效不够突出")
            for nominee in nl.nominees.order_by("rank")])
    if not publish:
        notice_at = current_time()
        cycle = _on_notice(reviewer, cycle, at=notice_at)
        award = Award.objects.filter(cycle=cycle).select_related("unit").order_by("category__order", "slot").first()
        notice.objection_file(cycle=cycle, award_id=award.pk, name="陈明", contact="020-83000000",
                              email="chen.ming@example.com", now=notice_at,
                              grounds=f"{award.unit}部分重点项目年底前未完工，与事迹材料所述不符，请予核实。")
        return cycle
    cycle = _on_notice(reviewer, cycle, at=_at(year + 1, 4, 16))
    cycle.refresh_from_db()
    after = datetime.datetime.combine(cycle.notice_ends_on + datetime.timedelta(days=1), datetime.time(9),
                                      tzinfo=BEIJING)
    return publication.cycle_publish(actor=reviewer, cycle=cycle, now=after)


def _on_notice(reviewer, cycle: Cycle, *, at: datetime.datetime) -> Cycle:
    acknowledgements = {row.category.pk: "本年度无符合条件的单位，经牵头部门说明不推荐"
                        for row in notice_preflight(cycle=cycle, now=at).missing}
    return notice.cycle_notice_start(actor=reviewer, cycle=cycle, acknowledgements=acknowledgements, now=at)


def demo_years_load(*, open_year: int) -> list[Cycle]:
    """The two years before ``open_year``: the one just before on public notice with an objection, the one before
    it published. A year that exists already is left as it is (the command runs at every start). Returns the years
    made. The bulletin of the published year is rendered here, synchronously: the demo runs without workers."""
    if not settings.DEMO_MODE:
        raise ImproperlyConfigured("Demo data is only for the embedded default (DEMO_MODE is off).")
    User = get_user_model()
    people = {u.username: u for u in User.objects.filter(username__in=["reviewer", "water", "forestry", "ndrc"])}
    made = []
    with transaction.atomic():
        for year, publish in ((open_year - 2, True), (open_year - 1, False)):
            if not Cycle.objects.filter(year=year).exists():
                made.append(_year_lived(year=year, reviewer=people["reviewer"], clerks=people, publish=publish))
    for bulletin in Bulletin.objects.filter(cycle__in=made, status=Bulletin.Status.PENDING):
        bulletins.bulletin_render(bulletin_id=bulletin.pk)
    return made
