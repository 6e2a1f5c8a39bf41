"""The test suite's own rules: a test module imports no other test module (what several share lives in a support
module: tests/factories.py, tests/helpers.py, tests/conftest.py and its plugins …), and no test module sets the
password hashers (tests/conftest.py gives the whole suite one fast hasher; a test marked ``real_hasher`` gets the
production ones)."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
TEST_MODULES = sorted(TESTS.glob("test_*.py"))


def _is_test_module(dotted: str) -> bool:
    """``test_x``, ``tests.test_x`` (or anything inside them)."""
    parts = dotted.split(".")
    if parts[0] == "tests":
        parts = parts[1:]
    return bool(parts) and parts[0].startswith("test_")


def _test_imports(path: Path) -> list[str]:
    """Every import of a test module in ``path`` (those inside functions too), as ``line: statement``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names if alias.name.startswith("tests.") and _is_test_module(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            relative_to_tests = node.level == 1 or (node.level == 0 and (module == "tests" or module.startswith("tests.")))
            if not relative_to_tests:
                continue
            if module and module != "tests":
                names = [module] if _is_test_module(module) else []
            else:  # from . import test_x / from tests import test_x
                names = [alias.name for alias in node.names if _is_test_module(alias.name)]
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in names]
    return found


def test_no_test_module_imports_another():
    offenders = {path.name: imports for path in TEST_MODULES if (imports := _test_imports(path))}
    assert offenders == {}, ("Test modules importing other test modules (move what they share into tests/factories.py, "
                             f"tests/helpers.py or a conftest fixture): {offenders}")


def test_the_rule_sees_every_form_of_import(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("from .test_a import x\nfrom tests.test_b import y\nimport tests.test_c\nfrom . import test_d\n"
                      "from tests import test_e\ndef f():\n    from .test_f import z\n"
                      "from .factories import make_user\nfrom tests.helpers import ROOT\nimport pytest\n", encoding="utf-8")
    assert _test_imports(sample) == ["1: test_a", "2: tests.test_b", "3: tests.test_c", "4: test_d", "5: test_e",
                                     "7: test_f"]


def _sets_password_hashers(path: Path) -> list[int]:
    """Lines that set PASSWORD_HASHERS: ``override_settings(PASSWORD_HASHERS=…)``, ``settings.PASSWORD_HASHERS = …``,
    a module-level ``PASSWORD_HASHERS = …``, or the name as a string key (``{"PASSWORD_HASHERS": …}``)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.keyword) and node.arg == "PASSWORD_HASHERS":
            lines.append(node.value.lineno)
        elif isinstance(node, ast.Attribute) and node.attr == "PASSWORD_HASHERS" and isinstance(node.ctx, ast.Store | ast.Del):
            lines.append(node.lineno)
        elif isinstance(node, ast.Name) and node.id == "PASSWORD_HASHERS" and isinstance(node.ctx, ast.Store):
            lines.append(node.lineno)
        elif isinstance(node, ast.Constant) and node.value == "PASSWORD_HASHERS":
            lines.append(node.lineno)
    return sorted(lines)


def test_no_test_module_sets_the_password_hashers():
    offenders = {path.name: lines for path in TEST_MODULES
                 if path.name != Path(__file__).name and (lines := _sets_password_hashers(path))}
    assert offenders == {}, ("Test modules setting PASSWORD_HASHERS themselves (tests/conftest.py sets one fast hasher "
                             f"for the suite; mark a test real_hasher for the production ones): {offenders}")


def test_the_hasher_rule_sees_every_way_of_setting_them(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("@override_settings(PASSWORD_HASHERS=['x'])\ndef test_a(settings):\n"
                      "    settings.PASSWORD_HASHERS = ['y']\nPASSWORD_HASHERS = []\n"
                      "pytestmark = pytest.mark.usefixtures()\nOVERRIDE = {'PASSWORD_HASHERS': []}\n"
                      "def test_b(settings):\n    assert settings.PASSWORD_HASHERS\n", encoding="utf-8")
    assert _sets_password_hashers(sample) == [1, 3, 4, 6]
