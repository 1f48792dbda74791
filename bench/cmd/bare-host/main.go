// Command bare-host is the floor of nodeplug's plugin design: it launches
// bare-plugin with go-plugin exactly as the nodeplug host launches its
// plugins (gRPC, AutoMTLS, SkipHostEnv, Managed), makes one gRPC call,
// kills the plugin and exits. scripts/bench.sh times it beside
// `nodeplug run`. See package bareplugin.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/hashicorp/go-hclog"

	"github.com/nodeplug/nodeplug/bench/bareplugin"
)

func main() {
	path := flag.String("plugin", "", "bare-plugin executable (default: bare-plugin beside this binary)")
	verbose := flag.Bool("v", false, "log go-plugin's messages to stderr")
	flag.Parse()
	if *path == "" {
		exe, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, "bare-host: cannot find bare-plugin: pass -plugin PATH:", err)
			os.Exit(2)
		}
		*path = filepath.Join(filepath.Dir(exe), "bare-plugin")
	}
	logger := hclog.NewNullLogger()
	if *verbose {
		logger = hclog.New(&hclog.LoggerOptions{Name: "bare-host", Level: hclog.Debug, Output: os.Stderr})
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := bareplugin.RunOnce(ctx, *path, logger)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bare-host:", err)
		os.Exit(1)
	}
}
