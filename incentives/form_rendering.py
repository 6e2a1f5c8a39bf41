"""A form renderer that writes Django's stock widgets in Python.

The stock renderer renders a template per widget, and per option of a select or a radio group, and one per empty
error list: on the list editor and the review page that was a third of the page's time. ``DirectRenderer`` writes
the same HTML, character for character (``tests/test_form_rendering.py`` compares both renderers), for the
templates below, and hands any other template (a widget with a value of its own, a form's layout) to the stock
renderer. Forms opt in with ``default_renderer = DirectRenderer`` (a formset with ``renderer=``).
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape


def _attrs(attrs: dict) -> str:
    # django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name alone.
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
            f'{shown}{_attrs(widget["attrs"])}>')


def _textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _select_option(option: dict) -> str:
    return (f'<option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
            f'{conditional_escape(option["label"])}</option>')


def _select(widget: dict) -> str:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            parts.append("\n  " + _select_option(option) + "\n")  # the option template's final newline
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _input_option(option: dict) -> str:
    # radio_option.html and checkbox_option.html include input_option.html, which includes input.html: each
    # included file ends with a newline of its own.
    html = _input(option) + "\n"
    if option["wrap_label"]:
        label_for = f' for="{conditional_escape(option["attrs"]["id"])}"' if option["attrs"].get("id") else ""
        html = f"<label{label_for}>{html} {conditional_escape(option['label'])}</label>"
    return html + "\n\n"


def _multiple_input(widget: dict) -> str | None:
    widget_id = widget["attrs"].get("id")
    css = widget["attrs"].get("class")
    opening = "<div"
    if widget_id:
        opening += f' id="{conditional_escape(widget_id)}"'
    if css:
        opening += f' class="{conditional_escape(css)}"'
    parts = [opening + ">"]
    for group, options, _index in widget["optgroups"]:
        if group:
            parts.append(f"\n  <div><label>{conditional_escape(group)}</label>")
        for option in options:
            if option["template_name"] not in _OPTIONS:
                return None  # an option template of its own: the stock renderer
            parts.append("<div>\n    " + _OPTIONS[option["template_name"]](option) + "</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def _clearable_file_input(widget: dict) -> str | None:
    if widget.get("is_initial"):
        return None  # a current file with its "clear" box: the stock renderer
    return f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>'


_OPTIONS = {
    "django/forms/widgets/radio_option.html": _input_option,
    "django/forms/widgets/checkbox_option.html": _input_option,
}

_WIDGETS = {
    **{f"django/forms/widgets/{name}.html": _input for name in (
        "input", "text", "hidden", "number", "email", "url", "password", "checkbox", "date", "datetime", "time",
        "file", "search", "tel", "color")},
    "django/forms/widgets/textarea.html": _textarea,
    "django/forms/widgets/select.html": _select,
    "django/forms/widgets/radio.html": _multiple_input,
    "django/forms/widgets/checkbox_select.html": _multiple_input,
    "django/forms/widgets/clearable_file_input.html": _clearable_file_input,
}
_EMPTY_ERRORS = {"django/forms/errors/list/default.html", "django/forms/errors/list/ul.html"}


class DirectRenderer(DjangoTemplates):
    """The stock renderer, with the stock widgets and empty error lists written in Python."""

    def render(self, template_name, context, request=None):
        if template_name in _EMPTY_ERRORS and not context.get("errors"):
            return ""
        write = _WIDGETS.get(template_name)
        if write is not None and "widget" in context:
            html = write(context["widget"])
            if html is not None:
                return html.strip()  # as the stock renderer strips a rendered template
        return super().render(template_name, context, request)
