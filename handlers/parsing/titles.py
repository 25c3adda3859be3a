"""Job titles (采购总监, 总经理, CTO, head of procurement, VP Sales) and the person each is stated for."""

from __future__ import annotations

import re

from handlers.parsing.text import Span, ascii_re

_DEPTS = (
    "人力资源|供应链|办公室|采购|财务|运营|技术|销售|市场|人力|人事|行政|信息|生产|研发|质量|品质|质检|物流|工程|设备|法务|"
    "商务|客服|项目|产品|区域|大区|渠道|业务|营销|战略|投资|审计|安全|后勤|仓储|仓库|设计|总务|综合|IT|it|HR|hr"
)
_ROLES = "副总经理|总经理|总工程师|工程师|副总裁|副总监|总监|副经理|经理|主管|负责人|专员|主任|副部长|部长|总工|科长|处长|组长|厂长|VP|vp"
_ALONE = (
    "总经理助理|董事长助理|总裁助理|总经理秘书|董事长秘书|副总经理|总经理|副董事长|董事长|副总裁|总裁|首席执行官|首席技术官|首席财务官|首席运营官|总工程师|创始人|联合创始人|"
    "合伙人|厂长|院长|校长|局长|店长|采购员|采购负责人|老板娘|老板|副总(?!经理|裁|监)"
)
_BARE_ROLES = "总监|经理|主任|主管|部长|厂长|院长|局长|处长|科长|负责人|董事"
# A role with no department counts only right after a meeting word (和总监谈了) or right before a name.
_ZH_TITLE = re.compile(
    r"(?:(?:[东南西北华中]{1,2}(?:大区|区)(?:" + _DEPTS + r")?|(?:" + _DEPTS + r"))(?:部|中心)?(?:" + _ROLES + r")|" + _ALONE + r"|(?<=和|跟|与|见|约|给|访|了)(?:" + _BARE_ROLES + r"))"
)
_EN_DEPTS = (
    r"plant|purchasing|procurement|it|sales|marketing|finance|financial|operations|ops|product|project|program|general|"
    r"regional|account|office|facilities|factory|production|quality|engineering|technical|tech|hr|logistics|"
    r"supply\s+chain|warehouse|store|branch|area|country|category|commercial|business|security|r&d|research|"
    r"design|data|network|systems|software|hardware|maintenance|site|service|customer\s+service|training|legal"
)
_EN_ROLES = r"manager|director|lead|officer|engineer|buyer|specialist|coordinator|supervisor|administrator|architect"
_EN_TITLE = ascii_re(
    r"(?i:\b(?:(?:senior|executive|assistant|deputy|associate)\s+)?(?:"
    r"(?:c[etfoimp]o|ciso|cro)\b"
    r"|(?:svp|evp|vp|vice\s+president|head|director|chief|general\s+manager|manager)\s+of\s+(?:the\s+)?[a-z&]+"
    r"(?:\s+(?:chain|resources|services?|development|technology|management|relations|affairs|sourcing|operations"
    r"|engineering|marketing|sales|logistics|procurement))?\b"
    r"|chief\s+(?:[a-z]+\s+){1,2}officer\b"
    r"|(?:svp|evp|vp)\s+(?!of\b)(?-i:[A-Z][A-Za-z&]*)\b|(?:svp|evp|vp)\b"
    r"|(?:" + _EN_DEPTS + r")\s+(?:" + _EN_ROLES + r"|head)\b"
    r"|chief\s+(?:engineer|architect|accountant|designer|buyer|scientist)\b"
    r"|(?:co-?founder|founder|president|chairman|owner|buyer|purchasing\s+agent|procurement\s+officer)\b))"
)
_BEFORE_PERSON = ascii_re(r"\s*(?:的|[,，])?\s*$")
_AFTER_PERSON = ascii_re(r"\s*(?:[（(]\s*|[,，、]\s*(?:the\s+|their\s+|our\s+|a\s+)?|\s+)$")
_STATED = ascii_re(r"(?:他是|她是|担任|任|身份是|职位是|\bis\s+(?:the|their|a)\s+|\bwho\s+is\s+(?:the|their)?\s*)$")


def titles_in(text: str, people: list[Span]) -> list[Span]:
    """Every job title in case-kept normalized text that is not part of a person's name (王经理), in text order."""
    found = [Span(m.start(), m.end()) for m in _ZH_TITLE.finditer(text)]
    found += [Span(m.start(), m.end()) for m in _EN_TITLE.finditer(text)]
    inside = [(p.start, p.end) for p in people]
    kept: list[Span] = []
    for t in sorted(found, key=lambda t: (t.start, -t.end)):
        if any(s < t.end and t.start < e for s, e in inside) or (kept and t.start < kept[-1].end):
            continue
        kept.append(t)
    return kept


# One word that is a title by itself (采购总监, 总经理, 技术部经理, 销售): the contact's title in /contact add.
ZH_TITLE_WORD = re.compile(
    r"(?:(?:(?:[东南西北华中]{1,2}(?:大区|区))?(?:" + _DEPTS + r")?(?:部|中心)?)(?:" + _ROLES + "|" + _BARE_ROLES
    + r"|助理|秘书|顾问|专员|工程师|代表)|" + _ALONE + r"|(?:" + _DEPTS + r")(?:员|人员)?)"
)
_BARE_ROLE = re.compile(r"(?:部长|经理|主任|总监|主管|厂长|院长|局长|处长|科长|校长|所长|董事|总裁|助理|秘书|工程师)$")


def role_before(text: str, person: Span) -> Span | None:
    """A bare role word right before the person's name (见到部长欧阳明): their title."""
    m = _BARE_ROLE.search(text, 0, person.start)
    return None if m is None else Span(m.start(), m.end())


def title_for(
    text: str, person: Span | None, titles: list[Span], clause_end: int, people: list[Span]
) -> Span | None:
    """The title stated for the person (采购总监张总, 张伟（运营总监）, Tom (CTO)); with no person, the first alone."""
    if person is None:
        return titles[0] if titles else None
    # a title right before someone else's name is theirs (和戴经理、采购员小周)
    theirs = {
        t for t in titles for p in people
        if p is not person and t.end <= p.start and _BEFORE_PERSON.fullmatch(text[t.end : p.start])
    }
    for t in titles:
        if t in theirs:
            continue
        if t.end <= person.start and _BEFORE_PERSON.fullmatch(text[t.end : person.start]):
            return t
        if t.start >= person.end:
            gap = text[person.end : t.start]
            if _AFTER_PERSON.fullmatch(gap) or (t.start <= clause_end and _STATED.search(gap)):
                return t
    return role_before(text, person)
