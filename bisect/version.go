package bisect

import (
	"slices"
	"strconv"
	"strings"
)

// CompareVersions orders release versions by semantic-versioning
// precedence, leniently: any number of numeric components (a missing one
// is 0), a leading "v" ignored, a pre-release ("-rc.1") before its release,
// build metadata ("+abc") ignored. Strings that are not versions at all
// sort after versions, by bytes, so that the order is total.
func CompareVersions(a, b string) int {
	ca, pa, oka := splitVersion(a)
	cb, pb, okb := splitVersion(b)
	switch {
	case !oka && !okb:
		return strings.Compare(a, b)
	case !oka:
		return 1
	case !okb:
		return -1
	}
	for i := range max(len(ca), len(cb)) {
		var x, y uint64
		if i < len(ca) {
			x = ca[i]
		}
		if i < len(cb) {
			y = cb[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	switch {
	case pa == "" && pb == "":
		return 0
	case pa == "":
		return 1
	case pb == "":
		return -1
	}
	ia, ib := strings.Split(pa, "."), strings.Split(pb, ".")
	for i := range min(len(ia), len(ib)) {
		na, ea := strconv.ParseUint(ia[i], 10, 64)
		nb, eb := strconv.ParseUint(ib[i], 10, 64)
		switch {
		case ea == nil && eb == nil:
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
		case ea == nil: // numeric identifiers sort before alphanumeric ones
			return -1
		case eb == nil:
			return 1
		default:
			if c := strings.Compare(ia[i], ib[i]); c != 0 {
				return c
			}
		}
	}
	return len(ia) - len(ib)
}

func splitVersion(v string) (core []uint64, pre string, ok bool) {
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexByte(v, '+'); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexByte(v, '-'); i >= 0 {
		v, pre = v[:i], v[i+1:]
	}
	if v == "" {
		return nil, "", false
	}
	for _, p := range strings.Split(v, ".") {
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return nil, "", false
		}
		core = append(core, n)
	}
	return core, pre, true
}

// SortVersions sorts vs oldest first, without duplicates.
func SortVersions(vs []string) []string {
	out := slices.Clone(vs)
	slices.SortFunc(out, CompareVersions)
	return slices.Compact(out)
}

// Range returns the versions of vs (sorted) from from to to, inclusive;
// an empty bound is open.
func Range(vs []string, from, to string) []string {
	var out []string
	for _, v := range SortVersions(vs) {
		if from != "" && CompareVersions(v, from) < 0 {
			continue
		}
		if to != "" && CompareVersions(v, to) > 0 {
			continue
		}
		out = append(out, v)
	}
	return out
}
