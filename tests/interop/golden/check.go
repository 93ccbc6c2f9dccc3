// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"

	"go.etcd.io/etcd/raft/raftpb"
)

// safeDecode decodes b with etcd's decoder for k. etcd's msgappv2 decoder
// panics (pbutil.MustUnmarshal) on a bad entry; that becomes an error.
func safeDecode(k *kind, b []byte, param string) (v interface{}, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("etcd's decoder panicked: %v", p)
		}
	}()
	return k.decode(b, param)
}

// selfCheck returns what is wrong with a vector gen built.
func selfCheck(v *vector) []string {
	var probs []string
	if v.wantHex != "" && hexField(v.data) != v.wantHex {
		probs = append(probs, fmt.Sprintf("encodes to %s, want %s", hexField(v.data), v.wantHex))
	}
	got, err := safeDecode(v.kind, v.data, v.param)
	if err != nil {
		return append(probs, "etcd cannot decode its own encoding: "+err.Error())
	}
	if re, err := v.kind.encode(got, v.param); err != nil {
		probs = append(probs, "etcd cannot re-encode its decoding: "+err.Error())
	} else if !bytes.Equal(re, v.data) {
		probs = append(probs, "re-encoding etcd's decoding does not give the same bytes")
	}
	if v.kind.name == "msgappv2" {
		probs = append(probs, checkMsgAppV2(v, got.([]raftpb.Message))...)
	}
	return probs
}

// checkMsgAppV2 checks a msgappv2 vector's record types against
// wantRecords, and that PARAM names the receiver and sender of its messages.
func checkMsgAppV2(v *vector, msgs []raftpb.Message) []string {
	var probs []string
	recs, err := scanMsgAppV2(v.data)
	if err != nil {
		probs = append(probs, err.Error())
	}
	var digits strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&digits, "%d", r)
	}
	if digits.String() != v.wantRecords {
		probs = append(probs, fmt.Sprintf("record types %s, want %s", digits.String(), v.wantRecords))
	}
	local, remote, _ := parseIDs(v.param)
	for i, m := range msgs {
		isLinkHeartbeat := m.Type == raftpb.MsgHeartbeat && m.From == 0 && m.To == 0
		if !isLinkHeartbeat && (m.To != uint64(local) || m.From != uint64(remote)) {
			probs = append(probs, fmt.Sprintf("message #%d is %x->%x, PARAM %s says %s->%s", i, m.From, m.To, v.param, remote, local))
		}
	}
	return probs
}

// compare checks a C line against the vector gen builds under that name.
func compare(v *vector, l line) []string {
	if l.kind != v.kind.name {
		return []string{fmt.Sprintf("kind is %s, want %s", l.kind, v.kind.name)}
	}
	var probs []string
	if l.param != v.param {
		probs = append(probs, fmt.Sprintf("PARAM is %s, want %s", l.param, v.param))
	}
	want, err := safeDecode(v.kind, v.data, v.param)
	if err != nil {
		probs = append(probs, "internal: etcd cannot decode Go's bytes: "+err.Error())
	}
	got, err := safeDecode(v.kind, l.data, v.param)
	switch {
	case err != nil:
		probs = append(probs, "etcd cannot decode the C bytes: "+err.Error())
	case !reflect.DeepEqual(got, want):
		probs = append(probs, "etcd decodes the C bytes to a different value"+valueDiff(want, got))
	}
	if off := firstDiff(v.data, l.data); off >= 0 {
		probs = append(probs, fmt.Sprintf("bytes differ from Go's at offset %d (go %s, c %s; go %d bytes, c %d bytes)",
			off, byteAt(v.data, off), byteAt(l.data, off), len(v.data), len(l.data)))
	}
	return probs
}

// valueDiff says where two unequal decoded values first differ, when it can.
func valueDiff(want, got interface{}) string {
	switch w := want.(type) {
	case []raftpb.Message:
		g := got.([]raftpb.Message)
		if len(g) != len(w) {
			return fmt.Sprintf(" (%d messages, want %d)", len(g), len(w))
		}
		for i := range w {
			if !reflect.DeepEqual(w[i], g[i]) {
				return fmt.Sprintf(" (message #%d)", i)
			}
		}
	case snapBody:
		if !reflect.DeepEqual(w.Msg, got.(snapBody).Msg) {
			return " (snapshot head)"
		}
		return " (DB bytes)"
	}
	return ""
}

// firstDiff returns the first offset where a and b differ, or -1.
func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		if len(a) < len(b) {
			return len(a)
		}
		return len(b)
	}
	return -1
}

func byteAt(b []byte, off int) string {
	if off >= len(b) {
		return "end"
	}
	return fmt.Sprintf("0x%02x", b[off])
}
