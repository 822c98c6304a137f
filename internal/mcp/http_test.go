package mcp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ragline/ragline/internal/config"
)

// TestHTTPServerCutsSlowBodies reproduces a client holding the MCP
// endpoint open by sending its body one byte at a time: the server now
// answers (or closes) at server.read_timeout, before the body is complete,
// instead of waiting for it for minutes.
func TestHTTPServerCutsSlowBodies(t *testing.T) {
	s := sdk.NewServer(&sdk.Implementation{Name: "slow", Version: "1"}, nil)
	h := sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s }, nil)
	cfg := config.Default().Server
	cfg.ReadTimeout = config.Duration(500 * time.Millisecond)
	hs := HTTPServer(h, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	defer hs.Shutdown(context.Background())

	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const bodyLen = 40
	fmt.Fprintf(conn, "POST /mcp HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: %d\r\n\r\n", ln.Addr(), bodyLen)
	var sent atomic.Int32
	answered := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			line = "closed: " + err.Error()
		}
		answered <- strings.TrimSpace(line)
	}()
	body := strings.Repeat(" ", bodyLen)
	for i := range bodyLen {
		select {
		case got := <-answered:
			if int(sent.Load()) >= bodyLen {
				t.Fatalf("answered %q only after the whole body", got)
			}
			return // cut off with the body unfinished
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{body[i]}); err != nil {
			return // the server closed the connection
		}
		sent.Add(1)
	}
	got := <-answered
	t.Errorf("the server waited for the whole slow body (%d bytes over %v), then answered %q", bodyLen, bodyLen*100*time.Millisecond, got)
}
