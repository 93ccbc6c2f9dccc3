// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// The vector file is text, one vector a line: KIND NAME PARAM HEX, fields
// separated by one space, PARAM "-" when unused, HEX lowercase with "-" for
// no bytes. Blank lines and lines starting with '#' are ignored.

// line is one vector read from a file. A line that does not parse has err
// set, and kind and name too when it has the right number of fields.
type line struct {
	lineNo            int
	kind, name, param string
	data              []byte
	err               error
}

// writeVectorFile writes vecs to path and returns the file's size.
func writeVectorFile(path string, vecs []*vector) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "# rafthttp-c golden vectors, encoded by etcd 3.4.23's own code (tests/interop/golden).")
	fmt.Fprintln(w, "# KIND NAME PARAM HEX; PARAM and HEX are \"-\" when empty.")
	for _, v := range vecs {
		fmt.Fprintf(w, "%s %s %s %s\n", v.kind.name, v.name, v.param, hexField(v.data))
	}
	err = w.Flush()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

func hexField(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	return hex.EncodeToString(b)
}

// readVectorFile parses the vector file at path.
func readVectorFile(path string) ([]line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []line
	r := bufio.NewReader(f)
	for n := 1; ; n++ {
		text, err := r.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, err
		}
		if text == "" && err == io.EOF {
			return lines, nil
		}
		text = strings.TrimRight(text, "\r\n")
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		l := parseLine(text)
		l.lineNo = n
		lines = append(lines, l)
	}
}

func parseLine(text string) line {
	f := strings.Split(text, " ")
	if len(f) != 4 {
		return line{err: fmt.Errorf("want 4 fields separated by single spaces, got %d", len(f))}
	}
	l := line{kind: f[0], name: f[1], param: f[2]}
	switch {
	case f[3] == "-":
		return l
	case f[3] == "":
		l.err = errors.New(`empty HEX, want "-"`)
	case strings.ToLower(f[3]) != f[3]:
		l.err = errors.New("HEX is not lowercase")
	default:
		l.data, l.err = hex.DecodeString(f[3])
	}
	return l
}
