"""Starts the test OpenID provider (tests/oidc_provider/settings.py): creates its database, its users and the
application's client from the environment, then serves on 127.0.0.1:OIDC_PROVIDER_PORT until stopped.

    OIDC_PROVIDER_USERS      "name:password,name:password"
    OIDC_PROVIDER_CLIENT     "client_id:client_secret:redirect_uri"
"""

import os

import django
from django.core.management import call_command

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.oidc_provider.settings"
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from oauth2_provider.models import Application  # noqa: E402

call_command("migrate", verbosity=0)
for item in os.environ["OIDC_PROVIDER_USERS"].split(","):
    name, password = item.split(":", 1)
    get_user_model().objects.create_user(name, password=password)
client_id, secret, redirect_uri = os.environ["OIDC_PROVIDER_CLIENT"].split(":", 2)
Application.objects.create(name="督查激励", client_id=client_id, client_secret=secret, redirect_uris=redirect_uri,
                           client_type=Application.CLIENT_CONFIDENTIAL, skip_authorization=True,
                           authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
                           algorithm=Application.RS256_ALGORITHM)
call_command("runserver", f"127.0.0.1:{os.environ['OIDC_PROVIDER_PORT']}", use_reloader=False, use_threading=True,
             skip_checks=True)
