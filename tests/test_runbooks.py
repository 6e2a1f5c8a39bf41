"""The operator's guide and its runbooks name only what exists: every `manage.py <command>` (and `… manage
<command>` through the image's entry point) is a command of this project or of Django, every environment variable
is read by the settings or listed in deploy/env.example, every runbook is linked from deploy/README.md and every
relative link points to a file."""

import re

from django.core.management import get_commands

from .helpers import ROOT

DEPLOY = ROOT / "deploy"
RUNBOOKS = sorted((DEPLOY / "runbooks").glob("*.md"))
GUIDES = [DEPLOY / "README.md", *RUNBOOKS]
EXPECTED = {"database-down", "redis-down", "bulletin-render-stuck", "mail-stuck", "restore", "upgrade", "rotate-keys"}
VARIABLE = re.compile(r"(?<![\w.-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w.(])")


def commands_named(text: str) -> set[str]:
    return set(re.findall(r"\bmanage\.py (\w+)", text)) | set(re.findall(r"\brun --rm \w+ manage (\w+)", text))


def known_variables() -> set[str]:
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (DEPLOY / "env.example").read_text(), flags=re.MULTILINE))
    in_settings = set(VARIABLE.findall((ROOT / "incentives" / "settings.py").read_text()))
    return documented | in_settings


def test_every_runbook_is_there_and_linked_from_the_guide():
    assert {path.stem for path in RUNBOOKS} >= EXPECTED
    guide = (DEPLOY / "README.md").read_text()
    for path in RUNBOOKS:
        assert f"(runbooks/{path.name})" in guide, f"deploy/README.md does not link {path.name}"
    for path in RUNBOOKS:
        text = path.read_text()
        for heading in ("**Steps**", "**Verify"):
            assert heading in text or path.stem == "rotate-keys", f"{path.name} has no {heading}"
        if path.stem not in {"restore", "upgrade", "rotate-keys"}:
            assert "**Symptoms**" in text and "**What still works**" in text, path.name


def test_every_manage_command_in_the_guides_exists():
    commands = set(get_commands())
    assert {"backup", "restore", "init", "sendtestemail", "migrate"} <= commands  # the list is the real one
    named = {path.name: commands_named(path.read_text()) for path in GUIDES}
    assert {"backup", "restore", "init", "render_bulletin"} <= set().union(*named.values())  # the parser finds them
    unknown = {name: sorted(found - commands) for name, found in named.items() if found - commands}
    assert not unknown, f"commands that do not exist: {unknown}"


def test_every_environment_variable_in_the_guides_exists():
    known = known_variables()
    assert {"SECRET_KEY", "SECRET_KEY_FALLBACKS", "EMAIL_HOST_PASSWORD", "DATABASE_URL"} <= known
    named = {path.name: set(VARIABLE.findall(path.read_text())) for path in GUIDES}
    assert {"SECRET_KEY_FALLBACKS", "OUTBOX_STALE_CLAIM_MINUTES", "CACHE_URL"} <= set().union(*named.values())
    unknown = {name: sorted(found - known) for name, found in named.items() if found - known}
    assert not unknown, f"variables neither read by the settings nor in deploy/env.example: {unknown}"


def test_every_relative_link_of_the_runbooks_points_to_a_file():
    for path in GUIDES:
        for target in re.findall(r"\]\(([^)#:]+)\)", path.read_text()):
            assert (path.parent / target).is_file(), f"{path.name} links {target}, which does not exist"
