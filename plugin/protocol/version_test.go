package protocol_test

import (
	"fmt"
	"testing"

	"github.com/nodeplug/nodeplug/plugin/protocol"
	"github.com/nodeplug/nodeplug/plugin/sdk"
	pb "github.com/nodeplug/nodeplug/proto/nodeplug/v1"
)

// The go-plugin protocol version, the Go constant and the proto package
// must move together: a breaking change is a new proto package and a new
// version.
func TestProtocolVersionMatchesProtoPackage(t *testing.T) {
	pkg := string(pb.File_nodeplug_v1_nodeplug_proto.Package())
	if want := fmt.Sprintf("nodeplug.v%d", sdk.ProtocolVersion); pkg != want {
		t.Errorf("proto package = %s, want %s for protocol version %d", pkg, want, sdk.ProtocolVersion)
	}
	if v := protocol.Handshake().ProtocolVersion; v != uint(sdk.ProtocolVersion) {
		t.Errorf("handshake protocol version = %d, want %d", v, sdk.ProtocolVersion)
	}
	if _, ok := protocol.HostPlugins(nil)[sdk.ProtocolVersion]; !ok {
		t.Errorf("host plugin set lacks version %d", sdk.ProtocolVersion)
	}
}
