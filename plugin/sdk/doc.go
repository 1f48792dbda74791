// Package sdk holds the plain Go vocabulary of the nodeplug plugin protocol:
// credential and node type descriptions in n8n's model, items, credentials as
// a plugin receives them, and Terraform-style diagnostics. It also defines the
// small handler interfaces a plugin implements and helpers that make a typed,
// per-item node handler out of a function.
//
// Nothing here knows about gRPC or protobuf: package protocol converts these
// types to and from the wire, serves a Plugin (protocol.Serve) and gives hosts
// a client that speaks the same types. A plugin's main is therefore:
//
//	func main() { protocol.Serve(myplugin.New()) }
package sdk
