package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// cmdVersion prints the version of the binary: the module version (or
// "(devel)"), the VCS revision it was built from when known, and the Go
// version.
func cmdVersion(stdout io.Writer) int {
	version, revision, modified := "(devel)", "", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	line := "expressd " + version
	if revision != "" {
		if len(revision) > 12 {
			revision = revision[:12]
		}
		line += " " + revision
		if modified {
			line += "+modified"
		}
	}
	fmt.Fprintf(stdout, "%s %s %s/%s\n", line, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return 0
}
