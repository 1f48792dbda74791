package zoomsandbox

import (
	"net/http"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// meetingSummary is one item of the meeting list.
type meetingSummary struct {
	UUID      string `json:"uuid"`
	ID        int64  `json:"id"`
	HostID    string `json:"host_id"`
	Topic     string `json:"topic"`
	Type      int    `json:"type"`
	StartTime string `json:"start_time,omitempty"`
	Duration  int    `json:"duration"`
	Timezone  string `json:"timezone,omitempty"`
	Agenda    string `json:"agenda,omitempty"`
	CreatedAt string `json:"created_at"`
	JoinURL   string `json:"join_url"`
	PMI       string `json:"pmi,omitempty"`
}

// listResponse is the body of GET /users/{userId}/meetings.
type listResponse struct {
	PageSize      int              `json:"page_size"`
	PageNumber    int              `json:"page_number"`
	PageCount     int              `json:"page_count"`
	TotalRecords  int              `json:"total_records"`
	NextPageToken *string          `json:"next_page_token,omitempty"`
	Meetings      []meetingSummary `json:"meetings"`
}

// pageToken is the state behind a next_page_token.
type pageToken struct {
	userID   string
	listType string
	from, to string
	zone     string
	offset   int
	expires  time.Time
}

// summaryJSON is a meeting as a list item: no settings, start_url or
// passcodes, and the agenda cut to 250 characters.
func (s *Server) summaryJSON(base string, m *meeting, now time.Time) meetingSummary {
	sum := meetingSummary{
		UUID:      m.uuid,
		ID:        m.id,
		HostID:    m.hostID,
		Topic:     m.topic,
		Type:      m.typ,
		Duration:  m.duration,
		Timezone:  m.timezone,
		Agenda:    truncateRunes(m.agenda, 250),
		CreatedAt: zoomTime(m.createdAt),
		JoinURL:   s.joinURL(base, m),
	}
	if m.typ == 2 || m.typ == 8 {
		sum.StartTime = zoomTime(m.displayStart(now))
	}
	if settingBool(m, "use_pmi") {
		sum.PMI = strconv.FormatInt(s.user.PMI, 10)
	}
	return sum
}

// truncateRunes keeps the first n characters of s.
func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// listTypes are the accepted values of the list's type parameter.
var listTypes = []string{"scheduled", "live", "upcoming", "upcoming_meetings", "previous_meetings"}

func (s *Server) handleListMeetings(w http.ResponseWriter, r *http.Request, _ *token) {
	uid := r.PathValue("userId")
	u, ok := s.lookupUser(uid)
	if !ok {
		writeAPIError(w, errUserNotFound(uid))
		return
	}
	q := r.URL.Query()
	now := s.now()
	pageSize := 30
	if raw := q.Get("page_size"); raw != "" {
		n, err := strconv.Atoi(raw)
		switch {
		case err != nil || n < 1:
			writeAPIError(w, errInvalidParam("page_size"))
			return
		case n > 300 && !s.quirks.ClampPageSize:
			writeAPIError(w, errInvalidParam("page_size"))
			return
		}
		pageSize = min(n, 300)
	}
	pt := pageToken{userID: u.ID, listType: "scheduled", from: q.Get("from"), to: q.Get("to"), zone: u.Timezone}
	if raw := q.Get("type"); raw != "" {
		if !slices.Contains(listTypes, raw) {
			writeAPIError(w, errInvalidParam("type"))
			return
		}
		pt.listType = raw
	}
	if tz := q.Get("timezone"); tz != "" {
		if _, err := loadZone(tz); err != nil {
			writeAPIError(w, errInvalidParam("timezone"))
			return
		}
		pt.zone = tz
	}
	if raw := q.Get("page_number"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			writeAPIError(w, errInvalidParam("page_number"))
			return
		}
		pt.offset = (n - 1) * pageSize
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok := q.Get("next_page_token"); tok != "" {
		saved := s.pageTokens[tok]
		if saved == nil || saved.userID != u.ID || !now.Before(saved.expires) {
			writeAPIError(w, &apiError{Status: http.StatusBadRequest, Code: 300, Message: "The next page token is invalid or expired."})
			return
		}
		pt = *saved
	}
	from, to, aerr := dateWindow(pt)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	var list []*meeting
	for _, m := range s.meetings {
		if s.listed(m, pt.listType, now) && inWindow(m.displayStart(now), from, to) {
			list = append(list, m)
		}
	}
	slices.SortFunc(list, func(a, b *meeting) int {
		as, bs := a.displayStart(now), b.displayStart(now)
		switch {
		case as.IsZero() != bs.IsZero():
			if as.IsZero() {
				return 1
			}
			return -1
		case !as.Equal(bs):
			return as.Compare(bs)
		}
		return int(a.seq - b.seq)
	})
	total := len(list)
	resp := listResponse{
		PageSize:     pageSize,
		PageNumber:   pt.offset/pageSize + 1,
		PageCount:    (total + pageSize - 1) / pageSize,
		TotalRecords: total,
		Meetings:     []meetingSummary{},
	}
	base := s.baseURL(r)
	end := min(pt.offset+pageSize, total)
	for i := pt.offset; i < end; i++ {
		resp.Meetings = append(resp.Meetings, s.summaryJSON(base, list[i], now))
	}
	next := ""
	if end < total {
		s.purgePageTokensLocked(now)
		next = s.randToken("")
		nt := pt
		nt.offset = end
		nt.expires = now.Add(pageTokenTTL)
		s.pageTokens[next] = &nt
	}
	if next != "" || !s.quirks.OmitLastPageToken {
		resp.NextPageToken = &next
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) purgePageTokensLocked(now time.Time) {
	for k, pt := range s.pageTokens {
		if !now.Before(pt.expires) {
			delete(s.pageTokens, k)
		}
	}
}

// listed reports whether m belongs in a list of the given type.
func (s *Server) listed(m *meeting, listType string, now time.Time) bool {
	if m.typ == 1 { // instant meetings are never listed
		return false
	}
	switch listType {
	case "live":
		return m.status == "started"
	case "upcoming", "upcoming_meetings":
		e := m.end()
		return m.status == "started" || e.IsZero() || !e.Before(now)
	case "previous_meetings":
		e := m.end()
		return !e.IsZero() && e.Before(now) && e.After(now.AddDate(0, -6, 0))
	default: // scheduled
		return !s.expired(m, now)
	}
}

// dateWindow reads the list's from/to dates (yyyy-MM-dd, in pt.zone).
func dateWindow(pt pageToken) (from, to time.Time, aerr *apiError) {
	loc, err := loadZone(pt.zone)
	if err != nil {
		loc = time.UTC
	}
	if pt.from != "" {
		if from, err = time.ParseInLocation(time.DateOnly, pt.from, loc); err != nil {
			return from, to, errInvalidParam("from")
		}
	}
	if pt.to != "" {
		if to, err = time.ParseInLocation(time.DateOnly, pt.to, loc); err != nil {
			return from, to, errInvalidParam("to")
		}
		to = to.AddDate(0, 0, 1)
	}
	return from, to, nil
}

func inWindow(start, from, to time.Time) bool {
	if from.IsZero() && to.IsZero() {
		return true
	}
	if start.IsZero() {
		return false
	}
	return (from.IsZero() || !start.Before(from)) && (to.IsZero() || start.Before(to))
}
