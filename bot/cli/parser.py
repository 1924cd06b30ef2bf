"""Argument parsing; errors become one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import NoReturn

from bot.cli import (
    appeals,
    backups,
    broadcast,
    database,
    importing,
    keys,
    run,
    sandbox,
    sources,
    stats,
    web,
    worker,
)
from core.errors import UsageError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    """Describe every command."""
    parser = _Parser(
        prog="appealbot",
        description="Urgent appeals for solidarity networks: store, broadcast, answer.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run_parser = commands.add_parser(
        "run", help="run the bot, delivery, scheduler and HTTP endpoints"
    )
    run_parser.set_defaults(handler=run.run)
    sandbox_parser = commands.add_parser(
        "sandbox", help="try everything without a token: a Telegram stand-in and a terminal chat"
    )
    sandbox_parser.set_defaults(handler=sandbox.sandbox)
    worker_parser = commands.add_parser(
        "worker", help="an extra delivery worker (several share one PostgreSQL database)"
    )
    worker_parser.set_defaults(handler=worker.worker)
    web_parser = commands.add_parser(
        "web",
        help="only the HTTP endpoints: public pages, feeds, calendars, email links (several "
        "may run behind a reverse proxy)",
    )
    web_parser.set_defaults(handler=web.web)

    sources_parser = commands.add_parser(
        "sources", help="publishers' feeds followed for new appeals (drafts for admins)"
    )
    sources_commands = sources_parser.add_subparsers(
        dest="sources_command", required=True, parser_class=_Parser
    )
    add_source = sources_commands.add_parser("add", help="follow a feed, or the feed a page names")
    add_source.add_argument("url")
    add_source.set_defaults(handler=sources.add)
    list_source = sources_commands.add_parser("list", help="every source and what it found")
    list_source.add_argument("--json", action="store_true", help="as JSON")
    list_source.set_defaults(handler=sources.list_sources)
    for name in ("remove", "pause", "resume"):
        changing = sources_commands.add_parser(name, help=f"{name} a source by its number")
        changing.add_argument("number", type=int)
        changing.set_defaults(handler=sources.change)
    sources_commands.add_parser(
        "poll", help="poll every active source once now and make the drafts"
    ).set_defaults(handler=sources.poll)

    db_parser = commands.add_parser("db", help="database maintenance")
    db_commands = db_parser.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_commands.add_parser("upgrade", help="apply every migration").set_defaults(
        handler=database.db_upgrade
    )

    seed_parser = commands.add_parser("seed", help="load seed appeals (again: changes nothing)")
    seed_parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="seed files or folders (default: shipped seeds)",
    )
    seed_parser.set_defaults(handler=database.seed)

    appeals_parser = commands.add_parser("appeals", help="appeals")
    appeals_commands = appeals_parser.add_subparsers(
        dest="appeals_command", required=True, parser_class=_Parser
    )
    list_parser = appeals_commands.add_parser("list", help="list appeals, newest first")
    list_parser.add_argument("--json", action="store_true", help="print JSON")
    list_parser.add_argument(
        "--all", action="store_true", help="include drafts and withdrawn appeals"
    )
    list_parser.set_defaults(handler=appeals.list_appeals)

    broadcast_parser = commands.add_parser(
        "broadcast", help="publish an appeal and queue it for every subscriber"
    )
    broadcast_parser.add_argument("appeal", metavar="APPEAL", help="appeal number or slug")
    broadcast_parser.add_argument(
        "--wait", action="store_true", help="send from here and show progress until done"
    )
    broadcast_parser.add_argument(
        "--retry-failed",
        action="store_true",
        help="queue the deliveries that failed again (those that went out stay sent)",
    )
    broadcast_parser.add_argument(
        "--confirm-summary",
        action="store_true",
        help="publish an imported draft whose summary is still the text as it was pasted",
    )
    broadcast_parser.set_defaults(handler=broadcast.broadcast)

    import_parser = commands.add_parser(
        "import", help="read appeals from text files into draft appeals"
    )
    import_parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    import_parser.add_argument("--dry-run", action="store_true", help="store nothing")
    import_parser.add_argument("--json", action="store_true", help="print the drafts as JSON")
    import_parser.set_defaults(handler=importing.import_files)

    stats_parser = commands.add_parser("stats", help="subscribers, appeals, protests, broadcasts")
    stats_parser.add_argument("--json", action="store_true", help="print JSON")
    stats_parser.set_defaults(handler=stats.stats)

    backup_parser = commands.add_parser(
        "backup", help="copy the SQLite database to FILE, while the bot runs"
    )
    backup_parser.add_argument("file", type=Path, metavar="FILE")
    backup_parser.set_defaults(handler=backups.backup)
    restore_parser = commands.add_parser(
        "restore", help="replace the SQLite database by FILE (stop the bot first)"
    )
    restore_parser.add_argument("file", type=Path, metavar="FILE")
    restore_parser.set_defaults(handler=backups.restore)

    key_parser = commands.add_parser("key", help="the data key that seals subscribers' addresses")
    key_commands = key_parser.add_subparsers(dest="key_command", required=True)
    key_commands.add_parser("status", help="which key, kept where").set_defaults(
        handler=keys.status
    )
    key_commands.add_parser(
        "rotate", help="seal every address with a new key, while the bot runs"
    ).set_defaults(handler=keys.rotate)
    destroy_parser = key_commands.add_parser(
        "destroy", help="overwrite the key: every stored address unreadable, for good"
    )
    destroy_parser.add_argument(
        "--confirm", metavar="NAME", help="the network's name (else it is asked for)"
    )
    destroy_parser.set_defaults(handler=keys.destroy)
    return parser
