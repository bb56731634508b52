"""A rendered document as a page of its own (the HTML download): doctype, language, charset,
title and a small style sheet around the fragment richtext.py renders."""

from __future__ import annotations

import html
import re

# Readable on its own and printed: a measure of text, task lists without bullets, code boxed.
STYLE = (
    "body{margin:0 auto;max-width:46em;padding:2em 1.2em;"
    'font:16px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2024;'
    "background:#fff;overflow-wrap:break-word}"
    "h1,h2,h3,h4,h5,h6{line-height:1.25;margin:1.2em 0 .4em}p{margin:0 0 .8em}"
    "ul,ol{padding-left:1.5em;margin:0 0 .8em}li>p{margin:0}"
    'ul[data-type="taskList"]{list-style:none;padding-left:.2em}'
    "li[data-checked]>label>input{margin:0 .45em 0 0;vertical-align:-.1em}"
    "blockquote{margin:0 0 .8em;padding-left:1em;border-left:3px solid #d0d5dc;color:#4f5660}"
    "pre{background:#f3f4f6;padding:.8em 1em;border-radius:6px;overflow:auto;white-space:pre-wrap}"
    "code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}"
    "hr{border:0;border-top:2px solid #d0d5dc;margin:1.5em 0}a{color:#2f55c9}"
    "img{max-width:100%;height:auto}table{border-collapse:collapse;margin:0 0 .8em}"
    "th,td{border:1px solid #d0d5dc;padding:.3em .6em;text-align:left;vertical-align:top}"
)

# A language tag as BCP 47 spells one (its primary subtag and a few more).
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}$")


def html_page(body: str, title: str, language: str) -> str:
    """`body` (escaped HTML) as a whole document named `title` in `language`."""
    return (
        f'<!doctype html>\n<html lang="{html.escape(language, quote=True)}">\n<head>\n'
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def page_language(accept_language: str | None) -> str:
    """The language of the reader's first choice in Accept-Language (the document's own is not
    recorded; a person mostly writes in the language they read); "en" when none is usable."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip()
        if _LANGUAGE.match(tag):
            return tag
    return "en"
