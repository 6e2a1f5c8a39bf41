from django import template

from reviews.programmes import results_path, with_programme

register = template.Library()


@register.simple_tag
def results_url(name, programme=None, *args):
    """``{% results_url 'cycle' cycle.programme cycle.year %}``: the public page of that programme."""
    return results_path(name, programme, *args)


@register.simple_tag
def review_url(url, programme=None):
    """A review page's URL carrying ``?programme=`` for a programme other than the default one."""
    return with_programme(url, programme)
