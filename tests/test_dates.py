"""The temporal tagger (tasks.dates): relative and partial dates against the publication date, periods,
tense, and the after-the-reference mark events use for planned happenings."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tasks.dates import DateMention, find_dates, holiday_date, interval, is_after, tense

SAT = date(2023, 3, 4)  # a Saturday: the publication date of the example


def _one(text: str, ref: date = SAT, **kw) -> tuple[str, str, str]:
    found = find_dates(text, ref, **kw)
    assert len(found) == 1, found
    d = found[0]
    return d.text, d.value, d.precision


@pytest.mark.parametrize(
    ("text", "ref", "expected"),
    [
        # bare weekdays: the latest such day, the reference day itself included
        ("The minister resigned on Wednesday.", SAT, ("Wednesday", "2023-03-01", "day")),
        ("Officials said Saturday that the talks had failed.", SAT, ("Saturday", "2023-03-04", "day")),
        ("The blast occurred early Friday, witnesses said.", SAT, ("early Friday", "2023-03-03", "day")),
        ("Rescuers arrived Thursday night.", SAT, ("Thursday night", "2023-03-02", "day")),
        # a planned weekday goes forward
        ("The two leaders will meet on Wednesday in Geneva.", SAT, ("Wednesday", "2023-03-08", "day")),
        ("Protesters planned a march on Monday.", SAT, ("Monday", "2023-03-06", "day")),
        ("The deadline runs until Tuesday.", SAT, ("Tuesday", "2023-03-07", "day")),
        ("last Tuesday the agency said", SAT, ("last Tuesday", "2023-02-28", "day")),
        ("next Friday", SAT, ("next Friday", "2023-03-10", "day")),
        # relative days, months, years
        ("Yesterday the court ruled.", SAT, ("Yesterday", "2023-03-03", "day")),
        ("the day before yesterday", SAT, ("the day before yesterday", "2023-03-02", "day")),
        ("Prices rose last month.", SAT, ("last month", "2023-02", "month")),
        ("Earlier this month the bank cut rates.", SAT, ("Earlier this month", "2023-03", "month")),
        ("Last year sales fell.", SAT, ("Last year", "2022", "year")),
        ("The plant opens next year.", SAT, ("next year", "2024", "year")),
        ("Sales were up from a year ago.", SAT, ("a year ago", "2022", "year")),
        ("The factory closed two weeks ago.", SAT, ("two weeks ago", "2023-02-18", "day")),
        ("Six months ago the firm was private.", SAT, ("Six months ago", "2022-09", "month")),
        ("In June last year the plan was dropped.", SAT, ("June last year", "2022-06", "month")),
        ("Sales for the full year rose 5%.", SAT, ("the full year", "2023", "year")),
        ("the year-earlier figure", SAT, ("year-earlier", "2022", "year")),
        # dates without a year: the tense and the distance decide
        ("The boy must be returned to his father by Jan. 14.", date(2000, 1, 6), ("Jan. 14", "2000-01-14", "day")),
        ("The ship has been on patrol since March.", date(1990, 8, 13), ("March", "1990-03", "month")),
        ("The case will be heard in May.", SAT, ("May", "2023-05", "month")),
        ("The deal closed in October.", SAT, ("October", "2022-10", "month")),
        # spelled-out years, holidays
        ("It happened in nineteen ninety-six.", SAT, ("nineteen ninety-six", "1996", "year")),
        ("a promise kept by the year two thousand", date(1998, 2, 5), ("the year two thousand", "2000", "year")),
        ("He was found on Thanksgiving Day at sea.", date(2000, 1, 7), ("Thanksgiving Day", "1999-11-25", "day")),
        ("until Election Day", date(1998, 10, 26), ("Election Day", "1998-11-03", "day")),
        ("Shops close on Christmas Eve.", date(2022, 12, 1), ("Christmas Eve", "2022-12-24", "day")),
    ],
)
def test_relative_and_partial_dates(text, ref, expected):
    assert _one(text, ref) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Theresa May said the vote would go ahead.",  # a name, not the month
        "Voters may decide in the spring.",  # a verb; a season is a period (periods=True only)
        "Today's youth read less.",  # the present in general
        "Crew members by the 2030s.",  # a decade is a period
        "The index closed at 2082.1 points.",  # a number, not a year
    ],
)
def test_not_calendar_dates(text):
    assert find_dates(text, SAT) == []


def test_possessive_relative_days_are_dates():
    assert _one("Shareholders responded coolly to yesterday's announcement.") == ("yesterday", "2023-03-03", "day")


def test_past_tense_weekday_is_never_after_the_reference():
    for ref in (SAT + timedelta(days=k) for k in range(7)):
        for wd in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"):
            for text in (f"The ministers met on {wd}.", f"Police said {wd} that two men were arrested.", f"{wd} the court ruled"):
                [d] = find_dates(text, ref)
                assert d.date <= ref and (ref - d.date).days < 7, (text, ref, d)
                assert not d.after_reference


def test_after_reference_marks_planned_dates():
    launch, met = find_dates("The probe will launch in April. The ministers met in February.", SAT)
    assert (launch.value, launch.after_reference) == ("2023-04", True)
    assert (met.value, met.after_reference) == ("2023-02", False)
    [this_month] = find_dates("later this month", SAT)
    assert not this_month.after_reference  # March 2023 contains the reference day
    assert is_after(launch, SAT) and not is_after(this_month, SAT)
    assert "future_tense" in launch.flags


@pytest.mark.parametrize(
    ("text", "value", "kind", "first", "last"),
    [
        ("He lived there in the 1990s.", "199", "decade", date(1990, 1, 1), date(1999, 12, 31)),
        ("a hit of the nineties", "199", "decade", date(1990, 1, 1), date(1999, 12, 31)),
        ("Shares fell last summer.", "2022-SU", "season", date(2022, 6, 1), date(2022, 8, 31)),
        ("The roof leaked this winter.", "2022-WI", "season", date(2022, 12, 1), date(2023, 2, 28)),
        ("Results for the third quarter are due.", "2023-Q3", "quarter", date(2023, 7, 1), date(2023, 9, 30)),
        ("Profit fell in the last quarter.", "2022-Q4", "quarter", date(2022, 10, 1), date(2022, 12, 31)),
        ("Revenue grew in Q2 2021.", "2021-Q2", "quarter", date(2021, 4, 1), date(2021, 6, 30)),
        ("a fall in the first half of 2022", "2022-H1", "half", date(2022, 1, 1), date(2022, 6, 30)),
        ("Prices rose over the past week.", "2023-W08", "week", date(2023, 2, 20), date(2023, 2, 26)),
        ("in the 20th century", "19", "century", date(1900, 1, 1), date(1999, 12, 31)),
    ],
)
def test_periods(text, value, kind, first, last):
    found = [d for d in find_dates(text, SAT, periods=True) if d.is_period]
    assert len(found) == 1, found
    d = found[0]
    assert (d.value, d.precision, d.date, d.last_day) == (value, kind, first, last)
    assert d.after_reference == (first > SAT)


def test_periods_off_by_default_keep_calendar_dates():
    text = "In the third quarter of 2022, up from last summer, sales rose; on March 1 they fell."
    assert [d.value for d in find_dates(text, SAT)] == ["2022", "2023-03-01"]
    assert [d.value for d in find_dates(text, SAT, periods=True)] == ["2022-Q3", "2022-SU", "2023-03-01"]


def test_that_year_takes_the_year_the_text_named():
    found = find_dates("He moved to Paris in 1998. Later that year he married.", SAT)
    assert [(d.text, d.value) for d in found] == [("1998", "1998"), ("Later that year", "1998")]


def test_tense_cues():
    assert tense("The ministers will meet on Friday", 29, 35) == "future"
    assert tense("The ministers met on Friday", 21, 27) == "past"
    assert tense("The offer runs until Friday", 21, 27) == "soon"
    assert tense("He has lived there since March", 25, 30) == "past"
    assert tense("Friday", 0, 6) is None


def test_holiday_dates_and_intervals():
    assert holiday_date("Thanksgiving", 2023) == date(2023, 11, 23)
    assert holiday_date("Easter", 2024) == date(2024, 3, 31)
    assert holiday_date("Memorial Day", 2023) == date(2023, 5, 29)
    assert holiday_date("Groundhog Day", 2023) is None
    assert interval("2024-02", "month") == (date(2024, 2, 1), date(2024, 2, 29))
    assert DateMention(0, 4, "2023", "2023", "year", 1.0).last_day == date(2023, 12, 31)


def test_out_of_calendar_years_are_dropped_not_raised():
    # "3000 years ago" against a far reference gives year -900: no calendar value, no crash
    found = find_dates("It formed 3000 years ago and 20 years ago.", date(2100, 1, 1))
    assert [(d.text, d.value) for d in found] == [("20 years ago", "2080")]
