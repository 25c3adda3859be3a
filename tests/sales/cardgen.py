"""Synthetic business-card photos with their truth, for tests: layouts, zh/en/bilingual, fonts, photo defects.

Nothing here is taken from ../shared/eval/cards: names, companies and layouts are drawn from their own pools,
so that scoring on these cards says how the reader does on cards it was not built around.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import noto_cjk_sans_otc
import numpy
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont
from pypinyin import lazy_pinyin

CJK = str(noto_cjk_sans_otc.FONT_PATH)
CJK_FACES = (2, 3, 7)  # Noto Sans CJK SC, TC and Mono SC in the collection
LATIN_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
LATIN = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf", "STIXGeneral.ttf")


def _w(text: str) -> list[str]:
    return text.split()


SURNAMES = "赵钱孙李周郑冯陈褚卫蒋沈韩杨朱秦许何吕施张孔曹严华金魏陶姜谢邹喻柏窦章苏潘葛范彭鲁韦马方俞任袁柳鲍史唐费薛雷贺倪汤殷罗毕郝安常于傅齐康余顾孟黄穆萧尹姚邵汪祁毛狄米戴宋庞熊纪舒屈项董梁杜阮蓝席季贾江郭林钟徐邱骆高夏蔡田胡凌霍万卢莫丁邓洪包左石崔龚程邢裴陆荣翁"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞建国志文斌辉宇浩然博雪梅琳晨阳子涵思远嘉怡欣悦俊凯宁婷颖瑞泽昊天雨轩佳琪海波峰松亮鑫晓东"
FIRST = _w("James John Robert Michael David William Richard Thomas Daniel Matthew Anthony Mark Steven Paul Andrew "
           "Kevin Brian George Edward Ryan Jacob Gary Eric Peter Henry Mary Patricia Jennifer Linda Elizabeth Susan "
           "Jessica Sarah Karen Nancy Lisa Betty Sandra Ashley Emily Donna Michelle Carol Amanda Melissa Rebecca "
           "Laura Sophie Olivia Grace Chloe Hannah Lucas Oliver Noah Ethan")
LAST = _w("Smith Johnson Williams Brown Jones Garcia Davis Rodriguez Martinez Hernandez Lopez Wilson Anderson "
          "Thomas Moore Jackson Martin Lee Thompson White Harris Clark Lewis Robinson Walker Young Allen King Wright "
          "Scott Green Baker Adams Nelson Hill Campbell Mitchell Roberts Carter Phillips Evans Turner Parker Collins "
          "Edwards Stewart Morris Murphy Cook Rogers Morgan Cooper Peterson Bailey Reed Kelly Howard Fischer Schmidt")
REGIONS = _w("华夏 中联 东方 江南 浙东 苏南 粤海 京华 津港 渝州 蜀都 楚天 湘南 赣江 皖北 鲁信 冀中 晋商 辽海 吉林 "
             "黑土 滇池 黔灵 桂林 琼海 闽南 沪宁 申江 金陵 钱塘 长城 黄河 泰山 昆仑 天山 南海 北辰 西湖 东海")
CORES = _w("恒信 宏远 瑞丰 鼎盛 永泰 嘉禾 明德 海纳 凯达 汇通 盛世 博远 华信 金盛 正泰 安信 德邦 富源 光明 佳美 "
           "锦程 君和 坤元 蓝天 立信 龙腾 茂源 启航 乾元 群英 润泽 顺达 泰和 同创 伟业 信达 卓越 晨光 宏图 鹏程")
INDUSTRIES = _w("机械 电子 科技 贸易 化工 建材 物流 医药 食品 纺织 汽车零部件 软件 网络 传媒 能源 环保 新材料 "
                "设备 仪器 包装 家居 电器 光电 通信 工程 咨询 生物 信息技术 精密制造 智能装备 半导体 数据")
ZH_FORMS = ("有限公司", "股份有限公司", "有限责任公司", "集团有限公司", "科技有限公司")
EN_A = _w("Pacific Atlantic Northern Summit Pioneer Apex Prime Delta Omega Nova Zenith Horizon Harbor Evergreen "
          "Silverline Bluewater Redwood Ironbridge Sunrise Crescent Meridian Keystone Granite Cobalt Sterling")
EN_B = _w("Star Bridge Stone Wave Peak Point Gate Field Light Forge Link Crest Rock Cloud Sky Arrow Anchor Beacon "
          "Compass Crown Echo Grove Haven Ridge Orbit Quartz")
EN_IND = _w("Technologies Trading Logistics Manufacturing Electronics Systems Solutions Industries Materials Foods "
            "Pharma Textiles Machinery Software Media Energy Engineering Devices Instruments Packaging Motors Chemicals")
EN_FORMS = ("Co., Ltd.", "Ltd.", "Inc.", "LLC", "Corporation", "Limited", "Co., Ltd.", "GmbH", "Group Co., Ltd.")
TITLES_ZH = _w("总经理 副总经理 董事长 销售经理 销售总监 市场总监 采购经理 采购总监 技术总监 财务总监 运营总监 "
               "项目经理 产品经理 区域经理 客户经理 高级工程师 首席技术官 人力资源经理 行政主管 总裁助理 研发工程师 "
               "大客户经理 商务经理 品牌总监 执行董事")
TITLES_EN = ["General Manager", "Sales Manager", "Sales Director", "Marketing Director", "Purchasing Manager",
             "CEO", "CTO", "CFO", "COO", "Vice President", "Project Manager", "Product Manager", "Senior Engineer",
             "Regional Manager", "Account Manager", "Business Development Manager", "Head of Procurement",
             "Operations Director", "Chief Engineer", "Managing Director", "HR Manager", "Key Account Manager"]
DEPTS_ZH = _w("销售部 市场部 采购部 技术部 国际贸易部 研发中心 客户服务中心")
DEPTS_EN = ["Sales Department", "Marketing Dept.", "R&D Center", "International Trade Division"]
CITIES = [("上海", "Shanghai", _w("浦东新区 闵行区 徐汇区 嘉定区")), ("北京", "Beijing", _w("朝阳区 海淀区 丰台区")),
          ("深圳", "Shenzhen", _w("南山区 福田区 宝安区")), ("广州", "Guangzhou", _w("天河区 番禺区 黄埔区")),
          ("苏州", "Suzhou", _w("工业园区 吴中区 相城区")), ("南京", "Nanjing", _w("江宁区 鼓楼区 建邺区")),
          ("杭州", "Hangzhou", _w("余杭区 西湖区 萧山区")), ("西安", "Xi'an", _w("雁塔区 未央区")),
          ("重庆", "Chongqing", _w("渝北区 江北区")), ("青岛", "Qingdao", _w("崂山区 黄岛区"))]
STREETS = [("人民路", "Renmin Rd"), ("中山路", "Zhongshan Rd"), ("创业大道", "Chuangye Ave"),
           ("金桥路", "Jinqiao Rd"), ("长江路", "Changjiang Rd"), ("科苑北路", "Keyuan North Rd"),
           ("新华街", "Xinhua St"), ("港湾大道", "Gangwan Ave"), ("华山路", "Huashan Rd"), ("东风路", "Dongfeng Rd")]
AREA_CODES = ("010", "021", "022", "023", "020", "025", "027", "028", "029", "0512", "0571", "0755", "0532", "0731")
MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "158", "159", "166", "177", "180", "181", "182", "183", "186", "187", "188", "189", "199")
SLOGANS_ZH = _w("诚信·专业·共赢 专注品质，服务全球 让制造更智能 您身边的供应链专家 品质成就未来")
SLOGANS_EN = ["Quality First", "Innovation for a better tomorrow", "Your partner in growth", "Precision. Reliability."]
PALETTES = [("#ffffff", "#1a1a1a", "#b22222"), ("#fbf7ef", "#222222", "#8b5a2b"), ("#f4f6fa", "#1b2a4a", "#1f4e9c"),
            ("#ffffff", "#333333", "#0b7a53"), ("#fdfdf8", "#111111", "#c0392b"), ("#eef2f0", "#1e1e1e", "#2c6e49"),
            ("#1f2833", "#f0f0f0", "#e0b04a"), ("#ffffff", "#202020", "#6a1b9a")]


@dataclass
class Person:
    """The truth of one synthetic card, and what is drawn besides."""

    lang: str  # zh, en, bi
    company: str
    person: str
    title: str
    mobile: str  # E.164
    phone: str | None
    email: str | None
    address: str | None
    company_en: str = ""
    person_en: str = ""
    title_en: str = ""
    address_en: str = ""
    dept: str = ""
    extras: list[str] = field(default_factory=list)

    def truth(self) -> dict[str, str | None]:
        """The fields a reader should find."""
        return {"company": self.company, "person": self.person, "title": self.title, "mobile": self.mobile,
                "phone": self.phone, "email": self.email, "address": self.address}


RARE_SURNAMES = "訾钮竺乜禤郦"  # outside the reader's list of common family names: found by layout alone


def _zh_name(rng: random.Random) -> str:
    surname = rng.choice(RARE_SURNAMES) if rng.random() < 0.05 else rng.choice(SURNAMES)
    return surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def person(rng: random.Random, lang: str) -> Person:
    """A random card owner with company, title and contacts, in a language (zh, en or bi)."""
    mobile_digits = rng.choice(MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(8))
    area = rng.choice(AREA_CODES)
    local = rng.choice("2345678") + "".join(rng.choice("0123456789") for _ in range(7))  # these cities dial 8 digits
    phone = None if rng.random() < 0.15 else f"+86{area[1:]}{local}"
    city, city_en, districts = rng.choice(CITIES)
    street, street_en = rng.choice(STREETS)
    number = rng.randint(1, 1999)
    zh_addr = f"{city}市{rng.choice(districts)}{street}{number}号"
    if rng.random() < 0.3:
        zh_addr += f"{rng.choice(_w('科技大厦 国际广场 创新园 商务中心'))}{rng.randint(2, 28)}楼"
    en_addr = f"No. {number} {street_en}, {city_en}"
    zh_co = rng.choice(REGIONS) + rng.choice(CORES) + rng.choice(INDUSTRIES) + rng.choice(ZH_FORMS)
    en_co = f"{rng.choice(EN_A)} {rng.choice(EN_B)} {rng.choice(EN_IND)} {rng.choice(EN_FORMS)}"
    zh_person, en_person = _zh_name(rng), f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    if rng.random() < 0.15:
        en_person = en_person.upper()
    zh_title, en_title = rng.choice(TITLES_ZH), rng.choice(TITLES_EN)
    roman = lazy_pinyin(zh_person)
    if lang == "en":
        first, last = en_person.lower().split()  # (an upper-case name has a lower-case email all the same)
        local_part = rng.choice((f"{first}.{last}", f"{first[0]}{last}", first, f"{first}_{last}"))
        domain = en_co.split()[0].lower() + rng.choice((".com", ".com", ".net", ".co"))
    else:
        local_part = rng.choice((roman[0] + "".join(roman[1:]), ".".join(roman[1:] + roman[:1]),
                                 "".join(roman[1:]) + "." + roman[0], roman[0] + "".join(r[0] for r in roman[1:])))
        core = lazy_pinyin(zh_co[2:4])
        domain = "".join(r[0] for r in lazy_pinyin(zh_co[:2])) + "".join(core) + rng.choice((".com", ".cn", ".com.cn"))
    email = None if rng.random() < 0.08 else f"{local_part}@{domain}"
    address = None if rng.random() < 0.1 else (en_addr if lang == "en" else zh_addr)
    card = Person(lang=lang, company=en_co if lang == "en" else zh_co, person=en_person if lang == "en" else zh_person,
                  title=en_title if lang == "en" else zh_title, mobile=f"+86{mobile_digits}", phone=phone,
                  email=email, address=address)
    if lang == "bi":
        card.company_en, card.title_en, card.address_en = en_co, en_title, en_addr if address else ""
        card.person_en = rng.choice((" ".join(r.capitalize() for r in (roman[0], "".join(roman[1:]))),
                                     f"{rng.choice(FIRST)} {roman[0].capitalize()}"))
    if rng.random() < 0.25:
        card.dept = rng.choice(DEPTS_EN if lang == "en" else DEPTS_ZH)
    card.extras = _extras(rng, card, domain)
    return card


def _extras(rng: random.Random, card: Person, domain: str) -> list[str]:
    """Lines that are not fields: web, fax, QQ, slogan, postcode."""
    options = [f"www.{domain}", f"Web: www.{domain}"]
    if card.phone:
        options.append(("传真: " if card.lang != "en" else "Fax: ") + _fixed(rng, card.phone, True))
    options += [f"QQ: {rng.randint(10_000_000, 999_999_999)}", f"邮编: {rng.randint(100_000, 899_999)}"]
    options.append(rng.choice(SLOGANS_EN if card.lang == "en" else SLOGANS_ZH))
    return rng.sample(options, k=rng.choice((0, 1, 1, 2)))


def _mobile(rng: random.Random, e164: str) -> str:
    d = e164[3:]
    forms = [f"{d[:3]} {d[3:7]} {d[7:]}", f"{d[:3]}-{d[3:7]}-{d[7:]}", d, f"+86 {d[:3]} {d[3:7]} {d[7:]}",
             f"(+86){d}", f"+86-{d[:3]}-{d[3:7]}-{d[7:]}", f"+86 {d}"]
    return rng.choice(forms)


def _fixed(rng: random.Random, e164: str, other: bool = False) -> str:
    rest = e164[3:]
    cut = 2 if rest[0] in "12" else 3
    area, local = "0" + rest[:cut], rest[cut:]
    if other:
        local = local[:-2] + "".join(rng.choice("0123456789") for _ in range(2))
    forms = [f"{area}-{local}", f"({area}) {local}", f"{area} {local[:4]} {local[4:]}", f"+86 {area[1:]} {local}",
             f"+86-{area[1:]}-{local}", f"{area}-{local[:4]} {local[4:]}"]
    return rng.choice(forms)


# Labels per style: mobile, phone, email, address.
LABELS = {
    "zh": ("手机：", "电话：", "邮箱：", "地址："), "zh_plain": ("手机 ", "电话 ", "邮箱 ", "地址 "),
    "zh_alt": ("移动电话：", "座机：", "电邮：", "公司地址："), "letter": ("M: ", "T: ", "E: ", "A: "),
    "en": ("Mobile: ", "Tel: ", "Email: ", "Address: "), "en_alt": ("Cell ", "Phone ", "E-mail ", "Add: "),
    "bi": ("手机 Mob: ", "电话 Tel: ", "邮箱 Email: ", "地址 Add: "), "none": ("", "", "", ""),
}


def contact_lines(rng: random.Random, card: Person, style: str) -> list[str]:
    """The contact lines of a card in a label style."""
    mob, tel, mail, addr = LABELS[style]
    out = [mob + _mobile(rng, card.mobile)]
    if card.phone:
        out.append(tel + _fixed(rng, card.phone))
    if card.email:
        out.append(mail + card.email)
    if card.address:
        out.append(addr + card.address)
        if card.lang == "bi" and card.address_en and rng.random() < 0.5:
            out.append(card.address_en)
    return out


class Canvas:
    """A card being drawn, with fonts for its languages."""

    def __init__(self, rng: random.Random, width: int, height: int, palette: tuple[str, str, str]) -> None:
        self.rng, self.width, self.height = rng, width, height
        self.paper, self.ink, self.accent = palette
        self.image = Image.new("RGB", (width, height), self.paper)
        self.draw = ImageDraw.Draw(self.image)
        self.cjk_face = rng.choice(CJK_FACES)
        self.latin = str(LATIN_DIR / rng.choice(LATIN))
        self.bold = rng.random() < 0.3

    def font(self, text: str, size: int) -> ImageFont.FreeTypeFont:
        latin_only = all(ord(ch) < 0x2E80 for ch in text)
        if latin_only and self.rng.random() < 0.6:
            return ImageFont.truetype(self.latin, size)
        return ImageFont.truetype(CJK, size, index=self.cjk_face)

    def text(self, xy: tuple[float, float], text: str, size: int, color: str | None = None,
             anchor: str = "la", bold: bool = False) -> tuple[float, float, float, float]:
        font = self.font(text, size)
        room = (self.width - xy[0] - 24 if anchor[0] == "l" else xy[0] - 24 if anchor[0] == "r"
                else 2 * min(xy[0], self.width - xy[0]) - 24)
        while size > 12 and font.getlength(text) > room:  # a line never runs off the card: smaller type
            size -= 1
            font = ImageFont.truetype(font.path, size, index=font.index)
        stroke = 1 if (bold or self.bold) and size >= 28 else 0
        color = color or self.ink
        self.draw.text(xy, text, font=font, fill=color, anchor=anchor, stroke_width=stroke, stroke_fill=color)
        left, top, right, bottom = self.draw.textbbox(xy, text, font=font, anchor=anchor, stroke_width=stroke)
        return float(left), float(top), float(right), float(bottom)

    def icon(self, x: float, y: float, size: int) -> None:
        shape = self.rng.choice(("circle", "square", "diamond"))
        box = (x, y, x + size, y + size)
        if shape == "circle":
            self.draw.ellipse(box, fill=self.accent)
        elif shape == "square":
            self.draw.rectangle(box, fill=self.accent)
        else:
            h = size / 2
            self.draw.polygon([(x + h, y), (x + size, y + h), (x + h, y + size), (x, y + h)], fill=self.accent)


def _name_block(c: Canvas, card: Person, x: float, y: float, anchor: str, s: float) -> float:
    """Name (and its English form), title beside or below; returns the y below the block."""
    rng = c.rng
    big, mid = int(rng.uniform(48, 66) * s), int(rng.uniform(24, 32) * s)
    shown = " ".join(card.person) if len(card.person) == 2 and rng.random() < 0.3 else card.person  # 张 伟
    box = c.text((x, y), shown, big, anchor=anchor, bold=rng.random() < 0.5)
    title = card.title if not card.dept or rng.random() < 0.5 else f"{card.dept} {card.title}"
    y2 = box[3] + 12 * s
    beside = False
    if card.lang == "bi" and card.person_en:
        if rng.random() < 0.5 and anchor == "la":
            c.text((box[2] + 18 * s, box[3]), card.person_en, int(mid * 1.1), anchor="ld")
            beside = True
        else:
            y2 = c.text((x, y2), card.person_en, mid, anchor=anchor)[3] + 10 * s
    if anchor == "la" and not beside and rng.random() < 0.45:
        c.text((box[2] + 22 * s, box[3] - 4 * s), title, mid, anchor="ld")
        if card.lang == "bi":
            y2 = c.text((x, y2), card.title_en, int(mid * 0.85), anchor=anchor)[3] + 10 * s
    else:
        y2 = c.text((x, y2), title, mid, anchor=anchor)[3] + 8 * s
        if card.lang == "bi":
            y2 = c.text((x, y2), card.title_en, int(mid * 0.85), anchor=anchor)[3] + 10 * s
    if card.dept and card.dept not in title and rng.random() < 0.5:
        y2 = c.text((x, y2), card.dept, int(mid * 0.8), anchor=anchor)[3] + 8 * s
    return y2


def _company_block(c: Canvas, card: Person, x: float, y: float, anchor: str, s: float) -> float:
    size = int(c.rng.uniform(30, 40) * s)
    if card.lang == "en" and len(card.company) > 34:
        size = int(size * 0.8)
    y2 = c.text((x, y), card.company, size, color=c.accent, anchor=anchor)[3] + 8 * s
    if card.lang == "bi":
        y2 = c.text((x, y2), card.company_en, int(size * 0.6), color=c.accent, anchor=anchor)[3] + 8 * s
    return y2


def _contacts(c: Canvas, lines: list[str], x: float, y: float, s: float, icons: bool, anchor: str = "la",
              columns: int = 1) -> float:
    size = int(c.rng.uniform(21, 27) * s)
    step = size * c.rng.uniform(1.55, 1.9)
    rows = len(lines) - (1 if columns == 2 and len(lines) >= 2 else 0)
    room = c.height - 50 * s - y  # the contact block ends above the card's bottom edge
    if rows * step > room:
        step = room / rows
        size = min(size, int(step / 1.4))
    col_w = (c.width - 2 * x) / 2
    for i, line in enumerate(lines):
        col, row = (i % 2, i // 2) if columns == 2 and i < 2 else (0, i - (1 if columns == 2 and i >= 2 else 0))
        lx, ly = x + col * col_w, y + row * step
        if icons and anchor == "la":
            c.icon(lx, ly + size * 0.15, int(size * 0.8))
            lx += size * 1.3
        c.text((lx, ly), line, size, anchor=anchor)
    return y + (len(lines) + 1) * step


def draw_card(rng: random.Random, card: Person) -> Image.Image:
    """The card alone, flat, in one of several layouts."""
    s = rng.uniform(1.0, 1.4)
    layout = rng.choice(("left", "centered", "panel", "split", "bottom", "portrait"))
    width, height = (int(540 * s), int(900 * s)) if layout == "portrait" else (int(900 * s), int(540 * s))
    c = Canvas(rng, width, height, rng.choice(PALETTES))
    style = {"zh": rng.choice(("zh", "zh", "zh_plain", "zh_alt", "letter", "none")),
             "en": rng.choice(("en", "en", "en_alt", "letter", "none")),
             "bi": rng.choice(("bi", "zh", "letter", "en"))}[card.lang]
    icons = style == "none" or rng.random() < 0.15
    lines = contact_lines(rng, card, style)
    m = 60 * s
    if layout == "left":
        y = _company_block(c, card, m, m, "la", s) + 30 * s
        y = _name_block(c, card, m, y, "la", s) + 20 * s
        _contacts(c, lines, m, max(y, height * 0.52), s * (0.95 if len(lines) > 4 else 1), icons)
    elif layout == "centered":
        y = _name_block(c, card, width / 2, m * 0.8, "ma", s)
        y = _company_block(c, card, width / 2, y + 6 * s, "ma", s)
        c.draw.line((m, y + 4 * s, width - m, y + 4 * s), fill=c.accent, width=max(2, int(3 * s)))
        _contacts(c, lines, m * 1.2, y + 24 * s, s * 0.95, icons, columns=2 if len(lines) >= 3 else 1)
    elif layout == "panel":
        pw = int(width * rng.uniform(0.2, 0.28))
        c.draw.rectangle((0, 0, pw, height), fill=c.accent)
        short = card.company[:2] if card.lang != "en" else card.company.split()[0][:2]
        c.text((pw / 2, m), short, int(40 * s), color=c.paper, anchor="ma")
        x = pw + 40 * s
        y = _company_block(c, card, x, m * 0.8, "la", s * 0.9) + 16 * s
        y = _name_block(c, card, x, y, "la", s * 0.9) + 14 * s
        _contacts(c, lines, x, y, s * 0.85, icons)
    elif layout == "split":
        y = _company_block(c, card, m, m * 0.8, "la", s) + 40 * s
        _name_block(c, card, m, y, "la", s * 0.95)
        y0 = height - m - len(lines) * 26 * s * 1.7
        right = len(lines) <= 4 and max(len(ln) for ln in lines) < 34  # short lines fit in the right half
        _contacts(c, lines, width * 0.5 if right else m, y0 if right else height * 0.62, s * 0.85, icons)
    elif layout == "portrait":
        y = _company_block(c, card, width / 2, m, "ma", s * 0.8) + 60 * s
        y = _name_block(c, card, width / 2, y, "ma", s) + 50 * s
        _contacts(c, lines, m * 0.6, y, s * 0.8, icons)
    else:
        y = _name_block(c, card, m, m, "la", s) + 16 * s
        _contacts(c, lines, m, y, s * 0.85, icons)
        _company_block(c, card, m, height - m * 1.3 - (18 * s if card.lang == "bi" else 0), "la", s * 0.85)
    for i, extra in enumerate(card.extras):
        c.text((width - 30 * s, height - 26 * s - i * 30 * s), extra, int(17 * s), anchor="rs")
    return c.image


@dataclass(frozen=True)
class Shot:
    """A photo of a card: the file's bytes, its format and what it shows."""

    data: bytes
    truth: dict[str, str | None]
    note: str


def photograph(rng: random.Random, card_image: Image.Image, large: bool = False) -> tuple[Image.Image, str]:
    """The card on a table: turned a little, in perspective, blurred, noisy, unevenly lit."""
    cw = card_image.width
    angle = rng.uniform(-7, 7)
    card = card_image.convert("RGBA").rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)
    fill = rng.uniform(0.55, 0.9)
    width = max(int(cw / fill), card.width + 20)
    height = max(int(width * rng.uniform(0.62, 0.8)), card.height + 20)
    tone = (rng.randint(40, 200), rng.randint(40, 200), rng.randint(40, 200))
    photo = Image.new("RGB", (width, height), tone)
    photo = Image.blend(photo, _noise(rng, (width, height), 40), 0.15)
    x = rng.randint(0, max(0, width - card.width))
    y = rng.randint(0, max(0, height - card.height))
    photo.paste(card, (x, y), card)
    notes = [f"tilt {angle:.1f}"]
    if rng.random() < 0.6:
        photo = _perspective(rng, photo, tone)
        notes.append("perspective")
    light = Image.linear_gradient("L").resize(photo.size).rotate(rng.uniform(0, 360))
    photo = Image.composite(photo, ImageEnhance.Brightness(photo).enhance(rng.uniform(0.6, 0.9)), light)
    photo = ImageEnhance.Contrast(photo).enhance(rng.uniform(0.75, 1.15))
    blur = rng.choice((0, 0, 0.6, 1.0, 1.4))
    if blur:
        photo = photo.filter(ImageFilter.GaussianBlur(blur))
        notes.append(f"blur {blur}")
    noise = rng.choice((0, 8, 16))
    if noise:
        grain = _noise(rng, photo.size, noise * 4)
        photo = Image.blend(photo, grain, noise / 160)
        notes.append(f"noise {noise}")
    if large:
        photo = photo.resize((photo.width * 3, photo.height * 3), Image.Resampling.BICUBIC)
        notes.append("large")
    return photo, ", ".join(notes)


def _noise(rng: random.Random, size: tuple[int, int], sigma: float) -> Image.Image:
    """Grey grain around mid-grey, the same for a seed (Pillow's effect_noise draws from C's unseeded rand)."""
    grain = numpy.random.default_rng(rng.randrange(2**32)).normal(128, sigma, (size[1], size[0]))
    return Image.fromarray(grain.clip(0, 255).astype(numpy.uint8), "L").convert("RGB")


def _perspective(rng: random.Random, photo: Image.Image, tone: tuple[int, int, int]) -> Image.Image:
    """The photo taken a little from the side: its corners pulled inwards by up to 6 %, unevenly."""
    w, h = photo.size
    d = 0.06
    inner = [(rng.uniform(0, d) * w, rng.uniform(0, d) * h), (w - rng.uniform(0, d) * w, rng.uniform(0, d) * h),
             (w - rng.uniform(0, d) * w, h - rng.uniform(0, d) * h), (rng.uniform(0, d) * w, h - rng.uniform(0, d) * h)]
    full = [(0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h))]
    coeffs = _coefficients(inner, full)
    return photo.transform((w, h), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC, fillcolor=tone)


def _coefficients(dst: list[tuple[float, float]], src: list[tuple[float, float]]) -> tuple[float, ...]:
    """The 8 coefficients mapping output points to input points (PIL's perspective transform), by elimination."""
    rows: list[list[float]] = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, v])
    n = 8
    for i in range(n):
        pivot = max(range(i, n), key=lambda r: abs(rows[r][i]))
        rows[i], rows[pivot] = rows[pivot], rows[i]
        for r in range(n):
            if r != i:
                f = rows[r][i] / rows[i][i]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[i], strict=True)]
    return tuple(rows[i][n] / rows[i][i] for i in range(n))


def encode(rng: random.Random, photo: Image.Image, turn: int = 0, exif_turn: bool = False) -> tuple[bytes, str]:
    """The photo as JPEG, PNG or WebP bytes, turned by `turn` degrees (or stored turned with an EXIF tag)."""
    out = io.BytesIO()
    kind = rng.choice(("JPEG", "JPEG", "JPEG", "PNG", "WEBP"))
    exif = Image.Exif()
    if turn:
        photo = photo.rotate(turn, expand=True)
        if exif_turn:  # the pixels lie turned; the tag says how to stand them up, as phones write it
            exif[0x0112] = {90: 6, 180: 3, 270: 8}[turn]
            kind = "JPEG"
    if kind == "JPEG":
        photo.save(out, "JPEG", quality=rng.randint(45, 90), exif=exif)
    elif kind == "PNG":
        photo.save(out, "PNG")
    else:
        photo.save(out, "WEBP", quality=rng.randint(60, 90))
    return out.getvalue(), kind


def cards(seed: int, count: int) -> list[Shot]:
    """`count` card photos with their truth, the same for a seed: a third each zh, en and bilingual."""
    rng = random.Random(seed)
    shots = []
    for i in range(count):
        lang = ("zh", "en", "bi")[i % 3]
        card = person(rng, lang)
        photo, note = photograph(rng, draw_card(rng, card), large=rng.random() < 0.1)
        turn = rng.choice((0, 0, 0, 0, 0, 90, 180, 270))
        exif_turn = bool(turn) and rng.random() < 0.4
        data, kind = encode(rng, photo, turn, exif_turn)
        note = f"{lang} {kind} {note}" + (f", turned {turn}" + (" (EXIF)" if exif_turn else "") if turn else "")
        shots.append(Shot(data, card.truth(), note))
    return shots


def _page(size: tuple[int, int], color: str = "white") -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", size, color)
    return image, ImageDraw.Draw(image)


def landscape(rng: random.Random) -> Image.Image:
    """Sky, hills and a sun: no text at all."""
    image = Image.linear_gradient("L").resize((1200, 800)).convert("RGB")
    image = Image.blend(image, Image.new("RGB", image.size, (90, 150, 220)), 0.6)
    draw = ImageDraw.Draw(image)
    for i in range(4):
        base = 450 + i * 80
        points = [(x, base - 60 * math.sin(x / rng.uniform(90, 200) + i)) for x in range(0, 1201, 40)]
        draw.polygon([*points, (1200, 800), (0, 800)], fill=(40 + 20 * i, 110 + 15 * i, 50))
    draw.ellipse((900, 80, 1020, 200), fill=(250, 220, 90))
    return image.filter(ImageFilter.GaussianBlur(1))


def chart(rng: random.Random) -> Image.Image:
    """A bar chart with Chinese labels and figures, drawn as a report would."""
    image, draw = _page((1000, 700))
    font = ImageFont.truetype(CJK, 24, index=2)
    draw.text((300, 20), "2026年第三季度销售额（万元）", font=font, fill="black")
    for i, month in enumerate(("七月", "八月", "九月", "十月")):
        h = rng.randint(100, 500)
        draw.rectangle((150 + i * 200, 620 - h, 260 + i * 200, 620), fill=(60, 120, 200))
        draw.text((170 + i * 200, 630), month, font=font, fill="black")
        draw.text((165 + i * 200, 580 - h), f"{h * 13:,}", font=font, fill="black")
    return image


def chat(rng: random.Random) -> Image.Image:
    """A screenshot of a chat: bubbles of sentences with times."""
    image, draw = _page((1080, 1900), "#ededed")
    font = ImageFont.truetype(CJK, 36, index=2)
    lines = ["明天下午三点开会，记得带上报价单。", "好的，我会准时到。", "客户说预算还要再确认一下，怎么办？",
             "先别急，下周一再跟进吧！", "Can you send me the contract today?", "Sure, I will email it tonight.",
             "对了，张总的电话是13812345678，你联系一下。", "收到，谢谢！"]
    y = 120
    for i, line in enumerate(lines):
        draw.text((480, y), f"{rng.randint(8, 21)}:{rng.randint(10, 59)}", font=font, fill="#999999")
        y += 60
        x = 60 if i % 2 else 300
        draw.rounded_rectangle((x, y, x + 700, y + 90), 18, fill="white" if i % 2 else "#95ec69")
        draw.text((x + 24, y + 22), line, font=font, fill="black")
        y += 150
    return image


def receipt(rng: random.Random) -> Image.Image:
    """A shop receipt: store name, phone, address, items with prices, total."""
    image, draw = _page((600, 1400))
    font = ImageFont.truetype(CJK, 26, index=7)
    lines = ["华联超市有限公司", "地址：上海市徐汇区漕溪北路88号", "电话：021-64871234", "单号：20261105-0032",
             "-" * 30]
    total = 0.0
    for item in ("可口可乐 330ml", "农夫山泉 550ml", "面包", "牛奶 1L", "苹果 1kg", "洗衣液"):
        price = rng.randint(2, 60) + rng.choice((0.0, 0.5, 0.9))
        total += price
        lines.append(f"{item}    1 x {price:.2f}    {price:.2f}")
    lines += ["-" * 30, f"合计：{total:.2f}", f"实收：{total + 10:.2f}", "找零：10.00", "谢谢惠顾，欢迎再次光临！"]
    for i, line in enumerate(lines):
        draw.text((30, 40 + i * 60), line, font=font, fill="black")
    return image


def document(rng: random.Random) -> Image.Image:
    """A page of prose."""
    image, draw = _page((1240, 1600))
    font = ImageFont.truetype(CJK, 30, index=2)
    text = ["关于第四季度销售计划的通知", "各位同事：", "为了完成全年销售目标，公司决定在第四季度加大市场投入。",
            "请各区域经理于本月底前提交客户拜访计划，并及时更新客户信息。", "市场部将在下月组织产品培训，请大家准时参加。",
            "如有问题，请联系销售运营部。", "特此通知。", "销售运营部", "2026年10月8日"]
    for i, line in enumerate(text):
        draw.text((100, 120 + i * 90), line, font=font, fill="black")
    return image


def not_cards(seed: int) -> list[tuple[str, bytes]]:
    """Pictures that are not business cards: a landscape, a chart, a chat, a receipt, a document."""
    rng = random.Random(seed)
    out = []
    for name, make in (("landscape", landscape), ("chart", chart), ("chat", chat), ("receipt", receipt),
                       ("document", document)):
        photo = make(rng)
        data, _ = encode(rng, photo)
        out.append((name, data))
    return out


KEY_FIELDS = ("company", "person", "title", "mobile", "email")


def same(name: str, want: str | None, got: str | None) -> bool:
    """Whether a field was read right: phones by their number, text ignoring case, width and spacing."""
    if want is None or got is None:
        return want is None and got is None
    if name in ("mobile", "phone"):
        from sales.customers import normalize_phone

        return normalize_phone(want) == normalize_phone(got)
    return _squeeze(want) == _squeeze(got)


def _squeeze(text: str) -> str:
    import unicodedata

    return "".join(unicodedata.normalize("NFKC", text).casefold().split()).replace("，", ",")
