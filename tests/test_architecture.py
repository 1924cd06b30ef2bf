"""The shape of the code, checked: thin handlers, one error hierarchy, one wiring path."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import bot.cli
import bot.handlers
import bot.jobs
import bot.web
from core import errors

ROOT = Path(__file__).resolve().parent.parent
ENTRY_POINTS = [bot.handlers, bot.jobs, bot.web, bot.cli]


def modules_of(package: object) -> list[Path]:
    path = Path(getattr(package, "__file__", "")).parent
    return sorted(path.rglob("*.py"))


def entry_point_modules() -> list[Path]:
    return [module for package in ENTRY_POINTS for module in modules_of(package)]


@pytest.mark.parametrize(
    "module", entry_point_modules(), ids=lambda path: str(path.relative_to(ROOT))
)
def test_entry_points_neither_touch_repositories_nor_open_sessions(module: Path) -> None:
    tree = ast.parse(module.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            assert not node.module.startswith(("storage.repo", "storage.engine", "sqlalchemy")), (
                f"{module.name} imports {node.module}"
            )
        if isinstance(node, ast.Import):
            for alias in node.names:
                assert not alias.name.startswith(("storage.repo", "sqlalchemy")), alias.name
        if isinstance(node, ast.Call):
            assert not opens_session(node), f"{module.name}:{node.lineno}: {ast.unparse(node)}"


def opens_session(call: ast.Call) -> bool:
    """Tell whether a call opens a database session, transaction or engine."""
    function = call.func
    if isinstance(function, ast.Name):
        return function.id in {"create_engine", "create_sessionmaker", "Database"}
    if not isinstance(function, ast.Attribute):
        return False
    owner = function.value
    owner_name = (
        owner.attr
        if isinstance(owner, ast.Attribute)
        else owner.id
        if isinstance(owner, ast.Name)
        else ""
    )
    # db.unit(), db.read(), sessions.begin(), services.sessions()
    return owner_name in {"db", "sessions", "reads"} or function.attr in {"sessions", "reads"}


def test_every_error_we_raise_is_in_the_one_hierarchy() -> None:
    ours = {
        name: value
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, Exception)
    }
    assert all(issubclass(error, errors.AppealbotError) for error in ours.values())
    defined_elsewhere = []
    for package in ("bot", "storage", "templates", "core"):
        for info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            if ".migrations" in info.name or info.name.endswith("__main__"):
                continue
            module = importlib.import_module(info.name)
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and issubclass(value, Exception)
                    and value.__module__ == info.name
                    and info.name != "core.errors"
                ):
                    defined_elsewhere.append(f"{info.name}.{name}")
    assert defined_elsewhere == []


def test_one_wiring_path() -> None:
    """Only the composition root builds services, engines and the delivery engine; a test's
    or a benchmark's set-up may open a database to fill it before the service runs."""
    wiring = ("DeliveryEngine(", "PublishingService(", "Services(")
    opening = ("Database(", "create_engine(")
    storage = {
        ROOT / "storage" / "database.py",
        ROOT / "storage" / "engine.py",
        ROOT / "storage" / "migrate.py",
        ROOT / "storage" / "migrations" / "env.py",
    }
    arranging = {
        ROOT / "benchmarks" / "commands.py",
        ROOT / "benchmarks" / "broadcast.py",
        ROOT / "tests" / "support" / "databases.py",
        ROOT / "tests" / "support" / "bot.py",
    }
    offenders = []
    for folder in ("bot", "benchmarks", "tests/support"):
        for path in (ROOT / folder).rglob("*.py"):
            if path == ROOT / "bot" / "app.py" or path in storage:
                continue
            text = path.read_text("utf-8")
            names = wiring if path in arranging else (*wiring, *opening)
            offenders += [f"{path.relative_to(ROOT)}: {name}" for name in names if name in text]
    assert offenders == []


def test_nothing_reaches_into_the_private_modules_of_a_library() -> None:
    private = []
    for folder in ("bot", "core", "storage", "templates", "emulator"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                names = (
                    [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else [alias.name for alias in node.names]
                    if isinstance(node, ast.Import)
                    else []
                )
                private += [
                    f"{path.relative_to(ROOT)}: {name}"
                    for name in names
                    if any(part.startswith("_") for part in name.split(".")[1:])
                ]
    assert private == []
