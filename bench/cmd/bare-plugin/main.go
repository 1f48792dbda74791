// Command bare-plugin is the plugin half of the floor of nodeplug's plugin
// design: a go-plugin gRPC plugin that serves no service of ours. Only
// bare-host runs it; it never writes to stdout. See package bareplugin.
package main

import (
	"os"

	"github.com/nodeplug/nodeplug/bench/bareplugin"
)

func main() { bareplugin.Serve(os.Stderr) }
