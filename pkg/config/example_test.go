package config_test

import (
	"fmt"
	"strings"

	"github.com/expressd/expressd/pkg/config"
)

func ExampleLoad() {
	c, err := config.Load("../../configs/expressd.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	m := c.Machine("telemetry")
	fmt.Println(m.Trigger.Stream, m.Trigger.Subjects, m.Trigger.Consumer, m.Timeout, m.Results.Subject)
	// Output: TELEMETRY [iot.telemetry.>] expressd-telemetry 1m0s expressd.results.telemetry
}

func ExampleParse() {
	_, err := config.Parse("x.yaml", []byte("machines:\n  - name: m\n    trigger: {ack_wait: 30}\n    timout: 1m\n"))
	fmt.Println(err)
	// Output:
	// x.yaml:3:25: machines[0].trigger.ack_wait: duration 30 has no unit; write it like "30s" (units: ms, s, m, h)
	// x.yaml:4:5: machines[0].timout: unknown key "timout"; did you mean "timeout"?
}

func ExampleConfig_Validate() {
	c, _ := config.Parse("x.yaml", []byte("machines:\n  - name: m\n    definition: /nonexistent.asl.json\n    timeout: 10m\n"))
	c.ApplyDefaults()
	fmt.Println(c.Validate())
	// Output:
	// x.yaml:3:17: machines[0].definition: file "/nonexistent.asl.json" does not exist
	// x.yaml:4:14: machines[0].timeout: must be at most 5m
}

func ExampleConfig_Redacted() {
	c, _ := config.Parse("x.yaml", []byte("nats: {url: 'nats://u:pw@h:4222', user: u, password: pw}\n"))
	r := c.Redacted()
	fmt.Println(r.NATS.URL, r.NATS.Password, c.NATS.Password)
	// Output: nats://u:REDACTED@h:4222 REDACTED REDACTED
}

func ExampleReference() {
	ref := config.Reference()
	i := strings.Index(ref, "### `machines[].trigger.ack_wait`")
	fmt.Println(ref[i : i+strings.Index(ref[i:], "\n\nTime")])
	// Output:
	// ### `machines[].trigger.ack_wait`
	//
	// duration · default `30s` · at least 1s
}

func ExampleMachine_EffectiveLogging() {
	c, _ := config.Parse("x.yaml", []byte(`
logging: {level: ERROR, sinks: [{type: stdout}]}
machines:
  - {name: m, definition: m.asl.json, logging: {level: ALL, include_execution_data: true}}
`))
	c.ApplyDefaults()
	l := c.Machine("m").EffectiveLogging(c.Logging)
	fmt.Println(l.Level, l.IncludeExecutionData, l.Sinks[0].Type)
	// Output: ALL true stdout
}
