"""Admin draft helpers: paste an appeal, publish it (keeping the pasted summary when asked)."""

from __future__ import annotations

from emulator import BotApiEmulator, Sent


async def paste(bot: BotApiEmulator, admin: int, text: str) -> tuple[Sent, Sent]:
    """Start a new appeal and paste its text; return the preview and the review card."""
    [ask] = await bot.converse(admin, "/newappeal")
    assert "Paste or forward the appeal text" in ask.text
    preview, review = await bot.converse(admin, text, expect=2, timeout=10)
    return preview, review


async def publish(
    bot: BotApiEmulator, admin: int, review: Sent, button: str = "📣 Publish"
) -> Sent:
    """Tap a publish button, then keep the pasted summary when asked; return that question."""
    before = len(bot.sent(admin))
    await bot.wait_for_answer(bot.tap(review, button))
    [confirm] = (await bot.wait_for_messages(admin, before + 1))[before:]
    assert confirm.text.startswith("✏️ The summary is still the text as it was pasted")
    answer = await bot.wait_for_answer(bot.tap(confirm, "Keep it and publish"))
    assert answer["text"] == "Published."
    return confirm
