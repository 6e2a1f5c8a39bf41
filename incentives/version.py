"""The application's version, read from one place: ``pyproject.toml``'s ``[project] version``.

A source checkout (and the Docker image, which copies the tree) reads the file beside the package, so the number
is right even when an older build is installed in the environment; otherwise the installed distribution's
metadata is read. Shown by ``manage.py app_version``, ``/health/ready`` and the admin's footer; CHANGELOG.md lists
what each version changed."""

import importlib.metadata
import tomllib
from pathlib import Path

DISTRIBUTION = "guangzhou-incentives"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def read_version() -> str:
    try:
        with PYPROJECT.open("rb") as file:
            return tomllib.load(file)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        pass
    try:
        return importlib.metadata.version(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


__version__ = read_version()
