package mcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/tool"
)

// Version is what ragline reports as its MCP implementation version.
var Version = "dev"

// Client is a connection to one MCP server. It is safe for concurrent use.
type Client struct {
	cfg     config.MCPServerConfig
	session *sdk.ClientSession
	tools   []tool.Tool
}

// unsafeName matches characters a tool-calling model does not accept in
// a function name.
var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// Connect starts or reaches the server, within its timeout, and lists its
// tools.
func Connect(ctx context.Context, cfg config.MCPServerConfig) (*Client, error) {
	timeout := time.Duration(cfg.Timeout)
	var t sdk.Transport
	switch {
	case len(cfg.Command) > 0:
		t = &sdk.CommandTransport{Command: exec.Command(cfg.Command[0], cfg.Command[1:]...)}
	case cfg.URL != "":
		t = &sdk.StreamableClientTransport{Endpoint: cfg.URL, MaxRetries: -1, DisableStandaloneSSE: true}
	default:
		return nil, fmt.Errorf("mcp server %s: needs command or url", cfg.Name)
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "ragline", Version: Version}, nil)
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	session, err := c.Connect(cctx, t, nil)
	if err != nil {
		return nil, fmt.Errorf("mcp server %s: connect: %w", cfg.Name, err)
	}
	cl := &Client{cfg: cfg, session: session}
	for mt, err := range session.Tools(cctx, nil) {
		if err != nil {
			session.Close()
			return nil, fmt.Errorf("mcp server %s: list tools: %w", cfg.Name, err)
		}
		cl.tools = append(cl.tools, cl.wrap(mt))
	}
	return cl, nil
}

// Tools returns the server's tools, named "SERVER_tool".
func (c *Client) Tools() []tool.Tool { return c.tools }

// Close ends the session (and the server's process, for a command).
func (c *Client) Close() error { return c.session.Close() }

func (c *Client) wrap(mt *sdk.Tool) tool.Tool {
	params, err := json.Marshal(mt.InputSchema)
	if err != nil || string(params) == "null" {
		params = json.RawMessage(`{"type":"object"}`)
	}
	remote := mt.Name
	return tool.Func{S: tool.Spec{
		Name:        clipName(c.cfg.Name + "_" + unsafeName.ReplaceAllString(remote, "_")),
		Description: mt.Description,
		Parameters:  params,
		Timeout:     time.Duration(c.cfg.Timeout),
		Risk:        c.cfg.Risk,
	}, F: func(ctx context.Context, args json.RawMessage) (json.RawMessage, error) {
		res, err := c.session.CallTool(ctx, &sdk.CallToolParams{Name: remote, Arguments: args})
		if err != nil {
			return nil, fmt.Errorf("mcp %s: %w", c.cfg.Name, err)
		}
		text := contentText(res.Content)
		if res.IsError {
			return nil, fmt.Errorf("mcp %s: %s: %w", c.cfg.Name, remote, errors.New(text))
		}
		if res.StructuredContent != nil {
			b, err := json.Marshal(res.StructuredContent)
			if err == nil {
				return b, nil
			}
		}
		return json.Marshal(map[string]string{"text": text})
	}}
}

func clipName(s string) string {
	if len(s) > 64 {
		return s[:64]
	}
	return s
}

// contentText joins the text parts of a tool result.
func contentText(cs []sdk.Content) string {
	var parts []string
	for _, c := range cs {
		if t, ok := c.(*sdk.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, "\n")
}
