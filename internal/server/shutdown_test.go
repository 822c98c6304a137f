package server

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ragline/ragline/internal/config"
)

// TestShutdownGracePeriod checks that shutdown waits for a request in
// flight within server.grace_period, and cuts it off, with an error, when
// the grace period is over.
func TestShutdownGracePeriod(t *testing.T) {
	cases := []struct {
		name   string
		grace  time.Duration
		finish bool // the handler finishes once shutdown has begun
		errMsg string
	}{
		{"drained within the grace period", time.Minute, true, ""},
		{"cut off after the grace period", 0, false, "grace period"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Server.GracePeriod = config.Duration(c.grace)
			entered, release := make(chan struct{}), make(chan struct{})
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				close(entered)
				select {
				case <-release:
				case <-r.Context().Done():
				}
				w.WriteHeader(http.StatusOK)
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			addr := make(chan string, 1)
			served := make(chan error, 1)
			go func() { served <- ListenAndServe(ctx, "127.0.0.1:0", h, cfg, func(a string) { addr <- a }) }()
			base := "http://" + <-addr
			answered := make(chan int, 1)
			go func() {
				resp, err := http.Get(base + "/")
				if err != nil {
					answered <- 0
					return
				}
				resp.Body.Close()
				answered <- resp.StatusCode
			}()
			<-entered
			cancel()
			if c.finish {
				close(release)
			}
			err := <-served
			if c.errMsg == "" && err != nil || c.errMsg != "" && (err == nil || !strings.Contains(err.Error(), c.errMsg)) {
				t.Fatalf("ListenAndServe: %v, want error containing %q", err, c.errMsg)
			}
			code := <-answered
			if want := map[bool]int{true: 200, false: 0}[c.finish]; code != want {
				t.Errorf("request in flight: status %d, want %d (0: connection closed)", code, want)
			}
		})
	}
}
