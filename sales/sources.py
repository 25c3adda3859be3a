"""Where customers come from: one configured list with zh and en labels and synonyms (官网 = Website), so a
source never splits by the language it was typed in. Known sources are stored by their key; anything else
is kept as typed."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    """One source of the list: its stored key, its labels and the other words people use for it."""

    key: str
    zh: str
    en: str
    synonyms: tuple[str, ...] = ()


# Keys are the words lead scoring's default rules know (sales/leads.DEFAULT_RULES).
SOURCES: tuple[Source, ...] = (
    Source("website", "官网", "Website", ("网站", "官方网站", "官网表单", "网站表单", "web", "site", "web form",
                                          "website form", "homepage", "inbound")),
    Source("referral", "转介绍", "Referral", ("推荐", "客户推荐", "介绍", "朋友介绍", "熟人介绍", "口碑", "referred",
                                             "word of mouth", "recommendation")),
    Source("existing customer", "老客户", "Existing customer", ("老客户复购", "复购", "existing", "repeat",
                                                                 "existing client", "returning customer")),
    Source("tender", "招标", "Tender", ("投标", "招投标", "招标网", "bid", "bidding", "rfp", "rfq")),
    Source("trade show", "展会", "Trade show", ("展览", "会展", "展销会", "fair", "exhibition", "expo", "tradeshow")),
    Source("cold call", "电话营销", "Cold call", ("电销", "陌拜", "陌生拜访", "telemarketing", "cold calling",
                                                "outbound", "outbound call")),
    Source("advertising", "广告", "Advertising", ("广告投放", "百度推广", "搜索广告", "信息流", "ads", "ad",
                                                  "sem", "google ads", "paid search")),
    Source("social media", "社交媒体", "Social media", ("微信", "公众号", "抖音", "小红书", "微博", "linkedin", "wechat",
                                                     "social")),
    Source("partner", "渠道合作", "Partner", ("渠道", "代理商", "合作伙伴", "经销商", "partner", "reseller",
                                           "distributor", "channel partner")),
)


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-·.]+", " ", text.strip().casefold()).strip()


_INDEX = {_fold(word): s for s in SOURCES for word in (s.key, s.zh, s.en, *s.synonyms)}


def find(text: str | None) -> Source | None:
    """The listed source a typed or imported word names (官网, Website, web → website), if any."""
    return _INDEX.get(_fold(text)) if text else None


def canonical(text: str | None) -> str | None:
    """What to store for a typed source: the listed key, or the text as typed (spaces tidied); None for none."""
    if text is None or not text.strip():
        return None
    found = find(text)
    return found.key if found is not None else " ".join(text.split())[:100]


def label(stored: str | None, lang: str) -> str:
    """A stored source shown in `lang`: the list's label, or the text as it was typed."""
    found = find(stored)
    if found is None:
        return stored or ""
    return found.zh if lang.startswith("zh") else found.en
