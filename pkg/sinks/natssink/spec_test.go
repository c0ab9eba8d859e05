package natssink

import (
	"reflect"
	"testing"

	"github.com/expressd/expressd/pkg/sinks"
)

// TestSpecIsBuiltin: the nats plugin reads exactly the keys pkg/config
// knows for it (sinks.BuiltinSpecs, declared without NATS).
func TestSpecIsBuiltin(t *testing.T) {
	if got := Plugin(nil).Spec; !reflect.DeepEqual(got, sinks.BuiltinSpecs()[Name]) {
		t.Errorf("Plugin(nil).Spec = %+v, want sinks.BuiltinSpecs()[%q]", got, Name)
	}
}
