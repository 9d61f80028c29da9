//go:build !unix

package natstest

import "testing"

// Cluster is a JetStream cluster of nats-server processes; on this
// platform it is not available.
type Cluster struct{}

// StartCluster skips the test: the cluster helper needs a Unix system.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Skip("natstest.StartCluster needs a Unix system")
	return nil
}

// URLs returns nothing on this platform.
func (c *Cluster) URLs() []string { return nil }

// Name returns "" on this platform.
func (c *Cluster) Name(i int) string { return "" }

// Kill does nothing on this platform.
func (c *Cluster) Kill(i int) {}

// Restart does nothing on this platform.
func (c *Cluster) Restart(i int) {}

// StreamLeader returns -1 on this platform.
func (c *Cluster) StreamLeader(stream string) int { return -1 }
