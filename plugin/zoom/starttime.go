package zoom

import (
	"errors"
	"fmt"
	"strings"
	"time"

	// Time zones resolve in any host, with or without a system zoneinfo
	// database (e.g. a scratch container).
	_ "time/tzdata"
)

// Zoom's two start_time forms: UTC with a Z, or wall-clock time read in the
// request's timezone (or the account's zone when there is none).
const (
	zoomUTCLayout  = "2006-01-02T15:04:05Z"
	zoomWallLayout = "2006-01-02T15:04:05"
)

// Layouts of instants: values that carry an offset or Z.
var instantLayouts = [...]string{
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z0700",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04Z07:00",
}

// Layouts of wall-clock times: no offset.
var wallLayouts = [...]string{
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// errStartTime is the cause of every start-time parse failure.
var errStartTime = errors.New("not a date-time")

// startTime is a parsed startTime parameter.
type startTime struct {
	t time.Time
	// instant is true when the value carried an offset or Z: t is then a
	// point in time; otherwise t holds wall-clock fields in UTC.
	instant bool
}

// parseStartTime reads the date-time forms n8n produces: ISO 8601 with an
// offset or Z (Luxon, toISOString(), Google Calendar), or without (the date
// picker's yyyy-MM-ddTHH:mm:ss), with or without seconds and fractions, with
// T or a space.
func parseStartTime(s string) (startTime, error) {
	s = strings.TrimSpace(s)
	if len(s) < len("2006-01-02") || len(s) > 64 {
		return startTime{}, errStartTime
	}
	for _, l := range instantLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return startTime{t: t, instant: true}, nil
		}
	}
	for _, l := range wallLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return startTime{t: t}, nil
		}
	}
	return startTime{}, errStartTime
}

// zoomStartTime converts a startTime parameter to Zoom's start_time.
//
//   - With a time zone, an instant is converted to that zone's wall clock
//     (yyyy-MM-ddTHH:mm:ss) and a wall-clock value passes unchanged: Zoom
//     reads it in the request's timezone.
//   - Without one, an instant becomes UTC with a Z, and a wall-clock value
//     is sent without Z: Zoom reads it in the account's time zone.
//
// Fractions of a second are dropped: Zoom has none.
func zoomStartTime(s string, loc *time.Location) (string, error) {
	st, err := parseStartTime(s)
	if err != nil {
		return "", err
	}
	t := st.t.Truncate(time.Second)
	var out time.Time
	layout := zoomWallLayout
	switch {
	case st.instant && loc != nil:
		out = t.In(loc)
	case st.instant:
		out, layout = t.UTC(), zoomUTCLayout
	default:
		out = t
	}
	if y := out.Year(); y < 1 || y > 9999 {
		return "", fmt.Errorf("%w: year %d is out of range", errStartTime, y)
	}
	return out.Format(layout), nil
}
