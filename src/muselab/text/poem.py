"""Form checker for Chinese classical poems (近体诗): line count and characters per line.

    五言绝句 4 lines x 5 characters      七言绝句 4 lines x 7 characters
    五言律诗 8 lines x 5 characters      七言律诗 8 lines x 7 characters

A "line" (句) is a clause ended by punctuation (，。！？；) or a line break, so both
"床前明月光，疑是地上霜。" on one row and one clause per row are read the same way.
A title line (《...》 or 题目/标题) and an author line (作者/by) before the poem are skipped.
Nothing is fixed silently: a poem that does not fit is reported with every problem,
in Chinese and English, and the engine regenerates or flags it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FORMS: dict[str, tuple[int, int]] = {
    "五言绝句": (4, 5),
    "七言绝句": (4, 7),
    "五言律诗": (8, 5),
    "七言律诗": (8, 7),
}
# ASCII aliases for the CLI and APIs
ALIASES = {
    "wuyan_jueju": "五言绝句",
    "qiyan_jueju": "七言绝句",
    "wuyan_lushi": "五言律诗",
    "qiyan_lushi": "七言律诗",
    "五绝": "五言绝句",
    "七绝": "七言绝句",
    "五律": "五言律诗",
    "七律": "七言律诗",
}

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
CLAUSE_END = re.compile(r"[，,。．.！!？?；;、\n]+")
IGNORED = re.compile(r"[\s\"'“”‘’「」『』（）()【】\[\]：:…—\-*#>`_~]+")
TITLE_LINE = re.compile(r"^\s*(#+\s*)?(《.*》|(题目|标题|title)\s*[:：].*|(作者|author|by)\s*[:：]?.*"
                        r"|[\[【(（].*[\]】)）])\s*$", re.IGNORECASE)

AUTHOR_ROW = re.compile(r"^([\[【(（][\u4e00-\u9fff]{1,2}[\]】)）]\s*|[\u4e00-\u9fff]{1,2}\s*[·・]\s*)?"
                        r"[\u4e00-\u9fff]{2,4}$")


def canonical_form(name: str) -> str:
    """The Chinese name of a form from either spelling; ValueError listing accepted names otherwise."""
    name = name.strip()
    if name in FORMS:
        return name
    if name in ALIASES:
        return ALIASES[name]
    accepted = list(FORMS) + list(ALIASES)
    raise ValueError(f"unknown classical form {name!r}; accepted: {', '.join(accepted)}")


@dataclass
class FormCheck:
    form: str
    ok: bool
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"form": self.form, "ok": self.ok, "lines": self.lines, "problems": self.problems}


def split_lines(text: str) -> list[str]:
    """The poem's clauses, with a leading title/author line skipped and punctuation dropped."""
    rows = [r for r in text.strip().splitlines() if r.strip()]
    # skip title and author rows at the top (at most two)
    skipped = 0
    while rows and skipped < 2 and TITLE_LINE.match(rows[0]):
        rows.pop(0)
        skipped += 1
    # a bare author row right after the title: a name of 2-4 characters, maybe with a dynasty (唐·王之涣)
    if skipped and rows and AUTHOR_ROW.match(rows[0].strip()):
        rows.pop(0)
    clauses: list[str] = []
    for row in rows:
        for part in CLAUSE_END.split(row):
            part = IGNORED.sub("", part)
            if part:
                clauses.append(part)
    return clauses


def check(text: str, form: str) -> FormCheck:
    form = canonical_form(form)
    n_lines, n_chars = FORMS[form]
    lines = split_lines(text)
    problems: list[str] = []
    if not lines:
        problems.append(f"没有诗句 (no lines found; a {form} has {n_lines} lines)")
    elif len(lines) != n_lines:
        problems.append(f"共{len(lines)}句，{form}应为{n_lines}句 ({len(lines)} lines, a {form} has {n_lines})")
    for i, line in enumerate(lines, 1):
        han = HAN.findall(line)
        if len(han) != len(line):
            others = "".join(ch for ch in line if not HAN.match(ch))
            problems.append(f"第{i}句含非汉字“{others}” (line {i} has non-Chinese characters {others!r})")
        if len(han) != n_chars:
            problems.append(f"第{i}句“{line}”有{len(han)}字，应为{n_chars}字 "
                            f"(line {i} has {len(han)} characters, expected {n_chars})")
    return FormCheck(form=form, ok=not problems, lines=lines, problems=problems)
