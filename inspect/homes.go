package inspect

import "slices"

// pointerHomes are the sections static linkers (GNU ld, gold, lld, mold)
// put the table a dynamic tag points at. DT_RELA may point at .rela.dyn or,
// when there are no other relocations, at .rela.plt; DT_PLTGOT at .got.plt
// or .got; DT_INIT at .init.
var pointerHomes = map[string][]string{
	"DT_HASH":          {".hash"},
	"DT_GNU_HASH":      {".gnu.hash"},
	"DT_STRTAB":        {".dynstr"},
	"DT_SYMTAB":        {".dynsym"},
	"DT_VERSYM":        {".gnu.version"},
	"DT_VERNEED":       {".gnu.version_r"},
	"DT_VERDEF":        {".gnu.version_d"},
	"DT_RELA":          {".rela.dyn", ".rela.plt", ".rela.got", ".rela.bss"},
	"DT_REL":           {".rel.dyn", ".rel.plt", ".rel.got", ".rel.bss"},
	"DT_RELR":          {".relr.dyn"},
	"DT_JMPREL":        {".rela.plt", ".rel.plt"},
	"DT_PLTGOT":        {".got.plt", ".got"},
	"DT_INIT":          {".init"},
	"DT_FINI":          {".fini"},
	"DT_INIT_ARRAY":    {".init_array", ".ctors"},
	"DT_FINI_ARRAY":    {".fini_array", ".dtors"},
	"DT_PREINIT_ARRAY": {".preinit_array"},
}

// Misplaced says whether a dynamic-table pointer lands somewhere other
// than where the section headers put the table it names: in another
// section (a stale DT_VERDEF after a rewrite moved .gnu.version_d), or in
// none at all. It is evidence for people, drawn and listed next to the
// loader's view; it decides no prediction, because ld.so never reads
// section headers. A file without section headers, or a tag without a
// known home, is never called misplaced.
func (s *Summary) Misplaced(p PointerSum) (misplaced bool, homes []string) {
	homes = pointerHomes[p.Tag]
	if len(homes) == 0 || len(s.Sections) == 0 || p.Backing == "unmapped" {
		return false, homes
	}
	return !slices.Contains(homes, p.Section), homes
}
