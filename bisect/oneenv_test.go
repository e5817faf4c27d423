package bisect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDockerOneEnvironment: releases that need GLIBC_2.34 from 5.0.0, run
// in bullseye (glibc 2.31) alone. With nothing to contrast it with, the
// verdict agrees with the one row ("regression" from 5) instead of
// calling it environment-specific, and says how to tell.
func TestDockerOneEnvironment(t *testing.T) {
	r := needEngine(t, imgBullseye)
	dir := dirOfReleases(t, releases(t, glibcFrom5))
	res, err := Run(context.Background(), Config{Source: &DirSource{Dir: dir}, Runner: r, Images: []string{imgBullseye}, Jobs: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PerImage) != 1 || res.PerImage[0].Status != "regression" || res.PerImage[0].FirstBad != "5" {
		t.Fatalf("per image = %+v, want one regression from 5", res.PerImage)
	}
	v := res.Verdict
	if v.Kind != UpstreamRegression || v.FirstBad != "5" {
		t.Fatalf("verdict = %+v, want a regression from 5, as the row says", v)
	}
	for _, want := range []string{"only environment tried", "version `GLIBC_2.34' not found", "--image"} {
		if !strings.Contains(v.Sentence, want) {
			t.Errorf("sentence %q does not say %q", v.Sentence, want)
		}
	}
}

// dirOfReleases lays releases out as a DirSource expects: one directory
// per version holding the binary.
func dirOfReleases(t *testing.T, rel map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for v, p := range rel {
		if err := os.MkdirAll(filepath.Join(dir, v), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, p, filepath.Join(dir, v, "app"))
	}
	return dir
}
