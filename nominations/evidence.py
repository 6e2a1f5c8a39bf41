"""The evidence checks live in ``incentives.evidence`` (the lists, the evaluation's indicators and the objections
share them); kept here for the imports that name this module."""

from incentives.evidence import ACCEPT_ATTRIBUTE, ALLOWED, evidence_check, safe_original_name

__all__ = ["ACCEPT_ATTRIBUTE", "ALLOWED", "evidence_check", "safe_original_name"]
