package oteltel

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/expressd/expressd/pkg/telemetry"
)

// durationBuckets are the histogram boundaries in seconds, from 0.1 ms (a
// Pass-only execution) to 300 s (the Express execution limit), roughly
// 1-2.5-5 per decade.
var durationBuckets = []float64{
	0.0001, 0.00025, 0.0005,
	0.001, 0.0025, 0.005,
	0.01, 0.025, 0.05,
	0.1, 0.25, 0.5,
	1, 2.5, 5,
	10, 30, 60, 120, 300,
}

// bg is the context of every measurement: the facade carries none.
var bg = context.Background()

// metrics implements telemetry.Metrics with pre-created instruments and
// cached attribute sets.
type metrics struct {
	started      metric.Int64Counter
	ended        metric.Int64Counter
	duration     metric.Float64Histogram
	transitions  metric.Int64Counter
	inFlight     metric.Int64UpDownCounter
	taskCalls    metric.Int64Counter
	taskErrors   metric.Int64Counter
	taskDuration metric.Float64Histogram
	redelivered  metric.Int64Counter
	deadLettered metric.Int64Counter
	storeFailed  metric.Int64Counter
	syncRejected metric.Int64Counter
	sinkWritten  metric.Int64Counter
	sinkDropped  metric.Int64Counter

	machines  labelCache[*machineLabels]
	resources labelCache[*resourceLabels]
	sinks     labelCache[labelSet]
}

var _ telemetry.Metrics = (*metrics)(nil)

// machineLabels holds the sets for one machine and the sets below it.
type machineLabels struct {
	name     string
	set      labelSet
	statuses labelCache[labelSet] // machine, status
	reasons  labelCache[labelSet] // machine, reason
}

// resourceLabels holds the sets for one Task resource.
type resourceLabels struct {
	name   string
	set    labelSet
	errors labelCache[labelSet] // resource, error
}

func newMachineLabels(name string) *machineLabels {
	return &machineLabels{name: name, set: newLabelSet(keyMachine.String(name))}
}

func newResourceLabels(name string) *resourceLabels {
	return &resourceLabels{name: name, set: newLabelSet(keyResource.String(name))}
}

func newSinkLabels(name string) labelSet { return newLabelSet(keySink.String(name)) }

func newMetrics(m metric.Meter) (*metrics, error) {
	var (
		ms  = &metrics{}
		err error
	)
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		if err == nil {
			*dst, err = m.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
	}
	histogram := func(dst *metric.Float64Histogram, name, desc string) {
		if err == nil {
			*dst, err = m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
				metric.WithExplicitBucketBoundaries(durationBuckets...))
		}
	}
	counter(&ms.started, "expressd.executions.started", "{execution}", "Executions started, per state machine.")
	counter(&ms.ended, "expressd.executions.ended", "{execution}", "Executions ended, per state machine and final status.")
	histogram(&ms.duration, "expressd.execution.duration", "Execution duration, per state machine and final status.")
	counter(&ms.transitions, "expressd.state.transitions", "{transition}", "State transitions of ended executions, per state machine.")
	counter(&ms.taskCalls, "expressd.task.calls", "{call}", "Task calls, successful or not, per Task resource.")
	counter(&ms.taskErrors, "expressd.task.errors", "{call}", "Failed Task calls, per Task resource and ASL error name.")
	histogram(&ms.taskDuration, "expressd.task.duration", "Task call duration, per Task resource.")
	counter(&ms.redelivered, "expressd.redeliveries", "{event}", "Events delivered more than once, per state machine.")
	counter(&ms.deadLettered, "expressd.dlq.events", "{event}", "Events copied to the dead-letter queue, per state machine and reason.")
	counter(&ms.storeFailed, "expressd.store.failures", "{write}", "Results (reason=result) and DLQ copies (reason=dlq) that could not be stored, per state machine.")
	counter(&ms.syncRejected, "expressd.sync.rejected", "{request}", "Sync requests refused because the machine's sync executions were at their limit.")
	counter(&ms.sinkWritten, "expressd.sink.records.written", "{record}", "Log records written, per sink.")
	counter(&ms.sinkDropped, "expressd.sink.records.dropped", "{record}", "Log records dropped because the sink fell behind, per sink.")
	if err == nil {
		ms.inFlight, err = m.Int64UpDownCounter("expressd.executions.inflight", metric.WithUnit("{execution}"),
			metric.WithDescription("Executions currently running, per state machine."))
	}
	if err != nil {
		return nil, fmt.Errorf("oteltel: create instrument: %w", err)
	}
	return ms, nil
}

func (m *metrics) machine(name string) *machineLabels {
	if l, ok := m.machines.load(name); ok {
		return l
	}
	return m.machines.add(name, 0, newMachineLabels)
}

func (m *metrics) resource(name string) *resourceLabels {
	if l, ok := m.resources.load(name); ok {
		return l
	}
	return m.resources.add(name, 0, newResourceLabels)
}

func (l *machineLabels) status(status string) labelSet {
	if s, ok := l.statuses.load(status); ok {
		return s
	}
	return l.statuses.add(status, maxStatusLabels, func(v string) labelSet {
		return newLabelSet(keyMachine.String(l.name), keyStatus.String(v))
	})
}

func (l *machineLabels) reason(reason string) labelSet {
	if s, ok := l.reasons.load(reason); ok {
		return s
	}
	return l.reasons.add(reason, maxReasonLabels, func(v string) labelSet {
		return newLabelSet(keyMachine.String(l.name), keyReason.String(v))
	})
}

func (l *resourceLabels) error(name string) labelSet {
	if s, ok := l.errors.load(name); ok {
		return s
	}
	return l.errors.add(name, maxErrorLabels, func(v string) labelSet {
		return newLabelSet(keyResource.String(l.name), keyError.String(v))
	})
}

// ExecutionStarted implements telemetry.Metrics.
func (m *metrics) ExecutionStarted(machine string) {
	m.started.Add(bg, 1, m.machine(machine).set.add...)
}

// ExecutionEnded implements telemetry.Metrics.
func (m *metrics) ExecutionEnded(machine, status string, d time.Duration, transitions int64) {
	l := m.machine(machine)
	s := l.status(status)
	m.ended.Add(bg, 1, s.add...)
	m.duration.Record(bg, d.Seconds(), s.record...)
	if transitions > 0 {
		m.transitions.Add(bg, transitions, l.set.add...)
	}
}

// TaskCall implements telemetry.Metrics.
func (m *metrics) TaskCall(resource, errName string, d time.Duration) {
	l := m.resource(resource)
	m.taskCalls.Add(bg, 1, l.set.add...)
	m.taskDuration.Record(bg, d.Seconds(), l.set.record...)
	if errName != "" {
		m.taskErrors.Add(bg, 1, l.error(errName).add...)
	}
}

// Redelivered implements telemetry.Metrics.
func (m *metrics) Redelivered(machine string) {
	m.redelivered.Add(bg, 1, m.machine(machine).set.add...)
}

// DeadLettered implements telemetry.Metrics.
func (m *metrics) DeadLettered(machine, reason string) {
	m.deadLettered.Add(bg, 1, m.machine(machine).reason(reason).add...)
}

// StoreFailed implements telemetry.Metrics.
func (m *metrics) StoreFailed(machine, kind string) {
	m.storeFailed.Add(bg, 1, m.machine(machine).reason(kind).add...)
}

// SyncRejected implements telemetry.Metrics.
func (m *metrics) SyncRejected(machine string) {
	m.syncRejected.Add(bg, 1, m.machine(machine).set.add...)
}

// SinkRecords implements telemetry.Metrics.
func (m *metrics) SinkRecords(sink string, written, dropped int) {
	l, ok := m.sinks.load(sink)
	if !ok {
		l = m.sinks.add(sink, 0, newSinkLabels)
	}
	if written > 0 {
		m.sinkWritten.Add(bg, int64(written), l.add...)
	}
	if dropped > 0 {
		m.sinkDropped.Add(bg, int64(dropped), l.add...)
	}
}

// InFlight implements telemetry.Metrics.
func (m *metrics) InFlight(machine string, delta int) {
	if delta != 0 {
		m.inFlight.Add(bg, int64(delta), m.machine(machine).set.add...)
	}
}
