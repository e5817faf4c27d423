package inspect

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// injectPanicEnv names, in a child test process, the hook point where a
// panic is injected.
const injectPanicEnv = "ELFDOCTOR_TEST_INJECT_PANIC"

func init() {
	if where := os.Getenv(injectPanicEnv); where != "" {
		testHook = func(at string) {
			if at == where {
				panic("injected at " + at)
			}
		}
	}
}

// A panic in a parser is a bug the fuzz targets must see: with one
// injected into walkNeed, FuzzVersions and FuzzOpen (run on their seed
// corpus, as `go test` does) fail, naming the internal error.
func TestFuzzTargetsFailOnInternalErrors(t *testing.T) {
	for _, target := range []string{"FuzzVersions", "FuzzOpen"} {
		t.Run(target, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run", "^"+target+"$", "-test.count=1")
			cmd.Env = append(os.Environ(), injectPanicEnv+"=walkNeed")
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("%s passed with a panic injected into walkNeed:\n%s", target, out)
			}
			if !strings.Contains(string(out), "internal error while parsing: injected at walkNeed") {
				t.Fatalf("%s failed, but not on the injected panic:\n%s", target, out)
			}
			// Without the injection the same target passes, so the
			// failure above is the hook's doing.
			cmd = exec.Command(os.Args[0], "-test.run", "^"+target+"$", "-test.count=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s fails without an injected panic: %v\n%s", target, err, out)
			}
		})
	}
}
