// SPDX-License-Identifier: Apache-2.0

// Command golden prints golden encodings made by etcd 3.4.23's own raftpb
// and rafthttp code, and checks encodings made by rafthttp-c against them.
//
//	golden gen FILE               write every vector to FILE
//	golden verify GO_FILE C_FILE  check the vectors the C side wrote
//
// gen also checks its own vectors (hand-derived encodings, etcd decoding and
// re-encoding each vector to the same bytes, msgappv2 record types). verify
// rebuilds the expected vectors in memory, checks that GO_FILE is what gen
// writes, and checks every C line. Both end with the line
// "golden: N passed, M failed" and exit 1 when M > 0.
package main

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

func main() {
	switch {
	case len(os.Args) == 3 && os.Args[1] == "gen":
		os.Exit(gen(os.Args[2]))
	case len(os.Args) == 4 && os.Args[1] == "verify":
		os.Exit(verify(os.Args[2], os.Args[3]))
	}
	fmt.Fprintln(os.Stderr, "usage: golden gen FILE | golden verify GO_FILE C_FILE")
	os.Exit(2)
}

// report counts results and prints one FAIL line per failure.
type report struct {
	passed, failed int
}

func (r *report) fail(format string, args ...interface{}) {
	r.failed++
	fmt.Printf("FAIL "+format+"\n", args...)
}

// finish prints the summary line and returns the exit status.
func (r *report) finish() int {
	fmt.Printf("golden: %d passed, %d failed\n", r.passed, r.failed)
	if r.failed > 0 {
		return 1
	}
	return 0
}

var validName = regexp.MustCompile(`^[a-z0-9_.-]+$`)

func gen(path string) int {
	vecs := buildVectors()
	r := &report{}
	seen := map[string]bool{}
	for _, v := range vecs {
		probs := selfCheck(v)
		if !validName.MatchString(v.name) {
			probs = append(probs, "name is not [a-z0-9_.-]+")
		}
		if seen[v.name] {
			probs = append(probs, "duplicate name")
		}
		seen[v.name] = true
		if len(probs) > 0 {
			r.fail("%s %s: %s", v.kind.name, v.name, strings.Join(probs, "; "))
		} else {
			r.passed++
		}
	}
	size, err := writeVectorFile(path, vecs)
	if err != nil {
		r.fail("%v", err)
	} else {
		fmt.Printf("golden: wrote %d vectors (%s) to %s, %d bytes\n", len(vecs), kindCounts(vecs), path, size)
	}
	return r.finish()
}

func verify(goPath, cPath string) int {
	vecs := buildVectors()
	byName := map[string]*vector{}
	for _, v := range vecs {
		byName[v.name] = v
	}
	r := &report{}
	checkGoFile(r, goPath, vecs)

	lines, err := readVectorFile(cPath)
	if err != nil {
		r.fail("%v", err)
		return r.finish()
	}
	seen := map[string]bool{}
	for _, l := range lines {
		v := byName[l.name]
		switch {
		case l.err != nil && l.name == "":
			r.fail("%s:%d: %v", cPath, l.lineNo, l.err)
		case l.err != nil:
			r.fail("%s %s: %s:%d: %v", l.kind, l.name, cPath, l.lineNo, l.err)
		case seen[l.name]:
			r.fail("%s %s: %s:%d: duplicate name", l.kind, l.name, cPath, l.lineNo)
		case v == nil:
			r.fail("%s %s: %s:%d: unknown vector, gen does not produce it", l.kind, l.name, cPath, l.lineNo)
		default:
			if probs := compare(v, l); len(probs) > 0 {
				r.fail("%s %s: %s", l.kind, l.name, strings.Join(probs, "; "))
			} else {
				r.passed++
			}
		}
		seen[l.name] = true
	}
	for _, v := range vecs {
		if !seen[v.name] {
			r.fail("%s %s: missing from %s", v.kind.name, v.name, cPath)
		}
	}
	return r.finish()
}

// checkGoFile fails once if GO_FILE is not exactly what gen writes now, so
// a stale golden file cannot go unnoticed.
func checkGoFile(r *report, path string, vecs []*vector) {
	lines, err := readVectorFile(path)
	if err != nil {
		r.fail("GO_FILE: %v", err)
		return
	}
	for i, v := range vecs {
		if i >= len(lines) {
			r.fail("GO_FILE %s: stale, ends before %s %s; rerun golden gen", path, v.kind.name, v.name)
			return
		}
		l := lines[i]
		if l.err != nil || l.kind != v.kind.name || l.name != v.name || l.param != v.param || firstDiff(l.data, v.data) >= 0 {
			r.fail("GO_FILE %s:%d: stale, does not match %s %s; rerun golden gen", path, l.lineNo, v.kind.name, v.name)
			return
		}
	}
	if len(lines) > len(vecs) {
		r.fail("GO_FILE %s:%d: stale, has extra vectors; rerun golden gen", path, lines[len(vecs)].lineNo)
	}
}

// kindCounts describes how many vectors of each kind vecs holds.
func kindCounts(vecs []*vector) string {
	var parts []string
	for _, k := range kinds {
		n := 0
		for _, v := range vecs {
			if v.kind == k {
				n++
			}
		}
		parts = append(parts, fmt.Sprintf("%s %d", k.name, n))
	}
	return strings.Join(parts, ", ")
}
