// Command testreport reads `go test -json` and reports like `go test`, plus
// what plain `go test ./...` hides: every skipped test with its reason (so a
// machine without PostgreSQL says the PostgreSQL suite was skipped and
// why). It prints the output of failed tests and ends with
// "N passed, N failed, N skipped"; it exits 1 when anything failed.
//
//	go test -json ./... | go run ./tools/testreport
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
)

// testEvent is one line of `go test -json` (see `go doc test2json`).
type testEvent struct {
	Action  string
	Package string
	Test    string
	Output  string
}

type report struct {
	out              io.Writer
	output           map[string][]string // test output so far, by package/test
	skips            map[string][]string // tests skipped, by package and reason
	passed, failed   int
	skipped, pkgFail int
}

func main() {
	r := &report{out: os.Stdout, output: map[string][]string{}, skips: map[string][]string{}}
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	lines := 0
	for sc.Scan() {
		lines++
		var e testEvent
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(r.out, sc.Text()) // not JSON: go test's own complaint
			r.pkgFail++
			continue
		}
		r.add(e)
	}
	r.summary()
	if r.failed > 0 || r.pkgFail > 0 || lines == 0 {
		os.Exit(1)
	}
}

func (r *report) add(e testEvent) {
	key := e.Package + " " + e.Test
	switch e.Action {
	case "build-output":
		fmt.Fprint(r.out, e.Output)
	case "output":
		if e.Test != "" {
			r.output[key] = append(r.output[key], e.Output)
		} else if line := strings.TrimSpace(e.Output); line != "PASS" && line != "FAIL" {
			fmt.Fprint(r.out, e.Output) // the package's own lines: ok, FAIL, panics
		}
	case "pass":
		if e.Test == "" {
			return
		}
		r.passed++
		delete(r.output, key)
	case "skip":
		if e.Test == "" {
			return // a package without tests
		}
		r.skipped++
		why := e.Package + ": " + reason(r.output[key])
		r.skips[why] = append(r.skips[why], e.Test)
		delete(r.output, key)
	case "fail":
		if e.Test == "" {
			r.pkgFail++
			return
		}
		r.failed++
		fmt.Fprint(r.out, strings.Join(r.output[key], ""))
		delete(r.output, key)
	}
}

func more(n int) string {
	if n <= 0 {
		return ""
	}
	return fmt.Sprintf(" and %d more", n)
}

// reason is what t.Skip said: the output lines that are not go test's own.
func reason(lines []string) string {
	var said []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- SKIP") {
			continue
		}
		// Drop the file:line prefix, so that one reason from many places groups.
		if _, msg, ok := strings.Cut(t, ": "); ok && strings.Contains(t[:strings.Index(t, ": ")], ".go:") {
			t = msg
		}
		said = append(said, t)
	}
	if len(said) == 0 {
		return "(no reason given)"
	}
	return strings.Join(said, " ")
}

func (r *report) summary() {
	if r.skipped > 0 {
		fmt.Fprintf(r.out, "\nSkipped, %d tests:\n", r.skipped)
		whys := slices.Sorted(maps.Keys(r.skips))
		for _, why := range whys {
			tests := r.skips[why]
			fmt.Fprintf(r.out, "  %d skipped (%s): %s\n", len(tests), strings.Join(tests[:min(3, len(tests))], ", ")+more(len(tests)-3), why)
		}
	}
	fmt.Fprintf(r.out, "\n%d passed, %d failed, %d skipped\n", r.passed, r.failed, r.skipped)
}
