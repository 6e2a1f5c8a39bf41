import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from measures.models import IncentiveCategory, Measure, PolicyDocument, Responsibility
from organisation import roles
from organisation.models import Bureau, Membership, Unit, UnitKind

PASSWORD = "correct-horse-battery-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.gov.cn")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        self.save()


def make_user(username, *, role=None, bureaus=(), is_active=True, **fields):
    user = UserFactory(username=username, role=role, is_active=is_active, **fields)
    for bureau in bureaus:
        Membership.objects.get_or_create(user=user, bureau=bureau)
    return user


class BureauFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bureau
        django_get_or_create = ("short_name",)

    short_name = factory.Sequence(lambda n: f"市测试局{n}")
    full_name = factory.LazyAttribute(lambda o: "广州" + o.short_name)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    name = factory.Sequence(lambda n: f"测试单位{n}")
    kind = factory.LazyFunction(lambda: UnitKind.objects.get(code=UnitKind.DISTRICT))
    division_order = factory.Sequence(lambda n: 3000 + n)


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyDocument
        django_get_or_create = ("number",)

    title = "测试通知"
    number = factory.Sequence(lambda n: f"穗府办〔2099〕{n + 1}号")
    issuer = "广州市人民政府办公厅"


class MeasureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measure

    document = factory.SubFactory(DocumentFactory)
    number = factory.Sequence(lambda n: (n % 99) + 1)
    numeral = factory.LazyAttribute(lambda o: str(o.number))
    title = factory.Sequence(lambda n: f"测试措施{n}")
    text = "对……的区予以激励支持。(市测试局负责)"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IncentiveCategory
        skip_postgeneration_save = True

    measure = factory.SubFactory(MeasureFactory)
    code = factory.LazyAttribute(lambda o: str(o.measure.number))
    name = factory.Sequence(lambda n: f"测试类别{n}")

    @factory.post_generation
    def kinds(self, create, extracted, **kwargs):
        self.subject_kinds.set(extracted or [UnitKind.DISTRICT])


def make_category(*, lead=None, co=(), measure=None, kinds=None, **fields):
    category = CategoryFactory(measure=measure or MeasureFactory(), kinds=kinds, **fields)
    order = 1
    if lead is not None:
        Responsibility.objects.create(category=category, bureau=lead, role=Responsibility.Role.LEAD, order=order)
        order += 1
    for bureau in co:
        Responsibility.objects.create(category=category, bureau=bureau, role=Responsibility.Role.CO, order=order)
        order += 1
    return category


__all__ = ["PASSWORD", "make_user", "make_category", "UserFactory", "BureauFactory", "UnitFactory", "roles"]


def notice_time(cycle):
    """A moment after every deadline of ``cycle`` (ten days after the latest, 10:00 Beijing), when its proposed
    awardees can go on public notice."""
    import datetime

    from nominations.deadlines import cycle_last_deadline
    from nominations.models import BEIJING

    day = cycle_last_deadline(cycle).astimezone(BEIJING).date() + datetime.timedelta(days=10)
    return datetime.datetime.combine(day, datetime.time(10), tzinfo=BEIJING)


def put_on_notice(reviewer, cycle, *, at=None, reason="本年度无符合条件的单位"):
    """Take the cycle to the public notice, acknowledging every category without a submitted list."""
    from reviews import selectors, services

    at = at or notice_time(cycle)
    acknowledgements = {row.category.pk: reason for row in selectors.notice_preflight(cycle=cycle, now=at).missing}
    return services.cycle_notice_start(actor=reviewer, cycle=cycle, acknowledgements=acknowledgements, now=at)


def after_notice(cycle):
    """A moment after the cycle's public notice has ended."""
    import datetime

    from nominations.models import BEIJING

    cycle.refresh_from_db()
    return datetime.datetime.combine(cycle.notice_ends_on + datetime.timedelta(days=1), datetime.time(9),
                                     tzinfo=BEIJING)


def publish_final(reviewer, cycle):
    """The whole way from a closed cycle to its final publication: public notice, then publication after it."""
    from reviews import services

    if cycle.state != "notice":
        put_on_notice(reviewer, cycle)
    return services.cycle_publish(actor=reviewer, cycle=cycle, now=after_notice(cycle))
