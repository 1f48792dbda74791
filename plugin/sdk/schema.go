package sdk

import "encoding/json"

// PropertyType is the kind of a form field, as in n8n.
type PropertyType int

// Property types.
const (
	TypeUnspecified PropertyType = iota
	TypeString
	TypeNumber
	TypeBoolean
	TypeOptions
	TypeMultiOptions
	TypeCollection
	TypeFixedCollection
	TypeDateTime
	TypeJSON
	TypeNotice
)

var propertyTypeNames = [...]string{"unspecified", "string", "number", "boolean", "options", "multiOptions", "collection", "fixedCollection", "dateTime", "json", "notice"}

// String returns n8n's name of the type, e.g. "multiOptions".
func (t PropertyType) String() string {
	if int(t) >= 0 && int(t) < len(propertyTypeNames) {
		return propertyTypeNames[t]
	}
	return "unknown"
}

// MarshalText makes the type readable in JSON and golden files.
func (t PropertyType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Property is one field of a credential or node form.
type Property struct {
	Name        string       `json:"name"`
	DisplayName string       `json:"displayName"`
	Type        PropertyType `json:"type"`
	// Default is the JSON default value; nil when none.
	Default     json.RawMessage `json:"default,omitempty"`
	Required    bool            `json:"required,omitempty"`
	Secret      bool            `json:"secret,omitempty"`
	Hidden      bool            `json:"hidden,omitempty"`
	Description string          `json:"description,omitempty"`
	Placeholder string          `json:"placeholder,omitempty"`
	Hint        string          `json:"hint,omitempty"`
	Options     []Option        `json:"options,omitempty"`
	// Children are the optional fields of a collection.
	Children []Property `json:"children,omitempty"`
	// Groups are the named groups of a fixed collection.
	Groups            []PropertyGroup `json:"groups,omitempty"`
	DisplayOptions    *DisplayOptions `json:"displayOptions,omitempty"`
	LoadOptionsMethod string          `json:"loadOptionsMethod,omitempty"`
	NoDataExpression  bool            `json:"noDataExpression,omitempty"`
	MinValue          *float64        `json:"minValue,omitempty"`
	MaxValue          *float64        `json:"maxValue,omitempty"`
	MaxLength         int             `json:"maxLength,omitempty"`
	MultipleValues    bool            `json:"multipleValues,omitempty"`
}

// Option is one choice of an options property.
type Option struct {
	Name string `json:"name"`
	// Value is JSON: n8n options are strings or numbers.
	Value       json.RawMessage `json:"value"`
	Description string          `json:"description,omitempty"`
	Action      string          `json:"action,omitempty"`
}

// PropertyGroup is a named group of a fixed collection.
type PropertyGroup struct {
	Name        string     `json:"name"`
	DisplayName string     `json:"displayName"`
	Properties  []Property `json:"properties"`
}

// DisplayOptions: shown when every Show condition holds and no Hide one does.
type DisplayOptions struct {
	Show []Condition `json:"show,omitempty"`
	Hide []Condition `json:"hide,omitempty"`
}

// Condition holds when Property's value is one of Values (JSON).
type Condition struct {
	Property string            `json:"property"`
	Values   []json.RawMessage `json:"values"`
}

// ShowWhen is a shorthand for DisplayOptions{Show: [{property, values...}]}.
func ShowWhen(property string, values ...any) *DisplayOptions {
	return &DisplayOptions{Show: []Condition{{Property: property, Values: JSONValues(values...)}}}
}

// JSON encodes v, panicking on values that cannot be encoded (for literals in
// descriptions only).
func JSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic("sdk.JSON: " + err.Error())
	}
	return b
}

// JSONValues encodes each value with JSON.
func JSONValues(vs ...any) []json.RawMessage {
	out := make([]json.RawMessage, len(vs))
	for i, v := range vs {
		out[i] = JSON(v)
	}
	return out
}

// AuthKind says how the host obtains the token it hands the plugin.
type AuthKind int

// Auth kinds.
const (
	AuthUnspecified AuthKind = iota
	// AuthOAuth2AuthorizationCode: a user consents in the browser.
	AuthOAuth2AuthorizationCode
	// AuthOAuth2AccountCredentials: Zoom's Server-to-Server grant.
	AuthOAuth2AccountCredentials
	// AuthOAuth2ClientCredentials: the standard client credentials grant.
	AuthOAuth2ClientCredentials
	// AuthStaticBearer: a token entered by the user, never refreshed.
	AuthStaticBearer
)

var authKindNames = [...]string{"unspecified", "oauth2-authorization-code", "oauth2-account-credentials", "oauth2-client-credentials", "static-bearer"}

// String returns e.g. "oauth2-authorization-code".
func (k AuthKind) String() string {
	if int(k) >= 0 && int(k) < len(authKindNames) {
		return authKindNames[k]
	}
	return "unknown"
}

// MarshalText makes the kind readable in JSON.
func (k AuthKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// ClientAuth says how an OAuth2 client authenticates at the token endpoint.
type ClientAuth int

// Client authentication styles.
const (
	ClientAuthUnspecified ClientAuth = iota
	ClientAuthHeader                 // HTTP Basic
	ClientAuthBody                   // form fields
)

// MarshalText renders "header" or "body".
func (c ClientAuth) MarshalText() ([]byte, error) {
	switch c {
	case ClientAuthHeader:
		return []byte("header"), nil
	case ClientAuthBody:
		return []byte("body"), nil
	}
	return []byte("unspecified"), nil
}

// AuthScheme describes how a credential type authenticates.
type AuthScheme struct {
	Kind   AuthKind    `json:"kind"`
	OAuth2 *OAuth2Spec `json:"oauth2,omitempty"`
	// TokenProperty names the secret property holding a static token.
	TokenProperty string `json:"tokenProperty,omitempty"`
}

// OAuth2Spec gives the default endpoints and the properties that hold the
// client's ID, secret and scopes.
type OAuth2Spec struct {
	AuthorizeURL         string     `json:"authorizeUrl,omitempty"`
	TokenURL             string     `json:"tokenUrl"`
	DefaultScopes        []string   `json:"defaultScopes,omitempty"`
	ClientAuth           ClientAuth `json:"clientAuth"`
	PKCE                 bool       `json:"pkce,omitempty"`
	ClientIDProperty     string     `json:"clientIdProperty"`
	ClientSecretProperty string     `json:"clientSecretProperty"`
	ScopeProperty        string     `json:"scopeProperty,omitempty"`
}

// CredentialType describes a kind of credential.
type CredentialType struct {
	Name              string     `json:"name"`
	DisplayName       string     `json:"displayName"`
	Description       string     `json:"description,omitempty"`
	DocumentationURL  string     `json:"documentationUrl,omitempty"`
	DeprecationNotice string     `json:"deprecationNotice,omitempty"`
	Extends           []string   `json:"extends,omitempty"`
	Properties        []Property `json:"properties"`
	Auth              AuthScheme `json:"auth"`
}

// Property returns the named top-level property.
func (c *CredentialType) Property(name string) (Property, bool) {
	for _, p := range c.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}

// NodeCredential says which credential type a node needs and when.
type NodeCredential struct {
	Name           string          `json:"name"`
	Required       bool            `json:"required,omitempty"`
	DisplayOptions *DisplayOptions `json:"displayOptions,omitempty"`
}

// NodeType describes a node in n8n's model.
type NodeType struct {
	// Name is the short name within the plugin, e.g. "zoom".
	Name string `json:"name"`
	// Aliases are full type names the node answers to, e.g. "n8n-nodes-base.zoom".
	Aliases          []string         `json:"aliases,omitempty"`
	DisplayName      string           `json:"displayName"`
	Description      string           `json:"description,omitempty"`
	Versions         []float64        `json:"versions"`
	Subtitle         string           `json:"subtitle,omitempty"`
	Group            []string         `json:"group,omitempty"`
	DocumentationURL string           `json:"documentationUrl,omitempty"`
	Icon             string           `json:"icon,omitempty"`
	DefaultName      string           `json:"defaultName,omitempty"`
	Inputs           []string         `json:"inputs"`
	Outputs          []string         `json:"outputs"`
	Credentials      []NodeCredential `json:"credentials,omitempty"`
	Properties       []Property       `json:"properties"`
}

// SupportsVersion reports whether v is one of the node's versions.
func (n *NodeType) SupportsVersion(v float64) bool {
	for _, have := range n.Versions {
		if have == v {
			return true
		}
	}
	return false
}

// Property returns the named top-level property.
func (n *NodeType) Property(name string) (Property, bool) {
	for _, p := range n.Properties {
		if p.Name == name {
			return p, true
		}
	}
	return Property{}, false
}
