//go:build race

package engine_test

// raceEnabled: the race detector adds allocations and empties sync.Pools
// at random, so allocation budgets are not checked under it.
const raceEnabled = true
