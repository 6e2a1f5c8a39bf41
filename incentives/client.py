"""The client's address, behind the configured proxies (deployment configuration: FORWARDED_ALLOW_IPS and
NUM_PROXIES). The sign-in throttle, the audit trail, the logs and the metrics all ask this one function."""

import ipaddress

from django.conf import settings


def _from_trusted_proxy(address: str) -> bool:
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.FORWARDED_ALLOW_IPS:
        try:
            if peer in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request) -> str:
    """The client's address. X-Forwarded-For is read only when the request comes from one of the configured
    proxies (``FORWARDED_ALLOW_IPS``); then, behind ``NUM_PROXIES`` proxies, it is the address the outermost of
    them saw, counted from the right (everything to its left is whatever the client sent). A client talking to
    the application directly gets its own address, whatever header it sends."""
    peer = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded or not _from_trusted_proxy(peer):
        return peer
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) < proxies:
        return peer  # fewer hops than proxies: the chain is not the one configured, so nothing in it is trusted
    hop = hops[-proxies]
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return peer
