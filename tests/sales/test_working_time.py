"""Working time in a team's calendar: the working days between two dates (counted from a per-year table) and the
working hours between two instants (what a ticket waiting on its customer moves its target by)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from sales.reminders.calendar import Calendar

SHANGHAI = Calendar(tz=ZoneInfo("Asia/Shanghai"), country="CN", holidays=frozenset({date(2026, 3, 3)}),
                    extra_workdays=frozenset({date(2026, 3, 7)}))
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=300, deadline=None)
@given(days, st.integers(min_value=-10, max_value=800))
def test_working_days_are_the_working_days_counted_one_by_one(start: date, span: int) -> None:
    end = start + timedelta(days=span)
    one_by_one = sum(1 for i in range(span + 1) if SHANGHAI.is_working_day(start + timedelta(days=i)))
    assert SHANGHAI.working_days(start, end) == one_by_one


def test_working_hours_between_leave_out_nights_weekends_and_holidays() -> None:
    friday_5pm = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # 17:00 in Shanghai
    monday_10am = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    assert SHANGHAI.working_hours_between(friday_5pm, monday_10am) == 2.0  # Fri 17–18, Mon 9–10
    assert SHANGHAI.working_hours_between(monday_10am, friday_5pm) == 0.0
    national_day = datetime(2026, 10, 2, 2, 0, tzinfo=UTC)  # a public holiday: nothing counts
    assert SHANGHAI.working_hours_between(national_day, national_day + timedelta(hours=5)) == 0.0


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)),
       st.floats(min_value=0.5, max_value=60.0))
def test_adding_the_working_hours_between_two_instants_gets_from_one_to_the_other(start: datetime,
                                                                                   hours: float) -> None:
    end = SHANGHAI.add_working_hours(start, hours)
    assert abs(SHANGHAI.working_hours_between(start, end) - hours) < 1e-6
