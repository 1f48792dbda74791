// Command echo is a well-behaved test plugin for package plugins' tests: a
// node that echoes its items, or reports its process ID or environment.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// params are the echo node's parameters.
type params struct {
	// Mode is "echo" (default), "pid" or "env".
	Mode string `json:"mode"`
}

func echo(_ context.Context, call sdk.ItemCall[params]) ([]json.RawMessage, error) {
	var out any
	switch call.Params.Mode {
	case "", "echo":
		out = map[string]any{"json": call.Item.JSON, "index": call.Index}
	case "pid":
		out = map[string]any{"pid": os.Getpid(), "ppid": os.Getppid()}
	case "env":
		out = map[string]any{"env": os.Environ()}
	default:
		return nil, sdk.AttributeError("mode", "Unknown mode", fmt.Sprintf("mode %q: use echo, pid or env", call.Params.Mode))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	return []json.RawMessage{b}, nil
}

func main() {
	protocol.Serve(&sdk.Plugin{
		Name:    "echo",
		Version: "0.0.1",
		Credentials: []sdk.CredentialDef{{Type: sdk.CredentialType{
			Name:        "echoToken",
			DisplayName: "Echo token",
			Properties:  []sdk.Property{{Name: "token", DisplayName: "Token", Type: sdk.TypeString, Required: true, Secret: true}},
			Auth:        sdk.AuthScheme{Kind: sdk.AuthStaticBearer, TokenProperty: "token"},
		}}},
		Nodes: []sdk.NodeDef{{
			Type: sdk.NodeType{
				Name: "echo", Aliases: []string{"test-nodes-base.echo"}, DisplayName: "Echo",
				Versions: []float64{1}, Inputs: []string{"main"}, Outputs: []string{"main"},
				Properties: []sdk.Property{{Name: "mode", DisplayName: "Mode", Type: sdk.TypeString, Default: sdk.JSON("echo")}},
			},
			Executor: sdk.PerItem(echo),
		}},
	})
}
