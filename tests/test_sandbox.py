"""The sandbox: a whole session through its terminal chat, as subscriber and as admin."""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
from pathlib import Path

from tests.support.processes import clean_env

APPEAL = """Kazakhstan: oil workers' leader arrested in Zhanaozen

On 3 March police arrested Aigul Nurtaeva, who leads the striking oil workers in Zhanaozen.
She is held in the city's detention centre and faces charges of inciting social discord.
Please send protests to the Prosecutor General of Kazakhstan, Email: gp@prokuror.example.kz
We demand: the immediate release of Aigul Nurtaeva."""


class Session:
    """The sandbox process, typed into and read like a terminal."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.transcript = ""

    async def until_prompt(self, timeout: float = 60.0) -> str:
        assert self.process.stdout is not None
        chunk: str = ""
        async with asyncio.timeout(timeout):
            while not re.search(r"\[(subscriber|admin)\] > $", chunk):
                data = await self.process.stdout.read(4096)
                if not data:
                    break
                chunk += data.decode()
        self.transcript += chunk
        return chunk

    async def type(self, *lines: str) -> str:
        assert self.process.stdin is not None
        for line in lines:
            self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()
        return await self.until_prompt()

    async def expect(self, text: str, *, tries: int = 10) -> None:
        """Wait (typing :wait) until ``text`` has been shown."""
        for _ in range(tries):
            if text in self.transcript:
                return
            await self.type(":wait")
        raise AssertionError(f"{text!r} never showed in:\n{self.transcript[-3000:]}")


def sandboxes() -> set[str]:
    """Return the sandbox folders in the temporary directory."""
    return {str(path) for path in Path(tempfile.gettempdir()).glob("appealbot-sandbox-*")}


def button(shown: str, label: str) -> str:
    found = re.findall(rf"\[(\d+)\] [^\[\n]*{re.escape(label)}", shown)
    assert found, f"no button {label!r} in:\n{shown}"
    return str(found[-1])


async def test_a_session_as_subscriber_and_admin_sees_the_broadcast_and_the_emails(
    tmp_path: Path,
) -> None:
    before = sandboxes()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "sandbox",
        cwd=tmp_path,
        env=clean_env(),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    session = Session(process)
    try:
        intro = await session.until_prompt()
        assert "appealbot sandbox" in intro
        await session.type("/start")
        await session.expect("*appealbot* keeps the urgent appeals")  # bold shown as *bold*
        assert "── bot → you ──" in session.transcript
        await session.type("/case Kurmanov")
        await session.expect("No further action is requested")  # the seeded appeals are old
        await session.type(button(session.transcript, "Model letter"))
        await session.expect("kept as a record")
        await session.type("/subscribe")
        await session.expect("✅ Subscribed.")
        await session.type("/email reader@example.org")
        await session.expect("📧 email 1 to reader@example.org")
        opened = await session.type(":open 1")
        assert "Confirmed" in opened

        admin = await session.type(":admin")
        assert "You are the admin now" in admin
        await session.type("/newappeal")
        await session.type(":paste", *APPEAL.splitlines(), ".")
        await session.expect("It is from today")
        await session.type(button(session.transcript, "It is from today"))
        await session.expect("Publish as urgent")
        assert "Aigul Nurtaeva" in session.transcript
        await session.type(button(session.transcript, "Publish as urgent"))
        await session.expect("Keep it and publish")
        assert "The summary is still the text as it was pasted" in session.transcript
        await session.type(button(session.transcript, "Keep it and publish"))
        await session.expect("📧 email 2 to reader@example.org: Urgent appeal: Kazakhstan")
        await session.expect("── bot → subscriber ──")
        assert "URGENT APPEAL" in session.transcript
        mail = await session.type(":mail 2")
        assert "List-Unsubscribe: <http://127.0.0.1:" in mail
        assert "gp@prokuror.example.kz" in mail
        assert process.stdin is not None
        process.stdin.write(b":quit\n")
        await process.stdin.drain()
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert sandboxes() <= before, "nothing is kept"
