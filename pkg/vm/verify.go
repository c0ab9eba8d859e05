package vm

import (
	"fmt"
)

// Verify checks the invariants the VM loop relies on instead of checking
// them per instruction: every opcode is known, every jump target and pool
// index is in range, register operands name real registers, and every
// state's code ends in a transition. Compilers call it after every compile
// in tests and fuzzing.
func Verify(p *Program) error {
	n := uint32(len(p.Code))
	if n == 0 {
		return fmt.Errorf("vm: empty program")
	}
	checkIdx := func(pc int, what string, i uint32, size int) error {
		if int(i) >= size {
			return fmt.Errorf("vm: pc %d: %s index %d out of range (%d)", pc, what, i, size)
		}
		return nil
	}
	checkRegs := func(pc int, b uint32) error {
		s, d := unpackRegs(b)
		if s >= numRegs || d >= numRegs || b>>8 != 0 {
			return fmt.Errorf("vm: pc %d: bad register operand %#x", pc, b)
		}
		return nil
	}
	for pc, in := range p.Code {
		var err error
		switch in.Op {
		case OpNop:
		case OpEnter:
			err = checkIdx(pc, "state", in.A, len(p.States))
		case OpMove:
			err = checkRegs(pc, in.B)
		case OpConst:
			if err = checkIdx(pc, "const", in.A, len(p.Consts)); err == nil && in.B >= uint32(numRegs) {
				err = fmt.Errorf("vm: pc %d: bad register %d", pc, in.B)
			}
		case OpEmpty, OpCheckSize:
			if in.B >= uint32(numRegs) {
				err = fmt.Errorf("vm: pc %d: bad register %d", pc, in.B)
			}
		case OpPath:
			if err = checkIdx(pc, "path", in.A, len(p.Paths)); err == nil {
				err = checkRegs(pc, in.B)
			}
		case OpTemplate:
			if err = checkIdx(pc, "template", in.A, len(p.Templates)); err == nil {
				err = checkRegs(pc, in.B)
			}
		case OpResultPath:
			err = checkIdx(pc, "path", in.A, len(p.Paths))
		case OpAssign:
			if err = checkIdx(pc, "assign", in.A, len(p.Assigns)); err == nil && in.B >= uint32(numRegs) {
				err = fmt.Errorf("vm: pc %d: bad register %d", pc, in.B)
			}
		case OpGoto, OpJump:
			err = checkIdx(pc, "jump target", in.A, int(n))
		case OpTest:
			if err = checkIdx(pc, "compare", in.A, len(p.Compares)); err == nil {
				err = checkIdx(pc, "jump target", in.B, int(n))
			}
		case OpNoChoice:
			err = checkIdx(pc, "state", in.A, len(p.States))
		case OpTask:
			err = checkIdx(pc, "task", in.A, len(p.Tasks))
		case OpWait:
			err = checkIdx(pc, "wait", in.A, len(p.Waits))
		case OpParallel:
			if err = checkIdx(pc, "parallel", in.A, len(p.Parallels)); err == nil {
				for _, b := range p.Parallels[in.A].Branches {
					if err = checkIdx(pc, "branch entry", b, int(n)); err != nil {
						break
					}
				}
			}
		case OpMap:
			if err = checkIdx(pc, "map", in.A, len(p.Maps)); err == nil {
				err = checkIdx(pc, "processor entry", p.Maps[in.A].Processor, int(n))
			}
		case OpSucceed:
		case OpFail:
			err = checkIdx(pc, "fail", in.A, len(p.Fails))
		default:
			err = fmt.Errorf("vm: pc %d: unknown opcode %d", pc, in.Op)
		}
		if err != nil {
			return err
		}
	}
	// The last instruction must not fall off the end of the code.
	switch p.Code[n-1].Op {
	case OpGoto, OpJump, OpSucceed, OpFail, OpNoChoice:
	default:
		return fmt.Errorf("vm: pc %d: code falls off the end", n-1)
	}
	for i, s := range p.States {
		if s.Entry >= n || p.Code[s.Entry].Op != OpEnter || p.Code[s.Entry].A != uint32(i) {
			return fmt.Errorf("vm: state %q: entry pc %d is not its OpEnter", s.Name, s.Entry)
		}
		if s.Handler >= int32(len(p.Handlers)) {
			return fmt.Errorf("vm: state %q: handler %d out of range", s.Name, s.Handler)
		}
	}
	for i, h := range p.Handlers {
		if h.Start > h.End || h.End > n || h.Retry >= n {
			return fmt.Errorf("vm: handler %d: bad range", i)
		}
		for _, c := range h.Catchers {
			if c.Next >= n || p.Code[c.Next].Op != OpEnter {
				return fmt.Errorf("vm: handler %d: catcher target %d is not a state entry", i, c.Next)
			}
			if c.ResultPath >= int32(len(p.Paths)) || c.Assign >= int32(len(p.Assigns)) {
				return fmt.Errorf("vm: handler %d: catcher pool index out of range", i)
			}
		}
	}
	for i, t := range p.Templates {
		if err := verifyNode(p, &t.Root); err != nil {
			return fmt.Errorf("vm: template %d: %w", i, err)
		}
	}
	for i, a := range p.Assigns {
		if err := verifyNode(p, &a.Tmpl); err != nil {
			return fmt.Errorf("vm: assign %d: %w", i, err)
		}
		for _, s := range a.Slots {
			if int(s) >= len(p.VarNames) {
				return fmt.Errorf("vm: assign %d: slot %d out of range", i, s)
			}
		}
	}
	for i, in := range p.Intrinsics {
		if len(in.PathIdx) != len(in.Call.Paths()) {
			return fmt.Errorf("vm: intrinsic %d: %d paths mapped, call has %d", i, len(in.PathIdx), len(in.Call.Paths()))
		}
		for _, pi := range in.PathIdx {
			if int(pi) >= len(p.Paths) {
				return fmt.Errorf("vm: intrinsic %d: path %d out of range", i, pi)
			}
		}
	}
	for i, c := range p.Compares {
		if int(c.Var) >= len(p.Paths) || c.OperandPath >= int32(len(p.Paths)) {
			return fmt.Errorf("vm: compare %d: path out of range", i)
		}
	}
	return nil
}

func verifyNode(p *Program, n *TNode) error {
	switch n.Kind {
	case TConst:
	case TPath:
		if int(n.Index) >= len(p.Paths) {
			return fmt.Errorf("path %d out of range", n.Index)
		}
	case TIntrinsic:
		if int(n.Index) >= len(p.Intrinsics) {
			return fmt.Errorf("intrinsic %d out of range", n.Index)
		}
	case TObject:
		if len(n.Keys) != len(n.Items) {
			return fmt.Errorf("object node with %d keys and %d items", len(n.Keys), len(n.Items))
		}
		fallthrough
	case TArray:
		for i := range n.Items {
			if err := verifyNode(p, &n.Items[i]); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown node kind %d", n.Kind)
	}
	return nil
}
