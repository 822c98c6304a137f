package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/ragline/ragline/examples/quickstart"
	"github.com/ragline/ragline/internal/kb"
	"github.com/ragline/ragline/internal/server"
	"github.com/ragline/ragline/internal/session"
)

// HTTPBenchLevel is one concurrency level of `ragline bench http`.
type HTTPBenchLevel struct {
	Concurrency int     `json:"concurrency"`
	Requests    int     `json:"requests"`
	Errors      int     `json:"errors"`
	RPS         float64 `json:"rps"`
	P50MS       float64 `json:"p50_ms"`
	P99MS       float64 `json:"p99_ms"`
}

// HTTPBench is the JSON printed by `ragline bench http`.
type HTTPBench struct {
	Target     string           `json:"target"`
	Questions  int              `json:"questions"`
	DurationS  float64          `json:"duration_s"`
	Levels     []HTTPBenchLevel `json:"levels"`
	RSSStartMB float64          `json:"rss_start_mb,omitempty"`
	RSSEndMB   float64          `json:"rss_end_mb,omitempty"`
	GoMaxProcs int              `json:"gomaxprocs"`
	InProcess  bool             `json:"in_process"`
}

func (a *app) benchHTTPCommand() *cobra.Command {
	var f kbFlags
	var target, levels, questions string
	var duration time.Duration
	cmd := &cobra.Command{
		Use:   "http",
		Short: "Load POST /v1/chat on loopback at several concurrency levels and report req/s and latency",
		Long: `Without --target, serves --data in this process on a random 127.0.0.1 port and
reports its resident memory before and after. With --target, loads that server,
which must be on a loopback address. Questions come from --questions: a BEIR
queries.jsonl, a golden JSONL with "question", or a text file with one per line;
by default the quick-start questions built into the binary. Requests are
stateless: the server keeps no conversation for them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			conc, err := parseLevels(levels)
			if err != nil {
				return usageErr("bench http: --concurrency: %v", err)
			}
			if duration <= 0 || duration > 30*time.Minute {
				return usageErr("bench http: --duration must be between 0 and 30m")
			}
			qs, err := benchQuestions(questions)
			if err != nil {
				return usageErr("bench http: --questions: %v", err)
			}
			ctx := cmd.Context()
			res := HTTPBench{Questions: len(qs), DurationS: duration.Seconds(), GoMaxProcs: runtime.GOMAXPROCS(0)}
			if target == "" {
				k, err := a.openKB(cmd, &f, true)
				if err != nil {
					return err
				}
				defer k.Close()
				if err := k.Warm(ctx, ""); err != nil {
					return failErr(err)
				}
				base, stop, err := serveInProcess(k)
				if err != nil {
					return failErr(err)
				}
				defer stop()
				target, res.InProcess = base, true
				res.RSSStartMB = rssMB()
			} else if err := loopbackOnly(target); err != nil {
				return usageErr("bench http: %v", err)
			}
			res.Target = target
			for _, c := range conc {
				if ctx.Err() != nil {
					break
				}
				bar := newCounter(a.stderr, fmt.Sprintf("bench http: %d clients", c), -1, "requests")
				lvl := loadLevel(ctx, target, qs, c, duration, func() { bar.Add(1) })
				bar.Finish()
				fmt.Fprintf(a.stderr, "bench http: %d clients: %.0f req/s, p50 %.2f ms, p99 %.2f ms, %d errors\n", c, lvl.RPS, lvl.P50MS, lvl.P99MS, lvl.Errors)
				res.Levels = append(res.Levels, lvl)
			}
			if res.InProcess {
				res.RSSEndMB = rssMB()
			}
			return json.NewEncoder(a.stdout).Encode(res)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&target, "target", "", "base URL of a running server on loopback (default: serve --data in-process)")
	cmd.Flags().StringVar(&levels, "concurrency", "1,8,32", "comma-separated client counts")
	cmd.Flags().DurationVar(&duration, "duration", 10*time.Second, "load time per concurrency level")
	cmd.Flags().StringVar(&questions, "questions", "", "questions file (default: the quick-start questions, built in)")
	return cmd
}

func parseLevels(s string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 1024 {
			return nil, fmt.Errorf("%q is not a client count between 1 and 1024", p)
		}
		out = append(out, n)
	}
	return out, nil
}

// loopbackOnly refuses targets off this machine: load is only ever sent
// to loopback addresses.
func loopbackOnly(target string) error {
	u, err := url.Parse(target)
	if err != nil || u.Host == "" {
		return fmt.Errorf("--target %q is not a URL", target)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--target must be a loopback address (127.0.0.0/8, ::1 or localhost), got %q", host)
	}
	return nil
}

// benchQuestions reads the questions file at path, or the built-in
// quick-start questions when path is "".
func benchQuestions(path string) ([]string, error) {
	if path == "" {
		return parseQuestions("built-in quick-start questions", quickstart.Questions)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseQuestions(path, b)
}

// parseQuestions reads questions from JSONL ("question" or BEIR "text") or
// plain lines; path names the source in errors.
func parseQuestions(path string, b []byte) ([]string, error) {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "{") {
			var rec struct {
				Question string `json:"question"`
				Text     string `json:"text"`
			}
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			line = rec.Question
			if line == "" {
				line = rec.Text
			}
		}
		if line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no questions", path)
	}
	return out, nil
}

// serveInProcess serves a knowledge base on a random loopback port with
// in-memory sessions.
func serveInProcess(k *kb.KB) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	cfg := k.Config()
	h := server.New(k, server.Options{Config: cfg, Sessions: session.NewMemory(time.Hour)})
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// loadLevel runs c closed-loop clients for d and measures every request;
// answered is called after each successful one.
func loadLevel(ctx context.Context, target string, qs []string, c int, d time.Duration, answered func()) HTTPBenchLevel {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: c, MaxConnsPerHost: c}, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	lat := make([][]float64, c)
	errs := make([]int, c)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; ctx.Err() == nil; i += c {
				body, _ := json.Marshal(map[string]any{"message": qs[i%len(qs)], "stateless": true})
				t0 := time.Now()
				resp, err := client.Post(target+"/v1/chat", "application/json", bytes.NewReader(body))
				if err != nil {
					if ctx.Err() == nil {
						errs[w]++
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs[w]++
					continue
				}
				lat[w] = append(lat[w], float64(time.Since(t0).Microseconds())/1000)
				answered()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	client.CloseIdleConnections()
	var all []float64
	out := HTTPBenchLevel{Concurrency: c}
	for w := range c {
		all = append(all, lat[w]...)
		out.Errors += errs[w]
	}
	out.Requests = len(all)
	out.RPS = round(float64(len(all))/elapsed, 1)
	out.P50MS, out.P99MS = p50p99(all)
	return out
}

// rssMB reads this process's resident set size (Linux), 0 elsewhere.
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kbs, _ := strconv.ParseFloat(f[0], 64)
				return round(kbs/1024, 1)
			}
		}
	}
	return 0
}
