package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/ragline/ragline/internal/config"
	"github.com/ragline/ragline/internal/tool"
)

// httpTransport carries the requests of ragline.http_get.
type httpTransport = http.RoundTripper

// maxHostBody caps a response body handed to a module.
const maxHostBody = 1 << 20

// instantiateHost exports the host module "ragline" with one function:
//
//	http_get(url_ptr, url_len, out_ptr, out_cap uint32) int32
//
// It GETs the URL when its host is one of the plugin's hosts and writes a
// JSON object {"status", "body"} or {"error"} to out. It returns the
// object's length; when that exceeds out_cap nothing is written and the
// negated length is returned, so the module can retry with room enough.
// A plugin with no hosts gets the function too, and every call of it is
// refused.
func instantiateHost(ctx context.Context, rt wazero.Runtime, cfg config.PluginConfig, tr httpTransport) error {
	if tr == nil {
		tr = http.DefaultTransport
	}
	client := &http.Client{Transport: tr, Timeout: time.Duration(cfg.Timeout),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !tool.HostAllowed(cfg.Hosts, req.URL.Host) {
				return fmt.Errorf("redirect to host %q, which the plugin may not reach", req.URL.Host)
			}
			return nil
		}}
	get := func(ctx context.Context, m api.Module, urlPtr, urlLen, outPtr, outCap uint32) int32 {
		raw, ok := m.Memory().Read(urlPtr, urlLen)
		var res map[string]any
		switch u, err := url.Parse(string(raw)); {
		case !ok:
			res = map[string]any{"error": "url out of memory bounds"}
		case err != nil || (u.Scheme != "http" && u.Scheme != "https"):
			res = map[string]any{"error": "want an http(s) URL"}
		case !tool.HostAllowed(cfg.Hosts, u.Host):
			res = map[string]any{"error": fmt.Sprintf("host %q is not granted to this plugin", u.Host)}
		default:
			res = fetch(ctx, client, u.String())
		}
		b, _ := json.Marshal(res)
		if uint32(len(b)) > outCap {
			return -int32(len(b))
		}
		if !m.Memory().Write(outPtr, b) {
			return -1
		}
		return int32(len(b))
	}
	_, err := rt.NewHostModuleBuilder("ragline").
		NewFunctionBuilder().WithFunc(get).Export("http_get").
		Instantiate(ctx)
	return err
}

func fetch(ctx context.Context, client *http.Client, u string) map[string]any {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	resp, err := client.Do(req)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxHostBody))
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	return map[string]any{"status": resp.StatusCode, "body": string(b)}
}
