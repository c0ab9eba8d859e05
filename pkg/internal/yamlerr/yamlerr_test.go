package yamlerr

import (
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestLocate(t *testing.T) {
	for _, tc := range []struct {
		text string
		line int
	}{
		{"nats:\n  embedded:\n    listen: 127.0.0.1:4222\n   store_dir: x\nmachines: []\n", 4},
		{"StartAt: A\nStates:\n  A:\n    Type: Pass\n   End: true\n", 5},
		{"a: 1\nb: [1, 2\nc: 3\n", 2}, // the unclosed sequence
		{"a: b: c\n", 1},
		{"a:\n  - x\n  y: 1\n", 3},
	} {
		var n yaml.Node
		err := yaml.Unmarshal([]byte(tc.text), &n)
		if err == nil {
			t.Fatalf("%q parsed", tc.text)
		}
		if line, msg := Locate([]byte(tc.text), err); line != tc.line {
			t.Errorf("%q: line %d (%s), want %d (yaml.v3 said: %v)", tc.text, line, msg, tc.line, err)
		}
	}
}
