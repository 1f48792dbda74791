package protocol

import (
	"context"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/nodeplug/nodeplug/plugin/sdk"
	pb "github.com/nodeplug/nodeplug/proto/nodeplug/v1"
)

// GRPCPlugin is the go-plugin glue: on the plugin side it serves Impl, on the
// host side it makes a Client and serves Host's token callback over the
// broker.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	// Impl is set on the plugin side.
	Impl *sdk.Plugin
	// Host is set on the host side; may be nil.
	Host sdk.TokenRefresher
}

// GRPCServer registers the plugin's services.
func (p *GRPCPlugin) GRPCServer(broker *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Impl == nil {
		return fmt.Errorf("protocol: GRPCPlugin has no plugin implementation")
	}
	srv := newServer(p.Impl, broker)
	pb.RegisterPluginServiceServer(s, srv)
	pb.RegisterCredentialServiceServer(s, srv)
	pb.RegisterNodeServiceServer(s, srv)
	return nil
}

// GRPCClient returns a *Client. When a Host is set it serves HostService over
// the broker and tells the plugin where to find it, concurrently with the
// host's first calls (Client.Metadata announces it, so that a plugin that
// needs a token first waits for the connection).
func (p *GRPCPlugin) GRPCClient(ctx context.Context, broker *plugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	c := newClient(conn)
	if p.Host != nil {
		id := broker.NextId()
		go broker.AcceptAndServe(id, func(opts []grpc.ServerOption) *grpc.Server {
			s := grpc.NewServer(opts...)
			pb.RegisterHostServiceServer(s, &hostServer{host: p.Host})
			return s
		})
		c.hostDone = make(chan struct{})
		go func() {
			defer close(c.hostDone)
			if _, err := c.plugin.ConnectHost(ctx, &pb.ConnectHostRequest{BrokerId: id}); err != nil {
				c.hostErr = fmt.Errorf("connecting the plugin to the host's token service: %w", err)
			}
		}()
	}
	return c, nil
}

// hostServer serves HostService on the host side.
type hostServer struct {
	pb.UnimplementedHostServiceServer
	host sdk.TokenRefresher
}

func (h *hostServer) RefreshToken(ctx context.Context, req *pb.RefreshTokenRequest) (*pb.RefreshTokenResponse, error) {
	t, err := h.host.RefreshToken(ctx, req.GetCredentialId(), req.GetRejectedAccessToken())
	if err != nil {
		d := sdk.AsDiagnostic(err)
		if d.Kind == sdk.KindSystem {
			d.Kind = sdk.KindAuth
			d.Summary = "The host could not refresh the token"
		}
		return &pb.RefreshTokenResponse{Diagnostics: diagsToProto(sdk.Diagnostics{*d})}, nil
	}
	return &pb.RefreshTokenResponse{AccessToken: t.AccessToken, ExpiresAt: unixOrZero(t.ExpiresAt), TokenInfo: t.Info}, nil
}

// hostClient is the plugin side's view of HostService.
type hostClient struct {
	c pb.HostServiceClient
}

func (h *hostClient) RefreshToken(ctx context.Context, credentialID, rejected string) (sdk.Token, error) {
	resp, err := h.c.RefreshToken(ctx, &pb.RefreshTokenRequest{CredentialId: credentialID, RejectedAccessToken: rejected})
	if err != nil {
		return sdk.Token{}, fmt.Errorf("asking the host for a fresh token: %w", err)
	}
	if err := diagsFromProto(resp.GetDiagnostics()).Err(); err != nil {
		return sdk.Token{}, err
	}
	return sdk.Token{AccessToken: resp.GetAccessToken(), ExpiresAt: timeOrZero(resp.GetExpiresAt()), Info: resp.GetTokenInfo()}, nil
}
