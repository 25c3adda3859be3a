"""The survey page as HTML: mobile-first, no script, one inline style (allowed by its hash in the CSP), texts from
the catalogs. Pure functions of what the page may show: the company's name and what is rated, nothing else."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from handlers.i18n import tr

CSS = """
*{box-sizing:border-box}
body{margin:0;font:17px/1.5 system-ui,-apple-system,"PingFang SC","Noto Sans CJK SC","Microsoft YaHei",sans-serif;
color:#1f2937;background:#f3f4f6}
main{max-width:30rem;margin:0 auto;padding:1.5rem 1.25rem 2rem;background:#fff;min-height:100vh}
.brand{color:#6b7280;font-size:.95rem;margin:0 0 .5rem}
h1{font-size:1.35rem;line-height:1.35;margin:0 0 1.25rem}
fieldset{border:0;margin:0 0 1.25rem;padding:0}
legend{font-weight:600;margin-bottom:.5rem}
.stars{display:flex;flex-direction:row-reverse;justify-content:flex-end;gap:.25rem}
.stars input{position:absolute;opacity:0;width:1px;height:1px}
.stars label{font-size:2.6rem;line-height:1;color:#d1d5db;cursor:pointer;padding:.1rem .15rem;min-width:3rem;
text-align:center}
.stars input:checked~label,.stars label:hover,.stars label:hover~label{color:#f59e0b}
.stars input:focus-visible+label{outline:3px solid #2563eb;border-radius:.4rem}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.note{display:block;font-weight:600;margin:0 0 .5rem}
textarea{width:100%;font:inherit;padding:.6rem .7rem;border:1px solid #d1d5db;border-radius:.6rem;resize:vertical}
button{display:block;width:100%;margin-top:1.25rem;padding:.85rem;font:inherit;font-weight:600;color:#fff;
background:#2563eb;border:0;border-radius:.6rem}
.error{color:#b91c1c;font-weight:600}
.done{font-size:1.2rem}
nav{margin-top:2rem;font-size:.9rem;color:#6b7280}
nav a{color:#2563eb}
""".strip()
CSS_HASH = "sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def _doc(lang: str, title: str, body: str) -> str:
    return (f'<!doctype html><html lang="{HTML_LANG.get(lang, "en")}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="robots" content="noindex, nofollow"><meta name="referrer" content="no-referrer">'
            f"<title>{escape(title)}</title><style>{CSS}</style></head><body><main>{body}</main></body></html>")


def _switch(lang: str) -> str:
    other = ("en", "English") if lang == "zh" else ("zh", "中文")
    return f'<nav><a href="?lang={other[0]}" hreflang="{other[0]}">{other[1]}</a></nav>'


def form(lang: str, *, company: str, subject: str, form_token: str, error: str = "", comment: str = "",
         score: int | None = None) -> str:
    """The survey: 1-5 stars and a comment."""
    title = tr(lang, "Satisfaction survey")
    parts = [f'<p class="brand">{escape(company)}</p>' if company else "",
             f"<h1>{escape(tr(lang, 'How satisfied are you with {w}?', w=subject))}</h1>"]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    stars = "".join(
        f'<input type="radio" id="s{n}" name="score" value="{n}"{" checked" if score == n else ""} required>'
        f'<label for="s{n}" title="{n}/5"><span aria-hidden="true">★</span>'
        f'<span class="sr">{escape(tr(lang, "{n} of 5 stars", n=n))}</span></label>' for n in range(5, 0, -1))
    parts.append(
        f'<form method="post" action="" accept-charset="utf-8" autocomplete="off">'
        f'<input type="hidden" name="form" value="{escape(form_token)}">'
        f'<fieldset><legend>{escape(tr(lang, "Your rating"))}</legend><div class="stars">{stars}</div></fieldset>'
        f'<label class="note" for="comment">{escape(tr(lang, "Anything you would like to tell us? (optional)"))}'
        f'</label><textarea id="comment" name="comment" rows="4" maxlength="1000">{escape(comment)}</textarea>'
        f'<button type="submit">{escape(tr(lang, "Send"))}</button></form>')
    parts.append(_switch(lang))
    return _doc(lang, title, "".join(parts))


def thanks(lang: str, *, company: str) -> str:
    """After the answer."""
    brand = f'<p class="brand">{escape(company)}</p>' if company else ""
    text = tr(lang, "Thank you! Your answer has been received.")
    return _doc(lang, tr(lang, "Satisfaction survey"), f'{brand}<h1 class="done" id="thanks">{escape(text)}</h1>')


def neutral(lang: str) -> str:
    """The one page for a wrong, used or expired link: it says nothing of which."""
    text = tr(lang, "This survey link is not available. Thank you for your time.")
    return _doc(lang, tr(lang, "Satisfaction survey"), f'<h1 class="done" id="unavailable">{escape(text)}</h1>')


def busy(lang: str) -> str:
    """Too many requests, or the service is unavailable for a moment."""
    text = tr(lang, "Please try again in a minute.")
    return _doc(lang, tr(lang, "Satisfaction survey"), f'<h1 class="done" id="busy">{escape(text)}</h1>')
