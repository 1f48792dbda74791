// Package bareplugin is the floor of nodeplug's plugin design: the go-plugin
// glue of a host and a plugin that serve no service of ours. A bare host
// launches a bare plugin exactly the way host/plugins launches a nodeplug
// plugin (gRPC transport, AutoMTLS, SkipHostEnv, Managed), makes one gRPC
// call and kills it. Whatever `nodeplug run` costs beyond that pair is the
// price of nodeplug itself (its protocol, engine, store and the Zoom call);
// the pair's own cost is what any go-plugin host and plugin pay.
//
// The one call is go-plugin's ClientProtocol.Ping, which is a real unary gRPC
// call: grpc.health.v1.Health/Check, served by go-plugin's health server in
// every gRPC plugin, over the same mTLS connection and HTTP/2 stream
// machinery that nodeplug's own calls use. A hand-registered service would
// cost the same round trip and need generated code; Ping needs none, so the
// plugin registers nothing at all.
package bareplugin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// PluginName is the name the bare plugin is served and dispensed under.
const PluginName = "bare"

// ProtocolVersion is the bare pair's go-plugin protocol version.
const ProtocolVersion = 1

// StartTimeout bounds the plugin's start, as host/plugins does by default.
const StartTimeout = 30 * time.Second

// Handshake returns the bare pair's go-plugin handshake. The cookie differs
// from nodeplug's so that neither side ever mistakes the other.
func Handshake() goplugin.HandshakeConfig {
	return goplugin.HandshakeConfig{
		ProtocolVersion:  ProtocolVersion,
		MagicCookieKey:   "NODEPLUG_BARE_PLUGIN_MAGIC_COOKIE",
		MagicCookieValue: "floor-of-the-design",
	}
}

// Plugin is go-plugin glue that registers no service: the plugin side
// serves only what go-plugin itself adds (health, controller, broker,
// stdio), the host side hands back the raw connection.
type Plugin struct {
	goplugin.NetRPCUnsupportedPlugin
}

// GRPCServer registers nothing.
func (Plugin) GRPCServer(*goplugin.GRPCBroker, *grpc.Server) error { return nil }

// GRPCClient returns the connection itself.
func (Plugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, conn *grpc.ClientConn) (any, error) {
	return conn, nil
}

// Plugins returns the versioned plugin set both sides use.
func Plugins() map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{ProtocolVersion: {PluginName: Plugin{}}}
}

// Serve serves the bare plugin and blocks until the host ends it. Logs go
// to stderr as JSON lines (go-plugin re-emits them on the host's logger);
// nothing is ever written to stdout, which belongs to the handshake.
func Serve(stderr io.Writer) {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake(),
		VersionedPlugins: Plugins(),
		GRPCServer:       goplugin.DefaultGRPCServer,
		Logger:           hclog.New(&hclog.LoggerOptions{Name: "bare-plugin", Level: hclog.Warn, Output: stderr, JSONFormat: true}),
	})
}

// ErrNoConn is returned when dispensing the bare plugin yields no gRPC
// connection (a bare-host and a bare-plugin of different builds).
var ErrNoConn = errors.New("the bare plugin did not hand back a gRPC connection: rebuild bare-host and bare-plugin together")

// RunOnce launches the plugin at path with the same go-plugin client
// settings as host/plugins, makes one gRPC call (Ping) and kills it. ctx
// bounds the whole run.
func RunOnce(ctx context.Context, path string, logger hclog.Logger) error {
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Env = []string{} // like host/plugins: the host's environment is never inherited
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  Handshake(),
		VersionedPlugins: Plugins(),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		Managed:          true,
		StartTimeout:     StartTimeout,
		Logger:           logger,
		Stderr:           io.Discard,
		SyncStdout:       io.Discard,
		SyncStderr:       io.Discard,
	})
	// Kill, not goplugin.CleanupClients: that one ends every managed client
	// of the process.
	defer client.Kill()
	rpc, err := client.Client()
	if err != nil {
		return fmt.Errorf("starting bare plugin %s: %w", path, err)
	}
	raw, err := rpc.Dispense(PluginName)
	if err != nil {
		return fmt.Errorf("dispensing bare plugin %s: %w", path, err)
	}
	if _, ok := raw.(*grpc.ClientConn); !ok {
		return fmt.Errorf("bare plugin %s: got %T: %w", path, raw, ErrNoConn)
	}
	if err := rpc.Ping(); err != nil {
		return fmt.Errorf("calling bare plugin %s (grpc.health.v1.Health/Check): %w", path, err)
	}
	return nil
}
