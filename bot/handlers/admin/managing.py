"""/outcome, /withdraw, /stats, /admins, and retrying a broadcast's failed deliveries."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers.admin.arguments import ADMINS_USAGE, OUTCOME_USAGE, parse_admins, parse_outcome
from bot.handlers.replies import (
    answer,
    command_argument,
    edit_keyboard,
    ids,
    reply,
    reply_missing,
    tap,
)
from bot.presentation.errors import said
from bot.presentation.labels import admin_change_words
from bot.services.actors import Actor
from bot.services.references import Meant
from bot.services.sources import SourceChange
from core.errors import BadInputError
from templates.i18n import N_, _

WITHDRAW_USAGE = N_("/withdraw <appeal number or slug>, for example /withdraw 12")
REMINDERS_USAGE = N_("/reminders <appeal> on|off, for example /reminders 12 off")
NO_APPEAL = N_("There is no appeal “%(reference)s”.")


def _actor(update: Update) -> Actor:
    __, user_id = ids(update)
    return Actor.telegram(user_id)


async def outcome(update: Update, context: Context) -> None:
    """/outcome <case> <status> [text]: record it, announce it, thank the protesters."""
    request = parse_outcome(command_argument(update))
    if request is None or not request.case_query:
        await reply(update, context, "usage", text=_(OUTCOME_USAGE))
        return
    services = context.bot_data.services
    resolution = await services.resolver.case(request.case_query, public=False)
    if resolution.found is not Meant.CASE or resolution.case_id is None:
        await reply_missing(update, context, resolution, command="outcome")
        return
    chat_id, __ = ids(update)
    result = await services.outcomes.record(
        resolution.case_id, request, actor=_actor(update), progress_chat_id=chat_id
    )
    await reply(update, context, "outcome_done", result=result)


async def withdraw_appeal(update: Update, context: Context) -> None:
    """/withdraw <appeal>: unpublish it and cancel what has not gone out."""
    reference = command_argument(update)
    if not reference:
        await reply(update, context, "usage", text=_(WITHDRAW_USAGE))
        return
    services = context.bot_data.services
    resolution = await services.resolver.appeal(reference, public=False)
    if resolution.appeal_id is None:
        text = _(NO_APPEAL) % {"reference": reference[:80]}
        await reply(update, context, "usage", text=text)
        return
    done = await services.publishing.withdraw(resolution.appeal_id, actor=_actor(update))
    await reply(update, context, "withdrawn", withdrawn=done)


async def reminders(update: Update, context: Context) -> None:
    """/reminders <appeal> on|off: remind followers of its court dates, or not."""
    reference, __, choice = command_argument(update).rpartition(" ")
    if not reference or choice.lower() not in ("on", "off"):
        await reply(update, context, "usage", text=_(REMINDERS_USAGE))
        return
    services = context.bot_data.services
    resolution = await services.resolver.appeal(reference.strip(), public=False)
    if resolution.appeal_id is None:
        text = _(NO_APPEAL) % {"reference": reference[:80]}
        await reply(update, context, "usage", text=text)
        return
    on = await services.appeals.set_reminders(
        resolution.appeal_id, on=choice.lower() == "on", actor=_actor(update)
    )
    text = (
        _("Followers of appeal %(id)s will be reminded of its court dates.")
        if on
        else _("Followers of appeal %(id)s will not be reminded of its court dates.")
    ) % {"id": resolution.appeal_id}
    await reply(update, context, "usage", text=text)


async def retry_button(update: Update, context: Context) -> None:
    """Queue a finished broadcast's failed deliveries again (from its summary's button)."""
    appeal_id = tap(update).int_arg()
    publishing = context.bot_data.services.publishing
    requeued = await publishing.retry_failed(appeal_id, actor=_actor(update))
    if requeued:
        await answer(update, _("%(count)s queued again.") % {"count": requeued})
    else:
        await answer(update, _("Nothing failed any more."))


async def confirm_button(update: Update, context: Context) -> None:
    """A second admin lets a large broadcast go out (from the button sent to the admins)."""
    broadcast_id = tap(update).int_arg()
    publishing = context.bot_data.services.publishing
    try:
        confirmed = await publishing.confirm(broadcast_id, actor=_actor(update))
    except BadInputError as error:
        await answer(update, said(error))
        return
    await answer(update, _("Confirmed: %(count)s messages go out.") % {"count": confirmed.released})
    await edit_keyboard(update, None)


async def stats(update: Update, context: Context) -> None:
    """/stats: subscribers, appeals, protests, the last broadcasts."""
    figures = await context.bot_data.services.stats.collect()
    await reply(update, context, "stats", stats=figures)


async def manage_admins(update: Update, context: Context) -> None:
    """/admins, /admins add <id>, /admins remove <id>."""
    service = context.bot_data.services.admins
    argument = command_argument(update)
    wanted = parse_admins(argument)
    if wanted is None:
        usage = _(ADMINS_USAGE) if argument.strip() else ""
        await reply(update, context, "admins", admins=await service.all_admins(), message=usage)
        return
    verb, user_id = wanted
    change = await (service.add if verb == "add" else service.remove)(user_id, actor=_actor(update))
    await reply(update, context, "admins", admins=change.admins, message=admin_change_words(change))


SOURCE_CHANGES = frozenset(change.value for change in SourceChange)


async def manage_sources(update: Update, context: Context) -> None:
    """/sources, /sources add <url>, /sources remove|pause|resume <number>."""
    service = context.bot_data.services.sources
    verb, _space, rest = command_argument(update).strip().partition(" ")
    rest = rest.strip()
    __, user_id = ids(update)
    actor = Actor.telegram(user_id)
    note = None
    if verb == "add" and rest:
        try:
            shown = await service.add(rest, actor=actor)
        except BadInputError as exc:
            note = said(exc)
        else:
            note = _("Now following source %(number)s: %(name)s.") % {
                "number": shown.id,
                "name": shown.title or shown.feed_url,
            }
    elif verb in SOURCE_CHANGES and rest.isdigit() and len(rest) < 10:
        done = await service.change(int(rest), SourceChange(verb), actor=actor)
        note = (
            _(SOURCE_DONE[verb]) % {"number": rest}
            if done
            else _("There is no source %(number)s.") % {"number": rest}
        )
    elif verb:
        note = _(SOURCES_USAGE)
    await reply(update, context, "sources", sources=await service.followed(), note=note)


SOURCES_USAGE = N_(
    "Use /sources add <feed or page address>, or /sources remove, pause or resume <number>."
)
SOURCE_DONE = {
    "remove": N_("Source %(number)s is no longer followed."),
    "pause": N_("Source %(number)s is paused."),
    "resume": N_("Source %(number)s is followed again."),
}
