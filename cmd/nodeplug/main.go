// Command nodeplug is the nodeplug host: it loads integration plugins,
// keeps credentials and runs n8n workflows. See `nodeplug --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/nodeplug/nodeplug/host/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.DefaultIO())
	stop()
	os.Exit(code)
}
