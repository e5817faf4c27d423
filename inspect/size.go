package inspect

import (
	"fmt"
	"strconv"
	"strings"
)

// HumanSize renders a byte count in binary units with three significant
// digits: 917544 → "896 KiB", 0x1ee29c → "1.93 MiB".
func HumanSize(n uint64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	prec := 0
	switch {
	case v < 10:
		prec = 2
	case v < 100:
		prec = 1
	}
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + " " + units[u]
}

// SizeString renders a byte count as "0xe0028 (896 KiB)".
func SizeString(n uint64) string {
	return fmt.Sprintf("0x%x (%s)", n, HumanSize(n))
}
