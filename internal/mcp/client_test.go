package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/tool"
)

type echoIn struct {
	Text string `json:"text" jsonschema:"the text to echo"`
}

type echoOut struct {
	Echo string `json:"echo"`
}

// TestClientOverHTTP imports the tools of a streamable HTTP MCP server,
// prefixed with the server name, and calls them through the registry:
// results, tool errors, schema checks and timeouts.
func TestClientOverHTTP(t *testing.T) {
	s := sdk.NewServer(&sdk.Implementation{Name: "remote", Version: "1"}, nil)
	sdk.AddTool(s, &sdk.Tool{Name: "echo", Description: "Echo a text."}, func(ctx context.Context, req *sdk.CallToolRequest, in echoIn) (*sdk.CallToolResult, echoOut, error) {
		if in.Text == "fail" {
			return nil, echoOut{}, errors.New("asked to fail")
		}
		return nil, echoOut{Echo: in.Text}, nil
	})
	sdk.AddTool(s, &sdk.Tool{Name: "slow.op", Description: "Sleep."}, func(ctx context.Context, req *sdk.CallToolRequest, in echoIn) (*sdk.CallToolResult, echoOut, error) {
		select {
		case <-ctx.Done():
		case <-time.After(3 * time.Second):
		}
		return nil, echoOut{}, ctx.Err()
	})
	srv := httptest.NewServer(sdk.NewStreamableHTTPHandler(func(*http.Request) *sdk.Server { return s }, nil))
	defer srv.Close()

	c, err := Connect(context.Background(), config.MCPServerConfig{Name: "remote", URL: srv.URL, Timeout: config.Duration(500 * time.Millisecond), Risk: "low"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	reg := tool.NewRegistry(tool.Options{})
	for _, tl := range c.Tools() {
		if err := reg.Register(tl); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(reg.Names(), ","); got != "remote_echo,remote_slow_op" {
		t.Fatalf("imported %s", got)
	}
	ctx := context.Background()
	out, err := reg.Call(ctx, "remote_echo", json.RawMessage(`{"text":"hi"}`))
	if err != nil || string(out) != `{"echo":"hi"}` {
		t.Errorf("echo: %s %v", out, err)
	}
	if _, err := reg.Call(ctx, "remote_echo", json.RawMessage(`{"text":"fail"}`)); err == nil || !strings.Contains(err.Error(), "asked to fail") {
		t.Errorf("tool error: %v", err)
	}
	if _, err := reg.Call(ctx, "remote_echo", json.RawMessage(`{"text":5}`)); !errors.Is(err, tool.ErrInvalidArguments) {
		t.Errorf("schema check before the call: %v", err)
	}
	if _, err := reg.Call(ctx, "remote_slow_op", json.RawMessage(`{"text":"x"}`)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout: %v", err)
	}
	if spec, _ := reg.Spec("remote_echo"); spec.Risk != "low" || spec.Timeout != 500*time.Millisecond {
		t.Errorf("spec %+v", spec)
	}
}

func TestConnectFails(t *testing.T) {
	_, err := Connect(context.Background(), config.MCPServerConfig{Name: "gone", Command: []string{"/nonexistent/mcp-server"}, Timeout: config.Duration(time.Second)})
	if err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("err %v", err)
	}
}
