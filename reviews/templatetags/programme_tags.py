from django import template

from reviews.programmes import results_path

register = template.Library()


@register.simple_tag
def results_url(name, programme=None, *args):
    """``{% results_url 'cycle' cycle.programme cycle.year %}``: the public page of that programme."""
    return results_path(name, programme, *args)

