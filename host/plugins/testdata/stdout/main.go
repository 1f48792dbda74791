// Command stdout is a test plugin that breaks the rule that plugins never
// write to stdout: it prints a line before the go-plugin handshake.
package main

import (
	"fmt"
	"os"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

func main() {
	fmt.Fprintln(os.Stderr, "stdout plugin: greeting on stdout before the handshake")
	fmt.Println("hello from the stdout plugin")
	protocol.Serve(&sdk.Plugin{Name: "stdout", Version: "0.0.1"})
}
