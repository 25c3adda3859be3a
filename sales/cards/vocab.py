"""The words business cards are made of: field labels, job titles, legal forms, address words, surnames."""

from __future__ import annotations

import re

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
HAN_RE = re.compile(f"[{HAN}]")


def _words(text: str) -> list[str]:
    """Space-separated words."""
    return text.split()


def _alternation(words: str) -> str:
    """A regex alternation of space-separated words, longest first (so 手机号 wins over 手机)."""
    return "|".join(sorted((re.escape(w) for w in _words(words)), key=len, reverse=True))


# Field labels, by the field they announce. Longer words may stand alone ("Mobile 138…"); single letters
# and short Latin words need a colon or a dot after them ("M: 138…", "T. 021…") to count as a label.
LABELS = {
    "mobile": "手机 手機 手机号 手机号码 移动电话 移動電話 行动电话 Mobile Mobil Mob Cell Cellphone Handy HP",
    "phone": "电话 電話 座机 固话 办公电话 公司电话 总机 直线 热线 客服电话 服务热线 Tel Telephone Phone Office Direct Hotline",
    "fax": "传真 傳真 Fax Facsimile",
    "email": "邮箱 郵箱 电邮 電郵 邮件 E-mail Email Mail E-Mail",
    "address": "地址 公司地址 通讯地址 地點 Address Addr Add",
    "web": "网址 網址 网站 主页 Web Website Site URL Http Https",
    "other": "邮编 郵編 邮政编码 QQ 微信 WeChat WX Skype Zip Postcode Post Code",
}
SHORT_LABELS = {"M": "mobile", "MP": "mobile", "T": "phone", "P": "phone", "O": "phone", "F": "fax",
                "E": "email", "A": "address", "W": "web", "Ad": "address"}
_LONG = "|".join(f"(?P<{kind}>{_alternation(words)})" for kind, words in LABELS.items())
_SHORT = _alternation(" ".join(SHORT_LABELS))
# A label starts the text or follows a space or separator; what follows it is the value.
_BODY = rf"(?:(?:{_LONG})(?:\s*[:.]\s*|\s+|(?=[+(\d{HAN}])|(?=[A-Za-z][A-Za-z\-]{{0,9}}\s*[:.]))|(?P<short>{_SHORT})\s*[:.]\s*)"
LABEL_RE = re.compile(rf"(?:(?<=^)|(?<=[\s|/·,;]))(?:{_BODY})", re.IGNORECASE)
LABEL_AGAIN_RE = re.compile(_BODY, re.IGNORECASE)  # the second label of a bilingual pair: 地址Add: …

# Job titles: a line holding one of these words (and not much else) is a title.
TITLE_ZH = (
    "董事长 副董事长 董事 总裁 副总裁 总经理 副总经理 总监 副总监 经理 副经理 主任 副主任 主管 专员 顾问 助理 秘书 "
    "工程师 设计师 会计师 律师 建筑师 分析师 讲师 教授 研究员 博士 医师 主席 合伙人 创始人 联合创始人 负责人 "
    "厂长 部长 院长 所长 校长 行长 站长 店长 处长 科长 组长 队长 首席 代表 总工 总监理 业务员 销售 客户经理 "
    "采购 会计 出纳 财务 技术员 督导 执行董事 监事 总编 主编 策划 架构师 代理人 经纪人 总裁助理 区域经理"
)
TITLE_EN = (
    "CEO CTO CFO COO CMO CIO CPO CSO VP SVP EVP GM President Vice Chairman Chairwoman Director Manager Engineer "
    "Officer Head Lead Leader Founder Co-Founder Partner Consultant Specialist Representative Executive "
    "Assistant Secretary Architect Designer Analyst Accountant Supervisor Coordinator Administrator Advisor "
    "Adviser Associate Principal Owner Chief Professor Lawyer Attorney Counsel Scientist Researcher Developer "
    "Technician Agent Buyer Sales Marketing Purchasing Procurement Account Regional Senior Junior Deputy"
)
TITLE_FIELDS_EN = (  # what a title is of: "Business Development Manager", "Head of Human Resources"
    "of and for the in to Business Development Operations Product Project Technical Technology Customer Service "
    "Services Human Resources HR IT Finance Financial Legal Quality Supply Chain Logistics International Global "
    "Trade Brand Communications Public Relations Research R&D Engineering Design Information Strategy Strategic "
    "Key Area Country Channel Export Import Production Plant Factory Asia Pacific China Europe North South East "
    "West Region General Managing Executive Administrative Office Department Dept Division Center Centre Team "
    "Group Digital Data Software Hardware Solutions Partnerships Investor Corporate Commercial Retail Online"
)
TITLE_ROLE_EN = (  # the words that make a title a role, not only a department
    "CEO CTO CFO COO CMO CIO CPO CSO VP SVP EVP GM President Chairman Chairwoman Director Manager Engineer Officer "
    "Head Lead Leader Founder Co-Founder Partner Consultant Specialist Representative Executive Assistant "
    "Secretary Architect Designer Analyst Accountant Supervisor Coordinator Administrator Advisor Adviser "
    "Associate Principal Owner Chief Professor Lawyer Attorney Counsel Scientist Researcher Developer "
    "Technician Agent Buyer"
)
TITLE_ZH_RE = re.compile(_alternation(TITLE_ZH))
TITLE_EN_WORDS = frozenset(w.casefold() for w in _words(TITLE_EN))
TITLE_ROLE_EN_WORDS = frozenset(w.casefold() for w in _words(TITLE_ROLE_EN))
TITLE_FIELD_EN_WORDS = frozenset(w.casefold() for w in _words(TITLE_FIELDS_EN))
DEPARTMENT_RE = re.compile(r"(?:部|事业部|中心|办公室|Dept\.?|Department|Division|Office)$", re.IGNORECASE)

# Legal forms and kinds of organisation: a line ending in one of these names a company.
COMPANY_ZH = (
    "有限公司 股份有限公司 有限责任公司 集团有限公司 股份公司 集团公司 集团 公司 分公司 研究院 研究所 设计院 "
    "事务所 工作室 银行 医院 大学 学院 学校 中心 厂 商行 商贸行 办事处 实业 控股 协会 商会 基金会 合作社 店"
)
COMPANY_EN = (
    "Co Co. Ltd Ltd. Limited Inc Inc. Incorporated Corp Corp. Corporation Company LLC L.L.C. LLP PLC GmbH AG SA "
    "S.A. SAS BV B.V. NV Pte Pty Group Holdings Partners Associates Bank University Institute Laboratories Labs "
    "Studio Enterprises Industries"
)
COMPANY_ZH_END_RE = re.compile(f"(?:{_alternation(COMPANY_ZH)})$")
COMPANY_ZH_STRONG_RE = re.compile("(?:有限公司|有限责任公司|股份公司|集团|公司)")
COMPANY_EN_WORDS = frozenset(w.casefold().rstrip(".") for w in _words(COMPANY_EN))
COMPANY_EN_STRONG = frozenset({"co", "ltd", "limited", "inc", "incorporated", "corp", "corporation", "company",
                               "llc", "l.l.c", "llp", "plc", "gmbh", "pte", "pty"})

# Address words: a line with these (and no label) is likely the address.
ADDRESS_ZH_RE = re.compile(r"(?:省|市|区|區|县|縣|镇|鎮|路|街|道|巷|弄|号|號|大厦|大廈|广场|廣場|楼|樓|室|层|層|园|園|栋|棟|座)")
ADDRESS_ZH_STRONG_RE = re.compile(r"(?:[省市区县]\S*?(?:路|街|道|巷|大厦|广场|园)|\d+\s*(?:号|號|楼|室|层))")
ADDRESS_EN_WORDS = frozenset(_words(
    "no no. road rd rd. street st st. avenue ave ave. boulevard blvd blvd. lane ln drive dr dr. building bldg "
    "floor fl fl. suite ste room rm district province city park tower plaza square highway hwy way court ct "
    "zone estate industrial block unit"
))

# Street words no name holds ("Grace Park" and "Jennifer Lane" are people; "Keyuan Rd" and "Nanshan District" are not).
STREET_WORDS = frozenset(_words(
    "no no. road rd rd. street st. avenue ave ave. boulevard blvd blvd. district province city building bldg floor "
    "fl. suite room rm tower plaza highway hwy"
))

# Lines that are neither a name nor a title: slogans, services, web addresses.
NOT_A_NAME_RE = re.compile(r"[\d@:：/\\|#&*+=<>()（）【】\[\]{}]")

# The common Chinese family names (百家姓 and the most frequent today), compound ones first.
SURNAMES_COMPOUND = frozenset(_words(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 南宫 西门 独孤 呼延 "
    "万俟 闻人 澹台 公冶 太史 申屠 濮阳 淳于 单于 赫连 拓跋"
))
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆"
    "乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平"
    "计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公"
    "哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由傅萧洪贝凤"
    "陳張劉黃吳趙鄭楊許謝葉蕭羅鍾馮蔣盧陸韓曾彭蘇潘鄧龔錢顧孫湯賴"  # traditional forms, for 繁體 cards
)
