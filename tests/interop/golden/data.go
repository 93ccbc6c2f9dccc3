// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"fmt"

	"go.etcd.io/etcd/raft/raftpb"
)

// pattern returns n deterministic bytes: byte i is (i*31+7) & 0xff.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	return b
}

// jsonText returns exactly n bytes of JSON-like text, standing in for the
// v2 store JSON that etcd carries in Snapshot.Data.
func jsonText(n int) []byte {
	var buf bytes.Buffer
	buf.WriteString(`{"Root":{"Path":"/","Nodes":[`)
	for i := 0; buf.Len() < n; i++ {
		fmt.Fprintf(&buf, `{"Path":"/0/members/%016x","Value":"{\"peerURLs\":[\"http://10.0.%d.%d:2380\"]}","ModifiedIndex":%d},`+"\n",
			uint64(i)*0x9e3779b97f4a7c15, i/256, i%256, 1000+i)
	}
	return buf.Bytes()[:n]
}

// entryOfSize returns an EntryNormal whose Marshal() is exactly size bytes,
// with patterned data.
func entryOfSize(term, index uint64, size int) raftpb.Entry {
	data := pattern(size)
	for n := size; n >= 0; n-- {
		e := raftpb.Entry{Term: term, Index: index, Data: data[:n]}
		if e.Size() == size {
			return e
		}
	}
	panic(fmt.Sprintf("no entry encodes to %d bytes", size))
}

// mustMarshal marshals a value built by this program; it cannot fail.
func mustMarshal(m protoMsg) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}
