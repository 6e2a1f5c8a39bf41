"""Settings come from the environment; production passes Django's deployment checks."""


from tests.helpers import PRODUCTION, run_manage


def test_production_passes_check_deploy_without_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = dict(PRODUCTION)
    env.pop("SECRET_KEY")
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_never_enables_demo_mode():
    result = run_manage("check", DEMO_MODE="1", **PRODUCTION)
    assert result.returncode != 0
    assert "DEMO_MODE cannot be enabled in production" in result.stderr


def test_bad_boolean_is_named():
    result = run_manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_embedded_default_settings():
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _ in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
