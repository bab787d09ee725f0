"""`/incident` alone opens the declare form; submitting it declares."""

from __future__ import annotations

from bot.slack import ids
from tests.conftest import ALICE, GENERAL, Bot
from tests.handlers.forms import opened_view, values


async def test_incident_alone_opens_declare_form(bot: Bot) -> None:
    for text in ("", "declare"):
        reply = await bot.command(ALICE, GENERAL, text)
        assert reply.status == 200
        assert reply.text == ""
    view = await opened_view(bot, count=2)
    assert view["callback_id"] == ids.DECLARE_MODAL_CALLBACK
    assert view["title"]["text"] == "Declare an incident"


async def test_declare_form_submit_declares_and_messages_declarer(bot: Bot) -> None:
    await bot.command(ALICE, GENERAL, "")
    view = await opened_view(bot)
    reply = await bot.driver.view_submission(
        user_id=ALICE, view=view, values=values("Login broken", "sev1", "SSO returns 500")
    )
    assert reply.status == 200
    assert reply.body == ""  # the form closes
    await bot.settle()
    channel = bot.incident_channel(1)
    assert bot.slack.channels[channel].name == "inc-1-login-broken"
    assert bot.slack.channels[channel].topic.startswith("SEV1 | investigating")
    assert any("SSO returns 500" in m.text for m in bot.slack.history(channel))
    dm = [m for m in bot.slack.messages if m.channel.startswith("D")]
    assert len(dm) == 1
    assert f"<#{channel}>" in dm[0].text


async def test_declare_form_without_title_shows_field_error(bot: Bot) -> None:
    await bot.command(ALICE, GENERAL, "")
    view = await opened_view(bot)
    reply = await bot.driver.view_submission(user_id=ALICE, view=view, values=values("  "))
    assert reply.json == {
        "response_action": "errors",
        "errors": {ids.TITLE_BLOCK: "The incident needs a title."},
    }
    assert not [c for c in bot.slack.channels.values() if c.name.startswith("inc-")]


async def test_declare_form_that_slack_cannot_open_falls_back_to_a_hint(bot: Bot) -> None:
    bot.slack.fail("views.open", "expired_trigger_id")
    await bot.command(ALICE, GENERAL, "")
    await bot.settle()
    [response] = bot.slack.responses
    assert "couldn't open the declare form" in response["text"]
    assert "/incident declare sev2" in response["text"]
