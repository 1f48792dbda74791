// Package protocol is the nodeplug wire protocol's Go side: the go-plugin
// handshake and versioned plugin set, the gRPC adapters between package sdk's
// plain types and the generated nodeplug.v1 types, Serve for plugin binaries
// and Client for hosts.
//
// It is the only package that imports the generated protobuf code; business
// code on both sides works with package sdk.
package protocol
