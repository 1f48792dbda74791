// Package zoomapi is a small client for the parts of Zoom's REST API v2 the
// nodeplug Zoom plugin uses: the current user and meetings.
//
// It sends JSON both ways, authenticates with a Bearer header only (Zoom
// rejects tokens in the query string), keeps meeting objects byte-exact
// (meeting IDs are int64 and must never pass through float64), and turns
// Zoom's {code, message, errors[]} error bodies and rate-limit headers into a
// typed *Error. Failures that happen before Zoom answers are *TransportError
// values that say whether the request may have reached Zoom.
package zoomapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// UserAgent is sent with every request.
const UserAgent = "nodeplug-zoom/0.1.0"

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// Client calls Zoom's REST API v2 under one base URL with one access token.
// It is immutable and safe for concurrent use; WithToken and WithLogger
// return modified copies.
type Client struct {
	base   *url.URL
	hc     *http.Client
	token  string
	logger hclog.Logger
}

// New returns a client for the API under baseURL, which includes the
// version, e.g. https://api.zoom.us/v2. hc may be nil (http.DefaultClient).
func New(baseURL string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("zoomapi: base URL %q: %w", baseURL, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("zoomapi: base URL %q must be an absolute http(s) URL", baseURL)
	}
	u.RawQuery, u.Fragment = "", ""
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u, hc: hc, logger: hclog.NewNullLogger()}, nil
}

// WithToken returns a copy of c that sends token as its Bearer token.
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = token
	return &cp
}

// WithLogger returns a copy of c that logs each call (method, path, status,
// duration) at debug level. It never logs headers, bodies or tokens.
func (c *Client) WithLogger(l hclog.Logger) *Client {
	cp := *c
	if l == nil {
		l = hclog.NewNullLogger()
	}
	cp.logger = l
	return &cp
}

// BaseURL returns the API base URL, e.g. https://api.zoom.us/v2.
func (c *Client) BaseURL() string { return c.base.String() }

// Host returns the host of the API base URL, for messages.
func (c *Client) Host() string { return c.base.Host }

// String never prints the token.
func (c *Client) String() string { return "zoomapi.Client(" + c.base.String() + ", token redacted)" }

// GoString never prints the token.
func (c *Client) GoString() string { return c.String() }

// LogValue never logs the token.
func (c *Client) LogValue() slog.Value { return slog.StringValue(c.String()) }

// request describes one API call.
type request struct {
	method string
	// segments of the path below the base URL, unescaped, e.g.
	// ["meetings", "85746065432"].
	segments []string
	query    url.Values
	body     any
}

// do performs r and returns the response body of a successful call.
func (c *Client) do(ctx context.Context, r request) ([]byte, error) {
	u := *c.base
	u.Path, u.RawPath = c.base.Path, c.base.EscapedPath()
	for _, s := range r.segments {
		u.Path += "/" + s
		u.RawPath += "/" + url.PathEscape(s)
	}
	path := r.method + " " + u.EscapedPath()
	if len(r.query) > 0 {
		u.RawQuery = r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("zoomapi: encoding the %s body: %w", path, err)
		}
		body = bytes.NewReader(b)
	}
	// connected records whether a connection to the server was obtained:
	// from then on (part of) the request may have reached Zoom, which may
	// act on it even when no answer comes back. The hook runs on the
	// transport's goroutines, hence the atomic.
	var connected atomic.Bool
	trace := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), r.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("zoomapi: building the %s request: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	start := time.Now()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.logger.Debug("zoom api call failed", "method", r.method, "path", u.Path, "duration", time.Since(start), "reached", connected.Load())
		return nil, &TransportError{Method: r.method, Host: u.Host, Path: u.Path, MayHaveReached: connected.Load(), Err: scrubURLError(err)}
	}
	defer resp.Body.Close()
	c.logger.Debug("zoom api call", "method", r.method, "path", u.Path, "status", resp.StatusCode, "duration", time.Since(start))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, &TransportError{Method: r.method, Host: u.Host, Path: u.Path, MayHaveReached: true, Err: fmt.Errorf("reading the response: %w", err)}
		}
		return b, nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	return nil, parseError(r.method, u.Path, resp, b)
}

// scrubURLError drops the *url.Error wrapper, whose text repeats the whole
// URL with its query, and keeps the cause.
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}

// decode decodes JSON keeping numbers exact.
func decode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// User is the part of GET /users/me the plugin uses.
type User struct {
	ID          string      `json:"id"`
	FirstName   string      `json:"first_name"`
	LastName    string      `json:"last_name"`
	DisplayName string      `json:"display_name"`
	Email       string      `json:"email"`
	Type        json.Number `json:"type"`
	AccountID   string      `json:"account_id"`
	Timezone    string      `json:"timezone"`
	Status      string      `json:"status"`
}

// Me returns the user the token belongs to (GET /users/me).
func (c *Client) Me(ctx context.Context) (*User, error) {
	b, err := c.do(ctx, request{method: http.MethodGet, segments: []string{"users", "me"}})
	if err != nil {
		return nil, err
	}
	var u User
	if err := decode(b, &u); err != nil {
		return nil, fmt.Errorf("zoomapi: decoding GET /users/me: %w", err)
	}
	return &u, nil
}

// MeetingRequest is the body of create (POST /users/{userId}/meetings) and
// update (PATCH /meetings/{meetingId}). Nil fields are left out; non-nil
// fields are sent even when they hold false, 0 or "".
type MeetingRequest struct {
	Topic       *string          `json:"topic,omitempty"`
	Type        *int64           `json:"type,omitempty"`
	StartTime   *string          `json:"start_time,omitempty"`
	Duration    *int64           `json:"duration,omitempty"`
	Timezone    *string          `json:"timezone,omitempty"`
	Password    *string          `json:"password,omitempty"`
	Agenda      *string          `json:"agenda,omitempty"`
	ScheduleFor *string          `json:"schedule_for,omitempty"`
	Settings    *MeetingSettings `json:"settings,omitempty"`
}

// String never prints the password.
func (m MeetingRequest) String() string {
	if m.Password != nil {
		m.Password = new(string)
		*m.Password = "(redacted)"
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// GoString never prints the password.
func (m MeetingRequest) GoString() string { return m.String() }

// MeetingSettings is the settings object of a meeting request.
type MeetingSettings struct {
	HostVideo        *bool   `json:"host_video,omitempty"`
	ParticipantVideo *bool   `json:"participant_video,omitempty"`
	CNMeeting        *bool   `json:"cn_meeting,omitempty"`
	INMeeting        *bool   `json:"in_meeting,omitempty"`
	JoinBeforeHost   *bool   `json:"join_before_host,omitempty"`
	MuteUponEntry    *bool   `json:"mute_upon_entry,omitempty"`
	Watermark        *bool   `json:"watermark,omitempty"`
	Audio            *string `json:"audio,omitempty"`
	AutoRecording    *string `json:"auto_recording,omitempty"`
	AlternativeHosts *string `json:"alternative_hosts,omitempty"`
	RegistrationType *int64  `json:"registration_type,omitempty"`
}

// IsZero reports whether no setting is set.
func (s *MeetingSettings) IsZero() bool {
	return s == nil || *s == MeetingSettings{}
}

// CreateMeeting creates a meeting for userID ("me" for the token's user) and
// returns Zoom's meeting object byte for byte (HTTP 201).
func (c *Client) CreateMeeting(ctx context.Context, userID string, m *MeetingRequest) (json.RawMessage, error) {
	if m == nil {
		m = &MeetingRequest{}
	}
	b, err := c.do(ctx, request{method: http.MethodPost, segments: []string{"users", userID, "meetings"}, body: m})
	if err != nil {
		return nil, err
	}
	return object(b, "POST /users/{userId}/meetings")
}

// GetMeetingOptions are the query parameters of GET /meetings/{meetingId}.
type GetMeetingOptions struct {
	OccurrenceID            string
	ShowPreviousOccurrences bool
}

// GetMeeting returns one meeting object byte for byte.
func (c *Client) GetMeeting(ctx context.Context, meetingID string, o GetMeetingOptions) (json.RawMessage, error) {
	q := url.Values{}
	if o.OccurrenceID != "" {
		q.Set("occurrence_id", o.OccurrenceID)
	}
	if o.ShowPreviousOccurrences {
		q.Set("show_previous_occurrences", "true")
	}
	b, err := c.do(ctx, request{method: http.MethodGet, segments: []string{"meetings", meetingID}, query: q})
	if err != nil {
		return nil, err
	}
	return object(b, "GET /meetings/{meetingId}")
}

// ListMeetingsOptions are the query parameters of GET /users/{userId}/meetings.
type ListMeetingsOptions struct {
	// Type is scheduled, live, upcoming, …; "" leaves Zoom's default.
	Type string
	// PageSize is 1..300; 0 leaves Zoom's default (30).
	PageSize      int
	NextPageToken string
}

// MeetingPage is one page of GET /users/{userId}/meetings.
type MeetingPage struct {
	PageSize      int
	TotalRecords  int
	NextPageToken string
	// Meetings holds each meeting object byte for byte.
	Meetings []json.RawMessage
}

// ListMeetings returns one page of a user's meetings.
func (c *Client) ListMeetings(ctx context.Context, userID string, o ListMeetingsOptions) (*MeetingPage, error) {
	q := url.Values{}
	if o.Type != "" {
		q.Set("type", o.Type)
	}
	if o.PageSize > 0 {
		q.Set("page_size", strconv.Itoa(o.PageSize))
	}
	if o.NextPageToken != "" {
		q.Set("next_page_token", o.NextPageToken)
	}
	b, err := c.do(ctx, request{method: http.MethodGet, segments: []string{"users", userID, "meetings"}, query: q})
	if err != nil {
		return nil, err
	}
	var raw struct {
		PageSize      json.Number       `json:"page_size"`
		TotalRecords  json.Number       `json:"total_records"`
		NextPageToken *string           `json:"next_page_token"`
		Meetings      []json.RawMessage `json:"meetings"`
	}
	if err := decode(b, &raw); err != nil {
		return nil, fmt.Errorf("zoomapi: decoding GET /users/{userId}/meetings: %w", err)
	}
	p := &MeetingPage{Meetings: raw.Meetings}
	if n, err := raw.PageSize.Int64(); err == nil {
		p.PageSize = int(n)
	}
	if n, err := raw.TotalRecords.Int64(); err == nil {
		p.TotalRecords = int(n)
	}
	if raw.NextPageToken != nil {
		p.NextPageToken = *raw.NextPageToken
	}
	return p, nil
}

// UpdateMeeting updates a meeting (PATCH, HTTP 204). Only the non-nil fields
// of m change.
func (c *Client) UpdateMeeting(ctx context.Context, meetingID string, m *MeetingRequest) error {
	if m == nil {
		m = &MeetingRequest{}
	}
	_, err := c.do(ctx, request{method: http.MethodPatch, segments: []string{"meetings", meetingID}, body: m})
	return err
}

// DeleteMeetingOptions are the query parameters of DELETE /meetings/{meetingId}.
type DeleteMeetingOptions struct {
	OccurrenceID        string
	ScheduleForReminder bool
}

// DeleteMeeting deletes a meeting or one occurrence (HTTP 204).
func (c *Client) DeleteMeeting(ctx context.Context, meetingID string, o DeleteMeetingOptions) error {
	q := url.Values{}
	if o.OccurrenceID != "" {
		q.Set("occurrence_id", o.OccurrenceID)
	}
	if o.ScheduleForReminder {
		q.Set("schedule_for_reminder", "true")
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, segments: []string{"meetings", meetingID}, query: q})
	return err
}

// object checks that b is one JSON object and returns it byte for byte
// (without surrounding whitespace).
func object(b []byte, what string) (json.RawMessage, error) {
	t := bytes.TrimSpace(b)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return nil, fmt.Errorf("zoomapi: %s answered with something other than a JSON object (%d bytes)", what, len(b))
	}
	return json.RawMessage(t), nil
}
