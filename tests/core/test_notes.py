"""Reading a whole note (PRODUCT.md "Reading a whole note"): the public notes, and notes of our own in both languages."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from handlers.parsing import NoteReading, read_note
from tests.conftest import shared_file
from tests.core.test_parsing import _shown

SHANGHAI = ZoneInfo("Asia/Shanghai")
TUESDAY = datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)
THURSDAY = datetime(2026, 12, 10, 14, 0, tzinfo=SHANGHAI)
MONDAY = datetime(2027, 1, 18, 10, 15, tzinfo=SHANGHAI)
FIELDS = ("person", "title", "quantity", "amount", "currency", "when", "discount")


def fields(got: NoteReading) -> dict[str, Any]:
    """A reading in the shape of the eval files."""
    return {
        "person": got.person,
        "title": got.title,
        "quantity": None if got.quantity is None else [got.quantity.count, got.quantity.unit],
        "amount": None if got.amount is None else str(got.amount),
        "currency": got.currency,
        "when": _shown(got.when),
        "discount": None if got.discount is None else str(got.discount),
    }


def test_public_notes_are_read_whole() -> None:
    path = shared_file("eval", "notes_public.jsonl")
    cases = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    right_notes = right_fields = total_fields = 0
    misses = []
    for case in cases:
        got = fields(read_note(case["text"], datetime.fromisoformat(case["now"])))
        wrong = {k: (got[k], v) for k, v in case["expect"].items() if got[k] != v}
        right_notes += not wrong
        total_fields += len(case["expect"])
        right_fields += len(case["expect"]) - len(wrong)
        if wrong:
            misses.append(f"{case['text']!r}: (got, expected) {wrong}")
    print(f"public notes: {right_notes}/{len(cases)} whole, {right_fields}/{total_fields} fields")
    assert cases
    assert right_notes / len(cases) >= 0.9, "\n".join(misses)
    assert right_fields / total_fields >= 0.97, "\n".join(misses)


# (text, person, title, quantity, amount, currency, when, discount) on Tuesday 2026-11-24 09:30 in Shanghai
TUESDAY_NOTES = [
    ('拜访了采购经理刘洋，他们需要80台服务器，预算60万，下周四再跟进', '刘洋', '采购经理', (80, '台'), '600000', 'CNY', '2026-12-03', None),
    ('和技术总监王总开了视频会，要15套软件授权，报价每套2万，周五下午4点回电', '王总', '技术总监', (15, '套'), '20000', 'CNY', '2026-11-27T16:00', None),
    ('客户钱经理说价格太高，希望打九折，明天上午再联系', '钱经理', None, None, None, None, '2026-11-25', '10'),
    ('见了赵总和他们的财务，合同总额85万，要求降价5%，下下周三签约', '赵总', None, None, '850000', 'CNY', '2026-12-09', '5'),
    ('Met John Smith (Procurement Manager), they want 200 units at $150 each, follow up next week', 'John Smith', 'Procurement Manager', (200, 'units'), '150', 'USD', '2026-11-30', None),
    ('Call with Ms. Zhou, CFO: budget is 1.2M USD, call back tomorrow at 10am', 'Ms. Zhou', 'CFO', None, '1200000', 'USD', '2026-11-25T10:00', None),
    ('电话联系了孙女士 13912345678，她说下个月初要50件样品', '孙女士', None, (50, '件'), None, None, '2026-12-01', None),
    ('Lunch with David Lee, head of IT. Needs 40 laptops, budget around ¥300,000. Check back in two weeks', 'David Lee', 'head of IT', (40, 'laptops'), '300000', 'CNY', '2026-12-08', None),
    ('拜访黄经理，对方要500个零件，单价12元，3天后回访', '黄经理', None, (500, '个'), '12', 'CNY', '2026-11-27', None),
    ('客户很犹豫，说要再考虑考虑，下周一再打电话', None, None, None, None, None, '2026-11-30', None),
    ('我们的王工和客户李总一起调试了设备，李总要再买3台，明天下午两点去现场', '李总', None, (3, '台'), None, None, '2026-11-25T14:00', None),
    ('Visited Acme with our engineer Tom; met their COO Maria Garcia, who wants 10 machines for €8,500 each; follow-up Friday', 'Maria Garcia', 'COO', (10, 'machines'), '8500', 'EUR', '2026-11-27', None),
    ('和对方张经理确认了，订单数量2000套，总价¥1,280,000，月底前付款', '张经理', None, (2000, '套'), '1280000', 'CNY', '2026-11-30', None),
    ('Spoke to the purchasing manager; they need 25 printers; quote 45k USD; follow up Monday', None, 'purchasing manager', (25, 'printers'), '45000', 'USD', '2026-11-30', None),
    ('客户采购部陈工反馈样品有问题，需要重新打样，周三之前给答复', '陈工', None, None, None, None, '2026-11-25', None),
    ('拜访了王伟（总经理），对方意向采购20台设备，预算100万左右，下周二上午10点再来', '王伟', '总经理', (20, '台'), '1000000', 'CNY', '2026-12-01T10:00', None),
    ('电话里刘总说项目延期到明年，先不跟了', '刘总', None, None, None, None, None, None),
    ('Met Mr. Chen and his CTO; 12 seats, $1,200 per seat per year; next call Thursday 3pm', 'Mr. Chen', None, (12, 'seats'), '1200', 'USD', '2026-11-26T15:00', None),
    ('客户要求打个85折，数量300箱，下周再说', None, None, (300, '箱'), None, None, '2026-11-30', '15'),
    ('林女士（行政主管）来电，要订40把椅子，预算2万元以内，明天回复她', '林女士', '行政主管', (40, '把'), '20000', 'CNY', '2026-11-25', None),
    ('Demo for Priya Patel, Director of Operations; wants 3 robots, total $250k; follow up in 10 days', 'Priya Patel', 'Director of Operations', (3, 'robots'), '250000', 'USD', '2026-12-04', None),
    ('见了郑总监，聊了合作方案，报价38.5万，优惠3个点，下周五下午3点半电话确认', '郑总监', None, None, '385000', 'CNY', '2026-12-04T15:30', '3'),
    ('老客户吴总复购，还是100台，价格不变，两周后发货', '吴总', None, (100, '台'), None, None, '2026-12-08', None),
    ("Sent the quote to Karen Wu (Head of Purchasing): 500 pcs at €12 each; she'll reply by Friday", 'Karen Wu', 'Head of Purchasing', (500, 'pcs'), '12', 'EUR', '2026-11-27', None),
    ('客户说3天内交付就下单，要30套，下周一再联系', None, None, (30, '套'), None, None, '2026-11-30', None),
    ('联系人：周杰 13700001111，要10台X200，报价每台3.2万', '周杰', None, (10, '台'), '32000', 'CNY', None, None),
    ('和运营总监何丽吃了饭，她们明年一季度有预算，大概500万，年底前再约一次', '何丽', '运营总监', None, '5000000', 'CNY', '2026-12-31', None),
    ('Called Bob, no answer. Try again tomorrow.', 'Bob', None, None, None, None, '2026-11-25', None),
    ('客户那边还没决定，月底再跟进', None, None, None, None, None, '2026-11-30', None),
    ('和采购主管小李沟通，需要60个纸箱，每个5块，下午三点再打给他', '小李', '采购主管', (60, '个'), '5', 'CNY', '2026-11-24T15:00', None),
    ('王总监和李经理都在，王总监拍板要12套，合同价36万', '王总监', None, (12, '套'), '360000', 'CNY', None, None),
    ('Met with Dr. Sato, chief engineer; they need 2 systems, budget ¥2.4M; follow up on Dec 10', 'Dr. Sato', 'chief engineer', (2, 'systems'), '2400000', 'CNY', '2026-12-10', None),
    ('去了客户工厂，厂长不在，见了生产经理马强，要换20台老设备，下周三带方案再去', '马强', '生产经理', (20, '台'), None, None, '2026-12-02', None),
    ('给徐小姐发了报价单，报价含税9.8万，客户希望再便宜5%，周四前回复', '徐小姐', None, None, '98000', 'CNY', '2026-11-26', '5'),
    ('Chat with Emma from Globex: 150 seats, £30,000/yr, next meeting Dec 3 at 2pm', 'Emma', None, (150, 'seats'), '30000', 'GBP', '2026-12-03T14:00', None),
    ('客户毛利率要求15%，首付30%，要200台，下周三再谈', None, None, (200, '台'), None, None, '2026-12-02', None),
    ('电话没打通，晚上8点再打', None, None, None, None, None, '2026-11-24T20:00', None),
    ('见了蒋总，他说1.2亿的预算批下来了，下个月底前定', '蒋总', None, None, '120000000', 'CNY', '2026-12-31', None),
    ('客户反馈很好', None, None, None, None, None, None, None),
    ('拜访了欧阳总，要50套，报价单价1万2', '欧阳总', None, (50, '套'), '12000', 'CNY', None, None),
    ('跟客户张先生通电话，要3000米电缆，每米8元，本周五前答复', '张先生', None, (3000, '米'), '8', 'CNY', '2026-11-27', None),
    ('Quote sent: 20 units, 15% off list, total $34,000. Follow up Wednesday next week.', None, None, (20, 'units'), '34000', 'USD', '2026-12-02', '15'),
    ('约了曹经理明天下午2点见面，顺便带10份资料', '曹经理', None, (10, '份'), None, None, '2026-11-25T14:00', None),
    ('客户说预算有限，只能给到八折，下周一答复我们', None, None, None, None, None, '2026-11-30', '20'),
    ('和冯总吃饭，冯总说明年要开3家新店，设备预算200万，元旦后再联系', '冯总', None, None, '2000000', 'CNY', '2027-01-01', None),
    ('Met Jessica Alba, VP of Engineering; wants a pilot with 5 devices, no budget yet', 'Jessica Alba', 'VP of Engineering', (5, 'devices'), None, None, None, None),
    ('王经理的电话 021-62345678，他们需要100套，月底前报价', '王经理', None, (100, '套'), None, None, '2026-11-30', None),
    ('见了客户的采购总监，对方要求九五折，30台，预计12月15日下单', None, '采购总监', (30, '台'), None, None, '2026-12-15', '5'),
    ('昨天拜访了周总，他们要20台，明天再跟进', '周总', None, (20, '台'), None, None, '2026-11-25', None),
    ('Met Linda from procurement. Budget $80k for 16 licenses. Call back Friday morning.', 'Linda', None, (16, 'licenses'), '80000', 'USD', '2026-11-27', None),
    ('拜访谢总（董事长），签了框架协议，首批50吨，单价4500元/吨，下周三发货后回访', '谢总', '董事长', (50, '吨'), '4500', 'CNY', '2026-12-02', None),
    ('客户IT经理韩梅梅说服务器要8台，预算40万，后天上午9点半再联系', '韩梅梅', 'IT经理', (8, '台'), '400000', 'CNY', '2026-11-26T09:30', None),
    ('Spoke with Mr. Kim: he wants 100 boxes, price RMB 2,000 per box, follow up 12/5', 'Mr. Kim', None, (100, 'boxes'), '2000', 'CNY', '2026-12-05', None),
    ('见了潘局长，局里今年预算用完了，明年3月再跟进', '潘局长', None, None, None, None, '2027-03-01', None),
    ('跟彭主任约了下周一下午三点去演示，他们要采购200台电脑', '彭主任', None, (200, '台'), None, None, '2026-11-30T15:00', None),
    ('客户说型号X300的价格是每台8800元，要12台，下周给答复', None, None, (12, '台'), '8800', 'CNY', '2026-11-30', None),
    ('Met Sophie Martin, the buyer; 60 units, €45,000 total; 10% discount requested; follow up in 2 weeks', 'Sophie Martin', 'buyer', (60, 'units'), '45000', 'EUR', '2026-12-08', '10'),
    ('总经理助理杨洋来电，说老板同意了，要5套，总价25万，明天签合同', '杨洋', '总经理助理', (5, '套'), '250000', 'CNY', '2026-11-25', None),
    ('跟进：客户要200个，单价30美元，下周四回复', None, None, (200, '个'), '30', 'USD', '2026-12-03', None),
    ('和戴经理、采购员小周开会，要1000件，报价12.5万，打九五折，两天后再联系', '戴经理', None, (1000, '件'), '125000', 'CNY', '2026-11-26', '5'),
]
# The same on Thursday 2026-12-10 14:00: written before the reader was run on them.
THURSDAY_NOTES = [
    ('上午拜访了宋总，对方准备采购40台打印机，预算12万，下周二下午两点再电话沟通', '宋总', None, (40, '台'), '120000', 'CNY', '2026-12-15T14:00', None),
    ("Met Kevin O'Brien, IT Director at the hospital; 300 licenses, $45 per license; follow up Monday 9am", "Kevin O'Brien", 'IT Director', (300, 'licenses'), '45', 'USD', '2026-12-14T09:00', None),
    ('给许经理打电话，她说招标推迟到1月5日，到时候再联系', '许经理', None, None, None, None, '2027-01-05', None),
    ('客户唐女士想要200件T恤，每件35元，要求九折，后天给报价', '唐女士', None, (200, '件'), '35', 'CNY', '2026-12-12', '10'),
    ('Call with procurement head Ana Souza: they need 1,500 pcs, budget €60,000; decision end of next month', 'Ana Souza', 'procurement head', (1500, 'pcs'), '60000', 'EUR', '2027-01-31', None),
    ('和副总经理邓总谈了两个小时，意向很强，要10套系统，总价约300万，月底前出合同', '邓总', '副总经理', (10, '套'), '3000000', 'CNY', '2026-12-31', None),
    ('今天下午见了客户的CTO，聊技术方案，下周三再约', None, 'CTO', None, None, None, '2026-12-16', None),
    ('客户说竞争对手报价便宜8%，希望我们也降价8%，下周一之前答复', None, None, None, None, None, '2026-12-14', '8'),
    ("Spoke with Mr. Tanaka about 20 units; price ¥15,000 each; he'll confirm tomorrow", 'Mr. Tanaka', None, (20, 'units'), '15000', 'CNY', '2026-12-11', None),
    ('见了范主任和两位工程师，他们要5台检测仪，报价8.8万一台', '范主任', None, (5, '台'), '88000', 'CNY', None, None),
    ('电话回访了老客户石经理，设备运行正常，明年再采购', '石经理', None, None, None, None, None, None),
    ('Sarah (office manager) wants 30 chairs and 15 desks, budget $9,000, call her back next Wednesday', 'Sarah', 'office manager', (30, 'chairs'), '9000', 'USD', None, None),
    ('客户联系人：刘建国，电话 13612345678，要300套，单价200元，12月20号之前发货', '刘建国', None, (300, '套'), '200', 'CNY', '2026-12-20', None),
    ('拜访了市场部经理袁芳，她们需要宣传册5000本，预算3万，三天后给样稿', '袁芳', '市场部经理', (5000, '本'), '30000', 'CNY', '2026-12-13', None),
    ('Met the owner, Mr. Lopez; needs 8 forklifts; budget 1.2 million dollars; next meeting Friday 10:30', 'Mr. Lopez', 'owner', (8, 'forklifts'), '1200000', 'USD', '2026-12-11T10:30', None),
    ('同事小赵陪我去见了卢总，卢总要60台，报价每台4500，周五上午再跟进', '卢总', None, (60, '台'), '4500', 'CNY', '2026-12-11', None),
    ('客户还在比价，下个月初再联系', None, None, None, None, None, '2027-01-01', None),
    ('Demo went well with Chris Evans (VP Operations); they asked for 12% off on 40 units; follow up in 5 days', 'Chris Evans', 'VP Operations', (40, 'units'), None, None, '2026-12-15', '12'),
    ('和客户财务总监白总确认了付款，首付30%，余款验收后付清', '白总', '财务总监', None, None, None, None, None),
    ('见了孔总，要5000个包装盒，每个1.5元，下周四下午4点再谈', '孔总', None, (5000, '个'), '1.5', 'CNY', '2026-12-17T16:00', None),
    ('Contacted Jennifer Wu, head of purchasing, by email. She needs a quote for 75 monitors by Dec 18.', 'Jennifer Wu', 'head of purchasing', (75, 'monitors'), None, None, '2026-12-18', None),
    ('拜访宁波客户，见了采购部的姚经理，要12吨原料，单价每吨6800元，下下周一回访', '姚经理', None, (12, '吨'), '6800', 'CNY', '2026-12-21', None),
    ('客户反馈价格偏高，希望打八八折', None, None, None, None, None, None, '12'),
    ("Quick call with Daniel: they'll take 2 servers at $7,500 each; invoice next week", 'Daniel', None, (2, 'servers'), '7500', 'USD', '2026-12-14', None),
    ('今天见了孟总，他说年底前要把50台设备全部换掉，预算200万，明天上午10点再过去', '孟总', None, (50, '台'), '2000000', 'CNY', '2026-12-11T10:00', None),
    ('电话联系黎经理未果，下午4点再打', '黎经理', None, None, None, None, '2026-12-10T16:00', None),
    ('和对方总经理沟通后，对方同意签约，合同额128万，首付50%', None, '总经理', None, '1280000', 'CNY', None, None),
    ('Visited the plant; met Peter Zhang, the plant manager; 6 machines, total ¥1.8M, follow up early January', 'Peter Zhang', 'plant manager', (6, 'machines'), '1800000', 'CNY', '2027-01-01', None),
    ('拜访了吕总，聊了续约的事，降价3%可以接受，下周五前给正式报价', '吕总', None, None, None, None, '2026-12-18', '3'),
    ('胡工说设备有异响，需要换2个轴承，明天派人过去', '胡工', None, (2, '个'), None, None, '2026-12-11', None),
    ('Talked to Grace Kim, CFO. Budget approved: $2.5M for 500 seats. Next call Tuesday 4pm.', 'Grace Kim', 'CFO', (500, 'seats'), '2500000', 'USD', '2026-12-15T16:00', None),
    ('客户孙先生要两台样机，下周二送过去', '孙先生', None, (2, '台'), None, None, '2026-12-15', None),
    ('见了采购总监钟总，对方要求1万2一台，要80台，打九五折就签，周五答复', '钟总', '采购总监', (80, '台'), '12000', 'CNY', '2026-12-11', '5'),
    ('Lunch with Mike from ACME; they might order 100 units next quarter; no budget yet', 'Mike', None, (100, 'units'), None, None, None, None),
    ('客户严总要100套，我们给了7折，他还嫌贵，下周再说', '严总', None, (100, '套'), None, None, '2026-12-14', '30'),
    ('Met Olivia Brown, Procurement Lead; they need 250 kits at €18 each; follow up next Friday', 'Olivia Brown', 'Procurement Lead', (250, 'kits'), '18', 'EUR', None, None),
    ('约了殷总下周一上午九点在他办公室见面，带上20份合同样本', '殷总', None, (20, '份'), None, None, '2026-12-14T09:00', None),
    ('客户说要等领导批，预计2周后有结果，那时再跟进', None, None, None, None, None, '2026-12-24', None),
    ('拜访了覃主任，对方有意向采购300把椅子，预算15万，12月20日前回复', '覃主任', None, (300, '把'), '150000', 'CNY', '2026-12-20', None),
    ('Email from Mr. Wu: wants 10% discount on the $48,000 quote, reply by Monday', 'Mr. Wu', None, None, '48000', 'USD', '2026-12-14', '10'),
]

# And on Monday 2027-01-18 10:15: a second set written before the reader was run on them.
MONDAY_NOTES = [
    ('上午去了设备部，见到部长欧阳明，他们打算采购6台数控车床，预算240万，下周三下午再去拜访', '欧阳明', '部长', (6, '台'), '2400000', 'CNY', '2027-01-27', None),
    ('Phone call with Mrs. Alvarez; she wants 40 cartons of paper at $25 per carton; call back Thursday', 'Mrs. Alvarez', None, (40, 'cartons'), '25', 'USD', '2027-01-21', None),
    ('客户信息中心主任邱女士说下月初招标，预计采购服务器20台，预算80万元', '邱女士', '信息中心主任', (20, '台'), '800000', 'CNY', '2027-02-01', None),
    ('见了HR经理Amy，她们要给120名员工买电脑，每台5000元，周五前给报价', 'Amy', 'HR经理', None, '5000', 'CNY', '2027-01-22', None),
    ('拜访佟总，谈了二期项目，报价人民币350万，对方希望打95折，一周后回访', '佟总', None, None, '3500000', 'CNY', '2027-01-25', '5'),
    ('Met Raj Kumar, Head of Supply Chain, at the expo. They need 2,000 kg of resin monthly; price 3.5 USD per kg. Follow up Feb 10.', 'Raj Kumar', 'Head of Supply Chain', (2000, 'kg'), '3.5', 'USD', '2027-02-10', None),
    ('和司马经理通了电话，对方要100卷电缆，单价每卷680元，明天下午三点半再确认', '司马经理', None, (100, '卷'), '680', 'CNY', '2027-01-19T15:30', None),
    ('客户说今年预算还没下来，3月初再跟进', None, None, None, None, None, '2027-03-01', None),
    ('见了覃总，聊了很久，暂时没有明确需求', '覃总', None, None, None, None, None, None),
    ('Visited site with Mr. Okafor (plant manager): 3 systems, total €420,000, decision expected end of February', 'Mr. Okafor', 'plant manager', (3, 'systems'), '420000', 'EUR', '2027-02-28', None),
    ('采购部卢经理来电催货，之前订的500箱下周二到，顺便问了新品价格', '卢经理', None, (500, '箱'), None, None, '2027-01-26', None),
    ('和客户财务对了账，还欠款15万，月底前付清', None, None, None, '150000', 'CNY', '2027-01-31', None),
    ('Quick note: Jason (buyer at Contoso) asked for 5% off on 300 units; quoted $18,600; reply by Wednesday next week', 'Jason', 'buyer', (300, 'units'), '18600', 'USD', '2027-01-27', '5'),
    ('拜访了罗总和他的助理小吴，罗总同意先试用2套，试用期一个月，下个月初再来', '罗总', None, (2, '套'), None, None, '2027-02-01', None),
    ('总工程师黎工对方案有疑问，需要我们的技术支持张工下周去现场讲解', '黎工', '总工程师', None, None, None, '2027-01-25', None),
    ('晚上和曾总吃饭，他透露竞争对手报价比我们低10%，让我们考虑降价8个点，后天给答复', '曾总', None, None, None, None, '2027-01-20', '8'),
    ('Spoke with the CFO about payment terms: 30% upfront, balance in 60 days. Next call next Monday.', None, 'CFO', None, None, None, None, None),
    ('客户董事长亲自来看了样品，很满意，准备订3000平米地板，单价每平米260元', None, '董事长', (3000, '平米'), '260', 'CNY', None, None),
    ('给石总发了合同草稿，合同金额98.6万，约定首付30%，1月25日前签回', '石总', None, None, '986000', 'CNY', '2027-01-25', None),
    ('拜访了施工单位的项目经理郝建，他们工地需要50吨钢筋，下周一报价', '郝建', '项目经理', (50, '吨'), None, None, '2027-01-25', None),
    ('电话回访张女士，她说上次买的20台空调有3台有问题，明天派人去修', '张女士', None, (20, '台'), None, None, '2027-01-19', None),
    ('Email from Ms. Novak (Procurement Director): she needs 10 pallets by Feb 15, budget EUR 12,000', 'Ms. Novak', 'Procurement Director', (10, 'pallets'), '12000', 'EUR', '2027-02-15', None),
    ('今天见了客户韦经理，型号B200的报价是每台1.28万，要15台，下周四前确认', '韦经理', None, (15, '台'), '12800', 'CNY', '2027-01-28', None),
    ('约了刘总周三上午10点视频会议，讨论二期合同，合同额约600万', '刘总', None, None, '6000000', 'CNY', '2027-01-20T10:00', None),
    ('客户要求3天内交付100套，价格按去年的九折', None, None, (100, '套'), None, None, None, '10'),
    ('Met Mr. Li and Ms. Zhang from purchasing; 8 servers, HK$960,000, follow up in 2 weeks', 'Mr. Li', None, (8, 'servers'), '960000', 'HKD', '2027-02-01', None),
    ('和对方的采购员小陈沟通了交期，要600件，每件45元，明天上午给回复', '小陈', '采购员', (600, '件'), '45', 'CNY', '2027-01-19', None),
    ('拜访章总未遇，留了名片，下周再约', '章总', None, None, None, None, '2027-01-25', None),
    ('The COO, Mark Spencer, wants a pilot: 2 robots at $35k each; follow up end of month', 'Mark Spencer', 'COO', (2, 'robots'), '35000', 'USD', '2027-01-31', None),
    ('客户康总说预算砍了一半，只剩50万，项目推到下半年', '康总', None, None, '500000', 'CNY', None, None),
    ('见了技术部的肖工和采购部的傅经理，肖工要20套测试工装，傅经理说单价不能超过3000元', '肖工', None, (20, '套'), '3000', 'CNY', None, None),
    ('下午拜访了金总，金总说下月底前定供应商，要80樘门窗，预算60万', '金总', None, (80, '樘'), '600000', 'CNY', '2027-02-28', None),
    ('Talked to Dr. Hoffmann, Chief Medical Officer: 25 monitors, €3,200 each, decision by Friday', 'Dr. Hoffmann', 'Chief Medical Officer', (25, 'monitors'), '3200', 'EUR', '2027-01-22', None),
    ('客户说明天上午9点电话会议，要准备200台的报价', None, None, (200, '台'), None, None, '2027-01-19T09:00', None),
    ('和段经理确认订单：1200个，单价7.5元，总价9000元，下周五发货', '段经理', None, (1200, '个'), '7.5', 'CNY', '2027-01-29', None),
    ('Met Ahmed at the trade show, interested in 50 units, asked for a quote; follow up next week', 'Ahmed', None, (50, 'units'), None, None, '2027-01-25', None),
    ('拜访蓝总，对方要100桶润滑油，报价每桶850元，优惠2个点，下下周一再联系', '蓝总', None, (100, '桶'), '850', 'CNY', '2027-02-01', '2'),
    ('客户采购总监（姓马）说要再比较两家供应商，月底前答复', None, '采购总监', None, None, None, '2027-01-31', None),
    ('见了孟经理，电话 0755-86001234，需要20台打印机，每台2999元', '孟经理', None, (20, '台'), '2999', 'CNY', None, None),
    ('Sent quote Q-2027-014 to Laura Smith: 18 seats × $49/month; follow up Friday at 11', 'Laura Smith', None, (18, 'seats'), '49', 'USD', '2027-01-22T11:00', None),
]

# Traps on Tuesday: weekdays, places and companies that look like names, model numbers, phones, percentages.
TRAPS = [
    ('客户周五再来看样机，要X200型号10台', None, None, (10, '台'), None, None, '2026-11-27', None),
    ('对方苏州的工厂需要30套模具，报价每套1.5万，月底前答复', None, None, (30, '套'), '15000', 'CNY', '2026-11-30', None),
    ('Samsung wants 10 units of model A100 at $899 each', None, None, (10, 'units'), '899', 'USD', None, None),
    ('Meeting with Acme Corp procurement; 40 units; follow up Thursday', None, None, (40, 'units'), None, None, '2026-11-26', None),
    ('客户说增长20%，毛利率要保持在15%以上，下周一再谈价格', None, None, None, None, None, '2026-11-30', None),
    ('电话 138-0013-8000 联系王总，他要5台，型号HX-3000，2026-12-03前到货', '王总', None, (5, '台'), None, None, '2026-12-03', None),
    ('昨天见了梁总，今天又通了电话，他们要100套，后天上午9点签约', '梁总', None, (100, '套'), None, None, '2026-11-26T09:00', None),
    ('Budget approved: ¥500,000. Ship 50 units by Dec 20. Follow up Monday.', None, None, (50, 'units'), '500000', 'CNY', '2026-11-30', None),
    ('客户余下的货款30万下个月底前付清', None, None, None, '300000', 'CNY', '2026-12-31', None),
    ("Great call with Nina; she'll sign for 300 seats at $12/seat next Friday", 'Nina', None, (300, 'seats'), '12', 'USD', None, None),
    ('拜访了柯总，iPhone 15的配件要2000个，单价每个18块，3天后回电', '柯总', None, (2000, '个'), '18', 'CNY', '2026-11-27', None),
    ('和总监谈了，下周三给方案', None, '总监', None, None, None, '2026-12-02', None),
    ('见了张三，他说要3台，价格5万一台，下周二再联系', '张三', None, (3, '台'), '50000', 'CNY', '2026-12-01', None),
    ('客户打算年底前采购，目前在走审批，预计12月15号有结果', None, None, None, None, None, '2026-12-15', None),
    ('Price came down 10% to $45,000 for 20 licenses; call back in 2 days', None, None, (20, 'licenses'), '45000', 'USD', '2026-11-26', '10'),
    ('王工说1号楼的设备需要更换，共8台，预算不超过16万', '王工', None, (8, '台'), '160000', 'CNY', None, None),
    ('客户很满意，准备复购，时间待定', None, None, None, None, None, None, None),
    ('The buyer, Anna Berg, asked for 8% off; quantity 1,200 pcs; follow up tomorrow 4pm', 'Anna Berg', 'buyer', (1200, 'pcs'), None, None, '2026-11-25T16:00', '8'),
    ('和对方采购沟通，要2批货，每批500件，第一批12月10日交', None, None, (500, '件'), None, None, '2026-12-10', None),
    ('陶总的秘书来电，陶总下周四下午有空，可以去汇报', '陶总', None, None, None, None, '2026-12-03', None),
]


def _expected(row: tuple[Any, ...]) -> dict[str, Any]:
    expect = dict(zip(FIELDS, row[1:], strict=True))
    expect["quantity"] = None if expect["quantity"] is None else list(expect["quantity"])
    return expect


@pytest.mark.parametrize("row", TUESDAY_NOTES, ids=lambda r: r[0][:24])
def test_a_note_on_tuesday(row: tuple[Any, ...]) -> None:
    assert fields(read_note(row[0], TUESDAY)) == _expected(row)


@pytest.mark.parametrize("row", TRAPS, ids=lambda r: r[0][:24])
def test_a_note_with_traps(row: tuple[Any, ...]) -> None:
    assert fields(read_note(row[0], TUESDAY)) == _expected(row)


@pytest.mark.parametrize("row", THURSDAY_NOTES, ids=lambda r: r[0][:24])
def test_a_note_on_thursday(row: tuple[Any, ...]) -> None:
    assert fields(read_note(row[0], THURSDAY)) == _expected(row)


@pytest.mark.parametrize("row", MONDAY_NOTES, ids=lambda r: r[0][:24])
def test_a_note_on_monday(row: tuple[Any, ...]) -> None:
    assert fields(read_note(row[0], MONDAY)) == _expected(row)


def test_our_own_people_are_not_the_customers() -> None:
    # Decided: 我们的/我司/我方/同事/our/my before a name marks one of ours; the customer's is the next one named.
    assert read_note("我们的王工去了现场，客户赵总很满意", TUESDAY).person == "赵总"
    assert read_note("我司李经理陪同拜访了陈总", TUESDAY).person == "陈总"
    assert read_note("同事小王说客户要20台", TUESDAY).person is None
    assert read_note("our engineer Tom met their buyer Lisa Ray", TUESDAY).person == "Lisa Ray"
    assert read_note("My colleague Anna called; no news", TUESDAY).person is None
    assert read_note("我们的客户经理张三陪同见了李总", TUESDAY).person == "李总"
    assert read_note("带着我们销售总监去见了周总", TUESDAY).person == "周总"


def test_nothing_is_guessed() -> None:
    assert read_note("客户比较认可，暂时没有下一步", TUESDAY) == NoteReading()
    assert read_note("", TUESDAY) == NoteReading()
    assert read_note("great meeting, they loved the demo", TUESDAY) == NoteReading()


def test_the_title_belongs_to_the_person_or_stands_alone() -> None:
    assert read_note("王经理说他们总经理下周来", TUESDAY).title is None  # someone else's title
    assert read_note("met the plant manager", TUESDAY).title == "plant manager"
    got = read_note("和戴经理、采购员小周开会", TUESDAY)
    assert (got.person, got.title) == ("戴经理", None)


def test_an_unmarked_amount_is_in_the_teams_currency() -> None:
    assert read_note("预算30万", TUESDAY).currency == "CNY"
    assert read_note("预算30万", TUESDAY, currency="USD").currency == "USD"
    assert read_note("budget 300k EUR", TUESDAY, currency="USD").currency == "EUR"
    assert read_note("要50台", TUESDAY).currency is None  # no amount, no currency


def test_the_follow_up_among_several_times() -> None:
    # tied to a follow-up word
    assert read_note("昨天见了客户，明天发资料，下周三再跟进", TUESDAY).when == date(2026, 12, 2)
    # none tied: the last one named
    assert read_note("明天发资料，周五开会", TUESDAY).when == date(2026, 11, 27)
    # a follow-up word with no time of its own does not hide the time named before it
    assert read_note("下周二上午9点开会，会后再联系", TUESDAY).when == datetime(2026, 12, 1, 9, 0, tzinfo=SHANGHAI)
    # a delivery deadline of the customer's is not our follow-up
    assert read_note("客户要求3天内交付", TUESDAY).when is None
    assert read_note("客户要求3天内交付，周五再联系", TUESDAY).when == date(2026, 11, 27)


def test_next_friday_is_asked_back() -> None:
    got = read_note("Sent the quote, follow up next Friday", TUESDAY)
    assert got.when is None and got.ambiguous


def test_the_quantity_is_where_the_note_says_it() -> None:
    text = "见了张总，要50台报价"
    got = read_note(text, TUESDAY).quantity
    assert got is not None and text[got.start : got.end] == "50台"
    assert read_note("要50台", TUESDAY).amount is None
    assert read_note("订了12,000件", TUESDAY).quantity is not None
    assert read_note("amount 75 monitors", TUESDAY).amount is None


def test_amounts_keep_their_decimals() -> None:
    assert read_note("单价1.5元", TUESDAY).amount == Decimal("1.5")
