package protocol

import (
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// PluginName is the name the nodeplug plugin is served and dispensed under.
const PluginName = "nodeplug"

// MaxMessageSize bounds gRPC messages both ways (a batch of items can be
// large).
const MaxMessageSize = 256 << 20

// Handshake returns the go-plugin handshake. The cookie is a guard against
// running a plugin binary by hand, not a secret; it never changes. The
// protocol version lives in VersionedPlugins.
func Handshake() plugin.HandshakeConfig {
	return plugin.HandshakeConfig{
		ProtocolVersion:  sdk.ProtocolVersion,
		MagicCookieKey:   "NODEPLUG_PLUGIN_MAGIC_COOKIE",
		MagicCookieValue: "5b9e0c4e7d1a4f2a9c3d8e6f1b2a7c40",
	}
}

// HostPlugins returns the versioned plugin set a host offers. host answers
// the plugin's token refresh callbacks; it may be nil.
func HostPlugins(host sdk.TokenRefresher) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		sdk.ProtocolVersion: {PluginName: &GRPCPlugin{Host: host}},
	}
}

// PluginPlugins returns the versioned plugin set a plugin serves.
func PluginPlugins(p *sdk.Plugin) map[int]plugin.PluginSet {
	return map[int]plugin.PluginSet{
		sdk.ProtocolVersion: {PluginName: &GRPCPlugin{Impl: p}},
	}
}

// GRPCServerFactory builds the plugin's gRPC server with raised limits.
func GRPCServerFactory(opts []grpc.ServerOption) *grpc.Server {
	opts = append(opts, grpc.MaxRecvMsgSize(MaxMessageSize), grpc.MaxSendMsgSize(MaxMessageSize))
	return grpc.NewServer(opts...)
}
