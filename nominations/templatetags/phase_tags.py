"""``{% cycle_phase cycle %}``: the banner that says, on every page of a cycle, what people can do now and until
when (``nominations.phases.phase_summary``)."""

from django import template

from nominations.phases import phase_summary

register = template.Library()


@register.inclusion_tag("nominations/_phase.html")
def cycle_phase(cycle):
    if cycle is None:
        return {"summary": None}
    return {"summary": phase_summary(cycle), "cycle": cycle}
