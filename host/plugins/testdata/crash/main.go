// Command crash is a test plugin that serves normally and then dies inside
// Execute: a goroutine panics, which ends the process.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func main() {
	protocol.Serve(&sdk.Plugin{
		Name:    "crash",
		Version: "0.0.1",
		Nodes: []sdk.NodeDef{{
			Type: sdk.NodeType{Name: "crash", DisplayName: "Crash", Versions: []float64{1}, Inputs: []string{"main"}, Outputs: []string{"main"}},
			Executor: sdk.ExecutorFunc(func(ctx context.Context, req *sdk.ExecuteRequest) (*sdk.ExecuteResponse, error) {
				fmt.Fprintf(os.Stderr, "crash plugin: about to crash in node %s\n", req.NodeName)
				go func() { panic("crash plugin: boom") }()
				<-ctx.Done()
				return nil, ctx.Err()
			}),
		}},
	})
}
