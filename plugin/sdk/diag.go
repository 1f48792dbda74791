package sdk

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Severity says whether a diagnostic fails the call or only warns.
type Severity int

// Severities.
const (
	SeverityError Severity = iota + 1
	SeverityWarning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	default:
		return "unspecified"
	}
}

// MarshalText renders "error" or "warning" in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Kind classifies a failure so that a host can decide what to do with it:
// retry, ask the user to reconnect, or show a configuration error.
type Kind int

// Kinds of failure.
const (
	KindUnspecified Kind = iota
	// KindConfig: the user's input or configuration is wrong.
	KindConfig
	// KindAuth: the credential was rejected.
	KindAuth
	// KindRateLimited: the service throttled the call.
	KindRateLimited
	// KindTransient: a passing failure; a retry may succeed.
	KindTransient
	// KindNotFound: the object does not exist.
	KindNotFound
	// KindSystem: a bug or an unexpected answer.
	KindSystem
)

var kindNames = [...]string{"unspecified", "config", "auth", "rate-limited", "transient", "not-found", "system"}

// String returns the kind's name as users see it, e.g. "rate-limited".
func (k Kind) String() string {
	if int(k) >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText renders the kind's name in JSON.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Path names a parameter or property, e.g. additionalFields.settings.audio.
// Each step is a string (attribute name or map key) or an int (list index).
type Path []PathStep

// PathStep is one step of a Path: exactly one of Name or Index is meaningful.
type PathStep struct {
	Name    string
	Index   int
	IsIndex bool
}

// ParsePath turns "a.b[2].c" into a Path.
func ParsePath(s string) Path {
	if s == "" {
		return nil
	}
	var p Path
	for _, part := range strings.Split(s, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			p = append(p, PathStep{Name: name})
		}
		for rest != "" {
			idx, after, _ := strings.Cut(rest, "]")
			if n, err := strconv.Atoi(idx); err == nil {
				p = append(p, PathStep{Index: n, IsIndex: true})
			} else {
				p = append(p, PathStep{Name: idx})
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return p
}

// MarshalText renders the path as a.b[2].c in JSON.
func (p Path) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// String renders the path as a.b[2].c.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		switch {
		case s.IsIndex:
			fmt.Fprintf(&b, "[%d]", s.Index)
		case i == 0:
			b.WriteString(s.Name)
		default:
			b.WriteString(".")
			b.WriteString(s.Name)
		}
	}
	return b.String()
}

// NoItem is the ItemIndex of a diagnostic that is not about one item.
const NoItem = -1

// Diagnostic is a user-facing problem in the style of Terraform's
// diagnostics: a one-sentence summary, a detail that says what to do, and
// the attribute and item at fault.
type Diagnostic struct {
	Severity  Severity `json:"severity"`
	Summary   string   `json:"summary"`
	Detail    string   `json:"detail,omitempty"`
	Attribute Path     `json:"attribute,omitempty"`
	// ItemIndex is the input item at fault, or NoItem.
	ItemIndex int  `json:"itemIndex"`
	Kind      Kind `json:"kind"`
	// Code is a stable machine-readable code, e.g. "zoom.meeting_not_found".
	Code string `json:"code,omitempty"`
}

// Error makes a Diagnostic usable as an error value.
func (d *Diagnostic) Error() string {
	var b strings.Builder
	b.WriteString(d.Summary)
	if len(d.Attribute) > 0 {
		fmt.Fprintf(&b, " (parameter %q)", d.Attribute.String())
	}
	if d.Detail != "" {
		b.WriteString(": ")
		b.WriteString(d.Detail)
	}
	return b.String()
}

// Errorf returns an error diagnostic of the given kind, not tied to an item.
func Errorf(kind Kind, summary, detailFormat string, args ...any) *Diagnostic {
	return &Diagnostic{Severity: SeverityError, Kind: kind, Summary: summary, Detail: fmt.Sprintf(detailFormat, args...), ItemIndex: NoItem}
}

// AttributeError returns a configuration error about one parameter.
func AttributeError(path, summary, detail string) *Diagnostic {
	return &Diagnostic{Severity: SeverityError, Kind: KindConfig, Summary: summary, Detail: detail, Attribute: ParsePath(path), ItemIndex: NoItem}
}

// AsDiagnostic returns err as a Diagnostic: the one it wraps if any, else a
// system error carrying err's message.
func AsDiagnostic(err error) *Diagnostic {
	var d *Diagnostic
	if errors.As(err, &d) {
		c := *d
		return &c
	}
	return &Diagnostic{Severity: SeverityError, Kind: KindSystem, Summary: "Unexpected error", Detail: err.Error(), ItemIndex: NoItem}
}

// Diagnostics is a list of diagnostics with small verbs, value semantics.
type Diagnostics []Diagnostic

// Append adds diagnostics, skipping exact duplicates.
func (ds *Diagnostics) Append(more ...Diagnostic) {
	for _, d := range more {
		dup := false
		for _, e := range *ds {
			if e.Severity == d.Severity && e.Kind == d.Kind && e.Code == d.Code && e.Summary == d.Summary &&
				e.Detail == d.Detail && e.ItemIndex == d.ItemIndex && e.Attribute.String() == d.Attribute.String() {
				dup = true
				break
			}
		}
		if !dup {
			*ds = append(*ds, d)
		}
	}
}

// AddError appends an error diagnostic.
func (ds *Diagnostics) AddError(kind Kind, summary, detail string) {
	ds.Append(Diagnostic{Severity: SeverityError, Kind: kind, Summary: summary, Detail: detail, ItemIndex: NoItem})
}

// AddWarning appends a warning.
func (ds *Diagnostics) AddWarning(summary, detail string) {
	ds.Append(Diagnostic{Severity: SeverityWarning, Summary: summary, Detail: detail, ItemIndex: NoItem})
}

// HasError reports whether any diagnostic is an error.
func (ds Diagnostics) HasError() bool {
	for _, d := range ds {
		if d.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Errors returns only the error diagnostics.
func (ds Diagnostics) Errors() Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// Err returns the first error diagnostic as an error, or nil.
func (ds Diagnostics) Err() error {
	for i := range ds {
		if ds[i].Severity == SeverityError {
			d := ds[i]
			return &d
		}
	}
	return nil
}
