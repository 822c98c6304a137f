package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// readyWait bounds how long a throwaway server may take to start.
const readyWait = 30 * time.Second

// Server is a throwaway PostgreSQL cluster owned by one test.
type Server struct {
	bin  string // directory of initdb, pg_ctl, postgres
	dir  string // data directory
	log  string // server log file
	port int
	cred *syscall.Credential // nil when not running as root
	dbs  atomic.Int64
}

// Options tune Start.
type Options struct {
	// Durable keeps fsync on (benchmarks compare
	// stores with their real durability); tests leave it off for speed.
	Durable bool
}

// BinDir finds the PostgreSQL server binaries: initdb on PATH, else the
// newest /usr/lib/postgresql/*/bin.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("PostgreSQL binaries not found (initdb on PATH or /usr/lib/postgresql/*/bin): run `apt-get install postgresql` (CI installs it)")
}

func version(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start initialises a cluster in a temporary directory, starts it on a
// free loopback port and stops it when the test ends.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	s, err := StartIn(t.TempDir(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// StartIn is Start for a TestMain shared by a package's tests: the cluster
// lives in root (an empty directory the caller removes) until Close.
func StartIn(root string, o Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	s.dir = filepath.Join(root, "data")
	s.log = filepath.Join(root, "server.log")
	if os.Geteuid() == 0 {
		// initdb and postgres refuse to run as root: run them as an
		// unprivileged account that owns the cluster's directory.
		cred, err := unprivileged()
		if err != nil {
			return nil, err
		}
		s.cred = cred
		// Temporary directories are private to root; the account only
		// needs to pass through their parents.
		tmp := filepath.Clean(os.TempDir())
		for d := filepath.Dir(root); strings.HasPrefix(d, tmp+string(filepath.Separator)); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o711); err != nil {
				return nil, err
			}
		}
		if err := os.Chown(root, int(cred.Uid), int(cred.Gid)); err != nil {
			return nil, err
		}
	}
	if out, err := s.command(filepath.Join(bin, "initdb"), "-D", s.dir, "-U", "ragline", "--auth=trust",
		"--encoding=UTF8", "--locale=C", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	conf := "listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 300\n"
	if !o.Durable {
		conf += "fsync = off\nfull_page_writes = off\n"
	}
	f, err := os.OpenFile(filepath.Join(s.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	_, err = f.WriteString(conf)
	f.Close()
	if err != nil {
		return nil, err
	}
	// The port is free when probed but may be taken before the server
	// binds it; a failed start is retried on a new port.
	var lastErr error
	for range 3 {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if lastErr = s.start(); lastErr == nil {
			return s, nil
		}
	}
	return nil, lastErr
}

// Close stops the server.
func (s *Server) Close() error { return s.stop("fast") }

// unprivileged returns the credentials of the postgres account, or nobody.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, fmt.Errorf("running as root and no postgres or nobody account to run PostgreSQL as")
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	cmd.Dir = filepath.Dir(s.dir)
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd
}

func (s *Server) start() error {
	cmd := s.command(filepath.Join(s.bin, "pg_ctl"), "start", "-w", "-t", strconv.Itoa(int(readyWait/time.Second)),
		"-D", s.dir, "-l", s.log, "-o", "-p "+strconv.Itoa(s.port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		logb, _ := os.ReadFile(s.log)
		return fmt.Errorf("pg_ctl start on port %d: %v\n%s\n%s", s.port, err, out.String(), logb)
	}
	return nil
}

func (s *Server) stop(mode string) error {
	out, err := s.command(filepath.Join(s.bin, "pg_ctl"), "stop", "-w", "-D", s.dir, "-m", mode).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Stop shuts the server down (immediate mode: connections are cut as in
// a crash or network loss); Restart brings it back on the same port.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if err := s.stop("immediate"); err != nil {
		t.Fatal(err)
	}
}

// Restart starts a stopped server again on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
}

// Addr returns host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns the connection URL of database db.
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://ragline@%s/%s?sslmode=disable", s.Addr(), db)
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", s.dbs.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), readyWait)
	defer cancel()
	c, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	return s.URL(name)
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
