package protocol

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	pb "github.com/nodeplug/nodeplug/proto/nodeplug/v1"
)

// server adapts an *sdk.Plugin to the generated service interfaces.
type server struct {
	pb.UnimplementedPluginServiceServer
	pb.UnimplementedCredentialServiceServer
	pb.UnimplementedNodeServiceServer

	impl   *sdk.Plugin
	broker *plugin.GRPCBroker

	mu      sync.Mutex
	host    sdk.TokenRefresher // nil until ConnectHost
	pending bool               // the host announced a ConnectHost
	// connected is closed when ConnectHost has finished, well or not.
	connected     chan struct{}
	connectedOnce sync.Once

	// running holds the stop functions of Execute calls in progress, by
	// execution ID and node name.
	running map[runKey]context.CancelFunc
}

type runKey struct{ execution, node string }

func newServer(impl *sdk.Plugin, broker *plugin.GRPCBroker) *server {
	return &server{impl: impl, broker: broker, connected: make(chan struct{}), running: map[runKey]context.CancelFunc{}}
}

// refresher is the host's token service for a request: the connected one,
// one that waits for a connection the host announced, or nil.
func (s *server) refresher() sdk.TokenRefresher {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.host != nil:
		return s.host
	case s.pending:
		return pendingHost{s}
	}
	return nil
}

// pendingHost waits for the host's ConnectHost, which runs concurrently
// with the host's first calls, before asking for a token.
type pendingHost struct{ s *server }

func (p pendingHost) RefreshToken(ctx context.Context, credentialID, rejected string) (sdk.Token, error) {
	select {
	case <-p.s.connected:
	case <-ctx.Done():
		return sdk.Token{}, fmt.Errorf("waiting for the host's token service: %w", ctx.Err())
	}
	p.s.mu.Lock()
	h := p.s.host
	p.s.mu.Unlock()
	if h == nil {
		return sdk.Token{}, fmt.Errorf("the host's token service could not be connected: %w", sdk.ErrNoRefresher)
	}
	return h.RefreshToken(ctx, credentialID, rejected)
}

func (s *server) GetMetadata(_ context.Context, req *pb.GetMetadataRequest) (*pb.GetMetadataResponse, error) {
	m := s.impl.Metadata()
	resp := &pb.GetMetadataResponse{
		Name:            m.Name,
		Version:         m.Version,
		ProtocolVersion: int32(m.ProtocolVersion),
		CredentialTypes: m.CredentialTypes,
		NodeTypes:       m.NodeTypes,
	}
	for _, c := range m.Capabilities {
		resp.Capabilities = append(resp.Capabilities, pb.Capability(c))
	}
	if req.GetHostServicePending() {
		s.mu.Lock()
		s.pending = true
		s.mu.Unlock()
	}
	if v := req.GetHostProtocolVersion(); v != 0 && int(v) != sdk.ProtocolVersion {
		resp.Diagnostics = diagsToProto(sdk.Diagnostics{*sdk.Errorf(sdk.KindConfig, "Incompatible protocol version",
			"the host speaks nodeplug protocol %d, this plugin speaks %d; install matching versions", v, sdk.ProtocolVersion)})
	}
	return resp, nil
}

func (s *server) ConnectHost(_ context.Context, req *pb.ConnectHostRequest) (*pb.ConnectHostResponse, error) {
	defer s.connectedOnce.Do(func() { close(s.connected) })
	if s.broker == nil {
		return nil, status.Error(codes.FailedPrecondition, "this plugin was not started by go-plugin and has no broker")
	}
	conn, err := s.broker.Dial(req.GetBrokerId())
	if err != nil {
		return nil, status.Errorf(codes.Unavailable, "dialing the host's token service: %v", err)
	}
	s.mu.Lock()
	s.host = &hostClient{c: pb.NewHostServiceClient(conn)}
	s.mu.Unlock()
	return &pb.ConnectHostResponse{}, nil
}

func (s *server) ListCredentialTypes(context.Context, *pb.ListCredentialTypesRequest) (*pb.ListCredentialTypesResponse, error) {
	resp := &pb.ListCredentialTypesResponse{}
	for i := range s.impl.Credentials {
		resp.CredentialTypes = append(resp.CredentialTypes, credentialTypeToProto(&s.impl.Credentials[i].Type))
	}
	return resp, nil
}

func (s *server) credential(name string) (*sdk.CredentialDef, error) {
	def, ok := s.impl.Credential(name)
	if !ok {
		return nil, status.Errorf(codes.NotFound, "plugin %s has no credential type %q", s.impl.Name, name)
	}
	return def, nil
}

func (s *server) ResolveAuth(ctx context.Context, req *pb.ResolveAuthRequest) (*pb.ResolveAuthResponse, error) {
	def, err := s.credential(req.GetCredentialType())
	if err != nil {
		return nil, err
	}
	if def.Resolver == nil {
		resp := &pb.ResolveAuthResponse{}
		if o := def.Type.Auth.OAuth2; o != nil {
			resp.AuthorizeUrl, resp.TokenUrl, resp.Scopes = o.AuthorizeURL, o.TokenURL, o.DefaultScopes
		}
		return resp, nil
	}
	r, err := def.Resolver.ResolveAuth(ctx, &sdk.ResolveAuthRequest{CredentialType: def.Type.Name, Data: req.GetPublicData()})
	if err != nil {
		return &pb.ResolveAuthResponse{Diagnostics: diagsToProto(sdk.Diagnostics{*sdk.AsDiagnostic(err)})}, nil
	}
	return &pb.ResolveAuthResponse{AuthorizeUrl: r.AuthorizeURL, TokenUrl: r.TokenURL, Scopes: r.Scopes, TokenParams: r.TokenParams, Diagnostics: diagsToProto(r.Diagnostics)}, nil
}

func (s *server) TestCredential(ctx context.Context, req *pb.TestCredentialRequest) (*pb.TestCredentialResponse, error) {
	if req.GetCredential() == nil {
		return nil, status.Error(codes.InvalidArgument, "credential is required")
	}
	def, err := s.credential(req.GetCredential().GetType())
	if err != nil {
		return nil, err
	}
	if def.Tester == nil {
		return nil, status.Errorf(codes.Unimplemented, "credential type %q cannot be tested", def.Type.Name)
	}
	c := credentialFromProto(req.GetCredential(), s.refresher())
	r, err := def.Tester.TestCredential(ctx, &c)
	if err != nil {
		d := sdk.AsDiagnostic(err)
		return &pb.TestCredentialResponse{Status: pb.TestCredentialResponse_TEST_STATUS_FAILED, Message: d.Error(), Diagnostics: diagsToProto(sdk.Diagnostics{*d})}, nil
	}
	return &pb.TestCredentialResponse{
		Status:      pb.TestCredentialResponse_TestStatus(r.Status),
		Message:     r.Message,
		AccountJson: r.Account,
		Diagnostics: diagsToProto(r.Diagnostics),
	}, nil
}

func (s *server) ListNodeTypes(context.Context, *pb.ListNodeTypesRequest) (*pb.ListNodeTypesResponse, error) {
	resp := &pb.ListNodeTypesResponse{}
	for i := range s.impl.Nodes {
		resp.NodeTypes = append(resp.NodeTypes, nodeTypeToProto(&s.impl.Nodes[i].Type))
	}
	return resp, nil
}

func (s *server) node(name string) (*sdk.NodeDef, error) {
	def, ok := s.impl.Node(name)
	if !ok {
		return nil, status.Errorf(codes.NotFound, "plugin %s has no node type %q", s.impl.Name, name)
	}
	return def, nil
}

func (s *server) LoadOptions(ctx context.Context, req *pb.LoadOptionsRequest) (*pb.LoadOptionsResponse, error) {
	def, err := s.node(req.GetNodeType())
	if err != nil {
		return nil, err
	}
	loader, ok := def.OptionLoaders[req.GetMethod()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "node type %q has no load-options method %q", def.Type.Name, req.GetMethod())
	}
	in := &sdk.LoadOptionsRequest{NodeType: def.Type.Name, Method: req.GetMethod(), Parameters: req.GetParameters()}
	for _, c := range req.GetCredentials() {
		in.Credentials = append(in.Credentials, credentialFromProto(c, s.refresher()))
	}
	opts, err := loader.LoadOptions(ctx, in)
	if err != nil {
		return &pb.LoadOptionsResponse{Diagnostics: diagsToProto(sdk.Diagnostics{*sdk.AsDiagnostic(err)})}, nil
	}
	return &pb.LoadOptionsResponse{Options: optionsToProto(opts)}, nil
}

func (s *server) Execute(ctx context.Context, req *pb.ExecuteRequest) (resp *pb.ExecuteResponse, err error) {
	def, err := s.node(req.GetNodeType())
	if err != nil {
		return nil, err
	}
	if def.Executor == nil {
		return nil, status.Errorf(codes.Unimplemented, "node type %q cannot be executed", def.Type.Name)
	}
	if v := req.GetTypeVersion(); v != 0 && !def.Type.SupportsVersion(v) {
		d := sdk.Errorf(sdk.KindConfig, "Unsupported node version",
			"node %q is %s version %g, but this plugin supports versions %v", req.GetNodeName(), req.GetNodeType(), v, def.Type.Versions)
		return &pb.ExecuteResponse{Diagnostics: diagsToProto(sdk.Diagnostics{*d})}, nil
	}
	defer func() {
		// A panic in node code must not kill the plugin process (and every
		// other run using it): report it as a system diagnostic.
		if r := recover(); r != nil {
			d := sdk.Errorf(sdk.KindSystem, "The plugin failed", "node %q panicked: %v", req.GetNodeName(), r)
			resp, err = &pb.ExecuteResponse{Diagnostics: diagsToProto(sdk.Diagnostics{*d})}, nil
		}
	}()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	if req.GetExecutionId() != "" {
		key := runKey{req.GetExecutionId(), req.GetNodeName()}
		s.mu.Lock()
		s.running[key] = stop
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			delete(s.running, key)
			s.mu.Unlock()
		}()
	}
	out, err := def.Executor.Execute(ctx, executeRequestFromProto(req, s.refresher()))
	if err != nil {
		return &pb.ExecuteResponse{Diagnostics: diagsToProto(sdk.Diagnostics{*sdk.AsDiagnostic(err)})}, nil
	}
	if out == nil {
		return nil, status.Errorf(codes.Internal, "node type %q returned no response", def.Type.Name)
	}
	return executeResponseToProto(out), nil
}

func (s *server) StopExecution(_ context.Context, req *pb.StopExecutionRequest) (*pb.StopExecutionResponse, error) {
	s.mu.Lock()
	stop, ok := s.running[runKey{req.GetExecutionId(), req.GetNodeName()}]
	s.mu.Unlock()
	if ok {
		stop()
	}
	return &pb.StopExecutionResponse{Stopped: ok}, nil
}
