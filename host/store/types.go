package store

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
)

// redacted replaces a secret value wherever a value would be printed.
const redacted = "[REDACTED]"

// Status is the connection state of a credential.
type Status string

// Credential statuses.
const (
	// StatusNew: created, no token obtained yet.
	StatusNew Status = "new"
	// StatusConnected: a token was obtained and the last refresh succeeded.
	StatusConnected Status = "connected"
	// StatusNeedsReconnect: the provider rejected the refresh token (or the
	// credential otherwise needs the user to run the connect flow again).
	StatusNeedsReconnect Status = "needs_reconnect"
)

// valid reports whether s is one of the known statuses.
func (s Status) valid() bool {
	switch s {
	case StatusNew, StatusConnected, StatusNeedsReconnect:
		return true
	}
	return false
}

// Credential is a stored credential. Data and Token hold secrets in memory
// only; in the database each is one encrypted blob. Printing a Credential
// (fmt, slog, encoding/json) never shows Data values or token secrets.
type Credential struct {
	// ID is a random identifier (16 hex characters), assigned by
	// CreateCredential when empty.
	ID string
	// Name is unique and chosen by the user.
	Name string
	// Type is the credential type name, e.g. "zoomOAuth2Api".
	Type string
	// Data holds every property the user entered, secrets included.
	Data map[string]any
	// Token is nil until the credential is connected or a token fetched.
	Token *Token
	// Status is the connection state.
	Status Status
	// StatusMessage explains Status (e.g. why a reconnect is needed).
	StatusMessage string
	// CreatedAt and UpdatedAt are maintained by the store.
	CreatedAt, UpdatedAt time.Time
}

// Token is an OAuth2 token as the host keeps it. Printing a Token (fmt, slog,
// encoding/json) never shows the access or refresh token.
type Token struct {
	// AccessToken is the bearer token (secret).
	AccessToken string
	// RefreshToken is the refresh token (secret); empty when none was issued.
	RefreshToken string
	// TokenType is the token type as returned, e.g. "bearer".
	TokenType string
	// Expiry is when the access token expires; zero means unknown.
	Expiry time.Time
	// Scope is the granted scope, space separated, as returned.
	Scope string
	// Extra holds non-secret fields of the token response, e.g. "api_url".
	Extra map[string]string
	// ObtainedAt is when the host obtained this access token.
	ObtainedAt time.Time
}

// Clone returns a deep copy of t (nil for nil).
func (t *Token) Clone() *Token {
	if t == nil {
		return nil
	}
	c := *t
	c.Extra = maps.Clone(t.Extra)
	return &c
}

// secretMark shows whether a secret is set without showing it.
func secretMark(s string) string {
	if s == "" {
		return `""`
	}
	return redacted
}

// String describes the token with its secrets redacted.
func (t Token) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Token{AccessToken:%s RefreshToken:%s TokenType:%q Expiry:%s Scope:%q Extra:%v ObtainedAt:%s}",
		secretMark(t.AccessToken), secretMark(t.RefreshToken), t.TokenType, fmtTime(t.Expiry), t.Scope, sortedExtra(t.Extra), fmtTime(t.ObtainedAt))
	return b.String()
}

// GoString is String for %#v.
func (t Token) GoString() string { return "store." + t.String() }

// Format prints the redacted form for every verb.
func (t Token) Format(f fmt.State, verb rune) { formatRedacted(f, verb, t) }

// LogValue shows non-secret fields only.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("access_token", secretMark(t.AccessToken)),
		slog.String("refresh_token", secretMark(t.RefreshToken)),
		slog.String("token_type", t.TokenType),
		slog.Time("expiry", t.Expiry),
		slog.String("scope", t.Scope),
		slog.Time("obtained_at", t.ObtainedAt),
	)
}

// MarshalJSON encodes the token with its secrets redacted. (The store
// persists tokens through a private encoding, not this one.)
func (t Token) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		AccessToken  string            `json:"access_token"`
		RefreshToken string            `json:"refresh_token"`
		TokenType    string            `json:"token_type,omitempty"`
		Expiry       *time.Time        `json:"expiry,omitempty"`
		Scope        string            `json:"scope,omitempty"`
		Extra        map[string]string `json:"extra,omitempty"`
		ObtainedAt   *time.Time        `json:"obtained_at,omitempty"`
	}{secretMark(t.AccessToken), secretMark(t.RefreshToken), t.TokenType, timePtr(t.Expiry), t.Scope, t.Extra, timePtr(t.ObtainedAt)})
}

// String describes the credential; Data values and token secrets are redacted.
func (c Credential) String() string {
	tok := "nil"
	if c.Token != nil {
		tok = c.Token.String()
	}
	return fmt.Sprintf("Credential{ID:%q Name:%q Type:%q Data:%s Token:%s Status:%s StatusMessage:%q CreatedAt:%s UpdatedAt:%s}",
		c.ID, c.Name, c.Type, redactedData(c.Data), tok, c.Status, c.StatusMessage, fmtTime(c.CreatedAt), fmtTime(c.UpdatedAt))
}

// GoString is String for %#v.
func (c Credential) GoString() string { return "store." + c.String() }

// Format prints the redacted form for every verb.
func (c Credential) Format(f fmt.State, verb rune) { formatRedacted(f, verb, c) }

// LogValue shows identifying, non-secret fields only.
func (c Credential) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("id", c.ID),
		slog.String("name", c.Name),
		slog.String("type", c.Type),
		slog.String("status", string(c.Status)),
	}
	if c.Token != nil {
		attrs = append(attrs, slog.Time("token_expiry", c.Token.Expiry))
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON encodes the credential with Data values and token secrets
// redacted (Data keys are kept).
func (c Credential) MarshalJSON() ([]byte, error) {
	data := make(map[string]string, len(c.Data))
	for k := range c.Data {
		data[k] = redacted
	}
	return json.Marshal(struct {
		ID            string            `json:"id"`
		Name          string            `json:"name"`
		Type          string            `json:"type"`
		Data          map[string]string `json:"data"`
		Token         *Token            `json:"token,omitempty"`
		Status        Status            `json:"status"`
		StatusMessage string            `json:"status_message,omitempty"`
		CreatedAt     time.Time         `json:"created_at"`
		UpdatedAt     time.Time         `json:"updated_at"`
	}{c.ID, c.Name, c.Type, data, c.Token, c.Status, c.StatusMessage, c.CreatedAt, c.UpdatedAt})
}

// formatRedacted implements fmt.Formatter for the redacting types: %#v uses
// GoString, every other verb String, so no verb reaches a secret field.
func formatRedacted(f fmt.State, verb rune, v interface {
	fmt.Stringer
	fmt.GoStringer
}) {
	if verb == 'v' && f.Flag('#') {
		io.WriteString(f, v.GoString())
		return
	}
	io.WriteString(f, v.String())
}

// redactedData lists the keys of m with their values redacted.
func redactedData(m map[string]any) string {
	if m == nil {
		return "map[]"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + redacted
	}
	return "map[" + strings.Join(parts, " ") + "]"
}

// sortedExtra prints the (non-secret) extra fields in key order.
func sortedExtra(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ":" + m[k]
	}
	return "map[" + strings.Join(parts, " ") + "]"
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return t.Format(time.RFC3339)
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ExecStatus is the state of a workflow execution.
type ExecStatus string

// Execution statuses.
const (
	ExecRunning  ExecStatus = "running"
	ExecSuccess  ExecStatus = "success"
	ExecError    ExecStatus = "error"
	ExecCanceled ExecStatus = "canceled"
)

// valid reports whether s is one of the known execution statuses.
func (s ExecStatus) valid() bool {
	switch s {
	case ExecRunning, ExecSuccess, ExecError, ExecCanceled:
		return true
	}
	return false
}

// Execution is one run of a workflow.
type Execution struct {
	// ID is assigned by CreateExecution.
	ID           int64
	WorkflowID   string
	WorkflowName string
	// WorkflowFile is the path the workflow was loaded from, if any.
	WorkflowFile string
	// Mode says how the run was started, e.g. "manual", "cli", "trigger".
	Mode   string
	Status ExecStatus
	// StartedAt is set by CreateExecution when zero; FinishedAt is zero
	// while the execution runs.
	StartedAt, FinishedAt time.Time
	// Error is the failure message of an execution that ended in error.
	Error string
	// HostPID is the process running the execution (0: not recorded).
	HostPID int
}

// NodeRun is the record of one node's run inside an execution.
type NodeRun struct {
	NodeName, NodeType    string
	StartedAt, FinishedAt time.Time
	Status                string
	// Items are the node's output items as JSON, stored as given (items never
	// hold secrets). Nil when the node produced no output.
	Items json.RawMessage
	Error string
}
