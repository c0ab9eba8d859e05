package asl

// This file holds the tables that say which fields each state type and
// query language allows (ASL-NOTES §1.2) and the Choice operators (§1.6).

// typeSet is a set of state types, one bit per StateType.
type typeSet uint16

func types(ts ...StateType) typeSet {
	var s typeSet
	for _, t := range ts {
		s |= 1 << t
	}
	return s
}

func (s typeSet) has(t StateType) bool { return s&(1<<t) != 0 }

// langs says in which query languages a field exists.
type langs uint8

const (
	inPath   langs = 1 << iota // QueryLanguage JSONPath
	inJSONat                   // QueryLanguage JSONata
	inBoth   = inPath | inJSONat
)

type fieldSpec struct {
	types typeSet
	langs langs
}

var (
	allTypes     = types(TypePass, TypeTask, TypeChoice, TypeWait, TypeSucceed, TypeFail, TypeParallel, TypeMap)
	flowTypes    = types(TypePass, TypeTask, TypeWait, TypeParallel, TypeMap) // Next / End
	ioTypes      = types(TypePass, TypeTask, TypeChoice, TypeWait, TypeSucceed, TypeParallel, TypeMap)
	resultTypes  = types(TypePass, TypeTask, TypeParallel, TypeMap)
	handlerTypes = types(TypeTask, TypeParallel, TypeMap)
	assignTypes  = types(TypePass, TypeTask, TypeChoice, TypeWait, TypeParallel, TypeMap)
	task         = types(TypeTask)
	mapType      = types(TypeMap)
)

// stateFields lists every field a state may have, with the state types
// and query languages that allow it.
var stateFields = map[string]fieldSpec{
	"Type":          {allTypes, inBoth},
	"Comment":       {allTypes, inBoth},
	"QueryLanguage": {allTypes, inBoth},
	"Next":          {flowTypes, inBoth},
	"End":           {flowTypes, inBoth},

	"InputPath":      {ioTypes, inPath},
	"OutputPath":     {ioTypes, inPath},
	"Parameters":     {resultTypes, inPath},
	"ResultSelector": {handlerTypes, inPath},
	"ResultPath":     {resultTypes, inPath},
	"Result":         {types(TypePass), inPath},
	"Arguments":      {types(TypeTask, TypeParallel), inJSONat},
	"Output":         {ioTypes, inJSONat},
	"Assign":         {assignTypes, inBoth},
	"Retry":          {handlerTypes, inBoth},
	"Catch":          {handlerTypes, inBoth},

	"Resource":             {task, inBoth},
	"TimeoutSeconds":       {task, inBoth},
	"TimeoutSecondsPath":   {task, inPath},
	"HeartbeatSeconds":     {task, inBoth},
	"HeartbeatSecondsPath": {task, inPath},
	"Credentials":          {task, inBoth},

	"Choices": {types(TypeChoice), inBoth},
	"Default": {types(TypeChoice), inBoth},

	"Seconds":       {types(TypeWait), inBoth},
	"SecondsPath":   {types(TypeWait), inPath},
	"Timestamp":     {types(TypeWait), inBoth},
	"TimestampPath": {types(TypeWait), inPath},

	"Error":     {types(TypeFail), inBoth},
	"ErrorPath": {types(TypeFail), inPath},
	"Cause":     {types(TypeFail), inBoth},
	"CausePath": {types(TypeFail), inPath},

	"Branches": {types(TypeParallel), inBoth},

	"ItemsPath":                      {mapType, inPath},
	"Items":                          {mapType, inJSONat},
	"ItemSelector":                   {mapType, inBoth},
	"ItemProcessor":                  {mapType, inBoth},
	"Iterator":                       {mapType, inBoth},
	"MaxConcurrency":                 {mapType, inBoth},
	"MaxConcurrencyPath":             {mapType, inPath},
	"ToleratedFailureCount":          {mapType, inBoth},
	"ToleratedFailureCountPath":      {mapType, inPath},
	"ToleratedFailurePercentage":     {mapType, inBoth},
	"ToleratedFailurePercentagePath": {mapType, inPath},
	"ItemReader":                     {mapType, inBoth},
	"ItemBatcher":                    {mapType, inBoth},
	"ResultWriter":                   {mapType, inBoth},
	"Label":                          {mapType, inBoth},
}

func stateField(name string) bool {
	_, ok := stateFields[name]
	return ok
}

// distributedFields are the Map fields that only a Distributed Map has.
// ToleratedFailureCount/Percentage(Path) are documented as Distributed-only
// too, but AWS accepts and runs them on an inline Map (recorded), so they
// are not listed here.
var distributedFields = []string{"ItemReader", "ItemBatcher", "ResultWriter", "Label"}

// opKind is the operand type of a Choice comparison operator.
type opKind uint8

const (
	opNumber opKind = iota + 1
	opString
	opBool
	opTimestamp
	opPath // any *Path operator: the operand is a path string
	opIs   // Is* type tests: the operand is a boolean
)

// operators maps each JSONPath Choice comparison operator to its operand type.
var operators = map[string]opKind{
	"BooleanEquals": opBool, "BooleanEqualsPath": opPath,

	"NumericEquals": opNumber, "NumericEqualsPath": opPath,
	"NumericLessThan": opNumber, "NumericLessThanPath": opPath,
	"NumericGreaterThan": opNumber, "NumericGreaterThanPath": opPath,
	"NumericLessThanEquals": opNumber, "NumericLessThanEqualsPath": opPath,
	"NumericGreaterThanEquals": opNumber, "NumericGreaterThanEqualsPath": opPath,

	"StringEquals": opString, "StringEqualsPath": opPath,
	"StringLessThan": opString, "StringLessThanPath": opPath,
	"StringGreaterThan": opString, "StringGreaterThanPath": opPath,
	"StringLessThanEquals": opString, "StringLessThanEqualsPath": opPath,
	"StringGreaterThanEquals": opString, "StringGreaterThanEqualsPath": opPath,
	"StringMatches": opString,

	"TimestampEquals": opTimestamp, "TimestampEqualsPath": opPath,
	"TimestampLessThan": opTimestamp, "TimestampLessThanPath": opPath,
	"TimestampGreaterThan": opTimestamp, "TimestampGreaterThanPath": opPath,
	"TimestampLessThanEquals": opTimestamp, "TimestampLessThanEqualsPath": opPath,
	"TimestampGreaterThanEquals": opTimestamp, "TimestampGreaterThanEqualsPath": opPath,

	"IsNull": opIs, "IsPresent": opIs, "IsNumeric": opIs, "IsString": opIs,
	"IsBoolean": opIs, "IsTimestamp": opIs,
}
