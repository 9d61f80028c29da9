//go:build unix

package natstest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sys/unix"
)

// Environment variables read by the cluster helpers.
const (
	// EnvServerBinary names a nats-server binary to run. When unset, the
	// binary is built once from the nats-server module in go.mod into the
	// user cache directory (about 60 s on two cold cores; later runs reuse
	// it).
	EnvServerBinary = "SCAMSCREEN_NATS_SERVER"
	// EnvRequireCluster, when set to 1, turns "cannot get a nats-server
	// binary" from a skip into a failure, so CI cannot skip silently.
	EnvRequireCluster = "SCAMSCREEN_REQUIRE_CLUSTER"
	// EnvKeepLogs names a directory where the full server logs of a
	// failed cluster test are copied (CI artifacts).
	EnvKeepLogs = "SCAMSCREEN_NATSTEST_LOGS"
)

const serverModule = "github.com/nats-io/nats-server/v2"

// ServerBinary returns the path of a nats-server binary: $SCAMSCREEN_NATS_SERVER,
// or one built from the module version this test binary links. It skips
// the test with instructions when neither is possible (fails instead when
// $SCAMSCREEN_REQUIRE_CLUSTER=1).
func ServerBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(EnvServerBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("%s=%s: %v", EnvServerBinary, p, err)
		}
		return p
	}
	p, err := buildServer()
	if err != nil {
		msg := fmt.Sprintf("no nats-server binary: %v; set %s to a nats-server binary, or make `go build %s` work (module proxy or cache)", err, EnvServerBinary, serverModule)
		if os.Getenv(EnvRequireCluster) == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

var buildMu sync.Mutex // one build per process; the file lock covers processes

func buildServer() (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	// Test binaries carry no module versions, so ask the go command which
	// nats-server go.mod selects (offline: it reads go.mod).
	out, err := exec.CommandContext(ctx, goBin, "list", "-m", "-f",
		"{{with .Replace}}{{.Version}}{{else}}{{.Version}}{{end}}", serverModule).Output()
	if err != nil {
		return "", fmt.Errorf("go list -m %s: %w", serverModule, err)
	}
	version := strings.TrimSpace(string(out))
	if version == "" {
		return "", fmt.Errorf("go list -m %s: no version", serverModule)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "scamscreen", "natstest")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "nats-server-"+version)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}

	buildMu.Lock()
	defer buildMu.Unlock()
	lf, err := os.OpenFile(filepath.Join(dir, "build.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return "", err
	}
	defer lf.Close()
	if err := unix.Flock(int(lf.Fd()), unix.LOCK_EX); err != nil {
		return "", fmt.Errorf("build lock: %w", err)
	}
	defer unix.Flock(int(lf.Fd()), unix.LOCK_UN)
	if _, err := os.Stat(bin); err == nil {
		return bin, nil // another process built it while we waited
	}

	modFile, err := exec.CommandContext(ctx, goBin, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	modDir := filepath.Dir(strings.TrimSpace(string(modFile)))
	tmp := bin + ".tmp" + strconv.Itoa(os.Getpid())
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", tmp, serverModule)
	cmd.Dir = modDir
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("go build %s: %w: %s", serverModule, err, bytes.TrimSpace(out))
	}
	if err := os.Rename(tmp, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// Cluster is a JetStream cluster of real nats-server processes on
// loopback, each with its own random ports and store directory in
// t.TempDir(). Methods fail the test on error; they are not safe for
// concurrent use.
type Cluster struct {
	t     testing.TB
	bin   string
	nodes []*node
}

type node struct {
	name       string
	clientPort int
	httpPort   int
	confPath   string
	logPath    string
	cmd        *exec.Cmd
	exited     chan struct{}
}

// StartCluster starts an n-node cluster, waits until every node is healthy
// and JetStream answers, and kills the processes when the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("StartCluster(%d): need at least one node", n)
	}
	c := &Cluster{t: t, bin: ServerBinary(t)}
	ports := freePorts(t, 3*n)
	base := t.TempDir()
	var routes []string
	for i := range n {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", ports[3*i+1]))
	}
	for i := range n {
		dir := filepath.Join(base, fmt.Sprintf("n%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		nd := &node{
			name:       fmt.Sprintf("n%d", i),
			clientPort: ports[3*i],
			httpPort:   ports[3*i+2],
			confPath:   filepath.Join(dir, "server.conf"),
			logPath:    filepath.Join(dir, "server.log"),
		}
		conf := fmt.Sprintf(`server_name: %q
listen: "127.0.0.1:%d"
http: "127.0.0.1:%d"
jetstream {
  store_dir: %q
  max_memory_store: 268435456
  max_file_store: 4294967296
}
cluster {
  name: "natstest"
  listen: "127.0.0.1:%d"
  routes: [%s]
}
`, nd.name, nd.clientPort, nd.httpPort, filepath.Join(dir, "store"), ports[3*i+1], strings.Join(quoteAll(routes), ", "))
		if err := os.WriteFile(nd.confPath, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		c.nodes = append(c.nodes, nd)
	}
	t.Cleanup(c.stopAll)
	for i := range c.nodes {
		c.start(i)
	}
	for i := range c.nodes {
		c.waitHealthy(i)
	}
	c.waitJetStream()
	return c
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// freePorts reserves n distinct loopback ports. They are released before
// the servers bind them, so another process could take one in between; on
// a test machine that is rare enough.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ls = append(ls, l)
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

func (c *Cluster) start(i int) {
	c.t.Helper()
	nd := c.nodes[i]
	logf, err := os.OpenFile(nd.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	cmd := exec.Command(c.bin, "-c", nd.confPath)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		c.t.Fatalf("start %s: %v", nd.name, err)
	}
	nd.cmd = cmd
	nd.exited = make(chan struct{})
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}(nd.exited)
}

func (c *Cluster) waitHealthy(i int) {
	c.t.Helper()
	nd := c.nodes[i]
	url := fmt.Sprintf("http://127.0.0.1:%d/healthz", nd.httpPort)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-nd.exited:
			c.t.Fatalf("%s exited during start:\n%s", nd.name, tail(nd.logPath, 30))
		default:
		}
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not healthy after 60s (last: %v):\n%s", nd.name, err, tail(nd.logPath, 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitJetStream waits until a client sees a JetStream meta leader.
func (c *Cluster) waitJetStream() {
	c.t.Helper()
	nc, js := c.connect()
	defer nc.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := js.AccountInfo(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("JetStream not available after 60s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) connect() (*nats.Conn, jetstream.JetStream) {
	c.t.Helper()
	nc, err := nats.Connect(strings.Join(c.URLs(), ","), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		c.t.Fatalf("connect to cluster: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		c.t.Fatalf("jetstream: %v", err)
	}
	return nc, js
}

// URLs returns the client URL of every node, running or not.
func (c *Cluster) URLs() []string {
	urls := make([]string, len(c.nodes))
	for i, nd := range c.nodes {
		urls[i] = fmt.Sprintf("nats://127.0.0.1:%d", nd.clientPort)
	}
	return urls
}

// Name returns node i's server name.
func (c *Cluster) Name(i int) string { return c.nodes[i].name }

// Kill sends SIGKILL to node i and waits for it to exit: a crash, with no
// lame-duck mode and no flush.
func (c *Cluster) Kill(i int) {
	c.t.Helper()
	nd := c.nodes[i]
	if nd.cmd == nil {
		return
	}
	select {
	case <-nd.exited:
	default:
		if err := nd.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			c.t.Errorf("kill %s: %v", nd.name, err)
		}
		<-nd.exited
	}
	nd.cmd = nil
}

// Restart starts node i again with its ports and store (killing it first
// if it is running) and waits until it is healthy.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Kill(i)
	c.start(i)
	c.waitHealthy(i)
}

// StreamLeader returns the index of the node leading stream, waiting up to
// 30 seconds for an election.
func (c *Cluster) StreamLeader(stream string) int {
	c.t.Helper()
	nc, js := c.connect()
	defer nc.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s, err := js.Stream(ctx, stream)
		cancel()
		if err == nil {
			if ci := s.CachedInfo().Cluster; ci != nil && ci.Leader != "" {
				for i, nd := range c.nodes {
					if nd.name == ci.Leader {
						return i
					}
				}
				c.t.Fatalf("stream %s leader %q is not a node of this cluster", stream, ci.Leader)
			}
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("stream %s has no leader after 30s (last error: %v)", stream, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (c *Cluster) stopAll() {
	for i, nd := range c.nodes {
		if c.t.Failed() {
			c.t.Logf("log of %s (last lines):\n%s", nd.name, tail(nd.logPath, 20))
			if dir := os.Getenv(EnvKeepLogs); dir != "" {
				dst := filepath.Join(dir, strings.NewReplacer("/", "_", " ", "_").Replace(c.t.Name())+"-"+nd.name+".log")
				if b, err := os.ReadFile(nd.logPath); err == nil && os.MkdirAll(dir, 0o755) == nil {
					if err := os.WriteFile(dst, b, 0o644); err == nil {
						c.t.Logf("full log of %s kept in %s", nd.name, dst)
					}
				}
			}
		}
		c.Kill(i)
	}
}

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
