"""Safe rendering of user-written markdown.

Raw HTML in the source is escaped by the markdown step, and the result is cleaned again by nh3
(an allow-list sanitiser), so scripts, event handlers and javascript: links never reach a page.
"""

from __future__ import annotations

import html

import markdown as md
import nh3

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "abbr": {"title"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_SOURCE_LENGTH = 100_000


class _EscapeHtml(md.Extension):
    def extendMarkdown(self, md_instance):
        md_instance.preprocessors.deregister("html_block")
        md_instance.inlinePatterns.deregister("html")


def render(source: str | None) -> str:
    """Markdown to sanitised HTML. Headings start at h2 (the page owns h1)."""
    if not source:
        return ""
    html = md.markdown(
        source[:MAX_SOURCE_LENGTH],
        extensions=[_EscapeHtml(), "fenced_code", "tables", "sane_lists", "toc"],
        extension_configs={"toc": {"baselevel": 2, "anchorlink": False, "permalink": False}},
        output_format="html",
    )
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def plain_text(source: str | None, limit: int = 200) -> str:
    """A short plain-text excerpt of markdown (for cards and e-mails)."""
    # nh3 returns HTML text (with &amp; and friends); templates escape again, so unescape here.
    text = html.unescape(nh3.clean(render(source), tags=set()))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
