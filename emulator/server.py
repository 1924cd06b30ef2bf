"""The emulator's HTTP side: ``{root}/bot{token}/{method}`` as the Bot API answers it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from emulator.limits import FloodControl, Limits
from emulator.state import (
    BOT_USER_ID,
    Sent,
    World,
    bot_user,
    chat_object,
    user_object,
)
from emulator.telegram_html import check_text
from emulator.watching import Watching

DEFAULT_TOKEN = "123456:TEST-emulator-token"
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


def _language_code(params: Params) -> str:
    """Return a command list's language (empty: every language without its own list)."""
    code = str(params.get("language_code") or "")
    if code and not _LANGUAGE_CODE.match(code):
        # The Bot API takes a two-letter ISO 639-1 code, or none.
        raise ApiError(400, "Bad Request: invalid language code specified")
    return code


_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "commands",
    "allowed_updates",
    "link_preview_options",
    "scope",
    "reply_parameters",
}
_SEND_METHODS = {"sendmessage", "editmessagetext", "editmessagereplymarkup"}
_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}

Params = dict[str, Any]
Handler = Callable[[Params], Awaitable[Any]]


class ApiError(Exception):
    """An error answer: HTTP status, description and optional parameters."""

    def __init__(self, code: int, description: str, parameters: Params | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


TRUNCATED_JSON = '{"ok": tru'
PROXY_PAGE = "<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"


@dataclass
class Faults:
    """Failures to inject into send-like calls, as shares of all such calls.

    ``garbled_rate``: answer with ``garbled_body`` (HTTP ``garbled_status``, not delivered),
    as a proxy or a cut connection does. ``updates_body``: answer every getUpdates with it.
    """

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    garbled_rate: float = 0.0
    garbled_body: str = TRUNCATED_JSON
    garbled_status: int = 200
    updates_body: str | None = None
    seed: int | None = None
    methods: frozenset[str] = frozenset(_SEND_METHODS)  # the calls that may fail (lower case)
    # Answer every message to these chats with 429 and this retry_after, however long.
    retry_after: dict[int, float] = field(default_factory=dict)


def _error_body(error: ApiError) -> Params:
    body: Params = {"ok": False, "error_code": error.code, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return body


async def _read_params(request: web.Request) -> Params:
    if request.content_type == "application/json":
        body = await request.read()
        loaded = json.loads(body) if body else {}
        return dict(loaded) if isinstance(loaded, dict) else {}
    if request.content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        params: Params = {}
        for key, value in form.items():
            if not isinstance(value, str):
                continue
            params[key] = json.loads(value) if key in _JSON_FIELDS else value
        return params
    params = dict(request.query)
    for key in _JSON_FIELDS & params.keys():
        params[key] = json.loads(params[key])
    return params


def _int(params: Params, name: str) -> int:
    try:
        return int(params[name])
    except KeyError:
        raise ApiError(400, f"Bad Request: {name} is empty") from None
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: {name} is invalid") from None


def _check_reply_markup(markup: Any) -> Params | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if data is None and not any(key in button for key in ("url", "switch_inline_query")):
                raise ApiError(400, 'Bad Request: can\'t find field "callback_data" in the button')
    return markup


# Telegram delivers webhooks to these ports only.
WEBHOOK_PORTS = frozenset({80, 88, 443, 8443})


class BotApiEmulator(Watching):
    """A Bot API server on 127.0.0.1 that a real bot talks to and tests drive."""

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        limits: Limits | None = None,
        faults: Faults | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.world = World()
        self.flood = FloodControl(limits or Limits())
        self.faults = faults or Faults()
        self._random = random.Random(self.faults.seed)
        self._runner: web.AppRunner | None = None
        self._pusher: asyncio.Task[None] | None = None
        self._webhook_route: str | None = None
        self.webhook_statuses: list[int] = []
        self._methods: dict[str, Handler] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "answercallbackquery": self._answer_callback_query,
            "getchatmember": self._get_chat_member,
            "getchat": self._get_chat,
            "getchatadministrators": self._get_chat_administrators,
        }

    # ---- lifecycle -----------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """Return the aiohttp application serving the Bot API paths."""
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        return app

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one)."""
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1]

    def route_webhook(self, local_url: str) -> None:
        """Deliver webhook updates to ``local_url``, as a reverse proxy would pass on what
        Telegram posts to the public HTTPS URL the bot registered."""
        self._webhook_route = local_url
        if self._pusher is None:
            self._pusher = asyncio.create_task(self._push_loop(), name="emulator-webhook")

    async def _push_loop(self) -> None:
        """Post queued updates to the webhook one at a time, in order, as Telegram does;
        an update stays queued until the bot answers 2xx."""
        import aiohttp

        async with aiohttp.ClientSession() as http:
            while True:
                hook = self.world.webhook
                if hook is None or not self.world.updates or self._webhook_route is None:
                    await asyncio.sleep(0.01)
                    continue
                update = self.world.updates[0]
                headers = {}
                if hook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = str(hook["secret_token"])
                try:
                    async with http.post(
                        self._webhook_route, json=update, headers=headers
                    ) as response:
                        self.webhook_statuses.append(response.status)
                        delivered = 200 <= response.status < 300
                except aiohttp.ClientError:
                    delivered = False
                if delivered:
                    self.world.updates.pop(0)
                else:
                    await asyncio.sleep(0.2)

    async def stop(self) -> None:
        """Stop listening; hanging requests are dropped."""
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None
        if self._runner is not None:
            self.world.new_update.set()
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    @property
    def api_root(self) -> str:
        """Return the URL to give the bot as APPEALBOT_TELEGRAM_API_URL."""
        return f"http://{self.host}:{self.port}"

    def set_limits(self, limits: Limits) -> None:
        """Enforce new flood limits from now on."""
        self.flood.reconfigure(limits)

    def set_faults(self, faults: Faults) -> None:
        """Inject new failures from now on."""
        self.faults = faults
        self._random = random.Random(faults.seed)

    # ---- HTTP ------------------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(_error_body(ApiError(401, "Unauthorized")), status=401)
        method = request.match_info["method"].lower()
        self.world.counters.calls[method] += 1
        handler = self._methods.get(method)
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            params = await _read_params(request)
            garbled = self._garbled(method)
            if garbled is not None:
                return garbled
            if method in _SEND_METHODS and method in self.faults.methods:
                await self._inject_faults()
            result = await handler(params)
        except ApiError as error:
            self._count_error(error.code)
            return web.json_response(_error_body(error), status=error.code)
        except (ValueError, json.JSONDecodeError) as exc:
            self._count_error(400)
            bad = ApiError(400, f"Bad Request: {exc}")
            return web.json_response(_error_body(bad), status=400)
        return web.json_response({"ok": True, "result": result})

    def _count_error(self, code: int) -> None:
        counters = self.world.counters
        if code == 429:
            counters.http_429 += 1
        elif code >= 500:
            counters.http_5xx += 1
        elif code == 403:
            counters.forbidden += 1
        elif code == 400:
            counters.bad_requests += 1

    def _garbled(self, method: str) -> web.Response | None:
        faults = self.faults
        if method == "getupdates" and faults.updates_body is not None:
            self.world.counters.garbled += 1
            return web.Response(text=faults.updates_body, content_type="application/json")
        if method not in _SEND_METHODS or not faults.garbled_rate:
            return None
        if self._random.random() >= faults.garbled_rate:
            return None
        self.world.counters.garbled += 1
        kind = "text/html" if faults.garbled_body.lstrip().startswith("<") else "application/json"
        return web.Response(
            text=faults.garbled_body, status=faults.garbled_status, content_type=kind
        )

    async def _inject_faults(self) -> None:
        faults = self.faults
        if faults.timeout_rate and self._random.random() < faults.timeout_rate:
            self.world.counters.timeouts += 1
            await asyncio.sleep(faults.timeout_seconds)
            raise ApiError(504, "Gateway Timeout")
        if faults.error_rate and self._random.random() < faults.error_rate:
            raise ApiError(502, "Bad Gateway")

    def _chat_id(self, params: Params) -> int:
        """Read chat_id: a number, or a public channel's @username."""
        raw = params.get("chat_id")
        if isinstance(raw, str) and raw.startswith("@"):
            found = self.world.usernames.get(raw[1:].lower())
            if found is None:
                raise ApiError(400, "Bad Request: chat not found")
            return found
        return _int(params, "chat_id")

    def _target_chat(self, params: Params) -> int:
        chat_id = self._chat_id(params)
        if self.world.chat_types.get(chat_id) == "channel" and chat_id not in self.world.posting:
            raise ApiError(403, "Forbidden: bot is not a member of the channel chat")
        if chat_id in self.world.blocked:
            raise ApiError(403, self.world.blocked[chat_id])
        if chat_id in self.world.migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self.world.migrated[chat_id]},
            )
        return chat_id

    def _flood_check(self, chat_id: int, *, paid: bool = False) -> None:
        told = self.faults.retry_after.get(chat_id)
        if told is not None:
            self.world.refused.append((chat_id, time.monotonic()))
            raise ApiError(429, f"Too Many Requests: retry after {told}", {"retry_after": told})
        is_group = self.world.chat_type(chat_id) != "private"
        wait = self.flood.retry_after(chat_id, is_group=is_group, paid=paid)
        if wait:
            self.world.refused.append((chat_id, time.monotonic()))
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    # ---- methods ---------------------------------------------------------------------------

    async def _get_me(self, _params: Params) -> Params:
        return bot_user()

    async def _delete_webhook(self, _params: Params) -> bool:
        if _params.get("drop_pending_updates") in (True, "true", "True"):
            self.world.updates.clear()
        self.world.webhook = None
        return True

    async def _set_webhook(self, params: Params) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme != "https":
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        if (parts.port or 443) not in WEBHOOK_PORTS:
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        self.world.webhook = {"url": url, "secret_token": secret}
        return True

    async def _get_webhook_info(self, _params: Params) -> Params:
        hook = self.world.webhook or {}
        return {"url": hook.get("url", ""), "pending_update_count": len(self.world.updates)}

    async def _get_updates(self, params: Params) -> list[Params]:
        world = self.world
        if world.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset", 0) or 0)
        limit = int(params.get("limit", 100) or 100)
        timeout = float(params.get("timeout", 0) or 0)
        if offset:
            world.updates = [update for update in world.updates if update["update_id"] >= offset]
        if not world.updates and timeout > 0:
            world.new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(world.new_update.wait(), timeout=timeout)
        return world.updates[:limit]

    def _scope(self, params: Params) -> str:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise ApiError(400, "Bad Request: wrong scope")
        if scope["type"] != "chat":
            return str(scope["type"])
        chat_id = _int(scope, "chat_id")
        if chat_id not in self.world.chat_types:
            raise ApiError(400, "Bad Request: chat not found")
        return f"chat:{chat_id}"

    async def _set_my_commands(self, params: Params) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100 items")
        for command in commands:
            if not _COMMAND.match(str(command.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        listed = [
            {"command": str(c["command"]), "description": str(c["description"])} for c in commands
        ]
        scope = self._scope(params)
        language = _language_code(params)
        if language:
            self.world.language_commands[(scope, language)] = listed
            return True
        self.world.scoped_commands[scope] = listed
        if scope == "default":
            self.world.commands = listed
        return True

    async def _get_my_commands(self, params: Params) -> list[dict[str, str]]:
        scope, language = self._scope(params), _language_code(params)
        if language:
            return self.world.language_commands.get((scope, language), [])
        return self.world.scoped_commands.get(scope, [])

    async def _delete_my_commands(self, params: Params) -> bool:
        scope, language = self._scope(params), _language_code(params)
        if language:
            self.world.language_commands.pop((scope, language), None)
            return True
        self.world.scoped_commands.pop(scope, None)
        if scope == "default":
            self.world.commands = []
        return True

    async def _send_message(self, params: Params) -> Params:
        chat_id = self._target_chat(params)
        html = str(params.get("text", ""))
        plain, entities = self._check_text(html, params.get("parse_mode"))
        markup = _check_reply_markup(params.get("reply_markup"))
        paid = params.get("allow_paid_broadcast") in (True, "true", "True")
        self._flood_check(chat_id, paid=paid)
        if paid:
            self.world.counters.paid += 1
        reply = params.get("reply_parameters")
        reply_to = int(reply["message_id"]) if isinstance(reply, dict) else None
        if reply_to is not None and (chat_id, reply_to) not in self.world.by_id:
            if not reply.get("allow_sending_without_reply"):  # type: ignore[union-attr]
                raise ApiError(400, "Bad Request: message to be replied not found")
            reply_to = None
        sent = self.world.record(
            chat_id=chat_id,
            text=plain,
            html=html,
            entities=entities,
            reply_markup=markup,
            reply_to=reply_to,
        )
        return sent.as_message(self.world.chat_type(chat_id))

    def _check_text(self, html: str, parse_mode: Any) -> tuple[str, list[Params]]:
        try:
            return check_text(html, parse_mode=str(parse_mode) if parse_mode else None)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None

    def _message(self, params: Params) -> Sent:
        chat_id = self._target_chat(params)
        message_id = _int(params, "message_id")
        sent = self.world.by_id.get((chat_id, message_id))
        if sent is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return sent

    async def _edit_message_text(self, params: Params) -> Params:
        sent = self._message(params)
        html = str(params.get("text", ""))
        plain, entities = self._check_text(html, params.get("parse_mode"))
        markup = _check_reply_markup(params.get("reply_markup"))
        if plain == sent.text and entities == sent.entities and markup == sent.reply_markup:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        sent.history.append(sent.text)
        sent.text, sent.html, sent.entities, sent.reply_markup = plain, html, entities, markup
        sent.edits += 1
        self.world.activity.set()
        return sent.as_message(self.world.chat_type(sent.chat_id))

    async def _edit_message_reply_markup(self, params: Params) -> Params:
        sent = self._message(params)
        markup = _check_reply_markup(params.get("reply_markup"))
        if markup == sent.reply_markup:
            raise ApiError(400, "Bad Request: message is not modified")
        sent.reply_markup = markup
        sent.edits += 1
        self.world.activity.set()
        return sent.as_message(self.world.chat_type(sent.chat_id))

    async def _answer_callback_query(self, params: Params) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if not query_id:
            raise ApiError(400, "Bad Request: query_id is empty")
        text = params.get("text")
        if text is not None and len(str(text)) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.world.callback_answers[query_id] = {
            "text": text,
            "show_alert": params.get("show_alert") in (True, "true", "True"),
        }
        self.world.activity.set()
        return True

    async def _get_chat(self, params: Params) -> Params:
        chat_id = self._chat_id(params)
        kind = self.world.chat_types.get(chat_id)
        if kind is None:
            raise ApiError(400, "Bad Request: chat not found")
        chat = chat_object(chat_id, kind)
        username = next((n for n, i in self.world.usernames.items() if i == chat_id), None)
        if username:
            chat["username"] = username
        return chat

    async def _get_chat_member(self, params: Params) -> Params:
        chat_id = _int(params, "chat_id")
        user_id = _int(params, "user_id")
        if user_id == BOT_USER_ID:
            return {"user": bot_user(), "status": "member"}
        status = "administrator" if user_id in self.world.admins.get(chat_id, set()) else "member"
        member: Params = {"user": user_object(user_id), "status": status}
        if status == "administrator":
            member.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            )
        return member

    async def _get_chat_administrators(self, params: Params) -> list[Params]:
        chat_id = _int(params, "chat_id")
        return [
            await self._get_chat_member({"chat_id": chat_id, "user_id": user_id})
            for user_id in sorted(self.world.admins.get(chat_id, set()))
        ]
