package vm

//go:generate stringer -type=Opcode -trimprefix=Op

// Opcode is a VM operation. The VM has four value registers instead of an
// operand stack, because every ASL state moves data through the same four
// stages: the raw state input (In), the effective input (Eff), the result
// (Res) and the output (Out). Register operands are packed into B as
// src<<4 | dst (see [Reg]).
type Opcode uint8

// The opcodes. Operand comments read "A=…, B=…; effect".
const (
	// OpNop does nothing (used as a patch placeholder in tests).
	OpNop Opcode = iota
	// OpEnter: A=state index; a state is entered: counts one transition,
	// records the entry time, resets per-state scratch (retry counters, the
	// cached context object).
	OpEnter
	// OpMove: B=src<<4|dst; dst = src.
	OpMove
	// OpConst: A=const index, B=dst; dst = Consts[A].
	OpConst
	// OpEmpty: B=dst; dst = {} (InputPath/OutputPath null).
	OpEmpty
	// OpPath: A=path index, B=src<<4|dst; dst = Paths[A] applied to src.
	// A definite path that misses fails with States.Runtime.
	OpPath
	// OpTemplate: A=template index, B=src<<4|dst; dst = Templates[A]
	// evaluated with $ = src (Parameters, ResultSelector, ItemSelector).
	OpTemplate
	// OpResultPath: A=path index; Out = In with Res stored at Paths[A]
	// (a reference path). Failure: States.ResultPathMatchFailure.
	OpResultPath
	// OpAssign: A=assign index, B=src; evaluates Assigns[A] with $ = src
	// against the variables as they were at state entry; the values take
	// effect at the next OpGoto / end of execution.
	OpAssign
	// OpCheckSize: B=reg; fails with States.DataLimitExceeded when the
	// register's JSON encoding exceeds the payload limit.
	OpCheckSize
	// OpGoto: A=pc; leaves the current state: In = Out, pending variable
	// assignments are committed, pc = A.
	OpGoto
	// OpJump: A=pc; pc = A (inside a state).
	OpJump
	// OpTest: A=compare index, B=pc; evaluates Compares[A] on Eff and jumps
	// to B when it is false.
	OpTest
	// OpNoChoice: A=state index; fails with States.NoChoiceMatched.
	OpNoChoice
	// OpTask: A=task index; yields [Yield] with Task = A and Input = Eff.
	// The engine resumes with Res = the task result, or with a failure.
	OpTask
	// OpWait: A=wait index; computes the deadline from Waits[A] and Eff and
	// yields [Sleep].
	OpWait
	// OpParallel: A=parallel index; yields [Fork] with one child per branch,
	// each with input Eff. The engine resumes with Res = the outputs in
	// branch order, or with the first failure.
	OpParallel
	// OpMap: A=map index; selects the items of Eff, builds each item's input
	// and yields [Fork] with one child per item. Resumes like OpParallel.
	OpMap
	// OpSucceed: the execution (or branch) ends successfully with Out.
	OpSucceed
	// OpFail: A=fail index; the execution fails with Fails[A].
	OpFail

	numOpcodes
)

// Reg names one of the four value registers.
type Reg uint8

// The value registers.
const (
	RegIn  Reg = iota // raw state input
	RegEff            // effective input (after InputPath / Parameters)
	RegRes            // result (task, Pass Result, children, ResultSelector)
	RegOut            // output
	numRegs
)

var regNames = [numRegs]string{"in", "eff", "res", "out"}

func (r Reg) String() string {
	if r < numRegs {
		return regNames[r]
	}
	return "r?"
}

// Regs packs a source and destination register into an operand.
func Regs(src, dst Reg) uint32 { return uint32(src)<<4 | uint32(dst) }

func unpackRegs(b uint32) (src, dst Reg) { return Reg(b >> 4 & 0xf), Reg(b & 0xf) }

// Inst is one instruction. A and B are opcode-specific: pool indexes,
// registers or an absolute jump target. Inst has no pointers, so the GC
// never scans Code.
type Inst struct {
	Op   Opcode
	A, B uint32
}
