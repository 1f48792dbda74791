// Command nodeplug is the nodeplug host: it loads integration plugins,
// keeps credentials and runs n8n workflows. See `nodeplug --help`.
//
// NODEPLUG_CPU_PROFILE=FILE writes a CPU profile of the command (like
// Terraform's TF_CPU_PROFILE), for performance work.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/nodeplug/nodeplug/host/cli"
)

func main() {
	if path := os.Getenv("NODEPLUG_CPU_PROFILE"); path != "" {
		f, err := os.Create(path)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "error: NODEPLUG_CPU_PROFILE:", err)
			os.Exit(1)
		}
		code := run()
		pprof.StopCPUProfile()
		f.Close()
		os.Exit(code)
	}
	os.Exit(run())
}

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Main(ctx, os.Args[1:], cli.DefaultIO())
}
