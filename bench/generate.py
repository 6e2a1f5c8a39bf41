"""Generate a large, realistic dataset on top of the demo data (SQLite or PostgreSQL).

``scale=100`` builds a hundred times Guangzhou's programme: 20 decided and published cycles, 300 incentive
categories in the document in force, 200 bureaus, 3,000 units, 5,000 users and a million audit records;
the open cycle of the demo gets a list for every category, in every state of the workflow.

Run after ``manage.py migrate`` and ``manage.py load_demo`` (``bench/run.py`` does all of it)::

    DATABASE_URL=sqlite:///var/bench-large.sqlite3 .venv/bin/python bench/generate.py --scale 100

Speed matters more than realism in the details: rows are written with ``bulk_create`` in batches (no signals,
so bureau groups, group members and category permissions are written here), and the audit records with
``executemany`` on SQLite or ``COPY`` on PostgreSQL. Everything is deterministic for a given seed.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

if __name__ == "__main__":  # run as a script: make the project importable and set Django up
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incentives.settings")
    import django

    django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from measures.models import IncentiveCategory, Measure, PolicyDocument, Responsibility, chinese_numeral  # noqa: E402
from measures.permissions import category_permissions_sync  # noqa: E402
from nominations.deadlines import default_deadline_for  # noqa: E402
from nominations.models import BEIJING, Cycle, ListComment, NominationList, Nominee  # noqa: E402
from organisation import audit_chain, roles  # noqa: E402
from organisation.models import AuditEntry, Bureau, Membership, Unit, UnitKind  # noqa: E402
from organisation.permissions import bureau_group_name  # noqa: E402
from reviews.models import Award, Decision  # noqa: E402

BENCH_PASSWORD = "bench-pass-2025"
BATCH = 5000
AUDIT_BATCH = 20000

# Unit kinds of the generated units, with weights: streets and towns are the most numerous subjects.
UNIT_KIND_WEIGHTS = {
    UnitKind.STREET: 40,
    UnitKind.ENTERPRISE: 15,
    UnitKind.STATE_ENTERPRISE: 8,
    UnitKind.HOSPITAL: 8,
    UnitKind.MEDICAL_INSTITUTION: 6,
    UnitKind.INSURANCE_BANK: 5,
    UnitKind.LEGAL_SERVICE: 6,
    UnitKind.INNOVATION_PLATFORM: 5,
    UnitKind.DISPATCHED_AGENCY: 3,
    UnitKind.MUNICIPAL_DEPARTMENT: 4,
}

# The categories the demo accounts own get a fixed state in the open cycle, so the pages timed show the
# same kind of list at every size: 19-1 (市水务局) is a draft of three, 6 (市水务局 lead) is submitted.
FIXED_OPEN_STATES = {"19-1": NominationList.State.DRAFT, "6": NominationList.State.SUBMITTED}


@functools.cache
def _password_hash() -> str:
    return make_password(BENCH_PASSWORD)


@dataclass(frozen=True)
class Sizes:
    """Totals to reach (existing rows count); ``cycles`` counts the decided, published past cycles."""

    cycles: int
    categories: int
    bureaus: int
    units: int
    users: int
    audit: int

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        """Scale 100 is the benchmark's large size; Guangzhou itself is about scale 1 (after 5 years)."""
        return cls(
            cycles=max(1, round(scale / 5)),
            categories=round(3 * scale),
            bureaus=round(2 * scale),
            units=round(30 * scale),
            users=round(50 * scale),
            audit=round(10_000 * scale),
        )


class Generator:
    def __init__(self, sizes: Sizes, *, seed: int = 2025, verbose: bool = False):
        self.sizes = sizes
        self.rng = random.Random(seed)
        self.verbose = verbose
        self.started = time.monotonic()
        self.now = timezone.now()

    def log(self, message: str) -> None:
        if self.verbose:
            print(f"  [{time.monotonic() - self.started:6.1f}s] {message}", flush=True)

    # ------------------------------------------------------------------ organisation

    def bureaus(self) -> list[Bureau]:
        existing = Bureau.objects.count()
        new = [
            Bureau(short_name=f"市基准局{i:04d}", full_name=f"广州市基准局{i:04d}", order=1000 + i)
            for i in range(existing + 1, self.sizes.bureaus + 1)
        ]
        Bureau.objects.bulk_create(new, batch_size=BATCH)
        # Every bureau has a group holding its category permissions (signals do not run on bulk_create).
        without_group = list(Bureau.objects.filter(group__isnull=True))
        groups = Group.objects.bulk_create([Group(name=bureau_group_name(b)) for b in without_group], batch_size=BATCH)
        for bureau, group in zip(without_group, groups, strict=True):
            bureau.group = group
        Bureau.objects.bulk_update(without_group, ["group"], batch_size=BATCH)
        self.log(f"bureaus: {len(new)} added")
        return list(Bureau.objects.order_by("pk"))

    def units(self) -> None:
        existing = Unit.objects.count()
        wanted = self.sizes.units - existing
        if wanted <= 0:
            return
        districts = list(Unit.objects.filter(kind_id=UnitKind.DISTRICT).order_by("division_order"))
        kinds = [k for k in UNIT_KIND_WEIGHTS if UnitKind.objects.filter(code=k).exists()]
        weights = [UNIT_KIND_WEIGHTS[k] for k in kinds]
        new = []
        for i in range(existing, existing + wanted):  # numbered on from the existing count: a second run adds more
            kind = self.rng.choices(kinds, weights)[0]
            parent = districts[i % len(districts)] if kind == UnitKind.STREET and districts else None
            order = (parent.division_order + 100 + i) if parent else 5000 + i
            new.append(Unit(name=f"基准{'街道' if parent else '单位'}{i:05d}", kind_id=kind, parent=parent,
                            division_order=order))
        Unit.objects.bulk_create(new, batch_size=BATCH)
        self.log(f"units: {len(new)} added")

    def users(self, bureaus: list[Bureau]) -> None:
        User = get_user_model()
        existing = User.objects.count()
        wanted = self.sizes.users - existing
        role_groups = {name: Group.objects.get_or_create(name=name)[0] for name in roles.ROLE_LABELS}
        if wanted <= 0:
            return
        password = _password_hash()  # one hash for all: hashing 5,000 passwords would take minutes
        reviewers = max(1, wanted // 250)
        admins = max(1, wanted // 1000)
        new = []
        for i in range(wanted):
            number = existing + i  # a second run adds more people under new names
            if i < reviewers:
                role, username = roles.REVIEWER, f"bench-reviewer-{number:05d}"
            elif i < reviewers + admins:
                role, username = roles.ADMINISTRATOR, f"bench-admin-{number:05d}"
            else:
                role, username = roles.BUREAU_STAFF, f"bench-clerk-{number:05d}"
            user = User(username=username, email=f"{username}@example.gov.cn", password=password,
                        first_name=f"基准{number:05d}", is_active=True, date_joined=self.now,
                        is_staff=role == roles.ADMINISTRATOR, is_superuser=role == roles.ADMINISTRATOR)
            user._bench_role = role
            new.append(user)
        created = User.objects.bulk_create(new, batch_size=BATCH)
        through = User.groups.through
        links, memberships = [], []
        clerks = [u for u in created if u._bench_role == roles.BUREAU_STAFF]
        for user in created:
            links.append(through(user_id=user.pk, group_id=role_groups[user._bench_role].pk))
        # Clerks spread over the bureaus; one in twenty belongs to a second bureau.
        for i, user in enumerate(clerks):
            member_of = [bureaus[i % len(bureaus)]]
            if i % 20 == 19:
                member_of.append(bureaus[(i * 7 + 3) % len(bureaus)])
            for bureau in {b.pk: b for b in member_of}.values():
                memberships.append(Membership(user_id=user.pk, bureau_id=bureau.pk))
                links.append(through(user_id=user.pk, group_id=bureau.group_id))
        through.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        self.log(f"users: {len(created)} added ({reviewers} reviewers, {admins} administrators)")

    # ------------------------------------------------------------------ catalogue

    def categories(self, bureaus: list[Bureau]) -> list[IncentiveCategory]:
        document = PolicyDocument.objects.filter(in_force=True).order_by("-issued_on").first()
        if document is None:
            raise SystemExit("No policy document in force: run `manage.py load_demo` first.")
        self.document = document
        existing = IncentiveCategory.objects.filter(measure__document=document).count()
        wanted = self.sizes.categories - existing
        if wanted > 0:
            used = set(Measure.objects.filter(document=document).values_list("number", flat=True))
            free = [n for n in range(1, 100) if n not in used]
            if not free:
                raise SystemExit("The document in force has no free measure numbers left.")
            per_measure = math.ceil(wanted / len(free))
            measure_count = math.ceil(wanted / per_measure)
            measures = Measure.objects.bulk_create([
                Measure(document=document, number=n, numeral=chinese_numeral(n), title=f"基准措施{n}",
                        text=f"对基准措施{n}成效明显的单位予以激励支持。", support_forms=["commendation"])
                for n in free[:measure_count]
            ])
            kinds = list(UNIT_KIND_WEIGHTS) + [UnitKind.DISTRICT]
            kinds = [k for k in kinds if UnitKind.objects.filter(code=k).exists()]
            new, kind_links, responsibilities = [], [], []
            for i in range(wanted):
                measure = measures[i // per_measure]
                order = i % per_measure + 1
                new.append(IncentiveCategory(measure=measure, code=f"{measure.number}-{order}", order=order,
                                             name=f"基准类别{measure.number}-{order}"))
            new = IncentiveCategory.objects.bulk_create(new, batch_size=BATCH)
            through = IncentiveCategory.subject_kinds.through
            for i, category in enumerate(new):
                for kind in {kinds[i % len(kinds)], kinds[(i * 3 + 1) % len(kinds)]}:
                    kind_links.append(through(incentivecategory_id=category.pk, unitkind_id=kind))
                # The lead goes round all bureaus, so every bureau owns a list or two; a third has a co-bureau.
                lead = bureaus[i % len(bureaus)]
                responsibilities.append(Responsibility(category=category, bureau=lead, role=Responsibility.Role.LEAD, order=1))
                if i % 3 == 0:
                    co = bureaus[(i * 7 + 5) % len(bureaus)]
                    if co.pk != lead.pk:
                        responsibilities.append(Responsibility(category=category, bureau=co, role=Responsibility.Role.CO, order=2))
            through.objects.bulk_create(kind_links, batch_size=BATCH)
            Responsibility.objects.bulk_create(responsibilities, batch_size=BATCH)
            self.log(f"categories: {len(new)} added in {len(measures)} measures")
        categories = list(
            IncentiveCategory.objects.filter(measure__document=document)
            .prefetch_related("subject_kinds", "responsibilities")
            .order_by("measure__number", "order")
        )
        for category in categories:
            category_permissions_sync(category)
        self.log(f"category permissions synchronised ({len(categories)} categories)")
        return categories

    # ------------------------------------------------------------------ cycles, lists, decisions

    def _pools(self, categories):
        by_kind: dict[str, list[int]] = {}
        for pk, kind in Unit.objects.filter(is_active=True).values_list("pk", "kind_id"):
            by_kind.setdefault(kind, []).append(pk)
        pools = {}
        for category in categories:
            pool: list[int] = []
            for kind in category.subject_kinds.all():
                pool.extend(by_kind.get(kind.pk, []))
            pools[category.pk] = pool or by_kind.get(UnitKind.DISTRICT, [])
        return pools

    def _owners(self, categories):
        owners, co_bureaus = {}, {}
        for category in categories:
            responsibilities = sorted(category.responsibilities.all(), key=lambda r: r.order)
            owning = [r for r in responsibilities if r.role in Responsibility.OWNER_ROLES] or responsibilities
            owners[category.pk] = owning[0].bureau_id
            co_bureaus[category.pk] = [r.bureau_id for r in responsibilities if r.bureau_id != owners[category.pk]]
        return owners, co_bureaus

    def cycles(self, categories) -> None:
        User = get_user_model()
        admin = User.objects.filter(is_superuser=True).order_by("pk").first()
        if admin is None:  # publications need someone who published them
            admin = User.objects.create(username="bench-publisher", is_superuser=True, is_staff=True,
                                        password=_password_hash())
        reviewers = list(User.objects.filter(groups__name=roles.REVIEWER).values_list("pk", flat=True)) or [admin.pk]
        clerks_of: dict[int, list[int]] = {}
        for user_id, bureau_id in Membership.objects.values_list("user_id", "bureau_id"):
            clerks_of.setdefault(bureau_id, []).append(user_id)
        self.clerk_ids = [uid for ids in clerks_of.values() for uid in ids] or [admin.pk]
        self.reviewer_ids = reviewers
        pools = self._pools(categories)
        owners, co_bureaus = self._owners(categories)

        open_cycle = Cycle.objects.filter(state=Cycle.State.OPEN).order_by("-year").first()
        if open_cycle is None:
            now = timezone.now().astimezone(BEIJING)
            year = now.year - 1 if now.month <= 3 else now.year
            open_cycle = Cycle.objects.create(year=year, document=self.document,
                                              opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                                              deadline=default_deadline_for(year))
        taken = set(Cycle.objects.values_list("year", flat=True))
        past = Cycle.objects.filter(state=Cycle.State.PUBLISHED).count()
        new_cycles = []
        year = open_cycle.year - 1
        while past + len(new_cycles) < self.sizes.cycles:
            if year not in taken:
                published_at = datetime.datetime(year + 1, 6, 30, 10, 0, tzinfo=BEIJING)
                new_cycles.append(Cycle(
                    year=year, document=self.document, programme_id=self.document.programme_id, opens_at=datetime.datetime(year, 1, 1, tzinfo=BEIJING),
                    deadline=default_deadline_for(year), state=Cycle.State.PUBLISHED, published_at=published_at,
                    published_by=admin, bulletin_number=f"穗府办〔{year + 1}〕{(year % 50) + 1}号",
                ))
            year -= 1
        new_cycles = Cycle.objects.bulk_create(new_cycles)
        self.log(f"cycles: {len(new_cycles)} published cycles added; open cycle {open_cycle.year}")

        lists, list_meta = [], []
        have = set(NominationList.objects.values_list("cycle_id", "category_id"))
        # Every published cycle (a second run also fills the new categories of earlier ones) and the open one.
        published = Cycle.objects.filter(state=Cycle.State.PUBLISHED).order_by("-year")
        plan = [(c, None) for c in published] + [(open_cycle, "open")]
        for cycle, kind in plan:
            for category in categories:
                if (cycle.pk, category.pk) in have:
                    continue
                if kind == "open":
                    state = FIXED_OPEN_STATES.get(category.code) or [
                        NominationList.State.DRAFT, NominationList.State.SUBMITTED,
                        NominationList.State.RETURNED, NominationList.State.DECIDED,
                    ][self.rng.choices(range(4), [35, 35, 10, 20])[0]]
                else:
                    state = NominationList.State.DECIDED
                pinned = category.code in FIXED_OPEN_STATES and kind == "open"
                nothing = not pinned and state != NominationList.State.DRAFT and self.rng.random() < 0.05
                owner = owners[category.pk]
                clerk = self.rng.choice(clerks_of.get(owner) or [admin.pk])
                submitted = state != NominationList.State.DRAFT
                submitted_at = datetime.datetime(cycle.year + 1, 3, self.rng.randint(1, 28), 9, tzinfo=BEIJING)
                lists.append(NominationList(
                    cycle=cycle, category=category, bureau_id=owner, state=state,
                    nothing_to_propose=nothing, nothing_reason="本年度无符合条件的单位。" if nothing else "",
                    return_reason="请补充佐证材料。" if state == NominationList.State.RETURNED else "",
                    version=self.rng.randint(2, 8), created_by_id=clerk,
                    submitted_at=submitted_at if submitted else None, submitted_by_id=clerk if submitted else None,
                ))
                count = 0 if nothing else (3 if pinned else self.rng.choices([1, 2, 3], [2, 3, 5])[0])
                list_meta.append((count, category, cycle))
        lists = NominationList.objects.bulk_create(lists, batch_size=BATCH)
        self.log(f"lists: {len(lists)} added")

        nominees, nominee_meta = [], []
        for nomination_list, (count, category, _cycle) in zip(lists, list_meta, strict=True):
            pool = pools[category.pk]
            for rank, unit_id in enumerate(self.rng.sample(pool, min(count, len(pool))), 1):
                nominees.append(Nominee(
                    nomination_list=nomination_list, unit_id=unit_id, rank=rank,
                    achievements=f"{_cycle.year}年度工作成效明显,相关指标位居全市前列。(第{rank}名)",
                    figures="完成率 100%;群众满意度 95%",
                ))
                nominee_meta.append((nomination_list, category))
        nominees = Nominee.objects.bulk_create(nominees, batch_size=BATCH)
        self.log(f"nominees: {len(nominees)} added")

        decisions, awards, slots = [], [], {}
        for nominee, (nomination_list, category) in zip(nominees, nominee_meta, strict=True):
            if nomination_list.state != NominationList.State.DECIDED:
                continue
            taken_slots = slots.get(nomination_list.pk, 0)
            approved = self.rng.random() < 0.8 and (category.is_entitlement or taken_slots < category.cap)
            decisions.append(Decision(nominee=nominee, approved=approved, decided_by_id=self.rng.choice(reviewers),
                                      comment="" if approved else "成效不够突出。"))
            if approved and category.is_entitlement:
                # As reviews.services.decisions writes it: no slot, the category's fixed amount (32-2's 500万元
                # each; none where the amount is set per award), so what the bulletin prints is what is pledged.
                awards.append(Award(cycle_id=nomination_list.cycle_id, category=category, unit_id=nominee.unit_id,
                                    nominee=nominee, slot=None, is_entitlement=True, amount=category.award_amount))
            elif approved:
                slots[nomination_list.pk] = taken_slots + 1
                awards.append(Award(cycle_id=nomination_list.cycle_id, category=category, unit_id=nominee.unit_id,
                                    nominee=nominee, slot=taken_slots + 1))
        Decision.objects.bulk_create(decisions, batch_size=BATCH)
        Award.objects.bulk_create(awards, batch_size=BATCH)
        self.log(f"decisions: {len(decisions)}, awards: {len(awards)}")

        comments = []
        for nomination_list, (_count, category, _cycle) in zip(lists, list_meta, strict=True):
            co = co_bureaus[category.pk]
            if co and nomination_list.state != NominationList.State.DRAFT:
                author = self.rng.choice(clerks_of.get(co[0]) or [admin.pk])
                comments.append(ListComment(nomination_list=nomination_list, author_id=author, bureau_id=co[0],
                                            text="同意该名单。"))
        ListComment.objects.bulk_create(comments, batch_size=BATCH)
        self.log(f"comments: {len(comments)}")
        self.list_targets = [(nl.pk, str(nl.cycle.year) + " · " + nl.category.code, nl.cycle.year) for nl in lists]
        self.nominee_targets = [(n.pk, f"{n.rank}. unit {n.unit_id}", nl.cycle.year)
                                for n, (nl, _c) in zip(nominees, nominee_meta, strict=True)]

    # ------------------------------------------------------------------ audit trail

    def audit(self) -> None:
        wanted = self.sizes.audit - AuditEntry.objects.count()
        if wanted <= 0:
            return
        types = ContentType.objects.get_for_models(NominationList, Nominee, get_user_model())
        list_type, nominee_type, user_type = (types[m].pk for m in (NominationList, Nominee, get_user_model()))
        User = get_user_model()
        user_targets = [(pk, username, None) for pk, username in User.objects.values_list("pk", "username")]
        list_targets = self.list_targets or [(pk, "list", None) for pk in NominationList.objects.values_list("pk", flat=True)]
        nominee_targets = self.nominee_targets or [(pk, "nominee", None) for pk in Nominee.objects.values_list("pk", flat=True)]
        rng = self.rng
        postgres = connection.vendor == "postgresql"
        this_year = self.now.year

        def timestamp(year):
            year = year or rng.randint(this_year - 2, this_year)
            start = datetime.datetime(min(year + 1, this_year), 1, 1, tzinfo=datetime.UTC)
            moment = start + datetime.timedelta(seconds=rng.randrange(90 * 86400))
            return min(moment, self.now)

        list_actions = ["nomination_list.save"] * 7 + ["nomination_list.submit", "nomination_list.return",
                                                        "list_comment.add"]
        nominee_actions = ["nominee.update"] * 3 + ["decision.record"]

        def row():
            pick = rng.random()
            if pick < 0.45 and list_targets:
                pk, text, year = rng.choice(list_targets)
                action, target_type = rng.choice(list_actions), list_type
                actor = rng.choice(self.clerk_ids)
                data = '{"version": %d}' % rng.randint(1, 9)
            elif pick < 0.85 and nominee_targets:
                pk, text, year = rng.choice(nominee_targets)
                action, target_type = rng.choice(nominee_actions), nominee_type
                actor = rng.choice(self.reviewer_ids if action == "decision.record" else self.clerk_ids)
                data = "{}"
            else:
                pk, text, year = rng.choice(user_targets)
                action, target_type, actor, data = "auth.login", user_type, pk, "{}"
            return (timestamp(year), actor, action, target_type, pk, text[:255], "", data)

        # Each record takes the next id and is chained to the one before (organisation/audit_chain.py), as
        # audit_record does: verify_audit checks generated data like any other.
        labels = {pk: f"{t.app_label}.{t.model}" for pk, t in ((pk, ContentType.objects.get_for_id(pk))
                                                               for pk in (list_type, nominee_type, user_type))}
        key_id, key = settings.AUDIT_CHAIN_KEY_ID, audit_chain.chain_keys()[settings.AUDIT_CHAIN_KEY_ID]
        last = AuditEntry.objects.order_by("-id").values_list("id", "chain_seq", "chain").first()
        next_id = (last[0] + 1) if last else 1
        seq, previous = audit_chain.next_link(last[1:] if last and last[1] else None)

        def chained(batch):
            nonlocal next_id, seq, previous
            out = []
            for moment, actor, action, target_type, pk, text, message, data in batch:
                fields = {"chain_seq": seq, "chain_key": key_id, "id": next_id, "at": moment, "actor_id": actor,
                          "action": action, "target_type": labels[target_type], "target_id": pk, "target_repr": text,
                          "message": message, "data": json.loads(data)}
                previous = audit_chain.link(key, previous, fields)
                at = moment.strftime("%Y-%m-%d %H:%M:%S") + ("+00" if postgres else "")
                out.append((next_id, at, actor, action, target_type, pk, text, message, data, seq, key_id, previous))
                next_id, seq = next_id + 1, seq + 1
            return out

        table = AuditEntry._meta.db_table
        columns = ["id", "at", "actor_id", "action", "target_type_id", "target_id", "target_repr", "message", "data",
                   "chain_seq", "chain_key", "chain"]
        written = 0
        with connection.cursor() as cursor:
            rebuilt = []
            if connection.vendor == "sqlite" and wanted > 50_000:
                # Building the indexes once after the inserts is several times faster than keeping five
                # B-trees up to date through a million inserts in random key order.
                cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                               "AND sql IS NOT NULL", [table])
                rebuilt = cursor.fetchall()
                for name, _sql in rebuilt:
                    cursor.execute(f'DROP INDEX "{name}"')
            while written < wanted:
                rows = chained([row() for _ in range(min(AUDIT_BATCH, wanted - written))])
                if postgres:
                    buffer = io.StringIO()
                    csv.writer(buffer).writerows(rows)
                    buffer.seek(0)
                    cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (message, target_repr))", buffer)
                else:
                    cursor.executemany(
                        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})", rows)
                written += len(rows)
                if written % 200_000 < AUDIT_BATCH:
                    self.log(f"audit: {written:,} / {wanted:,}")
            for _name, sql in rebuilt:
                cursor.execute(sql)
            if postgres:  # the ids were given: the sequence goes on after them
                cursor.execute(f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT max(id) FROM {table}))",
                               [table])
        self.log(f"audit: {written:,} records added" + (f", {len(rebuilt)} indexes rebuilt" if rebuilt else ""))

    def statistics_tallies(self) -> None:
        """The statistics' stored tallies of every published cycle, as its publication writes them (a second run
        counts the earlier cycles again: their categories grew)."""
        from reviews.services.publication import statistics_tally

        rows = sum(statistics_tally(cycle=cycle) for cycle in Cycle.objects.filter(state=Cycle.State.PUBLISHED))
        self.log(f"statistics: {rows} tallies stored")

    def run(self) -> None:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                # A page cache big enough for the audit table's indexes: a million inserts in random index
                # order thrash SQLite's default 2 MB cache.
                cursor.execute("PRAGMA cache_size = -262144")
        with transaction.atomic():
            bureaus = self.bureaus()
            self.units()
            self.users(bureaus)
            categories = self.categories(bureaus)
            self.cycles(categories)
            self.audit()
            self.statistics_tallies()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        elif connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.log("done")


def generate(sizes: Sizes, *, seed: int = 2025, verbose: bool = False) -> None:
    """Add generated data until the database holds ``sizes``. Expects the demo data (``load_demo``)."""
    Generator(sizes, seed=seed, verbose=verbose).run()


def counts() -> dict[str, int]:
    return {
        "cycles": Cycle.objects.count(),
        "categories": IncentiveCategory.objects.filter(measure__document__in_force=True).count(),
        "bureaus": Bureau.objects.count(),
        "units": Unit.objects.count(),
        "users": get_user_model().objects.count(),
        "lists": NominationList.objects.count(),
        "nominees": Nominee.objects.count(),
        "awards": Award.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=100, help="100 = the benchmark's large size (default)")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)
    started = time.monotonic()
    generate(Sizes.for_scale(args.scale), seed=args.seed, verbose=True)
    print(json.dumps(counts(), ensure_ascii=False))
    print(f"generated in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main()
