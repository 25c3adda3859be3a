"""The people a note names: 张总, 王经理, 张伟, Linda Chen, Mr. Wang; ours (我们的王工, our engineer) are left out."""

from __future__ import annotations

import re

from handlers.parsing.text import Span, ascii_re

# Common surnames. Those that are as often the start of an ordinary word (明天, 高兴, 方案) begin 高经理 or
# 方总 but never a bare full name (张伟), which only _FULL_NAME_SURNAMES start.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆"
    "汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍"
    "庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华"
    "喻祁蒲房滕屈饶解牟艾尤阳穆农卓古吉缪简项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟臧闵苟邬边卞姬仇栾隋刁沙荣"
    "巫寇桑郎甄丛仲虞敖巩佘池查麻苑迟邝"
)
_AMBIGUOUS_SURNAMES = "明时高方文万华安成于向常连单全关路江金石白包宁龙解尚管齐易武康温甘古吉简项党宫费席米宗"
_FULL_NAME_SURNAMES = "".join(c for c in _SURNAMES if c not in _AMBIGUOUS_SURNAMES)
_COMPOUND = "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|长孙|宇文|司徒|夏侯|令狐"
_SUFFIX = (
    "董事长|总经理|副总裁|副总|总裁|总监|总工|经理|主任|主管|部长|处长|科长|局长|院长|校长|厂长|所长|行长|书记|老师|教授|博士|"
    "医生|律师|会计|工程师|女士|先生|小姐|老板|师傅|助理|秘书|专员|顾问|董|总|工|姐|哥"
)
# A surname with a form of address: 张总, 王经理, 李工, 赵女士. The lookaheads keep 施工, 付总额, 古董事 out.
_ADDRESSED = re.compile(
    r"(?<![\d零〇一二两三四五六七八九十百千万亿])(?:" + _COMPOUND + r"|[" + _SURNAMES + r"])"
    r"(?:" + _SUFFIX + r")"
)
_NOT_AFTER = {
    "总": "额价量数计共体部结之算线包账值成公台站表监经裁工",
    "工": "作厂程期资艺具业序位种地装单费时人商行会伤号字整控况艺",
    "董": "事",
    "姐": "妹",
    "哥": "们",
}
# Words whose last character is a surname: 对方总经理 is "the other side's general manager", not a 方总经理.
_BEFORE_WORD = {
    "施工", "童工", "包工", "古董", "付总", "汇总", "总工", "对方", "双方", "甲方", "乙方", "买方", "卖方", "我方", "各方",
    "官方", "厂方", "资方", "地方", "一方", "多方", "工程", "流程", "日程", "行程", "进程", "过程", "课程", "公司",
}
_NAME_PRE = (
    r"(?:见了|见到|见|拜访了|拜访|约了|约|联系了|联系|和|跟|与|同|给|找|陪|接待了|接待|请|叫|是|"
    r"联系人|对接人|负责人|客户|老客户|对方|老板|总监|经理|主管|总裁|董事长|总经理|工程师|主任|助理|秘书|专员|部长|科长|"
    r"处长|厂长|院长|局长|采购员|董事|CEO|CTO|CFO|COO)\s*[:：]?\s*"
)
_NAME_POST = (
    r"(?:$|[\s,，。.;；:：、!！?？()（）\d a-zA-Z]|说|讲|表示|提到|提出|通|打|发|电话|聊|沟通|确认|吃|喝|见面|谈|约|在|是|的|和|"
    r"与|及|等|也|都|对|觉得|认为|希望|想|要|需|同意|答应|回复|问|称|介绍|开|签|来|去|很|今天|明天|昨天|下周|上午|下午|"
    r"已|刚|会|了|那边|这边|他们|她们|一起|先生|女士|小姐|亲自|反馈|负责|带|看|试|听|主动)"
)
_FULL_NAME = re.compile(
    _NAME_PRE + r"(" + _COMPOUND + r"|[" + _FULL_NAME_SURNAMES + r"])([\u4e00-\u9fff]{1,2}?)(?=" + _NAME_POST + r")"
)
# A full name with its title in brackets, or one that says something, needs no meeting word before it:
# 王磊（采购主管）, 李娜说.
_NAME_BRACKETED = re.compile(
    r"(?:^|(?<=[\s,，。;；:：、]))(" + _COMPOUND + r"|[" + _FULL_NAME_SURNAMES + r"])([\u4e00-\u9fff]{1,2}?)"
    r"(?=\s*[（(]|说|表示|反馈|提到|提出|来电|打来|打电话|确认|同意|要求|希望|认为|觉得|答应|回复|介绍|称)"
)
_FAMILIAR = re.compile(r"[小老][" + _FULL_NAME_SURNAMES + r"](?=" + _NAME_POST + r")")
_NOT_GIVEN = set("的了是在和与说总工经理主任部门司公们那这他她它我你客户方面率价额量款货单品件台套费税钱元万亿号点次天月年周"
                 "下州市省县区镇村厂店")
_NOT_A_NAME = re.compile(r"周[一二三四五六日天末]")  # 客户周五再来: a weekday, not a 周五
# English: Mr. Wang; a capitalized name after met/with/for/to; a name followed by its title in brackets.
_HONORIFIC = ascii_re(r"\b(?:Mr|Mrs|Ms|Miss|Dr|Prof)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?")
_CAP = r"(?:[A-Z]'|Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_EN_NAME = ascii_re(
    r"(?:(?P<verb>\b(?i:met|meet|meeting|met\s+with|call|called|calling|call\s+with|spoke|spoke\s+with|spoke\s+to|talked|"
    r"talked\s+to|talked\s+with|chat|chatted|chat\s+with|demo|demoed|lunch|dinner|coffee|emailed|"
    r"contacted|saw|with|for|to|from|and|by|contact|contact:|cc|c[etfoimp]o|vp|director|manager|buyer|engineer|"
    r"founder|president|owner|head|lead|officer|chief|chairman|specialist|supervisor|coordinator))[,:]?\s+|^|[.;:]\s+)"
    r"(?P<name>" + _CAP + r"(?:\s+" + _CAP + r"){0,2})(?=\s*(?:$|[,;:.()!?]|\s+(?:said|says|wants|asked|mentioned|confirmed|"
    r"agreed|is|was|will|from|at|of|and|who|about|on|to|re|regarding|needs|wanted|thinks|prefers|the|their|\()))"
)
_SPOKE = ascii_re(r"\s*(?:\(|,|(?:said|says|asked|mentioned|confirmed|agreed|replied|told|called|emailed)\b)")
# A Latin name after a Chinese meeting word or title: 见了HR经理Amy, 和Tom通了电话.
_LATIN_AFTER_ZH = re.compile(_NAME_PRE + r"(" + _CAP + r"(?: " + _CAP + r")?)(?![A-Za-z])")
_COMPANY = frozenset({"Corp", "Inc", "Ltd", "Co", "Group", "Tech", "Limited", "LLC", "GmbH", "Labs", "Systems"})
_EN_NOT_NAMES = frozenset(
    str.split(
        "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July "
        "August September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Today "
        "Tomorrow Yesterday Tonight Next Last This That These Those The They Them Their We Our Us I It He She "
        "His Her You Your Met Meet Meeting Call Called Demo Sent Send Visit Visited Lunch Dinner Coffee "
        "Follow Quote Proposal Budget Price Team Sales Company Corp Inc Ltd Tech Group Co Limited Procurement "
        "Finance Purchasing Operations Marketing Engineering Support Head Director Manager Chief President "
        "Vice Senior Lead Owner Founder Buyer Plant General Regional Deal Order Contract Customer Client "
        "Client's Ok Okay Yes No Thanks Great Good Nice Hi Hello Dear Please Also And But Or So Then Will "
        "Would Could Should Need Needs Want Wants Asked Said Email Phone Mobile Christmas Easter Chinese "
        "English China Shanghai Beijing Shenzhen Guangzhou Hangzhou Usa Europe Asia Q1 Q2 Q3 Q4 Trial Pilot "
        "Product Products Service Services Sample Samples Machine Machines Unit Units Seats Licenses Invoice "
        "Payment Week Month Year Day Morning Afternoon Evening Noon Wechat Zoom Teams Slack Telegram Spoke "
        "Talked Chatted Emailed Contacted Saw Went Had Got Gave Told Discussed Presented Showed Received "
        "Signed Closed Left Try Tried Waiting Waited Checked Reached Pinged Texted Messaged Phoned Rang "
        "Agreed Confirmed"
    )
)
_OURS = ascii_re(
    r"(?:(?:我们|我司|我方|本公司|咱们|我们公司)的?(?:[\u4e00-\u9fff]{0,4}(?:经理|工程师|顾问|同事|支持|总监|主管|专员|"
    r"销售|售后|技术|老板|领导))?|公司的?同事|同事|我的|\bour\s+(?:\w+\s+){0,2}|\bmy\s+(?:\w+\s+){0,2})$"
)


def addressed(word: str) -> bool:
    """Whether `word` is a surname with a form of address and nothing else (张总, 王经理, 李工)."""
    return any(n.start == 0 and n.end == len(word) for n in _addressed(word))


def _ours(text: str, start: int) -> bool:
    return _OURS.search(text, max(0, start - 20), start) is not None


def _addressed(text: str) -> list[Span]:
    found = []
    for m in _ADDRESSED.finditer(text):
        word = m.group()
        suffix_end = m.end()
        last = word[-1]
        follows = text[suffix_end : suffix_end + 1]
        if follows and follows in _NOT_AFTER.get(last, ""):
            continue
        if word in _BEFORE_WORD or text[max(0, m.start() - 1) : m.start() + 1] in _BEFORE_WORD:
            continue
        found.append(Span(m.start(), m.end()))
    return found


def _full_names(text: str) -> list[Span]:
    found = [Span(m.start(), m.end()) for m in _FAMILIAR.finditer(text)]
    for m in [*_FULL_NAME.finditer(text), *_NAME_BRACKETED.finditer(text)]:
        given = m.group(2)
        if any(c in _NOT_GIVEN for c in given) or _NOT_A_NAME.match(m.group(1) + given):
            continue
        found.append(Span(m.start(1), m.end(2)))
    return found


def _english(text: str) -> list[Span]:
    found = [Span(m.start(), m.end()) for m in _HONORIFIC.finditer(text)]
    found += [Span(m.start(1), m.end(1)) for m in _LATIN_AFTER_ZH.finditer(text) if m.group(1) not in _EN_NOT_NAMES]
    for m in _EN_NAME.finditer(text):
        # At a sentence's start one word followed by "wants" is as likely a company (Samsung wants...): a
        # single word there counts only before what a person does (said, asked) or a bracket.
        if m.group("verb") is None and " " not in m.group("name") and not _SPOKE.match(text, m.end("name")):
            continue
        words = m.group("name").split()
        while words and words[-1] in _EN_NOT_NAMES:
            words.pop()
        if not words or words[0] in _EN_NOT_NAMES or m.group("name").split()[-1] in _COMPANY:
            continue
        start = m.start("name")
        found.append(Span(start, start + len(" ".join(words)) if len(words) > 1 else start + len(words[0])))
    return found


def people_in(text: str) -> list[Span]:
    """The customer-side people named in case-kept normalized text, in text order, overlaps merged."""
    found = sorted(_addressed(text) + _full_names(text) + _english(text), key=lambda n: (n.start, -n.end))
    kept: list[Span] = []
    for n in found:
        if kept and n.start < kept[-1].end:
            continue
        if _ours(text, n.start):
            continue
        kept.append(n)
    return kept
