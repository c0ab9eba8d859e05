package vm

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// Disassemble writes a stable listing of p: one line per instruction with
// pool operands resolved to names, and a header line per state. It drives
// the golden tests and `expressd inspect`.
func (p *Program) Disassemble(w io.Writer) error {
	bw := bufio.NewWriter(w)
	entries := make(map[uint32]int, len(p.States))
	for i, s := range p.States {
		entries[s.Entry] = i
	}
	for pc, in := range p.Code {
		if si, ok := entries[uint32(pc)]; ok {
			s := p.States[si]
			bw.WriteString("\n")
			bw.WriteString(s.Name)
			bw.WriteString(" (")
			bw.WriteString(s.Type)
			if s.Pointer != "" {
				bw.WriteString(" ")
				bw.WriteString(s.Pointer)
			}
			if s.Line > 0 {
				bw.WriteString(" line ")
				bw.WriteString(strconv.Itoa(s.Line))
			}
			bw.WriteString("):\n")
		}
		bw.WriteString("  ")
		pcs := strconv.Itoa(pc)
		bw.WriteString(strings.Repeat(" ", max(0, 4-len(pcs))))
		bw.WriteString(pcs)
		bw.WriteString("  ")
		bw.WriteString(p.describe(in))
		bw.WriteString("\n")
	}
	if len(p.Handlers) > 0 {
		bw.WriteString("\nhandlers:\n")
		for _, h := range p.Handlers {
			bw.WriteString("  ")
			bw.WriteString(p.States[h.State].Name)
			bw.WriteString(" [" + strconv.Itoa(int(h.Start)) + "," + strconv.Itoa(int(h.End)) + ") retry@" + strconv.Itoa(int(h.Retry)) + "\n")
			for _, r := range h.Retriers {
				bw.WriteString("    retry " + strings.Join(r.ErrorEquals, "|") +
					" interval=" + strconv.FormatFloat(r.IntervalSeconds, 'g', -1, 64) +
					" max=" + strconv.FormatInt(r.MaxAttempts, 10) +
					" backoff=" + strconv.FormatFloat(r.BackoffRate, 'g', -1, 64))
				if r.MaxDelaySeconds > 0 {
					bw.WriteString(" maxdelay=" + strconv.FormatFloat(r.MaxDelaySeconds, 'g', -1, 64))
				}
				if r.FullJitter {
					bw.WriteString(" jitter=FULL")
				}
				bw.WriteString("\n")
			}
			for _, c := range h.Catchers {
				bw.WriteString("    catch " + strings.Join(c.ErrorEquals, "|") + " -> " + strconv.Itoa(int(c.Next)))
				switch {
				case c.ResultPath == ResultPathNull:
					bw.WriteString(" resultpath=null")
				case c.ResultPath >= 0:
					bw.WriteString(" resultpath=" + p.Paths[c.ResultPath].String())
				}
				bw.WriteString("\n")
			}
		}
	}
	return bw.Flush()
}

func (p *Program) describe(in Inst) string {
	op := in.Op.String()
	pad := func(s string) string { return s + strings.Repeat(" ", max(1, 12-len(s))) }
	regs := func(b uint32) string {
		s, d := unpackRegs(b)
		return s.String() + " -> " + d.String()
	}
	switch in.Op {
	case OpEnter:
		return pad(op) + strconv.Quote(p.States[in.A].Name)
	case OpMove:
		return pad(op) + regs(in.B)
	case OpConst:
		return pad(op) + truncate(p.Consts[in.A].JSON()) + " -> " + Reg(in.B).String()
	case OpEmpty, OpCheckSize:
		return pad(op) + Reg(in.B).String()
	case OpPath:
		return pad(op) + p.Paths[in.A].String() + " " + regs(in.B)
	case OpTemplate:
		return pad(op) + p.Templates[in.A].Field + " " + regs(in.B)
	case OpResultPath:
		return pad(op) + p.Paths[in.A].String()
	case OpAssign:
		names := make([]string, len(p.Assigns[in.A].Slots))
		for i, s := range p.Assigns[in.A].Slots {
			names[i] = "$" + p.VarNames[s]
		}
		return pad(op) + strings.Join(names, ",") + " from " + Reg(in.B).String()
	case OpGoto, OpJump:
		target := strconv.Itoa(int(in.A))
		if si := p.stateWithEntry(in.A); si >= 0 {
			target += " (" + p.States[si].Name + ")"
		}
		return pad(op) + target
	case OpTest:
		c := p.Compares[in.A]
		return pad(op) + p.Paths[c.Var].String() + " " + truncate(c.Text) + " else " + strconv.Itoa(int(in.B))
	case OpNoChoice:
		return op
	case OpTask:
		t := p.Tasks[in.A]
		return pad(op) + t.Resource
	case OpWait:
		w := p.Waits[in.A]
		switch w.Kind {
		case WaitSeconds:
			return pad(op) + "seconds " + strconv.FormatInt(w.Seconds, 10)
		case WaitTimestamp:
			return pad(op) + "until " + w.Time.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
		case WaitSecondsPath:
			return pad(op) + "seconds " + p.Paths[w.Path].String()
		default:
			return pad(op) + "until " + p.Paths[w.Path].String()
		}
	case OpParallel:
		bs := make([]string, len(p.Parallels[in.A].Branches))
		for i, b := range p.Parallels[in.A].Branches {
			bs[i] = strconv.Itoa(int(b))
		}
		return pad(op) + "branches " + strings.Join(bs, ",")
	case OpMap:
		m := p.Maps[in.A]
		s := pad(op) + "items "
		if m.ItemsPath >= 0 {
			s += p.Paths[m.ItemsPath].String()
		} else {
			s += "$"
		}
		s += " processor " + strconv.Itoa(int(m.Processor))
		if m.MaxConcurrency > 0 {
			s += " max " + strconv.FormatInt(m.MaxConcurrency, 10)
		}
		if m.MaxConcurrencyPath >= 0 {
			s += " max " + p.Paths[m.MaxConcurrencyPath].String()
		}
		if m.Selector >= 0 {
			s += " selector " + p.Templates[m.Selector].Field
		}
		return s
	case OpFail:
		f := p.Fails[in.A]
		s := pad(op)
		if f.HasError {
			s += "error " + strconv.Quote(f.Error) + " "
		}
		if f.HasCause {
			s += "cause " + strconv.Quote(truncate(f.Cause))
		}
		if f.ErrorNode != nil {
			s += "error from " + p.describeNode(f.ErrorNode) + " "
		}
		if f.CauseNode != nil {
			s += "cause from " + p.describeNode(f.CauseNode)
		}
		return strings.TrimSpace(s)
	}
	return op
}

func (p *Program) stateWithEntry(pc uint32) int {
	for i, s := range p.States {
		if s.Entry == pc {
			return i
		}
	}
	return -1
}

func truncate(s string) string {
	const max = 60
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// describeNode names the path or intrinsic a template node reads.
func (p *Program) describeNode(n *TNode) string {
	switch n.Kind {
	case TPath:
		return p.Paths[n.Index].String()
	case TIntrinsic:
		return truncate(p.Intrinsics[n.Index].Call.String())
	}
	return "template"
}
