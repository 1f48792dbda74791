package zoomsandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Default values applied by [New] to a zero [Config].
const (
	DefaultAccessTokenTTL     = 3599 * time.Second
	DefaultS2SAccessTokenTTL  = 3600 * time.Second
	DefaultRefreshTokenTTL    = 90 * 24 * time.Hour
	DefaultCodeTTL            = 5 * time.Minute
	DefaultDailyMeetingWrites = 100
	DefaultMaxOccurrences     = 50
	DefaultMeetingExpiry      = 30 * 24 * time.Hour
	pageTokenTTL              = 15 * time.Minute
	maxBodyBytes              = 1 << 20
	maxRecordedRequests       = 10000
)

// Config configures a [Server]. The zero value is usable: it plays the default
// user with the default apps of [DefaultApps].
type Config struct {
	// BaseURL is the public base URL of the sandbox, e.g. "http://127.0.0.1:9901",
	// without a trailing slash. It is returned as api_url in token responses and
	// is the host of join_url/start_url. Empty means: derive it from each
	// request's Host header.
	BaseURL string
	// Apps are the registered Marketplace apps. Empty means [DefaultApps].
	Apps []App
	// User is the one Zoom user (meeting host) the sandbox plays. Zero fields
	// get the defaults of [DefaultUser].
	User User
	// AccessTokenTTL is the lifetime (expires_in) of user-OAuth access tokens;
	// default 3599s.
	AccessTokenTTL time.Duration
	// S2SAccessTokenTTL is the lifetime of Server-to-Server tokens; default 3600s.
	S2SAccessTokenTTL time.Duration
	// RefreshTokenTTL is the lifetime of each refresh token; default 90 days.
	RefreshTokenTTL time.Duration
	// CodeTTL is the lifetime of an authorization code (single use); default 5 min.
	CodeTTL time.Duration
	// RefreshGrace is how long a rotated refresh token (and the access token
	// issued with it) keeps working after a refresh. 0 = invalid at once.
	RefreshGrace time.Duration
	// RateLimitPerSecond is the per-second request limit for each rate-limit
	// label (Light, Medium); 0 switches QPS limiting off.
	RateLimitPerSecond int
	// DailyMeetingWrites is the number of meeting create+update requests a host
	// may make per UTC day; 0 means 100, negative means unlimited.
	DailyMeetingWrites int
	// MeetingExpiry is how long after its start a one-off scheduled or instant
	// meeting expires (404 and hidden from lists); 0 means 30 days, negative never.
	MeetingExpiry time.Duration
	// Quirks selects between the readings of behaviours the reference marks as
	// uncertain. The zero value is the stricter reading (see Quirks).
	Quirks Quirks
	// Now is the clock; default time.Now. [Server.Advance] adds an offset to it.
	Now func() time.Time
	// Rand is the source of every generated identifier, token and passcode;
	// default crypto/rand. Pass a seeded reader for deterministic output.
	Rand io.Reader
	// Logger receives one line per request (method, path, status); optional.
	// Tokens, codes and secrets are never logged.
	Logger *slog.Logger
}

// Quirks holds the knobs for behaviours that Zoom's documentation leaves open.
// The zero value is the stricter reading, except for two lenient defaults the
// reference itself recommends: client credentials are also accepted as
// parameters, and deletes do not count toward the daily write limit.
type Quirks struct {
	// RefreshTokenError is the OAuth "error" value for an old, rotated, revoked
	// or unknown refresh token; default "invalid_grant" (forum posts also show
	// "invalid_request").
	RefreshTokenError string
	// InvalidClientStatus is the HTTP status for a wrong client ID or secret;
	// default 401.
	InvalidClientStatus int
	// ScopeErrorStatus is the HTTP status of the 4711 missing-scope error;
	// default 400 (one report says 401).
	ScopeErrorStatus int
	// RejectBodyClientCredentials makes the token and revoke endpoints accept
	// only HTTP Basic client authentication. By default client_id and
	// client_secret may also be sent as parameters.
	RejectBodyClientCredentials bool
	// KeepAccessTokenOnRefresh lets the access token issued with a refresh
	// token live until its own expiry after that refresh token is used. By
	// default it dies with the rotation (after RefreshGrace).
	KeepAccessTokenOnRefresh bool
	// MaxOccurrences caps the occurrences of a recurring meeting and the
	// accepted recurrence.end_times; default 50 (the spec's end_times allows 60).
	MaxOccurrences int
	// ClampPageSize answers a page_size above 300 with 300 records instead of
	// error 300.
	ClampPageSize bool
	// OmitLastPageToken leaves next_page_token out of the last page instead of
	// sending "".
	OmitLastPageToken bool
	// CountDeletesAsWrites counts meeting deletes toward DailyMeetingWrites.
	CountDeletesAsWrites bool
	// MaxS2STokens, when positive, revokes an app's oldest Server-to-Server
	// tokens once it holds more than this many live ones.
	MaxS2STokens int
}

// AppKind is the type of a Marketplace app.
type AppKind string

// The app kinds the sandbox supports.
const (
	// AppUserOAuth is a General (user-managed) OAuth app: authorization code
	// grant with refresh tokens. It is the zero value's meaning.
	AppUserOAuth AppKind = "user_oauth"
	// AppServerToServer is a Server-to-Server OAuth app: account_credentials
	// grant, no refresh token.
	AppServerToServer AppKind = "server_to_server"
)

// App is a registered Marketplace app.
type App struct {
	// Name labels the app; MintAccessToken accepts it as well as ClientID.
	Name string
	// ClientID and ClientSecret are the app's credentials.
	ClientID     string
	ClientSecret string
	// Kind is AppUserOAuth (the default when empty) or AppServerToServer.
	Kind AppKind
	// AccountID is the account an S2S app belongs to; default the user's account.
	AccountID string
	// RedirectURIs is the allow-list for /oauth/authorize. A loopback http URI
	// (127.0.0.1, localhost, [::1]) matches any port with the same host and
	// path (RFC 8252 §7.3); anything else must match exactly.
	RedirectURIs []string
	// Scopes are the scopes the app was configured with; every token issued to
	// the app carries them.
	Scopes []string
}

// String describes the app without its secret.
func (a App) String() string {
	return fmt.Sprintf("zoomsandbox.App{Name:%q ClientID:%q Kind:%s}", a.Name, a.ClientID, a.Kind)
}

// GoString is String, so %#v does not print the secret.
func (a App) GoString() string { return a.String() }

// MarshalJSON writes the app with its client secret redacted.
func (a App) MarshalJSON() ([]byte, error) {
	type plain App
	p := plain(a)
	if p.ClientSecret != "" {
		p.ClientSecret = "<redacted>"
	}
	return json.Marshal(p)
}

// LogValue keeps the secret out of structured logs.
func (a App) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", a.Name), slog.String("client_id", a.ClientID), slog.String("kind", string(a.Kind)))
}

// User is the Zoom user the sandbox plays. Zero fields get defaults.
type User struct {
	ID        string
	Email     string
	FirstName string
	LastName  string
	// Timezone is the IANA zone used for local start times sent without a
	// timezone; default "UTC".
	Timezone  string
	AccountID string
	PMI       int64
	// Type is the plan type: 1 Basic, 2 Licensed (default).
	Type int
	// PasscodeOptional turns off the "require a passcode" user setting, so no
	// passcode is generated for meetings created without one.
	PasscodeOptional bool
	// CreatedAt is the account creation time; default 2024-01-01T00:00:00Z.
	CreatedAt time.Time
}

// DefaultUser returns the user the sandbox plays when Config.User is zero.
func DefaultUser() User {
	return User{
		ID:        "SbxHostUser0Sandbox0Id",
		Email:     "sandbox.host@example.test",
		FirstName: "Sandbox",
		LastName:  "Host",
		Timezone:  "UTC",
		AccountID: DefaultAccountID,
		PMI:       7405550123,
		Type:      2,
		CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func (u User) withDefaults() User {
	d := DefaultUser()
	if u.ID == "" {
		u.ID = d.ID
	}
	if u.Email == "" {
		u.Email = d.Email
	}
	if u.FirstName == "" && u.LastName == "" {
		u.FirstName, u.LastName = d.FirstName, d.LastName
	}
	if u.Timezone == "" {
		u.Timezone = d.Timezone
	}
	if u.AccountID == "" {
		u.AccountID = d.AccountID
	}
	if u.PMI == 0 {
		u.PMI = d.PMI
	}
	if u.Type == 0 {
		u.Type = d.Type
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = d.CreatedAt
	}
	return u
}

// Server is the Zoom sandbox. It implements [http.Handler]; create it with [New].
type Server struct {
	cfg    Config
	quirks Quirks
	user   User
	userTZ *time.Location
	apps   map[string]*App // by client ID
	appSeq []*App
	log    *slog.Logger
	mux    *http.ServeMux

	offset atomic.Int64 // clock offset in nanoseconds, see Advance

	randMu sync.Mutex
	rnd    io.Reader

	mu         sync.Mutex
	codes      map[string]*authCode
	tokens     map[string]*token
	grants     []*grant
	s2sTokens  map[string][]*token // by client ID
	meetings   map[int64]*meeting
	meetingSeq int64
	pageTokens map[string]*pageToken
	writes     map[string]int // host ID + UTC day
	qps        map[string]*qpsWindow
	faults     []*Fault
	requests   []RecordedRequest
	stats      Stats
}

// New validates cfg, fills in defaults and returns a ready Server.
func New(cfg Config) (*Server, error) {
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("zoomsandbox: Config.BaseURL %q is not an absolute http(s) URL: give e.g. \"http://127.0.0.1:9901\"", cfg.BaseURL)
		}
		cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if cfg.S2SAccessTokenTTL <= 0 {
		cfg.S2SAccessTokenTTL = DefaultS2SAccessTokenTTL
	}
	if cfg.RefreshTokenTTL <= 0 {
		cfg.RefreshTokenTTL = DefaultRefreshTokenTTL
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = DefaultCodeTTL
	}
	if cfg.RefreshGrace < 0 {
		return nil, errors.New("zoomsandbox: Config.RefreshGrace is negative: use 0 for no grace")
	}
	if cfg.RateLimitPerSecond < 0 {
		return nil, errors.New("zoomsandbox: Config.RateLimitPerSecond is negative: use 0 to switch limiting off")
	}
	if cfg.DailyMeetingWrites == 0 {
		cfg.DailyMeetingWrites = DefaultDailyMeetingWrites
	}
	if cfg.MeetingExpiry == 0 {
		cfg.MeetingExpiry = DefaultMeetingExpiry
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	q := cfg.Quirks
	if q.RefreshTokenError == "" {
		q.RefreshTokenError = "invalid_grant"
	}
	if q.InvalidClientStatus == 0 {
		q.InvalidClientStatus = http.StatusUnauthorized
	}
	if q.ScopeErrorStatus == 0 {
		q.ScopeErrorStatus = http.StatusBadRequest
	}
	if q.MaxOccurrences <= 0 {
		q.MaxOccurrences = DefaultMaxOccurrences
	}
	user := cfg.User.withDefaults()
	loc, err := loadZone(user.Timezone)
	if err != nil {
		return nil, fmt.Errorf("zoomsandbox: Config.User.Timezone %q is not an IANA zone name (e.g. \"Europe/Berlin\"): %w", user.Timezone, err)
	}
	if len(cfg.Apps) == 0 {
		cfg.Apps = DefaultApps()
	}
	s := &Server{
		cfg:        cfg,
		quirks:     q,
		user:       user,
		userTZ:     loc,
		apps:       make(map[string]*App, len(cfg.Apps)),
		log:        cfg.Logger,
		rnd:        cfg.Rand,
		codes:      map[string]*authCode{},
		tokens:     map[string]*token{},
		s2sTokens:  map[string][]*token{},
		meetings:   map[int64]*meeting{},
		pageTokens: map[string]*pageToken{},
		writes:     map[string]int{},
		qps:        map[string]*qpsWindow{},
		stats:      Stats{TokenGrants: map[string]int{}},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	for i := range cfg.Apps {
		a := cfg.Apps[i] // copy
		if err := s.addApp(&a); err != nil {
			return nil, err
		}
	}
	s.routes()
	return s, nil
}

func (s *Server) addApp(a *App) error {
	if a.ClientID == "" || a.ClientSecret == "" {
		return fmt.Errorf("zoomsandbox: app %q needs both ClientID and ClientSecret", a.Name)
	}
	if _, dup := s.apps[a.ClientID]; dup {
		return fmt.Errorf("zoomsandbox: two apps share ClientID %q: give each app its own", a.ClientID)
	}
	if a.Kind == "" {
		a.Kind = AppUserOAuth
	}
	switch a.Kind {
	case AppUserOAuth:
		if len(a.RedirectURIs) == 0 {
			return fmt.Errorf("zoomsandbox: user OAuth app %q has no RedirectURIs: add at least one allowed redirect URI", a.Name)
		}
		for _, ru := range a.RedirectURIs {
			u, err := url.Parse(ru)
			if err != nil || u.Scheme == "" || u.Host == "" {
				return fmt.Errorf("zoomsandbox: app %q redirect URI %q is not an absolute URL", a.Name, ru)
			}
		}
	case AppServerToServer:
		if a.AccountID == "" {
			a.AccountID = s.user.AccountID
		}
	default:
		return fmt.Errorf("zoomsandbox: app %q has unknown Kind %q: use AppUserOAuth or AppServerToServer", a.Name, a.Kind)
	}
	if a.Name == "" {
		a.Name = a.ClientID
	}
	a.Scopes = append([]string(nil), a.Scopes...)
	a.RedirectURIs = append([]string(nil), a.RedirectURIs...)
	s.apps[a.ClientID] = a
	s.appSeq = append(s.appSeq, a)
	return nil
}

// findApp finds an app by client ID or name.
func (s *Server) findApp(nameOrID string) *App {
	if a := s.apps[nameOrID]; a != nil {
		return a
	}
	for _, a := range s.appSeq {
		if a.Name == nameOrID {
			return a
		}
	}
	return nil
}

// String describes the sandbox without the tokens and secrets it holds.
func (s *Server) String() string {
	return fmt.Sprintf("zoomsandbox.Server{BaseURL:%q Apps:%d User:%q}", s.cfg.BaseURL, len(s.appSeq), s.user.ID)
}

// GoString is String, so %#v does not dump tokens.
func (s *Server) GoString() string { return s.String() }

// now is the sandbox clock: Config.Now plus the Advance offset.
func (s *Server) now() time.Time {
	return s.cfg.Now().Add(time.Duration(s.offset.Load()))
}

// baseURL is Config.BaseURL or, when that is empty, the request's origin.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return s.cfg.BaseURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.handleIndex)

	m.HandleFunc("GET /oauth/authorize", s.handleAuthorize)
	m.HandleFunc("/oauth/token", s.handleToken)
	m.HandleFunc("/oauth/revoke", s.handleRevoke)

	s.api(m, "GET /v2/users/{userId}", labelLight, scopesGetUser, s.handleGetUser)
	s.api(m, "GET /v2/users/{userId}/meetings", labelMedium, scopesListMeetings, s.handleListMeetings)
	s.api(m, "POST /v2/users/{userId}/meetings", labelMedium, scopesCreateMeeting, s.handleCreateMeeting)
	s.api(m, "GET /v2/meetings/{meetingId}", labelLight, scopesGetMeeting, s.handleGetMeeting)
	s.api(m, "PATCH /v2/meetings/{meetingId}", labelLight, scopesUpdateMeeting, s.handleUpdateMeeting)
	s.api(m, "DELETE /v2/meetings/{meetingId}", labelLight, scopesDeleteMeeting, s.handleDeleteMeeting)
	m.HandleFunc("/v2/", s.handleAPINotFound)

	m.HandleFunc("GET /j/{meetingId}", s.handleJoinPage)
	m.HandleFunc("GET /s/{meetingId}", s.handleJoinPage)

	s.controlRoutes(m)
	s.mux = m
}

// ServeHTTP serves the OAuth endpoints, the /v2 API and the /_sandbox/ controls.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
	}()
	if strings.HasPrefix(r.URL.Path, controlPrefix) {
		s.mux.ServeHTTP(sw, r)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(sw, r.Body, maxBodyBytes))
	if err != nil {
		writeAPIError(sw, &apiError{Status: http.StatusRequestEntityTooLarge, Code: 300, Message: fmt.Sprintf("Request body could not be read or is larger than %d bytes.", maxBodyBytes)})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.record(r, body)
	if s.applyFault(sw, r) {
		return
	}
	s.mux.ServeHTTP(sw, r)
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer (Hijack).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	writeJSON(w, http.StatusOK, map[string]any{
		"service":       "nodeplug zoom sandbox",
		"authorize_url": base + "/oauth/authorize",
		"token_url":     base + "/oauth/token",
		"revoke_url":    base + "/oauth/revoke",
		"api_base_url":  base + "/v2",
		"controls":      base + controlPrefix,
	})
}

// apiError is the REST API's error body: {"code":..,"message":..,"errors":[..]}.
type apiError struct {
	Status  int          `json:"-"`
	Header  http.Header  `json:"-"`
	Code    int          `json:"code"`
	Message string       `json:"message"`
	Errors  []fieldError `json:"errors,omitempty"`
}

// fieldError is one entry of a 300 "Validation Failed." error.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	for k, vs := range e.Header {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Zoom does not escape &, < and > in URLs and topics
	b := []byte(`{"code":500,"message":"zoom sandbox could not encode its response."}`)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
	} else {
		b = bytes.TrimRight(buf.Bytes(), "\n")
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func errMeetingNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: 3001, Message: "Meeting does not exist: " + id + "."}
}

func errUserNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Code: 1001, Message: "User does not exist: " + id + "."}
}

func errInvalidParam(name string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: 300, Message: "Invalid parameter: " + name + "."}
}

func errNotJSONObject() *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: 300, Message: "Request Body should be a valid JSON object."}
}

func (s *Server) handleAPINotFound(w http.ResponseWriter, r *http.Request) {
	writeAPIError(w, &apiError{Status: http.StatusNotFound, Code: 404,
		Message: "The zoom sandbox does not serve " + r.Method + " " + r.URL.Path + ": it emulates users/{userId}, users/{userId}/meetings and meetings/{meetingId}."})
}
