"""A Python twin of the emulator's HTML check: Telegram's HTML subset, balanced, escaped."""

from __future__ import annotations

import re

ALLOWED = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "blockquote",
    "tg-spoiler",
    "span",
    "tg-emoji",
}
_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)([^<>]*)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);"
    r"|[<>&]"
)
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def visible_text(html: str) -> str:
    """The text Telegram would show; raises ValueError where Telegram answers 400."""
    stack: list[str] = []
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(html):
        out.append(html[pos : m.start()])
        pos = m.end()
        if m.group(2):
            name = m.group(2).lower()
            if name not in ALLOWED:
                raise ValueError(f"unsupported tag {name}")
            if m.group(1):
                if not stack or stack.pop() != name:
                    raise ValueError(f"unbalanced </{name}>")
            else:
                stack.append(name)
        elif m.group(4):
            ref = m.group(4)
            if ref.startswith("#x"):
                out.append(chr(int(ref[2:], 16)))
            elif ref.startswith("#"):
                out.append(chr(int(ref[1:])))
            else:
                out.append(_ENTITIES[ref])
        else:
            raise ValueError(f"unescaped {m.group()!r} at {m.start()}")
    out.append(html[pos:])
    if stack:
        raise ValueError(f"unclosed <{stack[-1]}>")
    return "".join(out)


def tg_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
