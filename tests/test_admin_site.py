"""The admin is composed once: one site class (``security.admin_site``) is ``admin.site`` through the admin's
AppConfig, its rule of entry a method of that class, and every model registered once with its final page. The only
registrations taken back are django.contrib.auth's stock User page, which the page of people replaces, its stock
Group page, which the read-only page of groups replaces, and django-otp's pages of authenticator apps and recovery
codes, replaced by the same pages in the person's language."""

import ast
from pathlib import Path

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from measures.admin import BureauAdmin, PersonAdmin, UnitAdmin
from nominations.models import Cycle
from organisation.models import Bureau, Unit
from reviews.admin import CycleAdmin
from security.admin import AuthenticatorAppAdmin, RecoveryCodesAdmin
from security.admin_mixins import AccountSecurityAdminMixin
from security.admin_site import IncentivesAdminSite

ROOT = Path(__file__).resolve().parent.parent
APPS = ("incentives", "organisation", "security", "measures", "evaluation", "nominations", "reviews")


def test_the_projects_site_is_the_default_site_and_decides_who_enters():
    assert apps.get_app_config("admin").default_site == "security.admin_site.IncentivesAdminSite"
    assert isinstance(admin.site, IncentivesAdminSite)
    # The rule of entry and the login page are the class's, not patched onto the instance.
    assert not {"has_permission", "login_form", "site_header"} & set(vars(admin.site))
    assert IncentivesAdminSite.has_permission is not admin.AdminSite.has_permission


def test_each_model_is_registered_with_its_final_page():
    registry = admin.site._registry
    assert type(registry[get_user_model()]) is PersonAdmin
    assert issubclass(PersonAdmin, AccountSecurityAdminMixin) and PersonAdmin.resource_classes
    assert type(registry[Bureau]) is BureauAdmin and type(registry[Unit]) is UnitAdmin
    assert type(registry[Cycle]) is CycleAdmin
    assert type(registry[TOTPDevice]) is AuthenticatorAppAdmin and type(registry[StaticDevice]) is RecoveryCodesAdmin


def _calls(path: Path, name: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
            found.append(ast.unparse(node))
    return found


def test_nothing_is_unregistered_or_patched_onto_the_site_but_the_stock_user_and_group_pages():
    unregistered, patched = {}, []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if calls := _calls(path, "unregister"):
                unregistered[str(path.relative_to(ROOT))] = calls
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Assign) and any(ast.unparse(t).startswith("admin.site.") for t in node.targets):
                    patched.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert unregistered == {"measures/admin.py": ["admin.site.unregister(User)", "admin.site.unregister(Group)"],
                            "security/admin.py": ["admin.site.unregister(TOTPDevice)", "admin.site.unregister(StaticDevice)"]}
    assert not patched
