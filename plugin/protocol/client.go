package protocol

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/grpc"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	pb "github.com/nodeplug/nodeplug/proto/nodeplug/v1"
)

// Client is a host's handle on one plugin, speaking package sdk's types.
// It is safe for concurrent use.
type Client struct {
	plugin pb.PluginServiceClient
	creds  pb.CredentialServiceClient
	nodes  pb.NodeServiceClient

	// hostDone is closed when connecting the host's token service ended
	// (nil when the host offers none); hostErr is then its error.
	hostDone chan struct{}
	hostErr  error
}

// HostService waits until the plugin is connected to the host's token
// service and returns the error of that connection, if any (nil at once when
// the host offers none).
func (c *Client) HostService(ctx context.Context) error {
	if c.hostDone == nil {
		return nil
	}
	select {
	case <-c.hostDone:
		return c.hostErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newClient(conn grpc.ClientConnInterface) *Client {
	return &Client{
		plugin: pb.NewPluginServiceClient(conn),
		creds:  pb.NewCredentialServiceClient(conn),
		nodes:  pb.NewNodeServiceClient(conn),
	}
}

// NewClient wraps a gRPC connection to a plugin (for tests and tools; hosts
// normally get a *Client from go-plugin's Dispense).
func NewClient(conn grpc.ClientConnInterface) *Client { return newClient(conn) }

// Metadata asks the plugin who it is. A plugin that finds the host's protocol
// version incompatible answers with an error diagnostic, returned as error.
func (c *Client) Metadata(ctx context.Context, hostName, hostVersion string) (sdk.Metadata, error) {
	resp, err := c.plugin.GetMetadata(ctx, &pb.GetMetadataRequest{
		HostProtocolVersion: sdk.ProtocolVersion, HostName: hostName, HostVersion: hostVersion,
		HostServicePending: c.hostDone != nil,
	})
	if err != nil {
		return sdk.Metadata{}, fmt.Errorf("GetMetadata: %w", err)
	}
	m := sdk.Metadata{
		Name:            resp.GetName(),
		Version:         resp.GetVersion(),
		ProtocolVersion: int(resp.GetProtocolVersion()),
		CredentialTypes: resp.GetCredentialTypes(),
		NodeTypes:       resp.GetNodeTypes(),
	}
	for _, cp := range resp.GetCapabilities() {
		m.Capabilities = append(m.Capabilities, sdk.Capability(cp))
	}
	if err := diagsFromProto(resp.GetDiagnostics()).Err(); err != nil {
		return m, err
	}
	return m, nil
}

// CredentialTypes lists the plugin's credential types.
func (c *Client) CredentialTypes(ctx context.Context) ([]sdk.CredentialType, error) {
	resp, err := c.creds.ListCredentialTypes(ctx, &pb.ListCredentialTypesRequest{})
	if err != nil {
		return nil, fmt.Errorf("ListCredentialTypes: %w", err)
	}
	if err := diagsFromProto(resp.GetDiagnostics()).Err(); err != nil {
		return nil, err
	}
	out := make([]sdk.CredentialType, len(resp.GetCredentialTypes()))
	for i, t := range resp.GetCredentialTypes() {
		out[i] = credentialTypeFromProto(t)
	}
	return out, nil
}

// ResolveAuth asks for the endpoints of one credential.
func (c *Client) ResolveAuth(ctx context.Context, req *sdk.ResolveAuthRequest) (*sdk.ResolvedAuth, error) {
	resp, err := c.creds.ResolveAuth(ctx, &pb.ResolveAuthRequest{CredentialType: req.CredentialType, PublicData: req.Data})
	if err != nil {
		return nil, fmt.Errorf("ResolveAuth: %w", err)
	}
	out := &sdk.ResolvedAuth{
		AuthorizeURL: resp.GetAuthorizeUrl(),
		TokenURL:     resp.GetTokenUrl(),
		Scopes:       resp.GetScopes(),
		TokenParams:  resp.GetTokenParams(),
		Diagnostics:  diagsFromProto(resp.GetDiagnostics()),
	}
	if err := out.Diagnostics.Err(); err != nil {
		return out, err
	}
	return out, nil
}

// TestCredential runs the plugin's credential test.
func (c *Client) TestCredential(ctx context.Context, cred *sdk.Credential) (*sdk.TestResult, error) {
	resp, err := c.creds.TestCredential(ctx, &pb.TestCredentialRequest{Credential: credentialToProto(cred)})
	if err != nil {
		return nil, fmt.Errorf("TestCredential: %w", err)
	}
	return &sdk.TestResult{
		Status:      sdk.TestStatus(resp.GetStatus()),
		Message:     resp.GetMessage(),
		Account:     rawOrNil(resp.GetAccountJson()),
		Diagnostics: diagsFromProto(resp.GetDiagnostics()),
	}, nil
}

// NodeTypes lists the plugin's node types.
func (c *Client) NodeTypes(ctx context.Context) ([]sdk.NodeType, error) {
	resp, err := c.nodes.ListNodeTypes(ctx, &pb.ListNodeTypesRequest{})
	if err != nil {
		return nil, fmt.Errorf("ListNodeTypes: %w", err)
	}
	if err := diagsFromProto(resp.GetDiagnostics()).Err(); err != nil {
		return nil, err
	}
	out := make([]sdk.NodeType, len(resp.GetNodeTypes()))
	for i, t := range resp.GetNodeTypes() {
		out[i] = nodeTypeFromProto(t)
	}
	return out, nil
}

// LoadOptions loads a dynamic option list.
func (c *Client) LoadOptions(ctx context.Context, req *sdk.LoadOptionsRequest) ([]sdk.Option, error) {
	in := &pb.LoadOptionsRequest{NodeType: req.NodeType, Method: req.Method, Parameters: req.Parameters}
	for i := range req.Credentials {
		in.Credentials = append(in.Credentials, credentialToProto(&req.Credentials[i]))
	}
	resp, err := c.nodes.LoadOptions(ctx, in)
	if err != nil {
		return nil, fmt.Errorf("LoadOptions: %w", err)
	}
	if err := diagsFromProto(resp.GetDiagnostics()).Err(); err != nil {
		return nil, err
	}
	return optionsFromProto(resp.GetOptions()), nil
}

// StopGrace is how long Execute waits, once its context is done, for the
// plugin to stop between items and answer before the call is cut off.
const StopGrace = 10 * time.Second

// Execute runs a node over a batch of items. Per-item failures come back as
// diagnostics in the response; the error is for transport failures.
//
// When ctx is done (Ctrl-C) and req has an ExecutionID, the plugin is asked
// to stop between items (StopExecution) and its answer, with the outputs of
// the items already done, is still returned: cutting the call off at once
// would lose them (a meeting created but not recorded). After StopGrace the
// call is cut off anyway.
func (c *Client) Execute(ctx context.Context, req *sdk.ExecuteRequest) (*sdk.ExecuteResponse, error) {
	callCtx, cut := context.WithCancel(context.WithoutCancel(ctx))
	defer cut()
	if req.ExecutionID == "" {
		callCtx, cut = context.WithCancel(ctx)
		defer cut()
	} else {
		done := make(chan struct{})
		defer close(done)
		go func() {
			select {
			case <-done:
				return
			case <-ctx.Done():
			}
			stopCtx, cancel := context.WithTimeout(callCtx, StopGrace)
			defer cancel()
			_, _ = c.nodes.StopExecution(stopCtx, &pb.StopExecutionRequest{ExecutionId: req.ExecutionID, NodeName: req.NodeName})
			select {
			case <-done:
			case <-stopCtx.Done():
				cut()
			}
		}()
	}
	resp, err := c.nodes.Execute(callCtx, executeRequestToProto(req))
	if err != nil {
		return nil, fmt.Errorf("Execute: %w", err)
	}
	return executeResponseFromProto(resp), nil
}
