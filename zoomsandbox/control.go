package zoomsandbox

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// controlPrefix is where the test controls live. They need no authentication:
// serve the sandbox on loopback only.
const controlPrefix = "/_sandbox/"

// RecordedRequest is one request the sandbox received (controls excluded).
// Secrets are redacted: the Authorization header keeps only its scheme and
// the token length, and token-like form/query parameters (access_token,
// refresh_token, code, code_verifier, client_secret, token) keep only their length.
type RecordedRequest struct {
	Time             time.Time   `json:"time"`
	Method           string      `json:"method"`
	Path             string      `json:"path"`
	RawQuery         string      `json:"raw_query"`
	Header           http.Header `json:"header"`
	HasAuthorization bool        `json:"has_authorization"`
	Body             []byte      `json:"-"`
}

// MarshalJSON writes the body as text when it is UTF-8, else as body_base64.
func (rr RecordedRequest) MarshalJSON() ([]byte, error) {
	type plain RecordedRequest
	out := struct {
		plain
		BodyText   *string `json:"body,omitempty"`
		BodyBase64 string  `json:"body_base64,omitempty"`
	}{plain: plain(rr)}
	if utf8.Valid(rr.Body) {
		t := string(rr.Body)
		out.BodyText = &t
	} else {
		out.BodyBase64 = base64.StdEncoding.EncodeToString(rr.Body)
	}
	return json.Marshal(out)
}

// sensitiveParams are form/query parameters whose values are redacted.
var sensitiveParams = []string{"access_token", "refresh_token", "code", "code_verifier", "client_secret", "token", "device_code"}

// redactForm replaces the values of sensitive parameters in URL-encoded
// data with "<redacted:N chars>", keeping the order of the pairs.
func redactForm(s string) string {
	if s == "" {
		return s
	}
	pairs := strings.Split(s, "&")
	for i, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		key, err := url.QueryUnescape(k)
		if err != nil || !slices.Contains(sensitiveParams, key) {
			continue
		}
		val, err := url.QueryUnescape(v)
		n := len(val)
		if err != nil {
			n = len(v)
		}
		pairs[i] = k + "=" + url.QueryEscape(fmt.Sprintf("<redacted:%d chars>", n))
	}
	return strings.Join(pairs, "&")
}

// redactAuthorization keeps the scheme and, for Bearer, the token length.
func redactAuthorization(h string) string {
	scheme, value, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return fmt.Sprintf("Bearer <redacted:%d chars>", len(strings.TrimSpace(value)))
	case strings.EqualFold(scheme, "Basic"):
		return "Basic <redacted>"
	default:
		return "<redacted>"
	}
}

func (s *Server) record(r *http.Request, body []byte) {
	h := r.Header.Clone()
	has := h.Get("Authorization") != ""
	if has {
		h.Set("Authorization", redactAuthorization(h.Get("Authorization")))
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "application/x-www-form-urlencoded" {
		body = []byte(redactForm(string(body)))
	} else {
		body = slices.Clone(body)
	}
	rr := RecordedRequest{Time: s.now(), Method: r.Method, Path: r.URL.Path, RawQuery: redactForm(r.URL.RawQuery),
		Header: h, HasAuthorization: has, Body: body}
	s.mu.Lock()
	if len(s.requests) >= maxRecordedRequests {
		s.requests = slices.Delete(s.requests, 0, len(s.requests)-maxRecordedRequests+1)
	}
	s.requests = append(s.requests, rr)
	s.stats.Requests++
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		s.stats.APICalls++
	}
	s.mu.Unlock()
}

// Requests returns the requests received so far (at most the last 10000),
// oldest first.
func (s *Server) Requests() []RecordedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	s.requests = nil
	s.mu.Unlock()
}

// Advance moves the sandbox clock forward by d (tokens, codes, paging
// tokens, rate-limit windows and meeting times all follow it).
func (s *Server) Advance(d time.Duration) {
	s.offset.Add(int64(d))
}

// Now returns the sandbox clock: Config.Now plus every Advance.
func (s *Server) Now() time.Time { return s.now() }

// Stats are the sandbox's counters.
type Stats struct {
	// TokenGrants counts successful token requests by grant_type.
	TokenGrants map[string]int `json:"token_grants"`
	// TokenErrors counts token requests answered with an error.
	TokenErrors int `json:"token_errors"`
	// Refreshes counts successful refresh_token grants.
	Refreshes int `json:"refreshes"`
	// Revocations counts tokens revoked through /oauth/revoke or RevokeToken.
	Revocations int `json:"revocations"`
	// RateLimited counts 429 answers (per-second and daily).
	RateLimited int `json:"rate_limited"`
	// APICalls counts requests to /v2/ paths, whether served, refused or faulted.
	APICalls int `json:"api_calls"`
	// Requests counts every recorded request.
	Requests int `json:"requests"`
	// FaultsApplied counts requests an injected fault acted on.
	FaultsApplied int `json:"faults_applied"`
	// Meetings is the number of stored meetings.
	Meetings int `json:"meetings"`
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.TokenGrants = maps.Clone(s.stats.TokenGrants)
	st.Meetings = len(s.meetings)
	return st
}

func (s *Server) controlRoutes(m *http.ServeMux) {
	m.HandleFunc("GET "+controlPrefix+"healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	m.HandleFunc("POST "+controlPrefix+"faults", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if err := decodeControl(r, &f); err != nil {
			controlError(w, err)
			return
		}
		s.InjectFault(f)
		writeJSON(w, http.StatusCreated, map[string]any{"status": "queued", "pending": len(s.Faults())})
	})
	m.HandleFunc("GET "+controlPrefix+"faults", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Faults())
	})
	m.HandleFunc("DELETE "+controlPrefix+"faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET "+controlPrefix+"requests", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Requests())
	})
	m.HandleFunc("DELETE "+controlPrefix+"requests", func(w http.ResponseWriter, r *http.Request) {
		s.ResetRequests()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET "+controlPrefix+"clock", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"now": s.now().UTC().Format(time.RFC3339Nano)})
	})
	m.HandleFunc("POST "+controlPrefix+"clock", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Advance string `json:"advance"`
		}
		if err := decodeControl(r, &req); err != nil {
			controlError(w, err)
			return
		}
		d, err := time.ParseDuration(req.Advance)
		if err != nil || d < 0 {
			controlError(w, fmt.Errorf("advance %q is not a non-negative duration such as \"2h\"", req.Advance))
			return
		}
		s.Advance(d)
		writeJSON(w, http.StatusOK, map[string]string{"now": s.now().UTC().Format(time.RFC3339Nano)})
	})
	m.HandleFunc("POST "+controlPrefix+"tokens", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			App string `json:"app"`
			TTL string `json:"ttl"`
		}
		if err := decodeControl(r, &req); err != nil {
			controlError(w, err)
			return
		}
		var ttl time.Duration
		if req.TTL != "" {
			d, err := time.ParseDuration(req.TTL)
			if err != nil || d <= 0 {
				controlError(w, fmt.Errorf("ttl %q is not a positive duration such as \"1h\"", req.TTL))
				return
			}
			ttl = d
		}
		tok, err := s.MintAccessToken(req.App, ttl)
		if err != nil {
			controlError(w, err)
			return
		}
		a := s.findApp(req.App)
		if ttl == 0 {
			ttl = s.cfg.AccessTokenTTL
			if a.Kind == AppServerToServer {
				ttl = s.cfg.S2SAccessTokenTTL
			}
		}
		writeJSON(w, http.StatusOK, tokenResponse{AccessToken: tok, TokenType: "bearer", ExpiresIn: int64(ttl / time.Second),
			Scope: strings.Join(a.Scopes, " "), APIURL: s.baseURL(r)})
	})
	m.HandleFunc("POST "+controlPrefix+"revoke", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Token string `json:"token"`
		}
		if err := decodeControl(r, &req); err != nil {
			controlError(w, err)
			return
		}
		s.RevokeToken(req.Token)
		writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
	})
	m.HandleFunc("GET "+controlPrefix+"stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	m.HandleFunc(controlPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such sandbox control: " + r.Method + " " + r.URL.Path +
			"; see POST/GET/DELETE faults, GET/DELETE requests, GET/POST clock, POST tokens, POST revoke, GET stats, GET healthz"})
	})
}

func decodeControl(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the control request body is not the expected JSON object: %w", err)
	}
	return nil
}

func controlError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, ErrUnknownApp) {
		status = http.StatusNotFound
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}
