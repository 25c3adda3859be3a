"""render: Reply → Bot API calls. Checked with the stand-in's parser of Telegram's HTML, which refuses what
Telegram refuses (an unescaped <, > or &, an unknown tag)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import InputFile

from bot.adapters.telegram import render
from handlers.markup import esc, to_plain
from handlers.types import Attachment, Button, Reply
from tests.standins.telegram import parse_html, u16

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def shown(call: render.Call) -> str:
    """What Telegram would show for a call's text or caption."""
    return parse_html(call.kwargs.get("text") or call.kwargs.get("caption") or "")[0]


def test_markup_becomes_html_and_everything_else_is_escaped() -> None:
    text = "*华东* <script> & _it_ `a<b&c` " + esc("*not bold* <i>")
    (call,) = render.calls(Reply(text=text), chat_id="7001")
    assert call.method == "send_message" and call.kwargs["parse_mode"] == "HTML"
    assert call.kwargs["text"] == ("<b>华东</b> &lt;script&gt; &amp; <i>it</i> <code>a&lt;b&amp;c</code> "
                                   "*not bold* &lt;i&gt;")
    plain, entities = parse_html(call.kwargs["text"])
    assert plain == to_plain(text)
    assert [e["type"] for e in entities] == ["bold", "italic", "code"]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from("*_`\\<>&;#\n xy华🎉") | st.characters(blacklist_categories=("Cs",)),
               max_size=200))
def test_any_text_renders_to_html_telegram_accepts_and_shows_as_written(text: str) -> None:
    calls = render.calls(Reply(text=text), chat_id=1)
    expected = to_plain(text)
    if not expected.strip():
        assert calls == []
    else:
        assert [shown(c) for c in calls] == [expected]


def test_long_text_is_split_at_line_ends_under_4096_utf16_units() -> None:
    text = "\n".join(f"{i:05d} *华东精密* 🎉🎉 " + "x" * 50 for i in range(300))
    calls = render.calls(Reply(text=text, buttons=((Button("Done", "fu.done:1"),),)), chat_id=1)
    assert len(calls) > 1
    assert all(u16(shown(c)) <= 4096 for c in calls)
    assert "\n".join(shown(c) for c in calls) == to_plain(text)
    assert [("reply_markup" in c.kwargs) for c in calls] == [False] * (len(calls) - 1) + [True]


def test_one_endless_line_of_emoji_is_cut_without_breaking_a_character() -> None:
    calls = render.calls(Reply(text="🎉" * 5000), chat_id=1)
    sizes = [u16(shown(c)) for c in calls]
    assert sizes == [4096, 4096, 1808]
    assert "".join(shown(c) for c in calls) == "🎉" * 5000


def test_words_are_not_cut_when_a_space_is_near() -> None:
    calls = render.calls(Reply(text=" ".join(["word"] * 2000)), chat_id=1)
    assert all(not shown(c).startswith("ord") for c in calls)
    assert all(u16(shown(c)) <= 4096 for c in calls)


def test_buttons_become_an_inline_keyboard_and_no_payload_passes_64_bytes() -> None:
    reply = Reply(text="?", buttons=((Button("批准", "ap.ok:1", "primary"), Button("拒绝", "ap.no:1")),
                                     (Button("too long", "say:/visit " + "华" * 30),)))
    (call,) = render.calls(reply, chat_id=1)
    rows = call.kwargs["reply_markup"].inline_keyboard
    assert [[(b.text, b.callback_data) for b in row] for row in rows] == [[("批准", "ap.ok:1"), ("拒绝", "ap.no:1")]]
    assert all(len(str(b.callback_data).encode()) <= 64 for row in rows for b in row)


def test_an_edit_replaces_the_clicked_message_and_drops_its_buttons() -> None:
    (call,) = render.calls(Reply(text="✅ Approved — bob", edit="this"), chat_id="7002", edit_message_id=41)
    assert call.method == "edit_message_text"
    assert call.kwargs["chat_id"] == 7002 and call.kwargs["message_id"] == 41
    assert "reply_markup" not in call.kwargs


def test_a_reply_into_a_forum_topic_names_its_thread() -> None:
    (call,) = render.calls(Reply(text="hi"), chat_id="-1001234567890", thread="77")
    assert call.kwargs["chat_id"] == -1001234567890 and call.kwargs["message_thread_id"] == 77
    (flat,) = render.calls(Reply(text="hi"), chat_id="-1001234567890", thread="deal:12")
    assert "message_thread_id" not in flat.kwargs


def test_a_chart_is_a_photo_with_its_caption_and_a_file_is_a_document() -> None:
    (photo,) = render.calls(Reply(text="*Funnel*", image=Attachment("f.png", "image/png", PNG),
                                  buttons=((Button("Mine", "say:/report funnel mine"),),)), chat_id=1)
    assert photo.method == "send_photo" and isinstance(photo.kwargs["photo"], InputFile)
    assert photo.kwargs["caption"] == "<b>Funnel</b>" and photo.kwargs["reply_markup"] is not None
    (doc,) = render.calls(Reply(text="", image=Attachment("deals.csv", "text/csv", b"a,b\n")), chat_id=1)
    assert doc.method == "send_document" and "caption" not in doc.kwargs
    assert doc.kwargs["document"].filename == "deals.csv"


def test_a_caption_too_long_for_a_photo_goes_before_it_as_text() -> None:
    calls = render.calls(Reply(text="x" * 2000, image=Attachment("f.png", "image/png", PNG)), chat_id=1)
    assert [c.method for c in calls] == ["send_message", "send_photo"]
    assert "caption" not in calls[1].kwargs


def test_an_empty_reply_sends_nothing() -> None:
    assert render.calls(Reply(text="  \n "), chat_id=1) == []
