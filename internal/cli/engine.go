package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/scamscreen/scamscreen/configs"
	"github.com/scamscreen/scamscreen/screen"
	"github.com/scamscreen/scamscreen/screen/rules"
)

// engineFlags are the flags every command that screens shares.
type engineFlags struct {
	rules     string
	blocklist string
}

func (f *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.rules, "rules", "", "directory of rule packs (default: the packs built into the binary)")
	fs.StringVar(&f.blocklist, "blocklist", "", "file of known fraud numbers and domains, one per line")
}

// loadRules loads a rule directory, or the embedded packs when dir is empty.
func loadRules(dir string) (*rules.Set, error) {
	if dir == "" {
		return rules.LoadFS(configs.Rules, configs.RulesDir, "(built-in)/rules")
	}
	return rules.LoadDir(dir)
}

func (f *engineFlags) engine(opts screen.Options) (*screen.Engine, error) {
	set, err := loadRules(f.rules)
	if err != nil {
		return nil, err
	}
	if f.blocklist != "" {
		bl, err := screen.LoadBlocklistFile(f.blocklist)
		if err != nil {
			return nil, err
		}
		opts.Blocklist = bl
	}
	return screen.New(set, opts)
}

// defaultLang picks the language of explanations from the environment.
func defaultLang() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			if strings.HasPrefix(l, "ja") {
				return "ja"
			}
			return "en"
		}
	}
	return "en"
}

func checkLang(l string) error {
	if l != "ja" && l != "en" {
		return fmt.Errorf("-lang %q: want ja or en", l)
	}
	return nil
}
