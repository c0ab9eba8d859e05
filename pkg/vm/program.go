package vm

import (
	"time"

	"github.com/expressd/expressd/pkg/intrinsic"
	"github.com/expressd/expressd/pkg/jsonpath"
	"github.com/expressd/expressd/pkg/value"
)

// Program is a compiled state machine: one code array for the top-level
// machine and every Parallel branch and Map item processor (a branch is an
// entry pc into the same code), plus typed pools the instructions index.
//
// A Program is immutable after compilation and safe for concurrent use by
// any number of Machines.
type Program struct {
	Name string // state machine name
	Code []Inst

	Consts     []value.Value
	ConstSizes []int // JSON size of each constant
	Paths      []Path
	Templates  []Template
	Intrinsics []Intrinsic
	Assigns    []Assign
	Compares   []Compare
	Tasks      []Task
	Waits      []Wait
	Fails      []FailSpec
	Parallels  []Parallel
	Maps       []Map
	States     []StateInfo
	Handlers   []Handler // sorted by Start; ranges never overlap
	Pos        []PosEntry

	// VarNames lists the variables (Assign targets) by slot.
	VarNames []string
	// UsesContext is set when some path reads the context object ($$), so
	// the VM records state entry times only when they can be observed.
	UsesContext bool
	// TimeoutSeconds is the definition's top-level TimeoutSeconds, 0 when absent.
	TimeoutSeconds int64
}

// Path is a compiled ASL path with its root resolved: variable paths carry
// their variable slot.
type Path struct {
	*jsonpath.Path
	Slot int32 // variable slot for $name paths, -1 otherwise
}

// TNodeKind is the kind of a payload template node.
type TNodeKind uint8

// Template node kinds.
const (
	TConst     TNodeKind = iota // Const
	TPath                       // Paths[Index]
	TIntrinsic                  // Intrinsics[Index]
	TObject                     // Keys / Items
	TArray                      // Items
)

// TNode is a node of a payload template (Parameters, ResultSelector,
// ItemSelector, Assign, Fail ErrorPath/CausePath).
type TNode struct {
	Kind  TNodeKind
	Const value.Value
	Index uint32
	Field string // the field name for error messages: "x.$"
	Keys  []string
	Items []TNode
}

// Template is a compiled payload template.
type Template struct {
	Root  TNode
	Field string // "Parameters", "ResultSelector", "ItemSelector", …
}

// Intrinsic is a compiled intrinsic function call; PathIdx maps the call's
// path arguments (intrinsic.Call.Paths) to Program.Paths.
type Intrinsic struct {
	Call    *intrinsic.Call
	PathIdx []uint32
}

// Assign is a compiled Assign block: variable Slots[i] receives member i of
// the evaluated object template.
type Assign struct {
	Slots []uint32
	Tmpl  TNode
}

// CmpOp is a Choice comparison operator.
type CmpOp uint8

// Comparison operators. The *Path variants share the operator and set
// Compare.OperandPath.
const (
	CmpStringEquals CmpOp = iota
	CmpStringLessThan
	CmpStringGreaterThan
	CmpStringLessThanEquals
	CmpStringGreaterThanEquals
	CmpStringMatches
	CmpNumericEquals
	CmpNumericLessThan
	CmpNumericGreaterThan
	CmpNumericLessThanEquals
	CmpNumericGreaterThanEquals
	CmpBooleanEquals
	CmpTimestampEquals
	CmpTimestampLessThan
	CmpTimestampGreaterThan
	CmpTimestampLessThanEquals
	CmpTimestampGreaterThanEquals
	CmpIsNull
	CmpIsPresent
	CmpIsNumeric
	CmpIsString
	CmpIsBoolean
	CmpIsTimestamp
)

// Compare is one Choice comparison: Variable <Op> operand.
type Compare struct {
	Var         uint32 // Paths index of Variable
	Op          CmpOp
	Operand     value.Value // literal operand (Is*: the boolean)
	OperandPath int32       // Paths index for *Path operators, -1 for literals
	Time        time.Time   // parsed literal timestamp
	Pattern     []string    // StringMatches: literal pieces between '*' wildcards
	Text        string      // operator name and operand, for the disassembly
}

// Task is a Task state's call.
type Task struct {
	State    uint32
	Resource string
	// Handler is the integration the resource was resolved to at compile
	// time (an index the engine understands).
	Handler            int32
	TimeoutSeconds     int64 // 0 = none
	TimeoutPath        int32 // Paths index, -1 when absent
	HeartbeatSeconds   int64
	HeartbeatPath      int32
	LegacyLambda       bool // arn:aws:lambda:…:function:… resource
	CredentialsRoleArn string
}

// WaitKind says how a Wait state computes its deadline.
type WaitKind uint8

// Wait kinds.
const (
	WaitSeconds WaitKind = iota
	WaitSecondsPath
	WaitTimestamp
	WaitTimestampPath
)

// Wait is a Wait state's delay.
type Wait struct {
	State   uint32
	Kind    WaitKind
	Seconds int64
	Time    time.Time
	Path    uint32
}

// FailSpec is a Fail state's error and cause: literal, or computed from a
// path or intrinsic (ErrorPath / CausePath).
type FailSpec struct {
	State              uint32
	Error, Cause       string
	HasError, HasCause bool
	ErrorNode          *TNode
	CauseNode          *TNode
}

// Parallel is a Parallel state: one child per branch entry pc.
type Parallel struct {
	State    uint32
	Branches []uint32
}

// Map is an inline Map state.
type Map struct {
	State              uint32
	ItemsPath          int32 // Paths index; -1 means $
	Selector           int32 // Templates index; -1 means the item itself
	Processor          uint32
	MaxConcurrency     int64 // 0 = unlimited
	MaxConcurrencyPath int32 // Paths index, -1 when absent
}

// StateInfo describes a state of the program.
type StateInfo struct {
	Name    string
	Type    string // "Pass", "Task", …
	Entry   uint32 // pc of its OpEnter
	Pointer string // JSON Pointer in the definition
	Line    int
	Col     int
	Handler int32 // Handlers index, -1 when the state has no Retry/Catch
}

// Retrier is a compiled Retry element.
type Retrier struct {
	ErrorEquals     []string
	IntervalSeconds float64
	MaxAttempts     int64
	BackoffRate     float64
	MaxDelaySeconds float64 // 0 = no cap
	FullJitter      bool
}

// Catcher is a compiled Catch element.
type Catcher struct {
	ErrorEquals []string
	Next        uint32 // pc of the target state's OpEnter
	ResultPath  int32  // Paths index; ResultPathRoot for "$", ResultPathNull for null
	Assign      int32  // Assigns index, -1 when absent
}

// Catcher ResultPath sentinels.
const (
	ResultPathRoot int32 = -1
	ResultPathNull int32 = -2
)

// Handler is the Retry/Catch table of one state, consulted only when an
// instruction in [Start, End) fails.
type Handler struct {
	Start, End uint32
	State      uint32
	Retry      uint32 // pc where a retry resumes (after OpEnter)
	Retriers   []Retrier
	Catchers   []Catcher
}

// PosEntry maps the instructions from PC on to a place in the definition.
type PosEntry struct {
	PC      uint32
	Pointer string
	Line    int
	Col     int
}

// StateAt returns the index of the state whose code contains pc, or -1.
func (p *Program) StateAt(pc uint32) int {
	best := -1
	for i, s := range p.States {
		if s.Entry <= pc && (best < 0 || s.Entry > p.States[best].Entry) {
			best = i
		}
	}
	return best
}

// PosAt returns the source position recorded for pc.
func (p *Program) PosAt(pc uint32) PosEntry {
	lo, hi := 0, len(p.Pos)
	for lo < hi {
		m := (lo + hi) / 2
		if p.Pos[m].PC <= pc {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo == 0 {
		return PosEntry{}
	}
	return p.Pos[lo-1]
}
