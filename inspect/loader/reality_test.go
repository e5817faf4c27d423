package loader_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/elfdoctor/elfdoctor/internal/damage"
	"github.com/elfdoctor/elfdoctor/internal/reality"
)

// TestCheckAgainstReality damages real gcc and clang/lld programs every
// way in damage.Kinds, predicts each with Check and runs it: the
// predicted outcome must be what happens.
func TestCheckAgainstReality(t *testing.T) {
	inputs := reality.Inputs(t)
	var sum reality.Summary
	for _, in := range inputs {
		pristine := reality.MustRead(t, in.Path)
		t.Run(in.Name+"/pristine", func(t *testing.T) {
			p := reality.Place(t, in, pristine, nil)
			res, real := reality.RunCase(t, reality.Case{Name: in.Name + "/pristine", Dir: filepath.Dir(p), Path: p})
			sum.Add(in.Name+"/pristine", res, real)
			if in.M32 && res.Fatal() != nil && res.Fatal().Code == "no-ia32" {
				return // this kernel cannot run it, and check said so
			}
			if real.Class != damage.Starts || !real.Marker {
				t.Fatalf("the pristine %s does not start: %s", in.Name, real)
			}
		})
		if in.Big {
			continue // damaged only by patchelf, in TestCheckPatchelfReality
		}
		if in.M32 && !reality.HostRunsI386(t) {
			// Every damaged copy would fail the same way as the pristine
			// one, telling nothing about the damage.
			continue
		}
		for _, k := range damage.Kinds {
			name := in.Name + "/" + k.Name
			t.Run(name, func(t *testing.T) {
				src := pristine
				if k.Library {
					if in.Lib == "" {
						t.Skipf("%s loads no library of its own", in.Name)
					}
					src = reality.MustRead(t, in.Lib)
				}
				b, err := k.Apply(src)
				if err != nil {
					t.Skipf("%s does not apply to %s: %v", k.Name, in.Name, err)
				}
				if bytes.Equal(b, src) {
					t.Fatalf("%s left %s unchanged", k.Name, in.Name)
				}
				var p string
				if k.Library {
					p = reality.Place(t, in, pristine, b)
				} else {
					p = reality.Place(t, in, b, nil)
				}
				res, real := reality.RunCase(t, reality.Case{Name: name, Dir: filepath.Dir(p), Path: p})
				sum.Add(name, res, real)
			})
		}
	}
	sum.Log(t)
}
