"""Messages of Django's admin and of django-guardian that their Chinese catalogues leave untranslated (strings newer
than the catalogue, or a translation that shows a code name). Listed here so that ``makemessages`` keeps them in the
project's catalogue (locale/zh_Hans), which is searched before the libraries' own (LOCALE_PATHS): the admin's
pages read in Chinese throughout. Never imported: the message ids are only read by ``makemessages``."""

from django.utils.translation import gettext_noop

BORROWED = (
    # django/contrib/admin/templates/admin/app_list.html: the headings of the table of models, read aloud.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # django/contrib/admin/templates/admin/auth/user/add_form.html
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    # guardian/admin.py: the help text of the field naming a person on the page of object permissions.
    gettext_noop("Enter a value compatible with User.USERNAME_FIELD"),
)
