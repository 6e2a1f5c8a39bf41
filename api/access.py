"""The tokens' rules on the access door: a token is its owner's alone (nobody else, administrators included,
reads or revokes it: the audit trail shows the audit administrator every one)."""

from django.db.models import Q

from organisation import access
from organisation.access import Actions, Person

from .models import ApiToken


@access.read_rule(ApiToken, "view")
def _own_tokens(who: Person):
    return Q(user_id=who.pk)


@access.object_rule(ApiToken)
def _token_actions(who: Person, token: ApiToken) -> Actions:
    if token.user_id != who.pk:
        return Actions()
    return Actions({"view"}).when("revoke", token.revoked_at is None, "")
