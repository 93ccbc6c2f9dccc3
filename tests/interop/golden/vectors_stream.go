// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strconv"

	"go.etcd.io/etcd/etcdserver/api/rafthttp"
	"go.etcd.io/etcd/pkg/types"
	"go.etcd.io/etcd/raft/raftpb"
)

func addMsgStreams(b *builder) {
	hb := rafthttp.LinkHeartbeatMessage()
	stream := func(suffix string, msgs ...raftpb.Message) { b.add("msgstream", suffix, "-", msgs) }

	stream("empty")
	stream("link_heartbeat", hb)
	stream("link_heartbeats", hb, hb, hb)
	stream("mixed", hb, exampleApp(), hb, typicalMessages()[raftpb.MsgAppResp], exampleHeartbeat(),
		exampleSnap(), raftpb.Message{}, hb)
	stream("all_types", typicalMessages()...)
	stream("large", raftpb.Message{Type: raftpb.MsgApp, To: 2, From: 1, Term: 2, LogTerm: 2, Index: 7, Commit: 7,
		Entries: []raftpb.Entry{{Term: 2, Index: 8, Data: pattern(65536)}}}, hb)
}

// app2 adds a msgappv2 vector: msgs through one fresh encoder, decoded at
// member local from member remote. records is the record type sequence
// (one digit per message) gen asserts etcd's encoder produced.
func (b *builder) app2(suffix string, local, remote types.ID, records string, msgs ...raftpb.Message) {
	b.add("msgappv2", suffix, formatIDs(local, remote), msgs).wantRecords = records
}

func addMsgAppV2s(b *builder) {
	hb := rafthttp.LinkHeartbeatMessage()
	// app is a MsgApp from 1 to 2 carrying entries first, first+1, ... of
	// the given term, each with data from the list.
	app := func(term, logTerm, index, commit, first uint64, data ...[]byte) raftpb.Message {
		m := raftpb.Message{Type: raftpb.MsgApp, From: 1, To: 2, Term: term, LogTerm: logTerm, Index: index, Commit: commit}
		for i, d := range data {
			m.Entries = append(m.Entries, raftpb.Entry{Term: term, Index: first + uint64(i), Data: d})
		}
		return m
	}
	some := []byte("some data")

	b.app2("link_heartbeat", 2, 1, "0", hb)

	// etcd's TestMsgAppV2 (msgappv2_codec_test.go), message for message.
	b.app2("etcd_test", 2, 1, "0210120220",
		hb,
		app(1, 1, 0, 0, 1, some, some, some),
		app(1, 1, 3, 0, 4, some),
		hb,
		app(1, 1, 4, 0, 5, some),
		app(3, 1, 5, 0, 6, some), // higher term
		hb,
		app(3, 2, 6, 0, 7, some),
		app(3, 2, 7, 0, 8), // empty MsgApp
		hb)

	// Compact AppEntries records and each reason etcd falls back to a full
	// MsgApp record.
	ctxApp := app(2, 2, 15, 15, 16, []byte("ctx dropped"))
	ctxApp.Context = []byte("a compact record does not carry Context")
	cc := exampleConfChange()
	confEntry := app(4, 4, 18, 18, 19, nil, pattern(300))
	confEntry.Entries[0].Type, confEntry.Entries[0].Data = raftpb.EntryConfChange, mustMarshal(&cc)
	b.app2("compact", 2, 1, "21110122122",
		app(2, 2, 10, 10, 11, pattern(10)),                 // full: fresh encoder is at term 0
		app(2, 2, 11, 11, 12, pattern(1)),                  // compact, one entry
		app(2, 2, 12, 12, 13, nil, []byte{}, pattern(200)), // compact, several entries
		app(2, 2, 15, 15, 16),                              // compact, no entries: commit only
		hb,                                                 // link heartbeat keeps the state
		ctxApp,                                             // compact
		app(3, 3, 16, 16, 17, pattern(5)),                  // full: higher term
		app(4, 3, 17, 17, 18, pattern(5)),                  // full: LogTerm != Term
		confEntry,                                          // compact, conf change entry
		app(4, 4, 19, 20, 20, pattern(5)),                  // full: Index went back
		app(4, 4, 30, 20, 31))                              // full: Index jumped, no entries

	// transport_bench_test.go's BenchmarkSendingMsgApp: Term = LogTerm =
	// Index = 0 matches a fresh encoder, so even the first record is compact.
	var bench []raftpb.Message
	for i := uint64(0); i < 3; i++ {
		bench = append(bench, raftpb.Message{Type: raftpb.MsgApp, From: 1, To: 2, Index: i,
			Entries: []raftpb.Entry{{Index: i + 1, Data: make([]byte, 64)}}})
	}
	b.app2("benchmark", 2, 1, "111", bench...)

	// Entries past the codec's 1 MiB buffer, in a full and a compact record.
	big := pattern(1<<20 + 1)
	b.app2("large", 2, 1, "21", app(1, 1, 0, 0, 1, big), app(1, 1, 1, 1, 2, big))

	// Compact entries whose encodings are one byte short of and exactly the
	// buffer size: the last one on the buffered path and the first past it.
	n := rafthttp.MsgAppV2BufSize
	edge := app(1, 1, 0, 0, 1)
	edge.Entries = []raftpb.Entry{entryOfSize(1, 1, n-1), entryOfSize(1, 2, n)}
	b.app2("buffer_edge", 2, 1, "21", app(1, 1, 0, 0, 0), edge)

	// Real-looking member IDs in PARAM.
	local, remote := types.ID(0x91bc3c398fb3c146), types.ID(0x8e9e05c52164694d)
	fromTo := func(m raftpb.Message) raftpb.Message {
		m.From, m.To = uint64(remote), uint64(local)
		return m
	}
	b.app2("member_ids", local, remote, "0211",
		hb, fromTo(app(8, 8, 500, 499, 501, some)), fromTo(app(8, 8, 501, 501, 502, some)), fromTo(app(8, 8, 502, 502, 503)))
}

func addSnapBodies(b *builder) {
	msg := raftpb.Message{Type: raftpb.MsgSnap, To: 2, From: 1, Term: 3,
		Snapshot: raftpb.Snapshot{Data: jsonText(300),
			Metadata: raftpb.SnapshotMetadata{ConfState: exampleConfState(), Index: 1000, Term: 3}}}
	for _, n := range []int{0, 16, 4099} {
		b.add("snapbody", "db_"+strconv.Itoa(n), strconv.Itoa(n), snapBody{Msg: msg, DB: pattern(n)})
	}
	full := raftpb.Message{Type: raftpb.MsgSnap, To: 4, From: 1, Term: 9,
		Snapshot: raftpb.Snapshot{Data: jsonText(7 << 10),
			Metadata: raftpb.SnapshotMetadata{ConfState: fullConfState(), Index: 123456, Term: 9}}}
	b.add("snapbody", "full_confstate_db_8192", "8192", snapBody{Msg: full, DB: pattern(8192)})
}
