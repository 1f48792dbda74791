// Command exit is a test plugin that fails at start: it explains why on
// stderr and exits with status 3 before any handshake.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "exit plugin: missing configuration, giving up")
	os.Exit(3)
}
