package protocol_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
)

// benchBatchSizes returns the batch sizes BenchmarkExecute measures.
func benchBatchSizes() []int { return []int{1, 10, 100, 1000, 10000} }

// benchMeetingJSON is item i's JSON: a Zoom meeting object as the create
// and get operations return it, trimmed (about 750 bytes).
func benchMeetingJSON(i int) json.RawMessage {
	id := 85746065432 + i
	return json.RawMessage(fmt.Sprintf(`{"uuid":"aDYlohsHRtCd4ii1uC2+hA==","id":%d,"host_id":"KDcuGIm1QgePTO8WbOqwIQ",`+
		`"host_email":"ada@example.com","topic":"Weekly sync %d","type":2,"status":"waiting",`+
		`"start_time":"2030-01-15T09:00:00Z","duration":30,"timezone":"Europe/Berlin","agenda":"Created by nodeplug",`+
		`"created_at":"2026-12-03T13:00:00Z","start_url":"https://zoom.us/s/%d?zak=eyJ0eXAiOiJKV1QiLCJzdiI6IjAwMDAwMSJ9",`+
		`"join_url":"https://zoom.us/j/%d?pwd=b3JkZXJzMjAzMA","password":"np2030","h323_password":"123456",`+
		`"pstn_password":"123456","encrypted_password":"b3JkZXJzMjAzMA","settings":{"host_video":true,`+
		`"participant_video":false,"join_before_host":false,"mute_upon_entry":true,"auto_recording":"none",`+
		`"waiting_room":true,"approval_type":2}}`, id, i, id, id))
}

// benchParamsJSON is every item's resolved parameters (about 190 bytes).
const benchParamsJSON = `{"authentication":"oAuth2","resource":"meeting","operation":"create",` +
	`"topic":"Weekly sync","additionalFields":{"duration":30,"timeZone":"Europe/Berlin","startTime":"2030-01-15T10:00:00"}}`

// benchParams is what the echo node decodes each item's parameters into,
// as a real node does.
type benchParams struct {
	Authentication   string `json:"authentication"`
	Resource         string `json:"resource"`
	Operation        string `json:"operation"`
	Topic            string `json:"topic"`
	AdditionalFields struct {
		Duration  int    `json:"duration"`
		TimeZone  string `json:"timeZone"`
		StartTime string `json:"startTime"`
	} `json:"additionalFields"`
}

// benchEcho outputs each input item's JSON unchanged.
func benchEcho() sdk.Executor {
	return sdk.PerItem(func(_ context.Context, call sdk.ItemCall[benchParams]) ([]json.RawMessage, error) {
		return []json.RawMessage{call.Item.JSON}, nil
	})
}

func benchPlugin(exec sdk.Executor) *sdk.Plugin {
	return &sdk.Plugin{
		Name: "benchecho", Version: "1.0.0",
		Nodes: []sdk.NodeDef{{
			Type:     sdk.NodeType{Name: "echo", DisplayName: "Echo", Versions: []float64{1}, Inputs: []string{"main"}, Outputs: []string{"main"}},
			Executor: exec,
		}},
	}
}

func benchRequest(n int) *sdk.ExecuteRequest {
	req := &sdk.ExecuteRequest{NodeType: "echo", TypeVersion: 1, NodeName: "Echo", OnError: sdk.OnErrorStop, ExecutionID: "1",
		Items: make([]sdk.Item, n)}
	for i := range req.Items {
		req.Items[i] = sdk.Item{JSON: benchMeetingJSON(i), Parameters: json.RawMessage(benchParamsJSON)}
	}
	return req
}

// checkEcho fails b unless resp holds the request's items, in order.
func checkEcho(b *testing.B, req *sdk.ExecuteRequest, resp *sdk.ExecuteResponse) {
	b.Helper()
	if err := resp.Diagnostics.Err(); err != nil {
		b.Fatalf("echo failed: %v", err)
	}
	if len(resp.Outputs) != 1 || len(resp.Outputs[0]) != len(req.Items) {
		b.Fatalf("echo of %d items returned %d outputs (first of %d items)", len(req.Items), len(resp.Outputs), len(resp.Outputs[0]))
	}
	for i, it := range resp.Outputs[0] {
		if it.PairedItem != i || !bytes.Equal(it.JSON, req.Items[i].JSON) {
			b.Fatalf("output item %d (paired to %d) is not input item %d", i, it.PairedItem, i)
		}
	}
}

// benchConnect serves p in this process the way a plugin binary serves it
// (go-plugin's Serve with protocol's handshake, plugin set and gRPC server
// factory, over a Unix socket, with mutual TLS like go-plugin's AutoMTLS)
// and returns a host-side *protocol.Client dispensed by a go-plugin client
// attached to it.
//
// go-plugin's TestPluginGRPCConn is not used: it hard-wires
// DefaultGRPCServer, whose 4 MiB receive limit refuses a 10,000-item batch
// (~9 MB), while nodeplug plugins serve with protocol.GRPCServerFactory.
func benchConnect(b *testing.B, p *sdk.Plugin) *protocol.Client {
	b.Helper()
	serverTLS, clientTLS := benchMTLS(b)
	ctx, cancel := context.WithCancel(context.Background())
	reattach := make(chan *goplugin.ReattachConfig, 1)
	closed := make(chan struct{})
	go goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  protocol.Handshake(),
		VersionedPlugins: protocol.PluginPlugins(p),
		GRPCServer:       protocol.GRPCServerFactory,
		TLSProvider:      func() (*tls.Config, error) { return serverTLS, nil },
		Logger:           hclog.NewNullLogger(),
		Test:             &goplugin.ServeTestConfig{Context: ctx, ReattachConfigCh: reattach, CloseCh: closed},
	})
	var rc *goplugin.ReattachConfig
	select {
	case rc = <-reattach:
	case <-closed:
		cancel()
		b.Fatal("the plugin server stopped before it was ready")
	}
	c := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig:  protocol.Handshake(),
		Plugins:          protocol.HostPlugins(nil)[sdk.ProtocolVersion],
		Reattach:         rc,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		TLSConfig:        clientTLS,
		Logger:           hclog.NewNullLogger(),
	})
	rpc, err := c.Client()
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	// Closing the client shuts the server down through go-plugin's
	// controller; the context is canceled only once it has stopped.
	b.Cleanup(func() {
		_ = rpc.Close()
		<-closed
		cancel()
	})
	raw, err := rpc.Dispense(protocol.PluginName)
	if err != nil {
		b.Fatal(err)
	}
	return raw.(*protocol.Client)
}

// benchMTLS returns TLS configurations like those of go-plugin's AutoMTLS:
// each side has its own self-signed ECDSA P-521 certificate and requires
// the other's.
func benchMTLS(b *testing.B) (server, client *tls.Config) {
	b.Helper()
	serverCert, serverPool := benchCert(b)
	clientCert, clientPool := benchCert(b)
	server = &tls.Config{Certificates: []tls.Certificate{serverCert}, ClientAuth: tls.RequireAndVerifyClientCert,
		ClientCAs: clientPool, MinVersion: tls.VersionTLS12}
	client = &tls.Config{Certificates: []tls.Certificate{clientCert}, RootCAs: serverPool, ServerName: "localhost",
		MinVersion: tls.VersionTLS12}
	return server, client
}

func benchCert(b *testing.B) (tls.Certificate, *x509.CertPool) {
	b.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true, IsCA: true,
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		b.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// BenchmarkExecute measures Execute on batches of 1 to 10,000 items, each a
// Zoom meeting object (~750 bytes) with its parameters (~190 bytes), run by
// an sdk.PerItem node that decodes the parameters and echoes the item:
//
//   - path=grpc: host Client → go-plugin gRPC connection → plugin server →
//     executor and back (conversions, protobuf, HTTP/2 and TLS over a Unix
//     socket), served as a plugin binary serves it (see benchConnect).
//   - path=inprocess: the same executor on the same request, called directly.
//
// The protocol's overhead per item is the ns/item of path=grpc minus that of
// path=inprocess at the same batch size. The allocations counted include the
// plugin side's, which runs in this process.
func BenchmarkExecute(b *testing.B) {
	ctx := context.Background()
	exec := benchEcho()
	b.Run("path=grpc", func(b *testing.B) {
		client := benchConnect(b, benchPlugin(exec))
		for _, n := range benchBatchSizes() {
			b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
				req := benchRequest(n)
				resp, err := client.Execute(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				checkEcho(b, req, resp)
				b.ReportAllocs()
				for b.Loop() {
					resp, err := client.Execute(ctx, req)
					if err != nil {
						b.Fatal(err)
					}
					if len(resp.Outputs[0]) != n {
						b.Fatalf("echo of %d items returned %d", n, len(resp.Outputs[0]))
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/item")
			})
		}
	})
	b.Run("path=inprocess", func(b *testing.B) {
		for _, n := range benchBatchSizes() {
			b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
				req := benchRequest(n)
				resp, err := exec.Execute(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				checkEcho(b, req, resp)
				b.ReportAllocs()
				for b.Loop() {
					resp, err := exec.Execute(ctx, req)
					if err != nil {
						b.Fatal(err)
					}
					if len(resp.Outputs[0]) != n {
						b.Fatalf("echo of %d items returned %d", n, len(resp.Outputs[0]))
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/item")
			})
		}
	})
}
