package report

import "testing"

// FuzzParseFixPlan: what `fix --verify` reads is a file the user names;
// any bytes are refused or read, never a panic, and a plan read back has
// a fingerprint of named files of non-negative size.
func FuzzParseFixPlan(f *testing.F) {
	f.Add([]byte(`{"schema_version":1,"command":"fix","result":{"file":"a","ok":true,"fingerprint":[{"role":"program","path":"/a","size":1,"mtime":2}]}}`))
	f.Add([]byte(`{"schema_version":1,"command":"fix","result":{"fingerprint":[{"path":"","size":-1}]}}`))
	f.Add([]byte(`{"schema_version":1,"command":"bisect","result":{}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parseFixPlan("plan.json", b)
		if err != nil {
			return
		}
		if len(p.Fingerprint) == 0 {
			t.Fatal("a plan without a fingerprint was accepted")
		}
		for _, fp := range p.Fingerprint {
			if fp.Path == "" || fp.Size < 0 {
				t.Fatalf("fingerprint entry accepted: %+v", fp)
			}
		}
	})
}
