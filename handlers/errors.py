"""What each refusal of the rules says, in both languages."""

from __future__ import annotations

from collections.abc import Callable

from handlers.context import Ctx
from handlers.markup import esc
from handlers.types import Reply
from sales.errors import RuleError

MESSAGES: dict[str, tuple[str, str]] = {
    "not_allowed": ("你没有权限做这件事。", "You may not do that."),
    "bad_colleague": ("不能交给 {name}：需要同一团队里在职的销售或经理。",
                      "Not to {name}: it must be an active rep or manager of the same team."),
    "not_yourself": ("不能对自己这样做。", "You can't do that to yourself."),
    "already_inactive": ("{name} 已经停用了。", "{name} is already deactivated."),
    "bad_basis": ("法律依据只能是 consent（同意）或 contract（合同），不是“{basis}”。",
                  "The legal basis is consent or contract, not “{basis}”."),
    "consent_needs_channel": ("同意需要写明渠道，例如：consent 展会表格。",
                              "Consent needs its channel, e.g.: consent web-form."),
    "empty_name": ("名称不能为空。", "The name cannot be empty."),
    "merge_same": ("这是同一个客户。", "That is the same customer."),
    "merge_other_team": ("两个客户属于不同团队，不能合并。", "The two customers belong to different teams: they can't be merged."),
    "name_too_long": ("名称太长（最多 {limit} 字）。", "That name is too long (at most {limit} characters)."),
    "bad_grade": ("等级只能是 A、B 或 C，不是“{grade}”。", "The grade must be A, B or C, not “{grade}”."),
    "no_tags": ("请给出标签，例如 #重点。", "Give a tag, e.g. #key."),
    "bad_phone": ("“{phone}”不是有效的电话号码。", "“{phone}” is not a valid phone number."),
    "amount_not_positive": ("金额必须大于 0。", "The amount must be more than 0."),
    "amount_too_large": ("金额太大了。", "That amount is too large."),
    "bad_number": ("“{value}”不是数字。", "“{value}” is not a number."),
    "bad_line": ("这行看不懂：“{line}”。格式：品名 数量 单价", "I can't read the line “{line}”. Write: ITEM QTY UNIT_PRICE"),
    "no_lines": ("报价至少要有一行。", "A quote needs at least one line."),
    "too_many_lines": ("一份报价最多 {limit} 行。", "A quote has at most {limit} lines."),
    "bad_discount": ("折扣要在 0% 到 100% 之间（不含 100%），不是 {value}。",
                     "The discount must be from 0% to below 100%, not {value}."),
    "deal_closed": ("这个商机已经结束（{stage}），不能再改。", "This deal is closed ({stage}); it can't change."),
    "same_stage": ("商机已经在这个阶段了。", "The deal is already at that stage."),
    "needs_info": ("进入“已确认”前需要：{fields}。", "Before *qualified* the deal needs: {fields}."),
    "proposal_needs_quote": ("进入“方案报价”需要先有报价：/quote new 商机",
                             "*Proposal* needs a quote first: /quote new DEAL"),
    "lost_needs_reason": ("输单需要原因：/lost 商机 原因", "A lost deal needs a reason: /lost DEAL REASON"),
    "quote_pending": ("报价还在等待审批，审批后才能赢单。", "The quote is still waiting for approval; win the deal after it is decided."),
    "won_needs_amount": ("赢单需要金额或已批准的报价。", "Winning needs an amount or an approved quote."),
    "unknown_field": ("未知字段 {field}。", "Unknown field {field}."),
    "no_approver": ("没有可以审批的人（{role}），请联系管理员。", "Nobody can approve this ({role}); ask an admin."),
    "already_decided": ("这个审批已经处理过了。", "This approval was already decided."),
    "own_request": ("不能审批自己提交的申请。", "You can't approve your own request."),
    "not_approver": ("你没有权限审批这个折扣。", "You may not decide this discount."),
    "bad_plan": ("付款计划这部分看不懂：“{part}”。例如：30% now, 70% 2027-01-15",
                 "I can't read “{part}” in the plan. E.g.: 30% now, 70% 2027-01-15"),
    "date_in_past": ("日期 {date} 已经过去了。", "The date {date} is in the past."),
    "plan_sum": ("各期加起来要等于订单金额 {total}（可以用 rest 表示余款）。",
                 "The installments must add up to the order's {total} (use “rest” for the remainder)."),
    "plan_after_payment": ("已有回款，不能再改付款计划。", "Payments were recorded; the plan can't change now."),
    "finance_only": ("只有财务或管理员能登记回款。", "Only finance or an admin can record payments."),
    "overpaid": ("超过了未付金额 {outstanding}。", "That is more than the {outstanding} still open."),
    "unknown_role": ("没有“{role}”这个角色：rep、manager、finance、admin。",
                     "There is no role “{role}”: rep, manager, finance, admin."),
    "cannot_invite": ("你不能邀请 {role}。", "You may not invite a {role}."),
    "bad_code": ("邀请码无效或已过期，请向经理要一个新的。", "That code is wrong or expired; ask your manager for a new one."),
    "bad_kind": ("未知的记录类型。", "Unknown activity kind."),
    "empty_text": ("请写上内容。", "Please write what happened."),
    "text_too_long": ("内容太长（最多 {limit} 字）。", "That is too long (at most {limit} characters)."),
    "bad_tz": ("不认识这个时区，例如 Asia/Shanghai。", "Unknown time zone; e.g. Asia/Shanghai or Europe/Berlin."),
    "not_found": ("没找到。", "Not found."),
    "followup_closed": ("这个跟进已经处理过了。", "That follow-up is already closed."),
}


def explain(ctx: Ctx, err: RuleError) -> None:
    """Answer a refused change with what to do next."""
    ctx.replies.append(Reply(text=refusal(err, ctx.lang, fill=esc)))


def refusal(err: RuleError, lang: str, *, fill: Callable[[object], str] = str) -> str:
    """What a refusal says in `lang` ("zh" or "en"), its values passed through `fill` (esc for a Reply)."""
    zh, en = MESSAGES.get(err.code, ("操作被拒绝（{code}）。", "That was refused ({code})."))
    params = {k: fill(", ".join(v) if isinstance(v, list) else v) for k, v in err.params.items()}
    return (zh if lang == "zh" else en).format(code=err.code, **params)
