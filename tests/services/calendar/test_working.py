"""T-1 to T-4 on the real 2026 arrangement (chinesecalendar) and on loaded years."""

from datetime import UTC, date, datetime

import pytest

from services.calendar import WorkingCalendar, YearArrangement
from services.errors import CalendarUnknown, ErrorCode

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 2, 13), True),  # Friday before the break
        (date(2026, 2, 14), True),  # Saturday, adjusted working day (调休上班)
        (date(2026, 2, 15), False),  # Sunday, first day of the break
        (date(2026, 2, 16), False),  # Monday inside the break
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), False),  # Monday, last day of the break
        (date(2026, 2, 24), True),
        (date(2026, 2, 28), True),  # Saturday, adjusted working day
        (date(2026, 3, 1), False),  # an ordinary Sunday
    ],
)
def test_t2_spring_festival_2026(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 20), True),  # Sunday, adjusted working day
        (date(2026, 9, 25), False),  # Friday, Mid-Autumn Festival
        (date(2026, 9, 30), True),
        (date(2026, 10, 1), False),
        (date(2026, 10, 5), False),  # Monday inside the break
        (date(2026, 10, 7), False),
        (date(2026, 10, 8), True),
        (date(2026, 10, 10), True),  # Saturday, adjusted working day
        (date(2026, 10, 11), False),
    ],
)
def test_t2_national_day_2026(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_t2_working_days_across_national_day() -> None:
    assert CAL.working_days(date(2026, 9, 28), date(2026, 10, 12)) == [
        date(2026, 9, 28),
        date(2026, 9, 29),
        date(2026, 9, 30),
        date(2026, 10, 8),
        date(2026, 10, 9),
        date(2026, 10, 10),
        date(2026, 10, 12),
    ]


def test_t4_nth_working_day_is_strictly_after_and_skips_the_break() -> None:
    assert CAL.nth_working_day_after(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.nth_working_day_after(date(2026, 9, 30), 2) == date(2026, 10, 9)
    # The adjusted Saturday counts.
    assert CAL.nth_working_day_after(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert CAL.nth_working_day_after(date(2026, 10, 9), 5) == date(2026, 10, 15)
    # Spring Festival: from Friday the 13th, the next working day is the adjusted Saturday.
    assert CAL.nth_working_day_after(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert CAL.nth_working_day_after(date(2026, 2, 13), 2) == date(2026, 2, 24)


def test_t4_deadline_is_end_of_day_shanghai() -> None:
    deadline = CAL.deadline_after(datetime(2026, 9, 30, 2, 0, tzinfo=UTC), 2)
    # 2026-10-09 23:59:59.999999 in Shanghai is 15:59:59.999999 UTC.
    assert deadline == datetime(2026, 10, 9, 15, 59, 59, 999999, tzinfo=UTC)


def test_t1_the_day_of_an_instant_is_its_shanghai_date() -> None:
    # 16:30 UTC on Friday 9 Oct is 00:30 on Saturday 10 Oct in Shanghai (an adjusted working
    # day), so one working day after it is Monday 12 Oct, not Saturday 10 Oct.
    moment = datetime(2026, 10, 9, 16, 30, tzinfo=UTC)
    assert CAL.deadline_after(moment, 1) == datetime(2026, 10, 12, 15, 59, 59, 999999, tzinfo=UTC)


def test_t3_a_year_nobody_loaded_is_refused_not_guessed() -> None:
    with pytest.raises(CalendarUnknown) as refused:
        CAL.is_working_day(date(2027, 1, 4))
    assert refused.value.code is ErrorCode.CALENDAR_UNKNOWN
    assert refused.value.year == 2027
    assert "2027" in refused.value.message


def test_t3_a_deadline_running_into_an_unknown_year_is_refused() -> None:
    # Thursday 31 Dec 2026 is the first working day after the 30th; the second needs 2027.
    assert CAL.nth_working_day_after(date(2026, 12, 30), 1) == date(2026, 12, 31)
    with pytest.raises(CalendarUnknown):
        CAL.nth_working_day_after(date(2026, 12, 30), 2)


def test_t2_a_loaded_year_is_used_and_wins_over_the_package() -> None:
    loaded = WorkingCalendar(
        {
            2027: YearArrangement(frozenset({date(2027, 1, 1)}), frozenset({date(2027, 1, 2)})),
            # A staff correction of 2026: 8 Oct becomes a holiday.
            2026: YearArrangement(frozenset({date(2026, 10, 8)}), frozenset()),
        }
    )
    assert loaded.is_working_day(date(2027, 1, 1)) is False
    assert loaded.is_working_day(date(2027, 1, 2)) is True  # adjusted Saturday
    assert loaded.is_working_day(date(2027, 1, 4)) is True
    assert loaded.is_working_day(date(2026, 10, 8)) is False
    assert 2027 in loaded.known_years()
