package zoomsandbox

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault is an injected failure for the next Count requests that match
// PathPrefix and Method. It applies to every request except the /_sandbox/
// controls: the OAuth endpoints as well as the API.
type Fault struct {
	// PathPrefix selects requests by path prefix, e.g. "/v2/meetings" or
	// "/oauth/token"; empty matches every path.
	PathPrefix string
	// Method selects requests by HTTP method; empty matches every method.
	Method string
	// Status is the HTTP status to answer with. 0 means no answer of its own:
	// with only Delay set, the request goes on normally after the delay.
	Status int
	// Code and Message make the body {"code":Code,"message":Message} on API
	// paths, or {"reason":Message,"error":"server_error"} on /oauth/ paths.
	// Code defaults to Status, Message to the status text.
	Code    int
	Message string
	// Body, when set, is sent verbatim (as JSON) instead.
	Body string
	// Header holds extra response headers, e.g. Retry-After.
	Header map[string]string
	// Count is how many matching requests the fault applies to; 0 means 1.
	Count int
	// Delay holds the request this long (or until the client goes away)
	// before the fault or the normal response.
	Delay time.Duration
	// DropConnection closes the connection without any response.
	DropConnection bool
}

// faultJSON is Fault on the wire: snake_case, the delay as a Go duration string.
type faultJSON struct {
	PathPrefix     string            `json:"path_prefix,omitempty"`
	Method         string            `json:"method,omitempty"`
	Status         int               `json:"status,omitempty"`
	Code           int               `json:"code,omitempty"`
	Message        string            `json:"message,omitempty"`
	Body           string            `json:"body,omitempty"`
	Header         map[string]string `json:"header,omitempty"`
	Count          int               `json:"count,omitempty"`
	Delay          string            `json:"delay,omitempty"`
	DropConnection bool              `json:"drop_connection,omitempty"`
}

// MarshalJSON writes the fault with its delay as a duration string ("2s").
func (f Fault) MarshalJSON() ([]byte, error) {
	fj := faultJSON{PathPrefix: f.PathPrefix, Method: f.Method, Status: f.Status, Code: f.Code, Message: f.Message,
		Body: f.Body, Header: f.Header, Count: f.Count, DropConnection: f.DropConnection}
	if f.Delay > 0 {
		fj.Delay = f.Delay.String()
	}
	return json.Marshal(fj)
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (f *Fault) UnmarshalJSON(b []byte) error {
	var fj faultJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fj); err != nil {
		return fmt.Errorf("decode fault: %w", err)
	}
	*f = Fault{PathPrefix: fj.PathPrefix, Method: fj.Method, Status: fj.Status, Code: fj.Code, Message: fj.Message,
		Body: fj.Body, Header: fj.Header, Count: fj.Count, DropConnection: fj.DropConnection}
	if fj.Delay != "" {
		d, err := time.ParseDuration(fj.Delay)
		if err != nil || d < 0 {
			return fmt.Errorf("fault delay %q is not a duration such as \"2s\"", fj.Delay)
		}
		f.Delay = d
	}
	return nil
}

// InjectFault queues f. Faults are matched in the order they were injected.
func (s *Server) InjectFault(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	f.Method = strings.ToUpper(f.Method)
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

// ClearFaults drops every pending fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// Faults returns the pending faults with their remaining counts.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, 0, len(s.faults))
	for _, f := range s.faults {
		out = append(out, *f)
	}
	return out
}

// takeFault consumes one use of the first fault matching r.
func (s *Server) takeFault(r *http.Request) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.faults {
		if (f.Method != "" && f.Method != r.Method) || !strings.HasPrefix(r.URL.Path, f.PathPrefix) {
			continue
		}
		f.Count--
		if f.Count <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		s.stats.FaultsApplied++
		return *f, true
	}
	return Fault{}, false
}

// applyFault runs the first matching fault; it reports whether the request
// has been answered (or dropped) and must not be served.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request) bool {
	f, ok := s.takeFault(r)
	if !ok {
		return false
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return true // the client gave up
		case <-t.C:
		}
	}
	if f.DropConnection {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			_ = conn.Close()
			return true
		}
		panic(http.ErrAbortHandler) // HTTP/2 or a recorder: abort the stream
	}
	if f.Status == 0 {
		return false
	}
	for k, v := range f.Header {
		w.Header().Set(k, v)
	}
	if f.Body != "" {
		w.Header().Set("Content-Type", "application/json;charset=UTF-8")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.Body))
		return true
	}
	msg := f.Message
	if msg == "" {
		msg = http.StatusText(f.Status)
	}
	if strings.HasPrefix(r.URL.Path, "/oauth/") {
		writeJSON(w, f.Status, oauthError{Reason: msg, Error: "server_error"})
		return true
	}
	code := f.Code
	if code == 0 {
		code = f.Status
	}
	writeJSON(w, f.Status, apiError{Code: code, Message: msg})
	return true
}
