"""A deployment in use, for the backup tests (not a test module): run in a process of its own against a database
`manage.py init` prepared (`python -c "import django; django.setup(); from tests.backup_data import fill; fill()"`),
it writes rows into many tables through the factories and the services (people of every role, memberships, a second
programme, an awarded cycle, an objection, a rules filing, evidence, a rendered bulletin, audit records, an invitation in the
outbox, second factors, a session) and files into MEDIA_ROOT, then runs `manage.py init` as the next start would."""

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.test.utils import override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from measures.models import IncentiveCategory
from nominations.models import Evidence, Nominee
from organisation import roles
from organisation.invitations import account_invite
from organisation.models import Bureau
from reviews import services as review_services
from reviews.models import Award, Objection
from security.services import regenerate_recovery_codes

from .conftest import FAST_HASHERS
from .factories import make_awarded_cycle, make_second_programme, make_user


def bureau(short_name: str) -> Bureau:
    return Bureau.objects.get(short_name=short_name)


def category(code: str) -> IncentiveCategory:
    return IncentiveCategory.objects.select_related("measure").get(code=code, measure__document__in_force=True)


def fill() -> None:
    # The suite's fast hasher: a million PBKDF2 iterations a person would cost seconds for nothing tested here.
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        _fill()
    call_command("init", verbosity=0)  # restarted since: the compose file runs init at every start


def _fill() -> None:
    clerk = make_user("wangfang", first_name="王芳", role=roles.BUREAU_STAFF, bureaus=[bureau("市水务局")])
    reviewer = make_user("zhangwei", first_name="张伟", role=roles.REVIEWER)
    administrator = make_user("liuyang", first_name="刘洋", role=roles.ADMINISTRATOR, is_staff=True,
                              is_superuser=True)
    TOTPDevice.objects.create(user=reviewer, name="手机", confirmed=True)
    regenerate_recovery_codes(user=reviewer)
    cycle = make_awarded_cycle(category, bureau)
    make_second_programme(2025)
    nominee = Nominee.objects.filter(nomination_list__cycle=cycle).order_by("pk").first()
    body = b"%PDF-1.4\n% evidence\n"
    evidence = Evidence(nominee=nominee, token="b" * 32, extension=".pdf", original_name="成效报告.pdf",
                        content_type="application/pdf", size=len(body), sha256=hashlib.sha256(body).hexdigest(),
                        uploaded_by=clerk)
    evidence.file.save("evidence.pdf", ContentFile(body), save=False)
    evidence.save()
    award = Award.objects.filter(cycle=cycle).order_by("pk").first()
    # An objector's personal data: encrypted columns, carried over as stored (SM4-GCM, incentives.crypto).
    Objection.objects.create(cycle=cycle, receipt="2025-BACKUP01", category=award.category, unit=award.unit,
                             award=award, name="陈明", contact="13812345678", email="chenming@example.com",
                             grounds="该区数据与实际不符")
    with transaction.atomic():  # the render runs when this commits (no broker: in this process)
        review_services.bulletin_request(cycle=cycle, actor=reviewer)
    newcomer = get_user_model()(username="newcomer", email="newcomer@example.gov.cn", first_name="新人")
    newcomer.set_unusable_password()
    newcomer.save()
    account_invite(actor=administrator, user=newcomer)
    session = SessionStore()
    session["_auth_user_id"] = str(clerk.pk)
    session.create()
