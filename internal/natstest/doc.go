// Package natstest gives tests real NATS JetStream servers: an embedded
// server per test ([Embedded], [Open], [RunServer]), and a cluster of real
// nats-server processes on loopback ([StartCluster]) for failover tests.
//
// It exists so that dedupe, redelivery, max deliveries and leader
// elections in tests are JetStream's own behaviour, not a fake's. Import it
// from _test.go files only.
//
// Embedded servers keep their store in t.TempDir(), install no signal
// handlers and are shut down by t.Cleanup. Cluster nodes are processes of a
// nats-server binary named by $SCAMSCREEN_NATS_SERVER, or built once from
// the nats-server module version in go.mod into the user cache directory;
// the first build costs about 60 seconds on two cold cores. Without a
// binary, cluster tests skip with instructions, unless
// $SCAMSCREEN_REQUIRE_CLUSTER=1 (CI) makes that a failure. Every process a
// Cluster starts is killed, by its own pid, when the test ends.
//
// Imports: internal/bus, nats.go and its jetstream package, nats-server/v2,
// zap (zaptest), golang.org/x/sys/unix and the standard library.
package natstest
