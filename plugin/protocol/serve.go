package protocol

import (
	"os"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// LogLevelEnv is the environment variable a host sets to choose the
// plugin's log level (trace, debug, info, warn, error).
const LogLevelEnv = "NODEPLUG_LOG_LEVEL"

// ServeOption configures Serve.
type ServeOption func(*serveConfig)

type serveConfig struct {
	logger       hclog.Logger
	test         *plugin.ServeTestConfig
	watchParent  bool
	pollInterval time.Duration
}

// WithLogger replaces the default JSON logger on stderr.
func WithLogger(l hclog.Logger) ServeOption { return func(c *serveConfig) { c.logger = l } }

// WithTestConfig serves in-process for tests (go-plugin's reattach mode).
func WithTestConfig(t *plugin.ServeTestConfig) ServeOption {
	return func(c *serveConfig) { c.test = t; c.watchParent = false }
}

// NewLogger returns the logger plugins use: JSON lines on stderr (go-plugin
// re-emits them on the host's logger), level from NODEPLUG_LOG_LEVEL.
// Nothing ever goes to stdout, which belongs to the go-plugin handshake.
func NewLogger(name string) hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       name,
		Level:      hclog.LevelFromString(os.Getenv(LogLevelEnv)),
		Output:     os.Stderr,
		JSONFormat: true,
	})
}

// Serve serves p over go-plugin's gRPC transport and blocks until the host
// ends the plugin. It is all a plugin's main needs to call. When run by
// hand (not by a host), it prints a short explanation to stderr and exits 1.
func Serve(p *sdk.Plugin, opts ...ServeOption) {
	cfg := serveConfig{watchParent: true, pollInterval: time.Second}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.logger == nil {
		cfg.logger = NewLogger("nodeplug-" + p.Name)
	}
	if cfg.watchParent {
		go exitWhenOrphaned(os.Getppid(), cfg.pollInterval, cfg.logger)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig:  Handshake(),
		VersionedPlugins: PluginPlugins(p),
		GRPCServer:       GRPCServerFactory,
		Logger:           cfg.logger,
		Test:             cfg.test,
	})
}

// exitWhenOrphaned ends the plugin when its host dies without killing it
// (SIGKILL, crash): go-plugin has no parent-death handling of its own.
func exitWhenOrphaned(parent int, every time.Duration, log hclog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		if os.Getppid() != parent {
			log.Warn("host process is gone; exiting")
			os.Exit(0)
		}
	}
}
