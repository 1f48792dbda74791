package zoomsandbox

import (
	"strconv"
	"strings"
	"time"
)

// occurrence is one occurrence of a recurring (type 8) meeting.
type occurrence struct {
	ID       string // start in Unix milliseconds
	Start    time.Time
	Duration int
	Status   string // "available" or "deleted"
	// Per-occurrence overrides set by PATCH ?occurrence_id=.
	Agenda   *string
	Settings map[string]any
}

// occurrenceTimes expands a recurrence rule from start (the first wanted
// wall-clock time, in loc) into at most limit start times.
func occurrenceTimes(start time.Time, loc *time.Location, r *recurrence, limit int) []time.Time {
	if r == nil || limit <= 0 {
		return nil
	}
	local := start.In(loc)
	y, mo, d := local.Date()
	h, mi, se := local.Clock()
	at := func(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, h, mi, se, 0, loc) }
	firstDay := time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)

	want := r.EndTimes
	if want <= 0 || want > limit {
		want = limit
	}
	var until time.Time
	if r.EndDateTime != "" {
		until, _ = time.Parse(utcLayout, r.EndDateTime)
		want = limit
	}
	step := max(r.RepeatInterval, 1)
	var out []time.Time
	add := func(t time.Time) bool { // reports whether to go on
		if !until.IsZero() && t.After(until) {
			return false
		}
		out = append(out, t.UTC())
		return len(out) < want
	}
	const maxSteps = 5000 // loop guard for rules that never produce a match
	switch r.Type {
	case 1: // daily
		for i := 0; i < maxSteps; i++ {
			if !add(at(y, mo, d+i*step)) {
				break
			}
		}
	case 2: // weekly; 1 = Sunday
		days := weekdaySet(r.WeeklyDays)
		weekStart := d - int(local.Weekday())
	weeks:
		for w := 0; w < maxSteps; w++ {
			for _, wd := range days {
				t := at(y, mo, weekStart+w*7*step+wd)
				if dayOf(t).Before(firstDay) {
					continue
				}
				if !add(t) {
					break weeks
				}
			}
		}
	case 3: // monthly
		for k := 0; k < maxSteps; k++ {
			monthStart := time.Date(y, mo+time.Month(k*step), 1, 0, 0, 0, 0, time.UTC)
			var day int
			if r.MonthlyWeek != 0 {
				day = nthWeekday(monthStart, r.MonthlyWeek, time.Weekday(r.MonthlyWeekDay-1))
			} else {
				day = min(r.MonthlyDay, daysIn(monthStart))
			}
			t := at(monthStart.Year(), monthStart.Month(), day)
			if dayOf(t).Before(firstDay) {
				continue
			}
			if !add(t) {
				break
			}
		}
	}
	return out
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// weekdaySet turns "1,3" into Sunday-based offsets 0, 2.
func weekdaySet(s string) []int {
	var out []int
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n >= 1 && n <= 7 {
			out = append(out, n-1)
		}
	}
	return out
}

func daysIn(monthStart time.Time) int {
	return monthStart.AddDate(0, 1, -1).Day()
}

// nthWeekday returns the day of the month of the nth (or, for -1, last) wd.
func nthWeekday(monthStart time.Time, n int, wd time.Weekday) int {
	first := 1 + (int(wd)-int(monthStart.Weekday())+7)%7
	if n > 0 {
		day := first + (n-1)*7
		if day > daysIn(monthStart) {
			day -= 7
		}
		return day
	}
	day := first
	for day+7 <= daysIn(monthStart) {
		day += 7
	}
	return day
}

// occurrencesFor builds the occurrence list of a type 8 meeting.
func occurrencesFor(start time.Time, loc *time.Location, r *recurrence, duration, limit int) []*occurrence {
	var out []*occurrence
	for _, t := range occurrenceTimes(start, loc, r, limit) {
		out = append(out, &occurrence{ID: strconv.FormatInt(t.UnixMilli(), 10), Start: t, Duration: duration, Status: "available"})
	}
	return out
}
