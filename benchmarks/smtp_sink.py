"""An SMTP sink in its own process for the email benchmark: prints its port, then answers
"count" on stdin with what it received.

It answers as a relay written in C would, at once and without parsing more than it must, so
that what the benchmark measures is the sender, not the sink (a sink in Python that parses
every command, as aiosmtpd does, takes most of a core at a few hundred messages a second).
"""

from __future__ import annotations

import asyncio
import json
import re
import sys

GREETING = b"220 sink.test ESMTP\r\n"
EHLO = b"250-sink.test\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
END_OF_DATA = b"\r\n.\r\n"
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Counter:
    def __init__(self) -> None:
        self.received = 0
        self.ids: set[bytes] = set()

    def took(self, message: bytes) -> None:
        self.received += 1
        found = MESSAGE_ID.search(message, 0, 4_000)
        if found:
            self.ids.add(found.group(1))


class SinkProtocol(asyncio.Protocol):
    """One SMTP session: commands answered line by line; DATA kept until its end."""

    def __init__(self, counter: Counter) -> None:
        self.counter = counter
        self.buffer = b""
        self.in_data = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(GREETING)

    def data_received(self, data: bytes) -> None:
        assert self.transport is not None
        self.buffer += data
        while True:
            if self.in_data:
                end = self.buffer.find(END_OF_DATA)
                if end < 0:
                    return
                self.counter.took(self.buffer[:end])
                self.buffer = self.buffer[end + len(END_OF_DATA) :]
                self.in_data = False
                self.transport.write(b"250 OK queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                return
            line, self.buffer = self.buffer[:end], self.buffer[end + 2 :]
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.transport.write(EHLO)
            elif verb == b"DATA":
                self.in_data = True
                self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
            elif verb == b"QUIT":
                self.transport.write(b"221 Bye\r\n")
                self.transport.close()
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.transport.write(b"250 OK\r\n")


async def main() -> None:
    counter = Counter()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SinkProtocol(counter), "127.0.0.1", 0)
    print(f"listening on {server.sockets[0].getsockname()[1]}", flush=True)
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := await reader.readline():
        if line.strip() == b"count":
            print(
                json.dumps({"received": counter.received, "unique": len(counter.ids)}), flush=True
            )
    server.close()


if __name__ == "__main__":
    asyncio.run(main())
