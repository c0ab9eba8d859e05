package asl

import "github.com/expressd/expressd/pkg/value"

// Pos is a position in a definition file. Line and Col are 1-based; Col
// counts bytes. The zero Pos means "unknown".
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// Node is a decoded JSON (or YAML) value together with its source position
// and JSON Pointer. Definitions keep the raw nodes of payload templates
// (Parameters, ResultSelector, ItemSelector, Assign, Result, Arguments,
// Output, Choice operands) so that later phases can name the exact place of
// a problem.
type Node struct {
	Kind    value.Kind
	Pos     Pos
	Pointer string // RFC 6901 pointer from the definition root, e.g. "/States/A/Parameters/x.$"
	Bool    bool
	Num     string  // number source text
	Float   float64 // number value
	Str     string
	Items   []*Node // array elements, or object member values (parallel to Keys)
	Keys    []string
	KeyPos  []Pos // position of each member name
}

// QueryLanguage is the query language of a state machine or state.
type QueryLanguage string

// The two query languages. The empty value means "inherit" (JSONPath at the top).
const (
	JSONPath QueryLanguage = "JSONPath"
	JSONata  QueryLanguage = "JSONata"
)

// StateType is the Type of a state.
type StateType uint8

// The eight ASL state types.
const (
	TypePass StateType = iota + 1
	TypeTask
	TypeChoice
	TypeWait
	TypeSucceed
	TypeFail
	TypeParallel
	TypeMap
)

// StateMachine is a decoded top-level definition, a Parallel branch or a Map
// item processor.
type StateMachine struct {
	Node           *Node // the whole object
	Comment        string
	StartAt        string
	States         []*State // in definition order
	TimeoutSeconds *int64   // top level only; nil when absent
	Version        string
	QueryLanguage  QueryLanguage // "" = inherited / default JSONPath
	byName         map[string]*State

	// ProcessorConfig is set on Map item processors (ItemProcessor or
	// Iterator) only.
	ProcessorConfig ProcessorConfig
}

// PathField is an optional path-valued field such as InputPath.
type PathField struct {
	Set  bool   // the field is present
	Null bool   // the field is JSON null
	Text string // the path text when Set and not Null
	Node *Node  // the field's node when Set
}

// State is one state of a (sub-)machine. Fields that a state type does not
// have stay at their zero value; Validate reports fields not allowed for the
// type.
type State struct {
	Name          string
	Type          StateType
	Node          *Node // the state object; Node.Pointer is "/States/<name>" (nested: ".../Branches/0/States/<name>")
	Comment       string
	QueryLanguage QueryLanguage // "" = inherited

	Next string
	End  bool

	InputPath, OutputPath, ResultPath PathField
	Parameters                        *Node // payload template; nil when absent
	ResultSelector                    *Node
	Result                            *Node // Pass only
	Assign                            *Node
	Arguments, Output                 *Node // JSONata

	// Task
	Resource             string
	TimeoutSeconds       *Node // number, or a JSONata string
	TimeoutSecondsPath   PathField
	HeartbeatSeconds     *Node
	HeartbeatSecondsPath PathField
	Credentials          *Node

	Retry []*Retrier
	Catch []*Catcher

	// Choice
	Choices []*ChoiceRule
	Default string

	// Wait
	Seconds       *Node // number, or a JSONata string
	SecondsPath   PathField
	Timestamp     *Node // string
	TimestampPath PathField

	// Fail
	Error, Cause         *Node // string (literal, or a JSONata string)
	ErrorPath, CausePath PathField

	// Parallel
	Branches []*StateMachine

	// Map
	ItemsPath                  PathField
	Items                      *Node // JSONata
	ItemSelector               *Node // ItemSelector, or legacy Parameters on a Map (see LegacyParameters)
	ItemProcessor              *StateMachine
	LegacyIterator             bool // the processor was given as Iterator
	LegacyParameters           bool // the selector was given as Parameters
	MaxConcurrency             *Node
	MaxConcurrencyPath         PathField
	ToleratedFailureCount      *Node
	ToleratedFailureCountPath  PathField
	ToleratedFailurePercentage *Node
	ToleratedFailurePctPath    PathField
}

// Retrier is one element of Retry, with defaults applied.
type Retrier struct {
	Node            *Node
	ErrorEquals     []string
	IntervalSeconds float64 // default 1
	MaxAttempts     int64   // default 3
	BackoffRate     float64 // default 2.0
	MaxDelaySeconds float64 // 0 = no cap
	JitterStrategy  string  // "NONE" (default) or "FULL"
}

// Catcher is one element of Catch.
type Catcher struct {
	Node        *Node
	ErrorEquals []string
	Next        string
	ResultPath  PathField
	Assign      *Node
	Output      *Node // JSONata
}

// ChoiceRule is a Choice rule: a comparison, a combinator (And, Or, Not) or
// a JSONata Condition. Next, Assign and Output only appear on top-level rules.
type ChoiceRule struct {
	Node      *Node
	Next      string
	Assign    *Node
	Output    *Node
	Condition *Node // JSONata: boolean or "{% expr %}"

	Variable string // JSONPath comparison: the path
	Operator string // e.g. "NumericGreaterThan", "StringEqualsPath", "IsPresent"
	Operand  *Node  // the operator's value (literal, path string, or boolean for Is*)

	And, Or []*ChoiceRule
	Not     *ChoiceRule
}

// State returns the state named name, or nil. The index is built by the
// decoder, so State is safe for concurrent use.
func (m *StateMachine) State(name string) *State {
	return m.byName[name]
}

// ProcessorConfig of a Map ItemProcessor. These fields are set only on the
// StateMachine of an ItemProcessor; Validate rejects DISTRIBUTED.
type ProcessorConfig struct {
	Node          *Node  // nil when ProcessorConfig is absent
	Mode          string // "INLINE" (default), "DISTRIBUTED"
	ExecutionType string // DISTRIBUTED only: "STANDARD" or "EXPRESS"
}
