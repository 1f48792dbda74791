// Command v2 is a test plugin that serves nodeplug protocol version 2 only,
// which a version-1 host cannot speak.
package main

import (
	"fmt"
	"os"

	goplugin "github.com/hashicorp/go-plugin"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func main() {
	fmt.Fprintln(os.Stderr, "v2 plugin: serving protocol version 2 only")
	p := &sdk.Plugin{Name: "v2", Version: "2.0.0"}
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig: protocol.Handshake(),
		VersionedPlugins: map[int]goplugin.PluginSet{
			2: {protocol.PluginName: &protocol.GRPCPlugin{Impl: p}},
		},
		GRPCServer: protocol.GRPCServerFactory,
	})
}
