package coredump

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"testing"
)

// buildCore writes a minimal ELF core: header, one PT_NOTE, the notes.
// The kernel cannot make an aarch64 core on this machine, so the register
// layout of that architecture is tested on a core built here.
func buildCore(machine elf.Machine, notes []byte) []byte {
	le := binary.LittleEndian
	var b bytes.Buffer
	hdr := make([]byte, 64)
	copy(hdr, elf.ELFMAG)
	hdr[elf.EI_CLASS], hdr[elf.EI_DATA], hdr[elf.EI_VERSION] = byte(elf.ELFCLASS64), byte(elf.ELFDATA2LSB), 1
	le.PutUint16(hdr[16:], uint16(elf.ET_CORE))
	le.PutUint16(hdr[18:], uint16(machine))
	le.PutUint32(hdr[20:], 1)
	le.PutUint64(hdr[32:], 64) // e_phoff
	le.PutUint16(hdr[52:], 64)
	le.PutUint16(hdr[54:], 56)
	le.PutUint16(hdr[56:], 1)
	b.Write(hdr)
	ph := make([]byte, 56)
	le.PutUint32(ph, uint32(elf.PT_NOTE))
	le.PutUint64(ph[8:], 64+56)
	le.PutUint64(ph[32:], uint64(len(notes)))
	b.Write(ph)
	b.Write(notes)
	return b.Bytes()
}

func coreNote(typ uint32, desc []byte) []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 5)
	b = le.AppendUint32(b, uint32(len(desc)))
	b = le.AppendUint32(b, typ)
	b = append(b, "CORE\x00\x00\x00\x00"...)
	b = append(b, desc...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func TestSyntheticCores(t *testing.T) {
	le := binary.LittleEndian
	tests := []struct {
		machine elf.Machine
		nregs   int
		pc, sp  string
	}{
		{elf.EM_X86_64, 27, "rip", "rsp"},
		{elf.EM_AARCH64, 34, "pc", "sp"},
	}
	for _, tt := range tests {
		t.Run(tt.machine.String(), func(t *testing.T) {
			pr := make([]byte, prRegOffset+tt.nregs*8+8)
			le.PutUint16(pr[12:], 11)   // pr_cursig
			le.PutUint32(pr[32:], 4242) // pr_pid
			names := regNames(tt.machine)
			for i := range names {
				le.PutUint64(pr[prRegOffset+i*8:], uint64(0x1000+i))
			}
			si := make([]byte, 128)
			le.PutUint32(si, 11)
			le.PutUint32(si[8:], 1)
			le.PutUint64(si[siAddrOffset:], 0xdead)
			aux := []byte{}
			for _, kv := range [][2]uint64{{7, 0x7f0000}, {9, 0x401000}, {0, 0}} {
				aux = le.AppendUint64(le.AppendUint64(aux, kv[0]), kv[1])
			}
			files := le.AppendUint64(nil, 1)
			files = le.AppendUint64(files, 4096)
			files = le.AppendUint64(le.AppendUint64(le.AppendUint64(files, 0x400000), 0x402000), 1)
			files = append(files, "/bin/prog\x00"...)
			var notes []byte
			notes = append(notes, coreNote(1, pr)...)
			notes = append(notes, coreNote(ntSiginfo, si)...)
			notes = append(notes, coreNote(ntAuxv, aux)...)
			notes = append(notes, coreNote(ntFile, files)...)
			b := buildCore(tt.machine, notes)
			c, err := NewCore(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			th := c.Threads[0]
			pc, _ := th.Regs.Get(tt.pc)
			sp, _ := th.Regs.Get(tt.sp)
			wantPC := uint64(0x1000 + indexOf(names, tt.pc))
			wantSP := uint64(0x1000 + indexOf(names, tt.sp))
			if th.Pid != 4242 || th.Signal != 11 || pc != wantPC || sp != wantSP {
				t.Errorf("thread = pid %d sig %d pc %#x sp %#x, want 4242 11 %#x %#x", th.Pid, th.Signal, pc, sp, wantPC, wantSP)
			}
			if c.Signal == nil || c.Signal.Addr != 0xdead || c.Signal.Code != 1 {
				t.Errorf("Signal = %+v", c.Signal)
			}
			if c.Auxv.Base != 0x7f0000 || c.Auxv.Entry != 0x401000 {
				t.Errorf("Auxv = %+v", c.Auxv)
			}
			if len(c.Files) != 1 || c.Files[0] != (FileMapping{Start: 0x400000, End: 0x402000, Offset: 4096, Path: "/bin/prog"}) {
				t.Errorf("Files = %+v", c.Files)
			}
		})
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
