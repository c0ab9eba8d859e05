package asl

// Limits on definitions. Every input the decoder and the validator walk is
// bounded by one of these, so a hostile definition costs bounded time and
// memory.
const (
	// MaxDefinitionBytes is the largest definition Decode accepts: 1 MiB,
	// the Step Functions quota for a state machine definition. Because every
	// JSON value takes at least one byte, it also bounds the number of
	// nodes of a definition (the YAML decoder, where aliases can expand a
	// small text into a large tree, enforces that node bound explicitly).
	MaxDefinitionBytes = 1 << 20

	// MaxStates is the largest number of states in one definition, counted
	// across all nested Parallel branches and Map processors. AWS publishes
	// no quota for it, but the 1 MiB definition quota already caps a
	// realistic definition at a few thousand states (a minimal useful state
	// is ~40 bytes). 10,000 leaves room for generated definitions while
	// keeping the compiler's per-state tables and the validator's
	// reachability walk small.
	MaxStates = 10000

	// MaxNestingDepth is the deepest JSON (or YAML) nesting of a definition
	// document. It keeps the recursive decoder's stack bounded. It also
	// bounds Parallel/Map nesting: each nested sub-machine costs at least
	// four document levels (States, state, Branches/ItemProcessor, branch),
	// so at most 15 levels of Parallel/Map fit, far above what real
	// definitions use (AWS documents no nesting quota; the deepest
	// definitions seen in practice nest 3–4 levels). Payload templates in
	// Parameters or Result rarely exceed 10 levels.
	MaxNestingDepth = 64

	// MaxStateNameLength is the longest state name, in Unicode characters
	// (Step Functions quota). The same bound applies to variable names.
	MaxStateNameLength = 80

	// maxTimeoutSeconds is the largest TimeoutSeconds, HeartbeatSeconds,
	// IntervalSeconds and MaxAttempts value the AWS schema accepts.
	maxTimeoutSeconds = 99999999

	// maxDelaySeconds is the largest retrier MaxDelaySeconds: 366 days.
	maxDelaySeconds = 31622400
)
