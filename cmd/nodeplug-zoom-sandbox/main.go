// Command nodeplug-zoom-sandbox serves the Zoom OAuth and Meetings API
// emulator of package zoomsandbox on a local port.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/nodeplug/nodeplug/zoomsandbox"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := zoomsandbox.Run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "nodeplug-zoom-sandbox:", err)
		os.Exit(1)
	}
}
