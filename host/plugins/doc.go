// Package plugins finds nodeplug plugin binaries, launches them with
// go-plugin (gRPC only, AutoMTLS, no inherited environment), checks that they
// speak this host's protocol version, keeps one process per plugin for the
// life of a run, and looks up node and credential types across them.
//
// The host knows integrations only through the protocol: this package never
// imports a plugin's own packages.
package plugins
