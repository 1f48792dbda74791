package zoomapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Zoom error codes the plugin branches on.
const (
	// CodeInvalidToken: invalid, expired, revoked or missing access token.
	CodeInvalidToken = 124
	// CodeValidation: a field failed validation (with Fields) or a parameter
	// is invalid.
	CodeValidation = 300
	// CodeUserNotFound: "User does not exist: {userId}."
	CodeUserNotFound = 1001
	// CodeMeetingNotFound: "Meeting does not exist: {meetingId}."
	CodeMeetingNotFound = 3001
	// CodeMissingScope: the token lacks the scopes the endpoint needs.
	CodeMissingScope = 4711
)

// Error is an error answer of the Zoom API: the HTTP status, Zoom's own code
// and message, the fields that failed validation, and what the rate-limit
// headers say. Any header may be absent.
type Error struct {
	// Method and Path name the call, e.g. "GET" "/v2/meetings/85746065432".
	Method string
	Path   string
	// Status is the HTTP status; Code is Zoom's code from the body (0 when
	// the body had none). They differ: code 200 comes with HTTP 400.
	Status  int
	Code    int
	Message string
	Fields  []FieldError
	// RetryAfter is set when Retry-After holds seconds; RetryAt when it
	// holds a date-time. Both are zero when the header is absent.
	RetryAfter time.Duration
	RetryAt    time.Time
	// RateLimitType is X-RateLimit-Type (QPS, Daily-limit) and
	// RateLimitCategory X-RateLimit-Category (Light, Medium, …).
	RateLimitType     string
	RateLimitCategory string
	// RateLimitRemaining is X-RateLimit-Remaining, -1 when absent.
	RateLimitRemaining int
}

// FieldError is one entry of a validation error's errors[].
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error returns e.g. "zoom: GET /v2/meetings/1: HTTP 404, code 3001: Meeting does not exist: 1.".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "zoom: %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, " [%s: %s]", f.Field, f.Message)
	}
	return b.String()
}

// IsRateLimited reports whether Zoom throttled the call.
func (e *Error) IsRateLimited() bool { return e.Status == http.StatusTooManyRequests }

// IsUnauthorized reports whether Zoom rejected the access token (HTTP 401).
func (e *Error) IsUnauthorized() bool { return e.Status == http.StatusUnauthorized }

// IsExpiredToken reports whether Zoom says the token has expired.
func (e *Error) IsExpiredToken() bool {
	return e.Status == http.StatusUnauthorized && strings.Contains(strings.ToLower(e.Message), "expired")
}

// IsMissingScope reports whether the token lacks a scope (code 4711).
func (e *Error) IsMissingScope() bool { return e.Code == CodeMissingScope }

// IsMeetingNotFound reports Zoom's 404 / 3001.
func (e *Error) IsMeetingNotFound() bool { return e.Code == CodeMeetingNotFound }

// IsServerError reports a 5xx answer.
func (e *Error) IsServerError() bool { return e.Status >= 500 }

// scopeList matches the scope list of a 4711 message, e.g.
// "does not contain scopes:[meeting:read:meeting, meeting:read:meeting:admin]".
var scopeList = regexp.MustCompile(`scopes?\s*:?\s*\[([^\]]*)\]`)

// MissingScopes returns the scopes a 4711 message lists, if any.
func (e *Error) MissingScopes() []string {
	m := scopeList.FindStringSubmatch(e.Message)
	if m == nil {
		return nil
	}
	var out []string
	for _, s := range strings.FieldsFunc(m[1], func(r rune) bool { return r == ',' || r == ' ' }) {
		if s = strings.Trim(s, `"'`); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Wait returns how long to wait before retrying, relative to now, and
// whether the headers said so at all.
func (e *Error) Wait(now time.Time) (time.Duration, bool) {
	switch {
	case e.RetryAfter > 0:
		return e.RetryAfter, true
	case !e.RetryAt.IsZero():
		d := e.RetryAt.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// parseError builds an *Error from a non-2xx response.
func parseError(method, path string, resp *http.Response, body []byte) *Error {
	e := &Error{Method: method, Path: path, Status: resp.StatusCode, RateLimitRemaining: -1}
	var b struct {
		Code    json.Number  `json:"code"`
		Message string       `json:"message"`
		Errors  []FieldError `json:"errors"`
		// OAuth-shaped bodies: {"reason": ..., "error": ...}.
		Reason string `json:"reason"`
		Err    string `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&b); err == nil {
		if n, err := b.Code.Int64(); err == nil {
			e.Code = int(n)
		}
		e.Message = b.Message
		if e.Message == "" {
			e.Message = strings.TrimSpace(b.Reason + " " + b.Err)
		}
		e.Fields = b.Errors
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
		if t := strings.TrimSpace(string(body)); t != "" && utf8.ValidString(t) && len(t) <= 200 && !strings.ContainsAny(t, "<>") {
			e.Message = t
		}
	}
	h := resp.Header
	e.RetryAfter, e.RetryAt = parseRetryAfter(h.Get("Retry-After"))
	e.RateLimitType = h.Get("X-RateLimit-Type")
	e.RateLimitCategory = h.Get("X-RateLimit-Category")
	if n, err := strconv.Atoi(strings.TrimSpace(h.Get("X-RateLimit-Remaining"))); err == nil {
		e.RateLimitRemaining = n
	}
	return e
}

// parseRetryAfter reads Retry-After as delay seconds or as a date-time
// (ISO 8601 as Zoom sends for daily limits, or an HTTP date).
func parseRetryAfter(v string) (time.Duration, time.Time) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, time.Time{}
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, time.Time{}
		}
		if n > int64(1<<31) {
			n = 1 << 31
		}
		return time.Duration(n) * time.Second, time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", http.TimeFormat, time.RFC850, time.ANSIC} {
		if t, err := time.Parse(layout, v); err == nil {
			return 0, t
		}
	}
	return 0, time.Time{}
}

// TransportError is a failure before Zoom answered: DNS, connection refused,
// a dropped connection, a timeout, a cancelled context.
type TransportError struct {
	Method string
	// Host is the API host, e.g. api.zoom.us; Path the request path.
	Host string
	Path string
	// MayHaveReached is true when a connection was made, so Zoom may have
	// received and acted on the request (a create may have created a
	// meeting).
	MayHaveReached bool
	Err            error
}

// Error names the host and the cause, never a token.
func (e *TransportError) Error() string {
	return fmt.Sprintf("zoom: %s %s on %s: %v", e.Method, e.Path, e.Host, e.Err)
}

// Unwrap returns the cause.
func (e *TransportError) Unwrap() error { return e.Err }
