"""The command line contract: commands, output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from core.keyfile import KeyFile
from storage.migrate import head_revision
from storage.seeding import default_seed_dir


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    for name in ("APPEALBOT_TELEGRAM_TOKEN", "APPEALBOT_ADMIN_IDS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("APPEALBOT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.chdir(tmp_path)
    return path


def test_db_upgrade_then_seed_twice_then_list(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "upgrade"]) == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out
    assert main(["seed"]) == 0
    first = capsys.readouterr().out
    assert first.count(": added") == 5
    assert main(["seed"]) == 0
    assert capsys.readouterr().out.count(": already there") == 5
    assert main(["appeals", "list"]) == 0
    table = capsys.readouterr().out
    assert "archived" in table
    assert "2 May 2011" in table
    assert main(["appeals", "list", "--json"]) == 0
    appeals = json.loads(capsys.readouterr().out)
    assert [appeal["slug"] for appeal in appeals] == [
        "2012-01-new-wave-of-arrests",
        "2011-05-20-socialist-action-statement",
        "2011-05-02-may-day-attack",
        "2010-03-taraz-arrests",
        "2007-04-20-kurmanov-shanyrak",
    ]
    assert {appeal["standing"] for appeal in appeals} == {"archived"}
    may_day = appeals[2]
    assert may_day["events"][-1] == {
        "date": "2011-05-02",
        "precision": "day",
        "kind": "trial",
        "case": "dmitry-tikhonov",
        "label": 'Trial of Dmitry Tikhonov for organising an "unsanctioned protest"',
    }
    assert may_day["demands"][1] == {
        "text": "Drop the charges against Dmitry Tikhonov.",
        "solidarity": False,
        "case": "dmitry-tikhonov",
        "to": [
            "kz-embassy",
            "almaty-court-tikhonov",
            "knb-press-office",
            "almaty-police-press-office",
            "kz-foreign-ministry",
            "kz-presidential-administration",
        ],
    }
    court = next(t for t in may_day["targets"] if t["key"] == "almaty-court-tikhonov")
    assert court["faxes"] == ["+77272715802"]
    assert "Aimur" in next(c for c in appeals[4]["cases"] if c["slug"] == "ainur-kurmanov")["names"]


def test_listing_an_unmigrated_database_says_what_to_do(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["appeals", "list"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["appealbot: the database is empty: run `appealbot db upgrade` first"]


def test_a_malformed_seed_exits_2_naming_file_field_and_reason(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = (default_seed_dir() / "2012-01-new-wave-of-arrests.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(source.replace("emails: [mid@mid.kz]", "emails: [mid-at-mid.kz]"), "utf-8")
    assert main(["seed", str(bad)]) == 2
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert str(bad) in line
    assert "targets[1].emails[0]" in line
    assert "not a valid email address" in line
    assert captured.out == ""
    assert main(["appeals", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    "argv", [[], ["fly"], ["appeals"], ["appeals", "list", "--colour"], ["db", "downgrade"]]
)
def test_bad_usage_exits_2_with_one_line(
    database: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("appealbot: ")


def test_bad_settings_exit_2(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APPEALBOT_ADMIN_IDS", "12,abc")
    assert main(["appeals", "list"]) == 2
    assert "APPEALBOT_ADMIN_IDS" in capsys.readouterr().err


FIXTURES = Path(__file__).parent / "fixtures" / "appeals"


def test_import_makes_draft_appeals_and_dry_run_writes_nothing(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed"]) == 0
    capsys.readouterr()
    files = [
        str(FIXTURES / "2011-05-02-may-day-attack.txt"),
        str(FIXTURES / "2010-03-taraz-arrests.txt"),
    ]
    assert main(["import", *files, "--dry-run", "--json"]) == 0
    drafts = json.loads(capsys.readouterr().out)
    assert [draft["appeal_id"] for draft in drafts] == [None, None]
    may_day = drafts[0]
    emails = {email for target in may_day["targets"] for email in target["emails"]}
    assert emails == {
        "press@knb.kz",
        "delta@police.kz",
        "mid@mid.kz",
        "robert.cwi@gmail.com",
        "ainur1917@gmail.com",
    }
    assert len(may_day["demands"]) == 8
    assert main(["appeals", "list", "--all", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 5

    assert main(["import", *files]) == 0
    out = capsys.readouterr().out
    assert "draft appeal 6: Kazakhstan: police attack socialists" in out
    assert "8 demand(s)" in out
    assert main(["appeals", "list", "--all", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    drafts_only = [appeal for appeal in listed if appeal["status"] == "draft"]
    assert len(drafts_only) == 2
    assert main(["appeals", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 5


def test_import_refuses_unreadable_files(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    noise = tmp_path / "noise.txt"
    noise.write_text("!!!! 1234 ----", encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    assert main(["import", str(noise), str(binary), str(tmp_path / "missing.txt")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3
    assert "could not find an appeal" in err[0]
    assert "not UTF-8" in err[1]
    assert "missing.txt" in err[2]


def test_stats_prints_figures(database: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["seed"]) == 0
    capsys.readouterr()
    assert main(["stats", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["appeals"] == {"published": 5}
    assert figures["subscribers"] == {}
    assert main(["stats"]) == 0
    assert "appeals: published 5" in capsys.readouterr().out


def test_backup_while_live_then_restore_keeps_the_old_database_beside(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    assert main(["db", "upgrade"]) == 0
    assert main(["seed"]) == 0
    backup = tmp_path / "backup.db"
    reader = sqlite3.connect(database)  # another connection holds the database open
    try:
        assert main(["backup", str(backup)]) == 0
    finally:
        reader.close()
    assert "backed up to" in capsys.readouterr().out
    assert backup.stat().st_mode & 0o077 == 0, "only the operator can read a backup"
    with sqlite3.connect(database) as connection:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("DELETE FROM appeals")
    assert main(["appeals", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["restore", str(backup)]) == 0
    said = capsys.readouterr().out
    assert "the database as it was is kept in" in said
    assert main(["appeals", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 5
    [kept] = tmp_path.glob("cli.db.before-restore-*")
    with sqlite3.connect(kept) as connection:
        assert connection.execute("SELECT count(*) FROM appeals").fetchone() == (0,)


def test_restore_refuses_what_is_not_a_backup_and_postgres_is_told_pg_dump(
    database: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["db", "upgrade"]) == 0
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    assert main(["restore", str(junk)]) == 2
    assert "is not an appealbot backup" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.db")]) == 2
    assert "there is no backup" in capsys.readouterr().err
    monkeypatch.setenv("APPEALBOT_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1/x")
    assert main(["backup", str(tmp_path / "b.db")]) == 2
    assert "pg_dump" in capsys.readouterr().err


def test_the_key_commands_say_where_it_is_and_destroy_only_on_the_networks_name(
    database: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file = tmp_path / "keys" / "data.key"
    monkeypatch.delenv("APPEALBOT_DATA_KEY", raising=False)
    monkeypatch.setenv("APPEALBOT_KEY_FILE", str(key_file))
    monkeypatch.setenv("APPEALBOT_SITE_NAME", "Almaty Solidarity")
    assert main(["db", "upgrade"]) == 0
    assert key_file.exists(), "made on the first start"
    capsys.readouterr()
    assert main(["key", "status"]) == 0
    status = capsys.readouterr().out
    assert f"in {key_file}" in status
    assert main(["backup", str(tmp_path / "b.db")]) == 0
    assert f"useless without the key in the key file {key_file}" in capsys.readouterr().out
    assert main(["key", "destroy", "--confirm", "yes"]) == 2
    assert "type the network's name, Almaty Solidarity" in capsys.readouterr().err
    assert main(["key", "status"]) == 0
    assert capsys.readouterr().out == status, "nothing changed"
    assert main(["key", "destroy", "--confirm", "almaty solidarity"]) == 0
    assert "destroyed: 0 subscribers can no longer be reached" in capsys.readouterr().out
    assert main(["key", "status"]) == 0
    assert "a key was destroyed on" in capsys.readouterr().out
    # The same key given as a secret: it cannot be rotated from here.
    monkeypatch.setenv("APPEALBOT_DATA_KEY", KeyFile(key_file).read().current.as_text())
    assert main(["key", "rotate"]) == 2
    assert "keep it in a key file instead" in capsys.readouterr().err
