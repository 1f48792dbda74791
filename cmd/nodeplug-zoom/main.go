// Command nodeplug-zoom is the nodeplug Zoom plugin binary. A nodeplug host
// launches it through go-plugin; run by hand it explains that and exits.
package main

import (
	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/zoom"
)

func main() { protocol.Serve(zoom.New()) }
