package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ProtocolVersion is the version of the nodeplug protocol this package
// speaks; it is also the go-plugin protocol version.
const ProtocolVersion = 1

// Capability is an optional feature a plugin serves.
type Capability int

// Capabilities.
const (
	CapabilityCredentialTest Capability = iota + 1
	CapabilityLoadOptions
	CapabilityExecute
	CapabilityTokenRefreshCallback
)

// Metadata is what a plugin says about itself.
type Metadata struct {
	Name            string       `json:"name"`
	Version         string       `json:"version"`
	ProtocolVersion int          `json:"protocolVersion"`
	Capabilities    []Capability `json:"capabilities,omitempty"`
	CredentialTypes []string     `json:"credentialTypes"`
	NodeTypes       []string     `json:"nodeTypes"`
}

// Credential is a credential as a plugin receives it with a call: its public
// properties and an access token obtained by the host. It never holds a
// client secret or a refresh token.
type Credential struct {
	// ID is the host's handle for the credential.
	ID   string
	Type string
	Name string
	// Data is a JSON object of the credential's non-secret properties.
	Data        json.RawMessage
	AccessToken string
	// ExpiresAt is zero when unknown.
	ExpiresAt time.Time
	// TokenInfo holds non-secret fields of the token response, e.g. api_url.
	TokenInfo map[string]string
	// Refresher asks the host for a fresh token; nil when the host offers none.
	Refresher TokenRefresher
}

// String never prints the token.
func (c Credential) String() string {
	return "credential " + c.Type + " " + c.Name + " (token redacted)"
}

// GoString never prints the token.
func (c Credential) GoString() string { return c.String() }

// ErrNoRefresher is returned by Refresh when the host offers no callback.
var ErrNoRefresher = errors.New("the host cannot refresh this credential's token")

// Refresh asks the host for a fresh access token after the service rejected
// the current one, and updates the credential in place.
func (c *Credential) Refresh(ctx context.Context) error {
	if c.Refresher == nil {
		return ErrNoRefresher
	}
	t, err := c.Refresher.RefreshToken(ctx, c.ID, c.AccessToken)
	if err != nil {
		return err
	}
	c.AccessToken = t.AccessToken
	c.ExpiresAt = t.ExpiresAt
	if t.Info != nil {
		c.TokenInfo = t.Info
	}
	return nil
}

// Token is a fresh access token from the host.
type Token struct {
	AccessToken string
	ExpiresAt   time.Time
	Info        map[string]string
}

// TokenRefresher is the host's token callback.
type TokenRefresher interface {
	RefreshToken(ctx context.Context, credentialID, rejectedAccessToken string) (Token, error)
}

// ResolveAuthRequest asks for the concrete endpoints of one credential.
type ResolveAuthRequest struct {
	CredentialType string
	// Data is a JSON object of the credential's non-secret properties.
	Data json.RawMessage
}

// ResolvedAuth gives the endpoints the host uses to obtain a token.
type ResolvedAuth struct {
	AuthorizeURL string
	TokenURL     string
	Scopes       []string
	TokenParams  map[string]string
	Diagnostics  Diagnostics
}

// TestStatus is the outcome of a credential test.
type TestStatus int

// Test outcomes.
const (
	TestOK TestStatus = iota + 1
	TestFailed
)

// TestResult is the outcome of a credential test.
type TestResult struct {
	Status TestStatus
	// Message is one line for the user.
	Message string
	// Account describes whom the credential belongs to (JSON), on success.
	Account     json.RawMessage
	Diagnostics Diagnostics
}

// LoadOptionsRequest asks for a dynamic option list.
type LoadOptionsRequest struct {
	NodeType    string
	Method      string
	Parameters  json.RawMessage
	Credentials []Credential
}

// OnError says what to do with a failing item.
type OnError int

// Error policies.
const (
	OnErrorUnspecified OnError = iota
	// OnErrorStop stops the node at the first failing item.
	OnErrorStop
	// OnErrorContinueRegularOutput emits {"error": message} in the main output.
	OnErrorContinueRegularOutput
	// OnErrorContinueErrorOutput emits failing items on an extra, last output.
	OnErrorContinueErrorOutput
)

// Item is one input item: its JSON and the node's parameters resolved for it.
type Item struct {
	JSON       json.RawMessage
	Parameters json.RawMessage
}

// OutputItem is one output item, paired to the input item it came from.
type OutputItem struct {
	JSON json.RawMessage
	// PairedItem is the input item's index, or NoItem.
	PairedItem int
}

// ExecuteRequest runs a node over a batch of items.
type ExecuteRequest struct {
	NodeType    string
	TypeVersion float64
	NodeName    string
	Items       []Item
	Credentials []Credential
	OnError     OnError
	ExecutionID string
}

// Credential returns the credential of the given type, if the host sent one.
func (r *ExecuteRequest) Credential(typ string) (*Credential, bool) {
	for i := range r.Credentials {
		if r.Credentials[i].Type == typ {
			return &r.Credentials[i], true
		}
	}
	return nil, false
}

// ExecuteResponse holds one item list per node output and the diagnostics.
type ExecuteResponse struct {
	Outputs     [][]OutputItem
	Diagnostics Diagnostics
}

// AuthResolver resolves a credential's token endpoints.
type AuthResolver interface {
	ResolveAuth(ctx context.Context, req *ResolveAuthRequest) (*ResolvedAuth, error)
}

// AuthResolverFunc adapts a function to AuthResolver.
type AuthResolverFunc func(ctx context.Context, req *ResolveAuthRequest) (*ResolvedAuth, error)

// ResolveAuth calls f.
func (f AuthResolverFunc) ResolveAuth(ctx context.Context, req *ResolveAuthRequest) (*ResolvedAuth, error) {
	return f(ctx, req)
}

// CredentialTester checks a credential against the service.
type CredentialTester interface {
	TestCredential(ctx context.Context, c *Credential) (*TestResult, error)
}

// CredentialTesterFunc adapts a function to CredentialTester.
type CredentialTesterFunc func(ctx context.Context, c *Credential) (*TestResult, error)

// TestCredential calls f.
func (f CredentialTesterFunc) TestCredential(ctx context.Context, c *Credential) (*TestResult, error) {
	return f(ctx, c)
}

// OptionsLoader loads a dynamic option list.
type OptionsLoader interface {
	LoadOptions(ctx context.Context, req *LoadOptionsRequest) ([]Option, error)
}

// OptionsLoaderFunc adapts a function to OptionsLoader.
type OptionsLoaderFunc func(ctx context.Context, req *LoadOptionsRequest) ([]Option, error)

// LoadOptions calls f.
func (f OptionsLoaderFunc) LoadOptions(ctx context.Context, req *LoadOptionsRequest) ([]Option, error) {
	return f(ctx, req)
}

// Executor runs a node over a batch of items.
type Executor interface {
	Execute(ctx context.Context, req *ExecuteRequest) (*ExecuteResponse, error)
}

// ExecutorFunc adapts a function to Executor.
type ExecutorFunc func(ctx context.Context, req *ExecuteRequest) (*ExecuteResponse, error)

// Execute calls f.
func (f ExecutorFunc) Execute(ctx context.Context, req *ExecuteRequest) (*ExecuteResponse, error) {
	return f(ctx, req)
}

// CredentialDef is a credential type a plugin serves, with its handlers.
type CredentialDef struct {
	Type CredentialType
	// Resolver resolves endpoints; nil means the type's OAuth2Spec as is.
	Resolver AuthResolver
	// Tester tests a credential; nil means the type cannot be tested.
	Tester CredentialTester
}

// NodeDef is a node type a plugin serves, with its handlers.
type NodeDef struct {
	Type     NodeType
	Executor Executor
	// OptionLoaders by LoadOptions method name.
	OptionLoaders map[string]OptionsLoader
}

// Plugin is everything a plugin binary serves.
type Plugin struct {
	Name        string
	Version     string
	Credentials []CredentialDef
	Nodes       []NodeDef
}

// Metadata derives the plugin's metadata.
func (p *Plugin) Metadata() Metadata {
	m := Metadata{Name: p.Name, Version: p.Version, ProtocolVersion: ProtocolVersion, CredentialTypes: []string{}, NodeTypes: []string{}}
	caps := map[Capability]bool{CapabilityTokenRefreshCallback: true}
	for _, c := range p.Credentials {
		m.CredentialTypes = append(m.CredentialTypes, c.Type.Name)
		if c.Tester != nil {
			caps[CapabilityCredentialTest] = true
		}
	}
	for _, n := range p.Nodes {
		m.NodeTypes = append(m.NodeTypes, n.Type.Name)
		if n.Executor != nil {
			caps[CapabilityExecute] = true
		}
		if len(n.OptionLoaders) > 0 {
			caps[CapabilityLoadOptions] = true
		}
	}
	for c := CapabilityCredentialTest; c <= CapabilityTokenRefreshCallback; c++ {
		if caps[c] {
			m.Capabilities = append(m.Capabilities, c)
		}
	}
	return m
}

// Credential returns the named credential definition.
func (p *Plugin) Credential(name string) (*CredentialDef, bool) {
	for i := range p.Credentials {
		if p.Credentials[i].Type.Name == name {
			return &p.Credentials[i], true
		}
	}
	return nil, false
}

// Node returns the node definition answering to name (its name or an alias).
func (p *Plugin) Node(name string) (*NodeDef, bool) {
	for i := range p.Nodes {
		if p.Nodes[i].Type.Name == name {
			return &p.Nodes[i], true
		}
		for _, a := range p.Nodes[i].Type.Aliases {
			if a == name {
				return &p.Nodes[i], true
			}
		}
	}
	return nil, false
}
