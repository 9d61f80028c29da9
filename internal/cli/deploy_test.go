package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"go.yaml.in/yaml/v3"
)

const deployDir = "../../deploy"

// TestComposeCommands checks docker-compose.yml against the binary, since
// Docker cannot run here: every scamscreen command and flag a service uses
// exists, and `run` accepts the configuration the compose file mounts
// (each command runs with --dry-run).
func TestComposeCommands(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var compose struct {
		Services map[string]struct {
			Image   string   `yaml:"image"`
			Command []string `yaml:"command"`
			Volumes []string `yaml:"volumes"`
			Deploy  struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"deploy"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(data, &compose); err != nil {
		t.Fatal(err)
	}
	var stages []string
	for name, svc := range compose.Services {
		if !strings.HasPrefix(svc.Image, "scamscreen") {
			continue
		}
		// The configuration the service mounts, as a path in the repository.
		mounts := map[string]string{}
		for _, v := range svc.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) >= 2 {
				mounts[parts[1]] = filepath.Join(deployDir, parts[0])
			}
		}
		args := slices.Clone(svc.Command)
		stage := ""
		for i, a := range args {
			if local, ok := mounts[a]; ok {
				if _, err := os.Stat(local); err != nil {
					t.Errorf("service %s mounts %s, which does not exist", name, local)
				}
				args[i] = local
			}
			if a == "--stages" && i+1 < len(args) {
				stage = args[i+1]
				stages = append(stages, stage)
			}
		}
		if len(args) == 0 || args[0] != "run" {
			t.Errorf("service %s does not run `scamscreen run`: %v", name, args)
			continue
		}
		code, out, errs := run(t, "", append(args, "--dry-run")...)
		if code != ExitOK {
			t.Errorf("service %s: scamscreen %s --dry-run = %d\n%s%s", name, strings.Join(args, " "), code, out, errs)
		}
		if stage == stageScreen && svc.Deploy.Replicas < 2 {
			t.Errorf("service %s: the screen stage should run with two replicas", name)
		}
	}
	slices.Sort(stages)
	if want := slices.Sorted(slices.Values(allStages)); !slices.Equal(stages, want) {
		t.Errorf("compose runs stages %v, want every stage %v", stages, want)
	}
}

// TestNATSClusterConfig parses the cluster nodes' configurations with
// nats-server itself.
func TestNATSClusterConfig(t *testing.T) {
	t.Setenv("NATS_TOKEN", "composetoken")
	names := map[string]bool{}
	for i := 1; i <= 3; i++ {
		path := filepath.Join(deployDir, "nats", "nats-"+string(rune('0'+i))+".conf")
		opts, err := server.ProcessConfigFile(path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if !opts.JetStream || opts.StoreDir == "" {
			t.Errorf("%s: JetStream %v store %q", path, opts.JetStream, opts.StoreDir)
		}
		if opts.Cluster.Name != "scamscreen" || len(opts.Routes) != 3 {
			t.Errorf("%s: cluster %q with %d routes, want scamscreen with 3", path, opts.Cluster.Name, len(opts.Routes))
		}
		if opts.Authorization != "composetoken" {
			t.Errorf("%s: the token does not come from NATS_TOKEN", path)
		}
		names[opts.ServerName] = true
	}
	if len(names) != 3 {
		t.Errorf("server names %v are not distinct", names)
	}
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(deployDir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{"CGO_ENABLED=0", "./cmd/scamscreen", "USER nonroot", `ENTRYPOINT ["/scamscreen"]`} {
		if !strings.Contains(s, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if _, err := os.Stat("../../cmd/scamscreen/main.go"); err != nil {
		t.Errorf("the Dockerfile builds ./cmd/scamscreen: %v", err)
	}
}
