package urls_test

import (
	"os"
	"testing"

	"github.com/scamscreen/scamscreen/screen/urls"
)

// brandsFile is the shipped brand list, relative to this package.
const brandsFile = "../../configs/rules/brands.yaml"

func loadBrands(tb testing.TB) []urls.Brand {
	tb.Helper()
	f, err := os.Open(brandsFile)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	brands, err := urls.LoadBrands(f)
	if err != nil {
		tb.Fatalf("LoadBrands(%s) = %v", brandsFile, err)
	}
	return brands
}

func loadAnalyzer(tb testing.TB) *urls.Analyzer {
	tb.Helper()
	a, err := urls.NewAnalyzer(loadBrands(tb), urls.Options{})
	if err != nil {
		tb.Fatalf("NewAnalyzer(%s) = %v", brandsFile, err)
	}
	return a
}
