"""Every deadline explains itself (issue 12; T-4, FM-1, NTC-1). The tables below were counted
by hand on the 2026 calendar (chinesecalendar 1.11): Mid-Autumn Fri 25 – Sun 27 Sep off,
Sun 20 Sep an adjusted working day; National Day Thu 1 – Wed 7 Oct off, Sat 10 Oct an adjusted
working day; Sat 19 Sep and Sun 11 Oct are ordinary weekends (passed over, not "skipped")."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from models import ForceMajeureEvent
from services import notices
from services.calendar import WorkingCalendar, YearArrangement, deadlines
from services.calendar.deadline_spec import DayCount, DeadlineSpec
from services.calendar.deadlines import Pause
from services.errors import CalendarUnknown

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkingCalendar()
W, C = DayCount.WORKING_DAYS, DayCount.CALENDAR_DAYS
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]
MID_AUTUMN = [date(2026, 9, 25), date(2026, 9, 26), date(2026, 9, 27)]


def at_shanghai(day: date, hour: int = 10) -> datetime:
    """``hour``:00 Asia/Shanghai on ``day``."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def spec(start: datetime, counted: DayCount, days: int, *, against_customer: bool = True) -> DeadlineSpec:
    return DeadlineSpec(
        what="test", rule="T-4", clause=None, start=start, counted=counted, days=days, against_customer=against_customer
    )


# start (Shanghai date, 10:00), counted, days -> due date, skipped, adjusted working days that counted
HAND_COUNTED = [
    (date(2026, 9, 30), W, 2, date(2026, 10, 9), NATIONAL_DAY, []),
    (date(2026, 9, 30), W, 5, date(2026, 10, 13), NATIONAL_DAY, [date(2026, 10, 10)]),
    (date(2026, 9, 29), W, 5, date(2026, 10, 12), NATIONAL_DAY, [date(2026, 10, 10)]),
    (date(2026, 10, 9), W, 2, date(2026, 10, 12), [], [date(2026, 10, 10)]),
    (date(2026, 10, 8), W, 1, date(2026, 10, 9), [], []),
    (date(2026, 9, 24), W, 2, date(2026, 9, 29), MID_AUTUMN, []),
    (date(2026, 9, 18), W, 1, date(2026, 9, 20), [], [date(2026, 9, 20)]),
    # 20 Sep(1) 21(2) 22(3) 23(4) 24(5) [25–27] 28(6) 29(7) 30(8) [1–7 Oct] 8 Oct(9) 9 Oct(10)
    (date(2026, 9, 18), W, 10, date(2026, 10, 9), MID_AUTUMN + NATIONAL_DAY, [date(2026, 9, 20)]),
    (date(2026, 9, 30), C, 14, date(2026, 10, 14), [], []),
    (date(2026, 9, 30), C, 1, date(2026, 10, 1), [], []),
]


def end_of(day: date) -> datetime:
    """23:59:59.999999 Asia/Shanghai of ``day`` is 15:59:59.999999 UTC."""
    return datetime(day.year, day.month, day.day, 15, 59, 59, 999999, tzinfo=UTC)


@pytest.mark.parametrize(("start", "counted", "days", "due", "skipped", "adjusted"), HAND_COUNTED)
def test_t4_deadline_explanations_match_hand_counted_tables_across_national_day_2026(
    start, counted, days, due, skipped, adjusted
):
    explained = deadlines.count(spec(at_shanghai(start), counted, days), CALENDAR)
    assert explained.due == end_of(due)
    assert list(explained.skipped) == skipped
    assert list(explained.adjusted_workdays) == adjusted
    assert explained.paused_by == () and explained.paused_days == ()


def test_t4_counts_from_the_shanghai_date_of_the_event():
    """01:00 Shanghai on 1 Oct is still 30 Sep in UTC: the count starts after 1 Oct."""
    explained = deadlines.count(spec(datetime(2026, 9, 30, 17, 0, tzinfo=UTC), W, 2), CALENDAR)
    assert explained.due == end_of(date(2026, 10, 9))
    assert list(explained.skipped) == NATIONAL_DAY[1:]


def test_t4_explanation_and_the_enforced_bil5_window_are_one_count():
    delivered = at_shanghai(date(2026, 9, 30))
    explained = deadlines.count(notices.dispute_window(delivered), CALENDAR)
    assert (
        explained.due == CALENDAR.deadline_after(delivered, notices.DISPUTE_WORKING_DAYS) == end_of(date(2026, 10, 9))
    )
    assert (explained.spec.rule, explained.spec.clause, explained.spec.days) == ("BIL-5", "4.4.3", 2)


TYPHOON = Pause(label="typhoon: 2026-10-12 to 2026-10-13", first_day=date(2026, 10, 12), last_day=date(2026, 10, 13))


def test_fm1_force_majeure_pauses_a_deadline_against_the_customer():
    """Fri 9 Oct + 2 working days: Sat 10 Oct (adjusted), [Sun 11], Mon 12 paused, Tue 13
    paused, Wed 14 Oct. Without the typhoon it would be Mon 12 Oct."""
    explained = deadlines.count(spec(at_shanghai(date(2026, 10, 9)), W, 2), CALENDAR, [TYPHOON])
    assert explained.due == end_of(date(2026, 10, 14))
    assert explained.paused_by == ("typhoon: 2026-10-12 to 2026-10-13",)
    assert list(explained.paused_days) == [date(2026, 10, 12), date(2026, 10, 13)]
    assert list(explained.adjusted_workdays) == [date(2026, 10, 10)]
    # Calendar days pause too: 9 Oct + 3 days = 10, 11, [12, 13], 14.
    assert deadlines.count(spec(at_shanghai(date(2026, 10, 9)), C, 3), CALENDAR, [TYPHOON]).due == end_of(
        date(2026, 10, 14)
    )


def test_fm1_force_majeure_does_not_pause_deadlines_against_the_vendor_or_outside_the_period():
    against_vendor = spec(at_shanghai(date(2026, 10, 9)), W, 2, against_customer=False)
    assert deadlines.count(against_vendor, CALENDAR, [TYPHOON]).due == end_of(date(2026, 10, 12))
    later = Pause(label="flood", first_day=date(2026, 10, 20), last_day=date(2026, 10, 21))
    explained = deadlines.count(spec(at_shanghai(date(2026, 10, 9)), W, 2), CALENDAR, [later])
    assert explained.due == end_of(date(2026, 10, 12)) and explained.paused_by == ()


def test_fm1_an_ongoing_event_pauses_through_today():
    event = ForceMajeureEvent(
        kind="earthquake",
        started_at=at_shanghai(date(2026, 10, 12), 9),
        ended_at=None,
        description="",
        recorded_by="t",
    )
    pause = deadlines.pause_of(event, now=at_shanghai(date(2026, 10, 15)))
    assert (pause.first_day, pause.last_day) == (date(2026, 10, 12), date(2026, 10, 15))
    assert pause.label == "earthquake: from 2026-10-12 (ongoing)"
    # 9 Oct + 2: Sat 10 Oct, [12–15 paused], Fri 16 Oct.
    assert deadlines.count(spec(at_shanghai(date(2026, 10, 9)), W, 2), CALENDAR, [pause]).due == end_of(
        date(2026, 10, 16)
    )


def test_t3_a_count_into_an_unknown_year_is_refused():
    with pytest.raises(CalendarUnknown):
        deadlines.count(spec(at_shanghai(date(2026, 12, 30)), W, 5), WorkingCalendar())


def test_ntc1_official_holiday_is_not_an_ordinary_weekend():
    assert CALENDAR.is_official_holiday(date(2026, 10, 3))  # Saturday inside National Day
    assert CALENDAR.is_official_holiday(date(2026, 9, 27))  # Sunday inside Mid-Autumn
    assert not CALENDAR.is_official_holiday(date(2026, 9, 19))  # an ordinary Saturday
    assert not CALENDAR.is_official_holiday(date(2026, 10, 10))  # the adjusted working Saturday
    loaded = WorkingCalendar({2027: YearArrangement(frozenset({date(2027, 1, 1)}), frozenset())})
    assert loaded.is_official_holiday(date(2027, 1, 1)) and not loaded.is_official_holiday(date(2027, 1, 2))


# posted (Shanghai date, 10:00) -> deemed delivered (00:00 Shanghai of that date)
MAIL_HAND_COUNTED = [
    (date(2026, 9, 28), date(2026, 10, 8)),  # 3rd day Thu 1 Oct is National Day: first working day after
    (date(2026, 9, 30), date(2026, 10, 8)),  # 3rd day Sat 3 Oct, inside the break
    (date(2026, 10, 4), date(2026, 10, 8)),  # 3rd day Wed 7 Oct, the break's last day
    (date(2026, 9, 24), date(2026, 9, 28)),  # 3rd day Sun 27 Sep, inside Mid-Autumn
    (date(2026, 9, 16), date(2026, 9, 19)),  # 3rd day an ordinary Saturday: stays
    (date(2026, 10, 7), date(2026, 10, 10)),  # 3rd day the adjusted working Saturday
    (date(2026, 10, 8), date(2026, 10, 11)),  # 3rd day an ordinary Sunday: stays
]


@pytest.mark.parametrize(("posted", "deemed"), MAIL_HAND_COUNTED)
def test_ntc1_mail_is_deemed_delivered_on_the_third_day_moved_past_holiday_periods(posted, deemed):
    delivered = notices.mail_delivery(at_shanghai(posted), CALENDAR)
    assert delivered == datetime(deemed.year, deemed.month, deemed.day, tzinfo=SHANGHAI)
    assert delivered.tzinfo == UTC
