"""The deployment files: the Compose Specification, hadolint, and the rules we keep."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRETS = ("TOKEN", "PASSWORD", "SECRET", "KEY")


def names_a_secret(name: str) -> bool:
    """Tell whether a variable holds a secret (a file's path, as APPEALBOT_KEY_FILE, does not:
    the key is in the file, on its own volume)."""
    return any(word in name for word in SECRETS) and not name.endswith("_FILE")


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    assert found, f"{name} is a test dependency (pip install -e '.[test]')"
    return found


def settings_names() -> set[str]:
    return {f"APPEALBOT_{name.upper()}" for name in Settings.model_fields}


def test_the_compose_file_follows_the_compose_specification() -> None:
    run = [tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec"]
    result = subprocess.run(
        [*run, str(ROOT / "docker-compose.yml")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = subprocess.run(
        [tool("hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_unprivileged_checks_its_health_and_holds_no_secret() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users, "the image names its user"
    assert users[-1] not in ("root", "0"), "it runs as a non-root user"
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", dockerfile, flags=re.MULTILINE)
    for line in re.findall(r"^(?:ENV|ARG)\s.*(?:\n\s+.*)*", dockerfile, flags=re.MULTILINE):
        names = re.findall(r"([A-Z_]+)=", line)
        assert names, line
        assert not any(names_a_secret(name) for name in names), line
    assert "slim" in dockerfile.splitlines()[1] or "slim" in dockerfile


def test_compose_migrates_first_keeps_mailpit_for_dev_and_secrets_in_env() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text("utf-8"))
    services = compose["services"]
    assert services["bot"]["depends_on"]["migrate"]["condition"] == (
        "service_completed_successfully"
    )
    assert services["migrate"]["command"] == ["appealbot", "db", "upgrade"]
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in services["db"]
    assert any("pgdata" in volume for volume in services["db"]["volumes"])
    assert services["mail"]["profiles"] == ["dev"]
    for name, service in services.items():
        for key, value in (service.get("environment") or {}).items():
            if names_a_secret(key):
                assert str(value).startswith("${"), f"{name}: {key} must come from .env"
            if key.startswith("APPEALBOT_"):
                assert key in settings_names(), key
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} listens on loopback only"


def test_the_example_env_file_names_every_setting_and_nothing_else() -> None:
    example = (ROOT / ".env.example").read_text("utf-8")
    named = set(re.findall(r"^#?\s*(APPEALBOT_[A-Z_]+)=", example, flags=re.MULTILINE))
    assert named == settings_names()


def test_the_readme_table_names_every_setting_and_nothing_else() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `APPEALBOT_")]
    named = {name for row in rows for name in re.findall(r"`(APPEALBOT_[A-Z_]+)`", row)}
    assert named == settings_names()
