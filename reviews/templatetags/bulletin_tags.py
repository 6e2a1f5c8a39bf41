from django import template

from ..bulletins import bulletin_newest, bulletin_newest_done

register = template.Library()


@register.simple_tag
def bulletin_public_state(cycle):
    """For a results page: the newest finished bulletin of a published cycle, and the newest version when it is
    still rendering (to show progress). Nothing for a cycle that is not published."""
    if cycle is None or not getattr(cycle, "is_published", False):
        return {"done": None, "working": None}
    newest = bulletin_newest(cycle)
    working = newest if newest is not None and newest.status in (newest.Status.PENDING, newest.Status.RENDERING) else None
    return {"done": bulletin_newest_done(cycle), "working": working}


@register.simple_tag
def bulletin_seal_note():
    """What the download says of the seal: signed by whom, and whether with a self-signed test certificate (a
    demo), from the deployment's certificate; empty when bulletins are not signed. No query."""
    from .. import seal

    if not seal.pdf_signing_configured():
        return {}
    try:
        certificate = seal.signing_certificate()
    except seal.SealError:
        return {}
    return {"signer": certificate.subject.human_friendly, "test": seal.is_self_signed(certificate)}
