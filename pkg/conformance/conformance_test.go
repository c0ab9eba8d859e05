package conformance

import (
	"bufio"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/internal/corpus"
)

// knownFailure is why a listed case fails, and what its failure says.
type knownFailure struct {
	reason string
	expect string // text the failure must contain ("" for none)
}

// loadKnownFailures reads known_failures.txt: one case id per line, grouped
// under "# reason" comment lines, each group with an "#! expect: text" line.
func loadKnownFailures(t *testing.T) map[string]knownFailure {
	f, err := os.Open("known_failures.txt")
	if err != nil {
		if os.IsNotExist(err) {
			return map[string]knownFailure{}
		}
		t.Fatal(err)
	}
	defer f.Close()
	known := map[string]knownFailure{}
	var group knownFailure
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
		case strings.HasPrefix(line, "#! expect:"):
			group.expect = strings.TrimSpace(strings.TrimPrefix(line, "#! expect:"))
		case strings.HasPrefix(line, "#"):
			group = knownFailure{reason: strings.TrimSpace(strings.TrimPrefix(line, "#"))}
		default:
			if group.expect == "" {
				t.Errorf("known_failures.txt: %s: its group (%s) has no \"#! expect:\" line", line, group.reason)
			}
			known[line] = group
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return known
}

// TestAWSCorpus runs every case recorded against AWS. A case listed in
// known_failures.txt must fail (so the list only shrinks); every other case
// must pass.
func TestAWSCorpus(t *testing.T) {
	dir := corpus.Conformance(t)
	cases, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	known := loadKnownFailures(t)
	seen := map[string]bool{}
	var passed, failed, nonJSONata, nonJSONataPassed int
	var unexpected []string
	for _, c := range cases {
		seen[c.ID] = true
		err := Run(c)
		if !c.UsesJSONata() && !strings.HasPrefix(c.ID, "jsonata/") {
			nonJSONata++
			if err == nil {
				nonJSONataPassed++
			}
		}
		kf, isKnown := known[c.ID]
		switch {
		case err == nil && isKnown:
			unexpected = append(unexpected, c.ID+": passes now; remove it from known_failures.txt ("+kf.reason+")")
		case err != nil && !isKnown:
			unexpected = append(unexpected, c.File+": "+c.Name+": "+err.Error())
		case err != nil && !strings.Contains(err.Error(), kf.expect):
			unexpected = append(unexpected, c.ID+": fails differently from its known_failures.txt group ("+kf.reason+
				"): want a failure containing "+strconv.Quote(kf.expect)+", got: "+err.Error())
		}
		if err == nil {
			passed++
		} else {
			failed++
			if os.Getenv("EXPRESSD_CONFORMANCE_VERBOSE") != "" {
				t.Logf("%s: %v", c.ID, err)
			}
		}
	}
	for id := range known {
		if !seen[id] {
			unexpected = append(unexpected, id+": listed in known_failures.txt but not in the corpus")
		}
	}
	sort.Strings(unexpected)
	for _, u := range unexpected {
		t.Error(u)
	}
	t.Logf("AWS corpus: %d cases, %d passed, %d failed; without JSONata: %d/%d passed (%.1f%%)",
		len(cases), passed, failed, nonJSONataPassed, nonJSONata, 100*float64(nonJSONataPassed)/float64(max(nonJSONata, 1)))
}

// TestOwnCases runs our own cases in testdata/, written from the AWS
// documentation for what the recorded corpus does not cover. All must pass.
func TestOwnCases(t *testing.T) {
	cases, err := Load("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.ID, func(t *testing.T) {
			if err := Run(c); err != nil {
				t.Errorf("%s: %s: %v", c.File, c.Name, err)
			}
		})
	}
}
