"""Every sentence the bot says, in Chinese, in one place.

Strings meant for HTML parse mode say so in their name (``*_HTML``); their
placeholders must be filled with already-escaped text. The others are sent as
plain text.
"""

from __future__ import annotations

__all__ = [
    "APOLOGY",
    "ASK_USAGE",
    "COMMANDS",
    "EMPTY_QUESTION",
    "INTRO_HTML",
    "INTRO_NEWEST_HTML",
    "MORE_BUTTON",
    "MORE_DONE",
    "MORE_EXPIRED",
    "MORE_NONE",
    "NEW_DONE",
    "NON_TEXT",
    "NOT_ALLOWED",
    "NOT_FOUND",
    "NO_WORDS",
    "OTHER_ARTICLE_HTML",
    "RATE_LIMITED",
    "RELOAD_DENIED",
    "RELOAD_DONE",
    "RELOAD_FAILED",
    "RELOAD_SAME",
    "SMALL_TALK_GOODBYE",
    "SMALL_TALK_GREETING",
    "SMALL_TALK_THANKS",
    "UNKNOWN_COMMAND",
]

INTRO_HTML = (
    "你好！我是<b>新闻问答机器人</b>。\n"
    "我读过 <b>{articles}</b> 篇新闻文章（共 {chunks} 个段落）{newest}。\n\n"
    "直接用中文（简体或繁体均可）把问题发给我，我会找出新闻里最相关的一段原文，"
    "原样引用，并注明文章标题和出处；我不会改写或编造内容。\n\n"
    "<b>用法</b>\n"
    "• 私聊：直接发送问题，例如「某某会议是什么时候召开的？」\n"
    "• 群组：发送 /ask 问题，或回复我的消息，或 @我 提问\n"
    "• 接着问：可以直接追问上一个问题，例如「那里的妇联主席是谁？」"
    "「还有吗？」「换一个」「第二条详细说说」\n"
    "• 「更多」按钮、/more 或「还有吗」：查看下一条相关段落\n"
    "• /new：开始新的话题（忘掉之前的问题）\n"
    "• /help：再看一次这段说明"
)
INTRO_NEWEST_HTML = "，最新的一篇日期为 {date}"

COMMANDS: tuple[tuple[str, str], ...] = (
    ("ask", "提问，例如 /ask 会议是什么时候召开的？"),
    ("more", "查看下一条相关段落"),
    ("new", "开始新的话题（忘掉之前的问题）"),
    ("help", "使用说明"),
    ("start", "开始"),
)

NOT_FOUND = (
    "抱歉，我在收录的新闻里没有找到和这个问题相关的内容，所以不引用任何段落。\n"
    "可以试试：\n"
    "• 换一种说法再问；\n"
    "• 用新闻里可能出现的关键词，如人名、地名、机构名或事件名；\n"
    "• 把问题问得更具体一些，例如加上时间或地点。"
)
EMPTY_QUESTION = "请把问题写出来，例如：/ask 某某会议是什么时候召开的？"
NO_WORDS = (
    "这条消息里没有可以检索的文字（只有表情或标点）。"
    "请用中文写下你的问题，例如「某某会议是什么时候召开的？」"
)
NON_TEXT = "我只能理解文字。请把你的问题用文字发给我。"
ASK_USAGE = "用法：/ask 你的问题，例如 /ask 某某会议是什么时候召开的？"
RATE_LIMITED = "提问有点太快了，请在 {seconds} 秒后再试。"
MORE_BUTTON = "更多"
MORE_NONE = "还没有可以继续显示的结果，请先提一个问题。"
MORE_DONE = "已经没有更多结果了。"
MORE_EXPIRED = "这条结果已过期，请重新提问。"
NEW_DONE = "好的，我们重新开始。请提一个新问题。"
OTHER_ARTICLE_HTML = " <i>（另一篇文章）</i>"
RELOAD_DENIED = "抱歉，只有管理员可以使用 /reload。"
RELOAD_DONE = "已载入新的索引：{articles} 篇文章，{chunks} 个段落（版本 {generation}）。"
RELOAD_SAME = "索引没有变化：{articles} 篇文章，{chunks} 个段落（版本 {generation}）。"
RELOAD_FAILED = "重新载入索引失败：{reason}"
NOT_ALLOWED = "抱歉，这个机器人只对指定的对话开放。"
UNKNOWN_COMMAND = "我不认识这个命令。直接发送问题即可，或发送 /help 查看用法。"
APOLOGY = "抱歉，处理你的消息时出了点问题，请稍后再试。"
SMALL_TALK_GREETING = (
    "你好！我是新闻问答机器人。直接把问题发给我就行，例如「某某会议是什么时候召开的？」"
    "发送 /help 查看用法。"
)
SMALL_TALK_THANKS = "不客气！还有问题随时问我。"
SMALL_TALK_GOODBYE = "再见！有新闻方面的问题随时来问我。"
