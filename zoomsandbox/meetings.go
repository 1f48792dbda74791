package zoomsandbox

import (
	"fmt"
	"html"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// meeting is a stored meeting. Guarded by Server.mu.
type meeting struct {
	id          int64
	uuid        string
	seq         int64 // creation order, the list tie-breaker
	hostID      string
	hostEmail   string
	topic       string
	typ         int
	start       time.Time // UTC; zero for types 3 and 10
	duration    int
	timezone    string
	agenda      string
	createdAt   time.Time
	password    string
	h323        string
	encrypted   string
	zak         string
	preSchedule bool
	templateID  string
	recurrence  *recurrence
	occurrences []*occurrence
	settings    map[string]any // values sent so far; defaults are added on output
	tracking    []trackingField
	regToken    string
	status      string
}

// meetingObject is the full meeting of POST /users/{userId}/meetings and
// GET /meetings/{meetingId}.
type meetingObject struct {
	UUID              string           `json:"uuid"`
	ID                int64            `json:"id"`
	HostID            string           `json:"host_id"`
	HostEmail         string           `json:"host_email"`
	Topic             string           `json:"topic"`
	Type              int              `json:"type"`
	Status            string           `json:"status"`
	StartTime         string           `json:"start_time,omitempty"`
	Duration          int              `json:"duration"`
	Timezone          string           `json:"timezone,omitempty"`
	Agenda            string           `json:"agenda,omitempty"`
	CreatedAt         string           `json:"created_at"`
	StartURL          string           `json:"start_url"`
	JoinURL           string           `json:"join_url"`
	RegistrationURL   string           `json:"registration_url,omitempty"`
	Password          string           `json:"password,omitempty"`
	H323Password      string           `json:"h323_password,omitempty"`
	PSTNPassword      string           `json:"pstn_password,omitempty"`
	EncryptedPassword string           `json:"encrypted_password,omitempty"`
	PMI               string           `json:"pmi,omitempty"`
	PreSchedule       bool             `json:"pre_schedule"`
	CreationSource    string           `json:"creation_source"`
	TrackingFields    []trackingField  `json:"tracking_fields,omitempty"`
	Occurrences       []occurrenceJSON `json:"occurrences,omitempty"`
	Recurrence        *recurrence      `json:"recurrence,omitempty"`
	Settings          map[string]any   `json:"settings"`
}

type occurrenceJSON struct {
	OccurrenceID string `json:"occurrence_id"`
	StartTime    string `json:"start_time"`
	Duration     int    `json:"duration"`
	Status       string `json:"status"`
}

// defaultSettings are the settings of a meeting created without any: the
// documented defaults, with false for the options that follow user settings.
func defaultSettings() map[string]any {
	return map[string]any{
		"host_video":                              false,
		"participant_video":                       false,
		"cn_meeting":                              false,
		"in_meeting":                              false,
		"join_before_host":                        false,
		"jbh_time":                                0,
		"mute_upon_entry":                         false,
		"watermark":                               false,
		"use_pmi":                                 false,
		"approval_type":                           2,
		"audio":                                   "both",
		"auto_recording":                          "none",
		"enforce_login":                           false,
		"enforce_login_domains":                   "",
		"alternative_hosts":                       "",
		"alternative_hosts_email_notification":    true,
		"close_registration":                      false,
		"show_share_button":                       false,
		"allow_multiple_devices":                  false,
		"registrants_confirmation_email":          true,
		"registrants_email_notification":          true,
		"waiting_room":                            false,
		"meeting_authentication":                  false,
		"encryption_type":                         "enhanced_encryption",
		"email_notification":                      true,
		"private_meeting":                         false,
		"focus_mode":                              false,
		"auto_start_meeting_summary":              false,
		"approved_or_denied_countries_or_regions": map[string]any{"enable": false},
		"breakout_room":                           map[string]any{"enable": false},
		"global_dial_in_countries":                []string{"US"},
		"global_dial_in_numbers": []map[string]any{
			{"country": "US", "country_name": "US", "city": "Sandbox", "number": "+1 5550100000", "type": "toll"},
		},
	}
}

// effectiveSettings merges the stored values (and an occurrence's overrides)
// over the defaults. A waiting room turns join_before_host off.
func effectiveSettings(m *meeting, occ *occurrence) map[string]any {
	out := defaultSettings()
	if m.typ == 8 {
		out["registration_type"] = 1
	}
	maps.Copy(out, m.settings)
	if occ != nil {
		maps.Copy(out, occ.Settings)
	}
	if wr, _ := out["waiting_room"].(bool); wr {
		out["join_before_host"] = false
	}
	return out
}

func settingBool(m *meeting, key string) bool {
	b, _ := m.settings[key].(bool)
	return b
}

func (m *meeting) registrationOn() bool {
	at, ok := m.settings["approval_type"].(int64)
	return ok && (at == 0 || at == 1)
}

// availableOccurrences are the occurrences that were not deleted.
func (m *meeting) availableOccurrences() []*occurrence {
	var out []*occurrence
	for _, o := range m.occurrences {
		if o.Status != "deleted" {
			out = append(out, o)
		}
	}
	return out
}

// displayStart is the start shown for a meeting: for a recurring meeting with
// a fixed time, the next occurrence that has not ended (else the last one).
func (m *meeting) displayStart(now time.Time) time.Time {
	if m.typ != 8 {
		return m.start
	}
	occs := m.availableOccurrences()
	for _, o := range occs {
		if !o.Start.Add(time.Duration(o.Duration) * time.Minute).Before(now) {
			return o.Start
		}
	}
	if len(occs) > 0 {
		return occs[len(occs)-1].Start
	}
	return m.start
}

// end is when the meeting's (last) scheduled time is over; zero when it has
// no fixed time.
func (m *meeting) end() time.Time {
	switch m.typ {
	case 8:
		occs := m.availableOccurrences()
		if len(occs) == 0 {
			return m.start
		}
		last := occs[len(occs)-1]
		return last.Start.Add(time.Duration(last.Duration) * time.Minute)
	case 3, 10:
		return time.Time{}
	default:
		return m.start.Add(time.Duration(m.duration) * time.Minute)
	}
}

// expired reports whether a meeting with a fixed time is gone: Zoom drops
// such meetings some time (Config.MeetingExpiry) after their last start.
func (s *Server) expired(m *meeting, now time.Time) bool {
	if s.cfg.MeetingExpiry < 0 || m.typ == 3 || m.typ == 10 {
		return false
	}
	last := m.start
	if m.typ == 8 {
		if occs := m.availableOccurrences(); len(occs) > 0 {
			last = occs[len(occs)-1].Start
		}
	}
	return now.After(last.Add(s.cfg.MeetingExpiry))
}

// ---- passcodes and URLs ----

// setPassword stores a passcode and its derived numeric and encrypted forms.
func (s *Server) setPassword(m *meeting, pw string) {
	m.password = pw
	if pw == "" {
		m.h323, m.encrypted = "", ""
		return
	}
	if strings.Trim(pw, "0123456789") == "" {
		m.h323 = pw
	} else {
		m.h323 = s.randString(6, "0123456789")
	}
	m.encrypted = s.randString(32, alnum)
}

func meetingIDString(id int64) string { return strconv.FormatInt(id, 10) }

func (s *Server) joinURL(base string, m *meeting) string {
	u := base + "/j/" + meetingIDString(m.id)
	if m.encrypted != "" {
		u += "?pwd=" + m.encrypted
	}
	return u
}

// ---- output ----

func (s *Server) meetingJSON(base string, m *meeting, now time.Time, occ *occurrence, showPrevious, created bool) meetingObject {
	obj := meetingObject{
		UUID:              m.uuid,
		ID:                m.id,
		HostID:            m.hostID,
		HostEmail:         m.hostEmail,
		Topic:             m.topic,
		Type:              m.typ,
		Status:            m.status,
		Duration:          m.duration,
		Timezone:          m.timezone,
		Agenda:            m.agenda,
		CreatedAt:         zoomTime(m.createdAt),
		StartURL:          base + "/s/" + meetingIDString(m.id) + "?zak=" + m.zak,
		JoinURL:           s.joinURL(base, m),
		Password:          m.password,
		H323Password:      m.h323,
		PSTNPassword:      m.h323,
		EncryptedPassword: m.encrypted,
		PreSchedule:       m.preSchedule,
		CreationSource:    "open_api",
		TrackingFields:    m.tracking,
		Recurrence:        m.recurrence,
		Settings:          effectiveSettings(m, occ),
	}
	switch {
	case m.typ == 1 && created:
		obj.StartTime = zoomTime(m.start)
	case m.typ == 2 || m.typ == 8:
		obj.StartTime = zoomTime(m.displayStart(now))
	}
	if m.registrationOn() {
		obj.RegistrationURL = base + "/meeting/register/" + m.regToken
	}
	if settingBool(m, "use_pmi") {
		obj.PMI = strconv.FormatInt(s.user.PMI, 10)
	}
	if occ != nil {
		obj.StartTime = zoomTime(occ.Start)
		obj.Duration = occ.Duration
		if occ.Agenda != nil {
			obj.Agenda = *occ.Agenda
		}
		obj.Occurrences = []occurrenceJSON{occJSON(occ)}
		return obj
	}
	for _, o := range m.occurrences {
		if !showPrevious && o.Start.Add(time.Duration(o.Duration)*time.Minute).Before(now) {
			continue
		}
		obj.Occurrences = append(obj.Occurrences, occJSON(o))
	}
	return obj
}

func occJSON(o *occurrence) occurrenceJSON {
	return occurrenceJSON{OccurrenceID: o.ID, StartTime: zoomTime(o.Start), Duration: o.Duration, Status: o.Status}
}

// ---- handlers ----

// checkTypeRules applies the pre_schedule and schedule_for rules that depend
// on the meeting type (validation already refused unknown schedule_for users;
// the only valid one is the host, so no assistant_id is ever set).
func checkTypeRules(in *meetingInput, typ int) *apiError {
	if in.PreSchedule != nil && *in.PreSchedule && typ != 2 && typ != 3 {
		return &apiError{Status: http.StatusBadRequest, Code: 3000, Message: "Prescheduling is only available for scheduled meetings (type 2) and recurring meetings with no fixed time (type 3)."}
	}
	if in.ScheduleFor != nil && *in.ScheduleFor != "" && typ == 1 {
		return &apiError{Status: http.StatusBadRequest, Code: 3000, Message: "Instant meetings do not support the schedule_for parameter."}
	}
	return nil
}

func (s *Server) handleCreateMeeting(w http.ResponseWriter, r *http.Request, _ *token) {
	uid := r.PathValue("userId")
	u, ok := s.lookupUser(uid)
	if !ok {
		writeAPIError(w, errUserNotFound(uid))
		return
	}
	if aerr := s.takeMeetingWrite(u.ID, labelMedium); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	body, _ := readBody(r)
	in, aerr := validateMeeting(body, validateContext{defaultZone: u.Timezone, maxOccurrences: s.quirks.MaxOccurrences, knownUser: s.isScheduleForUser})
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	typ := 2
	if in.Type != nil {
		typ = *in.Type
	}
	if aerr := checkTypeRules(in, typ); aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	now := s.now().UTC().Truncate(time.Second)
	m := &meeting{
		hostID:    u.ID,
		hostEmail: u.Email,
		topic:     "Zoom Meeting",
		typ:       typ,
		duration:  60,
		timezone:  u.Timezone,
		createdAt: now,
		status:    "waiting",
		settings:  map[string]any{},
	}
	m.applyScalars(in)
	maps.Copy(m.settings, in.Settings)
	switch typ {
	case 2, 8:
		m.start = now
		if in.StartTime != nil {
			m.start = *in.StartTime
		}
	case 1:
		m.start = now
	}
	if typ == 3 || typ == 8 {
		m.recurrence = in.Recurrence
	}
	if typ == 8 {
		loc, _ := loadZone(m.timezone)
		m.occurrences = occurrencesFor(m.start, loc, m.recurrence, m.duration, s.quirks.MaxOccurrences)
		if len(m.occurrences) == 0 {
			writeAPIError(w, &apiError{Status: http.StatusBadRequest, Code: 300, Message: "Validation Failed.", Errors: []fieldError{{Field: "recurrence.end_date_time", Message: "Invalid field."}}})
			return
		}
		m.start = m.occurrences[0].Start
	}

	s.mu.Lock()
	m.id = s.newMeetingID()
	m.uuid = s.newUUID()
	s.meetingSeq++
	m.seq = s.meetingSeq
	switch {
	case in.Password != nil:
		s.setPassword(m, *in.Password)
	case !u.PasscodeOptional && (in.DefaultPassword == nil || *in.DefaultPassword):
		s.setPassword(m, s.randString(6, alnum))
	}
	m.zak = s.randToken("")
	m.regToken = s.randString(22, alnum)
	s.meetings[m.id] = m
	base := s.baseURL(r)
	obj := s.meetingJSON(base, m, now, nil, false, true)
	s.mu.Unlock()

	w.Header().Set("Content-Location", base+"/v2/meetings/"+meetingIDString(m.id))
	writeJSON(w, http.StatusCreated, obj)
}

// findMeetingLocked resolves a path meeting ID. A non-numeric, unknown,
// deleted or expired meeting is a 404 with code 3001.
func (s *Server) findMeetingLocked(raw string, now time.Time) (*meeting, *apiError) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, errMeetingNotFound(raw)
	}
	m := s.meetings[id]
	if m == nil || s.expired(m, now) {
		return nil, errMeetingNotFound(raw)
	}
	return m, nil
}

func findOccurrence(m *meeting, id string) *occurrence {
	for _, o := range m.occurrences {
		if o.ID == id {
			return o
		}
	}
	return nil
}

// boolParam reads an optional boolean query parameter.
func boolParam(r *http.Request, name string) (bool, *apiError) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return false, errInvalidParam(name)
	}
	return b, nil
}

func (s *Server) handleGetMeeting(w http.ResponseWriter, r *http.Request, _ *token) {
	showPrev, aerr := boolParam(r, "show_previous_occurrences")
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	occID := r.URL.Query().Get("occurrence_id")
	now := s.now()
	s.mu.Lock()
	m, aerr := s.findMeetingLocked(r.PathValue("meetingId"), now)
	var obj meetingObject
	if aerr == nil {
		var occ *occurrence
		if occID != "" {
			if occ = findOccurrence(m, occID); occ == nil {
				aerr = errInvalidParam("occurrence_id")
			}
		}
		if aerr == nil {
			m.zak = s.randToken("") // a fresh start_url on every read
			obj = s.meetingJSON(s.baseURL(r), m, now, occ, showPrev, false)
		}
	}
	s.mu.Unlock()
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, obj)
}

// occurrenceSettings are the settings one occurrence may change.
var occurrenceSettings = []string{"host_video", "participant_video", "join_before_host", "mute_upon_entry", "waiting_room", "watermark", "auto_recording"}

func (s *Server) handleUpdateMeeting(w http.ResponseWriter, r *http.Request, _ *token) {
	raw := r.PathValue("meetingId")
	now := s.now()
	s.mu.Lock()
	m, aerr := s.findMeetingLocked(raw, now)
	var vc validateContext
	var hostID string
	if aerr == nil {
		vc = validateContext{update: true, defaultZone: m.timezone, currentType: m.typ, hasRecurrence: m.recurrence != nil, maxOccurrences: s.quirks.MaxOccurrences, knownUser: s.isScheduleForUser}
		hostID = m.hostID
	}
	s.mu.Unlock()
	if aerr == nil {
		aerr = s.takeMeetingWrite(hostID, labelLight)
	}
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	body, _ := readBody(r)
	in, aerr := validateMeeting(body, vc)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	occID := r.URL.Query().Get("occurrence_id")

	s.mu.Lock()
	defer s.mu.Unlock()
	m, aerr = s.findMeetingLocked(raw, now) // it may be gone meanwhile
	if aerr == nil && occID != "" {
		aerr = s.updateOccurrenceLocked(m, occID, in, now)
	} else if aerr == nil {
		aerr = s.updateMeetingLocked(m, in, now)
	}
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) updateOccurrenceLocked(m *meeting, occID string, in *meetingInput, now time.Time) *apiError {
	occ := findOccurrence(m, occID)
	if occ == nil || occ.Status == "deleted" {
		return errInvalidParam("occurrence_id")
	}
	if in.Agenda != nil {
		a := *in.Agenda
		occ.Agenda = &a
	}
	if in.StartTime != nil && in.StartTime.After(now) {
		occ.Start = *in.StartTime
	}
	if in.Duration != nil {
		occ.Duration = *in.Duration
	}
	for _, k := range occurrenceSettings {
		if v, ok := in.Settings[k]; ok {
			if occ.Settings == nil {
				occ.Settings = map[string]any{}
			}
			occ.Settings[k] = v
		}
	}
	slices.SortStableFunc(m.occurrences, func(a, b *occurrence) int { return a.Start.Compare(b.Start) })
	return nil
}

func (s *Server) updateMeetingLocked(m *meeting, in *meetingInput, now time.Time) *apiError {
	typ := m.typ
	if in.Type != nil {
		typ = *in.Type
	}
	if aerr := checkTypeRules(in, typ); aerr != nil {
		return aerr
	}
	regenerate := typ == 8 && (typ != m.typ || in.Recurrence != nil || in.Duration != nil || in.Timezone != nil)
	m.applyScalars(in)
	if in.Password != nil {
		s.setPassword(m, *in.Password)
	}
	if in.Settings != nil {
		maps.Copy(m.settings, in.Settings)
	}
	// start_time must lie in the future; otherwise it is ignored.
	if in.StartTime != nil && in.StartTime.After(now) && (typ == 2 || typ == 8) {
		m.start = *in.StartTime
		regenerate = regenerate || typ == 8
	}
	if (typ == 2 || typ == 8) && m.start.IsZero() {
		m.start = now.UTC().Truncate(time.Second)
	}
	if in.Recurrence != nil && (typ == 3 || typ == 8) {
		m.recurrence = in.Recurrence
	}
	switch typ {
	case 8:
		if regenerate {
			loc, _ := loadZone(m.timezone)
			occs := occurrencesFor(m.start, loc, m.recurrence, m.duration, s.quirks.MaxOccurrences)
			if len(occs) == 0 {
				return &apiError{Status: http.StatusBadRequest, Code: 300, Message: "Validation Failed.", Errors: []fieldError{{Field: "recurrence.end_date_time", Message: "Invalid field."}}}
			}
			m.occurrences = occs
			m.start = occs[0].Start
		}
	case 3:
		m.occurrences, m.start = nil, time.Time{}
	case 10:
		m.occurrences, m.recurrence, m.start = nil, nil, time.Time{}
	default:
		m.occurrences, m.recurrence = nil, nil
	}
	m.typ = typ
	return nil
}

func (s *Server) handleDeleteMeeting(w http.ResponseWriter, r *http.Request, _ *token) {
	for _, p := range []string{"schedule_for_reminder", "cancel_meeting_reminder"} {
		if _, aerr := boolParam(r, p); aerr != nil {
			writeAPIError(w, aerr)
			return
		}
	}
	raw := r.PathValue("meetingId")
	occID := r.URL.Query().Get("occurrence_id")
	now := s.now()
	s.mu.Lock()
	m, aerr := s.findMeetingLocked(raw, now)
	s.mu.Unlock()
	if aerr == nil && s.quirks.CountDeletesAsWrites {
		aerr = s.takeMeetingWrite(m.hostID, labelLight)
	}
	if aerr == nil {
		s.mu.Lock()
		m, aerr = s.findMeetingLocked(raw, now)
		if aerr == nil && occID != "" {
			occ := findOccurrence(m, occID)
			if occ == nil || occ.Status == "deleted" {
				aerr = errInvalidParam("occurrence_id")
			} else {
				occ.Status = "deleted" // it stays listed with this status
			}
		} else if aerr == nil {
			delete(s.meetings, m.id)
		}
		s.mu.Unlock()
	}
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// handleJoinPage answers join_url and start_url with a placeholder page, so
// links in a demo lead somewhere.
func (s *Server) handleJoinPage(w http.ResponseWriter, r *http.Request) {
	raw := r.PathValue("meetingId")
	s.mu.Lock()
	m, aerr := s.findMeetingLocked(raw, s.now())
	topic := ""
	if aerr == nil {
		topic = m.topic
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if aerr != nil {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "<!doctype html><title>Zoom sandbox</title><p>Meeting %s does not exist in the sandbox.</p>\n", html.EscapeString(raw))
		return
	}
	fmt.Fprintf(w, "<!doctype html><title>Zoom sandbox</title><h1>%s</h1><p>Sandbox meeting %s. Nothing to join here: the sandbox only emulates Zoom's API.</p>\n",
		html.EscapeString(topic), html.EscapeString(raw))
}

// applyScalars sets the plain fields a create or update body carries.
func (m *meeting) applyScalars(in *meetingInput) {
	if in.Topic != nil {
		m.topic = *in.Topic
	}
	if in.Agenda != nil {
		m.agenda = *in.Agenda
	}
	if in.Duration != nil {
		m.duration = *in.Duration
	}
	if in.Timezone != nil {
		m.timezone = *in.Timezone
	}
	if in.TemplateID != nil {
		m.templateID = *in.TemplateID
	}
	if in.PreSchedule != nil {
		m.preSchedule = *in.PreSchedule
	}
	if in.TrackingSet {
		m.tracking = in.TrackingFields
	}
}
