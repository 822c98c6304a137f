package redistest

import (
	"bufio"
	"bytes"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisReadyWait bounds how long a throwaway server may take to answer.
const redisReadyWait = 10 * time.Second

// Start runs a throwaway redis-server on a free loopback port, with
// no persistence and its working folder in a temporary directory, and
// kills it when the test ends. It returns the server's host:port. Extra
// arguments go to the server (for example "--requirepass", "pw"). Tests
// never use a Redis the machine may already be running.
func Start(t testing.TB, args ...string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server is not on PATH: run `apt-get install redis-server` (CI installs it)")
	}
	dir := t.TempDir()
	// The port is free when probed but may be taken before the server
	// binds it; a server that exits at once is retried on a new port.
	var lastErr string
	for range 3 {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command(bin, append([]string{
			"--save", "", "--appendonly", "no", "--dir", dir,
			"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--daemonize", "no",
		}, args...)...)
		var out bytes.Buffer // read only after the process has exited
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		switch waitRedis(addr, exited) {
		case nil:
			t.Cleanup(stop)
			return addr
		case errExited:
			lastErr = "redis-server exited: " + strings.TrimSpace(out.String())
		default:
			stop()
			t.Fatalf("redis-server on %s did not answer PING within %s:\n%s", addr, redisReadyWait, out.String())
		}
	}
	t.Fatal(lastErr)
	return ""
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type redisWaitError string

func (e redisWaitError) Error() string { return string(e) }

const (
	errExited  = redisWaitError("exited")
	errTimeout = redisWaitError("timeout")
)

// waitRedis polls addr with PING until it answers PONG, the server exits,
// or redisReadyWait passes.
func waitRedis(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(redisReadyWait)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errExited
		default:
		}
		if pong(addr) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errTimeout
}

// pong speaks just enough of the protocol to tell a ready server.
func pong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	// A server started with --requirepass answers NOAUTH, which still
	// shows it is up.
	return err == nil && (line == "+PONG\r\n" || strings.HasPrefix(line, "-NOAUTH"))
}
